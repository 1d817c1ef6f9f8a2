//! PostgreSQL going away under load (a proxy between Quire and the database closes every
//! connection and refuses new ones), then coming back: `/readyz` turns 503 within a second or
//! two, requests answer 503 `service_unavailable` with `Retry-After` quickly instead of 500 or
//! hanging, the same process serves again once the database is back, and no write that was
//! acknowledged is lost.

use crate::fixture::{BIN, Session, free_member, open, postgres_database, serve_env};
use quire_core::entities::cluster;
use quire_testkit::{process::ServerProcess, tcp_proxy::TcpProxy};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
};
use std::time::{Duration, Instant};

const WRITERS: usize = 4;
/// The longest any request may take, outage or not.
const REQUEST_BOUND: Duration = Duration::from_secs(5);
/// A request still unanswered after this long is taken as hanging.
const HANG: Duration = Duration::from_secs(10);

/// One write and how it ended: the HTTP status, or the client's error (time-out, reset).
struct Outcome {
    name: String,
    started: Instant,
    took: Duration,
    answer: Result<(StatusCode, Option<String>, Value), String>,
}

/// Creates clusters named `w{writer}-{n}` until `stop`, keeping every outcome.
async fn write_until(
    session: Arc<Session>,
    sector: i64,
    writer: usize,
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let name = format!("w{writer}-{n}");
        n += 1;
        let started = Instant::now();
        let sent = session
            .post(
                "/api/v1/planner/clusters/",
                &json!({"sector_id": sector, "name": name}),
            )
            .timeout(HANG)
            .send()
            .await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = response.json().await.unwrap_or(Value::Null);
                Ok((status, retry_after, body))
            }
            Err(err) => Err(err.to_string()),
        };
        outcomes.lock().expect("lock").push(Outcome {
            name,
            started,
            took: started.elapsed(),
            answer,
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `/readyz` until it answers `want`, each probe bounded; returns how long it took.
async fn readiness_turns(session: &Session, want: StatusCode, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let probe = Instant::now();
        let status = session
            .client
            .get(format!("{}/readyz", session.base))
            .timeout(HANG)
            .send()
            .await
            .map(|r| r.status());
        assert!(
            probe.elapsed() < Duration::from_secs(3),
            "/readyz answers fast"
        );
        if status.as_ref().ok() == Some(&want) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "/readyz did not turn {want} within {limit:?} (last: {status:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_fast_loses_no_acknowledged_write_and_recovers() {
    let Some(database) = postgres_database().await else {
        return;
    };
    let quire = open(&database).await;
    let member = free_member(&quire, "outage@example.com").await;
    let proxy = TcpProxy::start(database.postgres_address()).await;
    let mut env = serve_env(&database.url_through(proxy.address), None);
    env.push(("QUIRE_JOBS__WORKERS", "1".to_owned()));
    let server = ServerProcess::start(BIN, &env);
    let session = Arc::new(Session::login(&server.base_url, &member.email).await);
    let sector = session.sector().await;

    let stop = Arc::new(AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(write_until(
                session.clone(),
                sector,
                writer,
                stop.clone(),
                outcomes.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    proxy.stop().await;
    let down_for = readiness_turns(
        &session,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(3),
    )
    .await;
    assert!(
        down_for < Duration::from_secs(2),
        "/readyz saw the outage in {down_for:?}"
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    proxy.resume().await;
    readiness_turns(&session, StatusCode::OK, Duration::from_secs(10)).await;
    let ready_again = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("writer");
    }

    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    let mut acknowledged = BTreeSet::new();
    let mut refused = 0;
    for outcome in &outcomes {
        let (status, retry_after, body) = match &outcome.answer {
            Ok(answer) => answer,
            Err(err) => panic!("{} got no answer: {err}", outcome.name),
        };
        assert!(
            outcome.took < REQUEST_BOUND,
            "{} took {:?}",
            outcome.name,
            outcome.took
        );
        match *status {
            StatusCode::CREATED => {
                acknowledged.insert(outcome.name.clone());
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                refused += 1;
                assert_eq!(body["code"], "service_unavailable", "{body}");
                assert_eq!(retry_after.as_deref(), Some("5"));
                assert!(
                    outcome.started < ready_again,
                    "{} was refused after the database came back",
                    outcome.name
                );
            }
            other => panic!("{} answered {other}: {body}", outcome.name),
        }
    }
    assert!(refused > 0, "writes were refused during the outage");
    let after = outcomes
        .iter()
        .filter(|o| o.started > ready_again)
        .map(|o| o.name.as_str())
        .filter(|name| acknowledged.contains(*name))
        .count();
    assert!(
        after >= WRITERS,
        "writes succeed again without a restart ({after})"
    );

    let stored: BTreeSet<String> = cluster::Entity::find()
        .filter(cluster::Column::AccountId.eq(member.account_id))
        .all(&quire.db)
        .await
        .expect("clusters")
        .into_iter()
        .map(|c| c.name)
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    drop(server);
}
