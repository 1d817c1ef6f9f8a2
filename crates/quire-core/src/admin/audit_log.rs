//! Reading the audit log: newest first, filtered by actor, action (or its prefix), account,
//! object, days and text. The log is append-only: nothing here changes it.

use crate::{
    Error, ValidationErrors,
    db::Db,
    entities::audit_log,
    listing::{self, Page, PageRequest, SortKeys},
};
use chrono::{Days, NaiveDate, NaiveTime};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::LikeExpr};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// `user:{id}` or `system:{part}`, exactly.
    pub actor: Option<String>,
    /// An action (`payment.confirmed`), or a prefix ending in `.` (`payment.`).
    pub action: Option<String>,
    pub account_id: Option<i64>,
    pub object_type: Option<String>,
    pub object_id: Option<i64>,
    /// First UTC day included (`YYYY-MM-DD`).
    pub from: Option<NaiveDate>,
    /// Last UTC day included (`YYYY-MM-DD`).
    pub to: Option<NaiveDate>,
    /// Case-insensitive text in the before or after JSON.
    pub search: Option<String>,
}

pub const SORT_KEYS: SortKeys<audit_log::Column> = &[
    ("id", audit_log::Column::Id),
    ("created_at", audit_log::Column::CreatedAt),
];

/// `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The audit rows the filter selects, newest first unless ordered otherwise.
pub async fn list(
    db: &Db,
    filter: AuditFilter,
    ordering: Option<&str>,
    page: PageRequest,
) -> Result<Page<audit_log::Model>, Error> {
    let ordering = listing::parse_ordering_or(
        ordering,
        SORT_KEYS,
        (audit_log::Column::Id, sea_orm::Order::Desc),
    )?;
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(Error::Validation(ValidationErrors::single(
            "to",
            "The last day comes before the first.",
        )));
    }
    let mut select = audit_log::Entity::find();
    if let Some(actor) = filter.actor {
        select = select.filter(audit_log::Column::Actor.eq(actor.trim()));
    }
    if let Some(action) = filter.action.as_deref().map(str::trim) {
        select = select.filter(if action.ends_with('.') {
            audit_log::Column::Action
                .like(LikeExpr::new(format!("{}%", escape_like(action))).escape('\\'))
        } else {
            audit_log::Column::Action.eq(action)
        });
    }
    if let Some(account_id) = filter.account_id {
        select = select.filter(audit_log::Column::AccountId.eq(account_id));
    }
    if let Some(object_type) = filter.object_type {
        select = select.filter(audit_log::Column::ObjectType.eq(object_type.trim()));
    }
    if let Some(object_id) = filter.object_id {
        select = select.filter(audit_log::Column::ObjectId.eq(object_id));
    }
    if let Some(from) = filter.from {
        select = select
            .filter(audit_log::Column::CreatedAt.gte(from.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(next_day) = filter.to.and_then(|to| to.checked_add_days(Days::new(1))) {
        select = select
            .filter(audit_log::Column::CreatedAt.lt(next_day.and_time(NaiveTime::MIN).and_utc()));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.trim().is_empty()) {
        select = select.filter(listing::search(
            term,
            &[audit_log::Column::Before, audit_log::Column::After],
        ));
    }
    listing::fetch_page(db, select, &ordering, page).await
}
