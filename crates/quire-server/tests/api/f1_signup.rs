//! F1 — sign-up, plan selection, initial credits: every "What to verify" row of the seed,
//! and the ways sign-up must refuse input without creating anything.

use crate::common::{Backend, PASSWORD, TestApp, body};
use chrono::Utc;
use quire_core::entities::{
    account, credit_transaction,
    enums::{
        AccountStatus, BillingCycle, CreditKind, CreditPolicy, PaymentMethod, PaymentStatus,
        SubscriptionStatus, UserRole,
    },
    payment, plan, subscription, user,
};
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

quire_testkit::on_both_backends!(
    pricing_lists_exactly_the_active_plan_rows_in_order,
    the_default_catalogue_has_free_monthly_annual_and_trial_plans,
    register_creates_owner_account_and_subscription_on_the_chosen_plan,
    signup_credits_equal_the_plans_effective_monthly_credits,
    signup_credits_fall_back_to_the_legacy_credits_per_month,
    a_free_plan_starts_active_with_tokens,
    a_trial_plan_starts_trialing_until_the_trial_ends,
    a_paid_plan_waits_for_a_bank_transfer_with_a_reference,
    coming_soon_payment_methods_are_refused_and_nothing_is_created,
    payment_methods_show_bank_transfer_live_and_the_others_coming_soon,
    a_taken_email_is_refused_whatever_its_case,
    weak_and_common_passwords_are_refused,
    unknown_and_inactive_plans_are_refused,
    unknown_fields_in_the_body_set_nothing,
    several_errors_are_reported_together_by_field,
);

async fn counts(app: &TestApp) -> [u64; 5] {
    let db = app.db();
    [
        user::Entity::find().count(db).await.expect("count"),
        account::Entity::find().count(db).await.expect("count"),
        subscription::Entity::find().count(db).await.expect("count"),
        payment::Entity::find().count(db).await.expect("count"),
        credit_transaction::Entity::find()
            .count(db)
            .await
            .expect("count"),
    ]
}

fn registration(email: &str, plan_id: i64) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "name": "Grace Hopper",
        "account_name": "Hopper Media",
        "plan_id": plan_id,
        "payment_method": "bank_transfer",
    })
}

async fn pricing_lists_exactly_the_active_plan_rows_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.db();
    // Hide one plan: it must disappear from the public list.
    let hidden = plan::Entity::find()
        .filter(plan::Column::Slug.eq("agency-annual"))
        .one(db)
        .await
        .expect("query")
        .expect("seeded");
    let mut inactive: plan::ActiveModel = hidden.into();
    inactive.is_active = Set(false);
    inactive.update(db).await.expect("deactivate");

    let listed = body(app.get("/api/v1/auth/plans/", None).await).await;
    let listed = listed.as_array().expect("a list");
    let rows = plan::Entity::find()
        .filter(plan::Column::IsActive.eq(true))
        .order_by_asc(plan::Column::SortOrder)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await
        .expect("query");
    assert_eq!(listed.len(), rows.len());
    for (shown, row) in listed.iter().zip(&rows) {
        assert_eq!(shown["id"], row.id);
        assert_eq!(shown["name"], row.name.as_str());
        assert_eq!(shown["price"], row.price);
        assert_eq!(shown["currency"], row.currency.as_str());
        assert_eq!(
            shown["billing_cycle"],
            json!(row.billing_cycle),
            "billing cycle of {}",
            row.slug
        );
        assert_eq!(shown["included_credits"], row.included_credits);
        assert_eq!(
            shown["effective_credits_per_month"],
            row.effective_credits_per_month()
        );
    }
    assert!(listed.iter().all(|p| p["slug"] != "agency-annual"));
}

