//! Writing keywords as CSV for spreadsheets.

use super::{ImportError, text::escape_formula, values::intent_label};
use crate::entities::enums::KeywordIntent;
use csv::{Terminator, WriterBuilder};
use std::io::Write;

const HEADER: [&str; 6] = [
    "keyword",
    "volume",
    "difficulty",
    "intent",
    "cluster",
    "status",
];
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// One exported keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRow<'a> {
    pub keyword: &'a str,
    pub volume: Option<i64>,
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
    pub cluster: Option<&'a str>,
    pub status: &'a str,
}

/// Writes keywords as CSV, streaming: a UTF-8 byte-order mark (so Excel reads the file as
/// UTF-8), the header `keyword,volume,difficulty,intent,cluster,status`, CRLF line ends.
/// Text cells that start with `=`, `+`, `-`, `@`, tab or carriage return (or with `'`s
/// followed by one of them) get a leading `'`, so a spreadsheet shows them as text instead
/// of running them as formulas (OWASP's CSV-injection advice); import removes it again.
pub fn write_export<'a, W: Write>(
    mut writer: W,
    rows: impl IntoIterator<Item = ExportRow<'a>>,
) -> Result<(), ImportError> {
    writer.write_all(UTF8_BOM).map_err(io_error)?;
    let mut csv = WriterBuilder::new()
        .terminator(Terminator::CRLF)
        .from_writer(writer);
    csv.write_record(HEADER).map_err(csv_error)?;
    for row in rows {
        let volume = number(row.volume);
        let difficulty = number(row.difficulty.map(i64::from));
        csv.write_record([
            escape_formula(row.keyword).as_ref(),
            volume.as_str(),
            difficulty.as_str(),
            row.intent.map(intent_label).unwrap_or_default(),
            escape_formula(row.cluster.unwrap_or_default()).as_ref(),
            escape_formula(row.status).as_ref(),
        ])
        .map_err(csv_error)?;
    }
    csv.flush().map_err(io_error)
}

fn number(value: Option<i64>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn io_error(err: std::io::Error) -> ImportError {
    ImportError::Io(err.to_string())
}

fn csv_error(err: csv::Error) -> ImportError {
    ImportError::Io(err.to_string())
}
