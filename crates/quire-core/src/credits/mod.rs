//! Credits: the ledger (the one place a balance moves), reservations, pricing and the daily AI
//! ceiling.

pub mod daily_ceiling;
pub mod ledger;
pub mod pricing;
pub mod reservations;
pub mod statement;
pub mod usage;
