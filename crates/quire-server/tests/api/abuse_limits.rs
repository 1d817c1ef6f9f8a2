//! Abuse limits (issue 11): rate limits per client address, email and account answer 429 with
//! `Retry-After` and leave other keys alone; the daily AI ceiling refuses with nothing
//! changed until an operator raises it; a request past the time-out answers 408.

use crate::admin_accounts::operator;
use crate::common::{Backend, PASSWORD, TestApp, body};
use crate::visitor::Visitor;
use quire_core::{
    config::{Rate, Settings},
    entities::{account, audit_log, credit_transaction, job, user},
};
use reqwest::{Client, Method, Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};

quire_testkit::on_both_backends!(
    logins_from_one_address_are_limited_and_another_address_is_not,
    logins_with_one_email_are_limited_from_every_address,
    sign_ups_from_one_address_are_limited_and_create_nothing,
    password_reset_requests_from_one_address_are_limited,
    ai_operations_of_one_account_are_limited_and_another_account_is_not,
    the_daily_ai_ceiling_refuses_with_nothing_changed_until_an_operator_raises_it,
    the_platform_default_ceiling_applies_until_the_account_has_its_own,
    concurrent_ai_requests_never_pass_the_ceiling,
    only_operators_set_the_ceiling_and_bad_values_are_refused,
    pages_say_in_words_when_a_form_is_rate_limited,
    a_request_running_past_the_time_out_answers_408,
    every_rate_limited_operation_documents_429,
);

const AUTO_CLUSTER: &str = "/api/v1/planner/keywords/auto_cluster/";

/// A client whose connections come from `127.0.0.{last}` (another client address).
fn client_from(last: u8) -> Client {
    Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("client")
}

fn rate(requests: u32, per_seconds: u64) -> Rate {
    Rate {
        requests,
        per_seconds,
    }
}

