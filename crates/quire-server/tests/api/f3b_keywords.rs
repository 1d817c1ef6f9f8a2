//! F3b — keywords: attaching a keyword (the seed's row 1, no credits used), duplicates,
//! bulk add, CSV import and export, list filters, bulk delete and cluster totals.

use crate::common::{Backend, TestApp, body};
use chrono::Utc;
use quire_core::entities::{cluster, enums::ClusterStatus, industry_sector, keyword, seed_keyword};
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    attaching_a_seed_keyword_validates_it_and_uses_no_credits,
    a_custom_keyword_is_normalised_and_checked,
    a_duplicate_in_the_sector_is_refused_ignoring_case,
    bulk_add_adds_seed_keywords_and_counts_duplicates_and_errors,
    import_reports_row_errors_by_line_and_skips_duplicates,
    an_import_without_a_header_reads_columns_in_order,
    a_file_that_is_not_a_keyword_csv_is_refused_and_nothing_is_written,
    an_import_may_be_larger_than_1_mib_but_not_16_mib,
    an_import_of_more_than_100_000_rows_is_refused,
    the_export_round_trips_through_the_import,
    lists_filter_search_order_and_check_ranges,
    bulk_delete_deletes_only_the_callers_keywords,
    cluster_totals_follow_patch_delete_and_bulk_delete,
    another_tenants_keywords_are_not_found,
);

const KEYWORDS: &str = "/api/v1/planner/keywords/";
const IMPORT: &str = "/api/v1/planner/keywords/import/";

/// A member with a site and a sector tied to an industry sector that has seed keywords.
struct Planner {
    token: String,
    account: i64,
    site: i64,
    sector: i64,
    /// Seed keywords of the sector's industry sector, by id.
    seeds: Vec<seed_keyword::Model>,
    /// A seed keyword of another industry sector.
    foreign_seed: seed_keyword::Model,
}

async fn planner(app: &TestApp, email: &str) -> Planner {
    let token = app.active_member(email, "agency-monthly").await;
    let account = body(app.get("/api/v1/auth/me/", Some(&token)).await).await["account"]["id"]
        .as_i64()
        .expect("account id");
    let industry_sector = industry_sector::Entity::find()
        .order_by_asc(industry_sector::Column::Id)
        .one(app.db())
        .await
        .expect("query")
        .expect("an industry sector");
    let seeds = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::IndustrySectorId.eq(industry_sector.id))
        .order_by_asc(seed_keyword::Column::Id)
        .all(app.db())
        .await
        .expect("query");
    assert!(seeds.len() >= 4, "the starter set has seeds in each sector");
    let foreign_seed = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::IndustrySectorId.ne(industry_sector.id))
        .one(app.db())
        .await
        .expect("query")
        .expect("a foreign seed");
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Blog", "url": format!("{}.example.com", email.replace(['@', '.'], "-")),
                    "industry_id": industry_sector.industry_id}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site id");
    let sector = new_sector(app, &token, site, "Main", Some(industry_sector.id)).await;
    Planner {
        token,
        account,
        site,
        sector,
        seeds,
        foreign_seed,
    }
}

async fn new_sector(
    app: &TestApp,
    token: &str,
    site: i64,
    name: &str,
    industry_sector: Option<i64>,
) -> i64 {
    let response = app
        .post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": name, "industry_sector_id": industry_sector}),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await["id"].as_i64().expect("sector id")
}

async fn add(app: &TestApp, token: &str, request: Value) -> reqwest::Response {
    app.post(KEYWORDS, &request, Some(token)).await
}

