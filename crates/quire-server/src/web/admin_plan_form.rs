//! The plan form: every field of `admin::plans::NewPlan` / `PlanPatch` as text the operator
//! typed, read into the core's input (the price from `29.00` to minor units, exactly) with a
//! message on each field that is not a number or a choice; the core checks the rest.

use quire_core::{
    ValidationErrors,
    admin::plans::{NewPlan, PlanPatch},
    billing::payments::{format_amount, parse_amount},
    entities::{
        enums::{BillingCycle, CreditPolicy},
        plan,
    },
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{form::parse_whole, page::enum_text};

/// The choices of the form's selects, in the order shown.
const CYCLES: [BillingCycle; 2] = [BillingCycle::Monthly, BillingCycle::Annual];
const POLICIES: [CreditPolicy; 2] = [CreditPolicy::Reset, CreditPolicy::Add];

/// The form as submitted (and shown again when something is wrong). A field left out of the
/// submission reads as blank.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    pub slug: String,
    pub name: String,
    pub description: String,
    /// Major units with at most two decimals, e.g. `29.00`.
    pub price: String,
    pub currency: String,
    pub billing_cycle: String,
    pub included_credits: String,
    pub credits_per_month: String,
    pub max_sites: String,
    pub max_industries: String,
    pub max_users: String,
    pub trial_days: String,
    pub credit_policy: String,
    /// A checkbox: present when ticked.
    pub is_active: Option<String>,
    /// Blank: after every plan (new) or where it is (edit).
    pub sort_order: String,
    pub stripe_product_id: String,
    pub stripe_price_id: String,
    pub paypal_plan_id: String,
}

impl PlanForm {
    /// A new plan's form, with the defaults filled in: offered at once, monthly in USD, one
    /// of each, no trial, credits reset.
    pub fn defaults() -> Self {
        Self {
            currency: "USD".to_owned(),
            billing_cycle: enum_text(&BillingCycle::Monthly),
            included_credits: "0".to_owned(),
            credits_per_month: "0".to_owned(),
            max_sites: "1".to_owned(),
            max_industries: "1".to_owned(),
            max_users: "1".to_owned(),
            trial_days: "0".to_owned(),
            credit_policy: enum_text(&CreditPolicy::Reset),
            is_active: Some("true".to_owned()),
            ..Self::default()
        }
    }
}

impl From<&plan::Model> for PlanForm {
    fn from(p: &plan::Model) -> Self {
        Self {
            slug: p.slug.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            // `29.00 ` without a currency: the currency has its own field.
            price: format_amount(p.price, "").trim_end().to_owned(),
            currency: p.currency.clone(),
            billing_cycle: enum_text(&p.billing_cycle),
            included_credits: p.included_credits.to_string(),
            credits_per_month: p.credits_per_month.to_string(),
            max_sites: p.max_sites.to_string(),
            max_industries: p.max_industries.to_string(),
            max_users: p.max_users.to_string(),
            trial_days: p.trial_days.to_string(),
            credit_policy: enum_text(&p.credit_policy),
            is_active: p.is_active.then(|| "true".to_owned()),
            sort_order: p.sort_order.to_string(),
            stripe_product_id: p.stripe_product_id.clone().unwrap_or_default(),
            stripe_price_id: p.stripe_price_id.clone().unwrap_or_default(),
            paypal_plan_id: p.paypal_plan_id.clone().unwrap_or_default(),
        }
    }
}

/// The numbers and choices of the form, read.
struct Read {
    price: i64,
    billing_cycle: BillingCycle,
    included_credits: i64,
    credits_per_month: i64,
    max_sites: i32,
    max_industries: i32,
    max_users: i32,
    trial_days: i32,
    credit_policy: CreditPolicy,
    sort_order: Option<i32>,
}

impl PlanForm {
    /// The billing cycles to choose from, and whether each is the one chosen.
    pub fn cycles(&self) -> Vec<(String, bool)> {
        options(&CYCLES, &self.billing_cycle)
    }

    /// The credit policies to choose from, and whether each is the one chosen.
    pub fn policies(&self) -> Vec<(String, bool)> {
        options(&POLICIES, &self.credit_policy)
    }

