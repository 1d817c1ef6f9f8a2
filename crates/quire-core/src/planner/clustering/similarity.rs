//! Token weights (IDF, modifiers down) and the unit vectors whose dot product is the cosine.

use super::vocabulary::MODIFIER_WEIGHT;

/// The weight of each token over one input set: `√(ln((1 + n) / (1 + df)) + 1)`, times
/// `MODIFIER_WEIGHT` for modifiers.
pub(super) fn token_weights(df: &[u32], modifier: &[bool], keywords: usize) -> Vec<f64> {
    let n = keywords as f64;
    df.iter()
        .zip(modifier)
        .map(|(&df, &modifier)| {
            // Square-rooted: rare words still count most, but a one-off word cannot outweigh
            // the topic words a keyword shares with its cluster.
            let idf = (((1.0 + n) / (1.0 + f64::from(df))).ln() + 1.0).sqrt();
            if modifier { idf * MODIFIER_WEIGHT } else { idf }
        })
        .collect()
}

/// One L2-normalised sparse vector per keyword, entries sorted by token id.
pub(super) struct Vectors {
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl Vectors {
    /// Builds the vectors of keywords given as token ids (each token at most once per keyword).
    pub fn new<'a>(keywords: impl Iterator<Item = &'a [u32]>, weights: &[f64]) -> Self {
        let mut offsets = vec![0];
        let mut entries = Vec::new();
        for tokens in keywords {
            let start = entries.len();
            entries.extend(tokens.iter().map(|&t| (t, weights[t as usize])));
            let row = &mut entries[start..];
            row.sort_unstable_by_key(|&(t, _)| t);
            let norm = row.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            offsets.push(entries.len());
        }
        Self { offsets, entries }
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn row(&self, i: usize) -> &[(u32, f64)] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// The dot product of two sparse vectors sorted by token id.
pub(super) fn dot(a: &[(u32, f64)], b: &[(u32, f64)]) -> f64 {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() * 8 < long.len() {
        // A keyword against a big centroid: look each of its few tokens up.
        return short
            .iter()
            .filter_map(|&(t, w)| {
                long.binary_search_by_key(&t, |&(u, _)| u)
                    .ok()
                    .map(|k| w * long[k].1)
            })
            .sum();
    }
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// The sum of two sparse vectors sorted by token id.
pub(super) fn add(a: &[(u32, f64)], b: &[(u32, f64)]) -> Vec<(u32, f64)> {
    let mut sum = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                sum.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                sum.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                sum.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    sum.extend_from_slice(&a[i..]);
    sum.extend_from_slice(&b[j..]);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_length_and_dot_is_cosine() {
        let weights = [1.0, 2.0, 2.0];
        let keywords: [&[u32]; 3] = [&[0, 1], &[1, 0], &[2]];
        let vectors = Vectors::new(keywords.into_iter(), &weights);
        assert_eq!(vectors.len(), 3);
        assert!((dot(vectors.row(0), vectors.row(0)) - 1.0).abs() < 1e-12);
        assert!((dot(vectors.row(0), vectors.row(1)) - 1.0).abs() < 1e-12);
        assert_eq!(dot(vectors.row(0), vectors.row(2)), 0.0);
    }

    #[test]
    fn dot_of_a_short_and_a_long_vector_looks_tokens_up() {
        let long: Vec<(u32, f64)> = (0..40).map(|t| (t, 1.0)).collect();
        assert_eq!(dot(&[(3, 2.0), (39, 0.5), (41, 9.0)], &long), 2.5);
        assert_eq!(dot(&long, &[(3, 2.0)]), 2.0);
    }

    #[test]
    fn modifiers_weigh_less_and_rare_tokens_more() {
        let weights = token_weights(&[1, 10, 1], &[false, false, true], 100);
        assert!(weights[0] > weights[1]);
        assert!(weights[2] < weights[1] * 0.5);
    }

    #[test]
    fn add_merges_by_token() {
        assert_eq!(
            add(&[(0, 1.0), (2, 1.0)], &[(1, 1.0), (2, 0.5)]),
            [(0, 1.0), (1, 1.0), (2, 1.5)]
        );
    }
}
