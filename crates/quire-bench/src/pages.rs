//! The tenant app's rendered pages under load: the first fixture tenant signed in through the
//! sign-in form, then each page requested over and over by `connections` clients.

use crate::{
    api::{answered, measured},
    fixture::{Fixture, PASSWORD},
    load,
    server::Server,
    vocabulary,
};
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use std::time::Duration;

/// Signs in a page session and measures every page; prints one row each.
pub async fn run_all(
    server: &Server,
    fixture: &Fixture,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let base = &server.base;
    let tenant = fixture
        .tenants
        .first()
        .context("the fixture has no tenant")?;
    let site_id = *tenant.site_ids.first().context("the tenant has no site")?;
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(connections)
        .build()?;
    sign_in(&browser, base, &tenant.email).await?;

    let path = |p: &str| (format!("page {p}"), p.to_owned());
    let pages = [
        path("/dashboard"),
        path("/sites"),
        path(&format!("/sites/{site_id}")),
        (
            "page /keywords: site+status, -volume, page 3".to_owned(),
            format!("/keywords?site_id={site_id}&status=active&ordering=-volume&page=3"),
        ),
        (
            format!("page /keywords: search \"{}\"", vocabulary::SEARCH),
            format!(
                "/keywords?search={}",
                vocabulary::SEARCH.replace(' ', "%20")
            ),
        ),
        path("/clusters"),
        path("/ideas"),
        path("/writer"),
        path("/content"),
        path(&format!("/content/{}", tenant.content_id)),
        path("/billing"),
        path("/usage"),
    ];
    for (name, page) in pages {
        let url = format!("{base}{page}");
        let before = server.statements(&browser).await;
        let report = load::run(&browser, connections, duration, move |client, _| {
            let url = url.clone();
            async move { answered(client.get(url).send().await, StatusCode::OK).await }
        })
        .await;
        measured(server, &browser, before, &report, &name).await;
    }
    Ok(())
}

/// Signs in through the page form, as a browser does: the form's cookie and token, then the
/// session cookie.
async fn sign_in(browser: &Client, base: &str, email: &str) -> anyhow::Result<()> {
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
        .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await?;
    if signed_in.status() != StatusCode::SEE_OTHER {
        bail!("page sign-in answered {}", signed_in.status());
    }
    Ok(())
}
