//! Account recovery (issue 11, item 5): a forgotten password is reset by an emailed link that
//! works once, for 30 minutes, and ends every session, with the same answer whether or not the
//! address is known; changing the password needs the current one; a new email address is used
//! only once the link sent to it is opened, and the old address is told.

use crate::{
    common::{Backend, PASSWORD, TestApp, body},
    visitor::{Visitor, location},
};
use chrono::TimeDelta;
use quire_core::notifications::SentEmail;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

quire_testkit::on_both_backends!(
    forgot_password_answers_alike_and_emails_a_link_that_resets_once,
    a_forgotten_password_link_expires_after_30_minutes,
    the_sign_in_page_leads_to_a_forgot_password_page_that_emails_a_link,
    changing_the_password_needs_the_current_one_and_ends_the_other_sessions,
    a_new_email_is_used_only_once_its_link_is_opened_and_the_old_one_is_told,
    the_account_page_changes_the_password_and_the_email,
);

const NEW_PASSWORD: &str = "amber-willow-ferry-77";
const FORGOT: &str = "/api/v1/auth/password/forgot/";

/// The emails of template `kind` sent to `to`, waiting up to five seconds for `count` of them
/// (a forgot-password email leaves after the answer).
async fn emails(app: &TestApp, to: &str, kind: &str, count: usize) -> Vec<SentEmail> {
    let matching = || {
        app.outbox
            .sent()
            .into_iter()
            .filter(|sent| sent.to.eq_ignore_ascii_case(to) && sent.kind == kind)
            .collect::<Vec<_>>()
    };
    for _ in 0..100 {
        if matching().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    matching()
}

/// The token of the link in `email`'s body (`…?token=<hex>`).
fn token_in(email: &SentEmail) -> String {
    email
        .email
        .body
        .split("?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a link with a token")
        .to_owned()
}

async fn reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/password/reset/",
        &json!({"token": token, "password": password}),
        None,
    )
    .await
}

