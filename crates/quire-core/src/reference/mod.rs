//! Global reference data: industries, their sectors and the seed-keyword library. A starter
//! set ships in `data/reference/` and is loaded into an empty database.

pub mod catalogue;
pub mod starter;
