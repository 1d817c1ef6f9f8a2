//! F3a — sites and sectors inside an account: every "What to verify" row of the seed, the
//! plan limits, the list conventions, the caller's own account, and the reference data.

use crate::common::{Backend, TestApp, body};
use quire_core::entities::{industry, industry_sector, sector, seed_keyword, site};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    the_sites_list_shows_only_the_callers_sites,
    creating_more_sites_than_the_plan_allows_fails_with_the_limit,
    archiving_a_site_frees_a_slot_and_reactivating_counts_again,
    sectors_beyond_the_plans_limit_fail_and_belong_to_the_sites_account,
    a_sector_cannot_be_added_to_another_tenants_site,
    deleting_a_site_removes_its_sectors,
    put_replaces_and_patch_changes_only_what_it_names,
    site_urls_are_validated_and_unique_per_account,
    a_sectors_industry_sector_must_fit_the_sites_industry,
    lists_page_filter_search_and_order,
    bad_list_parameters_get_400_and_a_page_past_the_end_404,
    the_account_endpoint_shows_and_edits_only_the_callers_account,
    subscriptions_are_the_callers_own,
    operators_cannot_use_tenant_endpoints,
    the_starter_reference_data_is_loaded_and_listed,
    seed_keywords_filter_by_sector_intent_and_search,
);

async fn create_site(app: &TestApp, token: &str, name: &str, url: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/sites/",
        &json!({"name": name, "url": url}),
        Some(token),
    )
    .await
}

async fn site_id(app: &TestApp, token: &str, name: &str, url: &str) -> i64 {
    let response = create_site(app, token, name, url).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await["id"].as_i64().expect("id")
}

async fn create_sector(app: &TestApp, token: &str, site: i64, name: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/sectors/",
        &json!({"site_id": site, "name": name}),
        Some(token),
    )
    .await
}

fn ids(list: &Value) -> Vec<i64> {
    list["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

async fn the_sites_list_shows_only_the_callers_sites(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "growth-monthly").await;
    let bob = app.active_member("bob@example.com", "growth-monthly").await;
    let ada_site = site_id(&app, &ada, "Ada's", "ada.example.com").await;
    let bob_site = site_id(&app, &bob, "Bob's", "bob.example.com").await;

    let me = body(app.get("/api/v1/auth/me/", Some(&ada)).await).await;
    let ada_account = me["account"]["id"].as_i64().expect("account");
    let listed = body(app.get("/api/v1/auth/sites/", Some(&ada)).await).await;
    assert_eq!(ids(&listed), vec![ada_site]);
    assert_eq!(listed["count"], 1);
    for row in listed["results"].as_array().expect("rows") {
        assert_eq!(row["account_id"], ada_account);
    }
    let in_db = site::Entity::find_by_id(bob_site)
        .one(app.db())
        .await
        .expect("query")
        .expect("bob's site");
    assert_ne!(in_db.account_id, ada_account);
}

async fn creating_more_sites_than_the_plan_allows_fails_with_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    site_id(&app, &token, "First", "first.example.com").await;
    let response = create_site(&app, &token, "Second", "second.example.com").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert_eq!(error["code"], "plan_limit_exceeded");
    assert_eq!(error["limit"], 1);
    assert!(error["detail"].as_str().expect("detail").contains('1'));
    assert_eq!(
        site::Entity::find().count(app.db()).await.expect("count"),
        1
    );
}

async fn archiving_a_site_frees_a_slot_and_reactivating_counts_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    let first = site_id(&app, &token, "First", "first.example.com").await;
    let archived = app
        .call(
            Method::PATCH,
            &format!("/api/v1/auth/sites/{first}/"),
            Some(&token),
            Some(&json!({"is_active": false})),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    site_id(&app, &token, "Second", "second.example.com").await;
    let reactivate = app
        .call(
            Method::PATCH,
            &format!("/api/v1/auth/sites/{first}/"),
            Some(&token),
            Some(&json!({"is_active": true})),
        )
        .await;
    assert_eq!(reactivate.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(reactivate).await["code"], "plan_limit_exceeded");
    let still = site::Entity::find_by_id(first)
        .one(app.db())
        .await
        .expect("query")
        .expect("site");
    assert!(!still.is_active, "a refused change leaves the row alone");
}