/// Creates a keyword and returns its id.
async fn keyword_id(app: &TestApp, token: &str, sector: i64, text: &str, volume: i64) -> i64 {
    let response = add(
        app,
        token,
        json!({"sector_id": sector, "keyword": text, "volume": volume}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await["id"].as_i64().expect("keyword id")
}

async fn patch(app: &TestApp, token: &str, id: i64, change: Value) -> reqwest::Response {
    app.call(
        Method::PATCH,
        &format!("{KEYWORDS}{id}/"),
        Some(token),
        Some(&change),
    )
    .await
}

async fn import(app: &TestApp, token: &str, sector: i64, file: Vec<u8>) -> reqwest::Response {
    let form = Form::new().text("sector_id", sector.to_string()).part(
        "file",
        Part::bytes(file)
            .file_name("keywords.csv")
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

async fn in_sector(app: &TestApp, sector: i64) -> Vec<keyword::Model> {
    keyword::Entity::find()
        .filter(keyword::Column::SectorId.eq(sector))
        .order_by_asc(keyword::Column::Id)
        .all(app.db())
        .await
        .expect("query")
}

fn texts(rows: &[keyword::Model]) -> Vec<&str> {
    rows.iter().map(|k| k.keyword.as_str()).collect()
}

/// The balance and the number of ledger rows.
async fn credits(app: &TestApp, token: &str) -> (Value, Value) {
    let balance = body(app.get("/api/v1/billing/credits/", Some(token)).await).await;
    let ledger = body(
        app.get("/api/v1/billing/credits/transactions/", Some(token))
            .await,
    )
    .await;
    (balance["balance"].clone(), ledger["count"].clone())
}

fn field_errors(answer: &Value, field: &str) -> Vec<String> {
    answer[field]
        .as_array()
        .unwrap_or_else(|| panic!("no errors on {field}: {answer}"))
        .iter()
        .map(|m| m.as_str().expect("message").to_owned())
        .collect()
}

async fn new_cluster(app: &TestApp, p: &Planner, sector: i64, name: &str) -> i64 {
    let now = Utc::now();
    cluster::ActiveModel {
        account_id: Set(p.account),
        site_id: Set(p.site),
        sector_id: Set(sector),
        name: Set(name.to_owned()),
        description: Set(String::new()),
        keyword_count: Set(0),
        total_volume: Set(0),
        status: Set(ClusterStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("cluster")
    .id
}

/// A cluster's `(keyword_count, total_volume)`.
async fn totals(app: &TestApp, id: i64) -> (i64, i64) {
    let row = cluster::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("cluster");
    (row.keyword_count, row.total_volume)
}

async fn attaching_a_seed_keyword_validates_it_and_uses_no_credits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let other = planner(&app, "bob@example.com").await;
    let before = credits(&app, &p.token).await;
    let seed = &p.seeds[0];

    // The seed keyword is checked: unknown, or of another industry sector.
    let unknown = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "seed_keyword_id": 987_654_321}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        field_errors(&body(unknown).await, "seed_keyword_id"),
        ["No such seed keyword."]
    );
    let misfit = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "seed_keyword_id": p.foreign_seed.id}),
    )
    .await;
    assert_eq!(misfit.status(), StatusCode::BAD_REQUEST);
    assert!(
        field_errors(&body(misfit).await, "seed_keyword_id")[0].contains("another industry sector")
    );
    // The site and sector are checked: another tenant's sector, a site that is not the
    // sector's.
    let foreign_sector = add(
        &app,
        &p.token,
        json!({"sector_id": other.sector, "seed_keyword_id": seed.id}),
    )
    .await;
    assert_eq!(foreign_sector.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        field_errors(&body(foreign_sector).await, "sector_id"),
        ["No such sector."]
    );
    let wrong_site = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "site_id": other.site, "seed_keyword_id": seed.id}),
    )
    .await;
    assert_eq!(wrong_site.status(), StatusCode::BAD_REQUEST);
    assert!(body(wrong_site).await["site_id"].is_array());
    assert!(in_sector(&app, p.sector).await.is_empty());

    // Then the keyword is created with the account and site of the sector.
    let created = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "site_id": p.site, "seed_keyword_id": seed.id,
               "account_id": other.account}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = body(created).await;
    assert_eq!(created["account_id"], p.account);
    assert_eq!(created["site_id"], p.site);
    assert_eq!(created["sector_id"], p.sector);
    assert_eq!(created["seed_keyword_id"], seed.id);
    assert_eq!(created["keyword"], seed.keyword.as_str());
    assert_eq!(created["volume"], seed.volume);
    assert_eq!(created["difficulty"], seed.difficulty);
    assert_eq!(created["intent"], json!(seed.intent));
    assert_eq!(created["status"], "active");
    assert_eq!(created["cluster_id"], Value::Null);
    let row = keyword::Entity::find_by_id(created["id"].as_i64().expect("id"))
        .one(app.db())
        .await
        .expect("query")
        .expect("row");
    assert_eq!(row.account_id, p.account);
    assert_eq!(row.keyword_key, seed.keyword.to_lowercase());

    // Given values win over the seed's; a sector without an industry sector takes any seed.
    let open_sector = new_sector(&app, &p.token, p.site, "Open", None).await;
    let own_values = add(
        &app,
        &p.token,
        json!({"sector_id": open_sector, "seed_keyword_id": p.foreign_seed.id,
               "keyword": "my own words", "volume": 7, "difficulty": 3, "intent": "navigational"}),
    )
    .await;
    assert_eq!(own_values.status(), StatusCode::CREATED);
    let own_values = body(own_values).await;
    assert_eq!(own_values["keyword"], "my own words");
    assert_eq!(own_values["seed_keyword_id"], p.foreign_seed.id);
    assert_eq!(
        (
            own_values["volume"].clone(),
            own_values["difficulty"].clone(),
            own_values["intent"].clone()
        ),
        (json!(7), json!(3), json!("navigational"))
    );

    // Bulk add and import are free too.
    let bulk = app
        .post(
            &format!("{KEYWORDS}bulk_add/"),
            &json!({"sector_id": p.sector, "seed_keyword_ids": [p.seeds[1].id]}),
            Some(&p.token),
        )
        .await;
    assert_eq!(bulk.status(), StatusCode::OK);
    let imported = import(&app, &p.token, p.sector, b"keyword\nfree import\n".to_vec()).await;
    assert_eq!(imported.status(), StatusCode::OK);
    assert_eq!(credits(&app, &p.token).await, before, "no credits moved");
}

