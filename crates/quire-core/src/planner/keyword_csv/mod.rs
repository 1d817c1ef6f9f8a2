//! The keyword CSV format: a streaming import with per-row errors, and the export.

mod columns;
mod export;
mod import;
mod records;
mod sniff;
mod text;
mod values;

#[cfg(test)]
pub(crate) mod proptests;
#[cfg(test)]
mod tests;

use crate::entities::enums::KeywordIntent;

pub use export::{ExportRow, write_export};
pub use import::parse_import;
pub use text::{keyword_key, normalise_keyword};
pub(crate) use {
    columns::column_name,
    records::Records,
    text::{clean_keyword, unescape_formula},
    values::{parse_difficulty, parse_intent, parse_volume},
};

/// The most data rows one import may hold.
pub const MAX_ROWS: usize = 100_000;
/// The longest keyword, in characters, after normalisation.
pub const MAX_KEYWORD_CHARS: usize = 255;

/// A valid, first-seen row of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKeyword {
    /// The 1-based physical line where the row starts.
    pub line: u64,
    /// Normalised text.
    pub keyword: String,
    pub volume: Option<i64>,
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
}

/// Why one row was not imported; the row's other cells are not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The 1-based physical line where the row starts.
    pub line: u64,
    /// Every problem of the row, joined with `; `.
    pub message: String,
}

/// What a file held. `rows == keywords.len() + errors.len() + duplicates`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedImport {
    pub keywords: Vec<ImportedKeyword>,
    pub errors: Vec<RowError>,
    /// Valid rows whose keyword appeared earlier in the file.
    pub duplicates: u64,
    /// Data rows read: neither the header nor blank rows.
    pub rows: u64,
}

/// Why a whole file was refused (import) or could not be written (export).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Not a CSV text file; the message says why, in words for the user.
    #[error("not a CSV file: {0}")]
    NotCsv(String),
    #[error("more than {limit} rows")]
    TooManyRows { limit: usize },
    /// No data rows: an empty file, blank lines, or a header alone.
    #[error("the file holds no keywords")]
    Empty,
    /// Reading or writing the stream failed.
    #[error("reading or writing the file: {0}")]
    Io(String),
}