async fn sectors_beyond_the_plans_limit_fail_and_belong_to_the_sites_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Growth allows 5 sectors per site.
    let token = app.active_member("ada@example.com", "growth-monthly").await;
    let site = site_id(&app, &token, "Blog", "blog.example.com").await;
    let other_site = site_id(&app, &token, "Shop", "shop.example.com").await;
    for i in 0..5 {
        let response = create_sector(&app, &token, site, &format!("Topic {i}")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let response = create_sector(&app, &token, site, "Topic 6").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert_eq!(error["code"], "plan_limit_exceeded");
    assert_eq!(error["limit"], 5);
    // The limit is per site.
    let response = create_sector(&app, &token, other_site, "Topic 0").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let site_row = site::Entity::find_by_id(site)
        .one(app.db())
        .await
        .expect("query")
        .expect("site");
    let sectors = sector::Entity::find()
        .filter(sector::Column::SiteId.eq(site))
        .all(app.db())
        .await
        .expect("query");
    assert_eq!(sectors.len(), 5);
    assert!(sectors.iter().all(|s| s.account_id == site_row.account_id));
}

async fn a_sector_cannot_be_added_to_another_tenants_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "growth-monthly").await;
    let bob = app.active_member("bob@example.com", "growth-monthly").await;
    let ada_site = site_id(&app, &ada, "Ada's", "ada.example.com").await;
    let response = create_sector(&app, &bob, ada_site, "Sneaky").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body(response).await["site_id"][0], "No such site.");
    let missing = create_sector(&app, &bob, 999_999, "Nowhere").await;
    assert_eq!(body(missing).await["site_id"][0], "No such site.");
    assert_eq!(
        sector::Entity::find().count(app.db()).await.expect("count"),
        0
    );
}

async fn deleting_a_site_removes_its_sectors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "growth-monthly").await;
    let site = site_id(&app, &token, "Blog", "blog.example.com").await;
    let keep = site_id(&app, &token, "Shop", "shop.example.com").await;
    create_sector(&app, &token, site, "Recipes").await;
    create_sector(&app, &token, keep, "Recipes").await;
    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sites/{site}/"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let left = sector::Entity::find().all(app.db()).await.expect("query");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].site_id, keep);
    let again = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sites/{site}/"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

async fn put_replaces_and_patch_changes_only_what_it_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "growth-monthly").await;
    let created = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Blog", "url": "blog.example.com", "description": "Cooking"}),
            Some(&token),
        )
        .await,
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/auth/sites/{id}/");

    let patched = body(
        app.call(
            Method::PATCH,
            &path,
            Some(&token),
            Some(&json!({"name": "Kitchen"})),
        )
        .await,
    )
    .await;
    assert_eq!(patched["name"], "Kitchen");
    assert_eq!(patched["description"], "Cooking");

    let replaced = app
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(&json!({"name": "Pantry", "url": "https://pantry.example.com"})),
        )
        .await;
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced = body(replaced).await;
    assert_eq!(replaced["description"], "", "PUT resets what it leaves out");
    assert_eq!(replaced["url"], "https://pantry.example.com/");

    let incomplete = app
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(&json!({"name": "Only a name"})),
        )
        .await;
    assert_eq!(incomplete.status(), StatusCode::BAD_REQUEST);
    assert!(body(incomplete).await["url"].is_array());

    let sector = body(create_sector(&app, &token, id, "Bread").await).await;
    let sector_path = format!("/api/v1/auth/sectors/{}/", sector["id"]);
    let other_site = site_id(&app, &token, "Other", "other.example.com").await;
    let moved = app
        .call(
            Method::PUT,
            &sector_path,
            Some(&token),
            Some(&json!({"site_id": other_site, "name": "Bread"})),
        )
        .await;
    assert_eq!(moved.status(), StatusCode::BAD_REQUEST);
    assert!(body(moved).await["site_id"].is_array());
}

