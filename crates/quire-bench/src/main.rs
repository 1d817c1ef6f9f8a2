//! `quire-bench`: starts the release `quire` binary on a fresh database, signs up users, drives
//! closed-loop HTTP load per scenario and prints requests/s, p50, p99, errors and server RSS.

mod pages;
mod reservations;

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use quire_testkit::{Backend, TestDatabase};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

#[derive(Parser)]
#[command(about = "Benchmark a real Quire server over HTTP")]
struct Args {
    /// `sqlite` (a fresh file) or `postgres` (a fresh database on QUIRE_TEST_POSTGRES_URL).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Tenants signed up before the run.
    #[arg(long, default_value_t = 32)]
    users: usize,
    /// Run only these scenario groups (comma-separated: api, pages, reservations).
    #[arg(long, value_delimiter = ',', default_value = "api,pages,reservations")]
    only: Vec<String>,
}

const PASSWORD: &str = "bench-harbour-lantern-42";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = match args.database.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" if quire_testkit::postgres_url().is_some() => Backend::Postgres,
        "postgres" => bail!("set QUIRE_TEST_POSTGRES_URL to a PostgreSQL server to benchmark it"),
        other => bail!("unknown database {other:?}: use sqlite or postgres"),
    };
    let reference_load = time_reference_load(backend).await?;
    let database = TestDatabase::create(backend).await;
    let server = Server::start(&database.url).await?;
    let client = Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;

    let emails = sign_up(&client, &server.base, args.users).await?;
    let mut tokens = Vec::new();
    for email in &emails {
        let session = login(&client, &server.base, email).await?;
        tokens.push(
            session["access"]
                .as_str()
                .context("access token")?
                .to_owned(),
        );
    }

    println!(
        "quire-bench: {} database, {} connections, {} s per scenario, {} tenants, 2 cores shared \
         by server, load generator and database",
        args.database, args.connections, args.seconds, args.users
    );
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>8} {:>10} {:>7}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "DB/req"
    );
    let duration = Duration::from_secs(args.seconds);
    let base = server.base.clone();

    let wanted = |group: &str| args.only.iter().any(|g| g == group);
    let emails = Arc::new(emails);
    if wanted("api") {
        let before = server.statements(&client).await;
        let report = run(&client, args.connections, duration, {
            let base = base.clone();
            move |client, i| {
                let email = emails[i % emails.len()].clone();
                let url = format!("{base}/api/v1/auth/login/");
                async move {
                    client
                        .post(url)
                        .json(&json!({"email": email, "password": PASSWORD}))
                        .send()
                        .await
                        .map(|r| r.status() == StatusCode::OK)
                        .unwrap_or(false)
                }
            }
        })
        .await;
        let db = server.per_request(&client, before, &report).await;
        report.print("POST /api/v1/auth/login/", server.rss_mib(), db);

        let tokens = Arc::new(tokens);
        let before = server.statements(&client).await;
        let report = run(&client, args.connections, duration, move |client, i| {
            let token = tokens[i % tokens.len()].clone();
            let url = format!("{base}/api/v1/auth/me/");
            async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .map(|r| r.status() == StatusCode::OK)
                    .unwrap_or(false)
            }
        })
        .await;
        let db = server.per_request(&client, before, &report).await;
        report.print("GET /api/v1/auth/me/", server.rss_mib(), db);
    }
    if wanted("pages") {
        pages::run_all(&server, args.connections, duration).await?;
    }
    println!("peak server RSS: {:.1} MiB", server.peak_rss_mib());
    println!(
        "starter reference data into an empty database: {:.0} ms",
        reference_load.as_secs_f64() * 1000.0
    );
    drop(server);
    if wanted("reservations") {
        reservations::run(backend, args.connections, duration).await?;
    }
    Ok(())
}

/// How long loading the starter reference data into a freshly migrated database takes.
async fn time_reference_load(backend: Backend) -> anyhow::Result<Duration> {
    let database = TestDatabase::create(backend).await;
    let db = quire_core::db::connect(&database.url, 2).await?;
    quire_core::db::migrate(&db).await?;
    let started = Instant::now();
    let loaded = quire_core::reference::starter::seed_if_empty(&db).await?;
    let elapsed = started.elapsed();
    if !loaded {
        bail!("the fresh database already had reference data");
    }
    db.close().await?;
    Ok(elapsed)
}

