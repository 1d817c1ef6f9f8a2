//! Credit reservations per second: each operation queues a job and holds its credits in one
//! transaction (the path every AI operation takes), on one account under contention and
//! spread across many accounts.

use crate::{Report, closed_loop};
use anyhow::Context;
use quire_core::{
    Quire,
    accounts::{
        principal::Tenant,
        register::{self, Registration},
    },
    config::Settings,
    credits::ledger::{self, Entry},
    entities::{enums::CreditKind, plan},
    jobs::queue::{self, NewJob},
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use std::{sync::Arc, time::Duration};

pub async fn run(backend: Backend, connections: usize, duration: Duration) -> anyhow::Result<()> {
    let database = TestDatabase::create(backend).await;
    let settings = Settings {
        database_url: database.url.clone(),
        database_max_connections: u32::try_from(connections).unwrap_or(16),
        ..Settings::default()
    };
    let quire = Arc::new(Quire::open(settings).await?);
    let mut tenants = Vec::with_capacity(connections);
    for n in 0..connections {
        tenants.push(Arc::new(funded_tenant(&quire, n).await?));
    }

    let one = tenants[0].clone();
    let report = reserve_loop(&quire, connections, duration, move |_| one.clone()).await;
    report.print("reserve: one account", f64::NAN, None);
    let many = tenants.clone();
    let report = reserve_loop(&quire, connections, duration, move |i| {
        many[i % many.len()].clone()
    })
    .await;
    report.print("reserve: many accounts", f64::NAN, None);
    Ok(())
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
        async move {
            let job = NewJob {
                kind: "bench".to_owned(),
                input: serde_json::json!({}),
                reserve: 1,
            };
            queue::enqueue(&quire.db, &tenant, job, 1).await.is_ok()
        }
    })
    .await
}

/// A tenant whose balance covers far more reservations than a run makes.
async fn funded_tenant(quire: &Quire, n: usize) -> anyhow::Result<Tenant> {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await?
        .context("no free plan")?;
    let registered = register::register(
        quire,
        Registration {
            email: format!("reserve{n}@example.com"),
            password: "bench-harbour-lantern-42".to_owned(),
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
            amount: 100_000_000,
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
