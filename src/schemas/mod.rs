//! Wire types with the reference's names, and their validation.

pub mod artifact;
pub mod filters;
pub mod logs;
pub mod parameter_schema;
pub mod query;
pub mod resource_query;
pub mod run_history;
pub mod deployments;
pub mod runs;
pub mod validate;
pub mod variables;
pub mod work_pools;
pub mod saved_searches;
pub mod json_schema;
