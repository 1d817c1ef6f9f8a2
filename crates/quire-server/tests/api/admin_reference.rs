//! Operators' reference data: industries and industry sectors (refused 409 while tenants or
//! sectors use them), seed keywords one by one and by CSV import (all rows or none, repeats
//! skipped and counted), every change audited; tenants get 403 and anonymous callers 401.

use crate::{
    admin_plans::{audit_rows, operator},
    common::{Backend, TestApp, body},
};
use quire_core::entities::{industry, industry_sector, seed_keyword};
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    an_operator_manages_industries_and_deletes_only_unused_ones,
    an_operator_manages_industry_sectors_and_deletes_only_unused_ones,
    an_operator_manages_seed_keywords,
    a_csv_import_adds_new_keywords_and_counts_repeats,
    a_csv_import_with_a_bad_row_writes_nothing,
    tenants_and_anonymous_callers_cannot_use_the_reference_api,
);

const IMPORT: &str = "/api/v1/admin/seed-keywords/import/";
const HEADER: &str = "keyword,industry_sector,volume,difficulty,intent,country,language\n";

async fn sector_by_slug(app: &TestApp, slug: &str) -> industry_sector::Model {
    industry_sector::Entity::find()
        .filter(industry_sector::Column::Slug.eq(slug))
        .one(app.db())
        .await
        .expect("query")
        .expect("starter sector")
}

async fn seed_count(app: &TestApp) -> u64 {
    seed_keyword::Entity::find()
        .count(app.db())
        .await
        .expect("count")
}

async fn created(app: &TestApp, token: &str, path: &str, payload: Value) -> Value {
    let response = app.post(path, &payload, Some(token)).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{path}");
    body(response).await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.call(Method::DELETE, path, Some(token), None).await
}

async fn patch(app: &TestApp, token: &str, path: &str, payload: Value) -> reqwest::Response {
    app.call(Method::PATCH, path, Some(token), Some(&payload))
        .await
}

async fn upload(app: &TestApp, token: &str, file: &str) -> reqwest::Response {
    let form = Form::new().part(
        "file",
        Part::bytes(file.as_bytes().to_vec())
            .file_name("seeds.csv")
            .mime_str("text/csv")
            .expect("mime"),
    );
    app.client
        .post(app.url(IMPORT))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("request")
}

