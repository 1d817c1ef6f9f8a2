//! The `quire` command: serve the app, run workers, migrate the database, create operators,
//! back up and restore a SQLite database.

use anyhow::Context;
use clap::{Parser, Subcommand};
use quire_core::{
    Quire,
    accounts::operators,
    backup::{self, BackupError},
    billing,
    config::{LogFormat, Settings},
    db, jobs,
};
use std::{path::PathBuf, sync::Arc};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "quire",
    version,
    about = "AI-assisted SEO content for many tenants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, seed an empty one, and serve HTTP until interrupted.
    Serve {
        /// Address to listen on (default: QUIRE_BIND or 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Run job workers only (no HTTP), for deployments that scale workers separately.
    Worker {
        /// Number of workers (default: `jobs.workers`, at least 1).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// The billing job (renewals, past due, suspension, cancellation, annual grants).
    Billing {
        #[command(subcommand)]
        command: BillingCommand,
    },
    /// Manage operators (staff users who run the platform).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Copy the SQLite database to FILE while the server may run (PostgreSQL: use pg_dump).
    Backup {
        /// The new backup file; an existing file is never overwritten.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with the backup FILE, then migrate it. Stop the server
    /// first. PostgreSQL: use pg_restore.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Run one pass of the billing job now, print what it did, and exit.
    Run,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an operator, who logs in through the normal login.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "Operator")]
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    init_logging(settings.log_format);

    match cli.command {
        Command::Serve { bind } => serve(settings, bind).await,
        Command::Worker { count } => {
            let count = count.unwrap_or(settings.jobs.workers).max(1);
            let quire = Arc::new(Quire::open(settings).await?);
            let (stop, stopped) = watch::channel(false);
            let mut workers = jobs::worker::spawn(quire, jobs::handlers(), count, stopped);
            println!("{count} job workers running; Ctrl-C stops them");
            shutdown_signal().await;
            let _ = stop.send(true);
            while workers.join_next().await.is_some() {}
            Ok(())
        }
        Command::Migrate => {
            let db = db::connect(&settings.database_url, 1).await?;
            db::migrate(&db).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Billing {
            command: BillingCommand::Run,
        } => {
            let quire = Quire::open(settings).await?;
            let report = billing::job::run_once(&quire).await?;
            println!("billing run: {report}");
            if report.failures > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Backup { to } => {
            let bytes = backup::backup(&settings.database_url, &to)
                .await
                .unwrap_or_else(|e| refuse(&e));
            println!("backup written to {} ({bytes} bytes)", to.display());
            Ok(())
        }
        Command::Restore { from } => {
            let restored = backup::restore(&settings.database_url, &from)
                .await
                .unwrap_or_else(|e| refuse(&e));
            let db = db::connect(&settings.database_url, 1).await?;
            db::migrate(&db).await?;
            println!(
                "{} restored from {} (taken at migration {}); the database is up to date",
                restored.file.display(),
                from.display(),
                restored.migration
            );
            Ok(())
        }
        Command::Admin {
            command:
                AdminCommand::Create {
                    email,
                    password,
                    name,
                },
        } => {
            let quire = Quire::open(settings).await?;
            match operators::create(&quire, &email, &password, &name).await {
                Ok(user) => {
                    println!("operator {} created (id {})", user.email, user.id);
                    Ok(())
                }
                Err(quire_core::Error::Validation(errors)) => {
                    for (field, messages) in errors.fields() {
                        eprintln!("{field}: {}", messages.join(" "));
                    }
                    std::process::exit(2);
                }
                Err(other) => Err(other.into()),
            }
        }
    }
}

/// Prints why a backup or restore was refused and exits with status 2.
fn refuse(error: &BackupError) -> ! {
    eprintln!("{error}");
    std::process::exit(2);
}

async fn serve(settings: Settings, bind: Option<String>) -> anyhow::Result<()> {
    let bind = bind.unwrap_or_else(|| settings.bind.clone());
    if settings.bank_transfer.is_example() {
        tracing::warn!(
            "bank transfer details are the example defaults; set [bank_transfer] in quire.toml \
             before taking real payments"
        );
    }
    tracing::info!(
        database = if settings.is_postgres() { "postgres" } else { "sqlite" },
        ai_provider = ?settings.ai_provider,
        "starting"
    );
    let workers = settings.jobs.workers;
    let quire = Arc::new(Quire::open(settings).await?);
    let (stop, stopped) = watch::channel(false);
    let mut worker_tasks =
        jobs::worker::spawn(quire.clone(), jobs::handlers(), workers, stopped.clone());
    let scheduler = quire
        .settings
        .billing
        .scheduler
        .then(|| billing::job::spawn_scheduler(quire.clone(), stopped));
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("binding {bind}"))?;
    let address = listener.local_addr()?;
    println!("Quire is listening on http://{address}  (API docs: http://{address}/api/docs)");
    quire_server::serve(listener, quire, shutdown_signal()).await?;
    let _ = stop.send(true);
    while worker_tasks.join_next().await.is_some() {}
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("QUIRE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}
