//! Cell values: volume, difficulty and intent, read from text and written back.

use crate::entities::enums::KeywordIntent;
use sea_orm::Iterable;

/// Characters that may group thousands besides `.`: comma, space, no-break space, narrow
/// no-break space, thin space and the Swiss apostrophe.
const GROUP_SEPARATORS: [char; 6] = [',', ' ', '\u{a0}', '\u{202f}', '\u{2009}', '\''];
/// How much of a bad cell a message quotes.
const QUOTED_CHARS: usize = 30;

enum NumberProblem {
    Negative,
    NotWhole,
    TooLarge,
}

/// A whole number ≥ 0, with optional thousands groups and an optional all-zero fraction.
/// Dots that group thousands (`1.200.000`) win over a fraction, so `1.000` is a thousand.
fn parse_whole(text: &str) -> Result<i64, NumberProblem> {
    if let Some(rest) = text.strip_prefix('-') {
        return Err(match parse_whole(rest) {
            Ok(_) => NumberProblem::Negative,
            Err(_) => NumberProblem::NotWhole,
        });
    }
    if text.contains('.')
        && let Ok(digits) = ungroup(text, '.')
    {
        return digits.parse().map_err(|_| NumberProblem::TooLarge);
    }
    let integer = match text.split_once('.') {
        None => text,
        Some((integer, fraction))
            if !fraction.is_empty() && fraction.bytes().all(|b| b == b'0') =>
        {
            integer
        }
        Some(_) => return Err(NumberProblem::NotWhole),
    };
    let digits = match integer.chars().find(|c| !c.is_ascii_digit()) {
        None => integer.to_owned(),
        Some(separator) if GROUP_SEPARATORS.contains(&separator) => ungroup(integer, separator)?,
        Some(_) => return Err(NumberProblem::NotWhole),
    };
    if digits.is_empty() {
        return Err(NumberProblem::NotWhole);
    }
    digits.parse().map_err(|_| NumberProblem::TooLarge)
}

/// `1,234,567` → `1234567`: a first group of 1–3 digits, then groups of exactly 3.
fn ungroup(text: &str, separator: char) -> Result<String, NumberProblem> {
    let mut digits = String::with_capacity(text.len());
    for (index, group) in text.split(separator).enumerate() {
        let size_ok = if index == 0 {
            (1..=3).contains(&group.len())
        } else {
            group.len() == 3
        };
        if !size_ok || !group.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberProblem::NotWhole);
        }
        digits.push_str(group);
    }
    Ok(digits)
}

fn quoted(cell: &str) -> String {
    if cell.chars().count() > QUOTED_CHARS {
        format!(
            "\"{}…\"",
            cell.chars().take(QUOTED_CHARS).collect::<String>()
        )
    } else {
        format!("\"{cell}\"")
    }
}

/// A trimmed volume cell; empty means unknown.
pub(crate) fn parse_volume(cell: &str) -> Result<Option<i64>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    parse_whole(cell).map(Some).map_err(|problem| {
        let what = match problem {
            NumberProblem::Negative => "is negative",
            NumberProblem::NotWhole => "is not a whole number",
            NumberProblem::TooLarge => "is too large",
        };
        format!("volume {} {what}", quoted(cell))
    })
}

/// A trimmed difficulty cell, 0–100; empty means unknown.
pub(crate) fn parse_difficulty(cell: &str) -> Result<Option<i32>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    parse_whole(cell)
        .ok()
        .and_then(|value| i32::try_from(value).ok())
        .filter(|value| *value <= 100)
        .map(Some)
        .ok_or_else(|| {
            format!(
                "difficulty {} is not a whole number from 0 to 100",
                quoted(cell)
            )
        })
}

/// The stored and exported name of an intent.
pub(super) fn intent_label(intent: KeywordIntent) -> &'static str {
    match intent {
        KeywordIntent::Informational => "informational",
        KeywordIntent::Commercial => "commercial",
        KeywordIntent::Transactional => "transactional",
        KeywordIntent::Navigational => "navigational",
    }
}

/// A trimmed intent cell: any non-empty prefix of a name in any case (`i`, `info`,
/// `trans`, `navigational`…); the four names start with different letters. Empty means
/// unknown.
pub(crate) fn parse_intent(cell: &str) -> Result<Option<KeywordIntent>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    let lower = cell.to_lowercase();
    KeywordIntent::iter()
        .find(|intent| intent_label(*intent).starts_with(&lower))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "intent {} is not informational, commercial, transactional or navigational",
                quoted(cell)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_accept_thousands_groups_and_zero_fractions() {
        for (cell, volume) in [
            ("0", 0),
            ("1200", 1200),
            ("1,200", 1200),
            ("1 200", 1200),
            ("1\u{a0}200\u{a0}000", 1_200_000),
            ("1'200", 1200),
            ("12,345,678", 12_345_678),
            ("1200.0", 1200),
            ("1,200.00", 1200),
            ("1.200", 1200),
            ("1.200.000", 1_200_000),
            ("1.000", 1000),
        ] {
            assert_eq!(parse_volume(cell), Ok(Some(volume)), "{cell}");
        }
        assert_eq!(parse_volume(""), Ok(None));
    }

    #[test]
    fn volumes_refuse_what_is_not_a_whole_number_at_least_zero() {
        for cell in [
            "abc",
            "1.5",
            "12.50",
            "1.2000",
            "1,20",
            "1,2000",
            "1,200 300",
            ",200",
            "1.",
            "1e3",
            "1K",
        ] {
            let message = parse_volume(cell).expect_err(cell);
            assert!(message.contains("not a whole number"), "{cell}: {message}");
        }
        assert_eq!(parse_volume("-5"), Err("volume \"-5\" is negative".into()));
        assert_eq!(
            parse_volume("99999999999999999999"),
            Err("volume \"99999999999999999999\" is too large".into())
        );
    }

    #[test]
    fn difficulty_is_zero_to_one_hundred() {
        assert_eq!(parse_difficulty("0"), Ok(Some(0)));
        assert_eq!(parse_difficulty("100"), Ok(Some(100)));
        assert_eq!(parse_difficulty("45.0"), Ok(Some(45)));
        for cell in ["101", "-1", "4.5", "hard", "99999999999"] {
            assert!(parse_difficulty(cell).is_err(), "{cell}");
        }
    }

    #[test]
    fn intents_accept_any_case_and_short_forms() {
        for (cell, intent) in [
            ("Informational", KeywordIntent::Informational),
            ("info", KeywordIntent::Informational),
            ("I", KeywordIntent::Informational),
            ("COMM", KeywordIntent::Commercial),
            ("trans", KeywordIntent::Transactional),
            ("Transaction", KeywordIntent::Transactional),
            ("nav", KeywordIntent::Navigational),
        ] {
            assert_eq!(parse_intent(cell), Ok(Some(intent)), "{cell}");
        }
        assert!(parse_intent("buy").is_err());
        assert!(parse_intent("informationally").is_err());
    }

    #[test]
    fn long_bad_cells_are_shortened_in_messages() {
        let message = parse_volume(&"x".repeat(100)).expect_err("bad");
        assert!(message.len() < 80, "{message}");
    }
}
