//! Text as Quire stores it from people and models: on one line, and cut to a length in
//! characters (never bytes).

/// `text` on one line: trimmed, each run of whitespace one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first `max` characters of `text`.
pub fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_and_clipping_counts_characters() {
        assert_eq!(one_line("  a \n\t b  "), "a b");
        assert_eq!(clip("ééé", 2), "éé");
        assert_eq!(clip("ab", 5), "ab");
    }
}
