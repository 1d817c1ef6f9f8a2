//! Reading the plan catalogue.

use crate::{db::Db, entities::plan};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Active plans in the operator's order.
pub async fn list_active(db: &Db) -> Result<Vec<plan::Model>, sea_orm::DbErr> {
    plan::Entity::find()
        .filter(plan::Column::IsActive.eq(true))
        .order_by_asc(plan::Column::SortOrder)
        .order_by_asc(plan::Column::Id)
        .all(db)
        .await
}
