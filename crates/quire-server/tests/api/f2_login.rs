//! F2 — login, tenant context, gates: every "What to verify" row of the seed, plus tokens,
//! sessions, throttling and the gates applied on every request.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use quire_core::{
    accounts::operators,
    entities::{
        account,
        enums::{AccountStatus, SuspensionReason, UserRole},
        instance_secret, plan, refresh_token_family, user,
    },
};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use std::time::Instant;

quire_testkit::on_both_backends!(
    a_wrong_password_gives_401_invalid_credentials,
    an_unknown_email_answers_exactly_like_a_wrong_password,
    a_user_without_an_account_gets_403_account_not_configured,
    an_inactive_plan_gets_402_active_subscription_required,
    a_missing_plan_gets_402_active_subscription_required,
    the_jwt_carries_the_users_account_id,
    every_request_runs_in_the_callers_own_account,
    a_pending_payment_gets_402_with_the_instructions,
    blocked_statuses_get_their_gate_at_login,
    past_due_enters_during_the_grace_period_only,
    a_trial_account_can_log_in,
    a_suspension_applies_on_the_next_request,
    a_plan_deactivation_applies_on_the_next_request,
    refresh_rotates_and_reusing_a_spent_token_revokes_the_session,
    logout_revokes_the_session_at_once,
    logout_everywhere_ends_every_session,
    tampered_expired_and_foreign_tokens_are_refused,
    requests_without_a_token_get_401,
    repeated_failures_are_throttled_with_retry_after,
    a_deactivated_user_cannot_log_in,
    an_operator_logs_in_without_an_account,
);

async fn set_account(
    app: &TestApp,
    account_id: i64,
    change: impl FnOnce(&mut account::ActiveModel),
) {
    let row = account::Entity::find_by_id(account_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    let mut active: account::ActiveModel = row.into();
    change(&mut active);
    active.update(app.db()).await.expect("update account");
}

async fn set_plan_active(app: &TestApp, plan_id: i64, is_active: bool) {
    let row = plan::Entity::find_by_id(plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let mut active: plan::ActiveModel = row.into();
    active.is_active = Set(is_active);
    active.update(app.db()).await.expect("update plan");
}

fn token(session: &Value, kind: &str) -> String {
    session[kind].as_str().expect("token").to_owned()
}

async fn account_id_of(app: &TestApp, email: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .expect("query")
        .expect("user")
        .account_id
        .expect("account")
}

async fn a_wrong_password_gives_401_invalid_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com", "free").await;
    let response = app.login("ada@example.com", "not-the-password-1").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = body(response).await;
    assert_eq!(error["detail"], "Invalid credentials");
    assert_eq!(error["code"], "invalid_credentials");
}

async fn an_unknown_email_answers_exactly_like_a_wrong_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com", "free").await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let response = app.login("ada@example.com", "not-the-password-1").await;
        wrong.push(started.elapsed());
        bodies.push((response.status(), response.text().await.expect("text")));
        let started = Instant::now();
        let response = app.login("nobody@example.com", "not-the-password-1").await;
        unknown.push(started.elapsed());
        bodies.push((response.status(), response.text().await.expect("text")));
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
    wrong.sort();
    unknown.sort();
    // Both verify an argon2id hash: their medians stay within a factor of three.
    let (w, u) = (wrong[1].as_secs_f64(), unknown[1].as_secs_f64());
    assert!(
        u > w / 3.0 && w > u / 3.0,
        "wrong {w:.4}s vs unknown {u:.4}s"
    );
}

