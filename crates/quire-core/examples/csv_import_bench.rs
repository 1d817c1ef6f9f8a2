//! Times the keyword CSV import on a generated 100,000-row file.

use quire_core::planner::keyword_csv::{MAX_ROWS, parse_import};
use std::{error::Error, fmt::Write, time::Instant};

const RUNS: usize = 5;
const INTENTS: [&str; 5] = ["informational", "commercial", "trans", "nav", ""];

fn main() -> Result<(), Box<dyn Error>> {
    let mut text = String::from("Keyword,Search Volume,KD,Intent,Notes\r\n");
    for i in 0..MAX_ROWS {
        writeln!(
            text,
            "\"best  running shoes {i}, size {}\",\"{},{:03}\",{},{},note {i}\r",
            i % 47,
            i % 90 + 1,
            i % 1000,
            i % 101,
            INTENTS[i % INTENTS.len()],
        )?;
    }
    let mut timings = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let parsed = parse_import(text.as_bytes())?;
        timings.push(started.elapsed());
        assert_eq!(
            parsed.keywords.len(),
            MAX_ROWS,
            "{:?}",
            parsed.errors.first()
        );
    }
    timings.sort();
    let median = timings[RUNS / 2];
    println!(
        "{MAX_ROWS} rows, {:.1} MB: median {median:.1?}, best {:.1?} ({:.0} rows/s)",
        text.len() as f64 / 1e6,
        timings[0],
        MAX_ROWS as f64 / median.as_secs_f64(),
    );
    Ok(())
}
