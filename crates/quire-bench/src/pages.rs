//! The tenant app's pages under load: one realistic account (10 sites, 5,000 keywords, clusters,
//! ideas, tasks and an article, built through the API and the offline AI provider), signed in
//! through the sign-in form, then each page requested over and over by `connections` clients.

use super::{PASSWORD, Report, Server, run};
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};
use std::time::Duration;

const SITES: usize = 10;
const KEYWORDS_PER_SITE: usize = 500;

/// Builds the account, signs in a page session and measures every page; prints one row each.
pub async fn run_all(
    server: &Server,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let api = Client::new();
    let base = &server.base;
    let token = fixture(&api, base).await?;
    let content_id = first_id(&api, base, &token, "/api/v1/writer/content/").await?;
    let site_id = first_id(&api, base, &token, "/api/v1/auth/sites/").await?;
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections)
        .build()?;
    sign_in(&browser, base).await?;

    let pages = [
        "/dashboard".to_owned(),
        "/sites".to_owned(),
        format!("/sites/{site_id}"),
        format!("/keywords?site_id={site_id}&status=active&ordering=-volume&page=3"),
        "/keywords?search=guide%2042".to_owned(),
        "/clusters".to_owned(),
        "/ideas".to_owned(),
        "/writer".to_owned(),
        "/content".to_owned(),
        format!("/content/{content_id}"),
        "/billing".to_owned(),
        "/usage".to_owned(),
    ];
    for page in pages {
        let url = format!("{base}{page}");
        let before = server.statements(&browser).await;
        let report: Report = run(&browser, connections, duration, move |client, _| {
            let url = url.clone();
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .map(|r| r.status() == StatusCode::OK)
                    .unwrap_or(false)
            }
        })
        .await;
        let db = server.per_request(&browser, before, &report).await;
        report.print(&format!("page {page}"), server.rss_mib(), db);
    }
    Ok(())
}

