//! Events: the `Event`/`ReceivedEvent` schema, `EventFilter` (parsing, SQL,
//! in-memory matching), storage, the server's own emitted events and the
//! live feed of committed events.

pub mod bus;
pub mod emit;
pub mod filter;
pub mod schema;
pub mod store;
