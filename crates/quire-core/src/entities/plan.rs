//! A plan of the catalogue: price, credits and limits.

use super::enums::{BillingCycle, CreditPolicy};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Minor units of `currency`.
    pub price: i64,
    pub currency: String,
    pub billing_cycle: BillingCycle,
    pub included_credits: i64,
    /// Legacy field, used when `included_credits` is zero.
    pub credits_per_month: i64,
    pub max_sites: i32,
    pub max_industries: i32,
    pub max_users: i32,
    pub trial_days: i32,
    pub credit_policy: CreditPolicy,
    pub is_active: bool,
    pub sort_order: i32,
    pub stripe_product_id: Option<String>,
    pub stripe_price_id: Option<String>,
    pub paypal_plan_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// The credits one month of this plan grants.
    pub fn effective_credits_per_month(&self) -> i64 {
        if self.included_credits > 0 {
            self.included_credits
        } else {
            self.credits_per_month
        }
    }

    pub fn is_free(&self) -> bool {
        self.price == 0
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::account::Entity")]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
