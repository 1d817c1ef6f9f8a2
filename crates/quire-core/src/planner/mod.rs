//! Planner: keywords, clustering, ideas.

pub mod clustering;
