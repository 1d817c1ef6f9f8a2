//! CSV export of the caller's keywords, with the list's filters and ordering.

use super::{DEFAULT_ORDER, KeywordFilter, SORT_KEYS, filtered};
use crate::{
    Error,
    accounts::principal::Tenant,
    db::Db,
    entities::{cluster, enums::KeywordStatus, keyword},
    listing,
    planner::keyword_csv::{ExportRow, write_export},
};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Func},
};
use std::collections::HashMap;

/// Ids per `IN (…)` list.
const IDS_PER_QUERY: usize = 500;

/// Every keyword of the caller that `filter` keeps, in the list's order, as the CSV of
/// [`write_export`] (`keyword,volume,difficulty,intent,cluster,status`, formulas escaped).
/// The file is built in memory (about 5 MB for 100,000 keywords), off the async runtime.
pub async fn export_csv(
    db: &Db,
    tenant: &Tenant,
    filter: KeywordFilter,
    ordering: Option<&str>,
) -> Result<Vec<u8>, Error> {
    let ordering = listing::parse_ordering_or(ordering, SORT_KEYS, DEFAULT_ORDER)?;
    let mut select = filtered(tenant, &filter)?;
    for (column, order) in ordering {
        // Text sorts as the list sorts it: ignoring case.
        select = if matches!(column, keyword::Column::Keyword) {
            select.order_by(Expr::expr(Func::lower(Expr::col(column))), order)
        } else {
            select.order_by(column, order)
        };
    }
    let keywords = select.order_by_asc(keyword::Column::Id).all(db).await?;

    let mut cluster_ids: Vec<i64> = keywords.iter().filter_map(|k| k.cluster_id).collect();
    cluster_ids.sort_unstable();
    cluster_ids.dedup();
    let mut names = HashMap::new();
    for chunk in cluster_ids.chunks(IDS_PER_QUERY) {
        names.extend(
            cluster::Entity::find()
                .select_only()
                .columns([cluster::Column::Id, cluster::Column::Name])
                .filter(cluster::Column::AccountId.eq(tenant.account.id))
                .filter(cluster::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<(i64, String)>()
                .all(db)
                .await?,
        );
    }

    tokio::task::spawn_blocking(move || {
        let mut out = Vec::with_capacity(64 + keywords.len() * 48);
        write_export(
            &mut out,
            keywords.iter().map(|k| ExportRow {
                keyword: &k.keyword,
                volume: Some(k.volume),
                difficulty: k.difficulty,
                intent: k.intent,
                cluster: k
                    .cluster_id
                    .and_then(|id| names.get(&id))
                    .map(String::as_str),
                status: status_label(k.status),
            }),
        )
        .map(|()| out)
    })
    .await
    .map_err(|err| Error::Internal(format!("the CSV writer stopped: {err}")))?
    .map_err(|err| Error::Internal(format!("writing the export: {err}")))
}

fn status_label(status: KeywordStatus) -> &'static str {
    match status {
        KeywordStatus::Active => "active",
        KeywordStatus::Archived => "archived",
    }
}
