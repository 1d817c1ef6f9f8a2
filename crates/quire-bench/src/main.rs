//! `quire-bench`: builds a fixture through the core on a fresh database, starts the release
//! `quire` binary on it, drives each scenario and prints a table (requests/s, p50, p99,
//! errors, server RSS, database round trips per request), then the targets beside
//! what was measured.

mod api;
mod clustering;
mod fixture;
mod flood;
mod import;
mod jobs;
mod load;
mod nodes;
mod pages;
mod reservations;
mod restart;
mod server;
mod targets;
mod vocabulary;

use anyhow::bail;
use clap::Parser;
use quire_core::config::JobSettings;
use quire_testkit::{Backend, TestDatabase};
use reqwest::Client;
use server::{Launch, Server};
use std::time::{Duration, Instant};

const GROUPS: [&str; 9] = [
    "api",
    "pages",
    "flood",
    "jobs",
    "import",
    "cluster",
    "nodes",
    "restart",
    "reservations",
];

#[derive(Parser)]
#[command(about = "Benchmark a real Quire server over HTTP")]
struct Args {
    /// `sqlite` (a fresh file) or `postgres` (a fresh database on QUIRE_TEST_POSTGRES_URL).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Seconds of load per scenario [default: 10; 2 with --quick].
    #[arg(long)]
    seconds: Option<u64>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Fixture tenants [default: 20; 4 with --quick].
    #[arg(long)]
    tenants: Option<usize>,
    /// Sites per tenant [default: 20; 4 with --quick].
    #[arg(long)]
    sites: Option<usize>,
    /// Keywords per site, at most 100,000 [default: 2,000; 200 with --quick].
    #[arg(long)]
    keywords: Option<usize>,
    /// Jobs queued by the job-throughput scenario [default: 1,000; 100 with --quick].
    #[arg(long)]
    jobs: Option<usize>,
    /// Rows of the CSV import, at most 100,000 [default: 100,000; 10,000 with --quick].
    #[arg(long)]
    import_rows: Option<usize>,
    /// Keywords per local-clustering run, comma-separated, each at most 100,000
    /// [default: 10000,100000; 1000,10000 with --quick].
    #[arg(long, value_delimiter = ',')]
    cluster_sizes: Option<Vec<usize>>,
    /// Job workers per server (QUIRE_JOBS__WORKERS) [default: the server's default].
    #[arg(long)]
    workers: Option<usize>,
    /// Servers on the one database for the `nodes` group; it runs only when above 1.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Run only these scenario groups (comma-separated: api, pages, flood, jobs, import,
    /// cluster, nodes, restart, reservations).
    #[arg(long, value_delimiter = ',', default_values_t = GROUPS.map(str::to_owned))]
    only: Vec<String>,
    /// A small fixture and short scenarios, for a smoke run; explicit flags still win.
    #[arg(long)]
    quick: bool,
}