async fn a_custom_keyword_is_normalised_and_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let created = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "keyword": "  red \t  running\nshoes  "}),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = body(created).await;
    assert_eq!(created["keyword"], "red running shoes");
    assert_eq!(created["volume"], 0);
    assert_eq!(created["difficulty"], Value::Null);
    assert_eq!(created["intent"], Value::Null);

    for (request, field, message) in [
        (
            json!({"keyword": "   "}),
            "keyword",
            "This field may not be blank.",
        ),
        (
            json!({"keyword": "é".repeat(256)}),
            "keyword",
            "Use at most 255 characters.",
        ),
        (
            json!({"keyword": "bell\u{7}"}),
            "keyword",
            "A keyword may not contain control characters.",
        ),
        (
            json!({}),
            "keyword",
            "Give the keyword text or a seed_keyword_id.",
        ),
        (
            json!({"keyword": "ok", "volume": -1}),
            "volume",
            "Must be 0 or more.",
        ),
        (
            json!({"keyword": "ok", "difficulty": 101}),
            "difficulty",
            "Must be from 0 to 100.",
        ),
    ] {
        let mut request = request;
        request["sector_id"] = json!(p.sector);
        let response = add(&app, &p.token, request.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{request}");
        assert_eq!(
            field_errors(&body(response).await, field),
            [message],
            "{request}"
        );
    }
    let bad_intent = add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "keyword": "ok", "intent": "curious"}),
    )
    .await;
    assert_eq!(bad_intent.status(), StatusCode::BAD_REQUEST);
    assert!(body(bad_intent).await["intent"].is_array());
    assert_eq!(
        texts(&in_sector(&app, p.sector).await),
        ["red running shoes"]
    );

    // PATCH checks the same way and changes only what it names.
    let id = created["id"].as_i64().expect("id");
    for change in [
        json!({"keyword": " "}),
        json!({"volume": -5}),
        json!({"difficulty": -1}),
        json!({"status": "deleted"}),
    ] {
        let response = patch(&app, &p.token, id, change.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{change}");
    }
    let changed = patch(
        &app,
        &p.token,
        id,
        json!({"keyword": "Red  Shoes", "volume": 90, "difficulty": 40, "intent": "commercial",
               "status": "archived"}),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed = body(changed).await;
    assert_eq!(changed["keyword"], "Red Shoes");
    assert_eq!(
        (
            changed["volume"].clone(),
            changed["difficulty"].clone(),
            changed["intent"].clone(),
            changed["status"].clone()
        ),
        (json!(90), json!(40), json!("commercial"), json!("archived"))
    );
    let cleared = body(
        patch(
            &app,
            &p.token,
            id,
            json!({"difficulty": null, "intent": null}),
        )
        .await,
    )
    .await;
    assert_eq!(cleared["difficulty"], Value::Null);
    assert_eq!(cleared["intent"], Value::Null);
    assert_eq!(cleared["volume"], 90);
    assert_eq!(cleared["keyword"], "Red Shoes");
}

async fn a_duplicate_in_the_sector_is_refused_ignoring_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let ecole = keyword_id(&app, &p.token, p.sector, "école", 10).await;
    for text in ["ÉCOLE", "École ", "  école", "\u{c9}COLE"] {
        let response = add(
            &app,
            &p.token,
            json!({"sector_id": p.sector, "keyword": text}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{text}");
        assert_eq!(
            body(response).await["keyword"],
            json!(["This sector already has this keyword."]),
            "{text}"
        );
    }
    // A different word, and the same word in another sector, are fine.
    let ecole_plain = keyword_id(&app, &p.token, p.sector, "ecole", 1).await;
    let second = new_sector(&app, &p.token, p.site, "Second", None).await;
    keyword_id(&app, &p.token, second, "ÉCOLE", 1).await;

    // A seed keyword twice, and a rename onto an existing keyword, are refused the same way.
    let seed = json!({"sector_id": p.sector, "seed_keyword_id": p.seeds[0].id});
    assert_eq!(
        add(&app, &p.token, seed.clone()).await.status(),
        StatusCode::CREATED
    );
    let again = add(&app, &p.token, seed).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(body(again).await["keyword"].is_array());
    let rename = patch(&app, &p.token, ecole_plain, json!({"keyword": "ÉCOLE"})).await;
    assert_eq!(rename.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body(rename).await["keyword"],
        json!(["This sector already has this keyword."])
    );
    // Changing only the case of a keyword's own text is allowed.
    let recased = patch(&app, &p.token, ecole, json!({"keyword": "ÉCOLE"})).await;
    assert_eq!(recased.status(), StatusCode::OK);
    assert_eq!(in_sector(&app, p.sector).await.len(), 3);
}

async fn bulk_add_adds_seed_keywords_and_counts_duplicates_and_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let (s1, s2, s3) = (&p.seeds[0], &p.seeds[1], &p.seeds[2]);
    add(
        &app,
        &p.token,
        json!({"sector_id": p.sector, "seed_keyword_id": s1.id}),
    )
    .await;
    let url = format!("{KEYWORDS}bulk_add/");
    let response = app
        .post(
            &url,
            &json!({"sector_id": p.sector,
                    "seed_keyword_ids": [s1.id, s2.id, 987_654_321, s2.id, p.foreign_seed.id, s3.id]}),
            Some(&p.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = body(response).await;
    assert_eq!(outcome["created"], 2);
    assert_eq!(outcome["duplicates"], 2, "s1 already there, s2 named twice");
    assert_eq!(
        outcome["errors"],
        json!([
            {"seed_keyword_id": 987_654_321, "message": "No such seed keyword."},
            {"seed_keyword_id": p.foreign_seed.id,
             "message": "This seed keyword belongs to another industry sector than the sector's."},
        ])
    );
    let rows = in_sector(&app, p.sector).await;
    assert_eq!(
        texts(&rows),
        [
            s1.keyword.as_str(),
            s2.keyword.as_str(),
            s3.keyword.as_str()
        ]
    );
    assert!(
        rows.iter()
            .all(|k| k.account_id == p.account && k.site_id == p.site)
    );
    assert_eq!(rows[2].seed_keyword_id, Some(s3.id));
    assert_eq!(rows[2].volume, s3.volume);

    // Adding the same again creates nothing and counts every one.
    let again = body(
        app.post(
            &url,
            &json!({"sector_id": p.sector, "seed_keyword_ids": [s1.id, s2.id, s3.id]}),
            Some(&p.token),
        )
        .await,
    )
    .await;
    assert_eq!(
        (again["created"].clone(), again["duplicates"].clone()),
        (json!(0), json!(3))
    );

    for ids in [json!([]), json!((1..=1001).collect::<Vec<i64>>())] {
        let refused = app
            .post(
                &url,
                &json!({"sector_id": p.sector, "seed_keyword_ids": ids}),
                Some(&p.token),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(body(refused).await["seed_keyword_ids"].is_array());
    }
    let other = planner(&app, "bob@example.com").await;
    let foreign = app
        .post(
            &url,
            &json!({"sector_id": other.sector, "seed_keyword_ids": [s1.id]}),
            Some(&p.token),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert!(in_sector(&app, other.sector).await.is_empty());
}

async fn import_reports_row_errors_by_line_and_skips_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    keyword_id(&app, &p.token, p.sector, "école", 5).await;
    let file = "\u{feff}Keyword,Volume,Difficulty,Intent\r\n\
                Red Shoes,\"1,200\",10,commercial\r\n\
                red   shoes,5,,\r\n\
                blue shoes,abc,,\r\n\
                \r\n\
                green shoes,,200,\r\n\
                ÉCOLE,1,,\r\n\
                '=SUM(A1),3,,info\r\n";
    let response = import(&app, &p.token, p.sector, file.as_bytes().to_vec()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = body(response).await;
    assert_eq!(outcome["rows"], 6);
    assert_eq!(outcome["created"], 2);
    assert_eq!(
        outcome["duplicates"], 2,
        "one in the file, one in the sector"
    );
    let errors = outcome["errors"].as_array().expect("errors");
    let lines: Vec<i64> = errors
        .iter()
        .map(|e| e["line"].as_i64().expect("line"))
        .collect();
    assert_eq!(lines, [4, 6]);
    assert!(
        errors[0]["message"]
            .as_str()
            .expect("text")
            .contains("volume")
    );
    assert!(
        errors[1]["message"]
            .as_str()
            .expect("text")
            .contains("difficulty")
    );

    let rows = in_sector(&app, p.sector).await;
    assert_eq!(texts(&rows), ["école", "Red Shoes", "=SUM(A1)"]);
    let red = &rows[1];
    assert_eq!(
        (red.volume, red.difficulty, red.account_id, red.site_id),
        (1200, Some(10), p.account, p.site)
    );
    assert_eq!(red.intent.map(|i| json!(i)), Some(json!("commercial")));
    assert_eq!(
        rows[2].intent.map(|i| json!(i)),
        Some(json!("informational"))
    );
}

async fn an_import_without_a_header_reads_columns_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let response = import(
        &app,
        &p.token,
        p.sector,
        b"running shoes;1200;35;transactional\ntrail shoes;800\n".to_vec(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = body(response).await;
    assert_eq!(
        (outcome["rows"].clone(), outcome["created"].clone()),
        (json!(2), json!(2))
    );
    let rows = in_sector(&app, p.sector).await;
    assert_eq!(texts(&rows), ["running shoes", "trail shoes"]);
    assert_eq!((rows[0].volume, rows[0].difficulty), (1200, Some(35)));
    assert_eq!(
        (rows[1].volume, rows[1].difficulty, rows[1].intent),
        (800, None, None)
    );
}

async fn a_file_that_is_not_a_keyword_csv_is_refused_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend([0u8; 64]);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("keyword\n".encode_utf16().flat_map(u16::to_le_bytes));
    for (file, reason) in [
        (png, "binary"),
        (utf16, "UTF-16"),
        (b"\xff\xfe\xfd not utf-8\n".to_vec(), "UTF-8"),
        (Vec::new(), "no keywords"),
        (b"keyword\n\n\n".to_vec(), "no keywords"),
        (b"volume,intent\n10,info\n".to_vec(), "no keyword column"),
    ] {
        let response = import(&app, &p.token, p.sector, file).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{reason}");
        let answer = body(response).await;
        let message = &field_errors(&answer, "file")[0];
        assert!(message.contains(reason), "{reason}: {message}");
    }

    // A form without the file or the sector, or a body that is not a form.
    let no_file = app
        .client
        .post(app.url(IMPORT))
        .bearer_auth(&p.token)
        .multipart(Form::new().text("sector_id", p.sector.to_string()))
        .send()
        .await
        .expect("request");
    assert_eq!(no_file.status(), StatusCode::BAD_REQUEST);
    assert!(body(no_file).await["file"].is_array());
    let no_sector = app
        .client
        .post(app.url(IMPORT))
        .bearer_auth(&p.token)
        .multipart(Form::new().part("file", Part::bytes(b"keyword\nx\n".to_vec())))
        .send()
        .await
        .expect("request");
    assert_eq!(no_sector.status(), StatusCode::BAD_REQUEST);
    assert!(body(no_sector).await["sector_id"].is_array());
    let bad_sector = app
        .client
        .post(app.url(IMPORT))
        .bearer_auth(&p.token)
        .multipart(
            Form::new()
                .text("sector_id", "seven")
                .part("file", Part::bytes(b"keyword\nx\n".to_vec())),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(bad_sector.status(), StatusCode::BAD_REQUEST);
    assert!(body(bad_sector).await["sector_id"].is_array());
    let json_body = app
        .post(IMPORT, &json!({"sector_id": p.sector}), Some(&p.token))
        .await;
    assert_eq!(json_body.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let other = planner(&app, "bob@example.com").await;
    let foreign = import(&app, &p.token, other.sector, b"keyword\nx\n".to_vec()).await;
    assert_eq!(foreign.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        field_errors(&body(foreign).await, "sector_id"),
        ["No such sector."]
    );

    assert_eq!(
        keyword::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        0,
        "nothing was written"
    );
}

async fn an_import_may_be_larger_than_1_mib_but_not_16_mib(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    // 10,000 rows of about 230 bytes: over twice the JSON body limit.
    let padding = "x".repeat(220);
    let file: String = (0..10_000)
        .map(|i| format!("{padding} {i},{i}\n"))
        .collect();
    assert!(file.len() > 2 * 1024 * 1024);
    let response = import(&app, &p.token, p.sector, file.into_bytes()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["created"], 10_000);

    let too_big = vec![b'a'; 17 * 1024 * 1024];
    let response = import(&app, &p.token, p.sector, too_big).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body(response).await["code"], "payload_too_large");
    assert_eq!(in_sector(&app, p.sector).await.len(), 10_000);
}

async fn an_import_of_more_than_100_000_rows_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let file: String = (0..100_001).map(|i| format!("k{i}\n")).collect();
    let response = import(&app, &p.token, p.sector, file.into_bytes()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        field_errors(&body(response).await, "file"),
        ["The file has more than 100,000 rows; split it into smaller files."]
    );
    assert!(in_sector(&app, p.sector).await.is_empty());
}

async fn the_export_round_trips_through_the_import(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    for request in [
        json!({"keyword": "école primaire", "volume": 900, "difficulty": 12, "intent": "informational"}),
        json!({"keyword": "=HYPERLINK(\"x\")", "volume": 5}),
        json!({"keyword": "shoes, \"cheap\" and fast", "volume": 0, "intent": "transactional"}),
        json!({"keyword": "-minus", "difficulty": 100}),
    ] {
        let mut request = request;
        request["sector_id"] = json!(p.sector);
        assert_eq!(
            add(&app, &p.token, request).await.status(),
            StatusCode::CREATED
        );
    }
    let clustered = in_sector(&app, p.sector).await[0].id;
    let group = new_cluster(&app, &p, p.sector, "=Schools").await;
    patch(&app, &p.token, clustered, json!({"cluster_id": group})).await;
    let other = planner(&app, "bob@example.com").await;
    keyword_id(&app, &other.token, other.sector, "bob's secret", 1).await;

    let response = app
        .get(
            &format!("{KEYWORDS}export/?sector_id={}&ordering=id", p.sector),
            Some(&p.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"keywords.csv\""
    );
    let csv = response.bytes().await.expect("bytes").to_vec();
    let text = std::str::from_utf8(&csv).expect("utf-8");
    assert!(text.starts_with("\u{feff}keyword,volume,difficulty,intent,cluster,status\r\n"));
    assert!(text.contains("'=HYPERLINK"), "formulas are escaped: {text}");
    assert!(text.contains("'=Schools"), "cluster names too: {text}");
    assert!(!text.contains("bob"), "only the caller's keywords");
    assert_eq!(text.matches("\r\n").count(), 5, "a header and four rows");

    let copy = new_sector(&app, &p.token, p.site, "Copy", None).await;
    let response = import(&app, &p.token, copy, csv).await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome = body(response).await;
    assert_eq!(outcome["rows"], 4);
    assert_eq!(outcome["created"], 4);
    assert_eq!(outcome["errors"], json!([]));
    let metrics = |rows: Vec<keyword::Model>| {
        rows.into_iter()
            .map(|k| (k.keyword, k.volume, k.difficulty, k.intent))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        metrics(in_sector(&app, copy).await),
        metrics(in_sector(&app, p.sector).await)
    );
}

async fn lists_filter_search_order_and_check_ranges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let second = new_sector(&app, &p.token, p.site, "Second", None).await;
    let mut ids = Vec::new();
    for (sector, text, volume, difficulty, intent) in [
        (p.sector, "École de danse", 300, Some(20), "informational"),
        (p.sector, "buy shoes", 1000, Some(70), "transactional"),
        (p.sector, "Apple pie", 50, None, "informational"),
        (second, "100% cotton_shirt", 300, Some(45), "commercial"),
    ] {
        let response = add(
            &app,
            &p.token,
            json!({"sector_id": sector, "keyword": text, "volume": volume,
                   "difficulty": difficulty, "intent": intent}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(body(response).await["id"].as_i64().expect("id"));
    }
    let group = new_cluster(&app, &p, p.sector, "Dance").await;
    patch(&app, &p.token, ids[0], json!({"cluster_id": group})).await;
    patch(&app, &p.token, ids[2], json!({"status": "archived"})).await;
    let other = planner(&app, "bob@example.com").await;
    keyword_id(&app, &other.token, other.sector, "école", 5).await;

    let listed = |query: String| {
        let app = &app;
        let token = p.token.clone();
        async move {
            let response = app.get(&format!("{KEYWORDS}?{query}"), Some(&token)).await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            let answer = body(response).await;
            answer["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| r["id"].as_i64().expect("id"))
                .collect::<Vec<i64>>()
        }
    };
    // Default: highest volume first, ties by id.
    assert_eq!(
        listed(String::new()).await,
        [ids[1], ids[0], ids[3], ids[2]]
    );
    assert_eq!(
        listed(format!("sector_id={}", p.sector)).await,
        [ids[1], ids[0], ids[2]]
    );
    assert_eq!(listed(format!("site_id={}", p.site)).await.len(), 4);
    assert_eq!(listed(format!("cluster_id={group}")).await, [ids[0]]);
    assert_eq!(listed("clustered=true".into()).await, [ids[0]]);
    assert_eq!(
        listed("clustered=false".into()).await,
        [ids[1], ids[3], ids[2]]
    );
    assert_eq!(listed("status=archived".into()).await, [ids[2]]);
    assert_eq!(
        listed("intent=informational".into()).await,
        [ids[0], ids[2]]
    );
    assert_eq!(
        listed("volume_min=300&volume_max=300".into()).await,
        [ids[0], ids[3]]
    );
    assert_eq!(
        listed("difficulty_min=20&difficulty_max=45".into()).await,
        [ids[0], ids[3]]
    );
    // Search ignores case, also beyond ASCII, and `%`/`_` match themselves.
    assert_eq!(listed("search=%C3%89COLE".into()).await, [ids[0]]);
    assert_eq!(listed("search=%C3%A9cole".into()).await, [ids[0]]);
    assert_eq!(listed("search=APPLE".into()).await, [ids[2]]);
    assert_eq!(listed("search=100%25".into()).await, [ids[3]]);
    assert_eq!(listed("search=e_d".into()).await, Vec::<i64>::new());
    // Ordering.
    assert_eq!(
        listed("ordering=keyword".into()).await,
        [ids[3], ids[2], ids[1], ids[0]]
    );
    assert_eq!(listed("ordering=-difficulty,id".into()).await.len(), 4);
    assert_eq!(
        listed("ordering=volume,-id".into()).await,
        [ids[2], ids[3], ids[0], ids[1]]
    );
    assert_eq!(listed("ordering=id".into()).await, ids);

    for query in [
        "volume_min=10&volume_max=5",
        "difficulty_min=50&difficulty_max=10",
        "ordering=keyword_key",
        "status=deleted",
        "clustered=maybe",
        "volume_min=lots",
    ] {
        let response = app
            .get(&format!("{KEYWORDS}?{query}"), Some(&p.token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let export = app
            .get(&format!("{KEYWORDS}export/?{query}"), Some(&p.token))
            .await;
        assert_eq!(export.status(), StatusCode::BAD_REQUEST, "export {query}");
    }

    // The export takes the same filters.
    let export = app
        .get(
            &format!("{KEYWORDS}export/?intent=informational&ordering=keyword"),
            Some(&p.token),
        )
        .await;
    let text = export.text().await.expect("text");
    let lines: Vec<&str> = text.trim_end().split("\r\n").skip(1).collect();
    assert_eq!(
        lines,
        [
            "Apple pie,50,,informational,,archived",
            "École de danse,300,20,informational,Dance,active"
        ]
    );
}

async fn bulk_delete_deletes_only_the_callers_keywords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let other = planner(&app, "bob@example.com").await;
    let mut mine = Vec::new();
    for text in ["one", "two", "three"] {
        mine.push(keyword_id(&app, &p.token, p.sector, text, 1).await);
    }
    let theirs = keyword_id(&app, &other.token, other.sector, "theirs", 1).await;
    let url = format!("{KEYWORDS}bulk_delete/");
    let response = app
        .post(
            &url,
            &json!({"ids": [mine[0], mine[1], mine[0], theirs, 987_654_321]}),
            Some(&p.token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await, json!({"deleted": 2}));
    assert_eq!(
        in_sector(&app, p.sector)
            .await
            .iter()
            .map(|k| k.id)
            .collect::<Vec<_>>(),
        [mine[2]]
    );
    assert_eq!(in_sector(&app, other.sector).await.len(), 1, "bob's stays");

    for ids in [json!([]), json!((1..=10_001).collect::<Vec<i64>>())] {
        let refused = app.post(&url, &json!({ "ids": ids }), Some(&p.token)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(body(refused).await["ids"].is_array());
    }
    let most = app
        .post(
            &url,
            &json!({ "ids": (1..=10_000).collect::<Vec<i64>>() }),
            Some(&other.token),
        )
        .await;
    assert_eq!(most.status(), StatusCode::OK);
    assert_eq!(body(most).await, json!({"deleted": 1}));
    assert_eq!(in_sector(&app, p.sector).await.len(), 1, "ada's stays");
}

async fn cluster_totals_follow_patch_delete_and_bulk_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let second = new_sector(&app, &p.token, p.site, "Second", None).await;
    let c1 = new_cluster(&app, &p, p.sector, "One").await;
    let c2 = new_cluster(&app, &p, p.sector, "Two").await;
    let elsewhere = new_cluster(&app, &p, second, "Elsewhere").await;
    let other = planner(&app, "bob@example.com").await;
    let theirs = new_cluster(&app, &other, other.sector, "Theirs").await;
    let k1 = keyword_id(&app, &p.token, p.sector, "k1", 100).await;
    let k2 = keyword_id(&app, &p.token, p.sector, "k2", 50).await;
    let k3 = keyword_id(&app, &p.token, p.sector, "k3", 7).await;

    let ok = |response: reqwest::Response| {
        assert_eq!(response.status(), StatusCode::OK);
    };
    ok(patch(&app, &p.token, k1, json!({"cluster_id": c1})).await);
    assert_eq!(totals(&app, c1).await, (1, 100));
    ok(patch(&app, &p.token, k2, json!({"cluster_id": c1})).await);
    assert_eq!(totals(&app, c1).await, (2, 150));
    ok(patch(&app, &p.token, k1, json!({"volume": 200})).await);
    assert_eq!(totals(&app, c1).await, (2, 250));
    ok(patch(&app, &p.token, k1, json!({"cluster_id": c2})).await);
    assert_eq!(totals(&app, c1).await, (1, 50));
    assert_eq!(totals(&app, c2).await, (1, 200));

    // A cluster of another sector or another tenant is refused; nothing moves.
    for cluster in [elsewhere, theirs, 987_654_321] {
        let response = patch(&app, &p.token, k1, json!({"cluster_id": cluster})).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            body(response).await["cluster_id"],
            json!(["No such cluster in this keyword's sector."])
        );
    }
    assert_eq!(totals(&app, c2).await, (1, 200));
    assert_eq!(totals(&app, theirs).await, (0, 0));

    ok(patch(&app, &p.token, k2, json!({"cluster_id": null})).await);
    assert_eq!(totals(&app, c1).await, (0, 0));
    let deleted = app
        .call(
            Method::DELETE,
            &format!("{KEYWORDS}{k1}/"),
            Some(&p.token),
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(totals(&app, c2).await, (0, 0));

    ok(patch(&app, &p.token, k2, json!({"cluster_id": c1})).await);
    ok(patch(&app, &p.token, k3, json!({"cluster_id": c1})).await);
    assert_eq!(totals(&app, c1).await, (2, 57));
    let bulk = app
        .post(
            &format!("{KEYWORDS}bulk_delete/"),
            &json!({"ids": [k3]}),
            Some(&p.token),
        )
        .await;
    assert_eq!(body(bulk).await["deleted"], 1);
    assert_eq!(totals(&app, c1).await, (1, 50));
}

async fn another_tenants_keywords_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p = planner(&app, "ada@example.com").await;
    let other = planner(&app, "bob@example.com").await;
    let theirs = keyword_id(&app, &other.token, other.sector, "theirs", 1).await;
    let path = format!("{KEYWORDS}{theirs}/");
    for (method, change) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"volume": 9}))),
        (Method::DELETE, None),
    ] {
        let response = app
            .call(method.clone(), &path, Some(&p.token), change.as_ref())
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method}");
    }
    let listed = body(app.get(KEYWORDS, Some(&p.token)).await).await;
    assert_eq!(listed["count"], 0);
    let row = keyword::Entity::find_by_id(theirs)
        .one(app.db())
        .await
        .expect("query")
        .expect("still there");
    assert_eq!(row.volume, 1);
}
