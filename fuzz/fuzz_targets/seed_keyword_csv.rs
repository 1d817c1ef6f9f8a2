//! Fuzzes the seed-keyword CSV reader: any bytes are read or refused, and a file that is read
//! names each of its rows once, on a line of the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::admin::seed_keywords::read_file;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = read_file(data) else {
        return;
    };
    let lines = 1 + data.iter().filter(|b| matches!(b, b'\n' | b'\r')).count() as u64;
    let mut reported: Vec<u64> = file
        .row_lines()
        .chain(file.errors().iter().map(|e| e.line))
        .collect();
    let found = reported.len();
    assert!(
        reported.iter().all(|line| (2..=lines).contains(line)),
        "{reported:?} of {lines}"
    );
    reported.sort_unstable();
    reported.dedup();
    assert_eq!(reported.len(), found, "a line was reported twice");
});
