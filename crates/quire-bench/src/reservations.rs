//! Credit reservations per second, in-process through the core: each operation queues a job
//! and holds its credits in one transaction (the path every AI operation takes), on one
//! account under contention and spread across many; then one account is drained to check
//! that contention never overdraws it.

use crate::load::{self, Report, Row, closed_loop};
use anyhow::Context;
use quire_core::{
    Error, Quire,
    accounts::{
        principal::Tenant,
        register::{self, Registration},
    },
    config::Settings,
    credits::ledger::{self, Entry},
    entities::{account, enums::CreditKind, plan},
    jobs::queue::{self, NewJob},
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Credits the drained account holds; it gets half as many attempts again.
const DRAIN_CREDITS: i64 = 2_000;

/// The rows the targets are checked against.
pub struct Reservations {
    pub one_account: Row,
    pub drain: Drain,
}

/// One account with `credits` hammered by `attempts` one-credit reservations.
pub struct Drain {
    pub credits: i64,
    pub attempts: u64,
    pub reserved: u64,
    pub balance: i64,
}

impl Drain {
    /// Every credit was reserved once, none twice, and the balance ends at zero.
    pub fn holds(&self) -> bool {
        i64::try_from(self.reserved).ok() == Some(self.credits) && self.balance == 0
    }
}

pub async fn run(
    backend: Backend,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Reservations> {
    let database = TestDatabase::create(backend).await;
    let settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: u32::try_from(connections).unwrap_or(16),
        ..Settings::default()
    };
    let quire = Arc::new(Quire::open(settings).await?);
    let mut tenants = Vec::with_capacity(connections);
    for n in 0..connections {
        tenants.push(Arc::new(tenant(&quire, n, 100_000_000).await?));
    }

    let one = tenants[0].clone();
    let report = reserve_loop(&quire, connections, duration, move |_| one.clone()).await;
    let one_account = report.row("reserve: one account", None, None);
    one_account.print();
    let many = tenants.clone();
    let report = reserve_loop(&quire, connections, duration, move |i| {
        many[i % many.len()].clone()
    })
    .await;
    report
        .row(format!("reserve: {} accounts", tenants.len()), None, None)
        .print();
    let drain = drain(&quire, connections).await?;
    Ok(Reservations { one_account, drain })
}

async fn reserve_loop(
    quire: &Arc<Quire>,
    connections: usize,
    duration: Duration,
    pick: impl Fn(usize) -> Arc<Tenant> + Clone + Send + Sync + 'static,
) -> Report {
    let quire = quire.clone();
    closed_loop(connections, duration, move |i| {
        let quire = quire.clone();
        let tenant = pick(i);
        async move { reserve_one(&quire, &tenant).await.is_ok() }
    })
    .await
}

/// Queues a job holding one credit.
async fn reserve_one(quire: &Quire, tenant: &Tenant) -> Result<(), Error> {
    let job = NewJob {
        kind: "bench".to_owned(),
        input: serde_json::json!({}),
        reserve: 1,
    };
    queue::enqueue(quire, tenant, job, 1).await.map(|_| ())
}

/// Drains an account of [`DRAIN_CREDITS`] with 1.5 times as many reservations over
/// `connections`; prints the row.
async fn drain(quire: &Arc<Quire>, connections: usize) -> anyhow::Result<Drain> {
    let tenant = Arc::new(tenant(quire, connections, DRAIN_CREDITS).await?);
    let attempts = u64::try_from(DRAIN_CREDITS + DRAIN_CREDITS / 2)?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (quire, tenant, next) = (quire.clone(), tenant.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let (mut latencies, mut refused, mut errors) = (load::histogram(), 0u64, 0u64);
            while next.fetch_add(1, Ordering::Relaxed) < attempts {
                let sent = Instant::now();
                match reserve_one(&quire, &tenant).await {
                    Ok(()) => load::record(&mut latencies, sent.elapsed()),
                    Err(Error::InsufficientCredits { .. }) => refused += 1,
                    Err(_) => errors += 1,
                }
            }
            (latencies, refused, errors)
        }));
    }
    let mut report = Report {
        latencies: load::histogram(),
        errors: 0,
        elapsed: Duration::ZERO,
    };
    let mut refused = 0;
    for worker in workers {
        let (latencies, worker_refused, errors) = worker.await?;
        let _ = report.latencies.add(latencies);
        refused += worker_refused;
        report.errors += errors;
    }
    report.elapsed = started.elapsed();
    let balance = account::Entity::find_by_id(tenant.account.id)
        .one(&quire.db)
        .await?
        .context("the drained account vanished")?
        .credits;
    let drain = Drain {
        credits: DRAIN_CREDITS,
        attempts,
        reserved: report.latencies.len(),
        balance,
    };
    let mut row = report.row("reserve: one account until it is empty", None, None);
    // The refusals are the expected answer once the balance is spent, not errors.
    row.per_second =
        Some((drain.reserved + refused + report.errors) as f64 / report.elapsed.as_secs_f64());
    row.with_note(format!(
        "{} credits, {} attempts: {} reserved, {refused} refused, balance {}",
        drain.credits, drain.attempts, drain.reserved, drain.balance
    ))
    .print();
    Ok(drain)
}

/// A tenant on the free plan whose balance is exactly `credits`.
async fn tenant(quire: &Quire, n: usize, credits: i64) -> anyhow::Result<Tenant> {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await?
        .context("no free plan")?;
    let registered = register::register(
        quire,
        Registration {
            email: format!("reserve{n}@example.com"),
            password: crate::fixture::PASSWORD.to_owned(),
            name: format!("Reserve {n}"),
            plan_id: Some(free.id),
            ..Registration::default()
        },
    )
    .await?;
    let txn = quire.db.begin().await?;
    ledger::apply(
        &txn,
        Entry {
            account_id: registered.account.id,
            amount: credits - registered.account.credits,
            kind: CreditKind::Adjustment,
            idempotency_key: "bench-funding".to_owned(),
            actor: "bench".to_owned(),
            operation: None,
            payment_id: None,
            note: Some("quire-bench".to_owned()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Tenant {
        user: registered.user,
        account: registered.account,
        plan: registered.plan,
        session_id: String::new(),
    })
}
