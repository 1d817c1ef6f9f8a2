//! `quire backup` and `quire restore`: a SQLite round trip through the binary, and every
//! refusal (existing file, not a Quire database, a newer Quire's database, PostgreSQL).

use quire_core::{
    Quire,
    accounts::register::{Registration, register},
    config::Settings,
    entities::{account, credit_transaction, plan, site},
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

fn quire(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .env("QUIRE_DATABASE_URL", url)
        .env("QUIRE_CONFIG", "/nonexistent/quire.toml")
        .env("QUIRE_LOG", "warn")
        .output()
        .expect("run quire")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn open(url: &str) -> Quire {
    Quire::open(Settings {
        database_url: url.to_owned(),
        ..Settings::default()
    })
    .await
    .expect("open")
}

/// What the round trip compares: the tenant's account, sites and ledger, row for row.
#[derive(Debug, PartialEq)]
struct Snapshot {
    account: account::Model,
    sites: Vec<site::Model>,
    ledger: Vec<credit_transaction::Model>,
}

async fn snapshot(quire: &Quire, account_id: i64) -> Snapshot {
    Snapshot {
        account: account::Entity::find_by_id(account_id)
            .one(&quire.db)
            .await
            .expect("query")
            .expect("account"),
        sites: site::Entity::find()
            .filter(site::Column::AccountId.eq(account_id))
            .order_by_asc(site::Column::Id)
            .all(&quire.db)
            .await
            .expect("sites"),
        ledger: credit_transaction::Entity::find()
            .filter(credit_transaction::Column::AccountId.eq(account_id))
            .order_by_asc(credit_transaction::Column::Id)
            .all(&quire.db)
            .await
            .expect("ledger"),
    }
}

/// A registered tenant with two sites; answers its account id.
async fn tenant_with_sites(quire: &Quire) -> i64 {
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&quire.db)
        .await
        .expect("query")
        .expect("the free plan");
    let registered = register(
        quire,
        Registration {
            email: "backup@example.com".to_owned(),
            password: "quiet-harbour-lantern-42".to_owned(),
            name: "Backup".to_owned(),
            account_name: Some("Backed up".to_owned()),
            plan_id: Some(free.id),
            payment_method: None,
        },
    )
    .await
    .expect("registered");
    let now = chrono::Utc::now();
    for name in ["Kept", "Also kept"] {
        site::ActiveModel {
            account_id: Set(registered.account.id),
            name: Set(name.to_owned()),
            url: Set(format!("https://{}.example.com", name.len())),
            description: Set(String::new()),
            is_active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&quire.db)
        .await
        .expect("site");
    }
    registered.account.id
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

#[tokio::test]
async fn a_backup_restores_the_data_exactly_after_changes_and_deletions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(&dir.path().join("quire.db"));
    let quire_app = open(&url).await;
    let account_id = tenant_with_sites(&quire_app).await;
    let before = snapshot(&quire_app, account_id).await;
    assert_eq!(before.sites.len(), 2);

    // Taken while the app's pool is open, as with a running server.
    let file = dir.path().join("backup.db");
    let output = quire(&url, &["backup", "--to", file.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("backup written"),
        "{}",
        text(&output)
    );

    site::Entity::delete_many()
        .filter(site::Column::AccountId.eq(account_id))
        .exec(&quire_app.db)
        .await
        .expect("delete sites");
    let mut renamed: account::ActiveModel = before.account.clone().into();
    renamed.name = Set("Changed after the backup".to_owned());
    renamed.update(&quire_app.db).await.expect("rename");
    assert_ne!(snapshot(&quire_app, account_id).await, before);
    quire_app.db.clone().close().await.expect("close");

    let output = quire(&url, &["restore", "--from", file.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("restored from"), "{}", text(&output));

    let restored = open(&url).await;
    assert_eq!(snapshot(&restored, account_id).await, before);
}

#[tokio::test]
async fn backup_refuses_to_overwrite_an_existing_file() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    open(&database.url).await.db.close().await.expect("close");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("existing.db");
    std::fs::write(&file, b"keep me").expect("write");

    let output = quire(
        &database.url,
        &["backup", "--to", file.to_str().expect("utf-8")],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    assert_eq!(std::fs::read(&file).expect("read"), b"keep me");
}

/// A database with data in it, and a copy of its file to compare against after a refusal.
async fn database_and_its_bytes(dir: &Path) -> (String, PathBuf, Vec<u8>) {
    let path = dir.join("quire.db");
    let url = sqlite_url(&path);
    let quire_app = open(&url).await;
    tenant_with_sites(&quire_app).await;
    quire_app.db.close().await.expect("close");
    let bytes = std::fs::read(&path).expect("read");
    (url, path, bytes)
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_a_quire_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, path, bytes) = database_and_its_bytes(dir.path()).await;

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![7_u8; 8192]).expect("write");
    let empty = dir.path().join("empty.db");
    let plain = quire_core::db::connect(&sqlite_url(&empty), 1)
        .await
        .expect("plain sqlite");
    plain
        .execute_unprepared("CREATE TABLE notes (body TEXT)")
        .await
        .expect("table");
    plain.close().await.expect("close");
    let missing = dir.path().join("missing.db");

    for file in [&garbage, &empty, &missing] {
        let output = quire(&url, &["restore", "--from", file.to_str().expect("utf-8")]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output));
        assert!(
            text(&output).contains("is not a Quire database"),
            "{}",
            text(&output)
        );
        assert_eq!(std::fs::read(&path).expect("read"), bytes, "{file:?}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".restore-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn restore_refuses_a_backup_from_a_newer_quire() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, path, bytes) = database_and_its_bytes(dir.path()).await;
    let newer = dir.path().join("newer.db");
    let output = quire(&url, &["backup", "--to", newer.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", text(&output));
    let db = quire_core::db::connect(&sqlite_url(&newer), 1)
        .await
        .expect("open backup");
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_future', 0)",
    )
    .await
    .expect("future migration");
    db.close().await.expect("close");

    let output = quire(&url, &["restore", "--from", newer.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("newer Quire"), "{}", text(&output));
    assert!(text(&output).contains("m29991231_000001_future"));
    assert_eq!(std::fs::read(&path).expect("read"), bytes);
}

#[tokio::test]
async fn backup_and_restore_on_postgresql_point_to_pg_dump_and_pg_restore() {
    let url = "postgres://quire@127.0.0.1:1/quire";
    let backup = quire(url, &["backup", "--to", "/tmp/never-written.dump"]);
    assert_eq!(backup.status.code(), Some(2), "{}", text(&backup));
    assert!(text(&backup).contains("pg_dump --format=custom"));
    assert!(!Path::new("/tmp/never-written.dump").exists());
    let restore = quire(url, &["restore", "--from", "/tmp/never-written.dump"]);
    assert_eq!(restore.status.code(), Some(2), "{}", text(&restore));
    assert!(text(&restore).contains("pg_restore --clean"));
}
