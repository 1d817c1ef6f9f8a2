//! Quire's emails — the billing lifecycle's and the account-security ones — what they say
//! (`templates/email/*.txt`) and how they are sent.
//!
//! Each template has a `subject` and a `body` block, rendered with minijinja as plain text
//! (no escaping); using a variable that was not given is an error.

pub mod account;
pub mod deliver;
mod mailer;

pub use mailer::{MailError, Mailer, Outbox, SentEmail, message};

use crate::billing::payments::PaymentInstructions;
use chrono::{DateTime, Utc};
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};
use std::sync::LazyLock;

/// One email Quire sends an account's owner about billing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The account's name, as its owner chose it.
    pub account_name: String,
    /// The subscription's plan, e.g. `Growth (monthly)`.
    pub plan_name: String,
    pub kind: NotificationKind,
}

/// What happened, with what the email needs to say about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationKind {
    /// A payment waits for the payer's bank transfer (registration or upgrade).
    PaymentPending { instructions: PaymentInstructions },
    /// The payment arrived; the subscription is active until `period_end`.
    PaymentConfirmed {
        /// The amount as people read it, e.g. `29.00 USD`.
        amount: String,
        reference: String,
        period_end: DateTime<Utc>,
    },
    /// The period ends at `period_end`; the renewal payment is open.
    RenewalDue {
        instructions: PaymentInstructions,
        period_end: DateTime<Utc>,
    },
    /// The period ended unpaid; the account is suspended at `suspends_at`.
    PastDue {
        instructions: PaymentInstructions,
        suspends_at: DateTime<Utc>,
    },
    /// Suspended for non-payment; paying the open payment reopens the account.
    Suspended { instructions: PaymentInstructions },
    /// The subscription was cancelled at the end of its period, `ended_at`.
    Cancelled { ended_at: DateTime<Utc> },
}

/// An email Quire can send: the template it is written from and its rendered text.
pub trait Mail {
    /// The template's name, which is also the file's: `templates/email/<name>.txt`.
    fn template_name(&self) -> &'static str;
    /// Renders the subject and the text body.
    fn render(&self) -> Result<Email, minijinja::Error>;
}

/// A rendered email, ready for a transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// One line.
    pub subject: String,
    pub body: String,
}

impl NotificationKind {
    /// The template's name, which is also the file's: `templates/email/<name>.txt`.
    pub fn template_name(&self) -> &'static str {
        match self {
            Self::PaymentPending { .. } => "payment_pending.txt",
            Self::PaymentConfirmed { .. } => "payment_confirmed.txt",
            Self::RenewalDue { .. } => "renewal_due.txt",
            Self::PastDue { .. } => "past_due.txt",
            Self::Suspended { .. } => "suspended.txt",
            Self::Cancelled { .. } => "cancelled.txt",
        }
    }
}

impl Mail for Notification {
    fn template_name(&self) -> &'static str {
        self.kind.template_name()
    }

    fn render(&self) -> Result<Email, minijinja::Error> {
        render(self.kind.template_name(), self.context())
    }
}

/// Template `name` rendered with `context`: its `subject` block on one line, its `body` block.
fn render(name: &str, context: Value) -> Result<Email, minijinja::Error> {
    let template = ENVIRONMENT.get_template(name)?;
    let mut rendered = template.render_captured(context)?;
    let subject = rendered.with_state_mut(|state| state.render_block("subject"))?;
    let body = rendered.with_state_mut(|state| state.render_block("body"))?;
    Ok(Email {
        // A value with a line break must not break the header onto a second line.
        subject: crate::text::one_line(&subject),
        body: format!("{}\n", body.trim()),
    })
}

impl Notification {
    fn context(&self) -> Value {
        let common = context! {
            account_name => &self.account_name,
            plan_name => &self.plan_name,
        };
        let specific = match &self.kind {
            NotificationKind::PaymentPending { instructions }
            | NotificationKind::Suspended { instructions } => context! {
                amount => &instructions.amount_display,
                instructions => Serde(instructions),
            },
            NotificationKind::PaymentConfirmed {
                amount,
                reference,
                period_end,
            } => context! {
                amount => amount,
                reference => reference,
                period_end => day(period_end),
            },
            NotificationKind::RenewalDue {
                instructions,
                period_end,
            } => context! {
                amount => &instructions.amount_display,
                instructions => Serde(instructions),
                period_end => day(period_end),
            },
            NotificationKind::PastDue {
                instructions,
                suspends_at,
            } => context! {
                amount => &instructions.amount_display,
                instructions => Serde(instructions),
                suspends_on => day(suspends_at),
            },
            NotificationKind::Cancelled { ended_at } => context! {
                ended_on => day(ended_at),
            },
        };
        context! { ..common, ..specific }
    }
}

/// `2026-11-26T…` → `26 November 2026`: no day/month order to misread.
fn day(at: &DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    for (name, source) in TEMPLATES {
        // The files ship inside the binary and every one is rendered by the tests.
        env.add_template(name, source)
            .unwrap_or_else(|error| panic!("built-in email template {name}: {error}"));
    }
    env
});

