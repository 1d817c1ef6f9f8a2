//! Planner: keywords, clustering, ideas.

pub mod keyword_csv;