/// Signs up on the Growth plan (a trial: it works at once) and builds the account's data;
/// answers an API token for it.
async fn fixture(client: &Client, base: &str) -> anyhow::Result<String> {
    let plans: Value = client
        .get(format!("{base}/api/v1/auth/plans/"))
        .send()
        .await?
        .json()
        .await?;
    let growth = plans
        .as_array()
        .and_then(|plans| plans.iter().find(|p| p["slug"] == "growth-monthly"))
        .and_then(|p| p["id"].as_i64())
        .context("no growth-monthly plan in the catalogue")?;
    let email = "pages@example.com";
    let registered = client
        .post(format!("{base}/api/v1/auth/register/"))
        .json(&json!({
            "email": email, "password": PASSWORD, "name": "Page Bench", "plan_id": growth,
        }))
        .send()
        .await?;
    if registered.status() != StatusCode::CREATED {
        bail!("sign-up answered {}", registered.status());
    }
    let token = super::login(client, base, email).await?["access"]
        .as_str()
        .context("access token")?
        .to_owned();
    let call = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{base}/api/v1{path}"))
            .bearer_auth(&token)
    };
    let mut first_sector = None;
    for s in 0..SITES {
        let site: Value = call(reqwest::Method::POST, "/auth/sites/")
            .json(&json!({"name": format!("Site {s}"), "url": format!("site{s}.example.com")}))
            .send()
            .await?
            .json()
            .await?;
        let sector: Value = call(reqwest::Method::POST, "/auth/sectors/")
            .json(&json!({"site_id": site["id"], "name": format!("Sector {s}")}))
            .send()
            .await?
            .json()
            .await?;
        let sector_id = sector["id"].as_i64().context("sector id")?;
        first_sector.get_or_insert(sector_id);
        let mut csv = String::from("keyword,volume,difficulty,intent\n");
        for k in 0..KEYWORDS_PER_SITE {
            let topic = ["guide", "price", "review", "near me", "how to"][k % 5];
            csv.push_str(&format!(
                "site {s} {topic} {k},{},{},informational\n",
                10 + k * 7,
                k % 100
            ));
        }
        let form = multipart::Form::new()
            .text("sector_id", sector_id.to_string())
            .part(
                "file",
                multipart::Part::bytes(csv.into_bytes()).file_name("k.csv"),
            );
        let imported = call(reqwest::Method::POST, "/planner/keywords/import/")
            .multipart(form)
            .send()
            .await?;
        if imported.status() != StatusCode::OK {
            bail!("import answered {}", imported.status());
        }
    }

    // Clusters, ideas, tasks and an article in the first sector, by the offline provider.
    let sector_id = first_sector.context("a sector")?;
    let keywords: Value = call(
        reqwest::Method::GET,
        &format!("/planner/keywords/?sector_id={sector_id}&page_size=200"),
    )
    .send()
    .await?
    .json()
    .await?;
    let keyword_ids: Vec<i64> = keywords["results"]
        .as_array()
        .context("keyword list")?
        .iter()
        .filter_map(|k| k["id"].as_i64())
        .collect();
    let job = call(reqwest::Method::POST, "/planner/keywords/auto_cluster/")
        .json(&json!({"keyword_ids": keyword_ids, "sector_id": sector_id, "method": "local"}))
        .send()
        .await?
        .json::<Value>()
        .await?;
    let clustered = wait(client, base, &token, &job).await?;
    let cluster_ids: Vec<i64> = clustered["result"]["cluster_ids"]
        .as_array()
        .context("cluster ids")?
        .iter()
        .filter_map(Value::as_i64)
        .take(3)
        .collect();
    let job = call(reqwest::Method::POST, "/planner/clusters/generate_ideas/")
        .json(&json!({"cluster_ids": cluster_ids}))
        .send()
        .await?
        .json::<Value>()
        .await?;
    let ideas = wait(client, base, &token, &job).await?;
    let idea_ids: Vec<i64> = ideas["result"]["idea_ids"]
        .as_array()
        .context("idea ids")?
        .iter()
        .filter_map(Value::as_i64)
        .take(3)
        .collect();
    let sent: Value = call(reqwest::Method::POST, "/planner/ideas/send_to_writer/")
        .json(&json!({"idea_ids": idea_ids}))
        .send()
        .await?
        .json()
        .await?;
    let task_id = sent["created"][0]["id"]
        .as_i64()
        .or_else(|| sent["tasks"][0]["id"].as_i64())
        .with_context(|| format!("a task from send to writer: {sent}"))?;
    let job = call(reqwest::Method::POST, "/writer/content/generate/")
        .json(&json!({"task_id": task_id}))
        .send()
        .await?
        .json::<Value>()
        .await?;
    wait(client, base, &token, &job).await?;
    Ok(token)
}

/// Waits for `job` (as the POST answered it) to succeed; answers the finished job.
async fn wait(client: &Client, base: &str, token: &str, job: &Value) -> anyhow::Result<Value> {
    let id = job["id"]
        .as_i64()
        .or_else(|| job["jobs"][0]["id"].as_i64())
        .with_context(|| format!("a job in {job}"))?;
    for _ in 0..10 {
        let polled: Value = client
            .get(format!("{base}/api/v1/jobs/{id}/?wait=30"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        match polled["status"].as_str() {
            Some("succeeded") => return Ok(polled),
            Some("failed" | "canceled") => bail!("job {id} ended: {polled}"),
            _ => {}
        }
    }
    bail!("job {id} did not finish in 300 s")
}

async fn first_id(client: &Client, base: &str, token: &str, path: &str) -> anyhow::Result<i64> {
    let listed: Value = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    listed["results"][0]["id"]
        .as_i64()
        .with_context(|| format!("nothing listed at {path}"))
}

/// Signs in through the page form, as a browser does: the form's cookie and token, then the
/// session cookie.
async fn sign_in(browser: &Client, base: &str) -> anyhow::Result<()> {
    let form = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = form
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("a CSRF field on the sign-in form")?
        .to_owned();
    let signed_in = browser
        .post(format!("{base}/login"))
        .form(&[
            ("email", "pages@example.com"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await?;
    if signed_in.status() != StatusCode::SEE_OTHER {
        bail!("page sign-in answered {}", signed_in.status());
    }
    Ok(())
}
