//! CSV import into the seed-keyword library: the file read off the async runtime with the
//! planner's CSV reader (encodings, delimiters, line numbers, row cap), then all of it
//! written in one transaction, or nothing when any row is wrong.

use super::{
    super::change::{Change, record},
    country_code, language_code,
};
use crate::{
    Error,
    db::{Db, begin_write},
    entities::{enums::KeywordIntent, industry_sector, seed_keyword},
    planner::{
        keyword_csv::{
            ImportError, MAX_ROWS, Records, RowError, clean_keyword, column_name, keyword_key,
            parse_difficulty, parse_intent, parse_volume, unescape_formula,
        },
        keywords::refused_file,
    },
};
use chrono::{DateTime, Utc};
use csv::StringRecord;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, sea_query::OnConflict};
use serde_json::json;
use std::{
    collections::{HashMap, HashSet},
    io::Read,
};

/// Rows per INSERT: 9 columns make 4,500 bound parameters, well under SQLite's 32,766.
const BATCH_ROWS: usize = 500;

/// The columns of the header, as [`column_name`] reads them; each must be there.
const COLUMNS: [&str; 7] = [
    "keyword",
    "industry sector",
    "volume",
    "difficulty",
    "intent",
    "country",
    "language",
];
/// Other names of the `industry_sector` column (the starter data's file says `_slug`).
const SECTOR_ALIASES: [&str; 2] = ["industry sector id", "industry sector slug"];

/// What an import did: every data row was created or is a duplicate (of an earlier row of
/// the file, or of a keyword the industry sector already has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub rows: u64,
    pub created: u64,
    pub duplicates: u64,
}

/// How a row names its industry sector: by id (digits only) or by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SectorRef {
    Id(i64),
    Slug(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SeedRow {
    line: u64,
    keyword: String,
    sector: SectorRef,
    volume: i64,
    difficulty: i32,
    intent: KeywordIntent,
    country: String,
    language: String,
}

/// A seed-keyword file as read, before any industry sector is looked up: its valid rows
/// and every other row's problems.
#[derive(Debug, Default)]
pub struct SeedFile {
    rows: Vec<SeedRow>,
    errors: Vec<RowError>,
}

impl SeedFile {
    /// The lines where the valid rows start, in file order.
    pub fn row_lines(&self) -> impl Iterator<Item = u64> + '_ {
        self.rows.iter().map(|row| row.line)
    }

    /// The rows with problems, in file order.
    pub fn errors(&self) -> &[RowError] {
        &self.errors
    }
}

/// Reads a seed-keyword file without touching the database: what [`import_csv`] checks
/// before it looks anything up. Whole-file problems are errors, as there.
pub fn read_file(file: impl Read) -> Result<SeedFile, ImportError> {
    parse(file, MAX_ROWS)
}

