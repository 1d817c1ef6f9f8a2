//! Credits: the ledger (the one place a balance moves) and, later, reservations and pricing.

pub mod ledger;
