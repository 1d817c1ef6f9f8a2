//! The tenant app's public pages: pricing, sign-up (then the bank transfer to make), sign-in
//! (or the gate's page) and sign-out.

use super::{
    form::FieldErrors,
    gate::{self, Refused},
    page::{enum_text, failure, render, retry_in, too_many_requests, with_retry_after},
    session::{cookie, public_form_ok, public_form_token, session_cookie, session_cookie_name},
};
use crate::{extract::ClientAddress, state::AppState};
use askama::Template;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use axum_extra::extract::cookie::CookieJar;
use quire_core::{
    Error, Quire, ValidationErrors,
    accounts::{
        register::{self, Registration},
        sessions::{self, Session},
        tokens::TokenType,
    },
    billing::{
        payment_methods::{self, MethodStatus},
        payments::{PaymentInstructions, format_amount},
        plans,
    },
    entities::{enums::BillingCycle, plan},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/pricing", get(pricing))
        .route("/register", get(register_form).post(register))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
}

/// Signed in: the dashboard; otherwise the pricing page.
async fn home(State(state): State<AppState>, jar: CookieJar) -> Redirect {
    let signed_in = jar
        .get(session_cookie_name(&state.quire))
        .is_some_and(|c| state.quire.keys.verify(c.value(), TokenType::Page).is_ok());
    Redirect::to(if signed_in { "/dashboard" } else { "/pricing" })
}

struct PlanCard {
    slug: String,
    name: String,
    description: String,
    price: String,
    free: bool,
    credits: i64,
    max_sites: i32,
    max_industries: i32,
    max_users: i32,
    trial_days: i32,
}

impl PlanCard {
    fn new(plan: &plan::Model) -> Self {
        Self {
            slug: plan.slug.clone(),
            name: plan.name.clone(),
            description: plan.description.clone(),
            price: format_amount(plan.price, &plan.currency),
            free: plan.is_free(),
            credits: plan.effective_credits_per_month(),
            max_sites: plan.max_sites,
            max_industries: plan.max_industries,
            max_users: plan.max_users,
            trial_days: plan.trial_days,
        }
    }
}

#[derive(Template)]
#[template(path = "app/pricing.html")]
struct PricingPage {
    annual: bool,
    plans: Vec<PlanCard>,
}

#[derive(Deserialize)]
struct PricingQuery {
    cycle: Option<String>,
}

/// The offered plans of one billing cycle (free plans show in both).
async fn pricing(State(state): State<AppState>, Query(query): Query<PricingQuery>) -> Response {
    let annual = query.cycle.as_deref() == Some("annual");
    let cycle = if annual {
        BillingCycle::Annual
    } else {
        BillingCycle::Monthly
    };
    match plans::list_active(&state.quire.db).await {
        Ok(active) => render(
            StatusCode::OK,
            &PricingPage {
                annual,
                plans: active
                    .iter()
                    .filter(|p| p.is_free() || p.billing_cycle == cycle)
                    .map(PlanCard::new)
                    .collect(),
            },
        ),
        Err(error) => failure(&error.into()),
    }
}

struct PlanChoice {
    id: i64,
    label: String,
    selected: bool,
}

struct MethodChoice {
    id: String,
    name: &'static str,
    live: bool,
    text: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "app/register.html")]