async fn forgot_password_answers_alike_and_emails_a_link_that_resets_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.active_member("rita@example.com", "free").await;

    let known = app
        .post(FORGOT, &json!({"email": " Rita@Example.com "}), None)
        .await;
    let unknown = app
        .post(FORGOT, &json!({"email": "nobody@example.com"}), None)
        .await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert_eq!(
        known.text().await.expect("text"),
        unknown.text().await.expect("text"),
        "the same answer whether or not the address is known"
    );
    let malformed = app
        .post(FORGOT, &json!({"email": "not-an-address"}), None)
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    let sent = emails(&app, "rita@example.com", "password_reset.txt", 1).await;
    assert_eq!(sent.len(), 1, "{:?}", app.outbox.sent());
    assert!(sent[0].email.body.contains("/reset-password?token="));
    assert!(sent[0].email.body.contains("30 minutes"));
    assert!(app.outbox.kinds_sent_to("nobody@example.com").is_empty());
    let token = token_in(&sent[0]);

    // A weak password is refused and the link still works; then it resets once.
    let weak = reset(&app, &token, "password").await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(body(weak).await["password"].is_array());
    assert_eq!(
        app.login("rita@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/auth/me/", Some(&session)).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "every session ended");
    let old = app.login("rita@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app.login("rita@example.com", NEW_PASSWORD).await;
    assert_eq!(new.status(), StatusCode::OK);

    let again = reset(&app, &token, "another-fine-passphrase").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(body(again).await["token"].is_array());
    assert_eq!(
        app.login("rita@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn a_forgotten_password_link_expires_after_30_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("sam@example.com", "free").await;
    app.post(FORGOT, &json!({"email": "sam@example.com"}), None)
        .await;
    let first = token_in(&emails(&app, "sam@example.com", "password_reset.txt", 1).await[0]);
    app.post(FORGOT, &json!({"email": "sam@example.com"}), None)
        .await;
    let sent = emails(&app, "sam@example.com", "password_reset.txt", 2).await;
    assert_eq!(sent.len(), 2);
    let second = token_in(&sent[1]);
    let replaced = reset(&app, &first, NEW_PASSWORD).await;
    assert_eq!(
        replaced.status(),
        StatusCode::BAD_REQUEST,
        "a newer link replaces it"
    );

    app.clock.advance(TimeDelta::minutes(31));
    let expired = reset(&app, &second, NEW_PASSWORD).await;
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.login("sam@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "the password did not change"
    );
}

async fn the_sign_in_page_leads_to_a_forgot_password_page_that_emails_a_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let session = app.active_member("tess@example.com", "free").await;
    let mut visitor = Visitor::new(&app.url(""));
    let login = visitor.page("/login", StatusCode::OK).await;
    assert!(login.contains("href=\"/forgot-password\""), "{login}");

    let mut answers = Vec::new();
    for email in ["tess@example.com", "nobody@example.com"] {
        visitor.page("/forgot-password", StatusCode::OK).await;
        let answer = visitor.post("/forgot-password", &[("email", email)]).await;
        assert_eq!(answer.status(), StatusCode::OK);
        answers.push(answer.text().await.expect("html"));
    }
    assert!(answers[0].contains("30 minutes"), "{}", answers[0]);
    // The pages differ only in their per-response nonce.
    let without_nonce = |html: &str| {
        html.split("nonce=\"")
            .map(|part| part.split_once('"').map_or(part, |(_, rest)| rest))
            .collect::<String>()
    };
    assert_eq!(without_nonce(&answers[0]), without_nonce(&answers[1]));
    let forged = visitor
        .post_as_is(
            "/forgot-password",
            &[("email", "tess@example.com"), ("csrf", "forged")],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let sent = emails(&app, "tess@example.com", "password_reset.txt", 1).await;
    assert_eq!(sent.len(), 1);
    let token = token_in(&sent[0]);
    visitor
        .page(&format!("/reset-password?token={token}"), StatusCode::OK)
        .await;
    let changed = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let me = app.get("/api/v1/auth/me/", Some(&session)).await;
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "every session ended");
    assert_eq!(
        app.login("tess@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let here = app.active_member("uma@example.com", "free").await;
    let elsewhere = body(app.login("uma@example.com", PASSWORD).await).await["access"]
        .as_str()
        .expect("token")
        .to_owned();
    let change = |current: &'static str, new: &'static str| {
        let app = &app;
        let here = here.clone();
        async move {
            app.post(
                "/api/v1/auth/password/change/",
                &json!({"current_password": current, "new_password": new}),
                Some(&here),
            )
            .await
        }
    };

    let wrong = change("not-my-password-9", NEW_PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(body(wrong).await["current_password"].is_array());
    let weak = change(PASSWORD, "password").await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    assert!(body(weak).await["new_password"].is_array());
    assert_eq!(
        app.login("uma@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    let anonymous = app
        .post(
            "/api/v1/auth/password/change/",
            &json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
            None,
        )
        .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let changed = change(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    let still = app.get("/api/v1/auth/me/", Some(&here)).await;
    assert_eq!(still.status(), StatusCode::OK, "this session stays");
    let ended = app.get("/api/v1/auth/me/", Some(&elsewhere)).await;
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED, "the others end");
    assert_eq!(
        app.login("uma@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("uma@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn a_new_email_is_used_only_once_its_link_is_opened_and_the_old_one_is_told(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let session = app.active_member("vera@example.com", "free").await;
    app.active_member("taken@example.com", "free").await;
    let change = async |password: &str, email: &str| {
        app.post(
            "/api/v1/auth/email/change/",
            &json!({"password": password, "email": email}),
            Some(&session),
        )
        .await
    };

    let wrong = change("not-my-password-9", "vera@new.example").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert!(body(wrong).await["password"].is_array());
    for bad in ["taken@example.com", "VERA@example.com", "not-an-address"] {
        let refused = change(PASSWORD, bad).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(body(refused).await["email"].is_array(), "{bad}");
    }
    assert!(app.outbox.kinds_sent_to("vera@new.example").is_empty());

    let asked = change(PASSWORD, "Vera@New.example").await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    assert_eq!(body(asked).await["email"], "vera@new.example");
    let sent = emails(&app, "vera@new.example", "email_change.txt", 1).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].email.body.contains("/confirm-email?token="));
    let token = token_in(&sent[0]);

    // Nothing changes until the link is used.
    let me = body(app.get("/api/v1/auth/me/", Some(&session)).await).await;
    assert_eq!(me["user"]["email"], "vera@example.com");
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    let confirm = async |token: &str| {
        app.post(
            "/api/v1/auth/email/confirm/",
            &json!({"token": token}),
            None,
        )
        .await
    };
    let confirmed = confirm(&token).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(body(confirmed).await["email"], "vera@new.example");
    assert_eq!(
        emails(&app, "vera@example.com", "email_changed.txt", 1)
            .await
            .len(),
        1,
        "the old address is told"
    );
    assert_eq!(
        app.login("vera@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("vera@new.example", PASSWORD).await.status(),
        StatusCode::OK
    );
    let reused = confirm(&token).await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert!(body(reused).await["token"].is_array());

    // A link expires after 30 minutes.
    change(PASSWORD, "vera@third.example").await;
    let late = token_in(&emails(&app, "vera@third.example", "email_change.txt", 1).await[0]);
    app.clock.advance(TimeDelta::minutes(31));
    assert_eq!(confirm(&late).await.status(), StatusCode::BAD_REQUEST);
}

async fn the_account_page_changes_the_password_and_the_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("walt@example.com", "free").await;
    let mut member = Visitor::new(&app.url(""));
    assert_eq!(
        member.sign_in("walt@example.com").await.status(),
        StatusCode::SEE_OTHER
    );
    let page = member.page("/account", StatusCode::OK).await;
    assert!(page.contains("walt@example.com"), "{page}");
    let dashboard = member.page("/dashboard", StatusCode::OK).await;
    assert!(dashboard.contains("href=\"/account\""));

    member.page("/account", StatusCode::OK).await;
    let wrong = member
        .post(
            "/account/password",
            &[
                ("current_password", "not-my-password-9"),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .expect("html")
            .contains("not your current password")
    );
    let changed = member
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/account?done=password");
    member.page("/account?done=password", StatusCode::OK).await;
    let forged = member
        .post_as_is(
            "/account/email",
            &[
                ("email", "walt@new.example"),
                ("password", NEW_PASSWORD),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let asked = member
        .post(
            "/account/email",
            &[("email", "walt@new.example"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);

    let sent = emails(&app, "walt@new.example", "email_change.txt", 1).await;
    let link = format!("/confirm-email?token={}", token_in(&sent[0]));
    let mut opener = Visitor::new(&app.url(""));
    let confirm_page = opener.page(&link, StatusCode::OK).await;
    assert!(confirm_page.contains("walt@new.example"));
    assert_eq!(
        app.login("walt@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK,
        "opening the page changes nothing yet"
    );
    let token = token_in(&sent[0]);
    let confirmed = opener.post("/confirm-email", &[("token", &token)]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(
        app.login("walt@new.example", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
    let used = Visitor::new(&app.url("")).get(&link).await;
    assert_eq!(used.status(), StatusCode::GONE);
}
