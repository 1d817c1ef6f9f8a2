//! Average linkage over the candidate graph: the most similar adjacent clusters merge first,
//! until no adjacent pair reaches the threshold.
//!
//! With unit vectors, the average cosine over all cross pairs of two clusters is the dot
//! product of their centroid sums divided by both sizes, so every cluster similarity here is
//! exact, pairs outside the graph included. Two clusters can only average ≥ t if some member
//! pair is ≥ t, and the graph holds those pairs (as far as each keyword's nearest
//! neighbours go): comparing graph neighbours is enough.

use super::similarity::{Vectors, add, dot};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// The cluster of each node, as the smallest node index in it. A node stands for `sizes[i]`
/// identical keywords.
pub(super) fn average_linkage(
    vectors: &Vectors,
    sizes: &[u32],
    edges: &[(u32, u32)],
    threshold: f64,
) -> Vec<u32> {
    let n = vectors.len();
    let mut clusters = Clusters {
        parent: (0..n as u32).collect(),
        size: sizes.to_vec(),
        stamp: vec![0; n],
        centroid: (0..n)
            .map(|i| {
                let size = f64::from(sizes[i]);
                vectors.row(i).iter().map(|&(t, w)| (t, w * size)).collect()
            })
            .collect(),
        adjacent: vec![Vec::new(); n],
    };
    let mut queue = Queue::new(threshold);
    for &(a, b) in edges {
        clusters.adjacent[a as usize].push(b);
        clusters.adjacent[b as usize].push(a);
        queue.push(Candidate {
            similarity: dot(vectors.row(a as usize), vectors.row(b as usize)),
            a,
            b,
            stamps: (0, 0),
        });
    }
    while let Some(best) = queue.pop() {
        if !clusters.is_current(&best) {
            continue;
        }
        let keep = clusters.merge(best.a, best.b);
        let neighbours = std::mem::take(&mut clusters.adjacent[keep as usize]);
        for &other in &neighbours {
            let similarity = clusters.similarity(keep, other);
            if similarity >= threshold {
                queue.push(Candidate {
                    similarity,
                    a: keep.min(other),
                    b: keep.max(other),
                    stamps: if keep < other {
                        (clusters.stamp(keep), clusters.stamp(other))
                    } else {
                        (clusters.stamp(other), clusters.stamp(keep))
                    },
                });
            }
        }
        clusters.adjacent[keep as usize] = neighbours;
    }
    (0..n as u32).map(|i| clusters.find(i)).collect()
}

struct Clusters {
    /// Union-find over keyword indexes; a root stands for its cluster.
    parent: Vec<u32>,
    size: Vec<u32>,
    /// Bumped on every merge, so queued similarities of an older cluster are skipped.
    stamp: Vec<u32>,
    /// The sum of the members' unit vectors.
    centroid: Vec<Vec<(u32, f64)>>,
    /// Clusters joined by a graph edge (possibly stale ids, resolved through `find`).
    adjacent: Vec<Vec<u32>>,
}

impl Clusters {
    fn find(&mut self, mut i: u32) -> u32 {
        while self.parent[i as usize] != i {
            let grandparent = self.parent[self.parent[i as usize] as usize];
            self.parent[i as usize] = grandparent;
            i = grandparent;
        }
        i
    }

    fn stamp(&self, root: u32) -> u32 {
        self.stamp[root as usize]
    }

    fn is_current(&self, candidate: &Candidate) -> bool {
        let (a, b) = (candidate.a as usize, candidate.b as usize);
        self.parent[a] == candidate.a
            && self.parent[b] == candidate.b
            && (self.stamp[a], self.stamp[b]) == candidate.stamps
    }

    /// Merges two roots into the smaller one; its adjacency becomes the union, resolved.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        let (keep, gone) = (a.min(b) as usize, a.max(b) as usize);
        self.parent[gone] = keep as u32;
        self.size[keep] += self.size[gone];
        self.stamp[keep] += 1;
        let gone_centroid = std::mem::take(&mut self.centroid[gone]);
        self.centroid[keep] = add(&self.centroid[keep], &gone_centroid);
        let mut adjacent = std::mem::take(&mut self.adjacent[keep]);
        adjacent.append(&mut self.adjacent[gone]);
        let mut resolved: Vec<u32> = adjacent.into_iter().map(|c| self.find(c)).collect();
        resolved.sort_unstable();
        resolved.dedup();
        resolved.retain(|&c| c as usize != keep);
        self.adjacent[keep] = resolved;
        keep as u32
    }

    /// The average cosine between the members of two clusters.
    fn similarity(&self, a: u32, b: u32) -> f64 {
        let (a, b) = (a as usize, b as usize);
        dot(&self.centroid[a], &self.centroid[b])
            / (f64::from(self.size[a]) * f64::from(self.size[b]))
    }
}

/// Queued merges in buckets of similarity over [threshold, 1], each bucket a small heap.
/// The best similarity never rises as clusters merge (average linkage is reducible), so the
/// scan only moves down; a push above the current bucket (a pair the graph left out) joins
/// the current bucket, where it is still ordered exactly. Small heaps stay in cache where
/// one heap of millions would not.
struct Queue {
    buckets: Vec<BinaryHeap<Candidate>>,
    top: usize,
    low: f64,
    scale: f64,
}

impl Queue {
    const BUCKETS: usize = 4096;

    fn new(threshold: f64) -> Self {
        Self {
            buckets: (0..Self::BUCKETS).map(|_| BinaryHeap::new()).collect(),
            top: Self::BUCKETS - 1,
            low: threshold,
            scale: (Self::BUCKETS - 1) as f64 / (1.0 - threshold).max(1e-9),
        }
    }

    fn push(&mut self, candidate: Candidate) {
        let bucket = ((candidate.similarity - self.low) * self.scale).max(0.0) as usize;
        self.buckets[bucket.min(self.top)].push(candidate);
    }

    fn pop(&mut self) -> Option<Candidate> {
        loop {
            if let Some(candidate) = self.buckets[self.top].pop() {
                return Some(candidate);
            }
            if self.top == 0 {
                return None;
            }
            self.top -= 1;
        }
    }
}

/// A queued merge; the queue pops the most similar, ties to the smallest ids.
struct Candidate {
    similarity: f64,
    a: u32,
    b: u32,
    stamps: (u32, u32),
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.similarity
            .total_cmp(&other.similarity)
            .then_with(|| (other.a, other.b).cmp(&(self.a, self.b)))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors(rows: &[&[u32]]) -> Vectors {
        Vectors::new(rows.iter().copied(), &[1.0; 8])
    }

    #[test]
    fn close_pairs_merge_and_far_ones_do_not() {
        let v = vectors(&[&[0, 1], &[0, 1, 2], &[3, 4], &[3, 4, 5], &[0, 3]]);
        let edges = [(0, 1), (0, 4), (1, 4), (2, 3), (2, 4), (3, 4)];
        let labels = average_linkage(&v, &[1; 5], &edges, 0.6);
        assert_eq!(labels, [0, 0, 2, 2, 4]);
    }

    #[test]
    fn average_linkage_refuses_a_chain() {
        // 0–1 and 1–2 are close, 0–2 share nothing: the average across {0,1} and 2 is too low.
        let v = vectors(&[&[0, 1], &[1, 2], &[2, 3]]);
        let labels = average_linkage(&v, &[1; 3], &[(0, 1), (1, 2)], 0.45);
        assert_eq!(labels.iter().filter(|&&l| l == labels[1]).count(), 2);
    }
}
