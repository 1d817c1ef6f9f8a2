//! Normalisation: lower-casing, splitting, phrases, stop words, synonyms and Snowball stemming.

use super::vocabulary::{MODIFIERS, PHRASES, STOP_WORDS, SYNONYMS, is_year};
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};

/// The stem every year maps to; no word can produce it.
const YEAR_STEM: &str = "#year";

/// One significant word of a keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Term {
    /// The canonical stem (after synonyms), the unit of comparison.
    pub stem: String,
    /// The word as the keyword spelt it, for naming.
    pub surface: String,
    pub modifier: bool,
}

/// Turns keyword text into terms; built once per clustering run.
pub(super) struct Normaliser {
    stemmer: Stemmer,
    stop_words: HashSet<&'static str>,
    synonyms: HashMap<String, String>,
    modifiers: HashSet<String>,
}

impl Normaliser {
    pub fn new() -> Self {
        let stemmer = Stemmer::create(Algorithm::English);
        let synonyms = SYNONYMS
            .iter()
            .map(|(variant, canonical)| {
                (
                    stemmer.stem(variant).into_owned(),
                    stemmer.stem(canonical).into_owned(),
                )
            })
            .collect::<HashMap<_, _>>();
        let modifiers = MODIFIERS
            .iter()
            .map(|word| {
                let stem = stemmer.stem(word).into_owned();
                synonyms.get(&stem).cloned().unwrap_or(stem)
            })
            .chain([YEAR_STEM.to_owned()])
            .collect();
        Self {
            stemmer,
            stop_words: STOP_WORDS.iter().copied().collect(),
            synonyms,
            modifiers,
        }
    }

    /// The significant terms of `text`, in order, each stem once.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        let words = join_phrases(split_words(text));
        let mut terms: Vec<Term> = Vec::with_capacity(words.len());
        for (word, surface) in words {
            if self.stop_words.contains(word.as_str()) {
                continue;
            }
            let stem = if is_year(&word) {
                YEAR_STEM.to_owned()
            } else {
                let stem = self.stemmer.stem(&word).into_owned();
                self.synonyms.get(&stem).cloned().unwrap_or(stem)
            };
            if terms.iter().any(|t| t.stem == stem) {
                continue;
            }
            let modifier = self.modifiers.contains(&stem);
            terms.push(Term {
                stem,
                surface,
                modifier,
            });
        }
        terms
    }
}

/// Lower-cased alphanumeric words; apostrophes vanish ("women's" → "womens") and a single
/// letter hyphenated to the next word joins it ("e-mail" → "email").
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            current.push(c);
        } else if c == '\'' || c == '’' || (c == '-' && current.chars().count() == 1) {
            continue;
        } else if !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Replaces the multi-word variants in `PHRASES` by their one-word form; each word comes
/// with its surface (the words it was read from).
fn join_phrases(words: Vec<String>) -> Vec<(String, String)> {
    let mut joined = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let phrase = PHRASES.iter().find(|(parts, _)| {
            words.len() - i >= parts.len() && parts.iter().zip(&words[i..]).all(|(p, w)| p == w)
        });
        match phrase {
            Some((parts, one)) => {
                joined.push(((*one).to_owned(), words[i..i + parts.len()].join(" ")));
                i += parts.len();
            }
            None => {
                joined.push((words[i].clone(), words[i].clone()));
                i += 1;
            }
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        Normaliser::new()
            .terms(text)
            .into_iter()
            .map(|t| t.stem)
            .collect()
    }

    #[test]
    fn stems_drop_stop_words_and_map_synonyms() {
        assert_eq!(
            stems("How to find the Best running shoes"),
            ["how", "find", "best", "run", "shoe"]
        );
        assert_eq!(
            stems("affordable auto attorneys"),
            stems("cheap car lawyer")
        );
        assert_eq!(stems("women's running sneakers"), ["women", "run", "shoe"]);
    }

    #[test]
    fn years_phrases_and_hyphens_are_one_word() {
        assert_eq!(stems("e-bike 2026"), ["ebik", "#year"]);
        assert_eq!(stems("electric bike 2025"), stems("e bike 2026"));
        assert_eq!(stems("e-mail marketing"), stems("email marketing"));
    }

    #[test]
    fn modifiers_are_flagged_and_surfaces_kept() {
        let terms = Normaliser::new().terms("Cheapest running shoes near me");
        let flagged: Vec<(&str, bool)> = terms
            .iter()
            .map(|t| (t.surface.as_str(), t.modifier))
            .collect();
        assert_eq!(
            flagged,
            [
                ("cheapest", true),
                ("running", false),
                ("shoes", false),
                ("near", true)
            ]
        );
    }
}
