//! The console's plan pages and sortable tables over plain HTTP: a plan created and edited
//! through the form (bad input answered 422 with field messages and nothing written, a forged
//! CSRF token changing nothing), moved up and down the display order (the page and the public
//! pricing list follow), deleted while unused and refused while in use; lists sorted by a
//! column both ways, and an ordering the core refuses shown in the usual order, never a 500.

use crate::{
    common::{Backend, PASSWORD, TestApp, body},
    console_pages::{client, hidden_csrf, set_cookie, sign_in},
};
use quire_core::{
    accounts::operators,
    entities::{audit_log, enums::BillingCycle, plan},
};
use reqwest::{Client, StatusCode, header};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

quire_testkit::on_both_backends!(
    an_operator_creates_and_edits_a_plan_through_the_form,
    plans_are_deleted_while_unused_and_refused_with_the_reason_while_in_use,
    moving_a_plan_changes_the_page_and_the_pricing_list,
    console_tables_sort_by_a_column_both_ways,
    an_ordering_the_core_refuses_shows_the_usual_order_with_a_notice,
);

/// A signed-in operator's browser: the client, its session cookie and its CSRF token.
struct Console {
    http: Client,
    cookie: String,
    csrf: String,
}

impl Console {
    async fn open(app: &TestApp) -> Self {
        operators::create(&app.quire, "ops@quire.example", PASSWORD, "Ops")
            .await
            .expect("operator");
        let signed_in = sign_in(app, "ops@quire.example").await;
        let (session, _) = set_cookie(&signed_in, "quire_session").expect("a session");
        let mut console = Self {
            http: client(),
            cookie: format!("quire_session={session}"),
            csrf: String::new(),
        };
        let (status, html) = console.get(app, "/admin/plans").await;
        assert_eq!(status, StatusCode::OK);
        console.csrf = hidden_csrf(&html);
        console
    }

    async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(app.url(path))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("get");
        (response.status(), response.text().await.expect("html"))
    }

    /// Posts `fields` with this session's CSRF token: the status, `Location` and body.
    async fn post(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        self.post_with(app, path, &self.csrf, fields).await
    }

    async fn post_with(
        &self,
        app: &TestApp,
        path: &str,
        csrf: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let mut form = vec![("csrf", csrf)];
        form.extend_from_slice(fields);
        let response = self
            .http
            .post(app.url(path))
            .header(header::COOKIE, &self.cookie)
            .form(&form)
            .send()
            .await
            .expect("post");
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().expect("location").to_owned())
            .unwrap_or_default();
        (
            response.status(),
            location,
            response.text().await.expect("html"),
        )
    }
}

/// A new plan's fields as an operator fills them in.
fn team_plan() -> Vec<(&'static str, &'static str)> {
    vec![
        ("slug", "team-monthly"),
        ("name", "Team"),
        ("description", "For small teams."),
        ("price", "29.50"),
        ("currency", "eur"),
        ("billing_cycle", "monthly"),
        ("included_credits", "1500"),
        ("credits_per_month", "0"),
        ("max_sites", "3"),
        ("max_industries", "2"),
        ("max_users", "4"),
        ("trial_days", "14"),
        ("credit_policy", "add"),
        ("is_active", "true"),
        ("sort_order", ""),
        ("stripe_product_id", ""),
        ("stripe_price_id", "price_team"),
        ("paypal_plan_id", ""),
    ]
}

/// `fields` with `name` set to `value`.
fn with<'a>(
    fields: &[(&'static str, &'a str)],
    name: &'static str,
    value: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut changed: Vec<_> = fields
        .iter()
        .filter(|(field, _)| *field != name)
        .copied()
        .collect();
    changed.push((name, value));
    changed
}

async fn plan_by_slug(app: &TestApp, slug: &str) -> Option<plan::Model> {
    plan::Entity::find()
        .filter(plan::Column::Slug.eq(slug))
        .one(app.db())
        .await
        .expect("query")
}

async fn plan_count(app: &TestApp) -> u64 {
    plan::Entity::find().count(app.db()).await.expect("count")
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .count(app.db())
        .await
        .expect("count")
}

/// The slugs of the offered plans, as the public pricing list shows them.
async fn public_slugs(app: &TestApp) -> Vec<String> {
    body(app.get("/api/v1/auth/plans/", None).await)
        .await
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["slug"].as_str().expect("slug").to_owned())
        .collect()
}

