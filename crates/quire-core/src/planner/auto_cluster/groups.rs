//! Groups as the clustering methods hand them over, and reading keywords back from a model's
//! answer: verbatim (or differing only in case and spacing), each at most once, unknown ones
//! dropped.

use crate::planner::{clustering::KeywordInput, keyword_csv};
use std::collections::{HashMap, HashSet};

/// The longest cluster name stored.
pub const MAX_NAME_CHARS: usize = 255;
/// The longest cluster description stored.
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;

/// A group of keywords with its name, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub description: String,
    pub keyword_ids: Vec<i64>,
}

/// The keywords a model was shown, found again by their text.
pub struct Lookup {
    by_text: HashMap<String, i64>,
    by_key: HashMap<String, i64>,
}

impl Lookup {
    pub fn new<'a>(keywords: impl IntoIterator<Item = &'a KeywordInput>) -> Self {
        let mut by_text = HashMap::new();
        let mut by_key = HashMap::new();
        for keyword in keywords {
            by_text.entry(keyword.text.clone()).or_insert(keyword.id);
            by_key.entry(key(&keyword.text)).or_insert(keyword.id);
        }
        Self { by_text, by_key }
    }

    /// The id of the keyword `text` names, if the model was shown it.
    pub fn find(&self, text: &str) -> Option<i64> {
        self.by_text
            .get(text)
            .or_else(|| self.by_key.get(&key(text)))
            .copied()
    }

    /// The ids of the answer's `texts` that were shown and are not `taken` yet, marking them
    /// taken; everything else is dropped.
    pub fn claim(&self, texts: &serde_json::Value, taken: &mut HashSet<i64>) -> Vec<i64> {
        texts
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .filter_map(|text| self.find(text))
            .filter(|id| taken.insert(*id))
            .collect()
    }
}

fn key(text: &str) -> String {
    keyword_csv::normalise_keyword(text).map_or_else(String::new, |t| keyword_csv::keyword_key(&t))
}

/// A name or description from a model: trimmed, whitespace collapsed, cut to `max` characters.
pub fn clean_text(value: &serde_json::Value, max: usize) -> String {
    let text = value.as_str().unwrap_or_default();
    crate::text::clip(&crate::text::one_line(text), max)
}

/// The group's name from the model, or its first keyword's text when the model gave none.
pub fn name_or(value: &serde_json::Value, fallback: &str) -> String {
    let name = clean_text(value, MAX_NAME_CHARS);
    if name.is_empty() {
        fallback.chars().take(MAX_NAME_CHARS).collect()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keyword(id: i64, text: &str) -> KeywordInput {
        KeywordInput {
            id,
            text: text.to_owned(),
            volume: 0,
        }
    }

    #[test]
    fn answers_are_matched_verbatim_or_by_case_and_spacing_and_claimed_once() {
        let shown = [keyword(1, "Best Running Shoes"), keyword(2, "trail shoes")];
        let lookup = Lookup::new(&shown);
        let mut taken = HashSet::new();
        let ids = lookup.claim(
            &json!([
                "best running shoes",
                " trail   shoes ",
                "invented keyword",
                7,
                "trail shoes"
            ]),
            &mut taken,
        );
        assert_eq!(ids, vec![1, 2]);
        assert!(
            lookup
                .claim(&json!(["Best Running Shoes"]), &mut taken)
                .is_empty()
        );
        assert!(lookup.claim(&json!("not a list"), &mut taken).is_empty());
    }

    #[test]
    fn names_are_cleaned_and_fall_back_to_a_keyword() {
        assert_eq!(name_or(&json!("  Running \n shoes "), "x"), "Running shoes");
        assert_eq!(name_or(&json!(""), "trail shoes"), "trail shoes");
        assert_eq!(name_or(&json!(null), "trail shoes"), "trail shoes");
        assert_eq!(clean_text(&json!("a".repeat(2_000)), 10).len(), 10);
    }
}
