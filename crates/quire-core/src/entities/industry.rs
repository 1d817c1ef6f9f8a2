//! An industry of the global reference data (operator-managed).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "industries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::industry_sector::Entity")]
    IndustrySector,
}

impl Related<super::industry_sector::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::IndustrySector.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
