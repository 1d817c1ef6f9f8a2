//! The fixture, built through quire-core's services on the server's database before it starts.

use crate::vocabulary;
use anyhow::{Context, bail};
use quire_core::{
    Quire,
    accounts::{
        principal::Tenant,
        register::{self, Registration},
    },
    config::Settings,
    entities::{
        enums::{BillingCycle, CreditPolicy, TaskStatus},
        keyword, plan, task,
    },
    planner::{
        clusters::{self, MoveKeywords, NewCluster},
        ideas::{self, NewIdea, SendToWriter},
        keywords::{ImportTarget, import_csv},
    },
    tenancy::{
        sectors::{self, NewSector},
        sites::{self, NewSite},
    },
    writer::versions::{self, Draft},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::{sync::Semaphore, task::JoinSet};

pub const PASSWORD: &str = "bench-harbour-lantern-42";
/// Clusters per tenant, each holding [`KEYWORDS_PER_CLUSTER`] keywords of its first sector.
const CLUSTERS: usize = 5;
const KEYWORDS_PER_CLUSTER: u64 = 40;
/// Ideas per cluster; the first [`TASKS`] ideas go to the writer, the first task gets an article.
const IDEAS_PER_CLUSTER: usize = 2;
const TASKS: usize = 3;
/// Tenants built at once: CSV parsing of one overlaps the inserts of another.
const PARALLEL_TENANTS: usize = 2;

/// How big the fixture is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub tenants: usize,
    pub sites: usize,
    pub keywords: usize,
}

/// What the scenarios need to know about one tenant.
#[derive(Debug, Clone)]
pub struct FixtureTenant {
    pub email: String,
    pub site_ids: Vec<i64>,
    pub cluster_ids: Vec<i64>,
    pub content_id: i64,
}

/// The bulk account: one sector per clustering size, and room for the CSV import.
#[derive(Debug, Clone)]
pub struct Bulk {
    pub email: String,
    /// `(keywords, sector id)`.
    pub cluster_sectors: Vec<(usize, i64)>,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub tenants: Vec<FixtureTenant>,
    pub bulk: Bulk,
    pub elapsed: Duration,
}