async fn site_urls_are_validated_and_unique_per_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "growth-monthly").await;
    let bob = app.active_member("bob@example.com", "growth-monthly").await;
    for bad in [
        "ftp://files.example.com",
        "not a url",
        "",
        "javascript:alert(1)",
    ] {
        let response = create_site(&app, &ada, "Bad", bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(body(response).await["url"].is_array(), "{bad}");
    }
    site_id(&app, &ada, "Blog", "https://blog.example.com").await;
    let duplicate = create_site(&app, &ada, "Blog again", "BLOG.example.com").await;
    assert_eq!(duplicate.status(), StatusCode::BAD_REQUEST);
    assert!(body(duplicate).await["url"].is_array());
    // Another tenant may run the same site.
    site_id(&app, &bob, "Blog", "https://blog.example.com").await;
    let blank = create_site(&app, &ada, "   ", "blank.example.com").await;
    assert!(body(blank).await["name"].is_array());
}

async fn a_sectors_industry_sector_must_fit_the_sites_industry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "growth-monthly").await;
    let industries = industry::Entity::find().all(app.db()).await.expect("query");
    let (first, second) = (&industries[0], &industries[1]);
    let fitting = industry_sector::Entity::find()
        .filter(industry_sector::Column::IndustryId.eq(first.id))
        .one(app.db())
        .await
        .expect("query")
        .expect("sector");
    let foreign = industry_sector::Entity::find()
        .filter(industry_sector::Column::IndustryId.eq(second.id))
        .one(app.db())
        .await
        .expect("query")
        .expect("sector");
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Blog", "url": "blog.example.com", "industry_id": first.id}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let good = app
        .post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Fits", "industry_sector_id": fitting.id}),
            Some(&token),
        )
        .await;
    assert_eq!(good.status(), StatusCode::CREATED);
    assert_eq!(body(good).await["industry_sector_id"], fitting.id);
    let bad = app
        .post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Misfit", "industry_sector_id": foreign.id}),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(bad).await["industry_sector_id"].is_array());
    let unknown = app
        .post(
            "/api/v1/auth/sites/",
            &json!({"name": "X", "url": "x.example.com", "industry_id": 999_999}),
            Some(&token),
        )
        .await;
    assert!(body(unknown).await["industry_id"].is_array());
}

