//! Times a 100,000-row keyword CSV import into a fresh database through
//! `planner::keywords::import_csv`, the function behind `POST /api/v1/planner/keywords/import/`.
//!
//! ```sh
//! cargo run --release -p quire-core --example keyword_import_bench                  # SQLite file
//! cargo run --release -p quire-core --example keyword_import_bench -- \
//!   --database-url postgres://postgres@127.0.0.1:5432/quire_bench                   # PostgreSQL
//! ```
//!
//! Without `--database-url` the database is a new SQLite file in a temporary directory. A
//! given database is migrated and gets a new account, so runs can repeat.

use quire_core::{
    Quire,
    accounts::{
        principal::Tenant,
        register::{Registration, register},
    },
    config::Settings,
    entities::plan,
    planner::keywords::{ImportTarget, import_csv},
    tenancy::{
        sectors::{self, NewSector},
        sites::{self, NewSite},
    },
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::{error::Error, fmt::Write, time::Instant};

const ROWS: usize = 100_000;
const INTENTS: [&str; 5] = ["informational", "commercial", "transactional", "nav", ""];

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let given = match args.as_slice() {
        [] => None,
        [flag, url] if flag == "--database-url" => Some(url.clone()),
        _ => return Err("usage: keyword_import_bench [--database-url URL]".into()),
    };
    let dir = tempfile::tempdir()?;
    let database_url = given.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let backend = database_url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let quire = Quire::open(Settings {
        database_url,
        database_max_connections: 4,
        ..Settings::default()
    })
    .await?;
    let tenant = new_tenant(&quire).await?;
    let site = sites::create(
        &quire.db,
        &tenant,
        NewSite {
            name: "Bench".to_owned(),
            url: "bench.example.com".to_owned(),
            industry_id: None,
            description: None,
            is_active: None,
        },
    )
    .await?;
    let sector = sectors::create(
        &quire.db,
        &tenant,
        NewSector {
            site_id: site.id,
            name: "Bench".to_owned(),
            industry_sector_id: None,
            description: None,
            is_active: None,
        },
    )
    .await?;

    let mut file = String::from("keyword,volume,difficulty,intent\n");
    for i in 0..ROWS {
        writeln!(
            file,
            "best running shoes {i} size {},{},{},{}",
            i % 47,
            (i * 37) % 100_000,
            i % 101,
            INTENTS[i % INTENTS.len()],
        )?;
    }
    let bytes = file.len();
    let target = ImportTarget {
        sector_id: sector.id,
        site_id: None,
    };
    let started = Instant::now();
    let outcome = import_csv(&quire.db, &tenant, target, file.into_bytes()).await?;
    let seconds = started.elapsed().as_secs_f64();
    if outcome.created != ROWS as u64 {
        return Err(format!(
            "created {} of {ROWS}: {:?}",
            outcome.created,
            outcome.errors.first()
        )
        .into());
    }
    println!(
        "{backend}: {} rows ({:.1} MB) imported in {seconds:.2} s ({:.0} rows/s)",
        outcome.rows,
        bytes as f64 / 1e6,
        outcome.rows as f64 / seconds,
    );
    Ok(())
}

/// A new owner on the free plan, as the request gates would see them.
async fn new_tenant(quire: &Quire) -> Result<Tenant, Box<dyn Error>> {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await?
        .ok_or("the free plan is missing")?;
    let email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let registered = register(
        quire,
        Registration {
            email,
            password: "bench-harbour-lantern-42".to_owned(),
            name: "Bench".to_owned(),
            account_name: None,
            plan_id: Some(free.id),
            payment_method: None,
        },
    )
    .await?;
    Ok(Tenant {
        user: registered.user,
        account: registered.account,
        plan: registered.plan,
        session_id: String::new(),
    })
}
