//! SeaORM entities, one module per table, and the string enums stored in them.

pub mod account;
pub mod credit_transaction;
pub mod enums;
pub mod instance_secret;
pub mod payment;
pub mod plan;
pub mod refresh_token_family;
pub mod subscription;
pub mod user;