async fn a_user_without_an_account_gets_403_account_not_configured(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = Utc::now();
    let hash = quire_core::accounts::password::hash(PASSWORD).expect("hash");
    user::ActiveModel {
        email: Set("loose@example.com".into()),
        password_hash: Set(hash),
        name: Set("Loose".into()),
        account_id: Set(None),
        role: Set(UserRole::Owner),
        is_staff: Set(false),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("insert user");
    let response = app.login("loose@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let error = body(response).await;
    assert_eq!(error["detail"], "Account not configured");
    assert_eq!(error["code"], "account_not_configured");
}

async fn an_inactive_plan_gets_402_active_subscription_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("ada@example.com", "free").await;
    set_plan_active(&app, registered["plan"]["id"].as_i64().expect("id"), false).await;
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    let error = body(response).await;
    assert_eq!(error["detail"], "Active subscription required");
    assert_eq!(error["code"], "subscription_required");
}

async fn a_missing_plan_gets_402_active_subscription_required(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com", "free").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    set_account(&app, account_id, |a| a.plan_id = Set(None)).await;
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        body(response).await["detail"],
        "Active subscription required"
    );
}

async fn the_jwt_carries_the_users_account_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let secret = instance_secret::Entity::find_by_id("jwt_secret".to_owned())
        .one(app.db())
        .await
        .expect("query")
        .expect("generated secret kept with the data");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "iat"]);
    for kind in ["access", "refresh"] {
        let claims = jsonwebtoken::decode::<Value>(
            &token(&session, kind),
            &DecodingKey::from_secret(secret.value.as_bytes()),
            &validation,
        )
        .expect("decodes with HS256")
        .claims;
        assert_eq!(claims["account_id"], account_id, "{kind}");
        assert_eq!(claims["user_id"], session["user"]["id"], "{kind}");
        assert_eq!(claims["typ"], kind);
        assert!(claims["jti"].is_string());
        assert!(claims["iat"].as_i64().expect("iat") <= claims["exp"].as_i64().expect("exp"));
    }
    assert!(session["access_expires_at"].is_string());
    assert!(session["refresh_expires_at"].is_string());
    assert_eq!(session["account"]["id"], account_id);
}

async fn every_request_runs_in_the_callers_own_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ada = app.signed_in_free_member("ada@example.com").await;
    let bob = app.signed_in_free_member("bob@example.com").await;
    for (session, email) in [(&ada, "ada@example.com"), (&bob, "bob@example.com")] {
        let me = body(
            app.get("/api/v1/auth/me/", Some(&token(session, "access")))
                .await,
        )
        .await;
        assert_eq!(me["account"]["id"], account_id_of(&app, email).await);
        assert_eq!(me["user"]["email"], email);
    }
}

async fn a_pending_payment_gets_402_with_the_instructions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registered = app.register("payer@example.com", "starter-annual").await;
    let response = app.login("payer@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    let error = body(response).await;
    assert_eq!(error["code"], "payment_pending");
    assert_eq!(
        error["payment"]["reference"],
        registered["payment"]["reference"]
    );
    assert_eq!(error["payment"]["amount"], 29_000);
    assert_eq!(error["payment"]["amount_display"], "290.00 USD");
}

async fn blocked_statuses_get_their_gate_at_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com", "free").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    let cases = [
        (
            AccountStatus::Suspended,
            Some(SuspensionReason::NonPayment),
            402,
            "subscription_required",
        ),
        (AccountStatus::Cancelled, None, 402, "subscription_required"),
        (
            AccountStatus::Suspended,
            Some(SuspensionReason::Operator),
            403,
            "account_suspended",
        ),
    ];
    for (status, reason, expected, code) in cases {
        set_account(&app, account_id, |a| {
            a.status = Set(status);
            a.suspension_reason = Set(reason);
        })
        .await;
        let response = app.login("ada@example.com", PASSWORD).await;
        assert_eq!(response.status().as_u16(), expected, "{status:?}");
        let error = body(response).await;
        assert_eq!(error["code"], code, "{status:?}");
        if expected == 403 {
            assert_eq!(error["detail"], "Account suspended");
        } else {
            assert_eq!(error["detail"], "Active subscription required");
        }
    }
}

