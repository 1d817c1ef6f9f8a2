//! Quire's domain and services: accounts, billing and credits over SQLite or PostgreSQL. No HTTP.

pub mod accounts;
pub mod admin;
pub mod ai;
pub mod audit;
pub mod backup;
pub mod billing;
pub mod clock;
pub mod config;
pub mod credits;
pub mod db;
pub mod entities;
mod error;
pub mod jobs;
pub mod listing;
pub mod notifications;
pub mod planner;
mod quire;
pub mod rate_limits;
pub mod reference;
pub mod tenancy;
pub mod text;
pub mod writer;

pub use error::{Error, Gate, ValidationErrors};
pub use quire::Quire;