/// Where each of `needles` first appears in `html`, in the order they appear.
fn order_of<'a>(html: &str, needles: &[&'a str]) -> Vec<&'a str> {
    let mut found: Vec<(usize, &str)> = needles
        .iter()
        .map(|needle| {
            let at = html
                .find(needle)
                .unwrap_or_else(|| panic!("{needle} not on the page"));
            (at, *needle)
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, needle)| needle).collect()
}

/// The plan rows of the plans page, in the order shown.
fn plan_rows(html: &str) -> Vec<String> {
    html.split("<tr id=\"plan-")
        .skip(1)
        .map(|row| row.split('"').next().expect("slug").to_owned())
        .collect()
}

async fn an_operator_creates_and_edits_a_plan_through_the_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = Console::open(&app).await;
    let plans_before = plan_count(&app).await;

    let (status, form) = console.get(&app, "/admin/plans/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"price\""), "{form}");

    // A forged CSRF token: refused, nothing written.
    let (status, _, _) = console
        .post_with(&app, "/admin/plans/new", "forged", &team_plan())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(plan_count(&app).await, plans_before);

    // Bad input: 422, a message next to each field, what was typed kept, nothing written.
    let bad = with(&team_plan(), "price", "29.005");
    let bad = with(&with(&bad, "slug", "Team Plan"), "max_sites", "0");
    let (status, _, html) = console.post(&app, "/admin/plans/new", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"price-error\""), "{html}");
    assert!(html.contains("at most two after the point"), "{html}");
    assert!(html.contains("value=\"29.005\""), "{html}");
    assert!(html.contains("value=\"Team Plan\""), "{html}");
    assert!(html.contains(">For small teams.</textarea>"), "{html}");
    assert_eq!(plan_count(&app).await, plans_before);
    // Once the price reads, the core's own rules answer the same way.
    let (status, _, html) = console
        .post(&app, "/admin/plans/new", &with(&bad, "price", "29.50"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"slug-error\""), "{html}");
    assert!(html.contains("id=\"max_sites-error\""), "{html}");
    assert!(html.contains("Must be at least 1."), "{html}");
    assert!(!html.contains("id=\"price-error\""), "{html}");
    assert_eq!(plan_count(&app).await, plans_before);

    // Good input: created after every plan, the price exact in minor units.
    let last_order = plan::Entity::find()
        .all(app.db())
        .await
        .expect("plans")
        .iter()
        .map(|p| p.sort_order)
        .max()
        .expect("a catalogue");
    let (status, location, _) = console.post(&app, "/admin/plans/new", &team_plan()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/plans?done=created");
    let created = plan_by_slug(&app, "team-monthly").await.expect("created");
    assert_eq!(created.price, 2_950);
    assert_eq!(created.currency, "EUR");
    assert_eq!(created.billing_cycle, BillingCycle::Monthly);
    assert_eq!(
        (created.max_sites, created.max_industries, created.max_users),
        (3, 2, 4)
    );
    assert_eq!(created.trial_days, 14);
    assert!(created.is_active);
    assert!(created.sort_order > last_order);
    assert_eq!(created.stripe_product_id, None);
    assert_eq!(created.stripe_price_id.as_deref(), Some("price_team"));
    assert_eq!(audit_count(&app, "plan.created").await, 1);
    let (_, list) = console.get(&app, &location).await;
    assert!(list.contains("Plan created."), "{list}");
    assert!(list.contains("29.50 EUR"), "{list}");
    assert!(
        public_slugs(&app)
            .await
            .contains(&"team-monthly".to_owned())
    );

    // The edit form shows the plan as stored.
    let edit = format!("/admin/plans/{}/edit", created.id);
    let (status, html) = console.get(&app, &edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"29.50\""), "{html}");
    assert!(html.contains("value=\"price_team\""), "{html}");

    // A taken slug: 422 on the slug, the plan unchanged.
    let (status, _, html) = console
        .post(&app, &edit, &with(&team_plan(), "slug", "free"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Another plan has this slug."), "{html}");
    assert!(html.contains("value=\"free\""), "{html}");
    assert_eq!(
        plan_by_slug(&app, "team-monthly").await,
        Some(created.clone())
    );

    // A forged token: unchanged.
    let (status, _, _) = console
        .post_with(&app, &edit, "forged", &with(&team_plan(), "name", "Forged"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        plan_by_slug(&app, "team-monthly").await,
        Some(created.clone())
    );

    // Saved: free, annual, withdrawn (the checkbox left out), the provider id cleared.
    let mut changed = with(&team_plan(), "name", "Team (annual)");
    changed = with(&changed, "price", "0");
    changed = with(&changed, "billing_cycle", "annual");
    changed = with(&changed, "stripe_price_id", " ");
    changed.retain(|(field, _)| *field != "is_active");
    let (status, location, _) = console.post(&app, &edit, &changed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/plans?done=saved");
    let saved = plan_by_slug(&app, "team-monthly").await.expect("kept");
    assert_eq!(saved.name, "Team (annual)");
    assert_eq!(saved.price, 0);
    assert_eq!(saved.billing_cycle, BillingCycle::Annual);
    assert!(!saved.is_active);
    assert_eq!(saved.stripe_price_id, None);
    assert_eq!(saved.sort_order, created.sort_order);
    assert_eq!(audit_count(&app, "plan.updated").await, 1);
    assert!(
        !public_slugs(&app)
            .await
            .contains(&"team-monthly".to_owned())
    );

    // An unknown plan is a page that says so.
    let (status, _) = console.get(&app, "/admin/plans/999999/edit").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn plans_are_deleted_while_unused_and_refused_with_the_reason_while_in_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.active_member("tenant@example.com", "free").await;
    let console = Console::open(&app).await;
    let (status, _, _) = console.post(&app, "/admin/plans/new", &team_plan()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let unused = plan_by_slug(&app, "team-monthly").await.expect("created");
    let delete = format!("/admin/plans/{}/delete", unused.id);

    // The edit page asks before deleting.
    let (_, html) = console
        .get(&app, &format!("/admin/plans/{}/edit", unused.id))
        .await;
    assert!(
        html.contains(&format!("action=\"{delete}\" data-confirm=")),
        "{html}"
    );

    let (status, _, _) = console.post_with(&app, &delete, "forged", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(plan_by_slug(&app, "team-monthly").await.is_some());

    let (status, location, _) = console.post(&app, &delete, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/plans?done=deleted");
    assert!(plan_by_slug(&app, "team-monthly").await.is_none());
    assert_eq!(audit_count(&app, "plan.deleted").await, 1);
    let (status, _, _) = console.post(&app, &delete, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The free plan has an account on it: refused, with the core's reason.
    let free = plan_by_slug(&app, "free").await.expect("free");
    let (status, _, html) = console
        .post(&app, &format!("/admin/plans/{}/delete", free.id), &[])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("This plan cannot be deleted: 1 accounts"),
        "{html}"
    );
    assert!(html.contains("Deactivate it instead."), "{html}");
    assert_eq!(plan_by_slug(&app, "free").await, Some(free));
    assert_eq!(audit_count(&app, "plan.deleted").await, 1);
}

async fn moving_a_plan_changes_the_page_and_the_pricing_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let console = Console::open(&app).await;
    let before = public_slugs(&app).await;
    assert!(before.len() >= 3, "{before:?}");
    let (_, html) = console.get(&app, "/admin/plans").await;
    let rows = plan_rows(&html);
    assert_eq!(rows[..before.len()], before[..]);
    // The first plan cannot go up, nor the last down.
    let cells: Vec<&str> = html.split("<tr id=\"plan-").skip(1).collect();
    assert!(!cells[0].contains("value=\"up\"") && cells[0].contains("value=\"down\""));
    let last = cells.last().expect("rows");
    assert!(last.contains("value=\"up\"") && !last.contains("value=\"down\""));
    let second = plan_by_slug(&app, &rows[1]).await.expect("plan");
    let path = format!("/admin/plans/{}/move", second.id);

    // A forged token moves nothing.
    let (status, _, _) = console
        .post_with(&app, &path, "forged", &[("direction", "up")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(public_slugs(&app).await, before);

    // Up: it changes places with the first, on the page and in the pricing list.
    let (status, location, _) = console.post(&app, &path, &[("direction", "up")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, "/admin/plans?done=moved");
    let mut expected = rows.clone();
    expected.swap(0, 1);
    let (_, html) = console.get(&app, &location).await;
    assert_eq!(plan_rows(&html), expected);
    assert_eq!(public_slugs(&app).await[..2], expected[..2]);
    assert_eq!(audit_count(&app, "plan.reordered").await, 1);

    // Already first: up again changes nothing.
    let (status, _, _) = console.post(&app, &path, &[("direction", "up")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(audit_count(&app, "plan.reordered").await, 1);
    let (_, html) = console.get(&app, "/admin/plans").await;
    assert_eq!(plan_rows(&html), expected);

    // Down twice: second, then third.
    for _ in 0..2 {
        let (status, _, _) = console.post(&app, &path, &[("direction", "down")]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let mut expected = rows.clone();
    expected.swap(1, 2);
    let (_, html) = console.get(&app, "/admin/plans").await;
    assert_eq!(plan_rows(&html), expected);
    assert_eq!(public_slugs(&app).await[..3], expected[..3]);

    // Sorted by another column, the page offers no moves.
    let (_, sorted) = console.get(&app, "/admin/plans?ordering=-price").await;
    assert!(!sorted.contains("name=\"direction\""), "{sorted}");
    assert!(html.contains("name=\"direction\""), "{html}");
}

async fn console_tables_sort_by_a_column_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for email in ["bea@example.com", "ann@example.com", "cy@example.com"] {
        app.active_member(email, "free").await;
    }
    let console = Console::open(&app).await;
    let accounts = [
        "ann@example.com account",
        "bea@example.com account",
        "cy@example.com account",
    ];

    // Accounts by name: the header says so and links to the other direction, filters kept.
    let (status, html) = console
        .get(&app, "/admin/accounts?search=example&ordering=name")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order_of(&html, &accounts), accounts);
    assert!(html.contains("aria-sort=\"ascending\""), "{html}");
    let reverse = "href=\"/admin/accounts?search=example&#38;status=all&#38;ordering=-name\"";
    assert!(html.contains(reverse), "{html}");
    assert!(html.contains("name=\"ordering\" value=\"name\""), "{html}");
    let (_, html) = console
        .get(&app, "/admin/accounts?search=example&ordering=-name")
        .await;
    let mut reversed = accounts;
    reversed.reverse();
    assert_eq!(order_of(&html, &accounts), reversed);
    assert!(html.contains("aria-sort=\"descending\""), "{html}");

    // Users by email, both ways (the operator among them).
    let cells: Vec<String> = [
        "ann@example.com",
        "bea@example.com",
        "cy@example.com",
        "ops@quire.example",
    ]
    .iter()
    .map(|email| format!("<td>{email}<div"))
    .collect();
    let users: Vec<&str> = cells.iter().map(String::as_str).collect();
    let (status, html) = console.get(&app, "/admin/users?ordering=email").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(order_of(&html, &users), users);
    let (_, html) = console.get(&app, "/admin/users?ordering=-email").await;
    let mut reversed = users.clone();
    reversed.reverse();
    assert_eq!(order_of(&html, &users), reversed);

    // Plans by price, both ways.
    let (_, html) = console.get(&app, "/admin/plans?ordering=price").await;
    let cheapest_first = plan_rows(&html);
    let (_, html) = console.get(&app, "/admin/plans?ordering=-price").await;
    let dearest_first = plan_rows(&html);
    assert_eq!(cheapest_first.first().map(String::as_str), Some("free"));
    assert_eq!(dearest_first.last().map(String::as_str), Some("free"));
    let plans = plan::Entity::find().all(app.db()).await.expect("plans");
    let prices = |slugs: &[String]| {
        slugs
            .iter()
            .map(|slug| plans.iter().find(|p| &p.slug == slug).expect("plan").price)
            .collect::<Vec<_>>()
    };
    let ascending = prices(&cheapest_first);
    assert!(ascending.is_sorted(), "{ascending:?}");
    let mut descending = prices(&dearest_first);
    descending.reverse();
    assert!(descending.is_sorted(), "{descending:?}");
}

async fn an_ordering_the_core_refuses_shows_the_usual_order_with_a_notice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("payer@example.com", "starter-monthly").await;
    let console = Console::open(&app).await;
    for path in [
        "/admin/accounts?ordering=colour",
        "/admin/users?ordering=-colour",
        "/admin/payments?status=all&ordering=colour",
        "/admin/plans?ordering=colour",
        "/admin/audit?ordering=colour",
        "/admin/usage?group_by=account&ordering=day",
    ] {
        let (status, html) = console.get(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("cannot be ordered by"), "{path}: {html}");
        assert!(html.contains("Order by one of:"), "{path}: {html}");
        assert!(!html.contains("aria-sort="), "{path}: {html}");
        assert!(!html.contains("name=\"ordering\""), "{path}: {html}");
    }
    // The rows are still there, in the usual order.
    let (_, html) = console
        .get(&app, "/admin/payments?status=all&ordering=colour")
        .await;
    assert!(html.contains("payer@example.com"), "{html}");
}
