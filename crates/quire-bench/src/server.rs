//! The release `quire` binary as a child process: start, readiness, RSS and statement count.

use crate::load::Report;
use anyhow::{Context, bail};
use reqwest::{Client, StatusCode};
use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

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
        };
        let client = Client::new();
        let url = format!("{}/readyz", server.base);
        while spawned.elapsed() < Duration::from_secs(60) {
            if let Ok(response) = client.get(&url).send().await
                && response.status() == StatusCode::OK
            {
                server.ready_after = spawned.elapsed();
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

    /// Round trips per request of `report`'s run, counted from `before` (background work —
    /// job polling, the billing scheduler — is included, and small beside the load).
    pub async fn per_request(
        &self,
        client: &Client,
        before: Option<u64>,
        report: &Report,
    ) -> Option<f64> {
        let after = self.statements(client).await?;
        let requests = report.total().max(1);
        Some(after.saturating_sub(before?) as f64 / requests as f64)
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
