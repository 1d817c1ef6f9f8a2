//! What operators do to the platform (the staff API and console): plans, accounts, users,
//! subscriptions, usage, reference data, AI settings and the audit log. Every change is
//! audited in the same transaction, with the operator as the actor.

mod change;
pub mod industries;
pub mod plans;
pub mod seed_keywords;
mod slug;