async fn login_from(app: &TestApp, client: &Client, email: &str) -> Response {
    client
        .post(app.url("/api/v1/auth/login/"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
}

/// A 429 `code` with `Retry-After` (whole seconds, at least 1) equal to the body's
/// `retry_after`; answers the body.
async fn assert_limited(response: Response, code: &str) -> Value {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let header: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    let answer = body(response).await;
    assert_eq!(answer["code"], code, "{answer}");
    assert_eq!(answer["retry_after"], header);
    assert!(header >= 1);
    assert!(answer["detail"].as_str().is_some_and(|d| !d.is_empty()));
    answer
}

async fn users(app: &TestApp) -> u64 {
    user::Entity::find().count(app.db()).await.expect("count")
}

async fn logins_from_one_address_are_limited_and_another_address_is_not(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.login_per_address = rate(3, 3_600);
    })
    .await;
    app.active_member("ada@example.com", "free").await; // the first login of this address
    let here = client_from(1);
    for _ in 0..2 {
        assert_eq!(
            login_from(&app, &here, "ada@example.com").await.status(),
            StatusCode::OK
        );
    }
    let refused = assert_limited(
        login_from(&app, &here, "ada@example.com").await,
        "rate_limited",
    )
    .await;
    // The allowance refills one login every 1,200 s.
    let wait = refused["retry_after"].as_u64().expect("seconds");
    assert!((1_100..=1_200).contains(&wait), "{wait}");
    // A wrong password from here is refused the same way, before the password is checked.
    let wrong = here
        .post(app.url("/api/v1/auth/login/"))
        .json(&json!({"email": "ada@example.com", "password": "wrong"}))
        .send()
        .await
        .expect("login");
    assert_limited(wrong, "rate_limited").await;
    let elsewhere = client_from(2);
    assert_eq!(
        login_from(&app, &elsewhere, "ada@example.com")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn logins_with_one_email_are_limited_from_every_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.login_per_email = rate(2, 60);
    })
    .await;
    app.register("ada@example.com", "free").await;
    app.register("bob@example.com", "free").await;
    assert_eq!(
        login_from(&app, &client_from(1), "ada@example.com")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        login_from(&app, &client_from(2), "ada@example.com")
            .await
            .status(),
        StatusCode::OK
    );
    let refused = login_from(&app, &client_from(3), "Ada@Example.com ").await;
    let answer = assert_limited(refused, "rate_limited").await;
    assert!(answer["retry_after"].as_u64().is_some_and(|s| s <= 30));
    // Unknown emails are limited the same way, so the answer tells nothing about which exist.
    for _ in 0..2 {
        assert_eq!(
            login_from(&app, &client_from(1), "nobody@example.com")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_limited(
        login_from(&app, &client_from(1), "nobody@example.com").await,
        "rate_limited",
    )
    .await;
    assert_eq!(
        login_from(&app, &client_from(1), "bob@example.com")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn sign_up_from(app: &TestApp, client: &Client, email: &str) -> Response {
    let plan_id = app.plan_id("free").await;
    client
        .post(app.url("/api/v1/auth/register/"))
        .json(&json!({
            "email": email, "password": PASSWORD, "name": "Owner", "plan_id": plan_id,
        }))
        .send()
        .await
        .expect("register")
}

async fn sign_ups_from_one_address_are_limited_and_create_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.register_per_address = rate(2, 3_600);
    })
    .await;
    let here = client_from(1);
    for email in ["a@example.com", "b@example.com"] {
        assert_eq!(
            sign_up_from(&app, &here, email).await.status(),
            StatusCode::CREATED
        );
    }
    let before = users(&app).await;
    let refused = sign_up_from(&app, &here, "c@example.com").await;
    let answer = assert_limited(refused, "rate_limited").await;
    assert!(answer["retry_after"].as_u64().is_some_and(|s| s > 1_700));
    assert_eq!(users(&app).await, before, "nothing was created");
    assert_eq!(
        sign_up_from(&app, &client_from(2), "c@example.com")
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn password_reset_requests_from_one_address_are_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.password_reset_per_address = rate(2, 3_600);
    })
    .await;
    app.register("ada@example.com", "free").await;
    let here = client_from(1);
    let forgot = |client: &Client| {
        client
            .post(app.url("/api/v1/auth/password/forgot/"))
            .json(&json!({"email": "ada@example.com"}))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(
            forgot(&here).await.expect("forgot").status(),
            StatusCode::ACCEPTED
        );
    }
    assert_limited(forgot(&here).await.expect("forgot"), "rate_limited").await;
    // Using a link counts towards the same allowance: a guessed token is refused unread.
    let reset = here
        .post(app.url("/api/v1/auth/password/reset/"))
        .json(&json!({"token": "guessed", "password": "another-long-password-9"}))
        .send()
        .await
        .expect("reset");
    assert_limited(reset, "rate_limited").await;
    let elsewhere = client_from(2);
    assert_eq!(
        forgot(&elsewhere).await.expect("forgot").status(),
        StatusCode::ACCEPTED
    );
    let unknown = elsewhere
        .post(app.url("/api/v1/auth/password/reset/"))
        .json(&json!({"token": "guessed", "password": "another-long-password-9"}))
        .send()
        .await
        .expect("reset");
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}

/// A member with a sector of three keywords. No workers run, so queued jobs keep holding
/// their reservations.
struct Member {
    token: String,
    account: i64,
    sector: i64,
    keywords: Vec<i64>,
}

