//! The plan catalogue as operators manage it: every plan (inactive ones too), create, change,
//! delete while nothing refers to it, activate, deactivate and reorder. Each change is one
//! transaction with its audit row (`plan.created`, `plan.updated`, …).

mod offer;

pub use offer::{PlanOrder, reorder, set_active};

use super::{
    change::{Change, record},
    slug::check_slug,
};
use crate::{
    Error, ValidationErrors,
    db::{self, Db, begin_write},
    entities::{
        account,
        enums::{BillingCycle, CreditPolicy},
        payment, plan, subscription,
    },
    listing::{self, Page, PageRequest, SortKeys},
    tenancy::{check_description, check_name, double_option},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest trial a plan may offer, in days.
pub const MAX_TRIAL_DAYS: i32 = 365;
/// The gap a new plan leaves after the last one's `sort_order`.
const SORT_STEP: i32 = 10;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlanFilter {
    pub is_active: Option<bool>,
}

pub const SORT_KEYS: SortKeys<plan::Column> = &[
    ("sort_order", plan::Column::SortOrder),
    ("id", plan::Column::Id),
    ("name", plan::Column::Name),
    ("slug", plan::Column::Slug),
    ("price", plan::Column::Price),
    ("created_at", plan::Column::CreatedAt),
];

/// A page of plans, active or not; by `sort_order` then id unless `ordering` says otherwise.
pub async fn list(
    db: &Db,
    filter: PlanFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<plan::Model>, Error> {
    let ordering =
        listing::parse_ordering_or(ordering, SORT_KEYS, (plan::Column::SortOrder, Order::Asc))?;
    let mut select = plan::Entity::find();
    if let Some(is_active) = filter.is_active {
        select = select.filter(plan::Column::IsActive.eq(is_active));
    }
    listing::fetch_page(db, select, &ordering, page).await
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<plan::Model, Error> {
    plan::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

/// A plan to create. Optional fields take the defaults shown.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPlan {
    /// Unique; 1 to 64 characters of `a-z`, `0-9` and `-`.
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Minor units of `currency`, 0 or more (0 is a free plan).
    pub price: i64,
    /// ISO 4217 code, three letters (stored in upper case).
    pub currency: String,
    pub billing_cycle: BillingCycle,
    /// Credits one month grants (default 0).
    #[serde(default)]
    pub included_credits: Option<i64>,
    /// Legacy: used when `included_credits` is 0 (default 0).
    #[serde(default)]
    pub credits_per_month: Option<i64>,
    /// At least 1.
    pub max_sites: i32,
    /// At least 1.
    pub max_industries: i32,
    /// At least 1.
    pub max_users: i32,
    /// 0 to 365 (default 0).
    #[serde(default)]
    pub trial_days: Option<i32>,
    /// Default `reset`.
    #[serde(default)]
    pub credit_policy: Option<CreditPolicy>,
    /// Default true: the plan is offered at once.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Default: after every plan there is.
    #[serde(default)]
    pub sort_order: Option<i32>,
    #[serde(default)]
    pub stripe_product_id: Option<String>,
    #[serde(default)]
    pub stripe_price_id: Option<String>,
    #[serde(default)]
    pub paypal_plan_id: Option<String>,
}

/// The fields a PATCH may change; absent fields stay as they are. The same rules as for a new
/// plan apply to the result.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PlanPatch {
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub billing_cycle: Option<BillingCycle>,
    pub included_credits: Option<i64>,
    pub credits_per_month: Option<i64>,
    pub max_sites: Option<i32>,
    pub max_industries: Option<i32>,
    pub max_users: Option<i32>,
    pub trial_days: Option<i32>,
    pub credit_policy: Option<CreditPolicy>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub stripe_product_id: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub stripe_price_id: Option<Option<String>>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub paypal_plan_id: Option<Option<String>>,
}

/// Every field of a plan an operator sets; also what the audit log shows of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct PlanFields {
    slug: String,
    name: String,
    description: String,
    price: i64,
    currency: String,
    billing_cycle: BillingCycle,
    included_credits: i64,
    credits_per_month: i64,
    max_sites: i32,
    max_industries: i32,
    max_users: i32,
    trial_days: i32,
    credit_policy: CreditPolicy,
    is_active: bool,
    sort_order: i32,
    stripe_product_id: Option<String>,
    stripe_price_id: Option<String>,
    paypal_plan_id: Option<String>,
}

impl From<&plan::Model> for PlanFields {
    fn from(p: &plan::Model) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: p.price,
            currency: p.currency.clone(),
            billing_cycle: p.billing_cycle,
            included_credits: p.included_credits,
            credits_per_month: p.credits_per_month,
            max_sites: p.max_sites,
            max_industries: p.max_industries,
            max_users: p.max_users,
            trial_days: p.trial_days,
            credit_policy: p.credit_policy,
            is_active: p.is_active,
            sort_order: p.sort_order,
            stripe_product_id: p.stripe_product_id.clone(),
            stripe_price_id: p.stripe_price_id.clone(),
            paypal_plan_id: p.paypal_plan_id.clone(),
        }
    }
}

