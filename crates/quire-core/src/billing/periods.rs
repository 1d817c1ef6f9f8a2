//! Calendar-aware billing periods: month and year steps from an anchor, renewals, annual monthly grants.
//!
//! Every period boundary is computed from the subscription's *anchor* (the start of its first
//! paid period) and a period index, never by chaining one end into the next: a subscription
//! anchored on 31 January ends its periods on 28/29 February, 31 March, 30 April, 31 May…
//! Chaining would drift to the 28th forever after February. Month steps use
//! [`chrono::Months`], which keeps the day and clamps it to the last day of a shorter month, and
//! keep the time of day; everything is UTC, so daylight saving never moves a boundary.

use crate::entities::enums::BillingCycle;
use chrono::{DateTime, Months, SubsecRound, Utc};

/// How many calendar months one period of `cycle` lasts.
pub const fn cycle_months(cycle: BillingCycle) -> u32 {
    match cycle {
        BillingCycle::Monthly => 1,
        BillingCycle::Annual => 12,
    }
}

/// `start` plus one period of `cycle`: 31 January plus a month is 28 (or 29) February, and
/// 29 February plus a year is 28 February. Use [`period_end`] for a subscription's later periods.
///
/// # Panics
///
/// Beyond chrono's range (the year 262 143).
pub fn add_cycle(start: DateTime<Utc>, cycle: BillingCycle) -> DateTime<Utc> {
    period_end(start, cycle, 1)
}

/// The end of the `n`-th period after `anchor` (= the start of period `n`): `anchor` plus `n`
/// cycles in one step, so the day of month is `min(anchor's day, days in that month)`.
///
/// # Panics
///
/// Beyond chrono's range (the year 262 143).
pub fn period_end(anchor: DateTime<Utc>, cycle: BillingCycle, n: u32) -> DateTime<Utc> {
    checked_period_end(anchor, cycle, n).expect("a billing period beyond chrono's date range")
}

fn checked_period_end(anchor: DateTime<Utc>, cycle: BillingCycle, n: u32) -> Option<DateTime<Utc>> {
    let months = n.checked_mul(cycle_months(cycle))?;
    anchor.checked_add_months(Months::new(months))
}

/// A subscription period: `start = period_end(anchor, cycle, index)`,
/// `end = period_end(anchor, cycle, index + 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The instant every boundary is counted from; store it on the subscription.
    pub anchor: DateTime<Utc>,
    pub index: u32,
}

impl Period {
    /// Period `index` of a subscription anchored at `anchor`.
    ///
    /// # Panics
    ///
    /// Beyond chrono's range (the year 262 143).
    pub fn nth(anchor: DateTime<Utc>, cycle: BillingCycle, index: u32) -> Self {
        let end = index
            .checked_add(1)
            .and_then(|next| checked_period_end(anchor, cycle, next))
            .expect("a billing period beyond chrono's date range");
        Self {
            start: period_end(anchor, cycle, index),
            end,
            anchor,
            index,
        }
    }

    /// The first period of a subscription activated at `now`, anchored on the whole second.
    pub fn starting(now: DateTime<Utc>, cycle: BillingCycle) -> Self {
        Self::nth(now.trunc_subsecs(0), cycle, 0)
    }
}