async fn past_due_enters_during_the_grace_period_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("ada@example.com", "free").await;
    let account_id = account_id_of(&app, "ada@example.com").await;
    set_account(&app, account_id, |a| {
        a.status = Set(AccountStatus::PastDue);
        a.grace_period_ends_at = Set(Some(Utc::now() + Duration::days(3)));
    })
    .await;
    let response = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let access = token(&body(response).await, "access");

    set_account(&app, account_id, |a| {
        a.grace_period_ends_at = Set(Some(Utc::now() - Duration::minutes(1)));
    })
    .await;
    let me = app.get("/api/v1/auth/me/", Some(&access)).await;
    assert_eq!(me.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::PAYMENT_REQUIRED
    );
}

async fn a_trial_account_can_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("trial@example.com", "growth-monthly").await;
    let response = app.login("trial@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(response).await["account"]["status"], "trial");
}

async fn a_suspension_applies_on_the_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let access = token(&session, "access");
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&access)).await.status(),
        StatusCode::OK
    );

    let account_id = account_id_of(&app, "ada@example.com").await;
    set_account(&app, account_id, |a| {
        a.status = Set(AccountStatus::Suspended);
        a.suspension_reason = Set(Some(SuspensionReason::Operator));
    })
    .await;
    let me = app.get("/api/v1/auth/me/", Some(&access)).await;
    assert_eq!(me.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(me).await["code"], "account_suspended");
    // Refreshing does not get around it either.
    let refreshed = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": token(&session, "refresh")}),
            None,
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::FORBIDDEN);
}

async fn a_plan_deactivation_applies_on_the_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let access = token(&session, "access");
    set_plan_active(
        &app,
        session["account"]["plan_id"].as_i64().expect("plan"),
        false,
    )
    .await;
    let me = app.get("/api/v1/auth/me/", Some(&access)).await;
    assert_eq!(me.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(body(me).await["detail"], "Active subscription required");
}

async fn refresh_rotates_and_reusing_a_spent_token_revokes_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let first_refresh = token(&session, "refresh");

    let rotated = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": first_refresh}),
            None,
        )
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated = body(rotated).await;
    let second_refresh = token(&rotated, "refresh");
    let second_access = token(&rotated, "access");
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&second_access))
            .await
            .status(),
        StatusCode::OK
    );

    // The spent token again: refused, and the whole family is revoked.
    let reused = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": first_refresh}),
            None,
        )
        .await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(reused).await["code"], "token_reused");
    let after = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": second_refresh}),
            None,
        )
        .await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&second_access))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&first_refresh)
        .expect("decode")
        .claims;
    let session_id = claims["sid"].as_str().expect("sid").to_owned();
    let family = refresh_token_family::Entity::find_by_id(session_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("family");
    assert_eq!(family.revoked_reason.as_deref(), Some("reuse_detected"));

    // An access token is not a refresh token.
    let wrong_type = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": token(&session, "access")}),
            None,
        )
        .await;
    assert_eq!(wrong_type.status(), StatusCode::UNAUTHORIZED);
}

