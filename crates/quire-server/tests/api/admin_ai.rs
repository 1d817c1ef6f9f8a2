//! Operators' AI settings: the configured provider (never its key), model rates and operation
//! prices that price the very next call, prompt overrides the next call sends, previews, and
//! the audit rows every change leaves.

use crate::admin_usage::operator_token;
use crate::ai_setup::{AiApp, COMPLETION_TOKENS, CREDITS_PER_CALL, PROMPT_TOKENS, ai_app, answer};
use crate::common::{Backend, TestApp};
use quire_core::entities::{audit_log, model_rate, prompt_override, user};
use quire_testkit::fake_openai::{ANSWER_MODEL, Script, user_message};
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

quire_testkit::on_both_backends!(
    settings_show_the_configured_provider_but_never_the_key,
    model_rates_are_created_changed_and_removed_with_an_audit_row_each,
    bad_rates_and_prices_are_400_and_change_nothing,
    an_edited_rate_or_price_prices_the_next_ai_operation,
    a_prompt_override_is_what_the_next_model_call_receives,
    previews_render_the_given_stored_or_built_in_template,
    overrides_that_do_not_render_are_refused,
);

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let response = app
        .call(
            method,
            &format!("/api/v1/admin/ai/{path}"),
            Some(token),
            body.as_ref(),
        )
        .await;
    let status = response.status();
    let text = response.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_log::Entity::find()
        .all(app.db())
        .await
        .expect("audit")
        .into_iter()
        .map(|row| row.action)
        .collect()
}

async fn settings_show_the_configured_provider_but_never_the_key(backend: Backend) {
    let offline = TestApp::spawn(backend).await;
    let ops = operator_token(&offline).await;
    let (status, settings) = call(&offline, Method::GET, "settings/", &ops, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settings["provider"], "offline");
    assert_eq!(settings["model"], "offline-draft");
    assert_eq!(settings["api_key_set"], false);
    assert!(settings["base_url"].is_null());
    assert!(
        settings["provider_settings_note"]
            .as_str()
            .expect("note")
            .contains("restart")
    );
    assert_eq!(settings["credit_value_micro_usd"], 29_000);
    let models: Vec<&str> = settings["model_rates"]
        .as_array()
        .expect("rates")
        .iter()
        .map(|r| r["model"].as_str().expect("model"))
        .collect();
    assert_eq!(models, ["*", "gpt-4o", "gpt-4o-mini", "offline-draft"]);
    assert!(
        settings["operation_prices"]
            .as_array()
            .expect("prices")
            .iter()
            .any(|p| p["operation"] == "auto_cluster_local" && p["flat_credits"] == 1)
    );
    assert_eq!(settings["prompt_overrides"], json!([]));

    let online = ai_app(backend, Some(Script::default())).await;
    let ops = operator_token(&online.app).await;
    let response = online
        .app
        .get("/api/v1/admin/ai/settings/", Some(&ops))
        .await;
    let text = response.text().await.expect("text");
    assert!(!text.contains("sk-test"), "the key is never shown: {text}");
    let settings: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(settings["provider"], "openai");
    assert_eq!(settings["model"], "gpt-test");
    assert_eq!(settings["api_key_set"], true);
    assert!(settings["base_url"].as_str().expect("url").ends_with("/v1"));
}

