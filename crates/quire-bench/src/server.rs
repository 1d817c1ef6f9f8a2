//! The release `quire` binary as a child process: start, readiness, RSS and statement count.

use crate::load::Report;
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

/// The rate limits the load scenarios would trip (every login and AI request comes from one
/// address, tens a second): lifted, since the benchmark measures throughput, not the limits.
const UNLIMITED_RATES: [&str; 3] = ["LOGIN_PER_ADDRESS", "LOGIN_PER_EMAIL", "AI_PER_ACCOUNT"];

/// How a node is started.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The `quire` binary ([`quire_binary`]).
    pub binary: PathBuf,
    pub database_url: String,
    /// `QUIRE_JOBS__WORKERS`: job workers in the server.
    pub workers: usize,
    /// Where each server's output goes, one file per server.
    pub log_dir: PathBuf,
}

impl Launch {
    /// Lines of the servers' logs in [`Self::log_dir`] that report an error.
    pub fn logged_errors(&self) -> anyhow::Result<usize> {
        let mut errors = 0;
        for entry in std::fs::read_dir(&self.log_dir)? {
            let text = std::fs::read_to_string(entry?.path())?;
            errors += text.lines().filter(|line| line.contains(" ERROR ")).count();
        }
        Ok(errors)
    }
}

/// One `quire serve` on a free port.
pub struct Server {
    child: Child,
    pub base: String,
    /// From spawning the process until `/readyz` first answered 200.
    pub ready_after: Duration,
    /// Statements the idle server sends on its own (job polling, the billing scheduler),
    /// measured for a second after it is ready, and taken out of [`Self::per_request`].
    background_per_second: f64,
}

impl Server {
    /// Spawns `quire serve` and waits (up to 60 s) until `/readyz` answers 200.
    pub async fn start(launch: &Launch) -> anyhow::Result<Self> {
        let binary = &launch.binary;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log_path = launch.log_dir.join(format!("quire-serve-{port}.log"));
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("QUIRE_DATABASE_URL", &launch.database_url)
            .env("QUIRE_CONFIG", "/nonexistent/quire.toml")
            .env("QUIRE_LOG", "warn")
            .env("QUIRE_JOBS__WORKERS", launch.workers.to_string())
            .envs(UNLIMITED_RATES.iter().flat_map(|limit| {
                [
                    (
                        format!("QUIRE_RATE_LIMITS__{limit}__REQUESTS"),
                        "1000000000",
                    ),
                    (format!("QUIRE_RATE_LIMITS__{limit}__PER_SECONDS"), "1"),
                ]
            }))
            .env("NO_COLOR", "1")
            .stdout(log.try_clone()?)
            .stderr(log);
        let spawned = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            ready_after: Duration::ZERO,
            background_per_second: 0.0,
        };
        let client = Client::new();
        let url = format!("{}/readyz", server.base);
        while spawned.elapsed() < Duration::from_secs(60) {
            if let Ok(response) = client.get(&url).send().await
                && response.status() == StatusCode::OK
            {
                server.ready_after = spawned.elapsed();
                server.background_per_second = server.idle_statements_per_second(&client).await;
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("quire serve exited with {status} before it was ready");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("the server did not answer /readyz with 200 within 60 s")
    }

    fn status_field_mib(&self, field: &str) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with(field))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }

    /// Resident memory now.
    pub fn rss_mib(&self) -> Option<f64> {
        self.status_field_mib("VmRSS:")
    }

    /// The resident high-water mark since the start or the last [`Self::reset_peak`].
    pub fn peak_rss_mib(&self) -> Option<f64> {
        self.status_field_mib("VmHWM:")
    }

    /// Resets the high-water mark to the current RSS (Linux `clear_refs`); false when the
    /// kernel refused, and then [`Self::peak_rss_mib`] covers the whole life of the process.
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }

    /// The server's `quire_db_statements_total`: database round trips since it started.
    pub async fn statements(&self, client: &Client) -> Option<u64> {
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

    /// Statements per second while nothing is asked of the server, over one second.
    async fn idle_statements_per_second(&self, client: &Client) -> f64 {
        let before = self.statements(client).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = self.statements(client).await;
        // The reading itself is no statement: `/metrics` does not touch the database.
        match (before, after) {
            (Some(before), Some(after)) => after.saturating_sub(before) as f64,
            _ => 0.0,
        }
    }

    /// Round trips per request of `report`'s run, counted from `before`, less the server's
    /// own background statements over the run's duration.
    pub async fn per_request(
        &self,
        client: &Client,
        before: Option<u64>,
        report: &Report,
    ) -> Option<f64> {
        let after = self.statements(client).await?;
        let requests = report.total().max(1);
        let background = self.background_per_second * report.elapsed.as_secs_f64();
        let sent = after.saturating_sub(before?) as f64 - background;
        Some(sent.max(0.0) / requests as f64)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/release/quire` beside this binary. Under `cargo run` it is (re)built first, so the
/// server measured is the source checked out; otherwise it must exist.
pub fn quire_binary() -> anyhow::Result<PathBuf> {
    let dir = std::env::current_exe()?
        .parent()
        .context("bench binary has no directory")?
        .to_path_buf();
    let binary = dir.join("quire");
    if let Ok(cargo) = std::env::var("CARGO") {
        let status = Command::new(cargo)
            .args(["build", "--release", "-p", "quire"])
            .status()?;
        if !status.success() {
            bail!("cargo build --release -p quire failed");
        }
    }
    if !binary.exists() {
        bail!(
            "{} is missing: run `cargo build --release -p quire` or start the bench with \
             `cargo run --release -p quire-bench`",
            binary.display()
        );
    }
    Ok(binary)
}
