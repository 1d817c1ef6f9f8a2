//! What the catalogue offers and in which order: activating and deactivating a plan, and
//! renumbering the display order.

use super::{
    super::change::{Change, record},
    get,
};
use crate::{
    Error, ValidationErrors,
    db::{Db, begin_write},
    entities::plan,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The step between the sort orders `reorder` gives: 10, 20, 30…
const SORT_STEP: i32 = 10;

/// Offers the plan (`true`) or withdraws it (`false`). A withdrawn plan leaves the pricing
/// list and sign-up, and every account on it is refused with 402 at login and on each request
/// until the plan is active again. Setting the state it already has changes nothing and is
/// not audited.
pub async fn set_active(
    db: &Db,
    operator_id: i64,
    id: i64,
    active: bool,
    now: DateTime<Utc>,
) -> Result<plan::Model, Error> {
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    if current.is_active == active {
        return Ok(current);
    }
    let mut row: plan::ActiveModel = current.into();
    row.is_active = Set(active);
    row.updated_at = Set(now);
    let changed = row.update(&txn).await?;
    record(
        &txn,
        Change {
            operator_id,
            action: if active {
                "plan.activated"
            } else {
                "plan.deactivated"
            },
            object_type: "plan",
            object_id: Some(id),
            before: Some(json!({"is_active": !active})),
            after: Some(json!({"is_active": active})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(changed)
}

/// The display order: these plans first, in this order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PlanOrder {
    /// Every id must be a plan, once. Plans not listed follow, in their present order.
    pub plan_ids: Vec<i64>,
}

/// Renumbers every plan's `sort_order` 10, 20, 30…: the listed plans first in the given
/// order, then the others in their present order. Answers every plan in the new order.
pub async fn reorder(
    db: &Db,
    operator_id: i64,
    order: PlanOrder,
    now: DateTime<Utc>,
) -> Result<Vec<plan::Model>, Error> {
    if order.plan_ids.is_empty() {
        return Err(plan_ids_error("List at least one plan id.".to_owned()));
    }
    let txn = begin_write(db).await?;
    let plans = plan::Entity::find()
        .order_by_asc(plan::Column::SortOrder)
        .order_by_asc(plan::Column::Id)
        .all(&txn)
        .await?;
    let known: HashSet<i64> = plans.iter().map(|p| p.id).collect();
    let mut seen = HashSet::new();
    let repeated: Vec<String> = order
        .plan_ids
        .iter()
        .filter(|id| !seen.insert(**id))
        .map(i64::to_string)
        .collect();
    let unknown: Vec<String> = order
        .plan_ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(i64::to_string)
        .collect();
    let mut errors = Vec::new();
    if !unknown.is_empty() {
        errors.push(format!("No such plans: {}.", unknown.join(", ")));
    }
    if !repeated.is_empty() {
        errors.push(format!("Listed more than once: {}.", repeated.join(", ")));
    }
    if !errors.is_empty() {
        return Err(plan_ids_error(errors.join(" ")));
    }

    let before: Vec<_> = plans.iter().map(|p| json!([p.id, p.sort_order])).collect();
    let mut by_id: HashMap<i64, plan::Model> = plans.iter().map(|p| (p.id, p.clone())).collect();
    let listed = order.plan_ids.iter().copied();
    let rest = plans.iter().map(|p| p.id).filter(|id| !seen.contains(id));
    let mut reordered = Vec::with_capacity(plans.len());
    for (position, id) in (1..).zip(listed.chain(rest)) {
        let Some(plan) = by_id.remove(&id) else {
            continue;
        };
        let sort_order = position * SORT_STEP;
        reordered.push(if plan.sort_order == sort_order {
            plan
        } else {
            let mut row: plan::ActiveModel = plan.into();
            row.sort_order = Set(sort_order);
            row.updated_at = Set(now);
            row.update(&txn).await?
        });
    }
    let after: Vec<_> = reordered
        .iter()
        .map(|p| json!([p.id, p.sort_order]))
        .collect();
    record(
        &txn,
        Change {
            operator_id,
            action: "plan.reordered",
            object_type: "plan",
            object_id: None,
            before: Some(json!({"order": before})),
            after: Some(json!({"order": after})),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(reordered)
}

fn plan_ids_error(message: String) -> Error {
    Error::Validation(ValidationErrors::single("plan_ids", message))
}
