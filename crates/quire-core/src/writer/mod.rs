//! Writer: tasks (the brief for one article); content generation grows here.

pub mod tasks;
