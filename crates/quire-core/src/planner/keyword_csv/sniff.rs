//! The start of an upload: encoding marks, binary content, and the delimiter.

use super::ImportError;
use std::io::{self, Chain, Cursor, Read};

/// How much is read ahead to find the end of the first line.
const SNIFF_LIMIT: usize = 64 * 1024;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// Delimiters a `sep=` line may name.
const SEP_HINTS: [u8; 4] = [b',', b';', b'\t', b'|'];
const TAIL: &[u8] = b"\n\"\n";

pub(super) type Stream<R> = Chain<Chain<Cursor<Vec<u8>>, CrAsLf<R>>, &'static [u8]>;

/// The upload again, without the marks, and what was learned from its first line.
///
/// The stream ends with [`TAIL`]: its newline ends a last row that had none; in a quoted
/// cell left open, the newline falls inside the cell, the quote closes it and the second
/// newline ends the row. What is left over is a blank row. So every row ends with `\n`.
pub(super) struct Sniffed<R> {
    pub stream: Stream<R>,
    pub delimiter: u8,
    /// Lines before the stream (a `sep=` line), added back to line numbers.
    pub skipped_lines: u64,
}

pub(super) fn sniff<R: Read>(mut reader: R) -> Result<Sniffed<R>, ImportError> {
    let mut head = read_head(&mut reader)?;
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(not_csv("the file is UTF-16 text; save it as CSV UTF-8"));
    }
    if head.contains(&0) {
        return Err(binary());
    }
    // A first line ended by a lone `\r`: old Mac line ends ("CSV (Macintosh)" in Excel).
    let cr_only = !head.contains(&b'\n') && head.contains(&b'\r');
    let reader = CrAsLf {
        inner: reader,
        active: cr_only,
    };
    reader.translate(&mut head);
    let mut start = if head.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let line_end = head[start..]
        .iter()
        .position(|b| *b == b'\n')
        .map(|at| start + at);
    let first_line = &head[start..line_end.unwrap_or(head.len())];
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    let (delimiter, skipped_lines) = match sep_hint(first_line) {
        Some(delimiter) => {
            start = line_end.map_or(head.len(), |at| at + 1);
            (delimiter, 1)
        }
        None => (count_delimiters(first_line), 0),
    };
    let mut head = Cursor::new(head);
    head.set_position(start as u64);
    Ok(Sniffed {
        stream: head.chain(reader).chain(TAIL),
        delimiter,
        skipped_lines,
    })
}

/// Turns every `\r` into `\n` when `active`, so old Mac files read as lines.
pub(super) struct CrAsLf<R> {
    inner: R,
    active: bool,
}

impl<R> CrAsLf<R> {
    fn translate(&self, bytes: &mut [u8]) {
        if self.active {
            for byte in bytes.iter_mut().filter(|byte| **byte == b'\r') {
                *byte = b'\n';
            }
        }
    }
}

impl<R: Read> Read for CrAsLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.translate(&mut buf[..read]);
        Ok(read)
    }
}

pub(super) fn not_csv(reason: &str) -> ImportError {
    ImportError::NotCsv(reason.to_owned())
}

pub(super) fn binary() -> ImportError {
    not_csv("the file holds binary data")
}

/// Reads until the first newline, the end of the input, or [`SNIFF_LIMIT`] bytes.
fn read_head<R: Read>(reader: &mut R) -> Result<Vec<u8>, ImportError> {
    let mut head = Vec::new();
    let mut chunk = [0; 8 * 1024];
    while head.len() < SNIFF_LIMIT && !head.contains(&b'\n') {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => head.extend_from_slice(&chunk[..read]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(ImportError::Io(err.to_string())),
        }
    }
    Ok(head)
}

/// Excel's `sep=;` first line.
fn sep_hint(line: &[u8]) -> Option<u8> {
    match line {
        [s, e, p, b'=', delimiter]
            if [s, e, p].map(u8::to_ascii_lowercase) == *b"sep"
                && SEP_HINTS.contains(delimiter) =>
        {
            Some(*delimiter)
        }
        _ => None,
    }
}

/// The most frequent of comma, semicolon and tab outside quotes; ties go to tab, then
/// semicolon; none at all means comma.
fn count_delimiters(line: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut tabs) = (0, 0, 0);
    let mut quoted = false;
    for byte in line {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            b'\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    let mut best = (b',', commas);
    for (delimiter, count) in [(b';', semicolons), (b'\t', tabs)] {
        if count > 0 && count >= best.1 {
            best = (delimiter, count);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_most_frequent_outside_quotes() {
        assert_eq!(count_delimiters(b"keyword,volume,difficulty"), b',');
        assert_eq!(count_delimiters(b"keyword;volume;difficulty"), b';');
        assert_eq!(count_delimiters(b"keyword\tvolume"), b'\t');
        assert_eq!(count_delimiters(b"\"a;b;c\",1"), b',');
        assert_eq!(count_delimiters(b"shoes;1,200"), b';');
        assert_eq!(count_delimiters(b"just a keyword"), b',');
    }

    #[test]
    fn a_sep_line_names_the_delimiter() {
        assert_eq!(sep_hint(b"sep=;"), Some(b';'));
        assert_eq!(sep_hint(b"SEP=|"), Some(b'|'));
        assert_eq!(sep_hint(b"sep=x"), None);
        assert_eq!(sep_hint(b"sep=;;"), None);
    }
}
