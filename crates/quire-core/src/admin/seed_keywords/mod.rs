//! The seed-keyword library as operators manage it: create, change, delete one keyword, and
//! import a CSV file. A keyword is unique in its industry sector ignoring case (Unicode lower
//! case, compared in Rust so SQLite agrees with PostgreSQL). Every change is audited; an
//! import is one audit row with its counts.

mod import;

pub use import::{ImportOutcome, SeedFile, import_csv, read_file};

use super::change::{Change, record};
use crate::{
    Error, ValidationErrors,
    db::{Db, begin_write},
    entities::{enums::KeywordIntent, industry_sector, seed_keyword},
    planner::keyword_csv::{clean_keyword, keyword_key},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A seed keyword to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSeedKeyword {
    /// Trimmed, whitespace collapsed, at most 255 characters; unique in its industry sector
    /// ignoring case.
    pub keyword: String,
    pub industry_sector_id: i64,
    /// Monthly searches, 0 or more.
    pub volume: i64,
    /// 0 to 100.
    pub difficulty: i32,
    pub intent: KeywordIntent,
    /// ISO 3166-1 alpha-2, e.g. `US` (stored in upper case).
    pub country: String,
    /// ISO 639-1, optionally with a region: `en`, `pt-BR`.
    pub language: String,
}

/// The fields a PATCH may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SeedKeywordPatch {
    pub keyword: Option<String>,
    pub industry_sector_id: Option<i64>,
    pub volume: Option<i64>,
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
    pub country: Option<String>,
    pub language: Option<String>,
}

/// Every field of a seed keyword; also what the audit log shows of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct SeedFields {
    keyword: String,
    industry_sector_id: i64,
    volume: i64,
    difficulty: i32,
    intent: KeywordIntent,
    country: String,
    language: String,
}

impl From<NewSeedKeyword> for SeedFields {
    fn from(k: NewSeedKeyword) -> Self {
        Self {
            keyword: k.keyword,
            industry_sector_id: k.industry_sector_id,
            volume: k.volume,
            difficulty: k.difficulty,
            intent: k.intent,
            country: k.country,
            language: k.language,
        }
    }
}

impl From<&seed_keyword::Model> for SeedFields {
    fn from(k: &seed_keyword::Model) -> Self {
        Self {
            keyword: k.keyword.clone(),
            industry_sector_id: k.industry_sector_id,
            volume: k.volume,
            difficulty: k.difficulty,
            intent: k.intent,
            country: k.country.clone(),
            language: k.language.clone(),
        }
    }
}

impl SeedFields {
    fn patched(self, patch: SeedKeywordPatch) -> Self {
        Self {
            keyword: patch.keyword.unwrap_or(self.keyword),
            industry_sector_id: patch.industry_sector_id.unwrap_or(self.industry_sector_id),
            volume: patch.volume.unwrap_or(self.volume),
            difficulty: patch.difficulty.unwrap_or(self.difficulty),
            intent: patch.intent.unwrap_or(self.intent),
            country: patch.country.unwrap_or(self.country),
            language: patch.language.unwrap_or(self.language),
        }
    }

    /// The fields tidied and checked: text rules, the industry sector exists, and no other
    /// keyword of it has the same text ignoring case.
    async fn checked(
        self,
        conn: &impl ConnectionTrait,
        except: Option<i64>,
    ) -> Result<Self, Error> {
        let mut errors = ValidationErrors::default();
        let keyword = clean_keyword(&self.keyword).unwrap_or_else(|problem| {
            errors.add("keyword", sentence(problem));
            String::new()
        });
        if self.volume < 0 {
            errors.add("volume", "Must be 0 or more.");
        }
        if !(0..=100).contains(&self.difficulty) {
            errors.add("difficulty", "Must be from 0 to 100.");
        }
        let country = country_code(&self.country).unwrap_or_else(|message| {
            errors.add("country", message);
            String::new()
        });
        let language = language_code(&self.language).unwrap_or_else(|message| {
            errors.add("language", message);
            String::new()
        });
        let sector_exists = industry_sector::Entity::find_by_id(self.industry_sector_id)
            .one(conn)
            .await?
            .is_some();
        if !sector_exists {
            errors.add("industry_sector_id", "No such industry sector.");
        }
        if sector_exists && !keyword.is_empty() {
            let key = keyword_key(&keyword);
            let mut same_sector = seed_keyword::Entity::find()
                .select_only()
                .column(seed_keyword::Column::Keyword)
                .filter(seed_keyword::Column::IndustrySectorId.eq(self.industry_sector_id));
            if let Some(id) = except {
                same_sector = same_sector.filter(seed_keyword::Column::Id.ne(id));
            }
            let texts: Vec<String> = same_sector.into_tuple().all(conn).await?;
            if texts.iter().any(|text| keyword_key(text) == key) {
                errors.add("keyword", DUPLICATE);
            }
        }
        errors.into_result()?;
        Ok(Self {
            keyword,
            country,
            language,
            ..self
        })
    }

