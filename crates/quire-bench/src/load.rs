//! Closed-loop load (each connection sends one request at a time) and the table's rows.

use hdrhistogram::Histogram;
use reqwest::Client;
use std::time::{Duration, Instant};

/// Latencies (µs) of the successful operations, the failed ones, and how long the run took.
pub struct Report {
    pub latencies: Histogram<u64>,
    pub errors: u64,
    pub elapsed: Duration,
}

impl Report {
    /// Operations finished, with or without error.
    pub fn total(&self) -> u64 {
        self.latencies.len() + self.errors
    }

    /// Operations per second over the run.
    pub fn per_second(&self) -> f64 {
        self.total() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency at `quantile`, in milliseconds; `None` when nothing succeeded.
    pub fn quantile_ms(&self, quantile: f64) -> Option<f64> {
        (!self.latencies.is_empty())
            .then(|| self.latencies.value_at_quantile(quantile) as f64 / 1000.0)
    }

    /// The table row of this run.
    pub fn row(&self, name: impl Into<String>, rss_mib: Option<f64>, db: Option<f64>) -> Row {
        Row {
            name: name.into(),
            per_second: Some(self.per_second()),
            p50_ms: self.quantile_ms(0.50),
            p99_ms: self.quantile_ms(0.99),
            errors: self.errors,
            rss_mib,
            db_per_request: db,
            note: String::new(),
        }
    }
}

/// One line of the table. Whatever was not measured stays `None` and prints as `-`.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub per_second: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    pub rss_mib: Option<f64>,
    /// Database round trips per request (or per job, or for the one request).
    pub db_per_request: Option<f64>,
    pub note: String,
}

impl Row {
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    pub fn print(&self) {
        let cell = |value: Option<f64>, decimals: usize| {
            value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
        };
        println!(
            "{:<44} {:>10} {:>9} {:>9} {:>8} {:>10} {:>7}  {}",
            self.name,
            cell(self.per_second, 0),
            cell(self.p50_ms, 2),
            cell(self.p99_ms, 2),
            self.errors,
            cell(self.rss_mib, 1),
            cell(self.db_per_request, 2),
            self.note,
        );
    }
}

pub fn print_header() {
    println!(
        "{:<44} {:>10} {:>9} {:>9} {:>8} {:>10} {:>7}  notes",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "DB/req"
    );
}

/// `connections` workers each send one request at a time through `client` for `duration`.
pub async fn run<F, Fut>(
    client: &Client,
    connections: usize,
    duration: Duration,
    request: F,
) -> Report
where
    F: Fn(Client, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let client = client.clone();
    closed_loop(connections, duration, move |i| request(client.clone(), i)).await
}

/// `connections` tasks each run one operation at a time for `duration`; worker `w` numbers
/// its operations `w`, `w + connections`, … so the index spreads work over tenants.
pub async fn closed_loop<F, Fut>(connections: usize, duration: Duration, operation: F) -> Report
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
                let mut latencies = histogram();
                let mut errors = 0;
                let mut i = worker;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    if operation(i).await {
                        record(&mut latencies, sent.elapsed());
                    } else {
                        errors += 1;
                    }
                    i += connections;
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = histogram();
    let mut errors = 0;
    for worker in workers {
        match worker.await {
            Ok((worker_latencies, worker_errors)) => {
                let _ = latencies.add(worker_latencies);
                errors += worker_errors;
            }
            Err(_) => errors += 1,
        }
    }
    Report {
        latencies,
        errors,
        elapsed: started.elapsed(),
    }
}

/// An empty histogram of 1 µs to 10 minutes at three significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("constant histogram bounds are valid")
}

/// Adds one latency, clamped into the histogram's range.
pub fn record(latencies: &mut Histogram<u64>, latency: Duration) {
    let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    let _ = latencies.record(micros.clamp(1, 600_000_000));
}
