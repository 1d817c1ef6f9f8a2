//! Several nodes: more `quire serve` processes on the same database, the connections split
//! over all of them, the sites list measured together.

use crate::{
    api::{self, Target},
    fixture::Fixture,
    server::{Launch, Server},
};
use reqwest::Client;
use std::{sync::Arc, time::Duration};

/// Starts `nodes - 1` servers beside `first`; connection `w` reads the sites list from node
/// `w % nodes`. Prints the row: combined req/s and p99, RSS and round trips summed over the
/// nodes.
pub async fn run(
    first: &Server,
    launch: &Launch,
    nodes: usize,
    client: &Client,
    fixture: &Fixture,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let mut others = Vec::with_capacity(nodes.saturating_sub(1));
    for _ in 1..nodes {
        others.push(Server::start(launch).await?);
    }
    let servers: Vec<&Server> = std::iter::once(first).chain(others.iter()).collect();
    let tokens = api::tokens(client, &first.base, fixture).await?;
    let targets: Vec<Target> = tokens
        .iter()
        .flat_map(|token| {
            servers.iter().map(|server| Target {
                token: token.clone(),
                url: format!("{}{}", server.base, api::SITES),
            })
        })
        .collect();

    let before = statements(&servers, client).await;
    let report = api::get_load(client, connections, duration, Arc::new(targets)).await;
    let after = statements(&servers, client).await;
    let rss: Option<Vec<f64>> = servers.iter().map(|s| s.rss_mib()).collect();
    let db = before
        .zip(after)
        .map(|(before, after)| after.saturating_sub(before) as f64 / report.total().max(1) as f64);
    let listed = rss.as_ref().map_or_else(
        || "-".to_owned(),
        |each| {
            each.iter()
                .map(|mib| format!("{mib:.1}"))
                .collect::<Vec<_>>()
                .join(" + ")
        },
    );
    report
        .row(
            format!("{nodes} nodes: GET {}", api::SITES),
            rss.map(|each| each.iter().sum()),
            db,
        )
        .with_note(format!(
            "RSS and DB/req summed over the nodes (RSS {listed})"
        ))
        .print();
    Ok(())
}

/// Statements of every node together; `None` when one did not answer.
async fn statements(servers: &[&Server], client: &Client) -> Option<u64> {
    let mut total = 0;
    for server in servers {
        total += server.statements(client).await?;
    }
    Some(total)
}
