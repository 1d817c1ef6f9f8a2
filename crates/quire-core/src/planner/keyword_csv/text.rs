//! Keyword text: normalisation, the case-insensitive key, and the formula escape.

use super::MAX_KEYWORD_CHARS;
use std::borrow::Cow;

/// Trims and collapses every run of Unicode whitespace to one space. `None` when the
/// result is empty, longer than [`MAX_KEYWORD_CHARS`] characters, or holds control
/// characters.
pub fn normalise_keyword(text: &str) -> Option<String> {
    clean_keyword(text).ok()
}

/// What [`normalise_keyword`] refused, worded for a row error.
pub(crate) fn clean_keyword(text: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        Err("keyword is empty")
    } else if out.chars().any(char::is_control) {
        Err("keyword contains control characters")
    } else if out.chars().count() > MAX_KEYWORD_CHARS {
        Err("keyword is longer than 255 characters")
    } else {
        Ok(out)
    }
}

/// The form two normalised keywords share when they differ only in case (Unicode
/// lowercase): duplicates in a file, and keywords of one sector, compare by it.
pub fn keyword_key(keyword: &str) -> String {
    keyword.to_lowercase()
}

/// The characters that make a spreadsheet read a cell as a formula.
fn is_formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Whether the text is some `'`s followed by a formula character.
fn needs_escape(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(is_formula_start)
}

/// Prefixes `'` so a spreadsheet shows the cell as text; [`unescape_formula`] reverses it.
pub(super) fn escape_formula(text: &str) -> Cow<'_, str> {
    if needs_escape(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Removes the `'` [`escape_formula`] added; other text is returned as it is.
pub(crate) fn unescape_formula(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_trimmed_and_collapsed() {
        assert_eq!(
            normalise_keyword("  red \t\n shoes\u{a0} ").as_deref(),
            Some("red shoes")
        );
        assert_eq!(normalise_keyword(" \t "), None);
    }

    #[test]
    fn keywords_over_255_characters_or_with_control_characters_are_refused() {
        assert!(normalise_keyword(&"é".repeat(255)).is_some());
        assert_eq!(normalise_keyword(&"é".repeat(256)), None);
        assert_eq!(normalise_keyword("bell\u{7}"), None);
    }

    #[test]
    fn the_formula_escape_is_reversible() {
        for text in [
            "=1+1", "+x", "-x", "@x", "'=x", "''-x", "'", "'x", "plain", "a=b",
        ] {
            assert_eq!(unescape_formula(&escape_formula(text)), text, "{text}");
        }
        assert_eq!(escape_formula("=1+1"), "'=1+1");
        assert_eq!(escape_formula("'x"), "'x");
        assert_eq!(unescape_formula("'x"), "'x");
    }
}
