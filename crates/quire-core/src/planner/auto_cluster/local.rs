//! The `local` method: Quire's own clustering, no model; priced flat per batch of keywords.

use super::groups::Group;
use crate::planner::clustering::{self, KeywordInput, Options};

pub const OPERATION: &str = "auto_cluster_local";
/// The model name usage rows record for local runs (no model is called; the charge is the
/// operation's flat price).
pub const MODEL: &str = "quire-local-clustering";
/// One flat charge covers this many keywords.
pub const BATCH_KEYWORDS: usize = 1_000;

/// Flat-priced batches for `keywords` keywords (at least one).
pub fn batches(keywords: usize) -> usize {
    keywords.div_ceil(BATCH_KEYWORDS).max(1)
}

/// The local clusters of `keywords`, named after their head terms and top keyword.
pub fn group(keywords: &[KeywordInput]) -> Vec<Group> {
    clustering::cluster(keywords, &Options::default())
        .into_iter()
        .map(|cluster| Group {
            description: format!(
                "Grouped by Quire's local clustering around: {}.",
                cluster.head_terms.join(", ")
            ),
            name: cluster.name,
            keyword_ids: cluster.keyword_ids,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_started_thousand_keywords_is_one_batch() {
        assert_eq!(batches(0), 1);
        assert_eq!(batches(1), 1);
        assert_eq!(batches(1_000), 1);
        assert_eq!(batches(1_001), 2);
        assert_eq!(batches(100_000), 100);
    }
}
