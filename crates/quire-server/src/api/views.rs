//! The JSON shapes of Quire's objects as the API shows them.

use chrono::{DateTime, Utc};
use quire_core::billing::payments::{PayingAccount, PaymentInstructions};
use quire_core::entities::{
    account, ai_usage_log, credit_transaction,
    enums::{
        AccountStatus, BillingCycle, CreditKind, CreditPolicy, CreditState, JobStatus,
        KeywordIntent, PaymentMethod, PaymentPurpose, PaymentStatus, SubscriptionStatus,
        SuspensionReason, UsageStatus, UserRole,
    },
    industry, industry_sector, job, payment, plan, sector, seed_keyword, site, subscription, user,
};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Minor units of `currency` (cents).
    pub price: i64,
    pub currency: String,
    pub billing_cycle: BillingCycle,
    pub included_credits: i64,
    pub credits_per_month: i64,
    /// What one month of the plan grants.
    pub effective_credits_per_month: i64,
    pub max_sites: i32,
    pub max_industries: i32,
    pub max_users: i32,
    pub trial_days: i32,
    pub credit_policy: CreditPolicy,
    pub is_active: bool,
    pub sort_order: i32,
}

impl From<&plan::Model> for PlanView {
    fn from(p: &plan::Model) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price,
            currency: p.currency.clone(),
            billing_cycle: p.billing_cycle,
            included_credits: p.included_credits,
            credits_per_month: p.credits_per_month,
            effective_credits_per_month: p.effective_credits_per_month(),
            max_sites: p.max_sites,
            max_industries: p.max_industries,
            max_users: p.max_users,
            trial_days: p.trial_days,
            credit_policy: p.credit_policy,
            is_active: p.is_active,
            sort_order: p.sort_order,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `null` for operators.
    pub account_id: Option<i64>,
    pub role: UserRole,
    pub is_staff: bool,
    pub is_active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&user::Model> for UserView {
    fn from(u: &user::Model) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            account_id: u.account_id,
            role: u.role,
            is_staff: u.is_staff,
            is_active: u.is_active,
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub owner_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub credits: i64,
    pub status: AccountStatus,
    pub suspension_reason: Option<SuspensionReason>,
    pub payment_method: PaymentMethod,
    pub billing_email: Option<String>,
    pub billing_name: Option<String>,
    pub billing_address: Option<String>,
    pub billing_country: Option<String>,
    pub tax_id: Option<String>,
    /// The most credits AI may take per UTC day; `null`: the platform default (if any).
    pub daily_ai_credit_limit: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<&account::Model> for AccountView {
    fn from(a: &account::Model) -> Self {
        Self {
            id: a.id,
            name: a.name.clone(),
            slug: a.slug.clone(),
            owner_id: a.owner_id,
            plan_id: a.plan_id,
            credits: a.credits,
            status: a.status,
            suspension_reason: a.suspension_reason,
            payment_method: a.payment_method,
            billing_email: a.billing_email.clone(),
            billing_name: a.billing_name.clone(),
            billing_address: a.billing_address.clone(),
            billing_country: a.billing_country.clone(),
            tax_id: a.tax_id.clone(),
            daily_ai_credit_limit: a.daily_ai_credit_limit,
            created_at: a.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: i64,
    pub account_id: i64,
    pub plan_id: i64,
    pub status: SubscriptionStatus,
    pub payment_method: PaymentMethod,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// A smaller plan chosen by the tenant, which the next renewal switches to.
    pub scheduled_plan_id: Option<i64>,
}

impl From<&subscription::Model> for SubscriptionView {
    fn from(s: &subscription::Model) -> Self {
        Self {
            id: s.id,
            account_id: s.account_id,
            plan_id: s.plan_id,
            status: s.status,
            payment_method: s.payment_method,
            current_period_start: s.current_period_start,
            current_period_end: s.current_period_end,
            cancel_at_period_end: s.cancel_at_period_end,
            canceled_at: s.canceled_at,
            ended_at: s.ended_at,
            scheduled_plan_id: s.scheduled_plan_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: i64,
    pub account_id: i64,
    pub subscription_id: Option<i64>,
    pub plan_id: i64,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    /// A period of the subscription's plan, or a switch to a bigger plan.
    pub purpose: PaymentPurpose,
    /// Write this on the bank transfer.
    pub reference: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    /// What the payer reported about their transfer.
    pub payer_name: Option<String>,
    pub payer_bank: Option<String>,
    pub payer_transaction_ref: Option<String>,
    pub transfer_date: Option<DateTime<Utc>>,
    pub notified_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The operator's note (why a payment was rejected).
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A payment waiting for its bank transfer, with what the payer needs to make it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingPaymentView {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub instructions: PaymentInstructions,
}

/// A payment as operators see it: with the account it belongs to and the owner's email.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPaymentView {
    #[serde(flatten)]
    pub payment: PaymentView,
    pub account_name: String,
    pub owner_email: Option<String>,
}

impl From<&PayingAccount> for AdminPaymentView {
    fn from(row: &PayingAccount) -> Self {
        Self {
            payment: PaymentView::from(&row.payment),
            account_name: row.account_name.clone(),
            owner_email: row.owner_email.clone(),
        }
    }
}

impl From<&payment::Model> for PaymentView {
    fn from(p: &payment::Model) -> Self {
        Self {
            id: p.id,
            account_id: p.account_id,
            subscription_id: p.subscription_id,
            plan_id: p.plan_id,
            amount: p.amount,
            currency: p.currency.clone(),
            method: p.method,
            status: p.status,
            purpose: p.purpose,
            reference: p.reference.clone(),
            period_start: p.period_start,
            period_end: p.period_end,
            payer_name: p.payer_name.clone(),
            payer_bank: p.payer_bank.clone(),
            payer_transaction_ref: p.payer_transaction_ref.clone(),
            transfer_date: p.transfer_date,
            notified_at: p.notified_at,
            confirmed_at: p.confirmed_at,
            note: p.note.clone(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub url: String,
    pub industry_id: Option<i64>,
    pub description: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<site::Model> for SiteView {
    fn from(s: site::Model) -> Self {
        Self {
            id: s.id,
            account_id: s.account_id,
            name: s.name,
            url: s.url,
            industry_id: s.industry_id,
            description: s.description,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectorView {
    pub id: i64,
    pub account_id: i64,
    pub site_id: i64,
    pub name: String,
    pub industry_sector_id: Option<i64>,
    pub description: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<sector::Model> for SectorView {
    fn from(s: sector::Model) -> Self {
        Self {
            id: s.id,
            account_id: s.account_id,
            site_id: s.site_id,
            name: s.name,
            industry_sector_id: s.industry_sector_id,
            description: s.description,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustrySectorView {
    pub id: i64,
    pub industry_id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndustryView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub sectors: Vec<IndustrySectorView>,
}

impl From<(industry::Model, Vec<industry_sector::Model>)> for IndustryView {
    fn from((industry, sectors): (industry::Model, Vec<industry_sector::Model>)) -> Self {
        Self {
            id: industry.id,
            slug: industry.slug,
            name: industry.name,
            description: industry.description,
            sectors: sectors
                .into_iter()
                .map(|s| IndustrySectorView {
                    id: s.id,
                    industry_id: s.industry_id,
                    slug: s.slug,
                    name: s.name,
                    description: s.description,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeedKeywordView {
    pub id: i64,
    pub keyword: String,
    pub industry_sector_id: i64,
    /// Estimated monthly searches.
    pub volume: i64,
    /// 0 (easy) to 100 (hard).
    pub difficulty: i32,
    pub intent: KeywordIntent,
    pub country: String,
    pub language: String,
}

impl From<seed_keyword::Model> for SeedKeywordView {
    fn from(k: seed_keyword::Model) -> Self {
        Self {
            id: k.id,
            keyword: k.keyword,
            industry_sector_id: k.industry_sector_id,
            volume: k.volume,
            difficulty: k.difficulty,
            intent: k.intent,
            country: k.country,
            language: k.language,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub status: JobStatus,
    /// 0–100.
    pub progress: i32,
    pub progress_message: String,
    /// The operation's output once it succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    /// Credits held while it runs (the estimate).
    pub reserved_credits: i64,
    /// Credits actually charged once it succeeded.
    pub charged_credits: i64,
    pub credit_state: CreditState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub cancel_requested: bool,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for JobView {
    fn from(j: job::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            progress: j.progress,
            progress_message: j.progress_message,
            result: j.result.and_then(|r| serde_json::from_str(&r).ok()),
            error: j.error,
            reserved_credits: j.reserved_credits,
            charged_credits: j.charged_credits,
            credit_state: j.credit_state,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            cancel_requested: j.cancel_requested,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreditTransactionView {
    pub id: i64,
    /// Positive: credits in; negative: credits out.
    pub amount: i64,
    pub balance_after: i64,
    pub kind: CreditKind,
    pub operation: Option<String>,
    pub payment_id: Option<i64>,
    pub actor: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<credit_transaction::Model> for CreditTransactionView {
    fn from(t: credit_transaction::Model) -> Self {
        Self {
            id: t.id,
            amount: t.amount,
            balance_after: t.balance_after,
            kind: t.kind,
            operation: t.operation,
            payment_id: t.payment_id,
            actor: t.actor,
            note: t.note,
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    pub id: i64,
    pub job_id: Option<i64>,
    pub operation: String,
    pub provider: String,
    pub model: String,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub credits_charged: i64,
    pub status: UsageStatus,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: DateTime<Utc>,
}

impl From<ai_usage_log::Model> for UsageView {
    fn from(u: ai_usage_log::Model) -> Self {
        Self {
            id: u.id,
            job_id: u.job_id,
            operation: u.operation,
            provider: u.provider,
            model: u.model,
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            credits_charged: u.credits_charged,
            status: u.status,
            error: u.error,
            latency_ms: u.latency_ms,
            created_at: u.created_at,
        }
    }
}
