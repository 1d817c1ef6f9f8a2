//! A tenant account: the root every tenant-owned row hangs from.

use super::enums::{AccountStatus, PaymentMethod, SuspensionReason};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub owner_id: Option<i64>,
    pub plan_id: Option<i64>,
    /// Cached balance; equals the sum of the account's ledger rows.
    pub credits: i64,
    pub status: AccountStatus,
    pub suspension_reason: Option<SuspensionReason>,
    pub payment_method: PaymentMethod,
    pub billing_email: Option<String>,
    pub billing_name: Option<String>,
    pub billing_address: Option<String>,
    pub billing_country: Option<String>,
    pub tax_id: Option<String>,
    /// While `past_due`, the account may be used until this instant.
    pub grace_period_ends_at: Option<DateTimeUtc>,
    /// The most credits AI operations may take in one UTC day; `None`: the platform default.
    pub daily_ai_credit_limit: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::plan::Entity",
        from = "Column::PlanId",
        to = "super::plan::Column::Id"
    )]
    Plan,
    #[sea_orm(has_many = "super::user::Entity")]
    User,
}

impl Related<super::plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Plan.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Model {
    /// Whether an operator suspended the account: billing never lifts or replaces that.
    pub fn suspended_by_operator(&self) -> bool {
        self.status == AccountStatus::Suspended
            && self.suspension_reason == Some(SuspensionReason::Operator)
    }
}

impl ActiveModelBehavior for ActiveModel {}
