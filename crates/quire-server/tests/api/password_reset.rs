//! Password-reset links made by an operator (API and console): the user sets a new password
//! once through the link's page, every session of theirs ends, and a used, replaced or expired
//! link no longer works.

use crate::{
    admin_accounts::operator,
    common::{Backend, PASSWORD, TestApp, body},
    visitor::Visitor,
};
use chrono::TimeDelta;
use quire_core::entities::{audit_log, user};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

quire_testkit::on_both_backends!(
    a_reset_link_sets_a_new_password_once_and_ends_every_session,
    a_newer_or_expired_link_does_not_work,
    the_console_shows_a_reset_link_once,
);

const NEW_PASSWORD: &str = "amber-willow-ferry-77";

async fn user_id(app: &TestApp, email: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(app.db())
        .await
        .expect("query")
        .expect("user")
        .id
}

/// The link's path for `email`'s user, made through the staff API.
async fn link_for(app: &TestApp, operator_token: &str, email: &str) -> String {
    let id = user_id(app, email).await;
    let made = app
        .post(
            &format!("/api/v1/admin/users/{id}/reset_password_link/"),
            &json!({}),
            Some(operator_token),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    body(made).await["link"].as_str().expect("link").to_owned()
}

/// Sets `password` through the link's page; answers the response.
async fn use_link(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let mut visitor = Visitor::new(&app.url(""));
    let token = link.split("token=").nth(1).expect("a token").to_owned();
    visitor.page(link, StatusCode::OK).await;
    visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", password)],
        )
        .await
}

async fn a_reset_link_sets_a_new_password_once_and_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    let session = app.active_member("rita@example.com", "free").await;
    let link = link_for(&app, &ops, "rita@example.com").await;
    assert!(link.starts_with("/reset-password?token="), "{link}");

    // Tenants cannot make links; the audit log names the action, not the link.
    let id = user_id(&app, "rita@example.com").await;
    let path = format!("/api/v1/admin/users/{id}/reset_password_link/");
    let refused = app.post(&path, &json!({}), Some(&session)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("user.password_reset_link"))
        .all(app.db())
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    let token = link.split("token=").nth(1).expect("token");
    assert!(!format!("{:?}", audited[0]).contains(token));

    // A weak password is refused in words and the link still works.
    let weak = use_link(&app, &link, "password").await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let login = app.login("rita@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);

    let changed = use_link(&app, &link, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let old = app.login("rita@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app.login("rita@example.com", NEW_PASSWORD).await;
    assert_eq!(new.status(), StatusCode::OK);
    let me = app.get("/api/v1/auth/me/", Some(&session)).await;
    assert_eq!(
        me.status(),
        StatusCode::UNAUTHORIZED,
        "earlier sessions ended"
    );

    // Used once: the page says so, and the password stays.
    let again = Visitor::new(&app.url("")).get(&link).await;
    assert_eq!(again.status(), StatusCode::GONE);
    let reused = app.login("rita@example.com", NEW_PASSWORD).await;
    assert_eq!(reused.status(), StatusCode::OK);
}

async fn a_newer_or_expired_link_does_not_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, ops) = operator(&app).await;
    app.active_member("sam@example.com", "free").await;
    let first = link_for(&app, &ops, "sam@example.com").await;
    let second = link_for(&app, &ops, "sam@example.com").await;
    let replaced = Visitor::new(&app.url("")).get(&first).await;
    assert_eq!(
        replaced.status(),
        StatusCode::GONE,
        "a newer link replaces it"
    );

    app.clock.advance(TimeDelta::minutes(31));
    let expired = Visitor::new(&app.url("")).get(&second).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    let unknown = Visitor::new(&app.url(""))
        .get("/reset-password?token=0000")
        .await;
    assert_eq!(unknown.status(), StatusCode::GONE);
    let login = app.login("sam@example.com", PASSWORD).await;
    assert_eq!(
        login.status(),
        StatusCode::OK,
        "the password did not change"
    );
}

async fn the_console_shows_a_reset_link_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operator(&app).await;
    app.active_member("tess@example.com", "free").await;
    let id = user_id(&app, "tess@example.com").await;
    let mut console = Visitor::new(&app.url(""));
    console.page("/admin/login", StatusCode::OK).await;
    let signed_in = console
        .post(
            "/admin/login",
            &[("email", "ops@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    console.page("/admin/users", StatusCode::OK).await;
    let shown = console
        .post(&format!("/admin/users/{id}/reset_link"), &[])
        .await;
    assert_eq!(shown.status(), StatusCode::OK);
    let html = shown.text().await.expect("html");
    let link = html
        .split("value=\"/reset-password?token=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|token| format!("/reset-password?token={token}"))
        .expect("the link on the page");
    let changed = use_link(&app, &link, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::OK);
    let login = app.login("tess@example.com", NEW_PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}
