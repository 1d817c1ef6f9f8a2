//! The billing job (SPEC F5): one pass over the subscriptions that may have something due, run
//! on a schedule inside `quire serve` by one node at a time (a lease row), or on demand by
//! `quire billing run`.
//!
//! A pass is idempotent and safe to run twice at once: every transition is made by
//! [`lifecycle::step`] under the account's lock after re-reading the subscription, so the
//! second run finds nothing left to do. The lease only spares the other nodes the work.

use super::{
    apply::apply_payment,
    lifecycle::{self, Step, Transition},
};
use crate::{
    Error, Quire,
    db::{self, Db},
    entities::{
        enums::{BillingCycle, SubscriptionStatus},
        plan, scheduler_lease, subscription,
    },
    notifications::deliver,
};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::watch;

/// The lease the scheduled billing job runs under.
pub const LEASE_NAME: &str = "billing";

/// Steps one subscription may take in one pass (a long-unpaid one goes past due, then is
/// suspended, in the same pass); a bound, not a number ever expected.
const MAX_STEPS_PER_SUBSCRIPTION: usize = 8;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Subscriptions looked at.
    pub examined: usize,
    /// Transitions made, by [`Transition::name`] (free renewals count once applied).
    pub transitions: BTreeMap<&'static str, u32>,
    /// Subscriptions whose step failed; they are tried again on the next pass.
    pub failures: u32,
}

impl Report {
    /// How many transitions of `name` the pass made.
    pub fn count(&self, name: &str) -> u32 {
        self.transitions.get(name).copied().unwrap_or(0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} subscriptions examined", self.examined)?;
        for (name, count) in &self.transitions {
            write!(f, ", {name}: {count}")?;
        }
        write!(f, ", failures: {}", self.failures)
    }
}

/// One pass at the Quire clock's `now`: every due transition, then the emails they call for.
pub async fn run_once(quire: &Quire) -> Result<Report, Error> {
    let now = quire.clock.now();
    let mut report = Report::default();
    for id in candidates(quire, now).await? {
        advance_all(quire, id, now, &mut report).await;
    }
    Ok(report)
}

/// Subscription `id` alone, as a pass at the Quire clock's `now` would take it, whether or
/// not a pass would pick it: every due transition, then its emails (an operator's "run
/// billing now" after editing its dates). `NotFound` when there is no such subscription.
pub async fn run_for_subscription(quire: &Quire, id: i64) -> Result<Report, Error> {
    subscription::Entity::find_by_id(id)
        .one(&quire.db)
        .await?
        .ok_or(Error::NotFound)?;
    let mut report = Report::default();
    advance_all(quire, id, quire.clock.now(), &mut report).await;
    Ok(report)
}

/// Steps subscription `id` until nothing is due, counting into `report`; a failed step is
/// logged and counted, and left for the next pass.
async fn advance_all(quire: &Quire, id: i64, now: DateTime<Utc>, report: &mut Report) {
    report.examined += 1;
    for _ in 0..MAX_STEPS_PER_SUBSCRIPTION {
        match advance(quire, id, now).await {
            Ok(Some(name)) => *report.transitions.entry(name).or_default() += 1,
            Ok(None) => break,
            Err(error) => {
                tracing::error!(subscription_id = id, %error, "billing step failed");
                report.failures += 1;
                break;
            }
        }
    }
}

/// One step of subscription `id`, its emails sent; the transition's name, if one was made.
async fn advance(
    quire: &Quire,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<&'static str>, Error> {
    let Some(Step {
        transition,
        account_id,
        emails,
    }) = lifecycle::step(quire, id, now).await?
    else {
        return Ok(None);
    };
    if let Transition::FreeRenewalDue { payment_id } = transition {
        // The same path as a paid renewal. A concurrent run that applied it first made the
        // renewal: this run made none, and does not report one.
        match apply_payment(&quire.db, payment_id, lifecycle::ACTOR, None, now).await {
            Ok(_) => {}
            Err(Error::Conflict(_)) => return Ok(None),
            Err(other) => return Err(other),
        }
    }
    for (plan_id, kind) in emails {
        deliver::to_account(quire, account_id, plan_id, kind).await;
    }
    Ok(Some(transition.name()))
}

