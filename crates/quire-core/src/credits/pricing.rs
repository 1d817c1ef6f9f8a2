//! Pricing: what a model call costs us (USD from the model-rate table) and what it charges the
//! tenant (credits per 1k tokens, at least the operation's minimum, or a flat price).
//! Defaults come from configuration and are written into empty tables, where operators
//! change them.

use crate::{
    config::{ModelRateSettings, OperationPriceSettings, PricingSettings},
    db::Db,
    entities::{model_rate, operation_price},
};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, Set};

/// The rate row used for a model that has none of its own.
pub const DEFAULT_MODEL: &str = "*";

/// The rates that apply to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub input_micro_usd_per_million: i64,
    pub output_micro_usd_per_million: i64,
    pub millicredits_per_1k_tokens: i64,
    pub min_credits: i64,
    pub flat_credits: Option<i64>,
}

fn ceil_div(numerator: i128, denominator: i128) -> i64 {
    let quotient = (numerator + denominator - 1).div_euclid(denominator);
    i64::try_from(quotient).unwrap_or(i64::MAX)
}

impl Price {
    /// `ceil(total_tokens / 1000 × credits_per_1k)`, at least the minimum; or the flat price.
    pub fn credits(&self, input_tokens: i64, output_tokens: i64) -> i64 {
        if let Some(flat) = self.flat_credits {
            return flat;
        }
        let tokens = i128::from(input_tokens.max(0)) + i128::from(output_tokens.max(0));
        let metered = ceil_div(
            tokens * i128::from(self.millicredits_per_1k_tokens),
            1_000_000,
        );
        metered.max(self.min_credits)
    }

    /// Our cost in millionths of a dollar, rounded up.
    pub fn cost_micro_usd(&self, input_tokens: i64, output_tokens: i64) -> i64 {
        ceil_div(
            i128::from(input_tokens.max(0)) * i128::from(self.input_micro_usd_per_million)
                + i128::from(output_tokens.max(0)) * i128::from(self.output_micro_usd_per_million),
            1_000_000,
        )
    }
}

/// The price of `operation` on `model` (falling back to the `*` rate, then to zero cost and
/// one credit per 1k tokens when even that is missing).
pub async fn price(
    conn: &impl ConnectionTrait,
    model: &str,
    operation: &str,
) -> Result<Price, DbErr> {
    let rate = match model_rate::Entity::find_by_id(model.to_owned())
        .one(conn)
        .await?
    {
        Some(rate) => Some(rate),
        None => {
            model_rate::Entity::find_by_id(DEFAULT_MODEL.to_owned())
                .one(conn)
                .await?
        }
    };
    let op = operation_price::Entity::find_by_id(operation.to_owned())
        .one(conn)
        .await?;
    Ok(Price {
        input_micro_usd_per_million: rate.as_ref().map_or(0, |r| r.input_micro_usd_per_million),
        output_micro_usd_per_million: rate.as_ref().map_or(0, |r| r.output_micro_usd_per_million),
        millicredits_per_1k_tokens: rate
            .as_ref()
            .map_or(1_000, |r| r.millicredits_per_1k_tokens),
        min_credits: op.as_ref().map_or(1, |o| o.min_credits),
        flat_credits: op.and_then(|o| o.flat_credits),
    })
}

/// The credits to reserve before calling the model: the request's prompt tokens (counted
/// with the real tokenizer) plus its output cap, priced for the configured model.
pub async fn estimate(
    conn: &impl ConnectionTrait,
    model: &str,
    request: &crate::ai::ChatRequest,
) -> Result<i64, DbErr> {
    let tokens = crate::ai::tokens::estimate_request_tokens(request);
    Ok(price(conn, model, &request.operation)
        .await?
        .credits(tokens, 0))
}

/// The estimates of several planned calls, added up (an operation that makes many calls).
pub async fn estimate_all(
    conn: &impl ConnectionTrait,
    model: &str,
    requests: &[crate::ai::ChatRequest],
) -> Result<i64, DbErr> {
    let mut total = 0_i64;
    for request in requests {
        total = total.saturating_add(estimate(conn, model, request).await?);
    }
    Ok(total)
}

