//! Ready time: the server stopped and started again on the filled database, timed from the
//! spawn until `/readyz` first answers 200.

use crate::{
    load::Row,
    server::{Launch, Server},
};
use std::time::Duration;

/// Restarts measured; the row reports the slowest.
const RESTARTS: usize = 3;

/// Stops `server`, then starts and stops it again [`RESTARTS`] times; prints the row (its note
/// lists every ready time) and answers the last server, left running, and the slowest start.
pub async fn run(server: Server, launch: &Launch) -> anyhow::Result<(Server, Duration)> {
    drop(server);
    let mut times = Vec::with_capacity(RESTARTS);
    let mut server = Server::start(launch).await?;
    times.push(server.ready_after);
    for _ in 1..RESTARTS {
        drop(server);
        server = Server::start(launch).await?;
        times.push(server.ready_after);
    }
    let slowest = times.iter().copied().max().unwrap_or_default();
    let listed: Vec<String> = times
        .iter()
        .map(|t| format!("{:.3} s", t.as_secs_f64()))
        .collect();
    Row {
        name: "restart: spawn until /readyz answers 200".to_owned(),
        per_second: None,
        p50_ms: None,
        p99_ms: None,
        errors: 0,
        rss_mib: server.rss_mib(),
        db_per_request: None,
        note: format!("ready after {} on the filled database", listed.join(", ")),
    }
    .print();
    Ok((server, slowest))
}
