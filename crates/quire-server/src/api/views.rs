//! The JSON shapes of Quire's objects as the API shows them.

use chrono::{DateTime, Utc};
use quire_core::entities::{
    account,
    enums::{
        AccountStatus, BillingCycle, CreditPolicy, PaymentMethod, PaymentStatus,
        SubscriptionStatus, SuspensionReason, UserRole,
    },
    payment, plan, subscription, user,
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
    /// Write this on the bank transfer.
    pub reference: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
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
            reference: p.reference.clone(),
            period_start: p.period_start,
            period_end: p.period_end,
            created_at: p.created_at,
        }
    }
}
