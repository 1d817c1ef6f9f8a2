//! Cluster names: the head terms (the weightiest stems most members share, spelt as the
//! members spell them) and the highest-volume keyword.

use super::Prepared;
use std::collections::HashMap;

/// At most this many head terms name a cluster.
const MAX_HEAD_TERMS: usize = 3;

pub(super) struct Naming {
    pub name: String,
    pub head_terms: Vec<String>,
    /// Index (into the prepared keywords) of the highest-volume member.
    pub top: usize,
}

/// Names the cluster of `members` (indexes into `keywords`, ascending).
pub(super) fn name_cluster(
    members: &[usize],
    keywords: &[Prepared<'_>],
    weights: &[f64],
) -> Naming {
    let top = members
        .iter()
        .copied()
        .max_by(|&a, &b| {
            keywords[a]
                .input
                .volume
                .cmp(&keywords[b].input.volume)
                .then(b.cmp(&a))
        })
        .unwrap_or_default();
    let heads = head_tokens(members, keywords, weights, top);
    let head_terms: Vec<String> = heads
        .iter()
        .map(|&token| surface(members, keywords, token))
        .collect();
    let top_text = keywords
        .get(top)
        .map(|k| {
            k.input
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let head = head_terms.join(" ");
    let name = if head.is_empty() {
        top_text
    } else if head == top_text.to_lowercase() {
        capitalise(&head)
    } else {
        format!("{} — {top_text}", capitalise(&head))
    };
    Naming {
        name,
        head_terms,
        top,
    }
}

/// The weightiest topic tokens held by more than half the members (at least one token when
/// any member has one), in the order the top keyword uses them.
fn head_tokens(
    members: &[usize],
    keywords: &[Prepared<'_>],
    weights: &[f64],
    top: usize,
) -> Vec<u32> {
    let mut counts: HashMap<u32, (u32, bool)> = HashMap::new();
    for &m in members {
        for (&token, &modifier) in keywords[m].tokens.iter().zip(&keywords[m].modifiers) {
            counts.entry(token).or_insert((0, modifier)).0 += 1;
        }
    }
    let only_modifiers = counts.values().all(|&(_, modifier)| modifier);
    let mut ranked: Vec<(f64, u32, u32)> = counts
        .into_iter()
        .filter(|&(_, (_, modifier))| only_modifiers || !modifier)
        .map(|(token, (count, _))| (f64::from(count) * weights[token as usize], count, token))
        .collect();
    ranked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
    let mut heads: Vec<u32> = ranked
        .iter()
        .filter(|&&(_, count, _)| count as usize * 2 > members.len())
        .take(MAX_HEAD_TERMS)
        .map(|&(_, _, token)| token)
        .collect();
    if heads.is_empty() {
        heads.extend(ranked.first().map(|&(_, _, token)| token));
    }
    let position = |token: u32| {
        keywords
            .get(top)
            .and_then(|k| k.tokens.iter().position(|&t| t == token))
            .unwrap_or(usize::MAX)
    };
    heads.sort_by_key(|&token| position(token));
    heads
}

/// The members' most common spelling of `token`, ties to the shortest, then alphabetical.
fn surface(members: &[usize], keywords: &[Prepared<'_>], token: u32) -> String {
    let mut spellings: HashMap<&str, u32> = HashMap::new();
    for &m in members {
        let keyword = &keywords[m];
        if let Some(i) = keyword.tokens.iter().position(|&t| t == token) {
            *spellings.entry(keyword.surfaces[i].as_str()).or_default() += 1;
        }
    }
    spellings
        .into_iter()
        .min_by(|a, b| {
            b.1.cmp(&a.1)
                .then(a.0.len().cmp(&b.0.len()))
                .then(a.0.cmp(b.0))
        })
        .map(|(spelling, _)| spelling.to_owned())
        .unwrap_or_default()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
