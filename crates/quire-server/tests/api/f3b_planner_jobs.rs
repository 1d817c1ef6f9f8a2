//! F3b — the planner's AI operations as jobs: auto cluster (`local`, `ai`, `hybrid`) and idea
//! generation, each charged exactly what its calls used (checked against the fake model's
//! usage), refunded when it fails, tied to the caller's account, site and sector, and
//! working without a model through the offline provider.

use crate::ai_setup::{
    AiApp, COMPLETION_TOKENS, COST_PER_CALL, CREDITS_PER_CALL, PROMPT_TOKENS, ai_app, answer,
};
use crate::common::{Backend, body};
use quire_core::{
    ai::offline::OFFLINE_LABEL,
    entities::{
        account, ai_usage_log, cluster, content_idea, credit_transaction,
        enums::{CreditKind, KeywordStatus},
        job, keyword, sector,
    },
};
use quire_testkit::fake_openai::{Reply, Script, user_message};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use std::collections::BTreeMap;

quire_testkit::on_both_backends!(
    local_auto_cluster_groups_the_keywords_and_charges_the_flat_price,
    ai_auto_cluster_charges_exactly_the_tokens_the_model_reported,
    ai_batches_are_merged_by_a_second_pass,
    keywords_the_model_misses_are_asked_for_once_then_grouped_locally,
    hybrid_names_and_merges_local_groups_for_fewer_tokens_than_ai,
    generating_ideas_makes_one_call_per_cluster_and_ties_ideas_to_it,
    a_short_balance_is_402_and_nothing_is_queued_or_charged,
    a_failing_model_returns_every_credit_and_stores_nothing,
    other_tenants_keywords_and_clusters_are_refused,
    clustered_keywords_stay_put_unless_reclustered,
    keywords_changed_while_the_job_runs_are_left_alone,
    the_offline_provider_runs_the_planner_without_a_key,
);

/// The `- item` lines of a prompt.
fn listed(prompt: &str) -> Vec<String> {
    prompt
        .lines()
        .filter_map(|line| line.strip_prefix("- "))
        .map(str::to_owned)
        .collect()
}

/// A model that groups keywords by their first word, merges clusters of the same name, and
/// names hybrid groups after their first keyword; every answer costs the same tokens.
fn first_word_model() -> Script {
    Script::responding(|request| {
        let prompt = user_message(request);
        if prompt.starts_with("Some of these clusters") {
            // "N. name (e.g. …)": merge equal names.
            let mut by_name: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            for line in prompt.lines() {
                if let Some((number, rest)) = line.split_once(". ")
                    && let Ok(number) = number.parse::<u64>()
                {
                    let name = rest.split(" (e.g.").next().unwrap_or(rest).to_owned();
                    by_name.entry(name).or_default().push(number);
                }
            }
            let merges: Vec<Value> = by_name
                .into_iter()
                .filter(|(_, numbers)| numbers.len() > 1)
                .map(|(name, numbers)| json!({"name": name, "clusters": numbers}))
                .collect();
            return answer(json!({ "merges": merges }));
        }
        if prompt.starts_with("Review these") {
            // "N. name: kw; kw": one cluster for all groups, named by the model.
            let numbers: Vec<u64> = prompt
                .lines()
                .filter_map(|line| line.split_once(". ")?.0.parse().ok())
                .collect();
            return answer(json!({"clusters": [
                {"name": "Everything reviewed", "description": "All groups.", "groups": numbers}
            ]}));
        }
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for keyword in listed(prompt) {
            let first = keyword.split_whitespace().next().unwrap_or("").to_owned();
            groups.entry(first).or_default().push(keyword);
        }
        let clusters: Vec<Value> = groups
            .into_iter()
            .map(|(word, keywords)| {
                json!({"name": format!("All about {word}"), "description": "Grouped.", "keywords": keywords})
            })
            .collect();
        answer(json!({ "clusters": clusters }))
    })
}

type Planner = AiApp;

async fn planner(backend: Backend, script: Option<Script>) -> Planner {
    ai_app(backend, script).await
}

impl AiApp {
    /// POSTs an auto-cluster request without waiting for its job.
    async fn queue_cluster(&self, ids: &[i64], method: &str) -> reqwest::Response {
        self.app
            .post(
                "/api/v1/planner/keywords/auto_cluster/",
                &json!({"keyword_ids": ids, "sector_id": self.sector, "method": method}),
                Some(&self.token),
            )
            .await
    }