impl PlanFields {
    fn new(input: NewPlan, sort_order: i32) -> Self {
        Self {
            slug: input.slug,
            name: input.name,
            description: input.description.unwrap_or_default(),
            price: input.price,
            currency: input.currency,
            billing_cycle: input.billing_cycle,
            included_credits: input.included_credits.unwrap_or(0),
            credits_per_month: input.credits_per_month.unwrap_or(0),
            max_sites: input.max_sites,
            max_industries: input.max_industries,
            max_users: input.max_users,
            trial_days: input.trial_days.unwrap_or(0),
            credit_policy: input.credit_policy.unwrap_or(CreditPolicy::Reset),
            is_active: input.is_active.unwrap_or(true),
            sort_order: input.sort_order.unwrap_or(sort_order),
            stripe_product_id: input.stripe_product_id,
            stripe_price_id: input.stripe_price_id,
            paypal_plan_id: input.paypal_plan_id,
        }
    }

    fn patched(mut self, patch: PlanPatch) -> Self {
        macro_rules! take {
            ($($field:ident),+) => { $(if let Some(value) = patch.$field { self.$field = value; })+ };
        }
        take!(
            slug,
            name,
            description,
            price,
            currency,
            billing_cycle,
            included_credits,
            credits_per_month,
            max_sites,
            max_industries,
            max_users,
            trial_days,
            credit_policy,
            is_active,
            sort_order,
            stripe_product_id,
            stripe_price_id,
            paypal_plan_id
        );
        self
    }

    /// The fields tidied (trimmed, currency in upper case, blank provider ids as none), or
    /// every rule they break.
    fn checked(self) -> Result<Self, Error> {
        let mut errors = ValidationErrors::default();
        let slug = check_slug(&mut errors, &self.slug);
        let name = check_name(&mut errors, "name", &self.name);
        let description = check_description(&mut errors, &self.description);
        let currency = self.currency.trim().to_ascii_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.add("currency", "Use a three-letter ISO 4217 code, e.g. USD.");
        }
        for (field, value) in [
            ("price", self.price),
            ("included_credits", self.included_credits),
            ("credits_per_month", self.credits_per_month),
        ] {
            if value < 0 {
                errors.add(field, "Must be 0 or more.");
            }
        }
        for (field, value) in [
            ("max_sites", self.max_sites),
            ("max_industries", self.max_industries),
            ("max_users", self.max_users),
        ] {
            if value < 1 {
                errors.add(field, "Must be at least 1.");
            }
        }
        if !(0..=MAX_TRIAL_DAYS).contains(&self.trial_days) {
            errors.add(
                "trial_days",
                format!("Must be from 0 to {MAX_TRIAL_DAYS} days."),
            );
        }
        let mut provider_id = |field: &str, value: Option<String>| {
            let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            if value.as_ref().is_some_and(|v| v.chars().count() > 255) {
                errors.add(field, "Use at most 255 characters.");
            }
            value
        };
        let stripe_product_id = provider_id("stripe_product_id", self.stripe_product_id);
        let stripe_price_id = provider_id("stripe_price_id", self.stripe_price_id);
        let paypal_plan_id = provider_id("paypal_plan_id", self.paypal_plan_id);
        errors.into_result()?;
        Ok(Self {
            slug,
            name,
            description,
            currency,
            stripe_product_id,
            stripe_price_id,
            paypal_plan_id,
            ..self
        })
    }

    fn write(self, row: &mut plan::ActiveModel) {
        row.slug = Set(self.slug);
        row.name = Set(self.name);
        row.description = Set(self.description);
        row.price = Set(self.price);
        row.currency = Set(self.currency);
        row.billing_cycle = Set(self.billing_cycle);
        row.included_credits = Set(self.included_credits);
        row.credits_per_month = Set(self.credits_per_month);
        row.max_sites = Set(self.max_sites);
        row.max_industries = Set(self.max_industries);
        row.max_users = Set(self.max_users);
        row.trial_days = Set(self.trial_days);
        row.credit_policy = Set(self.credit_policy);
        row.is_active = Set(self.is_active);
        row.sort_order = Set(self.sort_order);
        row.stripe_product_id = Set(self.stripe_product_id);
        row.stripe_price_id = Set(self.stripe_price_id);
        row.paypal_plan_id = Set(self.paypal_plan_id);
    }
}

