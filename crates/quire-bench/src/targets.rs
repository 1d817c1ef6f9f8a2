//! The targets beside the values this run measured: met, not met, or not measured.

use crate::{flood::Flood, load::Row, reservations::Drain};
use quire_testkit::Backend;
use std::time::Duration;

/// What the run measured that a target speaks about; `None` where the scenario did not run.
#[derive(Default)]
pub struct Measured {
    pub login: Option<Row>,
    /// The authenticated lists (sites, keywords page 3, keyword search) by short name.
    pub lists: Vec<(&'static str, Row)>,
    pub flood: Option<Flood>,
    pub jobs: Option<Row>,
    pub reserve_one: Option<Row>,
    pub drain: Option<Drain>,
    /// The slowest restart until ready.
    pub ready: Option<Duration>,
}

/// Prints one line per target: the target, what was measured, and the verdict.
pub fn print(backend: Backend, measured: &Measured) {
    let postgres = backend == Backend::Postgres;
    println!();
    println!(
        "targets (issue 10: 2 cores shared by server, load generator and database, 16 connections)"
    );
    println!("{:<58} {:<38} verdict", "target", "measured");

    let (list_rate, list_rate_name) = if postgres {
        (4_000.0, "≥ 4,000 req/s (PostgreSQL)")
    } else {
        (6_000.0, "≥ 6,000 req/s (SQLite)")
    };
    for (name, row) in &measured.lists {
        check(
            &format!("{name}: {list_rate_name}"),
            row.per_second
                .map(|v| (format!("{v:.0} req/s"), v >= list_rate)),
        );
        let p99 = row.p99_ms.map(|v| (format!("{v:.2} ms"), v <= 25.0));
        if postgres {
            check(&format!("{name}: p99 ≤ 25 ms"), p99);
        } else {
            for_postgres(&format!("{name}: p99 ≤ 25 ms"), p99);
        }
        check(
            &format!("{name}: ≤ 2 DB round trips"),
            row.db_per_request
                .map(|v| (format!("{v:.2} per request"), v <= 2.0)),
        );
    }
    let rss = measured
        .lists
        .iter()
        .filter_map(|(_, row)| row.rss_mib)
        .reduce(f64::max);
    check(
        "server RSS ≤ 40 MiB under the list load",
        rss.map(|v| (format!("{v:.1} MiB (highest after a list)"), v <= 40.0)),
    );
    check(
        "login ≥ 60/s",
        measured
            .login
            .as_ref()
            .and_then(|row| row.per_second)
            .map(|v| (format!("{v:.0} /s"), v >= 60.0)),
    );
    check(
        "login flood: list p99 rises ≤ 2×",
        measured.flood.as_ref().and_then(|flood| {
            let ratio = flood.ratio()?;
            Some((
                format!(
                    "{ratio:.2}× ({:.2} → {:.2} ms)",
                    flood.alone_p99_ms?, flood.during_p99_ms?
                ),
                ratio <= 2.0,
            ))
        }),
    );
    let jobs = measured
        .jobs
        .as_ref()
        .and_then(|row| row.per_second)
        .map(|v| (format!("{v:.0} jobs/s"), v >= 200.0));
    if postgres {
        check("jobs (offline provider) ≥ 200/s on PostgreSQL", jobs);
    } else {
        for_postgres("jobs (offline provider) ≥ 200/s on PostgreSQL", jobs);
    }
    check(
        "reservations on one hot account ≥ 1,000/s",
        measured
            .reserve_one
            .as_ref()
            .and_then(|row| row.per_second)
            .map(|v| (format!("{v:.0} /s"), v >= 1_000.0)),
    );
    check(
        "reservations never overdraw an account",
        measured.drain.as_ref().map(|drain| {
            (
                format!(
                    "{} of {} credits reserved, balance {}",
                    drain.reserved, drain.credits, drain.balance
                ),
                drain.holds(),
            )
        }),
    );
    check(
        "ready ≤ 1 s from start on an existing database",
        measured.ready.map(|t| {
            (
                format!("{:.3} s (slowest restart)", t.as_secs_f64()),
                t <= Duration::from_secs(1),
            )
        }),
    );
}

/// One target line: `measured` is the value as text and whether it meets the target.
fn check(target: &str, measured: Option<(String, bool)>) {
    match measured {
        Some((value, true)) => println!("{target:<58} {value:<38} met"),
        Some((value, false)) => println!("{target:<58} {value:<38} NOT MET"),
        None => println!("{target:<58} {:<38} not measured", "-"),
    }
}

/// A target the issue sets for PostgreSQL, shown on a SQLite run without a verdict.
fn for_postgres(target: &str, measured: Option<(String, bool)>) {
    let value = measured.map_or_else(|| "-".to_owned(), |(value, _)| value);
    println!("{target:<58} {value:<38} (target is for PostgreSQL)");
}