    async fn cluster(&self, ids: &[i64], method: &str) -> Value {
        self.run(
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": ids, "sector_id": self.sector, "method": method}),
        )
        .await
    }

    async fn clusters(&self) -> Vec<cluster::Model> {
        cluster::Entity::find()
            .filter(cluster::Column::AccountId.eq(self.account))
            .all(self.app.db())
            .await
            .expect("clusters")
    }

    async fn usage_rows(&self) -> Vec<ai_usage_log::Model> {
        self.usage(None).await
    }
}

/// Every keyword in exactly one cluster, and each cluster's totals equal to its keywords.
async fn assert_partition(planner: &Planner, ids: &[i64]) {
    let rows = keyword::Entity::find()
        .filter(keyword::Column::Id.is_in(ids.iter().copied()))
        .all(planner.app.db())
        .await
        .expect("keywords");
    assert!(
        rows.iter().all(|k| k.cluster_id.is_some()),
        "every keyword is clustered"
    );
    for cluster in planner.clusters().await {
        let members: Vec<&keyword::Model> = rows
            .iter()
            .filter(|k| k.cluster_id == Some(cluster.id))
            .collect();
        let all_members = keyword::Entity::find()
            .filter(keyword::Column::ClusterId.eq(cluster.id))
            .count(planner.app.db())
            .await
            .expect("count");
        assert_eq!(
            cluster.keyword_count,
            i64::try_from(all_members).expect("small")
        );
        if u64::try_from(members.len()).expect("small") == all_members {
            let volume: i64 = members.iter().map(|k| k.volume).sum();
            assert_eq!(cluster.total_volume, volume, "{}", cluster.name);
        }
        assert_eq!(cluster.account_id, planner.account);
        assert_eq!(cluster.sector_id, planner.sector);
    }
}

const SHOES_AND_BREAD: &[&str] = &[
    "running shoes",
    "running shoes for women",
    "best running shoes",
    "sourdough starter",
    "sourdough starter recipe",
    "how to make sourdough starter",
];

/// 200 keywords, 8 topics × 25 modifiers, modifier-major so every batch of the `ai` method
/// holds every topic.
fn topic_keywords() -> Vec<String> {
    const TOPICS: [&str; 8] = [
        "running shoes",
        "sourdough starter",
        "espresso machine",
        "yoga mat",
        "hiking boots",
        "electric bike",
        "standing desk",
        "robot vacuum",
    ];
    const MODIFIERS: [&str; 25] = [
        "for beginners",
        "review",
        "sale",
        "for women",
        "for men",
        "under 100",
        "near me",
        "2026",
        "comparison",
        "brands",
        "deals",
        "guide",
        "tips",
        "problems",
        "accessories",
        "size chart",
        "warranty",
        "vs",
        "alternatives",
        "online",
        "uk",
        "price",
        "rental",
        "cleaning",
        "repair",
    ];
    MODIFIERS
        .iter()
        .flat_map(|m| TOPICS.iter().map(move |t| format!("{t} {m}")))
        .collect()
}

async fn local_auto_cluster_groups_the_keywords_and_charges_the_flat_price(backend: Backend) {
    let planner = planner(backend, None).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let before = planner.balance().await;
    let estimate = body(
        planner
            .app
            .post(
                "/api/v1/planner/keywords/auto_cluster/estimate/",
                &json!({"keyword_ids": ids, "sector_id": planner.sector, "method": "local"}),
                Some(&planner.token),
            )
            .await,
    )
    .await;
    assert_eq!(estimate["credits"], 1, "one flat-priced batch");
    assert_eq!(estimate["enough"], true);

    let job = planner.cluster(&ids, "local").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["keywords"], 6);
    assert_eq!(job["result"]["clusters"], 2);
    assert_partition(&planner, &ids).await;
    let names: Vec<String> = planner
        .clusters()
        .await
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.to_lowercase().contains("running shoes")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.to_lowercase().contains("sourdough")),
        "{names:?}"
    );
    // The seed: "Account.credits decreases accordingly after clustering".
    assert_eq!(before - planner.balance().await, 1);
    let usage = planner.usage_rows().await;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].provider, "local");
    assert_eq!((usage[0].credits_charged, usage[0].cost_micro_usd), (1, 0));
    let kinds: Vec<CreditKind> = credit_transaction::Entity::find()
        .filter(credit_transaction::Column::AccountId.eq(planner.account))
        .filter(credit_transaction::Column::Kind.ne(CreditKind::SignupGrant))
        .all(planner.app.db())
        .await
        .expect("ledger")
        .into_iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            CreditKind::Reservation,
            CreditKind::Refund,
            CreditKind::Usage
        ]
    );
}

