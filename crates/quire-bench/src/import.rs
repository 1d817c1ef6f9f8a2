//! CSV import over HTTP: one multipart request of many keyword rows, its time and peak RSS.

use crate::{api, fixture::Fixture, load::Row, server::Server, vocabulary};
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};
use std::time::Instant;

/// Imports `rows` keywords into a new site of the bulk account; prints the row.
pub async fn run(
    server: &Server,
    client: &Client,
    fixture: &Fixture,
    rows: usize,
) -> anyhow::Result<()> {
    let base = &server.base;
    let token = api::login(client, base, &fixture.bulk.email).await?;
    let site = post_json(
        client,
        &format!("{base}/api/v1/auth/sites/"),
        &token,
        json!({"name": "CSV import", "url": "csv-import.example.com"}),
    )
    .await?;
    let sector = post_json(
        client,
        &format!("{base}/api/v1/auth/sectors/"),
        &token,
        json!({"site_id": site["id"], "name": "Imported"}),
    )
    .await?;
    let sector_id = sector["id"].as_i64().context("the sector has no id")?;
    let file = vocabulary::csv(0, rows);
    let megabytes = file.len() as f64 / 1e6;
    let form = multipart::Form::new()
        .text("sector_id", sector_id.to_string())
        .part(
            "file",
            multipart::Part::bytes(file.into_bytes()).file_name("keywords.csv"),
        );

    let peak_reset = server.reset_peak();
    let before = server.statements(client).await;
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/planner/keywords/import/"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    let seconds = started.elapsed().as_secs_f64();
    if status != StatusCode::OK {
        bail!("the import answered {status}: {body}");
    }
    let created = body["created"]
        .as_u64()
        .context("the import reported no count")?;
    let statements = server.statements(client).await;
    Row {
        name: format!("CSV import: {} rows, one request", grouped(rows)),
        per_second: None,
        p50_ms: None,
        p99_ms: None,
        errors: rows.saturating_sub(usize::try_from(created).unwrap_or(usize::MAX)) as u64,
        rss_mib: peak_reset.then(|| server.peak_rss_mib()).flatten(),
        db_per_request: statements
            .zip(before)
            .map(|(after, before)| after.saturating_sub(before) as f64),
        note: format!(
            "{seconds:.2} s, {:.0} rows/s, {megabytes:.1} MB; RSS is the peak",
            created as f64 / seconds
        ),
    }
    .print();
    Ok(())
}

/// POSTs `body` and answers the created object (201).
async fn post_json(client: &Client, url: &str, token: &str, body: Value) -> anyhow::Result<Value> {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    if status != StatusCode::CREATED {
        bail!("POST {url} answered {status}: {answer}");
    }
    Ok(answer)
}

/// `100000` as `100,000`.
pub fn grouped(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}