async fn model_rates_are_created_changed_and_removed_with_an_audit_row_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = operator_token(&app).await;
    let rate = json!({
        "model": "openai/gpt-5",
        "input_micro_usd_per_million": 1_250_000,
        "output_micro_usd_per_million": 10_000_000,
        "millicredits_per_1k_tokens": 4_000,
    });
    let (status, created) =
        call(&app, Method::POST, "model-rates/", &ops, Some(rate.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["model"], "openai/gpt-5");
    let (status, _) = call(&app, Method::POST, "model-rates/", &ops, Some(rate)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A name with a slash travels as %2F.
    let (status, updated) = call(
        &app,
        Method::PATCH,
        "model-rates/openai%2Fgpt-5/",
        &ops,
        Some(json!({"millicredits_per_1k_tokens": 6_000})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["millicredits_per_1k_tokens"], 6_000);
    assert_eq!(updated["input_micro_usd_per_million"], 1_250_000);

    let (status, page) = call(
        &app,
        Method::GET,
        "model-rates/?ordering=-model",
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["count"], 5);
    assert_eq!(page["results"][0]["model"], "openai/gpt-5");

    let (status, _) = call(
        &app,
        Method::DELETE,
        "model-rates/openai%2Fgpt-5/",
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        model_rate::Entity::find_by_id("openai/gpt-5".to_owned())
            .one(app.db())
            .await
            .expect("query")
            .is_none()
    );
    for (method, path, expected) in [
        (
            Method::DELETE,
            "model-rates/openai%2Fgpt-5/",
            StatusCode::NOT_FOUND,
        ),
        (Method::DELETE, "model-rates/*/", StatusCode::CONFLICT),
    ] {
        assert_eq!(
            call(&app, method, path, &ops, None).await.0,
            expected,
            "{path}"
        );
    }
    let (status, _) = call(
        &app,
        Method::PATCH,
        "model-rates/no-such-model/",
        &ops,
        Some(json!({"millicredits_per_1k_tokens": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    assert_eq!(
        audit_actions(&app).await,
        [
            "ai.model_rate.created",
            "ai.model_rate.updated",
            "ai.model_rate.deleted"
        ]
    );
    let updated = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("ai.model_rate.updated"))
        .one(app.db())
        .await
        .expect("query")
        .expect("row");
    let operator = user::Entity::find()
        .filter(user::Column::Email.eq("ops@example.com"))
        .one(app.db())
        .await
        .expect("query")
        .expect("operator");
    assert_eq!(updated.actor, format!("user:{}", operator.id));
    assert_eq!(updated.object_type, "model_rate");
    let before: Value =
        serde_json::from_str(updated.before.as_deref().expect("before")).expect("json");
    let after: Value =
        serde_json::from_str(updated.after.as_deref().expect("after")).expect("json");
    assert_eq!(before["millicredits_per_1k_tokens"], 4_000);
    assert_eq!(after["millicredits_per_1k_tokens"], 6_000);
    assert_eq!(after["model"], "openai/gpt-5");
}

async fn bad_rates_and_prices_are_400_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = operator_token(&app).await;
    for (method, path, request, field) in [
        (
            Method::POST,
            "model-rates/",
            json!({"model": "new-model", "input_micro_usd_per_million": -1,
                   "output_micro_usd_per_million": 0, "millicredits_per_1k_tokens": 1000}),
            "input_micro_usd_per_million",
        ),
        (
            Method::POST,
            "model-rates/",
            json!({"model": "two words", "input_micro_usd_per_million": 0,
                   "output_micro_usd_per_million": 0, "millicredits_per_1k_tokens": 1000}),
            "model",
        ),
        (
            Method::POST,
            "model-rates/",
            json!({"model": "new-model"}),
            "input_micro_usd_per_million",
        ),
        (
            Method::PATCH,
            "model-rates/gpt-4o/",
            json!({"input_micro_usd_per_million": 1, "millicredits_per_1k_tokens": -5}),
            "millicredits_per_1k_tokens",
        ),
        (
            Method::PATCH,
            "operation-prices/generate_ideas/",
            json!({"min_credits": -1}),
            "min_credits",
        ),
        (
            Method::PATCH,
            "operation-prices/generate_ideas/",
            json!({"flat_credits": -3}),
            "flat_credits",
        ),
    ] {
        let (status, error) = call(&app, method, path, &ops, Some(request)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {error}");
        assert!(error.get(field).is_some(), "{path}: {error}");
    }
    let (_, settings) = call(&app, Method::GET, "settings/", &ops, None).await;
    let gpt_4o = settings["model_rates"]
        .as_array()
        .expect("rates")
        .iter()
        .find(|r| r["model"] == "gpt-4o")
        .expect("gpt-4o")
        .clone();
    assert_eq!(gpt_4o["input_micro_usd_per_million"], 2_500_000);
    assert_eq!(gpt_4o["millicredits_per_1k_tokens"], 5_000);
    assert!(audit_actions(&app).await.is_empty(), "nothing changed");
    let count = model_rate::Entity::find()
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(count, 4);

    let (status, _) = call(
        &app,
        Method::PATCH,
        "operation-prices/no_such_operation/",
        &ops,
        Some(json!({"min_credits": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, price) = call(
        &app,
        Method::PATCH,
        "operation-prices/auto_cluster_local/",
        &ops,
        Some(json!({"flat_credits": null, "min_credits": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        price,
        json!({"operation": "auto_cluster_local", "min_credits": 2,
                             "flat_credits": null, "updated_at": price["updated_at"]})
    );
    assert_eq!(audit_actions(&app).await, ["ai.operation_price.updated"]);
    let (_, page) = call(&app, Method::GET, "operation-prices/", &ops, None).await;
    assert_eq!(page["count"], 6);
    assert_eq!(page["results"][0]["operation"], "auto_cluster_ai");
}

/// Groups every listed keyword into one cluster, and keeps each user message it was sent.
fn recording_model() -> (Script, Arc<Mutex<Vec<String>>>) {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&prompts);
    let script = Script::responding(move |request| {
        let prompt = user_message(request).to_owned();
        let keywords: Vec<String> = prompt
            .lines()
            .filter_map(|line| line.strip_prefix("- "))
            .map(str::to_owned)
            .collect();
        seen.lock().expect("lock").push(prompt);
        answer(json!({"clusters": [
            {"name": "Everything", "description": "All of them.", "keywords": keywords}
        ]}))
    });
    (script, prompts)
}

impl AiApp {
    /// Clusters new keywords with the `ai` method (one model call); the finished job.
    async fn cluster_new(&self, texts: &[&str]) -> Value {
        let ids = self.keywords(texts).await;
        let job = self
            .run(
                "/api/v1/planner/keywords/auto_cluster/",
                json!({"keyword_ids": ids, "sector_id": self.sector, "method": "ai"}),
            )
            .await;
        assert_eq!(job["status"], "succeeded", "{job}");
        job
    }
}

async fn an_edited_rate_or_price_prices_the_next_ai_operation(backend: Backend) {
    let (script, _) = recording_model();
    let ai = ai_app(backend, Some(script)).await;
    let ops = operator_token(&ai.app).await;
    let job = ai.cluster_new(&["running shoes", "trail shoes"]).await;
    assert_eq!(job["charged_credits"], CREDITS_PER_CALL);

    // Twice the credits per 1k tokens and twice our cost, on the model that answers and the
    // one estimates are made for.
    for model in ["gpt-test", ANSWER_MODEL] {
        let (status, _) = call(
            &ai.app,
            Method::PATCH,
            &format!("model-rates/{model}/"),
            &ops,
            Some(json!({"millicredits_per_1k_tokens": 100_000,
                        "input_micro_usd_per_million": 4_000_000,
                        "output_micro_usd_per_million": 16_000_000})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let job = ai.cluster_new(&["sourdough starter", "rye starter"]).await;
    let doubled = (PROMPT_TOKENS + COMPLETION_TOKENS) * 100 / 1_000;
    assert_eq!(doubled, 2 * CREDITS_PER_CALL);
    assert_eq!(job["charged_credits"], doubled);
    let usage = ai.usage(Some("auto_cluster_ai")).await;
    let last = usage.iter().max_by_key(|u| u.id).expect("usage");
    assert_eq!(last.credits_charged, doubled);
    assert_eq!(
        last.cost_micro_usd,
        PROMPT_TOKENS * 4 + COMPLETION_TOKENS * 16
    );

    // A flat price wins over the tokens from the next call on.
    let (status, _) = call(
        &ai.app,
        Method::PATCH,
        "operation-prices/auto_cluster_ai/",
        &ops,
        Some(json!({"flat_credits": 7})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let before = ai.balance().await;
    let job = ai
        .cluster_new(&["espresso machine", "espresso grinder"])
        .await;
    assert_eq!(job["charged_credits"], 7);
    assert_eq!(before - ai.balance().await, 7);
}

async fn a_prompt_override_is_what_the_next_model_call_receives(backend: Backend) {
    let (script, prompts) = recording_model();
    let ai = ai_app(backend, Some(script)).await;
    let ops = operator_token(&ai.app).await;
    let text = "=== system ===\nYou sort keywords. Answer in JSON.\n=== user ===\n\
                OVERRIDE: cluster {{ keywords | length }} keywords as JSON.\n\
                {% for keyword in keywords %}- {{ keyword }}\n{% endfor %}";
    let (status, stored) = call(
        &ai.app,
        Method::PUT,
        "prompts/auto_cluster_ai/",
        &ops,
        Some(json!({"text": text})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["override_text"], text);
    assert_eq!(stored["template_id"], "auto_cluster_ai.v1");

    ai.cluster_new(&["running shoes", "trail shoes"]).await;
    let last = prompts
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a call");
    assert!(
        last.starts_with("OVERRIDE: cluster 2 keywords as JSON."),
        "{last}"
    );

    let (status, _) = call(
        &ai.app,
        Method::DELETE,
        "prompts/auto_cluster_ai/",
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(
        &ai.app,
        Method::DELETE,
        "prompts/auto_cluster_ai/",
        &ops,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no override left to remove");
    ai.cluster_new(&["sourdough starter", "rye starter"]).await;
    let last = prompts
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a call");
    assert!(last.starts_with("Group these 2 keywords"), "{last}");

    assert_eq!(
        audit_actions(&ai.app).await,
        ["ai.prompt.updated", "ai.prompt.reset"]
    );
    let (_, list) = call(&ai.app, Method::GET, "prompts/", &ops, None).await;
    let listed: Vec<&str> = list
        .as_array()
        .expect("prompts")
        .iter()
        .map(|p| p["operation"].as_str().expect("operation"))
        .collect();
    assert!(listed.contains(&"auto_cluster_ai") && listed.contains(&"article_section"));
    assert!(
        list.as_array()
            .expect("prompts")
            .iter()
            .all(|p| p["override_text"].is_null())
    );
}

async fn previews_render_the_given_stored_or_built_in_template(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = operator_token(&app).await;
    let preview = |request: Value| {
        let (app, ops) = (&app, &ops);
        async move {
            call(
                app,
                Method::POST,
                "prompts/generate_ideas/preview/",
                ops,
                Some(request),
            )
            .await
        }
    };

    let (status, built_in) = preview(json!({})).await;
    assert_eq!(status, StatusCode::OK, "{built_in}");
    assert_eq!(built_in["source"], "default");
    assert_eq!(built_in["template_id"], "generate_ideas.v1");
    assert_eq!(built_in["messages"][0]["role"], "system");
    assert_eq!(built_in["messages"][1]["role"], "user");
    let user = built_in["messages"][1]["content"].as_str().expect("user");
    assert!(
        user.starts_with(
            "Propose 3 distinct content ideas for the keyword cluster \"Running shoes\""
        ),
        "{user}"
    );
    assert_eq!(built_in["context"]["cluster"], "Running shoes");

    let (status, given) = preview(json!({
        "text": "=== user ===\nIdeas for {{ cluster }}{% if site %} on {{ site }}{% endif %}.",
        "context": {"cluster": "Espresso"},
    }))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(given["source"], "given");
    assert_eq!(
        given["messages"],
        json!([{"role": "user", "content": "Ideas for Espresso."}]),
        "no system message when the template has none"
    );

    let (status, _) = call(
        &app,
        Method::PUT,
        "prompts/generate_ideas/",
        &ops,
        Some(json!({"text": "=== user ===\nStored: {{ count }} ideas for {{ cluster }}."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, stored) = preview(json!({})).await;
    assert_eq!(stored["source"], "override");
    assert_eq!(
        stored["messages"][0]["content"],
        "Stored: 3 ideas for Running shoes."
    );
    let (_, with_context) = preview(json!({"context": {"count": 9, "cluster": "Tea"}})).await;
    assert_eq!(
        with_context["messages"][0]["content"],
        "Stored: 9 ideas for Tea."
    );

    for (request, field) in [
        (json!({"text": "=== user ===\n{% for %}"}), "text"),
        (json!({"text": "=== user ===\n{{ nobody }}"}), "text"),
        (json!({"context": ["not", "an", "object"]}), "context"),
        (json!({"context": {"cluster": "Tea"}}), "context"),
    ] {
        let (status, error) = preview(request.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}: {error}");
        assert!(error.get(field).is_some(), "{request}: {error}");
    }
    let (status, _) = call(
        &app,
        Method::POST,
        "prompts/no_such_operation/preview/",
        &ops,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn overrides_that_do_not_render_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = operator_token(&app).await;
    for text in [
        "=== user ===\n{% if cluster %}never closed",
        "=== user ===\nIdeas about {{ topic }}",
        "Ideas without sections",
        "   ",
    ] {
        let (status, error) = call(
            &app,
            Method::PUT,
            "prompts/generate_ideas/",
            &ops,
            Some(json!({"text": text})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text:?}");
        assert!(error["text"][0].as_str().is_some(), "{text:?}: {error}");
    }
    let (status, _) = call(
        &app,
        Method::PUT,
        "prompts/no_such_operation/",
        &ops,
        Some(json!({"text": "=== user ===\nHello"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        prompt_override::Entity::find()
            .count(app.db())
            .await
            .expect("count"),
        0
    );
    assert!(audit_actions(&app).await.is_empty());
}