impl Args {
    /// The flag, else its `--quick` value, else its default.
    fn pick<T: Clone>(&self, given: &Option<T>, quick: T, default: T) -> T {
        given
            .clone()
            .unwrap_or(if self.quick { quick } else { default })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = match args.database.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" if quire_testkit::postgres_url().is_some() => Backend::Postgres,
        "postgres" => bail!("set QUIRE_TEST_POSTGRES_URL to a PostgreSQL server to benchmark it"),
        other => bail!("unknown database {other:?}: use sqlite or postgres"),
    };
    if let Some(unknown) = args.only.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        bail!("unknown group {unknown:?}: use {}", GROUPS.join(", "));
    }
    let wanted = |group: &str| args.only.iter().any(|g| g == group);
    let duration = Duration::from_secs(args.pick(&args.seconds, 2, 10));
    let size = fixture::Size {
        tenants: args.pick(&args.tenants, 4, 20),
        sites: args.pick(&args.sites, 4, 20),
        keywords: args.pick(&args.keywords, 200, 2_000),
    };
    let jobs = args.pick(&args.jobs, 100, 1_000);
    let import_rows = args.pick(&args.import_rows, 10_000, 100_000);
    let cluster_sizes = args.pick(
        &args.cluster_sizes,
        vec![1_000, 10_000],
        vec![10_000, 100_000],
    );
    if size.tenants == 0 || size.sites == 0 || size.keywords == 0 || args.connections == 0 {
        bail!("--tenants, --sites, --keywords and --connections must be at least 1");
    }
    if [size.keywords, import_rows]
        .iter()
        .chain(&cluster_sizes)
        .any(|&n| n == 0 || n > vocabulary::DISTINCT)
    {
        bail!(
            "--keywords, --import-rows and --cluster-sizes must be between 1 and {}",
            vocabulary::DISTINCT
        );
    }
    let workers = args.workers.unwrap_or(JobSettings::default().workers);

    let reference_load = time_reference_load(backend).await?;
    let database = TestDatabase::create(backend).await;
    let built = fixture::build(
        &database.url,
        size,
        if wanted("cluster") {
            &cluster_sizes
        } else {
            &[]
        },
    )
    .await?;
    let log_dir = std::env::temp_dir().join(format!("quire-bench-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir)?;
    let launch = Launch {
        binary: server::quire_binary()?,
        database_url: database.url.clone(),
        workers,
        log_dir,
    };
    let mut server = Server::start(&launch).await?;
    let db = quire_core::db::connect(&database.url, 2).await?;
    let client = Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "quire-bench: {} database, {} connections, {} s per scenario, {workers} job workers per \
         server, {cores} cores shared by server, load generator and database",
        args.database,
        args.connections,
        duration.as_secs(),
    );
    println!(
        "fixture through quire-core: {} tenants × {} sites × {} keywords ({} keywords){} in \
         {:.1} s; server ready {:.3} s after spawn",
        size.tenants,
        size.sites,
        size.keywords,
        import::grouped(size.tenants * size.sites * size.keywords),
        if wanted("cluster") {
            format!(
                ", plus sectors of {} keywords to cluster",
                cluster_sizes
                    .iter()
                    .map(|&n| import::grouped(n))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        } else {
            String::new()
        },
        built.elapsed.as_secs_f64(),
        server.ready_after.as_secs_f64(),
    );
    println!();
    load::print_header();

    let mut measured = targets::Measured::default();
    if wanted("api") {
        let rows = api::run(&server, &client, &built, args.connections, duration).await?;
        measured.login = Some(rows.login);
        measured.lists = rows.lists;
    }
    if wanted("pages") {
        pages::run_all(&server, &built, args.connections, duration).await?;
    }
    if wanted("flood") {
        measured.flood =
            Some(flood::run(&server, &client, &built, args.connections, duration).await?);
    }
    if wanted("jobs") {
        measured.jobs = Some(
            jobs::run(
                &server,
                &client,
                &db,
                &built,
                args.connections,
                jobs,
                workers,
            )
            .await?,
        );
    }
    if wanted("import") {
        import::run(&server, &client, &built, import_rows).await?;
    }
    if wanted("cluster") {
        clustering::run(&server, &client, &db, &built).await?;
    }
    if wanted("nodes") && args.nodes > 1 {
        nodes::run(
            &server,
            &launch,
            args.nodes,
            &client,
            &built,
            args.connections,
            duration,
        )
        .await?;
    }
    if wanted("restart") {
        let (restarted, slowest) = restart::run(server, &launch).await?;
        server = restarted;
        measured.ready = Some(slowest);
    }
    drop(server);
    db.close().await?;
    if wanted("reservations") {
        let rows = reservations::run(backend, args.connections, duration).await?;
        measured.reserve_one = Some(rows.one_account);
        measured.drain = Some(rows.drain);
    }
    println!(
        "starter reference data into an empty database: {:.0} ms",
        reference_load.as_secs_f64() * 1000.0
    );
    println!(
        "server logs (QUIRE_LOG=warn): {} error lines in {}",
        launch.logged_errors()?,
        launch.log_dir.display()
    );
    targets::print(backend, &measured);
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
