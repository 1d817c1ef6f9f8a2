//! Properties: the import never panics, normalisation is stable, exports import back.

use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

/// Text shaped like CSV: delimiters, quotes, line ends, formula characters, digits.
fn csv_like() -> impl Strategy<Value = String> {
    "([a-zA-Z0-9 ,;\t\"'=+@\\-.\r\n]|\u{feff}|é){0,300}"
}

fn intent() -> impl Strategy<Value = Option<KeywordIntent>> {
    proptest::option::of(prop_oneof![
        Just(KeywordIntent::Informational),
        Just(KeywordIntent::Commercial),
        Just(KeywordIntent::Transactional),
        Just(KeywordIntent::Navigational),
    ])
}

/// Keywords as a user might type them, formula characters and quotes included.
fn keyword_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{1,40}",
        "['=+@\\-\"]{1,3}\\PC{0,20}",
        "[a-z ,;\"\t\n]{1,30}"
    ]
}

fn check_counts(parsed: &ParsedImport) {
    assert_eq!(
        parsed.rows,
        parsed.keywords.len() as u64 + parsed.errors.len() as u64 + parsed.duplicates
    );
}

proptest! {
    #[test]
    fn the_import_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(parsed) = parse_import(bytes.as_slice()) {
            check_counts(&parsed);
        }
    }

    #[test]
    fn the_import_never_panics_on_csv_like_text(text in csv_like()) {
        if let Ok(parsed) = parse_import(text.as_bytes()) {
            check_counts(&parsed);
            for keyword in &parsed.keywords {
                prop_assert_eq!(normalise_keyword(&keyword.keyword), Some(keyword.keyword.clone()));
            }
        }
    }

    #[test]
    fn normalising_is_idempotent_and_leaves_single_inner_spaces(
        text in prop_oneof!["\\PC{0,300}", "[ \t\r\n\u{a0}\u{2009}a-z]{0,300}"]
    ) {
        if let Some(keyword) = normalise_keyword(&text) {
            prop_assert_eq!(normalise_keyword(&keyword), Some(keyword.clone()));
            prop_assert!(!keyword.starts_with(' ') && !keyword.ends_with(' '));
            prop_assert!(!keyword.contains("  "));
            prop_assert!(keyword.chars().all(|c| c == ' ' || !c.is_whitespace()));
            prop_assert!(keyword.chars().count() <= MAX_KEYWORD_CHARS);
        }
    }

    #[test]
    fn exported_keywords_import_back(
        rows in proptest::collection::vec(
            (keyword_text(), proptest::option::of(0..i64::MAX), proptest::option::of(0..=100i32), intent()),
            1..20,
        )
    ) {
        let mut seen = HashSet::new();
        let rows: Vec<_> = rows
            .into_iter()
            .filter_map(|(text, volume, difficulty, intent)| {
                let keyword = normalise_keyword(&text)?;
                seen.insert(keyword_key(&keyword)).then_some((keyword, volume, difficulty, intent))
            })
            .collect();
        prop_assume!(!rows.is_empty());
        let mut out = Vec::new();
        write_export(
            &mut out,
            rows.iter().map(|(keyword, volume, difficulty, intent)| ExportRow {
                keyword,
                volume: *volume,
                difficulty: *difficulty,
                intent: *intent,
                cluster: Some(keyword),
                status: "new",
            }),
        )
        .expect("export");
        let parsed = parse_import(out.as_slice()).expect("the export parses");
        prop_assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let back: Vec<_> = parsed
            .keywords
            .into_iter()
            .map(|k| (k.keyword, k.volume, k.difficulty, k.intent))
            .collect();
        prop_assert_eq!(back, rows);
    }
}
