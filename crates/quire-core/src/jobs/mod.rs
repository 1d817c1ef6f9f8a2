//! Jobs: the table-backed queue every AI operation runs through, and its workers.

pub mod queue;
pub mod worker;

/// Every job kind this build can run. AI operations (clustering, ideas, articles) register
/// their handlers here as they are added.
pub fn handlers() -> worker::Handlers {
    worker::Handlers::default()
}