/// Writes the configured rates and prices into empty tables (first start).
pub async fn seed_if_empty(db: &Db, settings: &PricingSettings) -> Result<(), DbErr> {
    let now = Utc::now();
    if model_rate::Entity::find().count(db).await? == 0 && !settings.models.is_empty() {
        let rows = settings
            .models
            .iter()
            .map(|m: &ModelRateSettings| model_rate::ActiveModel {
                model: Set(m.model.clone()),
                input_micro_usd_per_million: Set(m.input_micro_usd_per_million),
                output_micro_usd_per_million: Set(m.output_micro_usd_per_million),
                millicredits_per_1k_tokens: Set(m.millicredits_per_1k_tokens),
                created_at: Set(now),
                updated_at: Set(now),
            });
        insert_ignoring_races(model_rate::Entity::insert_many(rows).exec(db).await)?;
    }
    if operation_price::Entity::find().count(db).await? == 0 && !settings.operations.is_empty() {
        let rows = settings
            .operations
            .iter()
            .map(|o: &OperationPriceSettings| operation_price::ActiveModel {
                operation: Set(o.operation.clone()),
                min_credits: Set(o.min_credits),
                flat_credits: Set(o.flat_credits),
                created_at: Set(now),
                updated_at: Set(now),
            });
        insert_ignoring_races(operation_price::Entity::insert_many(rows).exec(db).await)?;
    }
    Ok(())
}

/// Another node seeding at the same instant wins; that is fine.
fn insert_ignoring_races<T>(result: Result<T, DbErr>) -> Result<(), DbErr> {
    match result {
        Err(err) if crate::db::is_unique_violation(&err) => Ok(()),
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn price(milli: i64, min: i64) -> Price {
        Price {
            input_micro_usd_per_million: 150_000,
            output_micro_usd_per_million: 600_000,
            millicredits_per_1k_tokens: milli,
            min_credits: min,
            flat_credits: None,
        }
    }

    #[test]
    fn credits_round_up_per_thousand_tokens() {
        // 1,001 tokens at 1 credit per 1k → 2 credits.
        assert_eq!(price(1_000, 0).credits(1_000, 1), 2);
        assert_eq!(price(1_000, 0).credits(600, 400), 1);
        // 0.5 credit per 1k: 3,000 tokens → 1.5 → 2.
        assert_eq!(price(500, 0).credits(2_000, 1_000), 2);
        // The operation's minimum wins over a small call.
        assert_eq!(price(1_000, 3).credits(10, 10), 3);
    }

    #[test]
    fn a_flat_price_ignores_tokens() {
        let mut flat = price(1_000, 0);
        flat.flat_credits = Some(4);
        assert_eq!(flat.credits(1_000_000, 1_000_000), 4);
    }

    #[test]
    fn cost_uses_the_per_million_rates() {
        // 1M input at $0.15 and 1M output at $0.60 → $0.75.
        assert_eq!(
            price(1_000, 0).cost_micro_usd(1_000_000, 1_000_000),
            750_000
        );
        // 1 input token → 0.15 micro-dollars, rounded up.
        assert_eq!(price(1_000, 0).cost_micro_usd(1, 0), 1);
        assert_eq!(price(1_000, 0).cost_micro_usd(0, 0), 0);
    }

    proptest! {
        #[test]
        fn credits_are_never_below_the_minimum_nor_the_exact_share(
            input in 0i64..10_000_000, output in 0i64..10_000_000,
            milli in 0i64..100_000, min in 0i64..100,
        ) {
            let credits = price(milli, min).credits(input, output);
            prop_assert!(credits >= min);
            let exact = (i128::from(input + output) * i128::from(milli)) as f64 / 1e6;
            prop_assert!(credits as f64 >= exact - 1e-9);
            prop_assert!((credits as f64) < exact + 1.0 || credits == min);
        }
    }
}
