//! Wire types with the reference's names, and their validation.

pub mod artifact;
pub mod filters;
pub mod query;
pub mod validate;
