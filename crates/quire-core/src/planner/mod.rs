//! Planner: keywords, clustering, ideas.

pub mod clustering;
pub mod keyword_csv;
