//! Local keyword clustering: Quire's own algorithm, no model.
//!
//! 1. Normalise (`normalise.rs`): lower case, apostrophes out, a few phrases joined ("e bike",
//!    "how long"), stop words dropped, Snowball English stems (`rust-stemmers`), and a small
//!    synonym table (car/auto/vehicle, cheap/affordable/budget, lawyer/attorney, …) mapping
//!    variants to one canonical stem.
//! 2. Weigh: `√(IDF)` over the input set, SEO modifiers (best, cheap, near me, how to, vs,
//!    review, free, online, for beginners, years, …) at 0.12 of that; each keyword becomes
//!    a unit vector, compared by cosine. Keywords with the same token set become one node.
//! 3. Candidates (`candidates.rs`): an inverted index probed with each keyword's prefix (its
//!    rarer tokens, up to where the rest could not reach the threshold), so no pair is ever
//!    enumerated blindly; each keyword keeps its `max_neighbours` nearest.
//! 4. Link (`linkage.rs`): average linkage over that sparse graph, with exact cluster
//!    similarities from centroid sums, until no neighbouring clusters average `threshold`.
//! 5. Name (`naming.rs`): head terms (the weightiest stems most members share, as spelt) and
//!    the highest-volume keyword: "Sourdough starter — sourdough starter recipe".
//!
//! Quality, on `data/clustering/evaluation.csv` (444 keywords, 27 topics; see
//! `data/clustering/README.md` for the set and its limits): **ARI 0.825** at the default
//! threshold 0.45 (73 clusters); 0.856 at 0.40, the set's peak, and ≥ 0.75 from 0.25 to 0.50.
//! Re-measure with `cargo run --release -p quire-core --example cluster_eval`.
//!
//! Scale, `cargo run --release -p quire-core --example cluster_bench` on one core of the
//! 2-core development VM: 10,000 synthetic keywords in 0.18 s (peak RSS 30 MiB), 100,000 in
//! 7.9 s (peak RSS 299 MiB). Lists of many two-word siblings ("dog food", "dog toys") cluster
//! better at a threshold of 0.50–0.55; the README has the figures.
//!
//! Approximations, all for speed at scale: a token in over 5% of the keywords (and over
//! 1,000) finds no candidates, so two keywords sharing only such words stay apart; a keyword
//! keeps only its nearest neighbours as merge candidates.

mod candidates;
mod evaluation;
mod linkage;
mod naming;
mod normalise;
mod prepare;
mod similarity;
mod vocabulary;

pub use evaluation::adjusted_rand_index;

use candidates::{Limits, TokenStats, candidate_edges};
use similarity::{Vectors, token_weights};
use std::collections::HashMap;

/// One keyword to cluster; `id` is the caller's and must be unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeywordInput {
    pub id: i64,
    pub text: String,
    pub volume: i64,
}

/// One cluster: its members (highest volume first) and how it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOutput {
    /// "Head terms — highest-volume keyword", or the head terms alone when they are it.
    pub name: String,
    pub keyword_ids: Vec<i64>,
    /// The weightiest words most members share, as the members spell them.
    pub head_terms: Vec<String>,
    /// The member with the highest volume (the smallest id among equals).
    pub top_keyword_id: i64,
}

/// How eagerly keywords group.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The average cosine two clusters need to merge, in (0, 1]; higher gives more, tighter
    /// clusters. Values outside are clamped to [0.05, 1].
    pub threshold: f64,
    /// Each keyword keeps only this many nearest neighbours as merge candidates.
    pub max_neighbours: usize,
    /// Words in more than this share of the keywords (and in over 1,000) do not find
    /// candidates: they would pair nearly everything. They still count in the similarity.
    pub max_token_share: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            threshold: 0.45,
            max_neighbours: 40,
            max_token_share: 0.05,
        }
    }
}

/// A keyword as the algorithm sees it.
struct Prepared<'a> {
    input: &'a KeywordInput,
    /// Token ids in the keyword's word order, each once.
    tokens: Vec<u32>,
    modifiers: Vec<bool>,
    surfaces: Vec<String>,
}

/// Clusters `keywords`: every distinct id lands in exactly one cluster (a repeated id counts
/// once, with its first text by text order). The result does not depend on the input order;
/// clusters come largest total volume first.
pub fn cluster(keywords: &[KeywordInput], options: &Options) -> Vec<ClusterOutput> {
    let corpus = prepare::prepare(keywords);
    let weights = token_weights(&corpus.df, &corpus.modifier, corpus.keywords.len());
    let nodes = prepare::identical_nodes(&corpus.keywords);
    let vectors = Vectors::new(nodes.tokens.iter().map(Vec::as_slice), &weights);
    let threshold = options.threshold.clamp(0.05, 1.0);
    let limits = Limits {
        threshold,
        max_neighbours: options.max_neighbours,
        max_postings: ((options.max_token_share * corpus.keywords.len() as f64) as usize)
            .max(1_000),
    };
    let tokens = TokenStats {
        df: &corpus.df,
        modifier: &corpus.modifier,
    };
    let edges = candidate_edges(&vectors, &tokens, &limits);
    let labels = linkage::average_linkage(&vectors, &nodes.sizes, &edges, threshold);
    drop(edges);
    drop(vectors);

    let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &node) in nodes.node_of.iter().enumerate() {
        members.entry(labels[node as usize]).or_default().push(i);
    }
    let mut clusters: Vec<(i64, ClusterOutput)> = members
        .into_values()
        .map(|indexes| output(indexes, &corpus.keywords, &weights))
        .collect();
    clusters.sort_by(|(va, a), (vb, b)| vb.cmp(va).then(a.top_keyword_id.cmp(&b.top_keyword_id)));
    clusters.into_iter().map(|(_, cluster)| cluster).collect()
}

/// One cluster from the indexes of its keywords (ascending), with its total volume.
fn output(
    mut indexes: Vec<usize>,
    keywords: &[Prepared<'_>],
    weights: &[f64],
) -> (i64, ClusterOutput) {
    let naming = naming::name_cluster(&indexes, keywords, weights);
    indexes.sort_by(|&a, &b| {
        let (a, b) = (keywords[a].input, keywords[b].input);
        b.volume.cmp(&a.volume).then(a.id.cmp(&b.id))
    });
    let volume = indexes
        .iter()
        .map(|&i| keywords[i].input.volume.max(0))
        .fold(0_i64, i64::saturating_add);
    let output = ClusterOutput {
        name: naming.name,
        keyword_ids: indexes.iter().map(|&i| keywords[i].input.id).collect(),
        head_terms: naming.head_terms,
        top_keyword_id: keywords[naming.top].input.id,
    };
    (volume, output)
}

#[cfg(test)]
mod tests;