    fn write(self, row: &mut seed_keyword::ActiveModel) {
        row.keyword = Set(self.keyword);
        row.industry_sector_id = Set(self.industry_sector_id);
        row.volume = Set(self.volume);
        row.difficulty = Set(self.difficulty);
        row.intent = Set(self.intent);
        row.country = Set(self.country);
        row.language = Set(self.language);
    }
}

const DUPLICATE: &str = "This industry sector already has this keyword.";

/// `keyword is empty` → `The keyword is empty.`
fn sentence(problem: &str) -> String {
    format!("The {problem}.")
}

/// A two-letter ISO 3166-1 country code in upper case.
pub(crate) fn country_code(text: &str) -> Result<String, &'static str> {
    let code = text.trim().to_ascii_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("Use a two-letter ISO 3166 country code, e.g. US.")
    }
}

/// An ISO 639-1 language code, lower case, with an optional two-letter region in upper case:
/// `en`, `pt-BR`.
pub(crate) fn language_code(text: &str) -> Result<String, &'static str> {
    let text = text.trim().replace('_', "-");
    let (language, region) = match text.split_once('-') {
        Some((language, region)) => (language, Some(region)),
        None => (text.as_str(), None),
    };
    let letters = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic());
    if letters(language) && region.is_none_or(letters) {
        let language = language.to_ascii_lowercase();
        Ok(match region {
            Some(region) => format!("{language}-{}", region.to_ascii_uppercase()),
            None => language,
        })
    } else {
        Err("Use a two-letter ISO 639 language code, optionally with a region: en, pt-BR.")
    }
}

fn snapshot(keyword: &seed_keyword::Model) -> serde_json::Value {
    serde_json::to_value(SeedFields::from(keyword)).unwrap_or_default()
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<seed_keyword::Model, Error> {
    seed_keyword::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn create(
    db: &Db,
    operator_id: i64,
    input: NewSeedKeyword,
    now: DateTime<Utc>,
) -> Result<seed_keyword::Model, Error> {
    let txn = begin_write(db).await?;
    let fields = SeedFields::from(input).checked(&txn, None).await?;
    let mut row = seed_keyword::ActiveModel {
        created_at: Set(now),
        ..Default::default()
    };
    fields.write(&mut row);
    let created = row.insert(&txn).await.map_err(duplicate)?;
    record(
        &txn,
        Change {
            operator_id,
            action: "seed_keyword.created",
            object_type: "seed_keyword",
            object_id: Some(created.id),
            before: None,
            after: Some(snapshot(&created)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

pub async fn update(
    db: &Db,
    operator_id: i64,
    id: i64,
    patch: SeedKeywordPatch,
    now: DateTime<Utc>,
) -> Result<seed_keyword::Model, Error> {
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    let fields = SeedFields::from(&current)
        .patched(patch)
        .checked(&txn, Some(id))
        .await?;
    let before = snapshot(&current);
    let mut row: seed_keyword::ActiveModel = current.into();
    fields.write(&mut row);
    let updated = row.update(&txn).await.map_err(duplicate)?;
    record(
        &txn,
        Change {
            operator_id,
            action: "seed_keyword.updated",
            object_type: "seed_keyword",
            object_id: Some(id),
            before: Some(before),
            after: Some(snapshot(&updated)),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a seed keyword; tenants' keywords taken from it keep their text and lose the link.
pub async fn delete(db: &Db, operator_id: i64, id: i64, now: DateTime<Utc>) -> Result<(), Error> {
    let txn = begin_write(db).await?;
    let current = get(&txn, id).await?;
    seed_keyword::Entity::delete_by_id(id).exec(&txn).await?;
    record(
        &txn,
        Change {
            operator_id,
            action: "seed_keyword.deleted",
            object_type: "seed_keyword",
            object_id: Some(id),
            before: Some(snapshot(&current)),
            after: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The same text written at the same instant by someone else.
fn duplicate(err: sea_orm::DbErr) -> Error {
    if crate::db::is_unique_violation(&err) {
        Error::Validation(ValidationErrors::single("keyword", DUPLICATE))
    } else {
        Error::Database(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters_in_upper_case() {
        assert_eq!(country_code(" us ").as_deref(), Ok("US"));
        for bad in ["", "USA", "U1", "ü"] {
            assert!(country_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn language_codes_may_carry_a_region() {
        assert_eq!(language_code("EN").as_deref(), Ok("en"));
        assert_eq!(language_code("pt-br").as_deref(), Ok("pt-BR"));
        assert_eq!(language_code("pt_BR").as_deref(), Ok("pt-BR"));
        for bad in ["", "eng", "en-", "en-USA", "e1", "en-US-x"] {
            assert!(language_code(bad).is_err(), "{bad}");
        }
    }
}
