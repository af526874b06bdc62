//! Background services started with the server.

pub mod event_retention;
