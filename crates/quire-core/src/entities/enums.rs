//! The closed sets of values Quire stores as strings (statuses, cycles, policies, kinds).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize, ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)", rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
    };
}

string_enum!(
    /// How often a plan bills.
    BillingCycle { Monthly, Annual }
);
string_enum!(
    /// What a renewal does to the balance: set it to the plan amount, or add the plan amount.
    CreditPolicy { Reset, Add }
);
string_enum!(
    /// The tenant account's standing; drives the login and request gates. `deleted`: its owner
    /// deleted it; only the anonymised row, its ledger and payments remain.
    AccountStatus { Trial, Active, PendingPayment, PastDue, Suspended, Cancelled, Deleted }
);
string_enum!(
    /// Why an account is suspended: the billing job (`non_payment`) or an operator.
    SuspensionReason { NonPayment, Operator }
);
string_enum!(
    /// How a payment is made. Only `bank_transfer` is live; the others are coming soon.
    PaymentMethod { BankTransfer, Stripe, Paypal }
);
string_enum!(
    /// The subscription's state.
    SubscriptionStatus { PendingPayment, Trialing, Active, PastDue, Canceled }
);
string_enum!(
    /// A payment's state.
    PaymentStatus { Pending, Paid, Failed, Void }
);
string_enum!(
    /// What a payment buys: a period of the subscription's plan (first or renewal), or a switch
    /// to a bigger plan that starts when it is paid.
    PaymentPurpose { Subscription, PlanChange }
);
string_enum!(
    /// What became of a payment provider's webhook event.
    WebhookEventStatus { Received, Applied, Ignored, Failed }
);
string_enum!(
    /// A user's role: members of an account, or a platform operator.
    UserRole { Owner, Admin, Editor, Viewer, Operator }
);
string_enum!(
    /// Why a ledger row moved credits.
    CreditKind { SignupGrant, RenewalGrant, MonthlyGrant, Usage, Reservation, Refund, Adjustment }
);
string_enum!(
    /// What a searcher wants from a query.
    KeywordIntent { Informational, Commercial, Transactional, Navigational }
);
string_enum!(
    /// Whether a keyword is in play; archived keywords are kept but never clustered.
    KeywordStatus { Active, Archived }
);
string_enum!(
    /// Whether a cluster is in play.
    ClusterStatus { Active, Archived }
);
string_enum!(
    /// A content idea's state: new, sent to the writer (a task exists), or archived.
    IdeaStatus { New, Sent, Archived }
);
string_enum!(
    /// The kind of piece an idea or task is for.
    ContentType { Article, Guide, HowTo, Listicle, Comparison, Review }
);
string_enum!(
    /// Where a writer task is: waiting, being generated, drafted, in review, published, or
    /// failed.
    TaskStatus { Queued, Generating, Draft, Review, Published, Failed }
);
string_enum!(
    /// Where an article stands: a draft, in review, or published.
    ContentStatus { Draft, Review, Published }
);
string_enum!(
    /// Where a job is in its life.
    JobStatus { Queued, Running, Succeeded, Failed, Canceled }
);
string_enum!(
    /// What happened to a job's credits: none held, reserved, settled to the actual charge,
    /// or returned.
    CreditState { None, Reserved, Settled, Refunded }
);
string_enum!(
    /// Whether a model call succeeded.
    UsageStatus { Succeeded, Failed }
);

impl PaymentMethod {
    /// Whether payments can be taken with this method today.
    pub fn is_live(self) -> bool {
        matches!(self, PaymentMethod::BankTransfer)
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "Bank transfer",
            PaymentMethod::Stripe => "Card (Stripe)",
            PaymentMethod::Paypal => "PayPal",
        }
    }
}