async fn ai_auto_cluster_charges_exactly_the_tokens_the_model_reported(backend: Backend) {
    let planner = planner(backend, Some(first_word_model())).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let before = planner.balance().await;
    let job = planner.cluster(&ids, "ai").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["charged_credits"], CREDITS_PER_CALL);
    assert!(job["reserved_credits"].as_i64().expect("reserved") >= CREDITS_PER_CALL);
    assert_eq!(before - planner.balance().await, CREDITS_PER_CALL);
    let mut names: Vec<String> = planner
        .clusters()
        .await
        .into_iter()
        .map(|c| c.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "All about best",
            "All about how",
            "All about running",
            "All about sourdough"
        ],
        "the model's grouping (by first word) and names are what is stored"
    );
    assert_partition(&planner, &ids).await;
    let usage = planner.usage_rows().await;
    assert_eq!(usage.len(), 1, "one batch, one call");
    assert_eq!(usage[0].operation, "auto_cluster_ai");
    assert_eq!(usage[0].input_tokens, PROMPT_TOKENS);
    assert_eq!(usage[0].output_tokens, COMPLETION_TOKENS);
    assert_eq!(usage[0].credits_charged, CREDITS_PER_CALL);
    assert_eq!(usage[0].cost_micro_usd, COST_PER_CALL);
}

async fn ai_batches_are_merged_by_a_second_pass(backend: Backend) {
    let planner = planner(backend, Some(first_word_model())).await;
    let texts = topic_keywords();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let ids = planner.keywords(&refs).await;
    let before = planner.balance().await;
    let job = planner.cluster(&ids, "ai").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    // Two batches of at most 150 and the merge pass.
    assert_eq!(planner.usage_rows().await.len(), 3);
    assert_eq!(before - planner.balance().await, 3 * CREDITS_PER_CALL);
    let clusters = planner.clusters().await;
    assert_eq!(
        clusters.len(),
        8,
        "the same topic from both batches is one cluster"
    );
    assert!(clusters.iter().all(|c| c.keyword_count == 25));
    assert_partition(&planner, &ids).await;
}

async fn keywords_the_model_misses_are_asked_for_once_then_grouped_locally(backend: Backend) {
    // First answer: misses two keywords and invents one; the repair answer still misses one.
    let script = Script {
        replies: vec![
            answer(json!({"clusters": [
                {"name": "Shoes", "keywords": ["running shoes", "RUNNING SHOES FOR WOMEN", "invented keyword"]},
                {"name": "Bread", "keywords": ["sourdough starter", "sourdough starter recipe", "running shoes"]},
            ]})),
            answer(json!({"clusters": [{"name": "shoes", "keywords": ["best running shoes"]}]})),
        ],
        ..first_word_model()
    };
    let planner = planner(backend, Some(script)).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let before = planner.balance().await;
    let job = planner.cluster(&ids, "ai").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["placed_locally"], 1);
    let usage = planner.usage_rows().await;
    assert_eq!(usage.len(), 2, "the batch and one repair");
    assert!(usage.iter().all(|u| u.credits_charged == CREDITS_PER_CALL));
    // The tenant pays what the calls cost, never more than the estimate it was shown.
    let reserved = job["reserved_credits"].as_i64().expect("reserved");
    let charged = (2 * CREDITS_PER_CALL).min(reserved);
    assert_eq!(job["charged_credits"], charged);
    assert_eq!(before - planner.balance().await, charged);
    assert_partition(&planner, &ids).await;
    let clusters = planner.clusters().await;
    let shoes = clusters.iter().find(|c| c.name == "Shoes").expect("Shoes");
    assert_eq!(
        shoes.keyword_count, 3,
        "the repaired keyword joined its cluster by name"
    );
    let bread = clusters.iter().find(|c| c.name == "Bread").expect("Bread");
    assert_eq!(
        bread.keyword_count, 2,
        "a keyword already placed is not placed twice"
    );
    assert_eq!(
        clusters.len(),
        3,
        "the keyword missed twice has a local cluster"
    );
}

