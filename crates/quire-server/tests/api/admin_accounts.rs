//! Operators and accounts and users: search, the account's detail and ledger, suspension and
//! reactivation (taking effect on the tenant's next request), credit adjustments (the ledger
//! stays the balance, an overdraw is refused), deactivating and activating users; every
//! action audited, tenants refused.

use crate::common::{Backend, PASSWORD, TestApp, body};
use quire_core::entities::{
    account, ai_usage_log, audit_log, credit_transaction,
    enums::{AccountStatus, SuspensionReason, UsageStatus},
    user,
};
use reqwest::{Method, StatusCode};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    tenants_get_403_and_anonymous_callers_401,
    accounts_are_searched_by_name_slug_and_owner_email_and_filtered,
    the_detail_shows_plan_subscriptions_owner_users_usage_and_the_latest_ledger,
    a_suspension_stops_the_tenant_on_its_next_request_and_reactivation_lets_it_back,
    operators_set_only_active_or_suspended,
    credit_adjustments_are_ledger_rows_and_the_balance_is_their_sum,
    taking_more_than_the_balance_is_refused_and_changes_nothing,
    a_repeated_idempotency_key_applies_once,
    users_are_searched_and_filtered,
    a_deactivated_user_is_signed_out_and_cannot_log_in_until_activated,
    an_operator_cannot_deactivate_themselves,
);

/// Creates the operator `ops@example.com` and signs them in; their id and access token.
pub async fn operator(app: &TestApp) -> (i64, String) {
    let created =
        quire_core::accounts::operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
            .await
            .expect("operator");
    let token = body(app.login("ops@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    (created.id, token)
}

async fn account_id_of(app: &TestApp, email: &str) -> i64 {
    app.tenant(email).await.account.id
}

async fn account_of(app: &TestApp, id: i64) -> account::Model {
    account::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account")
}

/// The audit rows of `action` on `object_type` `object_id`, oldest first.
pub async fn audit_rows(
    app: &TestApp,
    action: &str,
    object_type: &str,
    object_id: i64,
) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::ObjectType.eq(object_type))
        .filter(audit_log::Column::ObjectId.eq(object_id))
        .order_by_asc(audit_log::Column::Id)
        .all(app.db())
        .await
        .expect("query")
}

async fn ledger_of(app: &TestApp, account_id: i64) -> Vec<credit_transaction::Model> {
    credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(account_id))
        .order_by_asc(credit_transaction::Column::Id)
        .all(app.db())
        .await
        .expect("query")
}

