//! Tests of the clustering as a whole: partitions, determinism, grouping and naming.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

fn keywords(texts: &[(&str, i64)]) -> Vec<KeywordInput> {
    texts
        .iter()
        .enumerate()
        .map(|(i, &(text, volume))| KeywordInput {
            id: i as i64 + 1,
            text: text.to_owned(),
            volume,
        })
        .collect()
}

fn cluster_of(clusters: &[ClusterOutput], id: i64) -> usize {
    clusters
        .iter()
        .position(|c| c.keyword_ids.contains(&id))
        .unwrap_or(usize::MAX)
}

const MIXED: &[(&str, i64)] = &[
    ("running shoes", 22_200),
    ("best running shoes 2026", 2_900),
    ("cheap running sneakers", 480),
    ("running shoes near me", 6_600),
    ("running watch", 6_600),
    ("best running watch", 9_900),
    ("gps running watch", 2_900),
    ("car insurance", 246_000),
    ("cheap auto insurance", 12_100),
    ("affordable vehicle insurance", 880),
    ("personal injury lawyer", 74_000),
    ("personal injury attorney near me", 40_500),
    ("sourdough starter recipe", 22_200),
    ("sourdough starter", 18_100),
    ("how to make sourdough starter", 14_800),
];

#[test]
fn empty_input_gives_no_clusters() {
    assert!(cluster(&[], &Options::default()).is_empty());
}

#[test]
fn every_id_is_in_exactly_one_cluster() {
    let input = keywords(MIXED);
    let clusters = cluster(&input, &Options::default());
    let mut ids: Vec<i64> = clusters
        .iter()
        .flat_map(|c| c.keyword_ids.clone())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=MIXED.len() as i64).collect::<Vec<_>>());
    assert!(
        clusters
            .iter()
            .all(|c| c.keyword_ids.contains(&c.top_keyword_id))
    );
}

#[test]
fn input_order_does_not_change_the_result() {
    let input = keywords(MIXED);
    let mut reversed = input.clone();
    reversed.reverse();
    let mut rotated = input.clone();
    rotated.rotate_left(5);
    let expected = cluster(&input, &Options::default());
    assert_eq!(cluster(&reversed, &Options::default()), expected);
    assert_eq!(cluster(&rotated, &Options::default()), expected);
}

#[test]
fn modifiers_and_synonyms_group_with_the_plain_keyword() {
    let clusters = cluster(&keywords(MIXED), &Options::default());
    let shoes = cluster_of(&clusters, 1);
    assert_eq!(cluster_of(&clusters, 2), shoes, "best … 2026");
    assert_eq!(cluster_of(&clusters, 3), shoes, "cheap … sneakers");
    assert_eq!(cluster_of(&clusters, 4), shoes, "… near me");
    assert_ne!(cluster_of(&clusters, 5), shoes, "running watch");
    assert_eq!(cluster_of(&clusters, 6), cluster_of(&clusters, 5));
    let insurance = cluster_of(&clusters, 8);
    assert_eq!(cluster_of(&clusters, 9), insurance, "auto = car");
    assert_eq!(cluster_of(&clusters, 10), insurance, "vehicle = car");
    assert_eq!(
        cluster_of(&clusters, 12),
        cluster_of(&clusters, 11),
        "attorney = lawyer"
    );
}

#[test]
fn clusters_are_named_after_head_terms_and_top_keyword() {
    let clusters = cluster(&keywords(MIXED), &Options::default());
    let sourdough = &clusters[cluster_of(&clusters, 13)];
    assert_eq!(sourdough.head_terms, ["sourdough", "starter"]);
    assert_eq!(sourdough.top_keyword_id, 13);
    assert_eq!(
        sourdough.name,
        "Sourdough starter — sourdough starter recipe"
    );
    assert_eq!(sourdough.keyword_ids, [13, 14, 15], "highest volume first");
    let watch = &clusters[cluster_of(&clusters, 5)];
    assert_eq!(watch.head_terms, ["running", "watch"]);
    assert_eq!(watch.name, "Running watch — best running watch");
}