/// A plan as the audit log records it.
fn snapshot(plan: &plan::Model) -> serde_json::Value {
    serde_json::to_value(PlanFields::from(plan)).unwrap_or_default()
}

/// A 400 on `slug` when another plan has it.
async fn check_slug_free(
    conn: &impl ConnectionTrait,
    slug: &str,
    except: Option<i64>,
) -> Result<(), Error> {
    let mut same = plan::Entity::find().filter(plan::Column::Slug.eq(slug));
    if let Some(id) = except {
        same = same.filter(plan::Column::Id.ne(id));
    }
    if same.count(conn).await? > 0 {
        return Err(slug_taken());
    }
    Ok(())
}

fn slug_taken() -> Error {
    Error::Validation(ValidationErrors::single(
        "slug",
        "Another plan has this slug.",
    ))
}

fn unique_slug(err: sea_orm::DbErr) -> Error {
    if db::is_unique_violation(&err) {
        slug_taken()
    } else {
        Error::Database(err)
    }
}

pub async fn create(
    db: &Db,
    operator_id: i64,
    input: NewPlan,
    now: DateTime<Utc>,
) -> Result<plan::Model, Error> {
    let txn = begin_write(db).await?;
    let last: Option<i32> = plan::Entity::find()
        .select_only()
        .column_as(plan::Column::SortOrder.max(), "max")
        .into_tuple::<Option<i32>>()
        .one(&txn)
        .await?
        .flatten();
    let after_last = last.map_or(0, |order| order.saturating_add(SORT_STEP));
    let fields = PlanFields::new(input, after_last).checked()?;
    check_slug_free(&txn, &fields.slug, None).await?;
    let mut row = plan::ActiveModel {
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fields.write(&mut row);
    let created = row.insert(&txn).await.map_err(unique_slug)?;
    record(
        &txn,
        Change {
            operator_id,
            action: "plan.created",
            object_type: "plan",
            object_id: Some(created.id),
            before: None,
            after: Some(snapshot(&created)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a plan. The change applies to the accounts on it from their next payment or grant;
/// payments already created keep their amounts.
pub async fn update(
    db: &Db,
    operator_id: i64,
    id: i64,
    patch: PlanPatch,
    now: DateTime<Utc>,
) -> Result<plan::Model, Error> {
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    let fields = PlanFields::from(&current).patched(patch).checked()?;
    check_slug_free(&txn, &fields.slug, Some(id)).await?;
    let before = snapshot(&current);
    let mut row: plan::ActiveModel = current.into();
    fields.write(&mut row);
    row.updated_at = Set(now);
    let updated = row.update(&txn).await.map_err(unique_slug)?;
    record(
        &txn,
        Change {
            operator_id,
            action: "plan.updated",
            object_type: "plan",
            object_id: Some(id),
            before: Some(before),
            after: Some(snapshot(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a plan nothing refers to: no account, subscription (current or scheduled plan) or
/// payment. Otherwise a conflict: such a plan can only be deactivated.
pub async fn delete(db: &Db, operator_id: i64, id: i64, now: DateTime<Utc>) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    let accounts = account::Entity::find()
        .filter(account::Column::PlanId.eq(id))
        .count(&txn)
        .await?;
    let subscriptions = subscription::Entity::find()
        .filter(
            Condition::any()
                .add(subscription::Column::PlanId.eq(id))
                .add(subscription::Column::ScheduledPlanId.eq(id)),
        )
        .count(&txn)
        .await?;
    let payments = payment::Entity::find()
        .filter(payment::Column::PlanId.eq(id))
        .count(&txn)
        .await?;
    if accounts + subscriptions + payments > 0 {
        return Err(in_use(&format!(
            "{accounts} accounts, {subscriptions} subscriptions and {payments} payments \
             refer to this plan"
        )));
    }
    plan::Entity::delete_by_id(id)
        .exec(&txn)
        .await
        .map_err(|err| match err.sql_err() {
            // A sign-up on this plan between the counts and the delete.
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => {
                in_use("an account signed up on this plan just now")
            }
            _ => Error::Database(err),
        })?;
    record(
        &txn,
        Change {
            operator_id,
            action: "plan.deleted",
            object_type: "plan",
            object_id: Some(id),
            before: Some(snapshot(&current)),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn in_use(reason: &str) -> Error {
    Error::Conflict(format!(
        "This plan cannot be deleted: {reason}. Deactivate it instead."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> PlanFields {
        PlanFields::new(
            NewPlan {
                slug: " pro ".to_owned(),
                name: " Pro ".to_owned(),
                description: None,
                price: 4_900,
                currency: "eur".to_owned(),
                billing_cycle: BillingCycle::Monthly,
                included_credits: Some(2_000),
                credits_per_month: None,
                max_sites: 5,
                max_industries: 3,
                max_users: 2,
                trial_days: None,
                credit_policy: None,
                is_active: None,
                sort_order: None,
                stripe_product_id: Some("  ".to_owned()),
                stripe_price_id: Some(" price_1 ".to_owned()),
                paypal_plan_id: None,
            },
            70,
        )
    }

    fn fields_refused(fields: PlanFields) -> Vec<String> {
        match fields.checked() {
            Err(Error::Validation(errors)) => errors.fields().keys().cloned().collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_new_plan_is_tidied_and_takes_the_defaults() {
        let fields = valid().checked().expect("valid");
        assert_eq!(fields.slug, "pro");
        assert_eq!(fields.name, "Pro");
        assert_eq!(fields.currency, "EUR");
        assert_eq!(fields.sort_order, 70);
        assert_eq!(fields.credit_policy, CreditPolicy::Reset);
        assert!(fields.is_active);
        assert_eq!(fields.stripe_product_id, None);
        assert_eq!(fields.stripe_price_id.as_deref(), Some("price_1"));
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let fields = PlanFields {
            slug: "Pro Plan".to_owned(),
            name: String::new(),
            price: -1,
            currency: "EURO".to_owned(),
            included_credits: -5,
            credits_per_month: -1,
            max_sites: 0,
            max_industries: 0,
            max_users: 0,
            trial_days: 366,
            paypal_plan_id: Some("x".repeat(256)),
            ..valid()
        };
        assert_eq!(
            fields_refused(fields),
            [
                "credits_per_month",
                "currency",
                "included_credits",
                "max_industries",
                "max_sites",
                "max_users",
                "name",
                "paypal_plan_id",
                "price",
                "slug",
                "trial_days"
            ]
        );
    }

    #[test]
    fn a_patch_changes_only_what_it_names_and_null_clears_a_provider_id() {
        let patch: PlanPatch =
            serde_json::from_str(r#"{"price": 0, "stripe_price_id": null}"#).expect("patch");
        let fields = valid().checked().expect("valid").patched(patch);
        assert_eq!(fields.price, 0);
        assert_eq!(fields.stripe_price_id, None);
        assert_eq!(fields.name, "Pro");
    }
}