async fn the_default_catalogue_has_free_monthly_annual_and_trial_plans(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plans = plan::Entity::find().all(app.db()).await.expect("query");
    assert!(plans.iter().any(|p| p.price == 0));
    assert!(
        plans
            .iter()
            .any(|p| p.price > 0 && p.billing_cycle == BillingCycle::Monthly)
    );
    assert!(
        plans
            .iter()
            .any(|p| p.price > 0 && p.billing_cycle == BillingCycle::Annual)
    );
    assert_eq!(plans.iter().filter(|p| p.trial_days > 0).count(), 1);
    assert!(plans.iter().all(|p| p.effective_credits_per_month() > 0));
}

async fn register_creates_owner_account_and_subscription_on_the_chosen_plan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plan_id = app.plan_id("starter-monthly").await;
    let response = app
        .post(
            "/api/v1/auth/register/",
            &registration("grace@example.com", plan_id),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer = body(response).await;

    let db = app.db();
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq("grace@example.com"))
        .one(db)
        .await
        .expect("query")
        .expect("user created");
    let account = account::Entity::find_by_id(owner.account_id.expect("has account"))
        .one(db)
        .await
        .expect("query")
        .expect("account created");
    assert_eq!(account.plan_id, Some(plan_id));
    assert_eq!(account.owner_id, Some(owner.id));
    assert_eq!(account.name, "Hopper Media");
    assert_eq!(account.payment_method, PaymentMethod::BankTransfer);
    assert_eq!(owner.role, UserRole::Owner);
    assert!(!owner.is_staff);
    assert!(owner.password_hash.starts_with("$argon2id$"));
    let subscription = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(account.id))
        .one(db)
        .await
        .expect("query")
        .expect("subscription created");
    assert_eq!(subscription.plan_id, plan_id);
    assert_eq!(subscription.payment_method, PaymentMethod::BankTransfer);

    assert_eq!(answer["user"]["id"], owner.id);
    assert_eq!(answer["account"]["id"], account.id);
    assert_eq!(answer["account"]["owner_id"], owner.id);
    assert_eq!(answer["subscription"]["id"], subscription.id);
    assert!(answer["user"].get("password_hash").is_none());
}

async fn signup_credits_equal_the_plans_effective_monthly_credits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for slug in ["free", "starter-monthly", "growth-monthly", "agency-annual"] {
        let email = format!("{slug}@example.com");
        let answer = app.register(&email, slug).await;
        let account_id = answer["account"]["id"].as_i64().expect("id");
        let plan = plan::Entity::find()
            .filter(plan::Column::Slug.eq(slug))
            .one(app.db())
            .await
            .expect("query")
            .expect("plan");
        let account = account::Entity::find_by_id(account_id)
            .one(app.db())
            .await
            .expect("query")
            .expect("account");
        assert_eq!(
            account.credits,
            plan.effective_credits_per_month(),
            "{slug}"
        );
        assert_eq!(answer["account"]["credits"], account.credits);

        let ledger = credit_transaction::Entity::find()
            .filter(credit_transaction::Column::AccountId.eq(account_id))
            .all(app.db())
            .await
            .expect("query");
        assert_eq!(ledger.len(), 1, "one ledger row for {slug}");
        assert_eq!(ledger[0].kind, CreditKind::SignupGrant);
        assert_eq!(ledger[0].amount, plan.effective_credits_per_month());
        assert_eq!(ledger[0].balance_after, account.credits);
    }
}

async fn signup_credits_fall_back_to_the_legacy_credits_per_month(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let now = Utc::now();
    let legacy = plan::ActiveModel {
        slug: Set("legacy".into()),
        name: Set("Legacy".into()),
        description: Set(String::new()),
        price: Set(0),
        currency: Set("USD".into()),
        billing_cycle: Set(BillingCycle::Monthly),
        included_credits: Set(0),
        credits_per_month: Set(250),
        max_sites: Set(1),
        max_industries: Set(1),
        max_users: Set(1),
        trial_days: Set(0),
        credit_policy: Set(CreditPolicy::Reset),
        is_active: Set(true),
        sort_order: Set(500),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("insert plan");
    let answer = app.register("legacy@example.com", "legacy").await;
    assert_eq!(answer["account"]["credits"], 250);
    assert_eq!(legacy.effective_credits_per_month(), 250);
}

async fn a_free_plan_starts_active_with_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.register("free@example.com", "free").await;
    assert_eq!(answer["account"]["status"], "active");
    assert_eq!(answer["subscription"]["status"], "active");
    assert!(answer.get("payment").is_none());
    let access = answer["access"].as_str().expect("an access token");
    assert!(answer["refresh"].is_string());
    let me = app.get("/api/v1/auth/me/", Some(access)).await;
    assert_eq!(me.status(), StatusCode::OK);
}

