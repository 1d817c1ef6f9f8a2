//! Login flood: an authenticated list's p99 alone, then while other connections log in.

use crate::{
    api::{self, measured},
    fixture::Fixture,
    server::Server,
};
use reqwest::Client;
use std::{sync::Arc, time::Duration};

/// The list's p99 alone and during the flood, in milliseconds.
pub struct Flood {
    pub alone_p99_ms: Option<f64>,
    pub during_p99_ms: Option<f64>,
}

impl Flood {
    /// How many times the p99 alone the p99 during the flood is.
    pub fn ratio(&self) -> Option<f64> {
        Some(self.during_p99_ms? / self.alone_p99_ms?)
    }
}

/// Half the connections read the sites list, alone and then beside the other half logging in
/// as fast as they can; prints three rows.
pub async fn run(
    server: &Server,
    client: &Client,
    fixture: &Fixture,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Flood> {
    let readers = (connections / 2).max(1);
    let loggers = connections.saturating_sub(readers).max(1);
    let tokens = api::tokens(client, &server.base, fixture).await?;
    let targets = Arc::new(api::sites_targets(&server.base, &tokens));

    let before = server.statements(client).await;
    let alone = api::get_load(client, readers, duration, targets.clone()).await;
    measured(
        server,
        client,
        before,
        &alone,
        &format!("flood: sites list alone ({readers} conn)"),
    )
    .await;

    let (during, logins) = tokio::join!(
        api::get_load(client, readers, duration, targets),
        api::login_load(client, &server.base, fixture, loggers, duration),
    );
    let flood = Flood {
        alone_p99_ms: alone.quantile_ms(0.99),
        during_p99_ms: during.quantile_ms(0.99),
    };
    let rss = server.rss_mib();
    let note = flood
        .ratio()
        .map(|ratio| format!("p99 {ratio:.2}× the list alone"))
        .unwrap_or_default();
    during
        .row(
            format!("flood: sites list + {loggers} logging in"),
            rss,
            None,
        )
        .with_note(note)
        .print();
    logins
        .row(format!("flood: logins ({loggers} conn)"), rss, None)
        .with_note("DB/req not split between the two loads")
        .print();
    Ok(flood)
}
