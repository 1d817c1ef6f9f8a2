//! Sends notifications through SMTP when it is configured, otherwise writes them to the log
//! (or, for tests and previews, keeps them in an in-memory outbox).

use super::{Email, Mail};
use crate::config::SmtpSettings;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("email template: {0}")]
    Template(#[from] minijinja::Error),
    #[error("invalid email address {address:?}: {source}")]
    Address {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("could not build the email: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// Where emails go: an SMTP relay, or the log when none is configured.
#[derive(Debug, Clone)]
pub struct Mailer {
    transport: Transport,
}

#[derive(Debug, Clone)]
enum Transport {
    Log,
    /// Boxed: the transport is large and the mailer is cloned into every `Quire`.
    Smtp(Box<Smtp>),
    Memory(Outbox),
}

/// The emails a [`Mailer::memory`] mailer "sent", in order. Clones share one list.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    sent: Arc<Mutex<Vec<SentEmail>>>,
}

/// One email kept by an [`Outbox`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    /// The template's name, e.g. `renewal_due.txt`.
    pub kind: &'static str,
    pub email: Email,
}

impl Outbox {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<SentEmail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The template names of the emails sent to `to`, in order.
    pub fn kinds_sent_to(&self, to: &str) -> Vec<&'static str> {
        self.sent()
            .into_iter()
            .filter(|sent| sent.to.eq_ignore_ascii_case(to))
            .map(|sent| sent.kind)
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for `settings`; `None` writes every email to the log. Connects only when sending.
    pub fn new(settings: Option<&SmtpSettings>) -> Result<Self, MailError> {
        let Some(settings) = settings else {
            return Ok(Self {
                transport: Transport::Log,
            });
        };
        let builder = if settings.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
        } else {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?
        };
        let mut builder = builder.port(settings.port);
        if let (Some(username), Some(password)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: Transport::Smtp(Box::new(Smtp {
                transport: builder.build(),
                from: mailbox(&settings.from)?,
            })),
        })
    }

    /// A mailer that keeps every email in the returned [`Outbox`] instead of sending it.
    pub fn memory() -> (Self, Outbox) {
        let outbox = Outbox::default();
        (
            Self {
                transport: Transport::Memory(outbox.clone()),
            },
            outbox,
        )
    }

    /// Whether emails leave through SMTP (else they are logged or kept in memory).
    pub fn sends_through_smtp(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    /// Renders `mail` and sends it to `to`, or logs it when SMTP is not configured.
    pub async fn send(&self, to: &str, mail: &impl Mail) -> Result<(), MailError> {
        let recipient = mailbox(to)?;
        let email = mail.render()?;
        let kind = mail.template_name();
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.transport
                    .send(message(&smtp.from, &recipient, &email)?)
                    .await?;
                tracing::info!(to = %recipient, kind, subject = %email.subject, "email sent");
            }
            Transport::Memory(outbox) => outbox
                .sent
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(SentEmail {
                    to: recipient.email.to_string(),
                    kind,
                    email,
                }),
            Transport::Log => tracing::info!(
                to = %recipient,
                kind,
                subject = %email.subject,
                body = %email.body,
                "SMTP is not configured: email written to the log instead of sent"
            ),
        }
        Ok(())
    }
}

/// The plain-text message for `email` from `from` to `to`.
pub fn message(from: &Mailbox, to: &Mailbox, email: &Email) -> Result<Message, MailError> {
    Ok(Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(&email.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())?)
}

fn mailbox(address: &str) -> Result<Mailbox, MailError> {
    address.parse().map_err(|source| MailError::Address {
        address: address.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notifications::tests::every_kind;

    fn smtp_settings(starttls: bool) -> SmtpSettings {
        SmtpSettings {
            host: "smtp.example.com".to_owned(),
            port: if starttls { 587 } else { 465 },
            username: Some("quire".to_owned()),
            password: Some("smtp-pass-word".into()),
            from: "Quire <billing@quire.example>".to_owned(),
            starttls,
        }
    }

    #[test]
    fn every_kind_builds_a_valid_message() {
        let from: Mailbox = "Quire <billing@quire.example>".parse().expect("mailbox");
        let to: Mailbox = "owner@acme.example".parse().expect("mailbox");
        for notification in every_kind() {
            let email = notification.render().expect("renders");
            let built = message(&from, &to, &email).expect("builds");
            let headers = built.headers();
            assert_eq!(
                headers.get_raw("From"),
                Some("Quire <billing@quire.example>")
            );
            assert_eq!(headers.get_raw("To"), Some("owner@acme.example"));
            assert_eq!(headers.get_raw("Subject"), Some(email.subject.as_str()));
            assert_eq!(headers.get::<ContentType>(), Some(ContentType::TEXT_PLAIN));
            assert!(headers.get_raw("Date").is_some());
            assert_eq!(
                built.envelope().to(),
                &["owner@acme.example".parse().expect("address")]
            );
            let wire = String::from_utf8(built.formatted()).expect("UTF-8");
            assert!(wire.contains("Subject: "), "{wire}");
        }
    }

    #[tokio::test]
    async fn without_smtp_every_kind_goes_to_the_log() {
        let mailer = Mailer::new(None).expect("log mailer");
        assert!(!mailer.sends_through_smtp());
        for notification in every_kind() {
            mailer
                .send("owner@acme.example", &notification)
                .await
                .expect("logged");
        }
    }

    #[tokio::test]
    async fn a_bad_recipient_is_refused_before_anything_is_sent() {
        let mailer = Mailer::new(None).expect("log mailer");
        let error = mailer
            .send("not an address", &every_kind()[0])
            .await
            .expect_err("refused");
        assert!(matches!(error, MailError::Address { .. }), "{error}");
    }

    #[test]
    fn smtp_settings_build_a_transport_without_connecting() {
        for starttls in [true, false] {
            let mailer = Mailer::new(Some(&smtp_settings(starttls))).expect("builds");
            assert!(mailer.sends_through_smtp());
            assert!(!format!("{mailer:?}").contains("smtp-pass-word"));
        }
        let mut bad_from = smtp_settings(true);
        bad_from.from = "nobody".to_owned();
        assert!(matches!(
            Mailer::new(Some(&bad_from)),
            Err(MailError::Address { .. })
        ));
    }
}