async fn a_trial_plan_starts_trialing_until_the_trial_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.register("trial@example.com", "growth-monthly").await;
    assert_eq!(answer["account"]["status"], "trial");
    assert_eq!(answer["subscription"]["status"], "trialing");
    assert!(answer["access"].is_string());
    let account_id = answer["account"]["id"].as_i64().expect("id");
    let subscription = subscription::Entity::find()
        .filter(subscription::Column::AccountId.eq(account_id))
        .one(app.db())
        .await
        .expect("query")
        .expect("subscription");
    assert_eq!(subscription.status, SubscriptionStatus::Trialing);
    let start = subscription.current_period_start.expect("start");
    let end = subscription.current_period_end.expect("end");
    assert_eq!((end - start).num_days(), 14);
    assert_eq!(
        payment::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        0,
        "no payment is asked for during a trial"
    );
}

async fn a_paid_plan_waits_for_a_bank_transfer_with_a_reference(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let answer = app.register("paid@example.com", "starter-monthly").await;
    assert_eq!(answer["account"]["status"], "pending_payment");
    assert_eq!(answer["subscription"]["status"], "pending_payment");
    assert!(answer.get("access").is_none(), "no tokens before payment");

    let payment = &answer["payment"];
    let reference = payment["reference"].as_str().expect("reference");
    assert!(quire_core::billing::reference::is_valid(reference));
    assert_eq!(payment["amount"], 2_900);
    assert_eq!(payment["instructions"]["reference"], reference);
    assert!(
        payment["instructions"]["text"]
            .as_str()
            .expect("text")
            .contains(reference)
    );
    assert!(payment["instructions"]["iban"].is_string());

    let row = payment::Entity::find()
        .filter(payment::Column::Reference.eq(reference))
        .one(app.db())
        .await
        .expect("query")
        .expect("payment row");
    assert_eq!(row.status, PaymentStatus::Pending);
    assert_eq!(
        row.account_id,
        answer["account"]["id"].as_i64().expect("id")
    );
    assert_eq!(row.method, PaymentMethod::BankTransfer);

    // Bank transfer blocks entry until the payment is confirmed.
    let login = app.login("paid@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::PAYMENT_REQUIRED);
    let refusal = body(login).await;
    assert_eq!(refusal["code"], "payment_pending");
    assert_eq!(refusal["payment"]["reference"], reference);
}

async fn coming_soon_payment_methods_are_refused_and_nothing_is_created(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plan_id = app.plan_id("starter-monthly").await;
    let before = counts(&app).await;
    for method in ["stripe", "paypal"] {
        let mut input = registration("card@example.com", plan_id);
        input["payment_method"] = json!(method);
        let response = app.post("/api/v1/auth/register/", &input, None).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error = body(response).await;
        assert_eq!(error["code"], "invalid");
        let message = error["payment_method"][0].as_str().expect("message");
        assert!(message.contains("coming soon"), "{message}");
    }
    assert_eq!(counts(&app).await, before);
}

async fn payment_methods_show_bank_transfer_live_and_the_others_coming_soon(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let methods = body(app.get("/api/v1/auth/payment-methods/", None).await).await;
    let status_of = |id: &str| {
        methods
            .as_array()
            .expect("list")
            .iter()
            .find(|m| m["id"] == id)
            .map(|m| m["status"].clone())
    };
    assert_eq!(status_of("bank_transfer"), Some(json!("active")));
    assert_eq!(status_of("stripe"), Some(json!("coming_soon")));
    assert_eq!(status_of("paypal"), Some(json!("coming_soon")));
    let bank = methods
        .as_array()
        .expect("list")
        .iter()
        .find(|m| m["id"] == "bank_transfer")
        .expect("bank transfer");
    assert!(
        bank["instructions"]
            .as_str()
            .expect("text")
            .contains("IBAN")
    );
}

async fn a_taken_email_is_refused_whatever_its_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("taken@example.com", "free").await;
    let before = counts(&app).await;
    let plan_id = app.plan_id("free").await;
    let response = app
        .post(
            "/api/v1/auth/register/",
            &registration("  TAKEN@Example.com ", plan_id),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert!(
        error["email"][0]
            .as_str()
            .expect("message")
            .contains("already exists")
    );
    assert_eq!(counts(&app).await, before);
}

async fn weak_and_common_passwords_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plan_id = app.plan_id("free").await;
    let before = counts(&app).await;
    for weak in [
        "short1",
        "password123",
        "iloveyou2",
        "Qwertyuiop",
        "weak@example.com",
    ] {
        let mut input = registration("weak@example.com", plan_id);
        input["password"] = json!(weak);
        let response = app.post("/api/v1/auth/register/", &input, None).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{weak}");
        let error = body(response).await;
        assert!(error["password"].is_array(), "{weak}: {error}");
    }
    let mut overlong = registration("weak@example.com", plan_id);
    overlong["password"] = json!("x".repeat(129));
    let response = app.post("/api/v1/auth/register/", &overlong, None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(counts(&app).await, before);
}

async fn unknown_and_inactive_plans_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plan_id = app.plan_id("starter-monthly").await;
    let before = counts(&app).await;

    let response = app
        .post(
            "/api/v1/auth/register/",
            &registration("who@example.com", 999_999),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body(response).await["plan_id"].is_array());

    let row = plan::Entity::find_by_id(plan_id)
        .one(app.db())
        .await
        .expect("query")
        .expect("plan");
    let mut inactive: plan::ActiveModel = row.into();
    inactive.is_active = Set(false);
    inactive.update(app.db()).await.expect("deactivate");
    let response = app
        .post(
            "/api/v1/auth/register/",
            &registration("who@example.com", plan_id),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(body(response).await["plan_id"].is_array());

    let mut missing = registration("who@example.com", plan_id);
    missing.as_object_mut().expect("object").remove("plan_id");
    let response = app.post("/api/v1/auth/register/", &missing, None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(counts(&app).await, before);
}

async fn unknown_fields_in_the_body_set_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plan_id = app.plan_id("starter-monthly").await;
    let mut input = registration("sneaky@example.com", plan_id);
    let extra = input.as_object_mut().expect("object");
    extra.insert("is_staff".into(), json!(true));
    extra.insert("credits".into(), json!(1_000_000));
    extra.insert("status".into(), json!("active"));
    extra.insert("role".into(), json!("operator"));
    extra.insert("account_id".into(), json!(1));
    let response = app.post("/api/v1/auth/register/", &input, None).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let answer = body(response).await;
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq("sneaky@example.com"))
        .one(app.db())
        .await
        .expect("query")
        .expect("user");
    assert!(!owner.is_staff);
    assert_eq!(owner.role, UserRole::Owner);
    let account = account::Entity::find_by_id(owner.account_id.expect("account"))
        .one(app.db())
        .await
        .expect("query")
        .expect("account");
    assert_eq!(account.credits, 1_000);
    assert_eq!(account.status, AccountStatus::PendingPayment);
    assert_eq!(answer["account"]["status"], "pending_payment");
}

async fn several_errors_are_reported_together_by_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post(
            "/api/v1/auth/register/",
            &json!({"email": "not-an-email", "password": "short", "name": " ", "plan_id": 0}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = body(response).await;
    assert_eq!(error["code"], "invalid");
    assert!(error["detail"].is_string());
    for field in ["email", "password", "name", "plan_id"] {
        assert!(error[field].is_array(), "{field} missing in {error}");
    }
}