struct RegisterPage {
    csrf: String,
    plans: Vec<PlanChoice>,
    methods: Vec<MethodChoice>,
    name: String,
    email: String,
    account_name: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct RegisterQuery {
    plan: Option<String>,
}

#[derive(Deserialize)]
struct RegisterForm {
    csrf: String,
    plan_id: Option<i64>,
    name: String,
    email: String,
    password: String,
    #[serde(default)]
    account_name: String,
    payment_method: Option<String>,
}

impl RegisterPage {
    async fn new(
        quire: &Quire,
        csrf: String,
        chosen: impl Fn(&plan::Model) -> bool,
        method: &str,
    ) -> Result<Self, Error> {
        let plans = plans::list_active(&quire.db).await?;
        Ok(Self {
            csrf,
            plans: plans
                .iter()
                .map(|p| PlanChoice {
                    id: p.id,
                    label: format!(
                        "{} — {}{}",
                        p.name,
                        format_amount(p.price, &p.currency),
                        match (p.is_free(), p.billing_cycle) {
                            (true, _) => "",
                            (false, BillingCycle::Monthly) => " a month",
                            (false, BillingCycle::Annual) => " a year",
                        }
                    ),
                    selected: chosen(p),
                })
                .collect(),
            methods: payment_methods::list(&quire.settings.bank_transfer)
                .into_iter()
                .map(|m| {
                    let id = enum_text(&m.id);
                    MethodChoice {
                        checked: id == method,
                        id,
                        name: m.name,
                        live: m.status == MethodStatus::Active,
                        text: m.instructions,
                    }
                })
                .collect(),
            name: String::new(),
            email: String::new(),
            account_name: String::new(),
            errors: FieldErrors::default(),
        })
    }
}

impl RegisterPage {
    /// Messages for fields the form has no input for.
    fn other_errors(&self) -> String {
        let shown = [
            "plan_id",
            "name",
            "email",
            "password",
            "account_name",
            "payment_method",
        ];
        self.errors.rest(&shown)
    }
}

async fn register_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<RegisterQuery>,
) -> Response {
    let (jar, csrf) = public_form_token(&state.quire, jar);
    let chosen = query.plan.unwrap_or_default();
    match RegisterPage::new(&state.quire, csrf, |p| p.slug == chosen, "bank_transfer").await {
        Ok(page) => (jar, render(StatusCode::OK, &page)).into_response(),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "app/registered.html")]
struct RegisteredPage {
    plan_name: String,
    email: String,
    instructions: PaymentInstructions,
}

/// Signs up: a free or trial plan signs straight in; a paid one shows the transfer to make.
async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(form): Form<RegisterForm>,
) -> Response {
    let quire = &state.quire;
    if !public_form_ok(quire, &jar, &form.csrf) {
        return super::session::expired_form();
    }
    if let Err(Error::RateLimited { retry_after_secs }) = quire.rate_limits.register(address) {
        return too_many_requests("sign-ups", retry_after_secs, "/register");
    }
    let method = form.payment_method.clone().unwrap_or_default();
    let chosen_method = serde_json::from_value(serde_json::Value::String(method.clone()));
    let registration = Registration {
        email: form.email.clone(),
        password: form.password.clone(),
        name: form.name.clone(),
        account_name: Some(form.account_name.trim().to_owned()).filter(|n| !n.is_empty()),
        plan_id: form.plan_id,
        payment_method: chosen_method.ok(),
    };
    let result = if form.payment_method.is_some() && registration.payment_method.is_none() {
        Err(Error::Validation(ValidationErrors::single(
            "payment_method",
            "Choose a payment method.",
        )))
    } else {
        register::register(quire, registration).await
    };
    match result {
        Ok(registered) => match (registered.session, registered.payment) {
            (Some(session), _) => sign_in_to(quire, jar, &session, "/dashboard"),
            (None, Some((_, instructions))) => render(
                StatusCode::CREATED,
                &RegisteredPage {
                    plan_name: registered.plan.name,
                    email: registered.user.email,
                    instructions,
                },
            ),
            (None, None) => Redirect::to("/login").into_response(),
        },
        Err(Error::Validation(errors)) => {
            let plan_id = form.plan_id;
            match RegisterPage::new(quire, form.csrf, |p| Some(p.id) == plan_id, &method).await {
                Ok(mut page) => {
                    page.name = form.name;
                    page.email = form.email;
                    page.account_name = form.account_name;
                    page.errors = FieldErrors::new(errors);
                    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(error) => failure(&error),
            }
        }
        Err(error) => failure(&error),
    }
}

/// Sets the page-session cookie of `session` and goes to `next`.
fn sign_in_to(quire: &Quire, jar: CookieJar, session: &Session, next: &str) -> Response {
    match sessions::page_token(quire, session) {
        Ok(token) => (jar.add(session_cookie(quire, &token)), Redirect::to(next)).into_response(),
        Err(error) => failure(&error),
    }
}

#[derive(Template)]
#[template(path = "app/login.html")]
struct LoginPage {
    csrf: String,
    email: String,
    next: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<LoginQuery>,
) -> Response {
    let (jar, csrf) = public_form_token(&state.quire, jar);
    let page = LoginPage {
        csrf,
        email: String::new(),
        next: query.next.unwrap_or_default(),
        notice: match query.done.as_deref() {
            Some("signed_out") => Some("You are signed out."),
            Some("signed_out_everywhere") => Some("You are signed out on every device."),
            Some("account_deleted") => Some("Your account and its data are deleted."),
            _ => None,
        },
        error: None,
    };
    (jar, render(StatusCode::OK, &page)).into_response()
}

#[derive(Deserialize)]
struct Credentials {
    csrf: String,
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only a path of Quire itself is a place to go after sign-in (no open redirect).
fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/dashboard"
    }
}