async fn member(app: &TestApp, email: &str) -> Member {
    let token = app.active_member(email, "agency-monthly").await;
    let site = body(
        app.post(
            "/api/v1/auth/sites/",
            &json!({"name": "Site", "url": "https://site.example.com"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let sector = body(
        app.post(
            "/api/v1/auth/sectors/",
            &json!({"site_id": site, "name": "Running"}),
            Some(&token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    let mut keywords = Vec::new();
    for (n, text) in ["trail shoes", "road shoes", "trail socks"]
        .iter()
        .enumerate()
    {
        let volume = 100 - i64::try_from(n).expect("small");
        keywords.push(crate::f3b_clusters_ideas::insert_keyword(app, sector, text, volume).await);
    }
    Member {
        token,
        account: app.tenant(email).await.account.id,
        sector,
        keywords,
    }
}

impl Member {
    /// Local clustering of the sector: an AI operation that holds 1 credit.
    async fn cluster(&self, app: &TestApp) -> Response {
        app.post(
            AUTO_CLUSTER,
            &json!({"keyword_ids": self.keywords, "sector_id": self.sector, "method": "local"}),
            Some(&self.token),
        )
        .await
    }

    /// Balance, ledger rows and jobs of the account.
    async fn books(&self, app: &TestApp) -> (i64, u64, u64) {
        let balance = account::Entity::find_by_id(self.account)
            .one(app.db())
            .await
            .expect("query")
            .expect("account")
            .credits;
        let ledger = credit_transaction::Entity::find()
            .filter(credit_transaction::Column::AccountId.eq(self.account))
            .count(app.db())
            .await
            .expect("count");
        let jobs = job::Entity::find()
            .filter(job::Column::AccountId.eq(self.account))
            .count(app.db())
            .await
            .expect("count");
        (balance, ledger, jobs)
    }
}

async fn set_ceiling(app: &TestApp, token: &str, account: i64, limit: Value) -> Response {
    app.call(
        Method::PATCH,
        &format!("/api/v1/admin/accounts/{account}/"),
        Some(token),
        Some(&json!({ "daily_ai_credit_limit": limit })),
    )
    .await
}

async fn ai_operations_of_one_account_are_limited_and_another_account_is_not(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.ai_per_account = rate(2, 60);
    })
    .await;
    let ada = member(&app, "ada@example.com").await;
    let bob = member(&app, "bob@example.com").await;
    let cluster = body(
        app.post(
            "/api/v1/planner/clusters/",
            &json!({"sector_id": ada.sector, "name": "Trail"}),
            Some(&ada.token),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("cluster");
    let ideas_request = json!({ "cluster_ids": [cluster] });
    let ideas = || {
        app.post(
            "/api/v1/planner/clusters/generate_ideas/",
            &ideas_request,
            Some(&ada.token),
        )
    };
    // Clustering and idea generation draw on one allowance.
    assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
    assert_eq!(ideas().await.status(), StatusCode::ACCEPTED);
    let before = ada.books(&app).await;
    let answer = assert_limited(ada.cluster(&app).await, "rate_limited").await;
    assert!(answer["retry_after"].as_u64().is_some_and(|s| s <= 30));
    assert_limited(ideas().await, "rate_limited").await;
    assert_eq!(ada.books(&app).await, before, "nothing queued or held");
    // A request refused before it would queue anything costs nothing: estimates are free.
    let estimate = app
        .post(
            "/api/v1/planner/keywords/auto_cluster/estimate/",
            &json!({"keyword_ids": ada.keywords, "sector_id": ada.sector, "method": "local"}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(estimate.status(), StatusCode::OK);
    assert_eq!(bob.cluster(&app).await.status(), StatusCode::ACCEPTED);
}

async fn the_daily_ai_ceiling_refuses_with_nothing_changed_until_an_operator_raises_it(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let bob = member(&app, "bob@example.com").await;
    let (operator_id, ops) = operator(&app).await;
    let set = set_ceiling(&app, &ops, ada.account, json!(2)).await;
    assert_eq!(set.status(), StatusCode::OK);
    assert_eq!(body(set).await["daily_ai_credit_limit"], 2);
    for _ in 0..2 {
        assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
    }
    let before = ada.books(&app).await;
    let answer = assert_limited(ada.cluster(&app).await, "daily_ai_limit_reached").await;
    assert_eq!(
        (
            &answer["limit"],
            &answer["spent_today"],
            &answer["required"]
        ),
        (&json!(2), &json!(2), &json!(1))
    );
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2 credits") && d.contains("midnight UTC")),
        "{answer}"
    );
    let now = chrono::Utc::now();
    let midnight = (now.date_naive() + chrono::Days::new(1))
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    let until_midnight = (midnight - now).num_seconds();
    let wait = answer["retry_after"].as_i64().expect("seconds");
    assert!(
        (wait - until_midnight).abs() <= 5,
        "{wait} vs {until_midnight}"
    );
    assert_eq!(
        ada.books(&app).await,
        before,
        "nothing held, charged or queued"
    );
    assert_eq!(bob.cluster(&app).await.status(), StatusCode::ACCEPTED);

    let raised = set_ceiling(&app, &ops, ada.account, json!(3)).await;
    assert_eq!(raised.status(), StatusCode::OK);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("account.daily_ai_credit_limit_changed"))
        .filter(audit_log::Column::AccountId.eq(ada.account))
        .all(app.db())
        .await
        .expect("audit");
    assert_eq!(audited.len(), 2);
    let last = audited.last().expect("row");
    assert_eq!(last.actor, format!("user:{operator_id}"));
    assert_eq!(
        (last.before.as_deref(), last.after.as_deref()),
        (
            Some(r#"{"daily_ai_credit_limit":2}"#),
            Some(r#"{"daily_ai_credit_limit":3}"#)
        )
    );
    assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
    assert_limited(ada.cluster(&app).await, "daily_ai_limit_reached").await;
    // A cancelled job gives its hold back, and with it room under the ceiling.
    let queued = job::Entity::find()
        .filter(job::Column::AccountId.eq(ada.account))
        .one(app.db())
        .await
        .expect("query")
        .expect("job");
    let cancel = app
        .post(
            &format!("/api/v1/jobs/{}/cancel/", queued.id),
            &json!({}),
            Some(&ada.token),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
}

async fn the_platform_default_ceiling_applies_until_the_account_has_its_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.rate_limits.daily_ai_credit_limit = Some(1);
    })
    .await;
    let ada = member(&app, "ada@example.com").await;
    let (_, ops) = operator(&app).await;
    assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
    let answer = assert_limited(ada.cluster(&app).await, "daily_ai_limit_reached").await;
    assert_eq!(answer["limit"], 1);
    assert_eq!(
        set_ceiling(&app, &ops, ada.account, json!(5))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(ada.cluster(&app).await.status(), StatusCode::ACCEPTED);
    // Back to the platform default.
    let reset = set_ceiling(&app, &ops, ada.account, Value::Null).await;
    assert_eq!(body(reset).await["daily_ai_credit_limit"], Value::Null);
    assert_limited(ada.cluster(&app).await, "daily_ai_limit_reached").await;
}

async fn concurrent_ai_requests_never_pass_the_ceiling(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let (_, ops) = operator(&app).await;
    set_ceiling(&app, &ops, ada.account, json!(4)).await;
    let attempts = (0..12).map(|_| ada.cluster(&app));
    let answers = futures::future::join_all(attempts).await;
    let accepted = answers
        .iter()
        .filter(|r| r.status() == StatusCode::ACCEPTED)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((accepted, refused), (4, 8));
    let (_, _, jobs) = ada.books(&app).await;
    assert_eq!(jobs, 4);
}

async fn only_operators_set_the_ceiling_and_bad_values_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = member(&app, "ada@example.com").await;
    let (_, ops) = operator(&app).await;
    let tenant = set_ceiling(&app, &ada.token, ada.account, json!(1_000)).await;
    assert_eq!(tenant.status(), StatusCode::FORBIDDEN);
    let anonymous = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/accounts/{}/", ada.account),
            None,
            Some(&json!({"daily_ai_credit_limit": 1})),
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    for bad in [
        json!(-1),
        json!("ten"),
        json!(1.5),
        json!(2_000_000_000_000_i64),
    ] {
        let response = set_ceiling(&app, &ops, ada.account, bad.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            body(response).await["daily_ai_credit_limit"].is_array(),
            "{bad}"
        );
    }
    let missing = set_ceiling(&app, &ops, ada.account + 1_000, json!(1)).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let untouched = account::Entity::find_by_id(ada.account)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    assert_eq!(untouched.daily_ai_credit_limit, None);
    // An absent field changes nothing and records nothing.
    let empty = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/accounts/{}/", ada.account),
            Some(&ops),
            Some(&json!({})),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert_eq!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("account.daily_ai_credit_limit_changed"))
            .count(app.db())
            .await
            .expect("count"),
        0
    );
}

async fn pages_say_in_words_when_a_form_is_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s: &mut Settings| {
        s.rate_limits.login_per_address = rate(1, 3_600);
        s.rate_limits.register_per_address = rate(1, 3_600);
        s.rate_limits.password_reset_per_address = rate(1, 3_600);
    })
    .await;
    let mut visitor = Visitor::new(&app.base);
    visitor.page("/login", StatusCode::OK).await;
    let fields = [("email", "ada@example.com"), ("password", "wrong-password")];
    assert_eq!(
        visitor.post("/login", &fields).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = visitor.post("/login", &fields).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let html = refused.text().await.expect("html");
    assert!(
        html.contains("Too many sign-in attempts. Try again in"),
        "{html}"
    );

    visitor.page("/admin/login", StatusCode::OK).await;
    let console = visitor.post("/admin/login", &fields).await;
    assert_eq!(console.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        console
            .text()
            .await
            .expect("html")
            .contains("Too many sign-in attempts")
    );

    let plan = app.plan_id("free").await;
    assert_ne!(
        Visitor::new(&app.base)
            .sign_up("ada@example.com", plan)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let refused = Visitor::new(&app.base)
        .sign_up("bob@example.com", plan)
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("Too many sign-ups")
    );
    assert_eq!(users(&app).await, 1, "only the first sign-up was created");

    let mut visitor = Visitor::new(&app.base);
    visitor.page("/forgot-password", StatusCode::OK).await;
    let email = [("email", "ada@example.com")];
    assert_eq!(
        visitor.post("/forgot-password", &email).await.status(),
        StatusCode::OK
    );
    let refused = visitor.post("/forgot-password", &email).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        refused
            .text()
            .await
            .expect("html")
            .contains("Too many password-reset requests")
    );
}

async fn a_request_running_past_the_time_out_answers_408(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        // Long enough for the setup's password hashing on a busy machine.
        s.request_timeout_seconds = 3;
    })
    .await;
    let ada = member(&app, "ada@example.com").await;
    let queued = body(ada.cluster(&app).await).await["id"]
        .as_i64()
        .expect("job");
    // No worker runs, so waiting 20 s for the job outlasts the 3 s time-out.
    let started = std::time::Instant::now();
    let waited = app
        .get(&format!("/api/v1/jobs/{queued}/?wait=20"), Some(&ada.token))
        .await;
    assert_eq!(waited.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let explained = body(waited).await;
    assert_eq!(explained["code"], "request_timeout", "{explained}");
    assert!(
        explained["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("3-second limit")),
        "{explained}"
    );
    let quick = app
        .get(&format!("/api/v1/jobs/{queued}/"), Some(&ada.token))
        .await;
    assert_eq!(quick.status(), StatusCode::OK);
}

async fn every_rate_limited_operation_documents_429(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = body(app.get("/api/openapi.json", None).await).await;
    for path in [
        "/api/v1/auth/login/",
        "/api/v1/auth/register/",
        "/api/v1/auth/password/forgot/",
        "/api/v1/auth/password/reset/",
        AUTO_CLUSTER,
        "/api/v1/planner/clusters/generate_ideas/",
        "/api/v1/writer/content/generate/",
        "/api/v1/writer/content/regenerate_section/",
    ] {
        let documented = &spec["paths"][path]["post"]["responses"]["429"];
        assert!(documented.is_object(), "{path} does not document 429");
    }
    let patch = &spec["paths"]["/api/v1/admin/accounts/{id}/"]["patch"]["responses"];
    for status in ["200", "400", "401", "403", "404"] {
        assert!(
            patch[status].is_object(),
            "PATCH account documents {status}"
        );
    }
}
