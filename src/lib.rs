//! artifactd: the Prefect 3 artifacts REST API over embedded SQLite.
//!
//! Layout: `routes/` holds thin HTTP handlers, `schemas/` the wire types and
//! their validation (shaped like Prefect's pydantic errors), `db/` every SQL
//! statement, `fixtures` the loader/exporter of the shared fixture format.

pub mod access;
pub mod cli;
pub mod coerce;
pub mod connections;
pub mod db;
pub mod error;
pub mod events;
pub mod fixtures;
pub mod import;
pub mod openapi;
pub mod orchestration;
pub mod prefect_ui;
pub mod prefect_client;
pub mod push;
pub mod pyjson;
pub mod routes;
pub mod schemas;
pub mod services;
pub mod startup;
pub mod timefmt;
pub mod ui;

/// The Prefect server version whose wire behaviour artifactd implements.
pub const PREFECT_VERSION: &str = "3.9.1";