#[test]
fn a_repeated_id_counts_once() {
    let mut input = keywords(&[("dog food", 10), ("cat food", 10)]);
    input.push(KeywordInput {
        id: 1,
        text: "dog food".to_owned(),
        volume: 10,
    });
    let clusters = cluster(&input, &Options::default());
    let ids: Vec<i64> = clusters
        .iter()
        .flat_map(|c| c.keyword_ids.clone())
        .collect();
    assert_eq!(ids.len(), 2);
}

#[test]
fn keywords_without_words_stay_alone() {
    let clusters = cluster(
        &keywords(&[("", 0), ("the", 0), ("?!", 0)]),
        &Options::default(),
    );
    assert_eq!(clusters.len(), 3);
    assert!(clusters.iter().all(|c| c.keyword_ids.len() == 1));
}

/// The labelled evaluation set, as inputs (ids are row numbers) and topic labels.
fn evaluation_set() -> (Vec<KeywordInput>, Vec<usize>) {
    let csv = include_str!("../../../data/clustering/evaluation.csv");
    let mut topics: Vec<&str> = Vec::new();
    let mut inputs = Vec::new();
    let mut labels = Vec::new();
    for (i, line) in csv.lines().skip(1).enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 3, "line {}", i + 2);
        let topic = match topics.iter().position(|t| *t == fields[1]) {
            Some(topic) => topic,
            None => {
                topics.push(fields[1]);
                topics.len() - 1
            }
        };
        inputs.push(KeywordInput {
            id: i as i64,
            text: fields[0].to_owned(),
            volume: fields[2].parse().unwrap_or_default(),
        });
        labels.push(topic);
    }
    (inputs, labels)
}

#[test]
fn the_evaluation_set_scores_an_ari_of_at_least_0_75() {
    let (inputs, truth) = evaluation_set();
    assert!(inputs.len() >= 400);
    assert!(truth.iter().max().is_some_and(|&m| m + 1 >= 20));
    let mut predicted = vec![usize::MAX; inputs.len()];
    for (c, cluster) in cluster(&inputs, &Options::default()).iter().enumerate() {
        for &id in &cluster.keyword_ids {
            predicted[id as usize] = c;
        }
    }
    let ari = adjusted_rand_index(&truth, &predicted);
    assert!(ari >= 0.75, "ARI {ari}");
}

#[test]
fn a_shuffled_evaluation_set_clusters_the_same() {
    let (inputs, _) = evaluation_set();
    let mut shuffled = inputs.clone();
    shuffled.reverse();
    shuffled.rotate_left(123);
    assert_eq!(
        cluster(&shuffled, &Options::default()),
        cluster(&inputs, &Options::default())
    );
}

const WORDS: &[&str] = &[
    "best",
    "running",
    "shoes",
    "watch",
    "cheap",
    "car",
    "auto",
    "insurance",
    "near",
    "me",
    "2026",
    "how",
    "to",
    "dog",
    "food",
    "the",
    "e-bike",
    "review",
];

/// An id, up to four words (stop words and modifiers included) and a volume.
fn keyword_row() -> impl Strategy<Value = (i64, Vec<&'static str>, i64)> {
    (
        any::<i64>(),
        prop::collection::vec(prop::sample::select(WORDS), 0..5),
        0..100_000_i64,
    )
}

proptest! {
    #[test]
    fn any_input_is_partitioned_into_exactly_its_ids(
        rows in prop::collection::vec(keyword_row(), 0..60),
        threshold in 0.0..1.2_f64,
    ) {
        let input: Vec<KeywordInput> = rows
            .into_iter()
            .map(|(id, words, volume)| KeywordInput { id, text: words.join(" "), volume })
            .collect();
        let options = Options { threshold, ..Options::default() };
        let clusters = cluster(&input, &options);
        let expected: BTreeSet<i64> = input.iter().map(|k| k.id).collect();
        let mut seen = BTreeSet::new();
        for c in &clusters {
            prop_assert!(!c.keyword_ids.is_empty());
            prop_assert!(c.keyword_ids.contains(&c.top_keyword_id));
            for &id in &c.keyword_ids {
                prop_assert!(seen.insert(id), "id {} twice", id);
            }
        }
        prop_assert_eq!(seen, expected);
    }
}