    /// The input for `admin::plans::create`, or what is not a number or a choice.
    pub fn new_plan(&self) -> Result<NewPlan, ValidationErrors> {
        let read = self.read()?;
        Ok(NewPlan {
            slug: self.slug.clone(),
            name: self.name.clone(),
            description: Some(self.description.clone()),
            price: read.price,
            currency: self.currency.clone(),
            billing_cycle: read.billing_cycle,
            included_credits: Some(read.included_credits),
            credits_per_month: Some(read.credits_per_month),
            max_sites: read.max_sites,
            max_industries: read.max_industries,
            max_users: read.max_users,
            trial_days: Some(read.trial_days),
            credit_policy: Some(read.credit_policy),
            is_active: Some(self.is_active.is_some()),
            sort_order: read.sort_order,
            stripe_product_id: Some(self.stripe_product_id.clone()),
            stripe_price_id: Some(self.stripe_price_id.clone()),
            paypal_plan_id: Some(self.paypal_plan_id.clone()),
        })
    }

    /// The input for `admin::plans::update`: every field as shown (a blank provider id
    /// clears it, a blank display order keeps it), or what is not a number or a choice.
    pub fn patch(&self) -> Result<PlanPatch, ValidationErrors> {
        let read = self.read()?;
        Ok(PlanPatch {
            slug: Some(self.slug.clone()),
            name: Some(self.name.clone()),
            description: Some(self.description.clone()),
            price: Some(read.price),
            currency: Some(self.currency.clone()),
            billing_cycle: Some(read.billing_cycle),
            included_credits: Some(read.included_credits),
            credits_per_month: Some(read.credits_per_month),
            max_sites: Some(read.max_sites),
            max_industries: Some(read.max_industries),
            max_users: Some(read.max_users),
            trial_days: Some(read.trial_days),
            credit_policy: Some(read.credit_policy),
            is_active: Some(self.is_active.is_some()),
            sort_order: read.sort_order,
            stripe_product_id: Some(Some(self.stripe_product_id.clone())),
            stripe_price_id: Some(Some(self.stripe_price_id.clone())),
            paypal_plan_id: Some(Some(self.paypal_plan_id.clone())),
        })
    }

    fn read(&self) -> Result<Read, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let price = if self.price.trim().is_empty() {
            errors.add("price", "Give a price, e.g. 29.00 (0 for a free plan).");
            None
        } else {
            let price = parse_amount(&self.price);
            if price.is_none() {
                errors.add(
                    "price",
                    "Give a price like 29.00: digits, at most two after the point.",
                );
            }
            price
        };
        let billing_cycle = choice(&mut errors, "billing_cycle", &CYCLES, &self.billing_cycle);
        let included_credits = parse_whole(&mut errors, "included_credits", &self.included_credits);
        let credits_per_month =
            parse_whole(&mut errors, "credits_per_month", &self.credits_per_month);
        let max_sites = parse_whole(&mut errors, "max_sites", &self.max_sites);
        let max_industries = parse_whole(&mut errors, "max_industries", &self.max_industries);
        let max_users = parse_whole(&mut errors, "max_users", &self.max_users);
        let trial_days = parse_whole(&mut errors, "trial_days", &self.trial_days);
        let credit_policy = choice(&mut errors, "credit_policy", &POLICIES, &self.credit_policy);
        let sort_order = match self.sort_order.trim() {
            "" => Some(None),
            text => parse_whole(&mut errors, "sort_order", text).map(Some),
        };
        match (
            price,
            billing_cycle,
            included_credits,
            credits_per_month,
            max_sites,
            max_industries,
            max_users,
            trial_days,
            credit_policy,
            sort_order,
        ) {
            (
                Some(price),
                Some(billing_cycle),
                Some(included_credits),
                Some(credits_per_month),
                Some(max_sites),
                Some(max_industries),
                Some(max_users),
                Some(trial_days),
                Some(credit_policy),
                Some(sort_order),
            ) => Ok(Read {
                price,
                billing_cycle,
                included_credits,
                credits_per_month,
                max_sites,
                max_industries,
                max_users,
                trial_days,
                credit_policy,
                sort_order,
            }),
            _ => Err(errors),
        }
    }
}

/// Every one of `values` as stored, and whether it is `chosen`.
fn options<E: Serialize>(values: &[E], chosen: &str) -> Vec<(String, bool)> {
    values
        .iter()
        .map(|value| {
            let text = enum_text(value);
            let selected = text == chosen;
            (text, selected)
        })
        .collect()
}

