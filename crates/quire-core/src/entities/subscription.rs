//! An account's subscription to a plan, with its current period.

use super::enums::{PaymentMethod, SubscriptionStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub plan_id: i64,
    pub status: SubscriptionStatus,
    pub payment_method: PaymentMethod,
    pub current_period_start: Option<DateTimeUtc>,
    pub current_period_end: Option<DateTimeUtc>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub external_id: Option<String>,
    /// The instant every period boundary counts from (`billing::periods`).
    pub billing_anchor: Option<DateTimeUtc>,
    /// Annual plans: the last month (counted from the anchor) whose credits were granted.
    pub last_monthly_grant: Option<i32>,
    /// A smaller plan chosen by the tenant, which the next renewal switches to.
    pub scheduled_plan_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
