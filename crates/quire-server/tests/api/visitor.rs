//! A browser-like HTTP client for the pages: it keeps cookies, does not follow redirects (so
//! each answer can be checked), and reads the CSRF token of the last form it saw.

use reqwest::{Client, Response, StatusCode, header, multipart::Form, redirect::Policy};

pub struct Visitor {
    client: Client,
    base: String,
    /// The CSRF token of the last page read with [`Visitor::page`].
    pub csrf: String,
}

impl Visitor {
    pub fn new(base: &str) -> Self {
        Self {
            client: Client::builder()
                .redirect(Policy::none())
                .cookie_store(true)
                .build()
                .expect("client"),
            base: base.trim_end_matches('/').to_owned(),
            csrf: String::new(),
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get")
    }

    /// GETs `path`, expects `status`, remembers the page's CSRF token and answers its HTML.
    pub async fn page(&mut self, path: &str, status: StatusCode) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        let html = response.text().await.expect("html");
        if let Some(token) = hidden_csrf(&html) {
            self.csrf = token;
        }
        html
    }

    /// POSTs a form with the remembered CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.csrf));
        self.post_as_is(path, &form).await
    }

    /// POSTs a form exactly as given (no CSRF token added: a forged form).
    pub async fn post_as_is(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("post")
    }

    /// POSTs a multipart form (a file upload) as given.
    pub async fn post_multipart(&self, path: &str, form: Form) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("post")
    }

    /// Signs up through the form; answers the response.
    pub async fn sign_up(&mut self, email: &str, plan_id: i64) -> Response {
        self.page("/register", StatusCode::OK).await;
        let plan_id = plan_id.to_string();
        self.post(
            "/register",
            &[
                ("plan_id", &plan_id),
                ("name", "Page Owner"),
                ("email", email),
                ("password", crate::common::PASSWORD),
                ("payment_method", "bank_transfer"),
            ],
        )
        .await
    }

    /// Signs in through the form; answers the response.
    pub async fn sign_in(&mut self, email: &str) -> Response {
        self.page("/login", StatusCode::OK).await;
        self.post(
            "/login",
            &[("email", email), ("password", crate::common::PASSWORD)],
        )
        .await
    }
}

pub fn hidden_csrf(html: &str) -> Option<String> {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

/// Where a redirect goes.
pub fn location(response: &Response) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
