//! What operators do to the platform (the staff API and console): plans, accounts, users,
//! subscriptions, usage, reference data, AI settings and the audit log. Every change is
//! audited in the same transaction, with the operator as the actor.

pub mod account_limits;
pub mod accounts;
pub mod ai_settings;
pub mod audit_log;
mod change;
pub mod credits;
pub mod dashboard;
pub mod industries;
pub mod plans;
pub mod prompts;
pub mod seed_keywords;
mod slug;
pub mod subscriptions;
pub mod usage;
pub mod users;