async fn adjust(app: &TestApp, token: &str, account_id: i64, amount: i64, note: &str) -> Value {
    let response = app
        .post(
            &format!("/api/v1/admin/accounts/{account_id}/adjust_credits/"),
            &json!({"amount": amount, "note": note}),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

fn json_of(text: Option<&str>) -> Value {
    serde_json::from_str(text.expect("recorded")).expect("json")
}

async fn tenants_get_403_and_anonymous_callers_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tenant = app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    for (method, path) in [
        (Method::GET, "/api/v1/admin/accounts/".to_owned()),
        (Method::GET, format!("/api/v1/admin/accounts/{account_id}/")),
        (
            Method::POST,
            format!("/api/v1/admin/accounts/{account_id}/status/"),
        ),
        (Method::GET, "/api/v1/admin/users/".to_owned()),
    ] {
        let response = app
            .call(
                method.clone(),
                &path,
                Some(&tenant),
                Some(&json!({"status": "suspended"})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        let response = app.call(method, &path, None, None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Active
    );
}

async fn accounts_are_searched_by_name_slug_and_owner_email_and_filtered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    app.register("bob@other.example", "starter-monthly").await;
    let ada = account_id_of(&app, "ada@example.com").await;
    let bob = account_id_of(&app, "bob@other.example").await;
    for (id, name, slug) in [(ada, "Acme Studio", "acme"), (bob, "Beta", "beta-works")] {
        let mut row: account::ActiveModel = account_of(&app, id).await.into();
        row.name = Set(name.to_owned());
        row.slug = Set(slug.to_owned());
        row.update(app.db()).await.expect("rename");
    }
    let ids = |page: &Value| -> Vec<i64> {
        page["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect()
    };
    let list = |query: &str| {
        let path = format!("/api/v1/admin/accounts/{query}");
        let ops = ops.clone();
        let app = &app;
        async move {
            let response = app.get(&path, Some(&ops)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            body(response).await
        }
    };

    let all = list("").await;
    assert_eq!(ids(&all), [bob, ada], "newest first");
    assert_eq!(all["results"][1]["owner_email"], "ada@example.com");
    assert_eq!(all["results"][1]["plan_name"], "Agency");
    assert_eq!(all["results"][1]["name"], "Acme Studio");
    assert_eq!(ids(&list("?search=ACME").await), [ada], "name");
    assert_eq!(ids(&list("?search=works").await), [bob], "slug");
    assert_eq!(
        ids(&list("?search=other.example").await),
        [bob],
        "owner email"
    );
    assert_eq!(ids(&list("?status=pending_payment").await), [bob]);
    let agency = app.plan_id("agency-monthly").await;
    assert_eq!(ids(&list(&format!("?plan_id={agency}")).await), [ada]);
    assert_eq!(ids(&list("?ordering=name").await), [ada, bob]);
    assert_eq!(
        app.get("/api/v1/admin/accounts/?ordering=owner_id", Some(&ops))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/admin/accounts/?status=frozen", Some(&ops))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

async fn the_detail_shows_plan_subscriptions_owner_users_usage_and_the_latest_ledger(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let start = account_of(&app, account_id).await.credits;
    for n in 1..=21 {
        adjust(&app, &ops, account_id, n, &format!("Grant {n}")).await;
    }
    for (input, output, credits, cost, status) in [
        (1_000, 500, 3, 1_500_000, UsageStatus::Succeeded),
        (200, 0, 0, 2_345, UsageStatus::Failed),
    ] {
        ai_usage_log::ActiveModel {
            account_id: Set(account_id),
            operation: Set("auto_cluster".to_owned()),
            provider: Set("openai".to_owned()),
            model: Set("gpt-4o-mini".to_owned()),
            input_tokens: Set(input),
            output_tokens: Set(output),
            cost_micro_usd: Set(cost),
            credits_charged: Set(credits),
            status: Set(status),
            latency_ms: Set(10),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("usage row");
    }

    let detail = body(
        app.get(&format!("/api/v1/admin/accounts/{account_id}/"), Some(&ops))
            .await,
    )
    .await;
    assert_eq!(detail["id"], account_id);
    assert_eq!(detail["plan"]["slug"], "agency-monthly");
    assert_eq!(detail["owner"]["email"], "ada@example.com");
    assert_eq!(detail["user_count"], 1);
    assert_eq!(detail["credits"], start + 231, "plus 1 + 2 + … + 21");
    assert_eq!(detail["subscriptions"].as_array().expect("subs").len(), 1);
    assert_eq!(detail["subscriptions"][0]["account_id"], account_id);
    let usage = &detail["usage"];
    assert_eq!(usage["ai_calls"], 2);
    assert_eq!(usage["input_tokens"], 1_200);
    assert_eq!(usage["output_tokens"], 500);
    assert_eq!(usage["credits_charged"], 3);
    assert_eq!(usage["cost_micro_usd"], 1_502_345);
    assert_eq!(usage["cost_usd"], "1.502345");
    let latest = detail["latest_ledger"].as_array().expect("ledger");
    assert_eq!(latest.len(), 20);
    assert_eq!(latest[0]["amount"], 21, "newest first");
    assert_eq!(latest[0]["kind"], "adjustment");

    let page = body(
        app.get(
            &format!("/api/v1/admin/accounts/{account_id}/ledger/?page_size=5&ordering=amount"),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(page["count"], 22, "the sign-up grant and 21 adjustments");
    assert_eq!(page["results"][0]["amount"], 1);
    assert!(page["next"].as_str().expect("next").contains("page=2"));
    for path in [
        "/api/v1/admin/accounts/999999/",
        "/api/v1/admin/accounts/999999/ledger/",
    ] {
        assert_eq!(
            app.get(path, Some(&ops)).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

async fn a_suspension_stops_the_tenant_on_its_next_request_and_reactivation_lets_it_back(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    let tenant = app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let status_path = format!("/api/v1/admin/accounts/{account_id}/status/");
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&tenant)).await.status(),
        StatusCode::OK
    );

    let response = app
        .post(
            &status_path,
            &json!({"status": "suspended", "reason": "Chargeback under review."}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let suspended = body(response).await;
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["suspension_reason"], "operator");
    let refused = app.get("/api/v1/auth/me/", Some(&tenant)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = body(refused).await;
    assert_eq!(refused["detail"], "Account suspended");
    assert_eq!(refused["code"], "account_suspended");
    let rows = audit_rows(&app, "account.suspended", "account", account_id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, format!("user:{ops_id}"));
    assert_eq!(rows[0].account_id, Some(account_id));
    assert_eq!(json_of(rows[0].before.as_deref())["status"], "active");
    let after = json_of(rows[0].after.as_deref());
    assert_eq!(after["status"], "suspended");
    assert_eq!(after["reason"], "Chargeback under review.");

    // Suspending again changes nothing and records nothing.
    let again = app
        .post(&status_path, &json!({"status": "suspended"}), Some(&ops))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        audit_rows(&app, "account.suspended", "account", account_id)
            .await
            .len(),
        1
    );

    let response = app
        .post(&status_path, &json!({"status": "active"}), Some(&ops))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = account_of(&app, account_id).await;
    assert_eq!(
        (row.status, row.suspension_reason),
        (AccountStatus::Active, None)
    );
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&tenant)).await.status(),
        StatusCode::OK,
        "the same token works again"
    );
    let rows = audit_rows(&app, "account.reactivated", "account", account_id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        json_of(rows[0].before.as_deref())["suspension_reason"],
        "operator"
    );
}

async fn operators_set_only_active_or_suspended(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let status_path = format!("/api/v1/admin/accounts/{account_id}/status/");
    for status in ["trial", "pending_payment", "past_due", "cancelled"] {
        let response = app
            .post(&status_path, &json!({"status": status}), Some(&ops))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{status}");
        assert!(body(response).await["status"].is_array(), "{status}");
    }
    for refused in [
        json!({"status": "frozen"}),
        json!({}),
        json!({"status": "suspended", "reason": "x".repeat(501)}),
    ] {
        let response = app.post(&status_path, &refused, Some(&ops)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{refused}");
    }
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Active
    );
    assert_eq!(
        audit_log::Entity::find()
            .filter(audit_log::Column::ObjectType.eq("account"))
            .count(app.db())
            .await
            .expect("count"),
        0
    );
    let response = app
        .post(
            "/api/v1/admin/accounts/999999/status/",
            &json!({"status": "suspended"}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Reactivation also lifts billing's suspension for non-payment, if the operator says so.
    let mut row: account::ActiveModel = account_of(&app, account_id).await.into();
    row.status = Set(AccountStatus::Suspended);
    row.suspension_reason = Set(Some(SuspensionReason::NonPayment));
    row.update(app.db()).await.expect("suspend");
    let response = app
        .post(&status_path, &json!({"status": "active"}), Some(&ops))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        account_of(&app, account_id).await.status,
        AccountStatus::Active
    );
}

async fn credit_adjustments_are_ledger_rows_and_the_balance_is_their_sum(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let start = account_of(&app, account_id).await.credits;

    let added = adjust(&app, &ops, account_id, 100, "  Goodwill\nfor the outage. ").await;
    assert_eq!(added["balance"], start + 100);
    assert_eq!(added["transaction"]["kind"], "adjustment");
    assert_eq!(added["transaction"]["amount"], 100);
    assert_eq!(added["transaction"]["note"], "Goodwill for the outage.");
    assert_eq!(added["transaction"]["actor"], format!("user:{ops_id}"));
    let taken = adjust(&app, &ops, account_id, -30, "Refunded usage billed twice.").await;
    assert_eq!(taken["balance"], start + 70);

    let ledger = ledger_of(&app, account_id).await;
    let balance = account_of(&app, account_id).await.credits;
    assert_eq!(balance, start + 70);
    assert_eq!(ledger.iter().map(|t| t.amount).sum::<i64>(), balance);
    assert_eq!(ledger.last().expect("row").balance_after, balance);

    let rows = audit_rows(&app, "account.credits_adjusted", "account", account_id).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].actor, format!("user:{ops_id}"));
    assert_eq!(json_of(rows[1].before.as_deref())["credits"], start + 100);
    let after = json_of(rows[1].after.as_deref());
    assert_eq!(after["credits"], start + 70);
    assert_eq!(after["amount"], -30);
    assert_eq!(after["transaction_id"], taken["transaction"]["id"]);

    let listed = body(
        app.get(
            &format!("/api/v1/admin/accounts/{account_id}/ledger/"),
            Some(&ops),
        )
        .await,
    )
    .await;
    assert_eq!(listed["results"][0]["amount"], -30, "newest first");
}

async fn taking_more_than_the_balance_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    adjust(&app, &ops, account_id, 40, "Starting balance.").await;
    let balance = account_of(&app, account_id).await.credits;
    let rows = ledger_of(&app, account_id).await.len();
    let path = format!("/api/v1/admin/accounts/{account_id}/adjust_credits/");

    let response = app
        .post(
            &path,
            &json!({"amount": -(balance + 1), "note": "Too much."}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let refused = body(response).await;
    assert!(
        refused["amount"][0]
            .as_str()
            .expect("message")
            .contains(&balance.to_string()),
        "{refused}"
    );
    for invalid in [
        json!({"amount": 0, "note": "Nothing."}),
        json!({"amount": 5, "note": "   "}),
        json!({"amount": 5, "note": "x".repeat(501)}),
        json!({"amount": 2_000_000_000, "note": "Too big."}),
        json!({"amount": i64::MIN, "note": "The most negative number."}),
        json!({"amount": 1.5, "note": "Not whole."}),
        json!({"amount": 5}),
    ] {
        let response = app.post(&path, &invalid, Some(&ops)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{invalid}");
    }
    assert_eq!(account_of(&app, account_id).await.credits, balance);
    assert_eq!(ledger_of(&app, account_id).await.len(), rows);
    assert_eq!(
        audit_rows(&app, "account.credits_adjusted", "account", account_id)
            .await
            .len(),
        1
    );

    // Taking exactly the balance is fine.
    assert_eq!(
        adjust(&app, &ops, account_id, -balance, "Close out.").await["balance"],
        0
    );
    let response = app
        .post(
            "/api/v1/admin/accounts/999999/adjust_credits/",
            &json!({"amount": 5, "note": "Nobody."}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn a_repeated_idempotency_key_applies_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let start = account_of(&app, account_id).await.credits;
    let send = |amount: i64, key: &'static str| {
        let request = app
            .client
            .post(app.url(&format!(
                "/api/v1/admin/accounts/{account_id}/adjust_credits/"
            )))
            .bearer_auth(&ops)
            .header("Idempotency-Key", key)
            .json(&json!({"amount": amount, "note": "Ticket 42."}));
        async move { request.send().await.expect("request") }
    };

    let first = send(10, "ticket-42").await;
    assert_eq!(first.status(), StatusCode::OK);
    let first = body(first).await;
    let again = send(10, "ticket-42").await;
    assert_eq!(again.status(), StatusCode::OK);
    let again = body(again).await;
    assert_eq!(again["transaction"]["id"], first["transaction"]["id"]);
    assert_eq!(account_of(&app, account_id).await.credits, start + 10);
    assert_eq!(
        send(11, "ticket-42").await.status(),
        StatusCode::CONFLICT,
        "the same key for another amount"
    );
    assert_eq!(send(10, "bad key").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(account_of(&app, account_id).await.credits, start + 10);
    assert_eq!(
        audit_rows(&app, "account.credits_adjusted", "account", account_id)
            .await
            .len(),
        1
    );
}

async fn users_are_searched_and_filtered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    app.active_member("ada@example.com", "agency-monthly").await;
    app.active_member("bob@other.example", "agency-monthly")
        .await;
    let ada = app.tenant("ada@example.com").await.user.id;
    let bob = app.tenant("bob@other.example").await;
    let ids = |query: &str| {
        let path = format!("/api/v1/admin/users/{query}");
        let ops = ops.clone();
        let app = &app;
        async move {
            let response = app.get(&path, Some(&ops)).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            body(response).await["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| r["id"].as_i64().expect("id"))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids("").await, [bob.user.id, ada, ops_id]);
    assert_eq!(ids("?search=OTHER.example").await, [bob.user.id]);
    assert_eq!(ids("?search=ops").await, [ops_id], "name or email");
    assert_eq!(ids("?is_staff=true").await, [ops_id]);
    assert_eq!(
        ids(&format!("?account_id={}", bob.account.id)).await,
        [bob.user.id]
    );
    let mut row: user::ActiveModel = bob.user.clone().into();
    row.is_active = Set(false);
    row.update(app.db()).await.expect("deactivate");
    assert_eq!(ids("?is_active=false").await, [bob.user.id]);
    assert_eq!(ids("?ordering=email").await, [ada, bob.user.id, ops_id]);
    let one = body(
        app.get(&format!("/api/v1/admin/users/{ada}/"), Some(&ops))
            .await,
    )
    .await;
    assert_eq!(one["email"], "ada@example.com");
    assert_eq!(one["role"], "owner");
    assert!(one.get("password_hash").is_none());
    assert_eq!(
        app.get("/api/v1/admin/users/999999/", Some(&ops))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/admin/users/?is_staff=maybe", Some(&ops))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

async fn a_deactivated_user_is_signed_out_and_cannot_log_in_until_activated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    let tenant = app.active_member("ada@example.com", "agency-monthly").await;
    let ada = app.tenant("ada@example.com").await.user.id;

    let response = app
        .post(
            &format!("/api/v1/admin/users/{ada}/deactivate/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["is_active"], false);
    let refused = app.get("/api/v1/auth/me/", Some(&tenant)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(refused).await["code"], "session_revoked");
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(login).await["code"], "user_inactive");
    let rows = audit_rows(&app, "user.deactivated", "user", ada).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, format!("user:{ops_id}"));
    assert_eq!(
        rows[0].account_id,
        Some(account_id_of(&app, "ada@example.com").await)
    );
    assert_eq!(json_of(rows[0].before.as_deref())["is_active"], true);
    let after = json_of(rows[0].after.as_deref());
    assert_eq!(after["is_active"], false);
    assert_eq!(after["sessions_revoked"], 1);

    let response = app
        .post(
            &format!("/api/v1/admin/users/{ada}/activate/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&tenant)).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old session stays closed"
    );
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        audit_rows(&app, "user.activated", "user", ada).await.len(),
        1
    );
    // Activating an active user changes nothing.
    app.post(
        &format!("/api/v1/admin/users/{ada}/activate/"),
        &json!({}),
        Some(&ops),
    )
    .await;
    assert_eq!(
        audit_rows(&app, "user.activated", "user", ada).await.len(),
        1
    );
    assert_eq!(
        app.post(
            "/api/v1/admin/users/999999/deactivate/",
            &json!({}),
            Some(&ops)
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

async fn an_operator_cannot_deactivate_themselves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ops_id, ops) = operator(&app).await;
    let response = app
        .post(
            &format!("/api/v1/admin/users/{ops_id}/deactivate/"),
            &json!({}),
            Some(&ops),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get("/api/v1/admin/users/", Some(&ops)).await.status(),
        StatusCode::OK,
        "still signed in"
    );
    assert!(
        audit_rows(&app, "user.deactivated", "user", ops_id)
            .await
            .is_empty()
    );
}
