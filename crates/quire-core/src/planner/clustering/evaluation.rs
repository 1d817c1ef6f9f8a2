//! The adjusted Rand index, to score a clustering against labelled topics.

use std::collections::HashMap;

/// The adjusted Rand index of two labellings of the same items: 1.0 for the same partition
/// (whatever the label values), about 0.0 for a chance agreement, negative below chance.
/// Labellings of different lengths have no index: the result is NaN.
pub fn adjusted_rand_index(truth: &[usize], predicted: &[usize]) -> f64 {
    if truth.len() != predicted.len() {
        return f64::NAN;
    }
    let pairs = |count: u64| (count * count.saturating_sub(1) / 2) as f64;
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut columns: HashMap<usize, u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        *cells.entry((t, p)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(p).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&c| pairs(c)).sum();
    let row_pairs: f64 = rows.values().map(|&c| pairs(c)).sum();
    let column_pairs: f64 = columns.values().map(|&c| pairs(c)).sum();
    let all_pairs = pairs(truth.len() as u64);
    let expected = if all_pairs > 0.0 {
        row_pairs * column_pairs / all_pairs
    } else {
        0.0
    };
    let maximum = (row_pairs + column_pairs) / 2.0;
    if maximum == expected {
        // Both partitions are all singletons or one cluster (or there are under two items).
        return 1.0;
    }
    (index - expected) / (maximum - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_partitions_score_one_whatever_the_labels() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[0, 0, 1, 1, 2]), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1, 2], &[7, 7, 3, 3, 9]), 1.0);
    }

    #[test]
    fn trivial_partitions_score_one() {
        assert_eq!(adjusted_rand_index(&[], &[]), 1.0);
        assert_eq!(adjusted_rand_index(&[4], &[2]), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 1, 2], &[5, 6, 7]), 1.0);
        assert_eq!(adjusted_rand_index(&[0, 0, 0], &[1, 1, 1]), 1.0);
    }

    #[test]
    fn known_values_match_the_reference() {
        // Values from scikit-learn's adjusted_rand_score.
        let close = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
        assert!((close - 0.571_428_571_428_571_4).abs() < 1e-12, "{close}");
        let crossed = adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]);
        assert!((crossed + 0.5).abs() < 1e-12, "{crossed}");
        let merged = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 0, 0]);
        assert_eq!(merged, 0.0);
    }

    #[test]
    fn mismatched_lengths_have_no_index() {
        assert!(adjusted_rand_index(&[0, 1], &[0]).is_nan());
    }
}
