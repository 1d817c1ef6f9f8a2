//! CSV import: an uploaded file parsed off the async runtime, its new keywords stored in one
//! transaction.

use super::batch::{NewRow, insert_new};
use crate::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    db::{Db, begin_write},
    planner::{
        keyword_csv::{ImportError, RowError, keyword_key, parse_import},
        scope,
    },
    tenancy::lock_account,
};

/// Where an import goes: one of the caller's sectors (and, when given, its site).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportTarget {
    pub sector_id: i64,
    pub site_id: Option<i64>,
}

/// What an import did. `rows` counts the file's data rows; each one was created, is a
/// duplicate (earlier in the file, or already in the sector), or has an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub rows: u64,
    pub created: u64,
    pub duplicates: u64,
    /// Rows that were not imported, with their line in the file.
    pub errors: Vec<RowError>,
}

/// Imports a keyword CSV (the format of
/// [`parse_import`](crate::planner::keyword_csv::parse_import)) into a sector. The file is
/// parsed on a blocking thread; a file that is not CSV, is empty or has more than 100,000
/// rows is refused (400 on `file`) and nothing is written. Otherwise the valid rows not yet
/// in the sector are inserted in one transaction, and rows with errors are reported. No
/// credits are charged.
pub async fn import_csv(
    db: &Db,
    tenant: &Tenant,
    target: ImportTarget,
    file: impl AsRef<[u8]> + Send + 'static,
) -> Result<ImportOutcome, Error> {
    // A wrong sector is reported before the file is read.
    scope::sector_of_request(db, tenant, target.sector_id, target.site_id).await?;
    let parsed = tokio::task::spawn_blocking(move || parse_import(file.as_ref()))
        .await
        .map_err(|err| Error::Internal(format!("the CSV parser stopped: {err}")))?
        .map_err(refused_file)?;

    let txn = begin_write(db).await?;
    lock_account(&txn, tenant.account.id).await?;
    let sector = scope::sector_of_request(&txn, tenant, target.sector_id, target.site_id).await?;
    let attempted = parsed.keywords.len() as u64;
    let rows = parsed.keywords.into_iter().map(|row| NewRow {
        key: keyword_key(&row.keyword),
        keyword: row.keyword,
        seed_keyword_id: None,
        volume: row.volume.unwrap_or(0),
        difficulty: row.difficulty,
        intent: row.intent,
    });
    let created = insert_new(&txn, &sector, rows).await?;
    txn.commit().await?;
    Ok(ImportOutcome {
        rows: parsed.rows,
        created,
        duplicates: parsed.duplicates + (attempted - created),
        errors: parsed.errors,
    })
}

/// A whole-file refusal as a field error on `file`.
pub(crate) fn refused_file(err: ImportError) -> Error {
    let message = match err {
        ImportError::NotCsv(reason) => format!("This file cannot be imported as CSV: {reason}."),
        ImportError::TooManyRows { limit } => format!(
            "The file has more than {} rows; split it into smaller files.",
            grouped(limit)
        ),
        ImportError::Empty => "The file holds no keywords.".to_owned(),
        ImportError::Io(reason) => return Error::Internal(format!("reading an upload: {reason}")),
    };
    Error::Validation(ValidationErrors::single("file", message))
}

/// `100000` as `100,000`.
pub(super) fn grouped(number: usize) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
