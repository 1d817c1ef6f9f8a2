//! Local clustering over HTTP: the auto-cluster endpoint on a sector of N keywords, timed
//! until its job ends, with the server's peak RSS.

use crate::{api, fixture::Fixture, import::grouped, load::Row, server::Server};
use anyhow::{Context, bail};
use quire_core::{
    db::Db,
    entities::{job, keyword},
};
use reqwest::{Client, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long one clustering job may take.
const PATIENCE: Duration = Duration::from_secs(600);

/// Clusters each of the bulk account's clustering sectors; prints a row each.
pub async fn run(
    server: &Server,
    client: &Client,
    db: &Db,
    fixture: &Fixture,
) -> anyhow::Result<()> {
    let base = &server.base;
    let token = api::login(client, base, &fixture.bulk.email).await?;
    for &(keywords, sector_id) in &fixture.bulk.cluster_sectors {
        let ids: Vec<i64> = keyword::Entity::find()
            .select_only()
            .column(keyword::Column::Id)
            .filter(keyword::Column::SectorId.eq(sector_id))
            .into_tuple()
            .all(db)
            .await?;
        let peak_reset = server.reset_peak();
        let before = server.statements(client).await;
        let started = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/planner/keywords/auto_cluster/"))
            .bearer_auth(&token)
            .json(&json!({"keyword_ids": ids, "sector_id": sector_id, "method": "local"}))
            .send()
            .await?;
        let status = response.status();
        let queued: Value = response.json().await?;
        let answered = started.elapsed().as_secs_f64();
        if status != StatusCode::ACCEPTED {
            bail!("auto cluster of {keywords} keywords answered {status}: {queued}");
        }
        let job_id = queued["id"].as_i64().context("the job has no id")?;
        let ended = wait(client, base, &token, job_id).await?;
        let seconds = started.elapsed().as_secs_f64();
        let statements = server.statements(client).await;
        let running = job::Entity::find_by_id(job_id)
            .one(db)
            .await?
            .and_then(|job| Some(job.finished_at? - job.started_at?))
            .and_then(|running| running.to_std().ok())
            .context("the job has no start and end")?;
        let succeeded = ended["status"] == "succeeded";
        Row {
            name: format!("local clustering: {} keywords", grouped(keywords)),
            per_second: None,
            p50_ms: None,
            p99_ms: None,
            errors: u64::from(!succeeded),
            rss_mib: peak_reset.then(|| server.peak_rss_mib()).flatten(),
            db_per_request: statements
                .zip(before)
                .map(|(after, before)| after.saturating_sub(before) as f64),
            note: if succeeded {
                format!(
                    "{seconds:.2} s to the job's end (POST answered in {answered:.2} s, job ran \
                     {:.2} s), {} clusters; RSS is the peak",
                    running.as_secs_f64(),
                    ended["result"]["clusters"]
                )
            } else {
                format!("job {}: {}", ended["status"], ended["error"])
            },
        }
        .print();
    }
    Ok(())
}

/// Polls job `id` (holding each poll up to 30 s) until it ends; answers the job.
async fn wait(client: &Client, base: &str, token: &str, id: i64) -> anyhow::Result<Value> {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        let job: Value = client
            .get(format!("{base}/api/v1/jobs/{id}/?wait=30"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        if matches!(
            job["status"].as_str(),
            Some("succeeded" | "failed" | "canceled")
        ) {
            return Ok(job);
        }
    }
    bail!("job {id} did not end within {} s", PATIENCE.as_secs())
}