async fn an_operator_manages_industries_and_deletes_only_unused_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, ops_id) = operator(&app).await;
    let made = created(
        &app,
        &ops,
        "/api/v1/admin/industries/",
        json!({"slug": "space", "name": " Space ", "description": "Launchers and satellites."}),
    )
    .await;
    let id = made["id"].as_i64().expect("id");
    assert_eq!(
        (&made["name"], &made["sectors"]),
        (&json!("Space"), &json!([]))
    );
    let audited = audit_rows(&app, "industry.created").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor, format!("user:{ops_id}"));
    assert_eq!(audited[0].object_id, Some(id));

    // Refused input: a taken slug, a bad slug, a blank name, a missing field.
    for (payload, field) in [
        (json!({"slug": "space", "name": "Again"}), "slug"),
        (json!({"slug": "finance", "name": "Again"}), "slug"),
        (json!({"slug": "Outer Space", "name": "x"}), "slug"),
        (json!({"slug": "void", "name": " "}), "name"),
        (json!({"name": "No slug"}), "slug"),
    ] {
        let response = app
            .post("/api/v1/admin/industries/", &payload, Some(&ops))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{payload}");
        assert!(body(response).await[field].is_array(), "{payload}");
    }

    let path = format!("/api/v1/admin/industries/{id}/");
    let response = patch(
        &app,
        &ops,
        &path,
        json!({"slug": "space-tech", "name": "Space tech"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["slug"], "space-tech");
    assert_eq!(
        patch(&app, &ops, &path, json!({"slug": "finance"}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        body(app.get(&path, Some(&ops)).await).await["name"],
        "Space tech"
    );
    let found = body(
        app.get("/api/v1/admin/industries/?search=space", Some(&ops))
            .await,
    )
    .await;
    assert_eq!(found["count"], 1);
    assert_eq!(audit_rows(&app, "industry.updated").await.len(), 1);

    // An industry with sectors, or one a tenant's site names, stays.
    let finance = industry::Entity::find()
        .filter(industry::Column::Slug.eq("finance"))
        .one(app.db())
        .await
        .expect("query")
        .expect("finance");
    let response = delete(
        &app,
        &ops,
        &format!("/api/v1/admin/industries/{}/", finance.id),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let tenant = app.active_member("owner@example.com", "free").await;
    created(
        &app,
        &tenant,
        "/api/v1/auth/sites/",
        json!({"name": "Rockets", "url": "rockets.example.com", "industry_id": id}),
    )
    .await;
    let response = delete(&app, &ops, &path).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        body(response).await["detail"]
            .as_str()
            .expect("detail")
            .contains("1 sites")
    );

    let unused = created(
        &app,
        &ops,
        "/api/v1/admin/industries/",
        json!({"slug": "unused", "name": "Unused"}),
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let unused_path = format!("/api/v1/admin/industries/{unused}/");
    assert_eq!(
        delete(&app, &ops, &unused_path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&app, &ops, &unused_path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&unused_path, Some(&ops)).await.status(),
        StatusCode::NOT_FOUND
    );
    let audited = audit_rows(&app, "industry.deleted").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].object_id, Some(unused));
}

async fn an_operator_manages_industry_sectors_and_deletes_only_unused_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let mental = sector_by_slug(&app, "mental-health").await;
    let other_industry = industry::Entity::find()
        .filter(industry::Column::Slug.eq("finance"))
        .one(app.db())
        .await
        .expect("query")
        .expect("finance")
        .id;

    for (payload, field) in [
        (
            json!({"industry_id": 999999, "slug": "x", "name": "X"}),
            "industry_id",
        ),
        (
            json!({"industry_id": mental.industry_id, "slug": "mental-health", "name": "X"}),
            "slug",
        ),
    ] {
        let response = app
            .post("/api/v1/admin/industry-sectors/", &payload, Some(&ops))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{payload}");
        assert!(body(response).await[field].is_array(), "{payload}");
    }
    let made = created(
        &app,
        &ops,
        "/api/v1/admin/industry-sectors/",
        json!({"industry_id": mental.industry_id, "slug": "sports-medicine", "name": "Sports medicine"}),
    )
    .await;
    let id = made["id"].as_i64().expect("id");
    let path = format!("/api/v1/admin/industry-sectors/{id}/");
    assert_eq!(made["industry_id"], mental.industry_id);
    let listed = body(
        app.get(
            &format!(
                "/api/v1/admin/industry-sectors/?industry_id={}&search=sports",
                mental.industry_id
            ),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["id"], id);
    assert_eq!(audit_rows(&app, "industry_sector.created").await.len(), 1);

    // Unused, it may move to another industry.
    let response = patch(
        &app,
        &ops,
        &path,
        json!({"industry_id": other_industry, "name": "Moved"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["industry_id"], other_industry);
    assert_eq!(
        patch(&app, &ops, &path, json!({"industry_id": 999999}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );

    // A tenant's sector uses mental-health: no move, no delete.
    let tenant = app.active_member("owner@example.com", "free").await;
    let site = created(
        &app,
        &tenant,
        "/api/v1/auth/sites/",
        json!({"name": "Calm", "url": "calm.example.com", "industry_id": mental.industry_id}),
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let tenant_sector = created(
        &app,
        &tenant,
        "/api/v1/auth/sectors/",
        json!({"site_id": site, "name": "Therapy", "industry_sector_id": mental.id}),
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    let mental_path = format!("/api/v1/admin/industry-sectors/{}/", mental.id);
    assert_eq!(
        patch(
            &app,
            &ops,
            &mental_path,
            json!({"industry_id": other_industry})
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        delete(&app, &ops, &mental_path).await.status(),
        StatusCode::CONFLICT
    );
    let response = patch(&app, &ops, &mental_path, json!({"name": "Mental health"})).await;
    assert_eq!(response.status(), StatusCode::OK, "a rename is fine");

    // Once the tenant lets go, it goes with its seed keywords.
    let seeds = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::IndustrySectorId.eq(mental.id))
        .count(app.db())
        .await
        .expect("count");
    assert!(seeds > 0);
    assert_eq!(
        delete(
            &app,
            &tenant,
            &format!("/api/v1/auth/sectors/{tenant_sector}/")
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&app, &ops, &mental_path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        seed_keyword::Entity::find()
            .filter(seed_keyword::Column::IndustrySectorId.eq(mental.id))
            .count(app.db())
            .await
            .expect("count"),
        0
    );
    let audited = audit_rows(&app, "industry_sector.deleted").await;
    assert_eq!(audited.len(), 1);
    let before: Value =
        serde_json::from_str(audited[0].before.as_deref().expect("before")).expect("json");
    assert_eq!(
        (&before["slug"], &before["seed_keywords"]),
        (&json!("mental-health"), &json!(seeds))
    );
    assert_eq!(
        app.get(&mental_path, Some(&ops)).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn an_operator_manages_seed_keywords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let mental = sector_by_slug(&app, "mental-health").await;
    let keyword = |text: &str| {
        json!({
            "keyword": text,
            "industry_sector_id": mental.id,
            "volume": 320,
            "difficulty": 41,
            "intent": "informational",
            "country": "gb",
            "language": "en-gb",
        })
    };
    let made = created(
        &app,
        &ops,
        "/api/v1/admin/seed-keywords/",
        keyword("  Box   breathing "),
    )
    .await;
    let id = made["id"].as_i64().expect("id");
    assert_eq!(
        (&made["keyword"], &made["country"], &made["language"]),
        (&json!("Box breathing"), &json!("GB"), &json!("en-GB"))
    );
    assert_eq!(audit_rows(&app, "seed_keyword.created").await.len(), 1);

    // The same text in another case, or a starter keyword, is a duplicate in this sector.
    let before = seed_count(&app).await;
    for text in ["BOX BREATHING", "Therapy Near Me"] {
        let response = app
            .post("/api/v1/admin/seed-keywords/", &keyword(text), Some(&ops))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(
            body(response).await["keyword"][0],
            "This industry sector already has this keyword."
        );
    }
    let mut bad = keyword(" ");
    bad["volume"] = json!(-1);
    bad["difficulty"] = json!(101);
    bad["country"] = json!("GBR");
    bad["language"] = json!("english");
    bad["industry_sector_id"] = json!(999999);
    let refused = body(
        app.post("/api/v1/admin/seed-keywords/", &bad, Some(&ops))
            .await,
    )
    .await;
    for field in [
        "keyword",
        "volume",
        "difficulty",
        "country",
        "language",
        "industry_sector_id",
    ] {
        assert!(refused[field].is_array(), "{field}: {refused}");
    }
    assert_eq!(seed_count(&app).await, before);

    let listed = body(
        app.get(
            &format!(
                "/api/v1/admin/seed-keywords/?industry_sector_id={}&search=breath",
                mental.id
            ),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["id"], id);

    let path = format!("/api/v1/admin/seed-keywords/{id}/");
    let response = patch(
        &app,
        &ops,
        &path,
        json!({"volume": 1_000, "intent": "commercial"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = body(response).await;
    assert_eq!(
        (&changed["volume"], &changed["intent"]),
        (&json!(1_000), &json!("commercial"))
    );
    assert_eq!(
        patch(&app, &ops, &path, json!({"keyword": "therapy near me"}))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        patch(&app, &ops, &path, json!({"keyword": "BOX breathing"}))
            .await
            .status(),
        StatusCode::OK,
        "its own text in another case is no duplicate"
    );
    let audited = audit_rows(&app, "seed_keyword.updated").await;
    assert_eq!(audited.len(), 2);

    assert_eq!(
        delete(&app, &ops, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, Some(&ops)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, &ops, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(audit_rows(&app, "seed_keyword.deleted").await.len(), 1);
}

async fn a_csv_import_adds_new_keywords_and_counts_repeats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, ops_id) = operator(&app).await;
    let sleep = sector_by_slug(&app, "sleep-health").await;
    let before = seed_count(&app).await;
    // By slug (any case) and by id; a repeat in the file, and a starter keyword in new case.
    let file = format!(
        "\u{feff}{HEADER}\
         weighted blanket for anxiety,Mental-Health,2400,38,commercial,US,en\n\
         \"sleep hygiene, explained\",{sleep_id},880,22,info,us,EN\n\
         Weighted Blanket For Anxiety,mental-health,10,10,i,US,en\n\
         THERAPY NEAR ME,mental-health,1,1,t,US,en\n",
        sleep_id = sleep.id
    );
    let response = upload(&app, &ops, &file).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        body(response).await,
        json!({"rows": 4, "created": 2, "duplicates": 2})
    );
    assert_eq!(seed_count(&app).await, before + 2);
    let stored = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::IndustrySectorId.eq(sleep.id))
        .filter(seed_keyword::Column::Keyword.eq("sleep hygiene, explained"))
        .one(app.db())
        .await
        .expect("query")
        .expect("imported");
    assert_eq!(
        (
            stored.volume,
            stored.difficulty,
            stored.country.as_str(),
            stored.language.as_str()
        ),
        (880, 22, "US", "en")
    );
    let audited = audit_rows(&app, "seed_keyword.imported").await;
    assert_eq!(audited.len(), 1, "one audit row per import");
    assert_eq!(audited[0].actor, format!("user:{ops_id}"));
    let after: Value =
        serde_json::from_str(audited[0].after.as_deref().expect("after")).expect("json");
    assert_eq!(
        (&after["rows"], &after["created"], &after["duplicates"]),
        (&json!(4), &json!(2), &json!(2))
    );

    // Again: everything is a duplicate now.
    let again = body(upload(&app, &ops, &file).await).await;
    assert_eq!(again, json!({"rows": 4, "created": 0, "duplicates": 4}));
    assert_eq!(seed_count(&app).await, before + 2);
}

async fn a_csv_import_with_a_bad_row_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let before = seed_count(&app).await;
    let file = format!(
        "{HEADER}\
         good keyword,mental-health,10,10,informational,US,en\n\
         \n\
         bad volume,mental-health,lots,10,informational,US,en\n\
         unknown sector,no-such-sector,10,10,informational,US,en\n\
         \"multi\nline\",999999,10,200,buy,USA,en\n"
    );
    let response = upload(&app, &ops, &file).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let refused = body(response).await;
    assert_eq!(refused["code"], "invalid_rows");
    let lines: Vec<i64> = refused["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["line"].as_i64().expect("line"))
        .collect();
    assert_eq!(lines, [4, 5, 6], "{refused}");
    let messages = refused["errors"].to_string();
    for part in [
        "volume \\\"lots\\\"",
        "no-such-sector",
        "difficulty",
        "intent",
        "country",
    ] {
        assert!(messages.contains(part), "{part} in {messages}");
    }
    assert_eq!(seed_count(&app).await, before);
    assert!(audit_rows(&app, "seed_keyword.imported").await.is_empty());

    // Whole-file refusals: no header, a missing column, no rows, no file, not multipart.
    for (file, says) in [
        ("therapy,mental-health,1,1,i,US,en\n", "header"),
        (
            "keyword,industry_sector,volume\nx,mental-health,1\n",
            "difficulty",
        ),
        (HEADER, "no keywords"),
    ] {
        let response = upload(&app, &ops, file).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{file}");
        let refused = body(response).await;
        assert!(
            refused["file"][0]
                .as_str()
                .expect("file error")
                .contains(says),
            "{refused}"
        );
    }
    let response = app
        .client
        .post(app.url(IMPORT))
        .bearer_auth(&ops)
        .multipart(Form::new().text("other", "x"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body(response).await["file"].is_array());
    let response = app.post(IMPORT, &json!({"file": "x"}), Some(&ops)).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(seed_count(&app).await, before);
}

async fn tenants_and_anonymous_callers_cannot_use_the_reference_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tenant = app.active_member("owner@example.com", "free").await;
    let mental = sector_by_slug(&app, "mental-health").await;
    let seed = seed_keyword::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("a seed keyword")
        .id;
    let before = seed_count(&app).await;
    for (method, path, payload) in [
        (Method::GET, "/api/v1/admin/industries/".to_owned(), None),
        (
            Method::POST,
            "/api/v1/admin/industries/".to_owned(),
            Some(json!({"slug": "x", "name": "X"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/industries/{}/", mental.industry_id),
            Some(json!({"name": "X"})),
        ),
        (
            Method::GET,
            "/api/v1/admin/industry-sectors/".to_owned(),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/admin/industry-sectors/{}/", mental.id),
            None,
        ),
        (Method::GET, "/api/v1/admin/seed-keywords/".to_owned(), None),
        (
            Method::DELETE,
            format!("/api/v1/admin/seed-keywords/{seed}/"),
            None,
        ),
    ] {
        let response = app
            .call(method.clone(), &path, Some(&tenant), payload.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        let response = app
            .call(method.clone(), &path, None, payload.as_ref())
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    let file = format!("{HEADER}x,mental-health,1,1,i,US,en\n");
    assert_eq!(
        upload(&app, &tenant, &file).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(seed_count(&app).await, before);
    assert_eq!(sector_by_slug(&app, "mental-health").await.id, mental.id);
}
