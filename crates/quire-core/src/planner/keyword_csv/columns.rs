//! Which cell holds what: the header row, or the positional default without one.

use super::{ImportError, sniff::not_csv};
use csv::StringRecord;

const KEYWORD_NAMES: [&str; 8] = [
    "keyword",
    "keywords",
    "query",
    "queries",
    "term",
    "search term",
    "search query",
    "top queries",
];
const VOLUME_NAMES: [&str; 6] = [
    "volume",
    "search volume",
    "avg. monthly searches",
    "avg monthly searches",
    "monthly searches",
    "searches",
];
const DIFFICULTY_NAMES: [&str; 5] = ["difficulty", "keyword difficulty", "kd", "kd %", "kd%"];
const INTENT_NAMES: [&str; 2] = ["intent", "search intent"];

/// Cell indexes, from the first non-blank row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Columns {
    pub keyword: usize,
    pub volume: Option<usize>,
    pub difficulty: Option<usize>,
    pub intent: Option<usize>,
    /// Cells in the first row; later rows may not have more non-empty ones.
    pub width: usize,
}

impl Columns {
    /// The columns, and whether the row was a header (and so holds no data).
    pub fn from_first_row(row: &StringRecord) -> Result<(Columns, bool), ImportError> {
        let names: Vec<String> = row.iter().map(column_name).collect();
        let find = |known: &[&str]| names.iter().position(|name| known.contains(&name.as_str()));
        let (keyword, volume, difficulty, intent) = (
            find(&KEYWORD_NAMES),
            find(&VOLUME_NAMES),
            find(&DIFFICULTY_NAMES),
            find(&INTENT_NAMES),
        );
        let width = row.len();
        match keyword {
            Some(keyword) => Ok((
                Columns {
                    keyword,
                    volume,
                    difficulty,
                    intent,
                    width,
                },
                true,
            )),
            None if volume.is_some() || difficulty.is_some() || intent.is_some() => Err(not_csv(
                "the header has no keyword column (keyword, keywords, query or term)",
            )),
            None => Ok((
                Columns {
                    keyword: 0,
                    volume: Some(1),
                    difficulty: Some(2),
                    intent: Some(3),
                    width,
                },
                false,
            )),
        }
    }
}

/// Lowercase, with `_` and `-` as spaces and whitespace collapsed: `Search_Volume` →
/// `search volume`.
pub(crate) fn column_name(cell: &str) -> String {
    cell.to_lowercase()
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_row(cells: &[&str]) -> Result<(Columns, bool), ImportError> {
        Columns::from_first_row(&StringRecord::from(cells.to_vec()))
    }

    #[test]
    fn known_names_in_any_order_and_case_make_a_header() {
        let (columns, header) =
            first_row(&["KD", "Notes", "Search_Volume", " Keyword "]).expect("a header");
        assert!(header);
        assert_eq!(
            columns,
            Columns {
                keyword: 3,
                volume: Some(2),
                difficulty: Some(0),
                intent: None,
                width: 4
            }
        );
    }

    #[test]
    fn a_row_without_known_names_is_data_in_positional_columns() {
        let (columns, header) = first_row(&["red shoes", "1200"]).expect("data");
        assert!(!header);
        assert_eq!(columns.keyword, 0);
        assert_eq!(columns.intent, Some(3));
    }

    #[test]
    fn a_header_without_a_keyword_column_is_refused() {
        assert!(matches!(
            first_row(&["volume", "difficulty"]),
            Err(ImportError::NotCsv(_))
        ));
    }
}
