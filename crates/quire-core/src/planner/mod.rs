//! Planner: keywords, clustering, ideas.

pub mod cluster_totals;
pub mod clustering;
pub mod keyword_csv;
pub mod keywords;
pub mod scope;
pub mod stored_json;