async fn hybrid_names_and_merges_local_groups_for_fewer_tokens_than_ai(backend: Backend) {
    let planner = planner(backend, Some(first_word_model())).await;
    let texts = topic_keywords();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let ids = planner.keywords(&refs).await;
    let estimate = |method: &'static str| {
        let planner = &planner;
        let ids = ids.clone();
        async move {
            body(
                planner
                    .app
                    .post(
                        "/api/v1/planner/keywords/auto_cluster/estimate/",
                        &json!({"keyword_ids": ids, "sector_id": planner.sector, "method": method}),
                        Some(&planner.token),
                    )
                    .await,
            )
            .await["credits"]
                .as_i64()
                .expect("credits")
        }
    };
    let (ai, hybrid) = (estimate("ai").await, estimate("hybrid").await);
    assert!(hybrid < ai, "hybrid {hybrid} should cost less than ai {ai}");

    let before = planner.balance().await;
    let job = planner.cluster(&ids, "hybrid").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(before - planner.balance().await, CREDITS_PER_CALL);
    let usage = planner.usage_rows().await;
    assert_eq!(usage.len(), 1);
    assert_eq!(usage[0].operation, "auto_cluster_hybrid");
    let clusters = planner.clusters().await;
    assert_eq!(clusters.len(), 1, "the model merged the local groups");
    assert_eq!(clusters[0].name, "Everything reviewed");
    assert_partition(&planner, &ids).await;
}

async fn generating_ideas_makes_one_call_per_cluster_and_ties_ideas_to_it(backend: Backend) {
    let ideas = json!({"ideas": [
        {"title": "How to choose running shoes", "description": "A buyer's guide.",
         "outline": ["Fit", "Cushioning", "Grip"], "content_type": "how_to",
         "content_structure": "step-by-step", "target_keywords": ["running shoes"],
         "estimated_words": 1800},
        {"title": "Running shoes on sale: what to look for", "outline": ["Timing"],
         "content_type": "article", "target_keywords": ["running shoes sale"]},
    ]});
    let planner = planner(
        backend,
        Some(Script::responding(move |_| answer(ideas.clone()))),
    )
    .await;
    let ids = planner.keywords(&SHOES_AND_BREAD[..3]).await;
    let clustered = planner.cluster(&ids, "local").await;
    assert_eq!(clustered["status"], "succeeded");
    let cluster = planner.clusters().await.remove(0);
    let before = planner.balance().await;

    let job = planner
        .run(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster.id], "ideas_per_cluster": 2}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["ideas"], 2);
    // The seed: "one AI call consumes the planned credits".
    let calls: Vec<ai_usage_log::Model> = planner
        .usage_rows()
        .await
        .into_iter()
        .filter(|u| u.operation == "generate_ideas")
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].credits_charged, CREDITS_PER_CALL);
    assert_eq!(before - planner.balance().await, CREDITS_PER_CALL);
    // "created ideas are tied to same site/sector/account".
    let stored = content_idea::Entity::find()
        .filter(content_idea::Column::ClusterId.eq(cluster.id))
        .all(planner.app.db())
        .await
        .expect("ideas");
    assert_eq!(stored.len(), 2);
    for idea in &stored {
        assert_eq!(
            (idea.account_id, idea.site_id, idea.sector_id),
            (cluster.account_id, cluster.site_id, cluster.sector_id)
        );
    }
    assert_eq!(stored[0].title, "How to choose running shoes");
    assert_eq!(stored[0].estimated_words, 1800);
}

async fn a_short_balance_is_402_and_nothing_is_queued_or_charged(backend: Backend) {
    let planner = planner(backend, Some(first_word_model())).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let row = account::Entity::find_by_id(planner.account)
        .one(planner.app.db())
        .await
        .expect("query")
        .expect("account");
    let mut poor: account::ActiveModel = row.into();
    poor.credits = Set(3);
    poor.update(planner.app.db()).await.expect("update");

    let response = planner.queue_cluster(&ids, "ai").await;
    assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED);
    let refusal = body(response).await;
    assert_eq!(refusal["detail"], "Insufficient credits");
    assert_eq!(refusal["available"], 3);
    assert!(refusal["required"].as_i64().expect("required") > 3);
    assert_eq!(planner.balance().await, 3);
    assert_eq!(
        job::Entity::find()
            .count(planner.app.db())
            .await
            .expect("jobs"),
        0
    );
}

