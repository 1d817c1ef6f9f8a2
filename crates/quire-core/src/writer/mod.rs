//! Writer: tasks (the brief for one article), their articles with sections and versions, edits
//! and exports.

pub mod content;
pub mod export;
pub mod sections;
pub mod tasks;
pub mod versions;
