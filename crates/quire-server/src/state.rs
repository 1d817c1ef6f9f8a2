//! What every handler gets: the services' context and the metrics registry.

use crate::metrics::Metrics;
use quire_core::Quire;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub quire: Arc<Quire>,
    pub metrics: Arc<Metrics>,
}
