//! Reading an upload row by row into keywords, row errors and a duplicate count.

use super::{
    ImportError, ImportedKeyword, MAX_ROWS, ParsedImport, RowError,
    columns::Columns,
    records::Records,
    text::{clean_keyword, keyword_key, unescape_formula},
    values::{parse_difficulty, parse_intent, parse_volume},
};
use csv::StringRecord;
use std::{collections::HashSet, io::Read};

/// Reads a keyword CSV from any reader, streaming. Whole-file problems (not CSV, more than
/// [`MAX_ROWS`] rows, no rows, a failing reader) are errors, so the caller writes nothing;
/// problems of single rows are collected in [`ParsedImport::errors`]. The rules:
///
/// - **Encoding**: UTF-8, with or without a byte-order mark. Anything else (invalid UTF-8,
///   UTF-16, NUL bytes) is refused as [`ImportError::NotCsv`] and nothing is returned.
/// - **Line ends**: LF or CRLF; a lone CR (old Mac files) when the first line ends in one.
/// - **Delimiter**: a first line `sep=X` (Excel's hint; X one of `,` `;` tab `|`) sets it.
///   Otherwise commas, semicolons and tabs outside quotes are counted on the first line;
///   the most frequent wins, ties going to tab, then semicolon, then comma; a line with
///   none of them means comma (a one-column file).
/// - **Header**: the first non-blank row is a header when one of its cells is a known
///   column name (case, spaces, `_` and `-` ignored): `keyword`, `keywords`, `query`,
///   `queries`, `term`, `search term`, `search query`, `top queries` for the keyword;
///   `volume`, `search volume`, `avg. monthly searches`, `avg monthly searches`,
///   `monthly searches`, `searches`; `difficulty`, `keyword difficulty`, `kd`, `kd %`,
///   `kd%`; `intent`, `search intent`.
///   Columns may come in any order; unknown ones are ignored; the first of two same
///   columns wins. A header without a keyword column is refused as not CSV. Without a
///   header, columns are positional: keyword, volume, difficulty, intent.
/// - **Rows**: blank rows (no cell with text) are skipped and not counted. A row with
///   more non-empty cells than the first row is an error (usually an unquoted `1,200`).
///   Volume is a whole number ≥ 0, its thousands grouped or not: `1,200`, `1.200`,
///   `1 200` (also with a no-break or thin space) and `1'200` are all 1200 (in a comma
///   file a `1,200` must be quoted); a `1.000` is a thousand, as in a `;` file. An
///   all-zero fraction (`1200.0`, as pandas writes) is accepted. Difficulty is a whole
///   number 0–100.
///   Intent is one of the four values in any case, or any beginning of one (`i`, `info`,
///   `comm`, `trans`, `nav`…). Empty optional cells mean unknown.
/// - **Keywords** are normalised ([`normalise_keyword`](super::normalise_keyword)); a
///   keyword cell starting with `'` and a formula character loses the `'` (undoing the
///   export's escape). Duplicates within the file (by [`keyword_key`](super::keyword_key))
///   are skipped and counted; the first occurrence wins.
/// - **Lines** in errors are 1-based physical lines where the row starts, so quoted
///   newlines, blank lines, CRLF and a `sep=` line all count.
pub fn parse_import<R: Read>(reader: R) -> Result<ParsedImport, ImportError> {
    parse_with_limit(reader, MAX_ROWS)
}

pub(super) fn parse_with_limit<R: Read>(
    reader: R,
    limit: usize,
) -> Result<ParsedImport, ImportError> {
    let mut records = Records::new(reader)?;
    let mut columns = None;
    let mut seen = HashSet::new();
    let mut parsed = ParsedImport::default();
    while let Some((line, record)) = records.next_row()? {
        let columns = match &columns {
            Some(columns) => columns,
            None => {
                let (found, header) = Columns::from_first_row(record)?;
                let columns = columns.insert(found);
                if header {
                    continue;
                }
                columns
            }
        };
        parsed.rows += 1;
        if parsed.rows > limit as u64 {
            return Err(ImportError::TooManyRows { limit });
        }
        match read_row(record, columns, line) {
            Ok(keyword) => {
                if seen.insert(keyword_key(&keyword.keyword)) {
                    parsed.keywords.push(keyword);
                } else {
                    parsed.duplicates += 1;
                }
            }
            Err(message) => parsed.errors.push(RowError { line, message }),
        }
    }
    if parsed.rows == 0 {
        return Err(ImportError::Empty);
    }
    Ok(parsed)
}

/// One data row, or every problem it has.
fn read_row(
    record: &StringRecord,
    columns: &Columns,
    line: u64,
) -> Result<ImportedKeyword, String> {
    let cell = |index: Option<usize>| {
        index
            .and_then(|index| record.get(index))
            .unwrap_or_default()
            .trim()
    };
    let mut problems = Vec::new();
    if record
        .iter()
        .skip(columns.width)
        .any(|cell| !cell.trim().is_empty())
    {
        problems.push(format!(
            "the row has {} cells but the first row has {}; quote values that contain the delimiter",
            record.len(),
            columns.width
        ));
    }
    let keyword =
        clean_keyword(unescape_formula(cell(Some(columns.keyword)))).map_err(str::to_owned);
    let keyword = noted(keyword, &mut problems);
    let volume = noted(parse_volume(cell(columns.volume)), &mut problems);
    let difficulty = noted(parse_difficulty(cell(columns.difficulty)), &mut problems);
    let intent = noted(parse_intent(cell(columns.intent)), &mut problems);
    match (keyword, volume, difficulty, intent) {
        (Some(keyword), Some(volume), Some(difficulty), Some(intent)) if problems.is_empty() => {
            Ok(ImportedKeyword {
                line,
                keyword,
                volume,
                difficulty,
                intent,
            })
        }
        _ => Err(problems.join("; ")),
    }
}

fn noted<T>(result: Result<T, String>, problems: &mut Vec<String>) -> Option<T> {
    result.map_err(|problem| problems.push(problem)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_limit_refuses_one_row_more() {
        let rows = |count: usize| (0..count).map(|i| format!("k{i}\n")).collect::<String>();
        let at_limit = parse_with_limit(rows(5).as_bytes(), 5).expect("five rows");
        assert_eq!(at_limit.keywords.len(), 5);
        assert_eq!(
            parse_with_limit(rows(6).as_bytes(), 5),
            Err(ImportError::TooManyRows { limit: 5 })
        );
        let header_and_blank_lines_do_not_count = format!("keyword\n\n,,\n{}", rows(5));
        assert!(parse_with_limit(header_and_blank_lines_do_not_count.as_bytes(), 5).is_ok());
    }
}
