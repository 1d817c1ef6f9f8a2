//! Properties: the import never panics, keeps to its row cap, reports only lines that hold
//! rows, reads back what a CSV writer wrote, and normalisation is stable.

use super::import::parse_with_limit;
use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

/// Text shaped like CSV: delimiters, quotes, line ends, formula characters, digits.
pub(crate) fn csv_like() -> impl Strategy<Value = String> {
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

/// The file's physical lines, as the import numbers them: split at `\n`, or at `\r` when the
/// first line ends in a lone `\r` (an old Mac file; the text is shorter than the sniffing
/// window, so "the first line" is the whole text).
fn physical_lines(text: &str) -> Vec<&str> {
    if !text.contains('\n') && text.contains('\r') {
        text.split('\r').collect()
    } else {
        text.split('\n').collect()
    }
}

/// Each of `lines` (1-based) is a line of `text` where a row can start: one with a
/// character other than whitespace; no line is named twice.
pub(crate) fn check_reported_lines(
    text: &str,
    lines: impl IntoIterator<Item = u64>,
) -> Result<(), TestCaseError> {
    let physical = physical_lines(text);
    let mut seen = HashSet::new();
    for line in lines {
        prop_assert!(seen.insert(line), "line {} reported twice", line);
        let index = usize::try_from(line).expect("small").checked_sub(1);
        let Some(content) = index.and_then(|index| physical.get(index)) else {
            return Err(TestCaseError::fail(format!(
                "line {line} of {} does not exist",
                physical.len()
            )));
        };
        prop_assert!(
            content.chars().any(|c| !c.is_whitespace()),
            "line {} is blank: {:?}",
            line,
            content
        );
    }
    Ok(())
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
    fn every_reported_line_is_a_row_of_the_file(text in csv_like()) {
        if let Ok(parsed) = parse_import(text.as_bytes()) {
            prop_assert!(parsed.keywords.windows(2).all(|w| w[0].line < w[1].line));
            prop_assert!(parsed.errors.windows(2).all(|w| w[0].line < w[1].line));
            let keywords = parsed.keywords.iter().map(|k| k.line);
            check_reported_lines(&text, keywords.chain(parsed.errors.iter().map(|e| e.line)))?;
        }
    }

    /// A cap refuses exactly the files with more data rows than it, and changes nothing
    /// about the others.
    #[test]
    fn the_row_cap_refuses_exactly_the_longer_files(text in csv_like(), limit in 1usize..8) {
        let uncapped = parse_with_limit(text.as_bytes(), usize::MAX);
        let capped = parse_with_limit(text.as_bytes(), limit);
        match uncapped {
            Ok(parsed) if parsed.rows > limit as u64 => {
                prop_assert_eq!(capped, Err(ImportError::TooManyRows { limit }));
            }
            uncapped => {
                if let Ok(parsed) = &uncapped {
                    prop_assert!(parsed.keywords.len() + parsed.errors.len() <= limit);
                }
                prop_assert_eq!(capped, uncapped);
            }
        }
    }

    #[test]
    fn a_file_over_the_cap_is_refused_whatever_blank_lines_it_has(
        rows in proptest::collection::vec(any::<bool>(), 0..40),
        header in any::<bool>(),
        limit in 1usize..20,
    ) {
        // `true` is a keyword row, `false` a blank one; neither blanks nor the header count.
        let mut text = if header { "keyword,volume\n".to_owned() } else { String::new() };
        for (i, keyword) in rows.iter().enumerate() {
            text.push_str(&if *keyword { format!("k{i},{i}\n") } else { ",\n".to_owned() });
        }
        let data = rows.iter().filter(|keyword| **keyword).count();
        let result = parse_with_limit(text.as_bytes(), limit);
        if data == 0 {
            prop_assert_eq!(result, Err(ImportError::Empty));
        } else if data > limit {
            prop_assert_eq!(result, Err(ImportError::TooManyRows { limit }));
        } else {
            prop_assert_eq!(result.map(|parsed| parsed.keywords.len()), Ok(data));
        }
    }

    /// N distinct keywords written by a CSV writer (any delimiter, line end, column order,
    /// extra column, byte-order mark) are read back as exactly those N, in order, on their
    /// lines; rows with an out-of-range difficulty are errors on exactly their lines.
    #[test]
    fn keywords_written_by_a_csv_writer_are_read_back_exactly(
        rows in proptest::collection::vec(
            (
                keyword_text(),
                proptest::option::of(0..i64::MAX),
                proptest::option::of(0..=100i32),
                intent(),
                proptest::bool::weighted(0.2),
            ),
            1..30,
        ),
        delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
        crlf in any::<bool>(),
        bom in any::<bool>(),
        columns in Just(vec!["keyword", "volume", "difficulty", "intent", "notes"]).prop_shuffle(),
    ) {
        let mut seen = HashSet::new();
        let rows: Vec<_> = rows
            .into_iter()
            .filter_map(|(text, volume, difficulty, intent, bad)| {
                let keyword = normalise_keyword(&text)?;
                // A leading `'` before a formula character is the export's escape; it is
                // read back without the `'`, so such a keyword is not a round trip.
                let plain = unescape_formula(&keyword) == keyword;
                (plain && seen.insert(keyword_key(&keyword)))
                    .then_some((keyword, volume, difficulty, intent, bad))
            })
            .collect();
        prop_assume!(!rows.is_empty());
        let mut out = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(&mut out);
        writer.write_record(&columns).expect("header");
        for (keyword, volume, difficulty, intent, bad) in &rows {
            let cells = columns.iter().map(|column| match *column {
                "keyword" => keyword.clone(),
                "volume" => volume.map(|v| v.to_string()).unwrap_or_default(),
                "difficulty" if *bad => "101".to_owned(),
                "difficulty" => difficulty.map(|d| d.to_string()).unwrap_or_default(),
                "intent" => intent.map(values::intent_label).unwrap_or_default().to_owned(),
                _ => "a note, with \"quotes\"".to_owned(),
            });
            writer.write_record(cells).expect("row");
        }
        writer.flush().expect("flush");
        drop(writer);

        let parsed = parse_import(out.as_slice()).expect("a written file parses");
        let expected: Vec<_> = rows
            .iter()
            .zip(2u64..)
            .filter(|((.., bad), _)| !bad)
            .map(|((keyword, volume, difficulty, intent, _), line)| ImportedKeyword {
                line,
                keyword: keyword.clone(),
                volume: *volume,
                difficulty: *difficulty,
                intent: *intent,
            })
            .collect();
        prop_assert_eq!(parsed.keywords, expected);
        let bad_lines: Vec<u64> = rows
            .iter()
            .zip(2u64..)
            .filter(|((.., bad), _)| *bad)
            .map(|(_, line)| line)
            .collect();
        prop_assert_eq!(parsed.errors.iter().map(|e| e.line).collect::<Vec<_>>(), bad_lines);
        prop_assert_eq!(parsed.duplicates, 0);
        prop_assert_eq!(parsed.rows, rows.len() as u64);
    }

    /// Repeats of a keyword that differ in case and spacing are duplicates: the first one
    /// is kept (normalised), the others counted.
    #[test]
    fn repeats_differing_in_case_and_spacing_are_counted_as_duplicates(
        bases in proptest::collection::vec("[a-zA-Z0-9éÉ]{1,8}( [a-zA-Z0-9]{1,8}){0,2}", 1..8),
        picks in proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<bool>(), 0usize..3, 0usize..3, any::<bool>()),
            1..40,
        ),
    ) {
        let mut keys = HashSet::new();
        let bases: Vec<String> = bases.into_iter().filter(|b| keys.insert(keyword_key(b))).collect();
        let mut text = "keyword\n".to_owned();
        let mut first_seen = HashSet::new();
        let mut expected = Vec::new();
        for (index, upper, before, after, wide) in &picks {
            let base = &bases[index.index(bases.len())];
            let mut cell = if *upper { base.to_uppercase() } else { base.to_lowercase() };
            if *wide {
                cell = cell.replace(' ', " \t ");
            }
            let cell = format!("{}{cell}{}", " ".repeat(*before), "\u{a0}".repeat(*after));
            if first_seen.insert(keyword_key(base)) {
                expected.push(normalise_keyword(&cell).expect("a keyword"));
            }
            text.push_str(&cell);
            text.push('\n');
        }
        let parsed = parse_import(text.as_bytes()).expect("parses");
        let read: Vec<_> = parsed.keywords.iter().map(|k| k.keyword.clone()).collect();
        prop_assert_eq!(read, expected.clone());
        prop_assert_eq!(parsed.duplicates, (picks.len() - expected.len()) as u64);
        prop_assert!(parsed.errors.is_empty());
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