async fn lists_page_filter_search_and_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "agency-monthly").await;
    for name in ["Delta", "alpha", "Charlie", "bravo", "Echo"] {
        site_id(
            &app,
            &token,
            name,
            &format!("{}.example.com", name.to_lowercase()),
        )
        .await;
    }
    let first = body(
        app.get(
            "/api/v1/auth/sites/?ordering=name&page_size=2&search=a",
            Some(&token),
        )
        .await,
    )
    .await;
    // "a" matches alpha, Charlie, bravo, Delta (names or URLs) and every example.com URL.
    assert_eq!(first["count"], 5);
    let names: Vec<&str> = first["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["alpha", "bravo"], "text sorts ignoring case");
    let next = first["next"].as_str().expect("a next page").to_owned();
    assert!(next.starts_with("/api/v1/auth/sites/?"), "{next}");
    assert!(
        next.contains("search=a") && next.contains("page=2"),
        "{next}"
    );
    assert!(first["previous"].is_null());

    let second = body(app.get(&next, Some(&token)).await).await;
    assert_eq!(second["results"].as_array().expect("rows").len(), 2);
    assert!(second["previous"].is_string());
    let last = body(
        app.get(second["next"].as_str().expect("next"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(last["results"].as_array().expect("rows").len(), 1);
    assert!(last["next"].is_null());

    let reversed = body(
        app.get("/api/v1/auth/sites/?ordering=-id", Some(&token))
            .await,
    )
    .await;
    let order = ids(&reversed);
    assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");

    let searched = body(
        app.get("/api/v1/auth/sites/?search=CHAR", Some(&token))
            .await,
    )
    .await;
    assert_eq!(searched["count"], 1);
    let wildcard = body(
        app.get("/api/v1/auth/sites/?search=%25", Some(&token))
            .await,
    )
    .await;
    assert_eq!(wildcard["count"], 0, "% is matched literally");

    let first_id = ids(&first)[0];
    app.call(
        Method::PATCH,
        &format!("/api/v1/auth/sites/{first_id}/"),
        Some(&token),
        Some(&json!({"is_active": false})),
    )
    .await;
    let archived = body(
        app.get("/api/v1/auth/sites/?is_active=false", Some(&token))
            .await,
    )
    .await;
    assert_eq!(ids(&archived), vec![first_id]);
}

async fn bad_list_parameters_get_400_and_a_page_past_the_end_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "growth-monthly").await;
    for (query, field) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page_size=201", "page_size"),
        ("page_size=0", "page_size"),
        ("ordering=password", "ordering"),
        ("is_active=maybe", "is_active"),
    ] {
        let response = app
            .get(&format!("/api/v1/auth/sites/?{query}"), Some(&token))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert!(body(response).await[field].is_array(), "{query}");
    }
    assert_eq!(
        app.get("/api/v1/auth/sites/?page_size=200", Some(&token))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/auth/sites/?page=1", Some(&token))
            .await
            .status(),
        StatusCode::OK,
        "the first page of an empty list exists"
    );
    assert_eq!(
        app.get("/api/v1/auth/sites/?page=2", Some(&token))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_account_endpoint_shows_and_edits_only_the_callers_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "growth-monthly").await;
    let bob = app.active_member("bob@example.com", "growth-monthly").await;
    let listed = body(app.get("/api/v1/auth/accounts/", Some(&ada)).await).await;
    assert_eq!(listed["count"], 1);
    let ada_account = ids(&listed)[0];
    let bob_account = ids(&body(app.get("/api/v1/auth/accounts/", Some(&bob)).await).await)[0];

    let path = format!("/api/v1/auth/accounts/{ada_account}/");
    let renamed = app
        .call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(
                &json!({"name": "Ada Media", "billing_country": "de", "tax_id": "DE123",
                "credits": 99999, "status": "active"}),
            ),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let renamed = body(renamed).await;
    assert_eq!(renamed["name"], "Ada Media");
    assert_eq!(renamed["billing_country"], "DE");
    assert_eq!(
        renamed["credits"], 4_000,
        "credits cannot be set through the account"
    );

    let bad = app
        .call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(&json!({"billing_country": "Germany", "billing_email": "nope"})),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad = body(bad).await;
    assert!(bad["billing_country"].is_array() && bad["billing_email"].is_array());

    let foreign = format!("/api/v1/auth/accounts/{bob_account}/");
    assert_eq!(
        app.get(&foreign, Some(&ada)).await.status(),
        StatusCode::NOT_FOUND
    );
    let hijack = app
        .call(
            Method::PATCH,
            &foreign,
            Some(&ada),
            Some(&json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(hijack.status(), StatusCode::NOT_FOUND);
    let bob_view = body(app.get(&foreign, Some(&bob)).await).await;
    assert_ne!(bob_view["name"], "Mine");
}

async fn subscriptions_are_the_callers_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.active_member("ada@example.com", "growth-monthly").await;
    let bob = app.active_member("bob@example.com", "free").await;
    let mine = body(app.get("/api/v1/auth/subscriptions/", Some(&ada)).await).await;
    assert_eq!(mine["count"], 1);
    assert_eq!(mine["results"][0]["status"], "trialing");
    let id = ids(&mine)[0];
    assert_eq!(
        app.get(&format!("/api/v1/auth/subscriptions/{id}/"), Some(&ada))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/auth/subscriptions/{id}/"), Some(&bob))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn operators_cannot_use_tenant_endpoints(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    quire_core::accounts::operators::create(
        &app.quire,
        "ops@example.com",
        crate::common::PASSWORD,
        "Ops",
    )
    .await
    .expect("operator");
    let session = body(app.login("ops@example.com", crate::common::PASSWORD).await).await;
    let token = session["access"].as_str().expect("token");
    let response = app.get("/api/v1/auth/sites/", Some(token)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(response).await["code"], "permission_denied");
    // Reference data is for every signed-in caller.
    assert_eq!(
        app.get("/api/v1/auth/industries/", Some(token))
            .await
            .status(),
        StatusCode::OK
    );
}

async fn the_starter_reference_data_is_loaded_and_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.db();
    assert!(industry::Entity::find().count(db).await.expect("count") >= 10);
    assert!(
        industry_sector::Entity::find()
            .count(db)
            .await
            .expect("count")
            >= 40
    );
    assert!(seed_keyword::Entity::find().count(db).await.expect("count") >= 1_000);

    let token = app.active_member("ada@example.com", "free").await;
    let listed = body(
        app.get("/api/v1/auth/industries/?page_size=200", Some(&token))
            .await,
    )
    .await;
    let industries = listed["results"].as_array().expect("rows");
    assert_eq!(listed["count"], industries.len());
    let sectors: usize = industries
        .iter()
        .map(|i| i["sectors"].as_array().expect("sectors").len())
        .sum();
    assert_eq!(
        sectors as u64,
        industry_sector::Entity::find()
            .count(db)
            .await
            .expect("count")
    );
    for industry in industries {
        for sector in industry["sectors"].as_array().expect("sectors") {
            assert_eq!(sector["industry_id"], industry["id"]);
        }
    }
    assert_eq!(
        app.get("/api/v1/auth/industries/", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn seed_keywords_filter_by_sector_intent_and_search(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.active_member("ada@example.com", "free").await;
    let sector = industry_sector::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("a sector");
    let in_sector = body(
        app.get(
            &format!(
                "/api/v1/planner/seed-keywords/?industry_sector_id={}&page_size=200",
                sector.id
            ),
            Some(&token),
        )
        .await,
    )
    .await;
    let expected = seed_keyword::Entity::find()
        .filter(seed_keyword::Column::IndustrySectorId.eq(sector.id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(in_sector["count"], expected);
    let volumes: Vec<i64> = in_sector["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["volume"].as_i64().expect("volume"))
        .collect();
    assert!(
        volumes.windows(2).all(|w| w[0] >= w[1]),
        "highest volume first"
    );

    let commercial = body(
        app.get(
            "/api/v1/planner/seed-keywords/?intent=commercial&search=best",
            Some(&token),
        )
        .await,
    )
    .await;
    assert!(commercial["count"].as_u64().expect("count") > 0);
    for row in commercial["results"].as_array().expect("rows") {
        assert_eq!(row["intent"], "commercial");
        assert!(row["keyword"].as_str().expect("keyword").contains("best"));
    }
    let bounded = body(
        app.get(
            "/api/v1/planner/seed-keywords/?difficulty_max=20&volume_min=100&ordering=difficulty",
            Some(&token),
        )
        .await,
    )
    .await;
    for row in bounded["results"].as_array().expect("rows") {
        assert!(row["difficulty"].as_i64().expect("difficulty") <= 20);
        assert!(row["volume"].as_i64().expect("volume") >= 100);
    }
    let bad = app
        .get(
            "/api/v1/planner/seed-keywords/?intent=curious",
            Some(&token),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(body(bad).await["intent"].is_array());
}
