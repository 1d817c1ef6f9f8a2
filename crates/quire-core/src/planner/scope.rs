//! Where a planner or writer row lives: a sector of the caller's (with its site), checked
//! once for every service that takes a `sector_id` in a request body.

use crate::{
    Error, ValidationErrors, accounts::principal::Tenant, entities::sector, tenancy::sectors,
};
use sea_orm::ConnectionTrait;

/// The caller's sector `sector_id`; when `site_id` is given it must be that sector's site.
/// Another tenant's sector reads exactly like a missing one: a 400 on `sector_id`.
pub async fn sector_of_request(
    conn: &impl ConnectionTrait,
    tenant: &Tenant,
    sector_id: i64,
    site_id: Option<i64>,
) -> Result<sector::Model, Error> {
    let sector = match sectors::get(conn, tenant, sector_id).await {
        Err(Error::NotFound) => {
            return Err(Error::Validation(ValidationErrors::single(
                "sector_id",
                "No such sector.",
            )));
        }
        other => other?,
    };
    if site_id.is_some_and(|site| site != sector.site_id) {
        return Err(Error::Validation(ValidationErrors::single(
            "site_id",
            "This sector belongs to another site.",
        )));
    }
    Ok(sector)
}