/// The release `quire` binary serving on a free port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str) -> anyhow::Result<Self> {
        let binary = quire_binary()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(&binary)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("QUIRE_DATABASE_URL", database_url)
            .env("QUIRE_CONFIG", "/nonexistent/quire.toml")
            .env("QUIRE_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = Client::new();
        for _ in 0..600 {
            if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
                && response.status() == StatusCode::OK
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server did not answer /healthz within 30 s")
    }

    fn status_field_mib(&self, field: &str) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|line| line.starts_with(field))
                    .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }

    /// The server's `quire_db_statements_total`: database round trips since it started.
    async fn statements(&self, client: &Client) -> Option<u64> {
        let text = client
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("quire_db_statements_total "))
            .and_then(|n| n.trim().parse().ok())
    }

    /// Round trips per request of `report`'s run, counted from `before` (background work —
    /// job polling, the billing scheduler — is included, and small beside the load).
    async fn per_request(
        &self,
        client: &Client,
        before: Option<u64>,
        report: &Report,
    ) -> Option<f64> {
        let after = self.statements(client).await?;
        let requests = report.total().max(1);
        Some(after.saturating_sub(before?) as f64 / requests as f64)
    }

    fn rss_mib(&self) -> f64 {
        self.status_field_mib("VmRSS:")
    }

    fn peak_rss_mib(&self) -> f64 {
        self.status_field_mib("VmHWM:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/release/quire` beside this binary, built first when it is missing.
fn quire_binary() -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?
        .parent()
        .context("bench binary has no directory")?
        .to_path_buf();
    let binary = dir.join("quire");
    if !binary.exists() {
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-p", "quire"])
            .status()?;
        if !status.success() {
            bail!("cargo build --release -p quire failed");
        }
    }
    Ok(binary)
}

async fn sign_up(client: &Client, base: &str, users: usize) -> anyhow::Result<Vec<String>> {
    let plans: Value = client
        .get(format!("{base}/api/v1/auth/plans/"))
        .send()
        .await?
        .json()
        .await?;
    let free = plans
        .as_array()
        .and_then(|plans| plans.iter().find(|p| p["price"] == 0))
        .and_then(|p| p["id"].as_i64())
        .context("no free plan in the catalogue")?;
    let mut emails = Vec::with_capacity(users);
    for i in 0..users {
        let email = format!("bench{i}@example.com");
        let response = client
            .post(format!("{base}/api/v1/auth/register/"))
            .json(&json!({
                "email": email, "password": PASSWORD, "name": format!("Bench {i}"),
                "plan_id": free,
            }))
            .send()
            .await?;
        if response.status() != StatusCode::CREATED {
            bail!(
                "sign-up answered {}: {}",
                response.status(),
                response.text().await?
            );
        }
        emails.push(email);
    }
    Ok(emails)
}

async fn login(client: &Client, base: &str, email: &str) -> anyhow::Result<Value> {
    let response = client
        .post(format!("{base}/api/v1/auth/login/"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    if response.status() != StatusCode::OK {
        bail!("login answered {}", response.status());
    }
    Ok(response.json().await?)
}

pub(crate) struct Report {
    latencies: Histogram<u64>,
    errors: u64,
    elapsed: Duration,
}

impl Report {
    /// Requests answered, with or without error.
    pub(crate) fn total(&self) -> u64 {
        self.latencies.len() + self.errors
    }

    /// One row of the table; `db_per_request` is the database round trips per request.
    pub(crate) fn print(&self, name: &str, rss_mib: f64, db_per_request: Option<f64>) {
        let total = self.total();
        println!(
            "{:<44} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>10} {:>7}",
            name,
            total as f64 / self.elapsed.as_secs_f64(),
            self.latencies.value_at_quantile(0.50) as f64 / 1000.0,
            self.latencies.value_at_quantile(0.99) as f64 / 1000.0,
            self.errors,
            if rss_mib.is_nan() {
                "-".to_owned()
            } else {
                format!("{rss_mib:.1}")
            },
            db_per_request.map_or_else(|| "-".to_owned(), |n| format!("{n:.2}")),
        );
    }
}

/// `connections` workers each send one request at a time for `duration`; latency in µs.
async fn run<F, Fut>(client: &Client, connections: usize, duration: Duration, request: F) -> Report
where
    F: Fn(Client, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let client = client.clone();
    closed_loop(connections, duration, move |i| request(client.clone(), i)).await
}

/// `connections` tasks each run one operation at a time for `duration`; latency in µs.
pub(crate) async fn closed_loop<F, Fut>(
    connections: usize,
    duration: Duration,
    operation: F,
) -> Report
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let operation = operation.clone();
            tokio::spawn(async move {
                let mut latencies =
                    Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
                let mut errors = 0;
                let mut i = worker;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if operation(i).await {
                        let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                        let _ = latencies.record(micros.max(1));
                    } else {
                        errors += 1;
                    }
                    i += connections;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    let mut errors = 0;
    for worker in workers {
        if let Ok((worker_latencies, worker_errors)) = worker.await {
            let _ = latencies.add(worker_latencies);
            errors += worker_errors;
        }
    }
    Report {
        latencies,
        errors,
        elapsed: started.elapsed(),
    }
}
