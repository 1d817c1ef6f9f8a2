//! Operators' plan catalogue: create, change, list (inactive too), delete while unused,
//! activate and deactivate (the tenants' gate follows at once), reorder (the public list
//! follows), every change audited; tenants get 403 and anonymous callers 401.

use crate::common::{Backend, PASSWORD, TestApp, body};
use quire_core::entities::{audit_log, plan};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    an_operator_creates_changes_and_lists_plans,
    bad_plans_are_refused_with_field_errors_and_nothing_changes,
    a_plan_in_use_cannot_be_deleted_but_an_unused_one_can,
    deactivating_a_plan_locks_its_tenants_out_until_it_is_active_again,
    reordering_plans_changes_the_public_list,
    tenants_and_anonymous_callers_cannot_use_the_plans_api,
);

/// An operator's access token and user id.
pub async fn operator(app: &TestApp) -> (String, i64) {
    let user =
        quire_core::accounts::operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
            .await
            .expect("operator");
    let token = body(app.login("ops@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    (token, user.id)
}

/// The audit rows of `action`, oldest first.
pub async fn audit_rows(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(app.db())
        .await
        .expect("query")
}

fn json_of(text: &Option<String>) -> Value {
    serde_json::from_str(text.as_deref().expect("JSON")).expect("valid JSON")
}

fn pro_plan() -> Value {
    json!({
        "slug": "pro-monthly",
        "name": "Pro",
        "description": "For busy teams.",
        "price": 4_900,
        "currency": "eur",
        "billing_cycle": "monthly",
        "included_credits": 2_000,
        "credits_per_month": 0,
        "max_sites": 5,
        "max_industries": 4,
        "max_users": 3,
        "trial_days": 7,
        "credit_policy": "add",
        "is_active": false,
        "sort_order": 35,
        "stripe_product_id": "prod_1",
        "stripe_price_id": "price_1",
        "paypal_plan_id": "P-1"
    })
}

async fn public_slugs(app: &TestApp) -> Vec<String> {
    body(app.get("/api/v1/auth/plans/", None).await)
        .await
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["slug"].as_str().expect("slug").to_owned())
        .collect()
}

async fn plan_count(app: &TestApp) -> u64 {
    plan::Entity::find().count(app.db()).await.expect("count")
}

async fn an_operator_creates_changes_and_lists_plans(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, ops_id) = operator(&app).await;

    let response = app
        .post("/api/v1/admin/plans/", &pro_plan(), Some(&ops))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = body(response).await;
    let id = created["id"].as_i64().expect("id");
    for (field, value) in [
        ("slug", json!("pro-monthly")),
        ("currency", json!("EUR")),
        ("price", json!(4_900)),
        ("credit_policy", json!("add")),
        ("effective_credits_per_month", json!(2_000)),
        ("trial_days", json!(7)),
        ("is_active", json!(false)),
        ("sort_order", json!(35)),
        ("stripe_price_id", json!("price_1")),
        ("paypal_plan_id", json!("P-1")),
    ] {
        assert_eq!(created[field], value, "{field}");
    }
    let audited = audit_rows(&app, "plan.created").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].actor, format!("user:{ops_id}"));
    assert_eq!(
        (audited[0].object_type.as_str(), audited[0].object_id),
        ("plan", Some(id))
    );
    assert_eq!(json_of(&audited[0].after)["slug"], "pro-monthly");

    // Inactive plans are listed for operators, not on the pricing page.
    let all = body(app.get("/api/v1/admin/plans/", Some(&ops)).await).await;
    assert_eq!(all["count"], 8);
    let inactive = body(
        app.get("/api/v1/admin/plans/?is_active=false", Some(&ops))
            .await,
    )
    .await;
    assert_eq!(inactive["count"], 1);
    assert_eq!(inactive["results"][0]["id"], id);
    assert!(!public_slugs(&app).await.contains(&"pro-monthly".to_owned()));
    let orders: Vec<i64> = all["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|p| p["sort_order"].as_i64().expect("order"))
        .collect();
    assert!(orders.is_sorted(), "{orders:?}");

    // A partial change: the rest stays; null clears a provider id; the slug may change.
    let path = format!("/api/v1/admin/plans/{id}/");
    let response = app
        .call(
            Method::PATCH,
            &path,
            Some(&ops),
            Some(
                &json!({"slug": "pro", "price": 5_900, "is_active": true, "stripe_price_id": null}),
            ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let changed = body(response).await;
    assert_eq!(
        (
            &changed["slug"],
            &changed["price"],
            &changed["stripe_price_id"]
        ),
        (&json!("pro"), &json!(5_900), &Value::Null)
    );
    assert_eq!(changed["name"], "Pro");
    assert_eq!(changed["stripe_product_id"], "prod_1");
    assert_eq!(body(app.get(&path, Some(&ops)).await).await, changed);
    assert!(public_slugs(&app).await.contains(&"pro".to_owned()));
    let audited = audit_rows(&app, "plan.updated").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(json_of(&audited[0].before)["price"], 4_900);
    assert_eq!(json_of(&audited[0].after)["price"], 5_900);

    // A new plan without an order goes after every other.
    let mut plain = pro_plan();
    let plain = plain.as_object_mut().expect("object");
    plain.insert("slug".into(), json!("last"));
    plain.remove("sort_order");
    let last = body(
        app.post("/api/v1/admin/plans/", &json!(plain), Some(&ops))
            .await,
    )
    .await;
    assert_eq!(last["sort_order"], 70);
    assert_eq!(
        app.get("/api/v1/admin/plans/999999/", Some(&ops))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn bad_plans_are_refused_with_field_errors_and_nothing_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let before = plan_count(&app).await;

    let mut bad = pro_plan();
    for (field, value) in [
        ("slug", json!("Pro Monthly")),
        ("name", json!("  ")),
        ("price", json!(-1)),
        ("currency", json!("EURO")),
        ("included_credits", json!(-1)),
        ("credits_per_month", json!(-1)),
        ("max_sites", json!(0)),
        ("max_industries", json!(0)),
        ("max_users", json!(0)),
        ("trial_days", json!(366)),
    ] {
        bad[field] = value;
    }
    let response = app.post("/api/v1/admin/plans/", &bad, Some(&ops)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let refused = body(response).await;
    assert_eq!(refused["code"], "invalid");
    for field in [
        "slug",
        "name",
        "price",
        "currency",
        "included_credits",
        "credits_per_month",
        "max_sites",
        "max_industries",
        "max_users",
        "trial_days",
    ] {
        assert!(refused[field].is_array(), "{field}: {refused}");
    }

    // A taken slug, a wrong enum value and a missing field.
    let mut taken = pro_plan();
    taken["slug"] = json!("free");
    let refused = body(app.post("/api/v1/admin/plans/", &taken, Some(&ops)).await).await;
    assert_eq!(refused["slug"][0], "Another plan has this slug.");
    let mut weekly = pro_plan();
    weekly["billing_cycle"] = json!("weekly");
    let response = app.post("/api/v1/admin/plans/", &weekly, Some(&ops)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body(response).await["billing_cycle"].is_array());
    let response = app
        .post("/api/v1/admin/plans/", &json!({"slug": "x"}), Some(&ops))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(plan_count(&app).await, before);

    // A bad change leaves the plan as it was.
    let free = app.plan_id("free").await;
    let path = format!("/api/v1/admin/plans/{free}/");
    let shown = body(app.get(&path, Some(&ops)).await).await;
    for patch in [
        json!({"slug": "starter-monthly"}),
        json!({"max_users": 0, "trial_days": -1}),
        json!({"currency": "dollars"}),
    ] {
        let response = app
            .call(Method::PATCH, &path, Some(&ops), Some(&patch))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{patch}");
    }
    assert_eq!(body(app.get(&path, Some(&ops)).await).await, shown);
    assert_eq!(
        app.call(
            Method::PATCH,
            "/api/v1/admin/plans/999999/",
            Some(&ops),
            Some(&json!({"name": "x"}))
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        audit_log::Entity::find()
            .filter(audit_log::Column::ObjectType.eq("plan"))
            .all(app.db())
            .await
            .expect("query")
            .is_empty()
    );
}

async fn a_plan_in_use_cannot_be_deleted_but_an_unused_one_can(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    app.register("member@example.com", "free").await;
    let free = app.plan_id("free").await;

    let response = app
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/plans/{free}/"),
            Some(&ops),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let refused = body(response).await;
    assert!(
        refused["detail"]
            .as_str()
            .expect("detail")
            .contains("Deactivate it instead"),
        "{refused}"
    );
    assert!(public_slugs(&app).await.contains(&"free".to_owned()));

    // A plan a tenant's payment names is in use too.
    app.register("payer@example.com", "starter-monthly").await;
    let starter = app.plan_id("starter-monthly").await;
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/admin/plans/{starter}/"),
            Some(&ops),
            None
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );

    let unused = app.plan_id("agency-annual").await;
    let path = format!("/api/v1/admin/plans/{unused}/");
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&ops), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, Some(&ops)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&ops), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        !public_slugs(&app)
            .await
            .contains(&"agency-annual".to_owned())
    );
    let audited = audit_rows(&app, "plan.deleted").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].object_id, Some(unused));
    assert_eq!(json_of(&audited[0].before)["slug"], "agency-annual");
}