/// `text` as one of `values` (snake_case, as stored); otherwise a message listing them.
fn choice<E: Serialize + DeserializeOwned>(
    errors: &mut ValidationErrors,
    field: &str,
    values: &[E],
    text: &str,
) -> Option<E> {
    let chosen = serde_json::from_value(serde_json::Value::String(text.trim().to_owned())).ok();
    if chosen.is_none() {
        let names: Vec<String> = values.iter().map(enum_text).collect();
        errors.add(field, format!("Choose one of: {}.", names.join(", ")));
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> PlanForm {
        PlanForm {
            slug: "pro".to_owned(),
            name: "Pro".to_owned(),
            price: "29.5".to_owned(),
            billing_cycle: "annual".to_owned(),
            credit_policy: "add".to_owned(),
            sort_order: " 35 ".to_owned(),
            ..PlanForm::defaults()
        }
    }

    #[test]
    fn a_filled_form_becomes_the_cores_input() {
        let new = filled().new_plan().expect("readable");
        assert_eq!(new.price, 2_950);
        assert_eq!(new.billing_cycle, BillingCycle::Annual);
        assert_eq!(new.credit_policy, Some(CreditPolicy::Add));
        assert_eq!(new.sort_order, Some(35));
        assert_eq!(new.is_active, Some(true));
        let patch = PlanForm {
            sort_order: String::new(),
            is_active: None,
            ..filled()
        }
        .patch()
        .expect("readable");
        assert_eq!(patch.sort_order, None);
        assert_eq!(patch.is_active, Some(false));
        // A submission without the checkbox (or any other field) reads them as blank.
        let submitted: PlanForm = serde_urlencoded::from_str("name=Pro").expect("form");
        assert_eq!(submitted.is_active, None);
        assert_eq!(submitted.currency, "");
        assert_eq!(patch.stripe_price_id, Some(Some(String::new())));
    }

    #[test]
    fn numbers_and_choices_that_are_not_are_refused_field_by_field() {
        let form = PlanForm {
            price: "29.005".to_owned(),
            billing_cycle: "weekly".to_owned(),
            max_sites: "five".to_owned(),
            trial_days: String::new(),
            sort_order: "1.5".to_owned(),
            ..filled()
        };
        let errors = form.new_plan().expect_err("refused");
        let fields: Vec<&String> = errors.fields().keys().collect();
        assert_eq!(
            fields,
            [
                "billing_cycle",
                "max_sites",
                "price",
                "sort_order",
                "trial_days"
            ]
        );
        assert_eq!(
            errors.fields()["billing_cycle"],
            ["Choose one of: monthly, annual."]
        );
        let blank = PlanForm::defaults().patch().expect_err("no price");
        assert!(blank.fields()["price"][0].contains("29.00"));
    }

    #[test]
    fn a_stored_plan_fills_the_form_and_reads_back_unchanged() {
        let now = chrono::Utc::now();
        let stored = plan::Model {
            id: 7,
            slug: "agency".to_owned(),
            name: "Agency".to_owned(),
            description: "For agencies.".to_owned(),
            price: 199_005,
            currency: "EUR".to_owned(),
            billing_cycle: BillingCycle::Annual,
            included_credits: 5_000,
            credits_per_month: 0,
            max_sites: 20,
            max_industries: 10,
            max_users: 8,
            trial_days: 14,
            credit_policy: CreditPolicy::Add,
            is_active: false,
            sort_order: 40,
            stripe_product_id: None,
            stripe_price_id: Some("price_9".to_owned()),
            paypal_plan_id: None,
            created_at: now,
            updated_at: now,
        };
        let form = PlanForm::from(&stored);
        assert_eq!(form.price, "1990.05");
        assert_eq!(
            form.cycles(),
            [("monthly".to_owned(), false), ("annual".to_owned(), true)]
        );
        let patch = form.patch().expect("readable");
        assert_eq!(patch.price, Some(199_005));
        assert_eq!(patch.billing_cycle, Some(BillingCycle::Annual));
        assert_eq!(patch.credit_policy, Some(CreditPolicy::Add));
        assert_eq!(patch.is_active, Some(false));
        assert_eq!(patch.sort_order, Some(40));
        assert_eq!(patch.stripe_price_id, Some(Some("price_9".to_owned())));
    }
}
