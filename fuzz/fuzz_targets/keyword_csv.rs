//! Fuzzes the planner's keyword CSV import: any bytes are read or refused, and what is read
//! adds up, keeps to the row cap, names only lines of the file and holds normalised keywords.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::planner::keyword_csv::{MAX_ROWS, normalise_keyword, parse_import};

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = parse_import(data) else {
        return;
    };
    let found = parsed.keywords.len() + parsed.errors.len();
    assert_eq!(parsed.rows, found as u64 + parsed.duplicates);
    assert!(parsed.rows <= MAX_ROWS as u64);
    // Every line break (`\n`, `\r` or both) starts at most one more line.
    let lines = 1 + data.iter().filter(|b| matches!(b, b'\n' | b'\r')).count() as u64;
    let keyword_lines = parsed.keywords.iter().map(|k| k.line);
    let mut reported: Vec<u64> = keyword_lines
        .chain(parsed.errors.iter().map(|e| e.line))
        .collect();
    assert!(
        reported.iter().all(|line| (1..=lines).contains(line)),
        "{reported:?} of {lines}"
    );
    reported.sort_unstable();
    reported.dedup();
    assert_eq!(reported.len(), found, "a line was reported twice");
    for keyword in &parsed.keywords {
        assert_eq!(
            normalise_keyword(&keyword.keyword).as_deref(),
            Some(keyword.keyword.as_str())
        );
    }
});