async fn logout_revokes_the_session_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let other = body(app.login("ada@example.com", PASSWORD).await).await;
    let access = token(&session, "access");
    let response = app
        .client
        .post(app.url("/api/v1/auth/logout/"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&access)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refresh = app
        .post(
            "/api/v1/auth/refresh/",
            &json!({"refresh": token(&session, "refresh")}),
            None,
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    // Another session of the same user goes on.
    assert_eq!(
        app.get("/api/v1/auth/me/", Some(&token(&other, "access")))
            .await
            .status(),
        StatusCode::OK
    );
}

async fn logout_everywhere_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.signed_in_free_member("ada@example.com").await;
    let second = body(app.login("ada@example.com", PASSWORD).await).await;
    let response = app
        .post(
            "/api/v1/auth/logout/",
            &json!({"everywhere": true}),
            Some(&token(&first, "access")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for session in [&first, &second] {
        assert_eq!(
            app.get("/api/v1/auth/me/", Some(&token(session, "access")))
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

fn sign(secret: &[u8], algorithm: Algorithm, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

async fn tampered_expired_and_foreign_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let access = token(&session, "access");
    let secret = instance_secret::Entity::find_by_id("jwt_secret".to_owned())
        .one(app.db())
        .await
        .expect("query")
        .expect("secret")
        .value;
    let valid: Value = jsonwebtoken::dangerous::insecure_decode::<Value>(&access)
        .expect("decode")
        .claims;

    let mut expired = valid.clone();
    expired["iat"] = json!((Utc::now() - Duration::hours(2)).timestamp());
    expired["exp"] = json!((Utc::now() - Duration::hours(1)).timestamp());
    let response = app
        .get(
            "/api/v1/auth/me/",
            Some(&sign(secret.as_bytes(), Algorithm::HS256, &expired)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(response).await["code"], "token_expired");

    let mut other_account = valid.clone();
    other_account["account_id"] = json!(999_999);
    let forged = sign(
        b"an-attacker-secret-of-32-bytes-!!",
        Algorithm::HS256,
        &other_account,
    );
    let not_ours = sign(secret.as_bytes(), Algorithm::HS384, &valid);
    let re_signed_claims = sign(secret.as_bytes(), Algorithm::HS256, &other_account);
    let mut parts: Vec<&str> = access.split('.').collect();
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    parts[0] = none_header;
    let alg_none = format!("{}.{}.", parts[0], parts[1]);
    let mut flipped = access.clone();
    flipped.pop();
    flipped.push(if access.ends_with('A') { 'B' } else { 'A' });
    for (name, bad) in [
        ("foreign key", forged),
        ("HS384", not_ours),
        ("another account", re_signed_claims),
        ("alg none", alg_none),
        ("flipped signature", flipped),
        ("garbage", "not.a.token".to_owned()),
    ] {
        let response = app.get("/api/v1/auth/me/", Some(&bad)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(
            response.headers().contains_key("www-authenticate"),
            "{name}"
        );
    }
}

async fn requests_without_a_token_get_401(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/api/v1/auth/me/", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body(response).await["code"], "not_authenticated");
    let basic = app
        .client
        .get(app.url("/api/v1/auth/me/"))
        .header("Authorization", "Basic YWRhOnB3")
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

async fn repeated_failures_are_throttled_with_retry_after(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.login_throttle.max_failures_per_email = 3;
        settings.login_throttle.max_failures_per_address = 100;
    })
    .await;
    app.register("ada@example.com", "free").await;
    for _ in 0..3 {
        let response = app.login("ada@example.com", "not-the-password-1").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits until the window ends.
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after > 0);
    assert_eq!(body(response).await["code"], "throttled");
    // Unknown emails are throttled the same way (no enumeration through the throttle).
    for _ in 0..3 {
        app.login("ghost@example.com", "not-the-password-1").await;
    }
    assert_eq!(
        app.login("ghost@example.com", "not-the-password-1")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_deactivated_user_cannot_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.signed_in_free_member("ada@example.com").await;
    let row = user::Entity::find()
        .filter(user::Column::Email.eq("ada@example.com"))
        .one(app.db())
        .await
        .expect("query")
        .expect("user");
    let mut inactive: user::ActiveModel = row.into();
    inactive.is_active = Set(false);
    inactive.update(app.db()).await.expect("deactivate");
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );
    let me = app
        .get("/api/v1/auth/me/", Some(&token(&session, "access")))
        .await;
    assert_eq!(me.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(me).await["code"], "user_inactive");
}

async fn an_operator_logs_in_without_an_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operators::create(&app.quire, "ops@example.com", PASSWORD, "Ops")
        .await
        .expect("operator");
    let response = app.login("ops@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = body(response).await;
    assert!(session["account"].is_null());
    assert_eq!(session["user"]["is_staff"], true);
    let claims = jsonwebtoken::dangerous::insecure_decode::<Value>(&token(&session, "access"))
        .expect("decode")
        .claims;
    assert!(claims["account_id"].is_null());
    let me = body(
        app.get("/api/v1/auth/me/", Some(&token(&session, "access")))
            .await,
    )
    .await;
    assert!(me["account"].is_null());
    assert_eq!(me["user"]["role"], "operator");
}
