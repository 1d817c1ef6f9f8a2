//! Writer: tasks (the brief for one article), their articles with sections and versions.

pub mod sections;
pub mod tasks;
pub mod versions;
