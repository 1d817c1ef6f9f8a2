//! Inserting many keywords into one sector with multi-row INSERTs, skipping those it holds.

use crate::{
    Error,
    entities::{
        enums::{KeywordIntent, KeywordStatus},
        keyword, sector,
    },
};
use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, Set, sea_query::OnConflict};

/// Rows per INSERT: 13 columns make 6,500 bound parameters, well under SQLite's 32,766 and
/// PostgreSQL's 65,535.
const BATCH_ROWS: usize = 500;

/// A keyword to insert: normalised text and its [`keyword_key`](crate::planner::keyword_csv::keyword_key).
pub(super) struct NewRow {
    pub keyword: String,
    pub key: String,
    pub seed_keyword_id: Option<i64>,
    pub volume: i64,
    pub difficulty: Option<i32>,
    pub intent: Option<KeywordIntent>,
}

/// Inserts `rows` into `sector` as active, unclustered keywords, in batches on `conn` (the
/// caller's transaction). Rows whose key the sector already holds are skipped by the
/// unique index (`ON CONFLICT DO NOTHING`), so a concurrent add cannot fail the batch; the
/// answer is how many were inserted. The rows' keys must differ from each other.
pub(super) async fn insert_new(
    conn: &impl ConnectionTrait,
    sector: &sector::Model,
    rows: impl IntoIterator<Item = NewRow>,
) -> Result<u64, Error> {
    let now = Utc::now();
    let mut rows = rows.into_iter().peekable();
    let mut inserted = 0;
    while rows.peek().is_some() {
        let batch: Vec<keyword::ActiveModel> = rows
            .by_ref()
            .take(BATCH_ROWS)
            .map(|row| keyword::ActiveModel {
                account_id: Set(sector.account_id),
                site_id: Set(sector.site_id),
                sector_id: Set(sector.id),
                keyword_key: Set(row.key),
                keyword: Set(row.keyword),
                seed_keyword_id: Set(row.seed_keyword_id),
                volume: Set(row.volume),
                difficulty: Set(row.difficulty),
                intent: Set(row.intent),
                status: Set(KeywordStatus::Active),
                cluster_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .collect();
        inserted += keyword::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::columns([keyword::Column::SectorId, keyword::Column::KeywordKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(inserted)
}
