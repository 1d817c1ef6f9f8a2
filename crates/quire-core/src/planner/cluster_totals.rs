//! Keeps each cluster's `keyword_count` and `total_volume` equal to its keywords, recomputed
//! in the same transaction as whatever moved or changed them.

use crate::{Error, entities::cluster};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

/// Recomputes the totals of `cluster_ids` from their keywords (ids may repeat or be gone).
pub async fn refresh(conn: &impl ConnectionTrait, cluster_ids: &[i64]) -> Result<(), Error> {
    let mut ids = cluster_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // Bound parameters per statement stay well under SQLite's and PostgreSQL's limits.
    for chunk in ids.chunks(500) {
        cluster::Entity::update_many()
            .col_expr(
                cluster::Column::KeywordCount,
                Expr::cust("(SELECT COUNT(*) FROM keywords k WHERE k.cluster_id = clusters.id)"),
            )
            .col_expr(
                cluster::Column::TotalVolume,
                Expr::cust(
                    "(SELECT CAST(COALESCE(SUM(k.volume), 0) AS BIGINT) FROM keywords k \
                     WHERE k.cluster_id = clusters.id)",
                ),
            )
            .col_expr(cluster::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
            .filter(cluster::Column::Id.is_in(chunk.iter().copied()))
            .exec(conn)
            .await?;
    }
    Ok(())
}