async fn a_failing_model_returns_every_credit_and_stores_nothing(backend: Backend) {
    let script = Script {
        fallback: Reply::ServerError,
        ..Script::default()
    };
    let planner = planner(backend, Some(script)).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let local = planner.cluster(&ids[..3], "local").await;
    assert_eq!(local["status"], "succeeded");
    let before = planner.balance().await;
    let clusters_before = planner.clusters().await.len();

    let failed = planner.cluster(&ids[3..], "ai").await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(planner.clusters().await.len(), clusters_before);
    let cluster = planner.clusters().await.remove(0);
    let ideas = planner
        .run(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster.id]}),
        )
        .await;
    assert_eq!(ideas["status"], "failed", "{ideas}");
    assert_eq!(
        content_idea::Entity::find()
            .count(planner.app.db())
            .await
            .expect("ideas"),
        0
    );
    assert_eq!(
        planner.balance().await,
        before,
        "every reserved credit came back"
    );
    assert!(
        planner
            .usage_rows()
            .await
            .iter()
            .filter(|u| u.provider == "openai")
            .all(|u| u.credits_charged == 0),
        "failed calls are logged without a charge"
    );
}

async fn other_tenants_keywords_and_clusters_are_refused(backend: Backend) {
    let planner = planner(backend, None).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let local = planner.cluster(&ids, "local").await;
    assert_eq!(local["status"], "succeeded");
    let cluster = planner.clusters().await.remove(0).id;
    let other = planner
        .app
        .active_member("bob@example.com", "agency-monthly")
        .await;
    let site = body(
        planner
            .app
            .post(
                "/api/v1/auth/sites/",
                &json!({"name": "Bob's", "url": "https://bob.example.com"}),
                Some(&other),
            )
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("site");
    let bob_sector = body(
        planner
            .app
            .post(
                "/api/v1/auth/sectors/",
                &json!({"site_id": site, "name": "Bob's sector"}),
                Some(&other),
            )
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    for (path, request) in [
        (
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": ids, "sector_id": bob_sector, "recluster": true}),
        ),
        (
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": ids, "sector_id": planner.sector, "recluster": true}),
        ),
        (
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": [cluster]}),
        ),
    ] {
        let response = planner.app.post(path, &request, Some(&other)).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{path} {request}"
        );
    }
    let jobs = job::Entity::find()
        .count(planner.app.db())
        .await
        .expect("jobs");
    assert_eq!(jobs, 1, "only the owner's job");
}

async fn clustered_keywords_stay_put_unless_reclustered(backend: Backend) {
    let planner = planner(backend, None).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    assert_eq!(planner.cluster(&ids, "local").await["status"], "succeeded");
    let first: Vec<i64> = planner.clusters().await.iter().map(|c| c.id).collect();

    let again = planner
        .app
        .post(
            "/api/v1/planner/keywords/auto_cluster/",
            &json!({"keyword_ids": ids, "sector_id": planner.sector}),
            Some(&planner.token),
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        body(again).await["keyword_ids"][0]
            .as_str()
            .expect("message")
            .contains("recluster")
    );

    let job = planner
        .run(
            "/api/v1/planner/keywords/auto_cluster/",
            json!({"keyword_ids": ids, "sector_id": planner.sector, "recluster": true}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["removed_empty_clusters"], 2);
    let second: Vec<i64> = planner.clusters().await.iter().map(|c| c.id).collect();
    assert_eq!(second.len(), 2);
    assert!(
        second.iter().all(|id| !first.contains(id)),
        "emptied clusters are gone"
    );
    assert_partition(&planner, &ids).await;
}

async fn keywords_changed_while_the_job_runs_are_left_alone(backend: Backend) {
    let slow_model = Script {
        ok_delay: std::time::Duration::from_secs(2),
        ..first_word_model()
    };
    let planner = planner(backend, Some(slow_model)).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let queued = planner.queue_cluster(&ids, "ai").await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let job_path = format!("/api/v1/jobs/{}/", body(queued).await["id"]);
    // Once the job has read its keywords it waits on the model: change three of them then.
    let mut grouping = false;
    for _ in 0..250 {
        let seen = body(planner.app.get(&job_path, Some(&planner.token)).await).await;
        if seen["progress"].as_i64().is_some_and(|p| p >= 5) {
            grouping = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(grouping, "the job started");
    let site_id = sector::Entity::find_by_id(planner.sector)
        .one(planner.app.db())
        .await
        .expect("query")
        .expect("sector")
        .site_id;
    let elsewhere = body(
        planner
            .app
            .post(
                "/api/v1/auth/sectors/",
                &json!({"site_id": site_id, "name": "Baking"}),
                Some(&planner.token),
            )
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("sector");
    let by_hand = body(
        planner
            .app
            .post(
                "/api/v1/planner/clusters/",
                &json!({"sector_id": planner.sector, "name": "By hand"}),
                Some(&planner.token),
            )
            .await,
    )
    .await["id"]
        .as_i64()
        .expect("cluster");
    let change = |id: i64, edit: fn(&mut keyword::ActiveModel, i64, i64)| {
        let db = planner.app.db().clone();
        async move {
            let mut row: keyword::ActiveModel = keyword::Entity::find_by_id(id)
                .one(&db)
                .await
                .expect("query")
                .expect("keyword")
                .into();
            edit(&mut row, elsewhere, by_hand);
            row.update(&db).await.expect("changed");
        }
    };
    change(ids[0], |row, _, _| {
        row.status = Set(KeywordStatus::Archived)
    })
    .await;
    change(ids[3], |row, sector, _| row.sector_id = Set(sector)).await;
    change(ids[4], |row, _, cluster| {
        row.cluster_id = Set(Some(cluster))
    })
    .await;

    let ended = body(
        planner
            .app
            .get(&format!("{job_path}?wait=30"), Some(&planner.token))
            .await,
    )
    .await;
    assert_eq!(ended["status"], "succeeded", "{ended}");
    assert_eq!(ended["result"]["keywords"], 3, "{ended}");
    let clusters_of: BTreeMap<i64, Option<i64>> = keyword::Entity::find()
        .filter(keyword::Column::Id.is_in(ids.iter().copied()))
        .all(planner.app.db())
        .await
        .expect("keywords")
        .into_iter()
        .map(|k| (k.id, k.cluster_id))
        .collect();
    assert_eq!(clusters_of[&ids[0]], None, "archived meanwhile");
    assert_eq!(
        clusters_of[&ids[3]], None,
        "moved to another sector meanwhile"
    );
    assert_eq!(
        clusters_of[&ids[4]],
        Some(by_hand),
        "clustered by hand meanwhile"
    );
    for id in [ids[1], ids[2], ids[5]] {
        let cluster = clusters_of[&id];
        assert!(
            cluster.is_some_and(|c| c != by_hand),
            "{id} clustered by the job"
        );
    }
}

async fn the_offline_provider_runs_the_planner_without_a_key(backend: Backend) {
    let planner = planner(backend, None).await;
    let ids = planner.keywords(SHOES_AND_BREAD).await;
    let job = planner.cluster(&ids, "ai").await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["result"]["offline_draft"], true);
    assert_partition(&planner, &ids).await;
    let clusters = planner.clusters().await;
    assert!(
        clusters
            .iter()
            .all(|c| c.description.starts_with(OFFLINE_LABEL))
    );

    let ideas = planner
        .run(
            "/api/v1/planner/clusters/generate_ideas/",
            json!({"cluster_ids": clusters.iter().map(|c| c.id).collect::<Vec<_>>(), "ideas_per_cluster": 2}),
        )
        .await;
    assert_eq!(ideas["status"], "succeeded", "{ideas}");
    assert_eq!(ideas["result"]["offline_draft"], true);
    let stored = content_idea::Entity::find()
        .all(planner.app.db())
        .await
        .expect("ideas");
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|i| i.description.starts_with(OFFLINE_LABEL))
    );
    let usage = planner.usage_rows().await;
    assert!(usage.iter().all(|u| u.provider == "offline"));
}
