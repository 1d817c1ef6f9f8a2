//! The default plan catalogue, written into an empty database on first start.

use crate::{
    db::{self, Db, begin_write},
    entities::{
        enums::{BillingCycle, CreditPolicy},
        plan,
    },
};
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait, Set};

struct DefaultPlan {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    price_cents: i64,
    cycle: BillingCycle,
    credits: i64,
    max_sites: i32,
    max_industries: i32,
    max_users: i32,
    trial_days: i32,
    policy: CreditPolicy,
}

/// One credit buys about a thousand tokens of the default model: a 1,500-word article
/// costs roughly 10 credits, clustering a few hundred keywords with AI about 5.
const DEFAULT_PLANS: &[DefaultPlan] = &[
    DefaultPlan {
        slug: "free",
        name: "Free",
        description: "Try Quire on one site: plan a cluster and write a few drafts each month.",
        price_cents: 0,
        cycle: BillingCycle::Monthly,
        credits: 100,
        max_sites: 1,
        max_industries: 1,
        max_users: 1,
        trial_days: 0,
        policy: CreditPolicy::Reset,
    },
    DefaultPlan {
        slug: "starter-monthly",
        name: "Starter",
        description: "For a single site publishing every week.",
        price_cents: 2_900,
        cycle: BillingCycle::Monthly,
        credits: 1_000,
        max_sites: 3,
        max_industries: 3,
        max_users: 2,
        trial_days: 0,
        policy: CreditPolicy::Reset,
    },
    DefaultPlan {
        slug: "growth-monthly",
        name: "Growth",
        description: "For teams running several sites; starts with a 14-day trial.",
        price_cents: 7_900,
        cycle: BillingCycle::Monthly,
        credits: 4_000,
        max_sites: 10,
        max_industries: 5,
        max_users: 5,
        trial_days: 14,
        policy: CreditPolicy::Reset,
    },
    DefaultPlan {
        slug: "agency-monthly",
        name: "Agency",
        description: "For agencies serving many clients; unused credits roll over.",
        price_cents: 19_900,
        cycle: BillingCycle::Monthly,
        credits: 12_000,
        max_sites: 50,
        max_industries: 10,
        max_users: 15,
        trial_days: 0,
        policy: CreditPolicy::Add,
    },
    DefaultPlan {
        slug: "starter-annual",
        name: "Starter (annual)",
        description: "Starter billed yearly: two months free, credits granted every month.",
        price_cents: 29_000,
        cycle: BillingCycle::Annual,
        credits: 1_000,
        max_sites: 3,
        max_industries: 3,
        max_users: 2,
        trial_days: 0,
        policy: CreditPolicy::Reset,
    },
    DefaultPlan {
        slug: "growth-annual",
        name: "Growth (annual)",
        description: "Growth billed yearly: two months free, credits granted every month.",
        price_cents: 79_000,
        cycle: BillingCycle::Annual,
        credits: 4_000,
        max_sites: 10,
        max_industries: 5,
        max_users: 5,
        trial_days: 0,
        policy: CreditPolicy::Reset,
    },
    DefaultPlan {
        slug: "agency-annual",
        name: "Agency (annual)",
        description: "Agency billed yearly: two months free, credits granted every month.",
        price_cents: 199_000,
        cycle: BillingCycle::Annual,
        credits: 12_000,
        max_sites: 50,
        max_industries: 10,
        max_users: 15,
        trial_days: 0,
        policy: CreditPolicy::Add,
    },
];

/// Writes the default catalogue when the plans table is empty. Two nodes starting together
/// race harmlessly: the loser's insert hits the unique slug and its transaction is dropped.
pub async fn seed_if_empty(db: &Db) -> Result<bool, sea_orm::DbErr> {
    if plan::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let now = Utc::now();
    let rows = DEFAULT_PLANS
        .iter()
        .zip(0..)
        .map(|(p, order)| plan::ActiveModel {
            slug: Set(p.slug.to_owned()),
            name: Set(p.name.to_owned()),
            description: Set(p.description.to_owned()),
            price: Set(p.price_cents),
            currency: Set("USD".to_owned()),
            billing_cycle: Set(p.cycle),
            included_credits: Set(p.credits),
            credits_per_month: Set(0),
            max_sites: Set(p.max_sites),
            max_industries: Set(p.max_industries),
            max_users: Set(p.max_users),
            trial_days: Set(p.trial_days),
            credit_policy: Set(p.policy),
            is_active: Set(true),
            sort_order: Set(order * 10),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    let txn = begin_write(db).await?;
    match plan::Entity::insert_many(rows).exec(&txn).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(true)
        }
        Err(err) if db::is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err),
    }
}
