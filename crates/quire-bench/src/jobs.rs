//! Job throughput with the offline provider: idea generation queued over HTTP, timed from the
//! first enqueue until every job has ended (watched in the database).

use crate::{
    api::{self, answered},
    fixture::Fixture,
    load::{self, Row},
    server::Server,
};
use quire_core::{
    db::Db,
    entities::{enums::JobStatus, job},
};
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::json;
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// How long the scenario waits for the jobs; those still open then count as errors.
const PATIENCE: Duration = Duration::from_secs(180);

/// Queues `jobs` one-cluster idea generations (one idea each) over `connections`, spread over
/// the tenants and their clusters; prints and answers the row (jobs/s, queued → finished
/// latency).
pub async fn run(
    server: &Server,
    client: &Client,
    db: &Db,
    fixture: &Fixture,
    connections: usize,
    jobs: usize,
    workers: usize,
) -> anyhow::Result<Row> {
    let tokens = Arc::new(api::tokens(client, &server.base, fixture).await?);
    let clusters: Arc<Vec<Vec<i64>>> = Arc::new(
        fixture
            .tenants
            .iter()
            .map(|t| t.cluster_ids.clone())
            .collect(),
    );
    let last_before: Option<i64> = job::Entity::find()
        .select_only()
        .column_as(job::Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    let ours = job::Column::Id.gt(last_before.unwrap_or(0));
    let before = server.statements(client).await;

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let url = Arc::new(format!(
        "{}/api/v1/planner/clusters/generate_ideas/",
        server.base
    ));
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (client, tokens, clusters, next, refused, url) = (
            client.clone(),
            tokens.clone(),
            clusters.clone(),
            next.clone(),
            refused.clone(),
            url.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    break;
                }
                let tenant = i % tokens.len();
                let own = &clusters[tenant];
                let cluster = own[(i / tokens.len()) % own.len()];
                let sent = client
                    .post(url.as_str())
                    .bearer_auth(&tokens[tenant])
                    .json(&json!({"cluster_ids": [cluster], "ideas_per_cluster": 1}))
                    .send()
                    .await;
                if !answered(sent, StatusCode::ACCEPTED).await {
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for sender in senders {
        sender.await?;
    }
    let open = loop {
        let open = job::Entity::find()
            .filter(ours.clone())
            .filter(job::Column::Status.is_in([JobStatus::Queued, JobStatus::Running]))
            .count(db)
            .await?;
        if open == 0 || started.elapsed() > PATIENCE {
            break open;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed();
    let rss = server.rss_mib();
    let statements = server.statements(client).await;

    let ended: Vec<job::Model> = job::Entity::find().filter(ours).all(db).await?;
    let mut latencies = load::histogram();
    let mut failed = 0;
    for job in &ended {
        match (job.status, job.finished_at) {
            (JobStatus::Succeeded, Some(finished)) => {
                let latency = (finished - job.created_at).to_std().unwrap_or_default();
                load::record(&mut latencies, latency);
            }
            _ => failed += 1,
        }
    }
    let report = load::Report {
        errors: failed + refused.load(Ordering::Relaxed),
        latencies,
        elapsed,
    };
    let mut row = report.row(
        "jobs: generate ideas (offline provider)",
        rss,
        statements
            .zip(before)
            .map(|(after, before)| after.saturating_sub(before) as f64 / jobs.max(1) as f64),
    );
    // Throughput counts the jobs that succeeded, not the attempts.
    row.per_second = Some(report.latencies.len() as f64 / elapsed.as_secs_f64());
    let unfinished = if open > 0 {
        format!(", {open} still open (errors)")
    } else {
        String::new()
    };
    let row = row.with_note(format!(
        "{} jobs in {:.2} s{unfinished}, {workers} workers; latency queued → finished",
        report.latencies.len(),
        elapsed.as_secs_f64()
    ));
    row.print();
    Ok(row)
}