/// Subscriptions that may have something due at `now`: running ones near or past their
/// period's end, past-due ones, and active annual ones (monthly grants).
async fn candidates(quire: &Quire, now: DateTime<Utc>) -> Result<Vec<i64>, Error> {
    let notice = TimeDelta::days(i64::from(quire.settings.billing.renewal_notice_days));
    let annual_plans: Vec<i64> = plan::Entity::find()
        .select_only()
        .column(plan::Column::Id)
        .filter(plan::Column::BillingCycle.eq(BillingCycle::Annual))
        .into_tuple()
        .all(&quire.db)
        .await?;
    let running = [SubscriptionStatus::Active, SubscriptionStatus::Trialing];
    Ok(subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Id)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(subscription::Column::Status.is_in(running))
                        .add(subscription::Column::CurrentPeriodEnd.lte(now + notice)),
                )
                .add(subscription::Column::Status.eq(SubscriptionStatus::PastDue))
                .add(
                    Condition::all()
                        .add(subscription::Column::Status.eq(SubscriptionStatus::Active))
                        .add(subscription::Column::PlanId.is_in(annual_plans)),
                ),
        )
        .order_by_asc(subscription::Column::Id)
        .into_tuple()
        .all(&quire.db)
        .await?)
}

/// Takes (or renews) lease `name` for `holder` until `now + ttl`, unless another holder's
/// lease is still running. Leases use the real time, whatever the billing clock says.
pub async fn try_lease(db: &Db, name: &str, holder: &str, ttl: Duration) -> Result<bool, Error> {
    let now = Utc::now();
    let until = now + TimeDelta::from_std(ttl).unwrap_or(TimeDelta::MAX);
    let created = scheduler_lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        lease_until: Set(until),
        acquired_at: Set(now),
    }
    .insert(db)
    .await;
    match created {
        Ok(_) => return Ok(true),
        Err(error) if db::is_unique_violation(&error) => {}
        Err(error) => return Err(error.into()),
    }
    let taken = scheduler_lease::Entity::update_many()
        .col_expr(scheduler_lease::Column::Holder, Expr::value(holder))
        .col_expr(scheduler_lease::Column::LeaseUntil, Expr::value(until))
        .col_expr(scheduler_lease::Column::AcquiredAt, Expr::value(now))
        .filter(scheduler_lease::Column::Name.eq(name))
        .filter(
            Condition::any()
                .add(scheduler_lease::Column::Holder.eq(holder))
                .add(scheduler_lease::Column::LeaseUntil.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Gives lease `name` up if `holder` has it, so another node may take it at once.
pub async fn release_lease(db: &Db, name: &str, holder: &str) -> Result<(), Error> {
    scheduler_lease::Entity::update_many()
        .col_expr(
            scheduler_lease::Column::LeaseUntil,
            Expr::value(DateTime::<Utc>::UNIX_EPOCH),
        )
        .filter(scheduler_lease::Column::Name.eq(name))
        .filter(scheduler_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// One scheduled pass: runs only while this node holds the billing lease.
pub async fn run_if_leader(quire: &Quire, holder: &str) -> Result<Option<Report>, Error> {
    let ttl = lease_ttl(quire);
    if !try_lease(&quire.db, LEASE_NAME, holder, ttl).await? {
        return Ok(None);
    }
    run_once(quire).await.map(Some)
}

/// A pass may take a while; the lease outlives several intervals so a slow pass keeps it.
fn lease_ttl(quire: &Quire) -> Duration {
    Duration::from_secs(
        quire
            .settings
            .billing
            .interval_seconds
            .saturating_mul(3)
            .max(30),
    )
}

/// A name for this process's lease: host, process id and a random part.
pub fn holder_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "quire".to_owned());
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Runs the billing job every `billing.interval_seconds` until `stopped` turns true, then
/// gives the lease up.
pub fn spawn_scheduler(
    quire: Arc<Quire>,
    mut stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let holder = holder_name();
        let interval = Duration::from_secs(quire.settings.billing.interval_seconds);
        loop {
            match run_if_leader(&quire, &holder).await {
                Ok(Some(report)) if !report.transitions.is_empty() || report.failures > 0 => {
                    tracing::info!(%report, "billing job ran");
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "billing job failed; retrying next time"),
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stopped.wait_for(|stop| *stop) => break,
            }
        }
        if let Err(error) = release_lease(&quire.db, LEASE_NAME, &holder).await {
            tracing::warn!(%error, "could not release the billing lease");
        }
    })
}
