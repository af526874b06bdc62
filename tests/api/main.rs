//! Integration tests: every test starts the real server on port 0 over a
//! real SQLite database and talks HTTP to it.

mod access;
mod access_matrix;
mod artifacts;
mod conformance;
mod events;
mod deployments;
mod filters_related;
mod fixtures;
mod headers;
mod helpers;
mod hostile;
mod latest;
mod limits;
mod openapi;
mod orchestration;
mod prefect_ui;
mod runs;
mod scenarios;
mod schemathesis_found;
mod states;
mod ui_runs;
mod ui;
mod validation;
mod ui_api;
mod testing_endpoints;