/// Imports a seed-keyword CSV: a header naming `keyword`, `industry_sector` (an id, or a
/// slug in any case), `volume`, `difficulty`, `intent`, `country` and `language` in any
/// order (other columns are ignored), then one keyword per row with every cell filled. A
/// file that is not CSV, lacks a column, holds no rows or more than 100,000 is a 400 on
/// `file`; rows with errors are `InvalidRows` with their lines. Either way nothing is
/// written. Otherwise new keywords are written in one transaction; repeats (in the file, or
/// already in the industry sector, ignoring case) are skipped and counted.
pub async fn import_csv(
    db: &Db,
    operator_id: i64,
    file: impl AsRef<[u8]> + Send + 'static,
    now: DateTime<Utc>,
) -> Result<ImportOutcome, Error> {
    let parsed = tokio::task::spawn_blocking(move || read_file(file.as_ref()))
        .await
        .map_err(|err| Error::Internal(format!("the CSV parser stopped: {err}")))?
        .map_err(refused_file)?;
    let rows = parsed.rows.len() as u64 + parsed.errors.len() as u64;

    let txn = begin_write(db).await?;
    let sectors: Vec<(i64, String)> = industry_sector::Entity::find()
        .select_only()
        .columns([industry_sector::Column::Id, industry_sector::Column::Slug])
        .into_tuple()
        .all(&txn)
        .await?;
    let ids: HashSet<i64> = sectors.iter().map(|(id, _)| *id).collect();
    let by_slug: HashMap<String, i64> = sectors
        .into_iter()
        .map(|(id, slug)| (slug.to_lowercase(), id))
        .collect();
    let mut errors = parsed.errors;
    let mut resolved = Vec::with_capacity(parsed.rows.len());
    for row in parsed.rows {
        let sector_id = match &row.sector {
            SectorRef::Id(id) => ids.contains(id).then_some(*id),
            SectorRef::Slug(slug) => by_slug.get(slug).copied(),
        };
        match sector_id {
            Some(sector_id) => resolved.push((sector_id, row)),
            None => errors.push(RowError {
                line: row.line,
                message: match row.sector {
                    SectorRef::Id(id) => format!("industry_sector {id} does not exist"),
                    SectorRef::Slug(slug) => {
                        format!("industry_sector \"{slug}\" is not an industry sector's slug")
                    }
                },
            }),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(Error::InvalidRows(errors));
    }

    let used: Vec<i64> = resolved
        .iter()
        .map(|(id, _)| *id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut seen: HashSet<(i64, String)> = HashSet::new();
    for chunk in used.chunks(BATCH_ROWS) {
        let held: Vec<(i64, String)> = seed_keyword::Entity::find()
            .select_only()
            .columns([
                seed_keyword::Column::IndustrySectorId,
                seed_keyword::Column::Keyword,
            ])
            .filter(seed_keyword::Column::IndustrySectorId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(&txn)
            .await?;
        seen.extend(held.into_iter().map(|(id, text)| (id, keyword_key(&text))));
    }
    let mut new = resolved
        .into_iter()
        .filter(|(sector_id, row)| seen.insert((*sector_id, keyword_key(&row.keyword))))
        .map(|(sector_id, row)| seed_keyword::ActiveModel {
            industry_sector_id: Set(sector_id),
            keyword: Set(row.keyword),
            volume: Set(row.volume),
            difficulty: Set(row.difficulty),
            intent: Set(row.intent),
            country: Set(row.country),
            language: Set(row.language),
            created_at: Set(now),
            ..Default::default()
        })
        .peekable();
    let mut created = 0;
    while new.peek().is_some() {
        let batch: Vec<_> = new.by_ref().take(BATCH_ROWS).collect();
        // A keyword written by someone else meanwhile is skipped, like any duplicate.
        created += seed_keyword::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::columns([
                    seed_keyword::Column::IndustrySectorId,
                    seed_keyword::Column::Keyword,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let outcome = ImportOutcome {
        rows,
        created,
        duplicates: rows - created,
    };
    record(
        &txn,
        Change {
            operator_id,
            action: "seed_keyword.imported",
            object_type: "seed_keyword",
            object_id: None,
            before: None,
            after: Some(json!({
                "rows": outcome.rows,
                "created": outcome.created,
                "duplicates": outcome.duplicates,
                "industry_sector_ids": used,
            })),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Cell indexes of the columns, in the order of [`COLUMNS`].
type Columns = [usize; COLUMNS.len()];

/// The header's column positions; a first row that is not a full header is refused.
fn header_columns(header: &StringRecord) -> Result<Columns, ImportError> {
    let names: Vec<String> = header.iter().map(column_name).collect();
    let find = |wanted: &str| {
        names.iter().position(|name| {
            name == wanted || (wanted == "industry sector" && SECTOR_ALIASES.contains(&&**name))
        })
    };
    let found: Vec<Option<usize>> = COLUMNS.iter().map(|wanted| find(wanted)).collect();
    let missing: Vec<String> = COLUMNS
        .iter()
        .zip(&found)
        .filter(|(_, at)| at.is_none())
        .map(|(name, _)| name.replace(' ', "_"))
        .collect();
    if missing.len() == COLUMNS.len() {
        return Err(ImportError::NotCsv(
            "the first row must be a header naming the columns keyword, industry_sector, \
             volume, difficulty, intent, country and language"
                .to_owned(),
        ));
    }
    if !missing.is_empty() {
        return Err(ImportError::NotCsv(format!(
            "the header has no {} column",
            missing.join(", ")
        )));
    }
    let mut columns = [0; COLUMNS.len()];
    for (slot, at) in columns.iter_mut().zip(found.into_iter().flatten()) {
        *slot = at;
    }
    Ok(columns)
}

/// Reads the file: its rows, or every row's problems; at most `limit` data rows.
fn parse(file: impl Read, limit: usize) -> Result<SeedFile, ImportError> {
    let mut records = Records::new(file)?;
    let mut header: Option<(Columns, usize)> = None;
    let mut parsed = SeedFile::default();
    let mut count = 0;
    while let Some((line, record)) = records.next_row()? {
        let Some((columns, width)) = header else {
            header = Some((header_columns(record)?, record.len()));
            continue;
        };
        count += 1;
        if count > limit {
            return Err(ImportError::TooManyRows { limit });
        }
        match read_row(record, &columns, width, line) {
            Ok(row) => parsed.rows.push(row),
            Err(message) => parsed.errors.push(RowError { line, message }),
        }
    }
    if count == 0 {
        return Err(ImportError::Empty);
    }
    Ok(parsed)
}

/// One data row, or all of its problems joined with `; `.
fn read_row(
    record: &StringRecord,
    columns: &Columns,
    width: usize,
    line: u64,
) -> Result<SeedRow, String> {
    let [
        keyword,
        sector,
        volume,
        difficulty,
        intent,
        country,
        language,
    ] = columns.map(|index| record.get(index).unwrap_or_default().trim());
    let mut problems = Vec::new();
    if record
        .iter()
        .skip(width)
        .any(|cell| !cell.trim().is_empty())
    {
        problems.push(format!(
            "the row has {} cells but the header has {width}; quote values that contain the \
             delimiter",
            record.len()
        ));
    }
    let p = &mut problems;
    let keyword = noted(
        clean_keyword(unescape_formula(keyword)).map_err(str::to_owned),
        p,
    );
    let sector = noted(sector_ref(sector), p);
    let volume = noted(required(parse_volume(volume), "volume"), p);
    let difficulty = noted(required(parse_difficulty(difficulty), "difficulty"), p);
    let intent = noted(required(parse_intent(intent), "intent"), p);
    let country = noted(
        country_code(country).map_err(|m| format!("country: {m}")),
        p,
    );
    let language = noted(
        language_code(language).map_err(|m| format!("language: {m}")),
        p,
    );
    match (
        keyword, sector, volume, difficulty, intent, country, language,
    ) {
        (
            Some(keyword),
            Some(sector),
            Some(volume),
            Some(difficulty),
            Some(intent),
            Some(country),
            Some(language),
        ) if problems.is_empty() => Ok(SeedRow {
            line,
            keyword,
            sector,
            volume,
            difficulty,
            intent,
            country,
            language,
        }),
        _ => Err(problems.join("; ")),
    }
}

fn noted<T>(result: Result<T, String>, problems: &mut Vec<String>) -> Option<T> {
    result.map_err(|problem| problems.push(problem)).ok()
}

fn required<T>(cell: Result<Option<T>, String>, column: &str) -> Result<T, String> {
    cell?.ok_or_else(|| format!("{column} is empty"))
}

fn sector_ref(cell: &str) -> Result<SectorRef, String> {
    if cell.is_empty() {
        Err("industry_sector is empty".to_owned())
    } else if cell.bytes().all(|b| b.is_ascii_digit()) {
        cell.parse()
            .map(SectorRef::Id)
            .map_err(|_| format!("industry_sector {cell} is not an id"))
    } else {
        Ok(SectorRef::Slug(cell.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::keyword_csv::{
        normalise_keyword,
        proptests::{check_reported_lines, csv_like},
    };
    use proptest::prelude::*;

    const HEADER: &str = "keyword,industry_sector,volume,difficulty,intent,country,language\n";

    fn parse_text(text: &str) -> Result<SeedFile, ImportError> {
        parse(text.as_bytes(), MAX_ROWS)
    }

    #[test]
    fn rows_follow_the_header_in_any_column_order() {
        let parsed = parse_text(
            "Language;Country;Intent;Difficulty;Volume;Industry_Sector_Slug;Keyword;Notes\n\
             en;us;info;35;\"1.200\";Mental-Health;  therapy   near me ;x\n\
             pt-br;BR;commercial;0;0;7;terapia\n",
        )
        .expect("parses");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(
            parsed.rows,
            vec![
                SeedRow {
                    line: 2,
                    keyword: "therapy near me".to_owned(),
                    sector: SectorRef::Slug("mental-health".to_owned()),
                    volume: 1200,
                    difficulty: 35,
                    intent: KeywordIntent::Informational,
                    country: "US".to_owned(),
                    language: "en".to_owned(),
                },
                SeedRow {
                    line: 3,
                    keyword: "terapia".to_owned(),
                    sector: SectorRef::Id(7),
                    volume: 0,
                    difficulty: 0,
                    intent: KeywordIntent::Commercial,
                    country: "BR".to_owned(),
                    language: "pt-BR".to_owned(),
                },
            ]
        );
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_its_line() {
        let parsed = parse_text(&format!(
            "{HEADER}good,s,1,2,nav,US,en\n\n,,-1,101,buy,USA,english\nok,s,1,2,i,US,en,extra\n"
        ))
        .expect("parses");
        assert_eq!(parsed.rows.len(), 1);
        let lines: Vec<u64> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [4, 5]);
        let message = &parsed.errors[0].message;
        for part in [
            "keyword is empty",
            "industry_sector is empty",
            "volume \"-1\" is negative",
            "difficulty \"101\"",
            "intent \"buy\"",
            "country:",
            "language:",
        ] {
            assert!(message.contains(part), "{part} in {message}");
        }
        assert!(parsed.errors[1].message.contains("quote values"));
    }

    #[test]
    fn a_file_without_a_full_header_or_rows_is_refused() {
        assert!(matches!(
            parse_text("therapy,mental-health,10,20,info,US,en\n"),
            Err(ImportError::NotCsv(reason)) if reason.contains("header naming")
        ));
        assert!(matches!(
            parse_text("keyword,industry_sector,volume\nx,y,1\n"),
            Err(ImportError::NotCsv(reason)) if reason.contains("difficulty, intent, country, language")
        ));
        assert_eq!(parse_text(HEADER).err(), Some(ImportError::Empty));
        assert_eq!(
            parse(
                format!("{HEADER}a,s,1,1,i,US,en\nb,s,1,1,i,US,en\n").as_bytes(),
                1
            )
            .err(),
            Some(ImportError::TooManyRows { limit: 1 })
        );
    }

    fn intent() -> impl Strategy<Value = KeywordIntent> {
        proptest::sample::select(vec![
            KeywordIntent::Informational,
            KeywordIntent::Commercial,
            KeywordIntent::Transactional,
            KeywordIntent::Navigational,
        ])
    }

    fn sector() -> impl Strategy<Value = SectorRef> {
        prop_oneof![
            (0..i64::MAX).prop_map(SectorRef::Id),
            "[a-z][a-z0-9-]{0,12}".prop_map(SectorRef::Slug),
        ]
    }

    fn seed_row() -> impl Strategy<Value = SeedRow> {
        (
            "\\PC{1,30}",
            sector(),
            0..i64::MAX,
            0..=100i32,
            intent(),
            proptest::sample::select(vec!["US", "GB", "BR", "DE"]),
            proptest::sample::select(vec!["en", "pt-BR", "de", "en-GB"]),
        )
            .prop_filter_map(
                "a keyword",
                |(text, sector, volume, difficulty, intent, country, language)| {
                    let keyword = normalise_keyword(&text)?;
                    (unescape_formula(&keyword) == keyword).then(|| SeedRow {
                        line: 0,
                        keyword,
                        sector,
                        volume,
                        difficulty,
                        intent,
                        country: country.to_owned(),
                        language: language.to_owned(),
                    })
                },
            )
    }

    proptest! {
        #[test]
        fn arbitrary_input_is_read_or_refused_and_names_only_its_rows(
            text in csv_like(),
            with_header in any::<bool>(),
            limit in 1usize..8,
        ) {
            let text = if with_header { format!("{HEADER}{text}") } else { text };
            let uncapped = parse(text.as_bytes(), usize::MAX);
            let capped = parse(text.as_bytes(), limit);
            if let Ok(file) = &uncapped {
                let lines = file.row_lines().chain(file.errors().iter().map(|e| e.line));
                check_reported_lines(&text, lines)?;
                let rows = file.rows.len() + file.errors.len();
                if rows > limit {
                    prop_assert_eq!(capped.err(), Some(ImportError::TooManyRows { limit }));
                } else {
                    let capped = capped.expect("under the cap");
                    prop_assert_eq!(&capped.rows, &file.rows);
                    prop_assert_eq!(&capped.errors, &file.errors);
                }
            } else {
                prop_assert_eq!(capped.err(), uncapped.err());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut text = HEADER.as_bytes().to_vec();
            text.extend(bytes);
            let _ = read_file(text.as_slice());
        }

        /// Rows written by a CSV writer, under a header in any column order with an extra
        /// column, are read back exactly, on their lines.
        #[test]
        fn rows_written_by_a_csv_writer_are_read_back_exactly(
            rows in proptest::collection::vec(seed_row(), 1..20),
            columns in Just(vec![
                "keyword", "industry_sector", "volume", "difficulty", "intent", "country",
                "language", "notes",
            ]).prop_shuffle(),
            delimiter in proptest::sample::select(vec![b',', b';', b'\t']),
        ) {
            let mut out = Vec::new();
            let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(&mut out);
            writer.write_record(&columns).expect("header");
            for row in &rows {
                writer
                    .write_record(columns.iter().map(|column| match *column {
                        "keyword" => row.keyword.clone(),
                        "industry_sector" => match &row.sector {
                            SectorRef::Id(id) => id.to_string(),
                            SectorRef::Slug(slug) => slug.to_uppercase(),
                        },
                        "volume" => row.volume.to_string(),
                        "difficulty" => row.difficulty.to_string(),
                        "intent" => format!("{:?}", row.intent),
                        "country" => row.country.to_lowercase(),
                        "language" => row.language.clone(),
                        _ => "a note, with \"quotes\"".to_owned(),
                    }))
                    .expect("row");
            }
            writer.flush().expect("flush");
            drop(writer);
            let file = read_file(out.as_slice()).expect("a written file parses");
            prop_assert_eq!(file.errors(), &[] as &[RowError]);
            let expected: Vec<SeedRow> = rows
                .into_iter()
                .zip(2u64..)
                .map(|(row, line)| SeedRow { line, ..row })
                .collect();
            prop_assert_eq!(file.rows, expected);
        }
    }
}
