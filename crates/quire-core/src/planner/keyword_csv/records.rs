//! The rows of an upload, streaming: each row with text, and the line where it starts.

use super::{
    ImportError,
    sniff::{Stream, binary, not_csv, sniff},
};
use csv::{ReaderBuilder, StringRecord, Terminator};
use std::io::Read;

/// A CSV upload read row by row, after [`sniff`] found its encoding marks and delimiter.
pub(crate) struct Records<R: Read> {
    csv: csv::Reader<Stream<R>>,
    record: StringRecord,
    /// Lines before the stream (a `sep=` line), added back to line numbers.
    skipped_lines: u64,
}

impl<R: Read> Records<R> {
    /// Starts reading; an upload that is not UTF-8 text is refused as [`ImportError::NotCsv`].
    pub(crate) fn new(reader: R) -> Result<Self, ImportError> {
        let sniffed = sniff(reader)?;
        // Only `\n` ends a row (a `\r` before it is trimmed with the cell), and every row ends
        // with one (see `Sniffed`), so a row's last line is the reader's line count minus one.
        let csv = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sniffed.delimiter)
            .terminator(Terminator::Any(b'\n'))
            .buffer_capacity(64 * 1024)
            .from_reader(sniffed.stream);
        Ok(Self {
            csv,
            record: StringRecord::new(),
            skipped_lines: sniffed.skipped_lines,
        })
    }

    /// The next row with text and the 1-based physical line where it starts (quoted newlines,
    /// blank lines, CRLF and a `sep=` line all count); `None` at the end. Blank rows are
    /// skipped.
    pub(crate) fn next_row(&mut self) -> Result<Option<(u64, &StringRecord)>, ImportError> {
        while self.csv.read_record(&mut self.record).map_err(read_error)? {
            let inner_newlines = checked_newlines(&self.record)?;
            let line = self.csv.position().line() - 1 - inner_newlines + self.skipped_lines;
            if self.record.iter().any(|cell| !cell.trim().is_empty()) {
                return Ok(Some((line, &self.record)));
            }
        }
        Ok(None)
    }
}

fn read_error(err: csv::Error) -> ImportError {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => ImportError::Io(err.to_string()),
        csv::ErrorKind::Utf8 { .. } => not_csv("the file is not UTF-8 text; save it as CSV UTF-8"),
        _ => not_csv("the file could not be read as CSV"),
    }
}

/// The newlines inside the row's quoted cells; a NUL anywhere means binary data.
fn checked_newlines(record: &StringRecord) -> Result<u64, ImportError> {
    let mut newlines = 0;
    for byte in record.as_slice().bytes() {
        match byte {
            0 => return Err(binary()),
            b'\n' => newlines += 1,
            _ => {}
        }
    }
    Ok(newlines)
}
