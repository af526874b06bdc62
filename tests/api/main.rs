//! Integration tests: every test starts the real server on port 0 over a
//! real SQLite database and talks HTTP to it.

mod access;
mod artifacts;
mod conformance;
mod filters_related;
mod fixtures;
mod helpers;
mod hostile;
mod latest;
mod openapi;
mod runs;
mod schemathesis_found;
mod ui;
mod validation;
