//! A job of the table-backed queue: an AI operation with its reservation, lease and progress.

use super::enums::{CreditState, JobStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub user_id: Option<i64>,
    pub kind: String,
    pub status: JobStatus,
    /// 0–100.
    pub progress: i32,
    pub progress_message: String,
    /// JSON.
    pub input: String,
    /// JSON, once succeeded.
    pub result: Option<String>,
    pub error: Option<String>,
    pub reserved_credits: i64,
    pub charged_credits: i64,
    pub credit_state: CreditState,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not claimed before this instant (back-off between attempts).
    pub run_after: DateTimeUtc,
    /// A running job whose lease passes is considered dead.
    pub lease_until: Option<DateTimeUtc>,
    pub worker_id: Option<String>,
    pub cancel_requested: bool,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
