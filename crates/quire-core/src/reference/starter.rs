//! Loads the starter reference data (14 industries, 59 industry sectors, ~1,500 seed
//! keywords) into an empty database, in one transaction.

use crate::{
    db::{self, Db, begin_write},
    entities::{enums::KeywordIntent, industry, industry_sector, seed_keyword},
};
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait, Set};
use serde::Deserialize;
use std::collections::HashMap;

const INDUSTRIES: &str = include_str!("../../data/reference/industries.csv");
const INDUSTRY_SECTORS: &str = include_str!("../../data/reference/industry_sectors.csv");
const SEED_KEYWORDS: &str = include_str!("../../data/reference/seed_keywords.csv");
/// Rows per INSERT: well under SQLite's 32,766 bound parameters.
const CHUNK: usize = 500;

#[derive(Deserialize)]
struct IndustryRow {
    slug: String,
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct IndustrySectorRow {
    slug: String,
    industry_slug: String,
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct SeedKeywordRow {
    keyword: String,
    industry_sector_slug: String,
    volume: i64,
    difficulty: i32,
    intent: KeywordIntent,
    country: String,
    language: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StarterError {
    #[error("starter data file: {0}")]
    Csv(#[from] csv::Error),
    #[error("starter data refers to an unknown {0}")]
    UnknownReference(String),
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

fn rows<T: for<'de> Deserialize<'de>>(text: &str) -> Result<Vec<T>, csv::Error> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect()
}

/// Writes the starter set when there are no industries yet; `Ok(false)` when there were.
/// Two nodes starting together race harmlessly: the loser's unique slugs roll it back.
pub async fn seed_if_empty(db: &Db) -> Result<bool, StarterError> {
    if industry::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let industries: Vec<IndustryRow> = rows(INDUSTRIES)?;
    let sectors: Vec<IndustrySectorRow> = rows(INDUSTRY_SECTORS)?;
    let keywords: Vec<SeedKeywordRow> = rows(SEED_KEYWORDS)?;
    let now = Utc::now();

    let txn = begin_write(db).await?;
    let outcome = async {
        let mut industry_ids = HashMap::new();
        for row in &industries {
            let inserted = industry::Entity::insert(industry::ActiveModel {
                slug: Set(row.slug.clone()),
                name: Set(row.name.clone()),
                description: Set(row.description.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            industry_ids.insert(row.slug.as_str(), inserted.last_insert_id);
        }
        let mut sector_ids = HashMap::new();
        for row in &sectors {
            let industry_id = *industry_ids
                .get(row.industry_slug.as_str())
                .ok_or_else(|| StarterError::UnknownReference(row.industry_slug.clone()))?;
            let inserted = industry_sector::Entity::insert(industry_sector::ActiveModel {
                industry_id: Set(industry_id),
                slug: Set(row.slug.clone()),
                name: Set(row.name.clone()),
                description: Set(row.description.clone()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            sector_ids.insert(row.slug.as_str(), inserted.last_insert_id);
        }
        for chunk in keywords.chunks(CHUNK) {
            let models = chunk
                .iter()
                .map(|row| {
                    let sector_id = *sector_ids
                        .get(row.industry_sector_slug.as_str())
                        .ok_or_else(|| {
                            StarterError::UnknownReference(row.industry_sector_slug.clone())
                        })?;
                    Ok(seed_keyword::ActiveModel {
                        industry_sector_id: Set(sector_id),
                        keyword: Set(row.keyword.clone()),
                        volume: Set(row.volume),
                        difficulty: Set(row.difficulty),
                        intent: Set(row.intent),
                        country: Set(row.country.clone()),
                        language: Set(row.language.clone()),
                        created_at: Set(now),
                        ..Default::default()
                    })
                })
                .collect::<Result<Vec<_>, StarterError>>()?;
            seed_keyword::Entity::insert_many(models).exec(&txn).await?;
        }
        Ok::<_, StarterError>(())
    }
    .await;
    match outcome {
        Ok(()) => {
            txn.commit().await?;
            Ok(true)
        }
        Err(StarterError::Database(err)) if db::is_unique_violation(&err) => Ok(false),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_starter_files_parse_and_hold_together() {
        let industries: Vec<IndustryRow> = rows(INDUSTRIES).expect("industries");
        let sectors: Vec<IndustrySectorRow> = rows(INDUSTRY_SECTORS).expect("sectors");
        let keywords: Vec<SeedKeywordRow> = rows(SEED_KEYWORDS).expect("keywords");
        assert!(industries.len() >= 10);
        assert!(sectors.len() >= 40);
        assert!(keywords.len() >= 1_000);

        let industry_slugs: HashSet<&str> = industries.iter().map(|i| i.slug.as_str()).collect();
        assert!(
            sectors
                .iter()
                .all(|s| industry_slugs.contains(s.industry_slug.as_str()))
        );
        let sector_slugs: HashSet<&str> = sectors.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(sector_slugs.len(), sectors.len(), "sector slugs are unique");
        let mut seen = HashSet::new();
        for keyword in &keywords {
            assert!(sector_slugs.contains(keyword.industry_sector_slug.as_str()));
            assert!(
                (0..=100).contains(&keyword.difficulty),
                "{}",
                keyword.keyword
            );
            assert!(keyword.volume >= 0);
            assert!(
                seen.insert((
                    keyword.industry_sector_slug.as_str(),
                    keyword.keyword.to_lowercase()
                )),
                "duplicate {}",
                keyword.keyword
            );
        }
        for intent in [
            KeywordIntent::Informational,
            KeywordIntent::Commercial,
            KeywordIntent::Transactional,
            KeywordIntent::Navigational,
        ] {
            assert!(keywords.iter().any(|k| k.intent == intent), "{intent:?}");
        }
    }
}
