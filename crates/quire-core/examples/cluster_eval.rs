//! Scores keyword clustering against the labelled evaluation set: the adjusted Rand index of
//! each method (`local`, and `ai` and `hybrid` through the configured AI provider, with the
//! calls and tokens they used), a threshold sweep, and the most mixed local clusters.
//!
//! `cargo run --release -p quire-core --example cluster_eval [path/to/evaluation.csv]`
//!
//! The model methods use Quire's configuration (`QUIRE_AI_PROVIDER=openai`,
//! `QUIRE_AI_BASE_URL`, `QUIRE_AI_MODEL`, `QUIRE_AI_API_KEY`); without it they run on the
//! offline provider, whose drafts are labelled as such in the table.

use quire_core::ai::AiClient;
use quire_core::config::Settings;
use quire_core::jobs::assistant::DirectAssistant;
use quire_core::planner::auto_cluster::{by_model, groups::Group, hybrid, local};
use quire_core::planner::clustering::{
    ClusterOutput, KeywordInput, Options, adjusted_rand_index, cluster,
};
use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::sync::atomic::Ordering;

struct Labelled {
    keywords: Vec<KeywordInput>,
    topics: Vec<usize>,
    topic_names: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/clustering/evaluation.csv"
        )
        .to_owned()
    });
    let set = load(&path)?;
    println!(
        "{} keywords, {} topics ({path})\n",
        set.keywords.len(),
        set.topic_names.len()
    );

    let defaults = Options::default();
    let clusters = cluster(&set.keywords, &defaults);
    let local = score(&set, &clusters);
    println!("method                         ARI     clusters");
    println!(
        "local (threshold {:.2})         {local:.3}   {}",
        defaults.threshold,
        clusters.len()
    );
    let client = AiClient::from_settings(&Settings::load()?)?;
    let provider = if client.provider_name() == "offline" {
        "offline provider: drafts, no model configured".to_owned()
    } else {
        format!("{} {}", client.provider_name(), client.model())
    };
    let assistant = DirectAssistant::new(client.clone());
    let groups = by_model::cluster(&assistant, &set.keywords)
        .await
        .map_err(|e| e.to_string())?
        .groups;
    print_model_row("ai", &set, &groups, &assistant, &provider);
    let assistant = DirectAssistant::new(client);
    let local_groups = local::group(&set.keywords);
    let groups = hybrid::refine(&assistant, &set.keywords, local_groups)
        .await
        .map_err(|e| e.to_string())?;
    print_model_row("hybrid", &set, &groups, &assistant, &provider);
    let first_word = first_word_baseline(&set.keywords);
    println!(
        "baseline: same first word      {:.3}   {}",
        adjusted_rand_index(&set.topics, &first_word),
        first_word.iter().max().map_or(0, |m| m + 1)
    );

    println!("\nthreshold sweep (local):");
    for step in 4..=14 {
        let threshold = f64::from(step) * 0.05;
        let options = Options {
            threshold,
            ..Options::default()
        };
        let clusters = cluster(&set.keywords, &options);
        println!(
            "  {threshold:.2}  ARI {:.3}  {} clusters",
            score(&set, &clusters),
            clusters.len()
        );
    }

    println!("\nmost mixed clusters:");
    for (purity, c) in mixed_clusters(&set, &clusters).into_iter().take(6) {
        let topics = topic_counts(&set, c)
            .into_iter()
            .map(|(topic, n)| format!("{topic} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!("  {:.0}% pure  {}  [{topics}]", purity * 100.0, c.name);
    }
    Ok(())
}

fn print_model_row(
    method: &str,
    set: &Labelled,
    groups: &[Group],
    assistant: &DirectAssistant,
    provider: &str,
) {
    let mut predicted = vec![usize::MAX; set.keywords.len()];
    for (g, group) in groups.iter().enumerate() {
        for &id in &group.keyword_ids {
            predicted[id as usize] = g;
        }
    }
    println!(
        "{method:<30} {:.3}   {:<8} {} calls, {} tokens ({provider})",
        adjusted_rand_index(&set.topics, &predicted),
        groups.len(),
        assistant.calls.load(Ordering::Relaxed),
        assistant.tokens.load(Ordering::Relaxed),
    );
}

fn load(path: &str) -> Result<Labelled, Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(path)?;
    let mut set = Labelled {
        keywords: Vec::new(),
        topics: Vec::new(),
        topic_names: Vec::new(),
    };
    let mut topic_ids: HashMap<String, usize> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row?;
        let (Some(keyword), Some(topic), Some(volume)) = (row.get(0), row.get(1), row.get(2))
        else {
            return Err(format!("row {}: expected keyword,topic,volume", i + 2).into());
        };
        let next = topic_ids.len();
        let topic_id = *topic_ids.entry(topic.to_owned()).or_insert(next);
        if topic_id == next {
            set.topic_names.push(topic.to_owned());
        }
        set.topics.push(topic_id);
        set.keywords.push(KeywordInput {
            id: i as i64,
            text: keyword.to_owned(),
            volume: volume.parse()?,
        });
    }
    Ok(set)
}

/// The ARI of `clusters` against the labelled topics.
fn score(set: &Labelled, clusters: &[ClusterOutput]) -> f64 {
    let mut predicted = vec![usize::MAX; set.keywords.len()];
    for (c, cluster) in clusters.iter().enumerate() {
        for &id in &cluster.keyword_ids {
            predicted[id as usize] = c;
        }
    }
    adjusted_rand_index(&set.topics, &predicted)
}

/// A naive method for comparison: keywords sharing their first word form one cluster.
fn first_word_baseline(keywords: &[KeywordInput]) -> Vec<usize> {
    let mut groups: HashMap<String, usize> = HashMap::new();
    keywords
        .iter()
        .map(|k| {
            let first = k.text.split_whitespace().next().unwrap_or_default();
            let next = groups.len();
            *groups.entry(first.to_lowercase()).or_insert(next)
        })
        .collect()
}

fn topic_counts<'a>(set: &'a Labelled, cluster: &ClusterOutput) -> Vec<(&'a str, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for &id in &cluster.keyword_ids {
        *counts
            .entry(set.topic_names[set.topics[id as usize]].as_str())
            .or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
}

/// Clusters holding more than one topic, least pure (then largest) first.
fn mixed_clusters<'a>(
    set: &Labelled,
    clusters: &'a [ClusterOutput],
) -> Vec<(f64, &'a ClusterOutput)> {
    let mut mixed: Vec<(f64, &ClusterOutput)> = clusters
        .iter()
        .filter_map(|c| {
            let counts = topic_counts(set, c);
            let biggest = counts.first().map_or(0, |&(_, n)| n);
            (counts.len() > 1).then(|| (biggest as f64 / c.keyword_ids.len() as f64, c))
        })
        .collect();
    mixed.sort_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then(b.1.keyword_ids.len().cmp(&a.1.keyword_ids.len()))
    });
    mixed
}
