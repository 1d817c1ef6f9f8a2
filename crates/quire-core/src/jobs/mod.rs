//! Jobs: the table-backed queue every AI operation runs through, and its workers.

pub mod queue;
pub mod worker;

/// Every job kind this build can run. AI operations (clustering, ideas, articles) register
/// their handlers here as they are added.
pub fn handlers() -> worker::Handlers {
    use crate::planner::{auto_cluster, idea_generation};
    use std::sync::Arc;
    worker::Handlers::default()
        .with(auto_cluster::KIND, Arc::new(auto_cluster::AutoClusterJob))
        .with(
            idea_generation::KIND,
            Arc::new(idea_generation::GenerateIdeasJob),
        )
}
