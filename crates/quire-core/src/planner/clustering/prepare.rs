//! Preparation: keywords in a canonical order, their terms as token ids with document
//! frequencies, and keywords with the same token set gathered into one node.

use super::normalise::Normaliser;
use super::{KeywordInput, Prepared};
use std::collections::HashMap;

/// The keywords as token ids, and what is known about each token.
pub(super) struct Corpus<'a> {
    /// Sorted by id, each id once.
    pub keywords: Vec<Prepared<'a>>,
    /// How many keywords hold each token.
    pub df: Vec<u32>,
    pub modifier: Vec<bool>,
}

/// Sorts by id (then text and volume, so repeats resolve the same way whatever the input
/// order), keeps each id once and turns the texts into token ids.
pub(super) fn prepare(inputs: &[KeywordInput]) -> Corpus<'_> {
    let mut sorted: Vec<&KeywordInput> = inputs.iter().collect();
    sorted.sort_by(|a, b| (a.id, &a.text, a.volume).cmp(&(b.id, &b.text, b.volume)));
    sorted.dedup_by_key(|k| k.id);

    let normaliser = Normaliser::new();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut corpus = Corpus {
        keywords: Vec::with_capacity(sorted.len()),
        df: Vec::new(),
        modifier: Vec::new(),
    };
    for input in sorted {
        let terms = normaliser.terms(&input.text);
        let mut keyword = Prepared {
            input,
            tokens: Vec::with_capacity(terms.len()),
            modifiers: Vec::with_capacity(terms.len()),
            surfaces: Vec::with_capacity(terms.len()),
        };
        for term in terms {
            let next = corpus.df.len() as u32;
            let id = *ids.entry(term.stem).or_insert(next);
            if id == next {
                corpus.df.push(0);
                corpus.modifier.push(term.modifier);
            }
            corpus.df[id as usize] += 1;
            keyword.tokens.push(id);
            keyword.modifiers.push(term.modifier);
            keyword.surfaces.push(term.surface);
        }
        corpus.keywords.push(keyword);
    }
    corpus
}

/// Keywords with the same token set, which are identical to the algorithm.
pub(super) struct Nodes {
    /// Each node's sorted token set.
    pub tokens: Vec<Vec<u32>>,
    /// How many keywords each node stands for.
    pub sizes: Vec<u32>,
    /// The node of each keyword.
    pub node_of: Vec<u32>,
}

/// Gathers keywords with the same non-empty token set into one node, numbered in order of
/// first keyword; a keyword without tokens stays a node of its own.
pub(super) fn identical_nodes(keywords: &[Prepared<'_>]) -> Nodes {
    let mut nodes = Nodes {
        tokens: Vec::new(),
        sizes: Vec::new(),
        node_of: Vec::with_capacity(keywords.len()),
    };
    let mut seen: HashMap<Vec<u32>, u32> = HashMap::new();
    for keyword in keywords {
        let mut set = keyword.tokens.clone();
        set.sort_unstable();
        let next = nodes.sizes.len() as u32;
        let node = if set.is_empty() {
            next
        } else {
            *seen.entry(set.clone()).or_insert(next)
        };
        if node == next {
            nodes.tokens.push(set);
            nodes.sizes.push(0);
        }
        nodes.sizes[node as usize] += 1;
        nodes.node_of.push(node);
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: i64, text: &str) -> KeywordInput {
        KeywordInput {
            id,
            text: text.to_owned(),
            volume: 0,
        }
    }

    #[test]
    fn same_token_sets_share_a_node_but_empty_ones_do_not() {
        let inputs = [
            input(1, "running shoes"),
            input(2, "shoes for running"),
            input(3, "the"),
            input(4, ""),
            input(5, "running shoe"),
            input(6, "running watch"),
        ];
        let corpus = prepare(&inputs);
        let nodes = identical_nodes(&corpus.keywords);
        assert_eq!(nodes.node_of, [0, 0, 1, 2, 0, 3]);
        assert_eq!(nodes.sizes, [3, 1, 1, 1]);
    }

    #[test]
    fn repeated_ids_keep_one_keyword_whatever_the_order() {
        let forward = [input(2, "b"), input(1, "z"), input(1, "a")];
        let backward = [input(1, "a"), input(1, "z"), input(2, "b")];
        for inputs in [&forward, &backward] {
            let corpus = prepare(inputs);
            let texts: Vec<&str> = corpus
                .keywords
                .iter()
                .map(|k| k.input.text.as_str())
                .collect();
            assert_eq!(texts, ["a", "b"]);
        }
    }
}