/// Signs a member in with the API's checks and throttle; a gate's refusal shows its page.
async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(form): Form<Credentials>,
) -> Response {
    let quire = &state.quire;
    if !public_form_ok(quire, &jar, &form.csrf) {
        return super::session::expired_form();
    }
    let refuse = |status: StatusCode, error: String| {
        let page = LoginPage {
            csrf: form.csrf.clone(),
            email: form.email.clone(),
            next: form.next.clone(),
            notice: None,
            error: Some(error),
        };
        render(status, &page)
    };
    match sessions::login(quire, &form.email, &form.password, address).await {
        Ok(session) if session.user.is_staff => sign_in_to(quire, jar, &session, "/admin/"),
        Ok(session) => sign_in_to(quire, jar, &session, local_path(&form.next)),
        Err(Error::InvalidCredentials) => refuse(
            StatusCode::UNAUTHORIZED,
            "Email or password is wrong.".to_owned(),
        ),
        Err(Error::Throttled { retry_after_secs }) => with_retry_after(
            refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed attempts. Try again {}.",
                    retry_in(retry_after_secs)
                ),
            ),
            retry_after_secs,
        ),
        Err(Error::RateLimited { retry_after_secs }) => with_retry_after(
            refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many sign-in attempts. Try again {}.",
                    retry_in(retry_after_secs)
                ),
            ),
            retry_after_secs,
        ),
        Err(Error::Gate(refusal)) => {
            // The password was right; the account decides what the page offers.
            let account_id = match sessions::account_of(&quire.db, &form.email).await {
                Ok(id) => id,
                Err(error) => return failure(&error),
            };
            let refused = Refused {
                account_id,
                sign_out_csrf: None,
            };
            gate::page(&state, refusal, refused).await
        }
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct SignOutForm {
    csrf: String,
    #[serde(default)]
    everywhere: Option<String>,
}

/// Signs out this browser, or every session of the user; works whatever the account's
/// standing, so a refused member can leave too.
async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<SignOutForm>,
) -> Response {
    let quire = &state.quire;
    let name = session_cookie_name(quire);
    let Some(token) = jar.get(name).map(|c| c.value().to_owned()) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(claims) = quire.keys.verify(&token, TokenType::Page) else {
        let jar = jar.remove(cookie(quire, name, String::new()));
        return (jar, Redirect::to("/login")).into_response();
    };
    if !quire.keys.verify_csrf(&claims.sid, &form.csrf) {
        return super::session::expired_form();
    }
    let everywhere = form.everywhere.is_some();
    if let Err(error) = sessions::logout_page(quire, &token, everywhere).await {
        tracing::warn!(%error, "sign-out failed");
    }
    let jar = jar.remove(cookie(quire, name, String::new()));
    let done = if everywhere {
        "signed_out_everywhere"
    } else {
        "signed_out"
    };
    (jar, Redirect::to(&format!("/login?done={done}"))).into_response()
}
