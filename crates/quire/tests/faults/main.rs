//! Fault tests on PostgreSQL, against the real `quire` binary: a server killed mid-job, the
//! database going away under load, a model that hangs, and two nodes sharing one database.
//! Each test is skipped, saying why, when `QUIRE_TEST_POSTGRES_URL` is not set.

mod fixture;
mod hanging_model;
mod killed_server;
mod outage;
mod two_nodes;
