//! Prompt overrides stored in the database replace the built-in template, on both databases.

use crate::{ai::prompts, entities::prompt_override};
use chrono::Utc;
use quire_testkit::{Backend, TestDatabase};
use sea_orm::{ActiveModelTrait, Set};

quire_testkit::on_both_backends!(an_operators_override_replaces_the_built_in_template);

async fn an_operators_override_replaces_the_built_in_template(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = crate::db::connect(&database.url, 2).await.expect("connect");
    crate::db::migrate(&db).await.expect("migrate");
    let vars = serde_json::json!({"product": "Quire", "name": "Ada", "language": null});

    let built_in = prompts::prompt_for(&db, "smoke_test", &vars)
        .await
        .expect("render");
    assert!(built_in.system.contains("writing assistant of Quire"));
    assert_eq!(built_in.user, "Say hello to Ada.");

    let now = Utc::now();
    prompt_override::ActiveModel {
        operation: Set("smoke_test".into()),
        text: Set("=== system ===\nBe brief.\n=== user ===\nGreet {{ name }} warmly.".into()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&db)
    .await
    .expect("store override");
    let overridden = prompts::prompt_for(&db, "smoke_test", &vars)
        .await
        .expect("render");
    assert_eq!(overridden.system, "Be brief.");
    assert_eq!(overridden.user, "Greet Ada warmly.");

    assert!(
        prompts::prompt_for(&db, "no_such_operation", &vars)
            .await
            .is_err()
    );
}
