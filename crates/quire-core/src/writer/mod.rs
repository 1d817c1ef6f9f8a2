//! Writer: tasks (the brief for one article), article generation and section rewrites as
//! jobs, and the articles with their sections, versions, edits and exports.

pub mod content;
pub mod export;
pub mod generation;
pub mod regeneration;
pub mod sections;
pub mod tasks;
pub mod versions;