/// Builds `size` tenants on a plan with room for them, and the bulk account with a sector of
/// each of `cluster_sizes` keywords.
pub async fn build(
    database_url: &str,
    size: Size,
    cluster_sizes: &[usize],
) -> anyhow::Result<Fixture> {
    let started = Instant::now();
    let quire = Arc::new(
        Quire::open(Settings {
            database_url: database_url.to_owned(),
            database_max_connections: 4,
            ..Settings::default()
        })
        .await?,
    );
    let plan = bench_plan(&quire).await?;

    // Sign-ups one at a time (SQLite's writer), then tenants' data two at a time.
    let mut registered = Vec::with_capacity(size.tenants);
    for n in 0..size.tenants {
        registered.push(tenant(&quire, &plan, &format!("bench{n}@example.com")).await?);
    }
    let bulk_email = "bench-bulk@example.com".to_owned();
    let bulk_tenant = tenant(&quire, &plan, &bulk_email).await?;
    let mut cluster_sectors = Vec::with_capacity(cluster_sizes.len());
    for &keywords in cluster_sizes {
        let sector = site_with_keywords(
            &quire,
            &bulk_tenant,
            &format!("Cluster {keywords}"),
            0,
            keywords,
        )
        .await?
        .1;
        cluster_sectors.push((keywords, sector));
    }

    let permits = Arc::new(Semaphore::new(PARALLEL_TENANTS));
    let mut building = JoinSet::new();
    for (n, tenant) in registered.into_iter().enumerate() {
        let quire = quire.clone();
        let permits = permits.clone();
        building.spawn(async move {
            let _permit = permits.acquire_owned().await?;
            let built = tenant_data(&quire, &tenant, size).await?;
            anyhow::Ok((n, built))
        });
    }
    let mut tenants = Vec::with_capacity(size.tenants);
    while let Some(joined) = building.join_next().await {
        tenants.push(joined.context("a fixture task panicked")??);
    }
    tenants.sort_by_key(|(n, _)| *n);
    let tenants = tenants.into_iter().map(|(_, t)| t).collect();
    if quire.db.get_database_backend() == DatabaseBackend::Postgres {
        // What autovacuum does on a live database, done before measuring rather than during
        // the first scenarios. Right after the bulk imports the planner has no statistics, and
        // answers `id IN (…500 ids) AND account_id = …` by scanning every keyword of the account
        // (100× slower on the 100,000-keyword sector); and no page is marked all-visible, so
        // the index-only scans behind list totals would read the table.
        quire.db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    quire.db.clone().close().await?;
    Ok(Fixture {
        tenants,
        bulk: Bulk {
            email: bulk_email,
            cluster_sectors,
        },
        elapsed: started.elapsed(),
    })
}

/// A free plan with limits and credits far beyond what the run uses.
async fn bench_plan(quire: &Quire) -> anyhow::Result<plan::Model> {
    let now = quire.clock.now();
    Ok(plan::ActiveModel {
        slug: Set("bench".to_owned()),
        name: Set("Bench".to_owned()),
        description: Set("quire-bench fixture plan".to_owned()),
        price: Set(0),
        currency: Set("USD".to_owned()),
        billing_cycle: Set(BillingCycle::Monthly),
        included_credits: Set(1_000_000_000),
        credits_per_month: Set(0),
        max_sites: Set(10_000),
        max_industries: Set(100),
        max_users: Set(100),
        trial_days: Set(0),
        credit_policy: Set(CreditPolicy::Reset),
        is_active: Set(true),
        sort_order: Set(1_000),
        stripe_product_id: Set(None),
        stripe_price_id: Set(None),
        paypal_plan_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&quire.db)
    .await?)
}

/// Signs up `email` on `plan` through `accounts::register`.
async fn tenant(quire: &Quire, plan: &plan::Model, email: &str) -> anyhow::Result<Tenant> {
    let registered = register::register(
        quire,
        Registration {
            email: email.to_owned(),
            password: PASSWORD.to_owned(),
            name: "Bench Tenant".to_owned(),
            plan_id: Some(plan.id),
            ..Registration::default()
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

/// A site with one sector holding `keywords` keywords imported through `import_csv`;
/// answers `(site id, sector id)`.
async fn site_with_keywords(
    quire: &Quire,
    tenant: &Tenant,
    name: &str,
    offset: usize,
    keywords: usize,
) -> anyhow::Result<(i64, i64)> {
    let site = sites::create(
        &quire.db,
        tenant,
        NewSite {
            name: name.to_owned(),
            url: format!("{}.example.com", name.to_lowercase().replace(' ', "-")),
            industry_id: None,
            description: None,
            is_active: None,
        },
    )
    .await?;
    let sector = sectors::create(
        &quire.db,
        tenant,
        NewSector {
            site_id: site.id,
            name: format!("{name} keywords"),
            industry_sector_id: None,
            description: None,
            is_active: None,
        },
    )
    .await?;
    let target = ImportTarget {
        sector_id: sector.id,
        site_id: None,
    };
    let outcome = import_csv(
        &quire.db,
        tenant,
        target,
        vocabulary::csv(offset, keywords).into_bytes(),
    )
    .await?;
    if outcome.created != keywords as u64 {
        bail!(
            "{name}: imported {} of {keywords} keywords ({:?})",
            outcome.created,
            outcome.errors.first()
        );
    }
    Ok((site.id, sector.id))
}

/// One tenant's sites and keywords, clusters, ideas, writer tasks and an article.
async fn tenant_data(quire: &Quire, tenant: &Tenant, size: Size) -> anyhow::Result<FixtureTenant> {
    let mut site_ids = Vec::with_capacity(size.sites);
    let mut first_sector = None;
    for s in 0..size.sites {
        let (site, sector) = site_with_keywords(
            quire,
            tenant,
            &format!("Site {} {s}", tenant.account.id),
            s * size.keywords,
            size.keywords,
        )
        .await?;
        site_ids.push(site);
        first_sector.get_or_insert(sector);
    }
    let sector_id = first_sector.context("a tenant needs at least one site")?;
    let db = &quire.db;

    let keyword_ids: Vec<i64> = keyword::Entity::find()
        .select_only()
        .column(keyword::Column::Id)
        .filter(keyword::Column::SectorId.eq(sector_id))
        .order_by_asc(keyword::Column::Id)
        .limit(CLUSTERS as u64 * KEYWORDS_PER_CLUSTER)
        .into_tuple()
        .all(db)
        .await?;
    let mut cluster_ids = Vec::with_capacity(CLUSTERS);
    let mut idea_ids = Vec::new();
    for (c, members) in keyword_ids
        .chunks(KEYWORDS_PER_CLUSTER as usize)
        .enumerate()
    {
        let cluster = clusters::create(
            db,
            tenant,
            NewCluster {
                sector_id,
                site_id: None,
                name: format!("{} {c}", vocabulary::keyword(c)),
                description: Some("Built by quire-bench".to_owned()),
                status: None,
            },
        )
        .await?;
        clusters::move_keywords(
            db,
            tenant,
            cluster.id,
            MoveKeywords {
                keyword_ids: members.to_vec(),
            },
        )
        .await?;
        for i in 0..IDEAS_PER_CLUSTER {
            let idea = ideas::create(
                db,
                tenant,
                NewIdea {
                    sector_id,
                    site_id: None,
                    cluster_id: Some(cluster.id),
                    title: format!("The {} handbook, part {}", cluster.name, i + 1),
                    description: Some("What to know before you buy.".to_owned()),
                    outline: Some(vocabulary::HEADINGS.map(str::to_owned).to_vec()),
                    content_type: None,
                    content_structure: None,
                    target_keywords: Some(vec![cluster.name.clone()]),
                    estimated_words: None,
                    status: None,
                },
            )
            .await?;
            idea_ids.push(idea.id);
        }
        cluster_ids.push(cluster.id);
    }

    let sent = ideas::send_to_writer(
        db,
        tenant,
        SendToWriter {
            idea_ids: idea_ids.into_iter().take(TASKS).collect(),
        },
    )
    .await?;
    let first_task = sent
        .created
        .into_iter()
        .next()
        .context("send to writer made no task")?;
    let content_id = article(quire, first_task).await?;
    Ok(FixtureTenant {
        email: tenant.user.email.clone(),
        site_ids,
        cluster_ids,
        content_id,
    })
}

/// Saves an article with sections for `task`, as the generation job does; answers its id.
async fn article(quire: &Quire, task: task::Model) -> anyhow::Result<i64> {
    let txn = quire.db.begin().await?;
    // The write first, so SQLite takes its write lock before the transaction reads.
    let mut row: task::ActiveModel = task.clone().into();
    row.status = Set(TaskStatus::Draft);
    row.updated_at = Set(quire.clock.now());
    let task = row.update(&txn).await?;
    let content = versions::save_generated(
        &txn,
        &task,
        Draft {
            title: task.title.clone(),
            meta_title: "A buyer's guide".to_owned(),
            meta_description: "Everything to weigh before buying, section by section.".to_owned(),
            body: vocabulary::article_body(&task.title),
        },
        "Built by quire-bench",
    )
    .await?;
    txn.commit().await?;
    Ok(content.id)
}
