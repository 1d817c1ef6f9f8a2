//! The `quire` command itself: `migrate`, `billing run` and `admin create`, on SQLite and
//! PostgreSQL.

use quire_core::{
    Quire,
    accounts::register::{Registration, register},
    config::Settings,
    entities::{plan, subscription},
};
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::process::{Command, Output};

quire_testkit::on_both_backends!(
    migrate_creates_the_schema_and_can_run_twice,
    admin_create_makes_an_operator_once,
    admin_create_refuses_a_weak_password,
    billing_run_makes_the_due_transitions_once,
);

fn quire(database: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .env("QUIRE_DATABASE_URL", &database.url)
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

async fn migrate_creates_the_schema_and_can_run_twice(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    for _ in 0..2 {
        let output = quire(&database, &["migrate"]);
        assert!(output.status.success(), "{}", text(&output));
        assert!(text(&output).contains("up to date"));
    }
}

async fn admin_create_makes_an_operator_once(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let args = [
        "admin",
        "create",
        "--email",
        "ops@example.com",
        "--password",
        "quiet-harbour-lantern-42",
    ];
    let output = quire(&database, &args);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("operator ops@example.com created"));

    let again = quire(&database, &args);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(text(&again).contains("already exists"));
}

async fn admin_create_refuses_a_weak_password(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let output = quire(
        &database,
        &[
            "admin",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "password",
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).starts_with("password:"), "{}", text(&output));
}

async fn billing_run_makes_the_due_transitions_once(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let app = Quire::open(Settings {
        database_url: database.url.clone(),
        ..Settings::default()
    })
    .await
    .expect("open");
    let free = plan::Entity::find()
        .filter(plan::Column::Slug.eq("free"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the free plan");
    let registered = register(
        &app,
        Registration {
            email: "cli@example.com".to_owned(),
            password: "quiet-harbour-lantern-42".to_owned(),
            name: "Cli".to_owned(),
            account_name: None,
            plan_id: Some(free.id),
            payment_method: None,
        },
    )
    .await
    .expect("registered");
    // The free period ended yesterday.
    let ended = chrono::Utc::now() - chrono::TimeDelta::days(1);
    let mut row: subscription::ActiveModel = registered.subscription.into();
    row.current_period_start = Set(Some(ended - chrono::TimeDelta::days(30)));
    row.current_period_end = Set(Some(ended));
    row.update(&app.db).await.expect("backdate");
    app.db.clone().close().await.expect("close");

    let output = quire(&database, &["billing", "run"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("free_renewal: 1"),
        "{}",
        text(&output)
    );
    let again = quire(&database, &["billing", "run"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(!text(&again).contains("free_renewal"), "{}", text(&again));
}