/// The period a confirmed payment activates (SPEC F4).
///
/// - No current period (`current_end` is `None`): a first activation, starting `now`.
/// - Otherwise the renewal starts at the old period end, and ends one cycle later counted from
///   the anchor: the period after `current_end` on the anchor's grid.
/// - `anchor` is `None`, or `current_end` is not on its grid for `cycle` (a subscription from
///   before anchors were stored, or one that switched between monthly and annual): the
///   renewal still starts at `current_end`, which becomes the new anchor.
/// - Lapsed: when that renewal would already be over at `now` (the account went unpaid for a
///   whole cycle), the subscription starts afresh at `now` with a new anchor, so a payment
///   always buys a period that is still running.
///
/// Prepaying is allowed: with `current_end` in the future, the renewal starts there.
///
/// # Panics
///
/// Beyond chrono's range (the year 262 143).
pub fn renewal_period(
    current_end: Option<DateTime<Utc>>,
    anchor: Option<DateTime<Utc>>,
    cycle: BillingCycle,
    now: DateTime<Utc>,
) -> Period {
    let Some(end) = current_end else {
        return Period::starting(now, cycle);
    };
    let renewal = match anchor.and_then(|anchor| grid_index(anchor, cycle, end)) {
        Some((anchor, index)) => Period::nth(anchor, cycle, index),
        None => Period::nth(end, cycle, 0),
    };
    if renewal.end <= now {
        Period::starting(now, cycle)
    } else {
        renewal
    }
}

/// The index `k` with `period_end(anchor, cycle, k) == at`, if `at` is on the anchor's grid.
fn grid_index(
    anchor: DateTime<Utc>,
    cycle: BillingCycle,
    at: DateTime<Utc>,
) -> Option<(DateTime<Utc>, u32)> {
    let months = months_between(anchor, at);
    let per = i64::from(cycle_months(cycle));
    if months < 0 || months % per != 0 {
        return None;
    }
    let index = u32::try_from(months / per).ok()?;
    (checked_period_end(anchor, cycle, index)? == at).then_some((anchor, index))
}

/// Whole calendar months from `from`'s month to `to`'s month, ignoring days.
fn months_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    use chrono::Datelike;
    (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month())
        - i64::from(from.month())
}

/// One monthly credit grant of an annual plan: month `index` after the anchor, due `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyGrant {
    pub index: u32,
    pub at: DateTime<Utc>,
}

/// The monthly grants of an annual subscription that are due at `now` and not yet given.
///
/// Grant `k` falls at `anchor + k months` (same day-of-month clamping as the periods). Every
/// twelfth month (`k = 12, 24, …`) is a renewal, whose credits come with its payment, so only
/// `k = 1..=11` of each annual period are monthly grants. A grant is due when `at <= now` and
/// it falls inside the paid time, `at < paid_through` (the current period end): nothing is
/// granted past the end, whether the subscription lapsed or was cancelled at period end.
///
/// Missed grants accumulate: a billing job that was down for three months gets all three,
/// oldest first, each with its own [`annual_grant_key`], so retries and concurrent runs grant
/// each one once. `last_granted` is the last index given for *this* anchor (`None` when none
/// yet); when a renewal re-anchors the subscription, counting starts again from `None`.
pub fn monthly_grants_due(
    anchor: DateTime<Utc>,
    paid_through: DateTime<Utc>,
    last_granted: Option<u32>,
    now: DateTime<Utc>,
) -> Vec<MonthlyGrant> {
    let first = match last_granted {
        None => Some(1),
        Some(last) => last.checked_add(1),
    };
    let mut due = Vec::new();
    let Some(first) = first else {
        return due;
    };
    for index in first..=u32::MAX {
        let Some(at) = checked_period_end(anchor, BillingCycle::Monthly, index) else {
            break;
        };
        if at > now || at >= paid_through {
            break;
        }
        if index % cycle_months(BillingCycle::Annual) != 0 {
            due.push(MonthlyGrant { index, at });
        }
    }
    due
}

/// The ledger idempotency key of monthly grant `index` of the subscription anchored at `anchor`:
/// `annual-grant:{subscription_id}:{anchor, to the second}:{index}`. The anchor is part of
/// the key because a lapsed subscription is re-anchored and counts its months from 1 again.
pub fn annual_grant_key(subscription_id: i64, anchor: DateTime<Utc>, index: u32) -> String {
    format!(
        "annual-grant:{subscription_id}:{}:{index}",
        anchor.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

#[cfg(test)]
mod tests;
