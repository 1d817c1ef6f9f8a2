//! JSON API scenarios: login, `me`, and the lists and detail tenants read most, with bearer
//! tokens of the fixture's tenants spread over the connections.

use crate::{
    fixture::{Fixture, PASSWORD},
    load::{self, Report, Row},
    server::Server,
    vocabulary,
};
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::{sync::Arc, time::Duration};

/// The authenticated list the flood and node scenarios load.
pub const SITES: &str = "/api/v1/auth/sites/";

/// One authenticated GET: whose token, and the full URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub token: String,
    pub url: String,
}

/// The rows the targets are checked against.
pub struct ApiRows {
    pub login: Row,
    /// Sites list, keywords list page 3, keyword search, by short name.
    pub lists: Vec<(&'static str, Row)>,
}

/// Runs every API scenario against `server`, printing a row each.
pub async fn run(
    server: &Server,
    client: &Client,
    fixture: &Fixture,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<ApiRows> {
    let base = &server.base;
    let before = server.statements(client).await;
    let report = login_load(client, base, fixture, connections, duration).await;
    let login = measured(server, client, before, &report, "POST /api/v1/auth/login/").await;

    let tokens = tokens(client, base, fixture).await?;
    let per_tenant = |path: &dyn Fn(usize) -> String| -> Vec<Target> {
        tokens
            .iter()
            .enumerate()
            .map(|(t, token)| Target {
                token: token.clone(),
                url: format!("{base}{}", path(t)),
            })
            .collect()
    };
    get_row(
        server,
        client,
        connections,
        duration,
        "GET /api/v1/auth/me/",
        per_tenant(&|_| "/api/v1/auth/me/".to_owned()),
    )
    .await;
    let mut lists = Vec::new();
    lists.push((
        "sites list",
        get_row(
            server,
            client,
            connections,
            duration,
            "GET /api/v1/auth/sites/",
            sites_targets(base, &tokens),
        )
        .await,
    ));
    lists.push((
        "keywords page 3",
        get_row(
            server,
            client,
            connections,
            duration,
            "keywords list: site+status, -volume, page 3",
            per_tenant(&|t| {
                format!(
                    "/api/v1/planner/keywords/?site_id={}&status=active&ordering=-volume&page=3",
                    fixture.tenants[t].site_ids[0]
                )
            }),
        )
        .await,
    ));
    lists.push((
        "keyword search",
        get_row(
            server,
            client,
            connections,
            duration,
            &format!("keywords list: search \"{}\"", vocabulary::SEARCH),
            per_tenant(&|_| {
                format!(
                    "/api/v1/planner/keywords/?search={}",
                    vocabulary::SEARCH.replace(' ', "%20")
                )
            }),
        )
        .await,
    ));
    get_row(
        server,
        client,
        connections,
        duration,
        "GET /api/v1/writer/content/{id}/",
        per_tenant(&|t| format!("/api/v1/writer/content/{}/", fixture.tenants[t].content_id)),
    )
    .await;
    Ok(ApiRows { login, lists })
}

/// The sites list of every token's tenant on `base`.
pub fn sites_targets(base: &str, tokens: &[String]) -> Vec<Target> {
    tokens
        .iter()
        .map(|token| Target {
            token: token.clone(),
            url: format!("{base}{SITES}"),
        })
        .collect()
}

/// Closed-loop logins over the API, the fixture's tenants in turn.
pub async fn login_load(
    client: &Client,
    base: &str,
    fixture: &Fixture,
    connections: usize,
    duration: Duration,
) -> Report {
    let emails: Arc<Vec<String>> =
        Arc::new(fixture.tenants.iter().map(|t| t.email.clone()).collect());
    let url = format!("{base}/api/v1/auth/login/");
    load::run(client, connections, duration, move |client, i| {
        let email = emails[i % emails.len()].clone();
        let url = url.clone();
        async move {
            let sent = client
                .post(url)
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await;
            answered(sent, StatusCode::OK).await
        }
    })
    .await
}

/// Closed-loop GETs of `targets` (request `i` takes target `i % len`) on one server; prints
/// and answers the row.
async fn get_row(
    server: &Server,
    client: &Client,
    connections: usize,
    duration: Duration,
    name: &str,
    targets: Vec<Target>,
) -> Row {
    let before = server.statements(client).await;
    let report = get_load(client, connections, duration, Arc::new(targets)).await;
    measured(server, client, before, &report, name).await
}

/// Prints and answers the row of `report`, with the server's RSS and round trips.
pub async fn measured(
    server: &Server,
    client: &Client,
    before: Option<u64>,
    report: &Report,
    name: &str,
) -> Row {
    let db = server.per_request(client, before, report).await;
    let row = report.row(name, server.rss_mib(), db);
    row.print();
    row
}

/// Closed-loop authenticated GETs; a request succeeds when [`answered`] 200.
pub async fn get_load(
    client: &Client,
    connections: usize,
    duration: Duration,
    targets: Arc<Vec<Target>>,
) -> Report {
    load::run(client, connections, duration, move |client, i| {
        let target = targets[i % targets.len()].clone();
        async move {
            let sent = client
                .get(target.url)
                .bearer_auth(target.token)
                .send()
                .await;
            answered(sent, StatusCode::OK).await
        }
    })
    .await
}

/// Whether a request answered `status` and its whole body arrived (so the connection is
/// kept for the next request).
pub async fn answered(sent: reqwest::Result<reqwest::Response>, status: StatusCode) -> bool {
    match sent {
        Ok(response) if response.status() == status => response.bytes().await.is_ok(),
        _ => false,
    }
}

/// A fresh access token of every fixture tenant, in order.
pub async fn tokens(client: &Client, base: &str, fixture: &Fixture) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(fixture.tenants.len());
    for tenant in &fixture.tenants {
        tokens.push(login(client, base, &tenant.email).await?);
    }
    Ok(tokens)
}

/// Logs `email` in over the API; answers the access token.
pub async fn login(client: &Client, base: &str, email: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/auth/login/"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    if response.status() != StatusCode::OK {
        bail!("login of {email} answered {}", response.status());
    }
    let session: Value = response.json().await?;
    Ok(session["access"]
        .as_str()
        .context("login answered no access token")?
        .to_owned())
}