async fn deactivating_a_plan_locks_its_tenants_out_until_it_is_active_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let session = app.signed_in_free_member("member@example.com").await;
    let token = session["access"].as_str().expect("token");
    let free = app.plan_id("free").await;
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(token)).await.status(),
        StatusCode::OK
    );

    let deactivate = format!("/api/v1/admin/plans/{free}/deactivate/");
    let response = app.post(&deactivate, &json!({}), Some(&ops)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["is_active"], false);

    // The very next request is refused, and so is a new login.
    let refused = app.get("/api/v1/auth/me/", Some(token)).await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body(refused).await["code"], "subscription_required");
    assert_eq!(
        app.login("member@example.com", PASSWORD).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
    assert!(!public_slugs(&app).await.contains(&"free".to_owned()));

    // Deactivating again changes nothing and writes no second audit row.
    assert_eq!(
        app.post(&deactivate, &json!({}), Some(&ops)).await.status(),
        StatusCode::OK
    );
    let audited = audit_rows(&app, "plan.deactivated").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(json_of(&audited[0].after), json!({"is_active": false}));

    let response = app
        .post(
            &format!("/api/v1/admin/plans/{free}/activate/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["is_active"], true);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(token)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("member@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(audit_rows(&app, "plan.activated").await.len(), 1);
    assert_eq!(
        app.post(
            "/api/v1/admin/plans/999999/activate/",
            &json!({}),
            Some(&ops)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

async fn reordering_plans_changes_the_public_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops, _) = operator(&app).await;
    let first = app.plan_id("agency-annual").await;
    let second = app.plan_id("growth-monthly").await;
    let slugs_before = public_slugs(&app).await;

    let response = app
        .post(
            "/api/v1/admin/plans/reorder/",
            &json!({"plan_ids": [first, second]}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let reordered = body(response).await;
    let shown: Vec<(String, i64)> = reordered
        .as_array()
        .expect("array")
        .iter()
        .map(|p| {
            (
                p["slug"].as_str().expect("slug").to_owned(),
                p["sort_order"].as_i64().expect("order"),
            )
        })
        .collect();
    // The listed plans first, then the others in their old order.
    let mut expected: Vec<String> = vec!["agency-annual".into(), "growth-monthly".into()];
    expected.extend(
        slugs_before
            .iter()
            .filter(|s| !["agency-annual", "growth-monthly"].contains(&s.as_str()))
            .cloned(),
    );
    assert_eq!(
        shown,
        expected
            .iter()
            .cloned()
            .zip((1..).map(|n| n * 10))
            .collect::<Vec<_>>()
    );
    assert_eq!(public_slugs(&app).await, expected);
    let audited = audit_rows(&app, "plan.reordered").await;
    assert_eq!(audited.len(), 1);
    assert_eq!(json_of(&audited[0].after)["order"][0], json!([first, 10]));

    for refused in [
        json!({"plan_ids": []}),
        json!({"plan_ids": [first, 999999]}),
        json!({"plan_ids": [first, second, first]}),
        json!({"plan_ids": "all"}),
    ] {
        let response = app
            .post("/api/v1/admin/plans/reorder/", &refused, Some(&ops))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{refused}");
        assert!(body(response).await["plan_ids"].is_array(), "{refused}");
    }
    assert_eq!(public_slugs(&app).await, expected);
    assert_eq!(audit_rows(&app, "plan.reordered").await.len(), 1);
}

async fn tenants_and_anonymous_callers_cannot_use_the_plans_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("member@example.com").await;
    let tenant = session["access"].as_str().expect("token");
    let free = app.plan_id("free").await;
    let before = plan_count(&app).await;
    for (method, path, payload) in [
        (Method::GET, "/api/v1/admin/plans/".to_owned(), None),
        (
            Method::POST,
            "/api/v1/admin/plans/".to_owned(),
            Some(pro_plan()),
        ),
        (Method::GET, format!("/api/v1/admin/plans/{free}/"), None),
        (
            Method::PATCH,
            format!("/api/v1/admin/plans/{free}/"),
            Some(json!({"price": 1})),
        ),
        (Method::DELETE, format!("/api/v1/admin/plans/{free}/"), None),
        (
            Method::POST,
            format!("/api/v1/admin/plans/{free}/deactivate/"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/admin/plans/reorder/".to_owned(),
            Some(json!({"plan_ids": [free]})),
        ),
    ] {
        let response = app
            .call(method.clone(), &path, Some(tenant), payload.as_ref())
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
    assert_eq!(plan_count(&app).await, before);
    assert_eq!(public_slugs(&app).await[0], "free");
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(tenant)).await.status(),
        StatusCode::OK
    );
}
