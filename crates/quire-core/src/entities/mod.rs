//! SeaORM entities, one module per table, and the string enums stored in them.

pub mod account;
pub mod ai_usage_log;
pub mod audit_log;
pub mod cluster;
pub mod content;
pub mod content_idea;
pub mod content_version;
pub mod credit_transaction;
pub mod enums;
pub mod industry;
pub mod industry_sector;
pub mod instance_secret;
pub mod job;
pub mod keyword;
pub mod model_rate;
pub mod operation_price;
pub mod payment;
pub mod plan;
pub mod prompt_override;
pub mod refresh_token_family;
pub mod sector;
pub mod seed_keyword;
pub mod site;
pub mod subscription;
pub mod task;
pub mod user;
