//! The console's pages over plain HTTP: signed-out visitors are sent to sign-in, the session
//! cookie is HttpOnly and SameSite=Strict, every form needs its CSRF token, tenants are
//! refused, and signing out ends the session at once.

use crate::common::{Backend, PASSWORD, TestApp};
use quire_core::{
    accounts::operators,
    entities::{enums::PaymentStatus, payment},
};
use reqwest::{Client, StatusCode, header, redirect::Policy};
use sea_orm::EntityTrait;

quire_testkit::on_both_backends!(the_console_guards_its_sessions_and_forms);

/// A browser-like client that does not follow redirects, so each answer can be checked.
pub fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of cookie `name` set by `response`, and the whole `Set-Cookie` line.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|line| line.starts_with(&format!("{name}=")))
        .map(|line| {
            let value = line[name.len() + 1..].split(';').next().unwrap_or_default();
            (value.to_owned(), line.to_owned())
        })
}

pub fn hidden_csrf(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF field")
        .to_owned()
}

/// Signs in through the form; answers the sign-in response.
pub async fn sign_in(app: &TestApp, email: &str) -> reqwest::Response {
    let client = client();
    let form = client
        .get(app.url("/admin/login"))
        .send()
        .await
        .expect("form");
    let (login_cookie, _) = set_cookie(&form, "quire_login").expect("a form cookie");
    let csrf = hidden_csrf(&form.text().await.expect("html"));
    client
        .post(app.url("/admin/login"))
        .header(header::COOKIE, format!("quire_login={login_cookie}"))
        .form(&[("email", email), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .expect("sign in")
}

async fn the_console_guards_its_sessions_and_forms(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http = client();
    operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
        .await
        .expect("operator");
    app.register("payer@example.com", "starter-monthly").await;
    app.active_member("tenant@example.com", "free").await;

    // Signed out: sent to sign-in.
    let away = http
        .get(app.url("/admin/payments"))
        .send()
        .await
        .expect("get");
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    assert_eq!(away.headers()[header::LOCATION], "/admin/login");

    // The sign-in form refuses a missing or wrong CSRF token.
    let forged = http
        .post(app.url("/admin/login"))
        .header(header::COOKIE, "quire_login=abc")
        .form(&[
            ("email", "ops@quire.example"),
            ("password", PASSWORD),
            ("csrf", "xyz"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // A tenant cannot sign in to the console.
    let tenant = sign_in(&app, "tenant@example.com").await;
    assert_eq!(tenant.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&tenant, "quire_session").is_none());

    // An operator gets an HttpOnly, SameSite=Strict session cookie.
    let signed_in = sign_in(&app, "ops@quire.example").await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let (session, line) = set_cookie(&signed_in, "quire_session").expect("a session");
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Strict"), "{line}");
    let cookie = format!("quire_session={session}");
    let page = http
        .get(app.url("/admin/payments"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.expect("html");
    let csrf = hidden_csrf(&html);
    let pending = payment::Entity::find()
        .one(app.db())
        .await
        .expect("query")
        .expect("payment");

    // A confirmation without this session's CSRF token changes nothing.
    let path = format!("/admin/payments/{}/confirm", pending.id);
    let forged = http
        .post(app.url(&path))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", "0000")])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let still = payment::Entity::find_by_id(pending.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("payment");
    assert_eq!(still.status, PaymentStatus::Pending);

    // With it, the payment is applied and the page says so.
    let confirmed = http
        .post(app.url(&path))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let location = confirmed.headers()[header::LOCATION]
        .to_str()
        .expect("location");
    assert!(location.contains("done=confirmed"), "{location}");
    let paid = payment::Entity::find_by_id(pending.id)
        .one(app.db())
        .await
        .expect("query")
        .expect("payment");
    assert_eq!(paid.status, PaymentStatus::Paid);

    // The audit log page shows the confirmation, found by its action's prefix.
    let audit = http
        .get(app.url("/admin/audit?action=payment.&account_id=&search="))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("audit");
    assert_eq!(audit.status(), StatusCode::OK);
    let audit = audit.text().await.expect("html");
    assert!(audit.contains("payment.applied"), "{audit}");
    assert!(audit.contains("user:"), "{audit}");
    let refused = http
        .get(app.url("/admin/audit?account_id=abc"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("audit");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Deactivating a user from the users page ends their sign-ins; activating restores them.
    let tenant_id = quire_core::entities::user::Entity::find()
        .all(app.db())
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.email == "tenant@example.com")
        .expect("tenant")
        .id;
    for (action, login) in [
        ("deactivate", StatusCode::FORBIDDEN),
        ("activate", StatusCode::OK),
    ] {
        let done = http
            .post(app.url(&format!("/admin/users/{tenant_id}/{action}")))
            .header(header::COOKIE, &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("post");
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            app.login("tenant@example.com", PASSWORD).await.status(),
            login
        );
    }
    let listed = http
        .get(app.url("/admin/users?search=tenant%40"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("users")
        .text()
        .await
        .expect("html");
    assert!(listed.contains("tenant@example.com") && !listed.contains("payer@example.com"));

    // The usage report renders (the API tests check its sums) and refuses a bad day.
    for (query, status) in [
        ("?group_by=account,day&from=&to=", StatusCode::OK),
        ("?from=yesterday", StatusCode::BAD_REQUEST),
    ] {
        let usage = http
            .get(app.url(&format!("/admin/usage{query}")))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .expect("usage");
        assert_eq!(usage.status(), status, "{query}");
    }

    // Signing out ends the session: the same cookie now leads to sign-in.
    let out = http
        .post(app.url("/admin/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = http
        .get(app.url("/admin/"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[header::LOCATION], "/admin/login");
}
