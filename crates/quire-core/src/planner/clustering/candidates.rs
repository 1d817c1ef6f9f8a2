//! Candidate pairs from an inverted index: each keyword probes only the postings of its rarer
//! tokens, enough of them that no unprobed pair could reach the threshold.

use super::similarity::{Vectors, dot};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What the candidate search needs to know about each token.
pub(super) struct TokenStats<'a> {
    pub df: &'a [u32],
    pub modifier: &'a [bool],
}

/// The search's limits.
pub(super) struct Limits {
    /// Pairs below this cosine are not edges.
    pub threshold: f64,
    /// Each keyword keeps at most this many neighbours (its most similar).
    pub max_neighbours: usize,
    /// Tokens in more keywords than this are never probed.
    pub max_postings: usize,
}

/// The edges `(a, b)`, `a < b`, sorted: pairs with cosine ≥ threshold, each among the
/// `max_neighbours` nearest of `a` or of `b`.
pub(super) fn candidate_edges(
    vectors: &Vectors,
    tokens: &TokenStats<'_>,
    limits: &Limits,
) -> Vec<(u32, u32)> {
    let n = vectors.len();
    let probeable = |t: u32| {
        let df = tokens.df[t as usize] as usize;
        df >= 2 && df <= limits.max_postings
    };
    let postings = Postings::new(vectors, &probeable, tokens.df.len());
    let sketches: Vec<u64> = (0..n)
        .map(|i| {
            vectors
                .row(i)
                .iter()
                .fold(0, |s, &(t, _)| s | sketch_bit(t))
        })
        .collect();
    let threshold_sq = limits.threshold * limits.threshold;
    let mut nearest: Vec<Nearest> = (0..n).map(|_| Nearest::default()).collect();
    let mut accumulator = vec![0.0_f64; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut order: Vec<(u32, f64)> = Vec::new();
    for i in 0..n {
        let row = vectors.row(i);
        // Tokens no other keyword has can never be shared; they do not bound anything.
        order.clear();
        order.extend(
            row.iter()
                .copied()
                .filter(|&(t, _)| tokens.df[t as usize] >= 2),
        );
        order.sort_unstable_by_key(|&(t, _)| {
            (
                !probeable(t),
                tokens.modifier[t as usize],
                tokens.df[t as usize],
                t,
            )
        });
        let mut remaining_sq: f64 = order.iter().map(|(_, w)| w * w).sum();
        let mut probed = 0;
        for &(t, w) in &order {
            if remaining_sq < threshold_sq || !probeable(t) {
                break;
            }
            remaining_sq -= w * w;
            probed += 1;
            // Each pair once, from its smaller index.
            let list = postings.of(t);
            let after = list.partition_point(|&(j, _)| j as usize <= i);
            for &(j, wj) in &list[after..] {
                if accumulator[j as usize] == 0.0 {
                    touched.push(j);
                }
                accumulator[j as usize] += w * wj;
            }
        }
        let unprobed = &order[probed..];
        let remaining = remaining_sq.max(0.0).sqrt();
        for &j in &touched {
            let partial = std::mem::take(&mut accumulator[j as usize]);
            if partial + remaining < limits.threshold {
                continue;
            }
            // The sketch rules most unprobed tokens out without reading the other keyword.
            let sketch = sketches[j as usize];
            let unseen_sq: f64 = unprobed
                .iter()
                .filter(|&&(t, _)| sketch & sketch_bit(t) != 0)
                .map(|(_, w)| w * w)
                .sum();
            let similarity = if unseen_sq == 0.0 {
                partial
            } else if partial + unseen_sq.sqrt() < limits.threshold {
                continue;
            } else {
                dot(row, vectors.row(j as usize))
            };
            if similarity >= limits.threshold {
                nearest[i].offer(similarity, j, limits.max_neighbours);
                nearest[j as usize].offer(similarity, i as u32, limits.max_neighbours);
            }
        }
        touched.clear();
    }
    let mut edges: Vec<(u32, u32)> = nearest
        .into_iter()
        .enumerate()
        .flat_map(|(i, near)| {
            let i = i as u32;
            near.0
                .into_iter()
                .map(move |Reverse((_, Reverse(j)))| (i.min(j), i.max(j)))
        })
        .collect();
    edges.sort_unstable();
    edges.dedup();
    edges
}

/// One bit of a keyword's 64-bit token sketch: a clear bit proves the token absent.
fn sketch_bit(token: u32) -> u64 {
    1 << (token.wrapping_mul(0x9E37_79B9) >> 26)
}

/// A keyword's nearest neighbours so far: a min-heap whose top is the one to drop first
/// (lowest similarity, then highest index).
#[derive(Default)]
struct Nearest(BinaryHeap<Reverse<(Similarity, Reverse<u32>)>>);

impl Nearest {
    fn offer(&mut self, similarity: f64, j: u32, capacity: usize) {
        let entry = Reverse((Similarity(similarity), Reverse(j)));
        if self.0.len() < capacity {
            self.0.push(entry);
        } else if self.0.peek().is_some_and(|worst| entry < *worst) {
            self.0.pop();
            self.0.push(entry);
        }
    }
}

/// A similarity with a total order.
#[derive(Clone, Copy, PartialEq)]
struct Similarity(f64);

impl Eq for Similarity {}

impl PartialOrd for Similarity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Similarity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Token → the keywords holding it, with the token's value in each keyword's vector.
struct Postings {
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl Postings {
    fn new(vectors: &Vectors, probeable: &impl Fn(u32) -> bool, tokens: usize) -> Self {
        let mut offsets = vec![0_usize; tokens + 1];
        for i in 0..vectors.len() {
            for &(t, _) in vectors.row(i) {
                if probeable(t) {
                    offsets[t as usize + 1] += 1;
                }
            }
        }
        for t in 0..tokens {
            offsets[t + 1] += offsets[t];
        }
        let mut next = offsets.clone();
        let mut entries = vec![(0_u32, 0.0_f64); offsets[tokens]];
        for i in 0..vectors.len() {
            for &(t, w) in vectors.row(i) {
                if probeable(t) {
                    entries[next[t as usize]] = (i as u32, w);
                    next[t as usize] += 1;
                }
            }
        }
        Self { offsets, entries }
    }

    fn of(&self, token: u32) -> &[(u32, f64)] {
        let t = token as usize;
        &self.entries[self.offsets[t]..self.offsets[t + 1]]
    }
}