const TEMPLATES: [(&str, &str); 10] = [
    (
        "bank_details.txt",
        include_str!("../../templates/email/bank_details.txt"),
    ),
    (
        "payment_pending.txt",
        include_str!("../../templates/email/payment_pending.txt"),
    ),
    (
        "payment_confirmed.txt",
        include_str!("../../templates/email/payment_confirmed.txt"),
    ),
    (
        "renewal_due.txt",
        include_str!("../../templates/email/renewal_due.txt"),
    ),
    (
        "past_due.txt",
        include_str!("../../templates/email/past_due.txt"),
    ),
    (
        "suspended.txt",
        include_str!("../../templates/email/suspended.txt"),
    ),
    (
        "cancelled.txt",
        include_str!("../../templates/email/cancelled.txt"),
    ),
    (
        "password_reset.txt",
        include_str!("../../templates/email/password_reset.txt"),
    ),
    (
        "email_change.txt",
        include_str!("../../templates/email/email_change.txt"),
    ),
    (
        "email_changed.txt",
        include_str!("../../templates/email/email_changed.txt"),
    ),
];

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::entities::enums::PaymentMethod;

    pub(crate) fn instructions() -> PaymentInstructions {
        PaymentInstructions {
            payment_id: 7,
            method: PaymentMethod::BankTransfer,
            reference: "QR-7K2M-9XQ4".to_owned(),
            amount: 2900,
            currency: "USD".to_owned(),
            amount_display: "29.00 USD".to_owned(),
            beneficiary: "Quire Example Ltd".to_owned(),
            bank_name: "Example Bank".to_owned(),
            iban: "GB33BUKB20201555555555".to_owned(),
            bic: "BUKBGB22".to_owned(),
            text: "Write the reference QR-7K2M-9XQ4 in the payment description.".to_owned(),
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("RFC 3339")
    }

    /// One notification of every kind, for "Acme & Sons" on the Growth plan.
    pub(crate) fn every_kind() -> Vec<Notification> {
        let kinds = vec![
            NotificationKind::PaymentPending {
                instructions: instructions(),
            },
            NotificationKind::PaymentConfirmed {
                amount: "29.00 USD".to_owned(),
                reference: "QR-7K2M-9XQ4".to_owned(),
                period_end: at("2027-02-28T10:00:00Z"),
            },
            NotificationKind::RenewalDue {
                instructions: instructions(),
                period_end: at("2027-02-28T10:00:00Z"),
            },
            NotificationKind::PastDue {
                instructions: instructions(),
                suspends_at: at("2027-03-07T10:00:00Z"),
            },
            NotificationKind::Suspended {
                instructions: instructions(),
            },
            NotificationKind::Cancelled {
                ended_at: at("2027-02-28T10:00:00Z"),
            },
        ];
        kinds
            .into_iter()
            .map(|kind| Notification {
                account_name: "Acme & Sons".to_owned(),
                plan_name: "Growth".to_owned(),
                kind,
            })
            .collect()
    }

    #[test]
    fn every_kind_names_the_account_and_the_plan() {
        for notification in every_kind() {
            let email = notification.render().expect("renders");
            let name = notification.kind.template_name();
            assert!(email.subject.contains("Acme & Sons"), "{name}: {email:?}");
            assert!(email.body.contains("Acme & Sons"), "{name}: {email:?}");
            assert!(email.body.contains("Growth"), "{name}: {email:?}");
            assert!(!email.subject.contains('\n'), "{name}");
            assert!(email.body.starts_with("Hello,"), "{name}: {email:?}");
            assert!(
                email.body.ends_with("The Quire team\n"),
                "{name}: {email:?}"
            );
        }
    }

    #[test]
    fn every_kind_about_money_shows_the_amount() {
        for notification in every_kind() {
            if matches!(notification.kind, NotificationKind::Cancelled { .. }) {
                continue;
            }
            let email = notification.render().expect("renders");
            let name = notification.kind.template_name();
            assert!(email.body.contains("29.00 USD"), "{name}: {email:?}");
        }
    }

    #[test]
    fn kinds_that_ask_for_money_carry_the_bank_transfer_instructions() {
        for notification in every_kind() {
            let email = notification.render().expect("renders");
            let name = notification.kind.template_name();
            let asks_for_money = matches!(
                notification.kind,
                NotificationKind::PaymentPending { .. }
                    | NotificationKind::RenewalDue { .. }
                    | NotificationKind::PastDue { .. }
                    | NotificationKind::Suspended { .. }
            );
            for detail in [
                "Quire Example Ltd",
                "Example Bank",
                "GB33BUKB20201555555555",
                "BUKBGB22",
                "Reference:   QR-7K2M-9XQ4",
                "Write the reference QR-7K2M-9XQ4 in the payment description.",
            ] {
                assert_eq!(
                    email.body.contains(detail),
                    asks_for_money,
                    "{name}: {detail}"
                );
            }
        }
    }

    #[test]
    fn the_pending_email_reads_as_expected() {
        let email = every_kind()[0].render().expect("renders");
        assert_eq!(
            email.subject,
            "Acme & Sons: pay 29.00 USD by bank transfer for Quire Growth"
        );
        assert!(
            email
                .body
                .contains("  IBAN:        GB33BUKB20201555555555\n")
        );
        assert!(email.body.contains("  Amount:      29.00 USD\n"));
    }

    #[test]
    fn dates_are_written_out() {
        let emails: Vec<Email> = every_kind()
            .iter()
            .map(|n| n.render().expect("renders"))
            .collect();
        assert!(emails[1].body.contains("active until 28 February 2027"));
        assert!(emails[2].subject.ends_with("renews on 28 February 2027"));
        assert!(emails[3].body.contains("suspended on 7 March 2027"));
        assert!(emails[5].body.contains("on 28 February 2027"));
    }

    #[test]
    fn a_line_break_in_a_name_stays_out_of_the_subject_line() {
        let mut notification = every_kind().remove(4);
        notification.account_name = "Evil\r\nBcc: victim@example.com".to_owned();
        let email = notification.render().expect("renders");
        assert!(!email.subject.contains(['\r', '\n']));
    }
}
