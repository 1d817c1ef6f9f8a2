//! Planner: keywords, clustering, ideas.

pub mod auto_cluster;
pub mod cluster_totals;
pub mod clustering;
pub mod clusters;
pub mod idea_generation;
pub mod ideas;
pub mod input;
pub mod keyword_csv;
pub mod keywords;
pub mod scope;
pub mod stored_json;
