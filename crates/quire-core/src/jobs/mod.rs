//! Jobs: the table-backed queue every AI operation runs through, and its workers.

pub mod assistant;
pub mod queue;
pub mod worker;

/// Every job kind this build can run: the planner's and the writer's AI operations.
pub fn handlers() -> worker::Handlers {
    use crate::planner::{auto_cluster, idea_generation};
    use crate::writer::{generation, regeneration};
    use std::sync::Arc;
    worker::Handlers::default()
        .with(auto_cluster::KIND, Arc::new(auto_cluster::AutoClusterJob))
        .with(
            idea_generation::KIND,
            Arc::new(idea_generation::GenerateIdeasJob),
        )
        .with(generation::KIND, Arc::new(generation::GenerateArticleJob))
        .with(
            regeneration::KIND,
            Arc::new(regeneration::RegenerateSectionJob),
        )
}
