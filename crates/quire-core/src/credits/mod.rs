//! Credits: the ledger (the one place a balance moves), reservations and pricing.

pub mod ledger;
pub mod pricing;
pub mod reservations;
pub mod statement;
pub mod usage;
