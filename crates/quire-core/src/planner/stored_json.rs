//! Lists stored as JSON text (outlines, target keywords): one encoding on SQLite and
//! PostgreSQL alike.

/// The JSON text of `items`.
pub fn encode(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

/// The list in `text`; text that is not a JSON list of strings (never written by Quire) reads
/// as empty rather than failing a whole page.
pub fn decode(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let items = vec!["Intro".to_owned(), "Why \"quotes\" matter".to_owned()];
        assert_eq!(decode(&encode(&items)), items);
        assert!(decode("not json").is_empty());
    }
}
