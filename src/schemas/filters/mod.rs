//! The filter language of the artifact endpoints. Each filter type parses
//! itself from JSON (reporting errors as the reference's pydantic models do)
//! and writes its own SQL condition with bound parameters.

pub mod artifacts;
pub mod deployments;
pub mod flow_runs;
pub mod flows;
pub mod sql;
pub mod task_runs;

use crate::coerce::{self, Problem};
use crate::schemas::validate::{Errors, Model};
use serde_json::Value;

/// `operator`: `and_` (default) or `or_`. Returns true for `or_`.
pub fn operator(m: &Model, errs: &mut Errors) -> bool {
    m.opt("operator", errs, |v| coerce::enumeration(v, &["and_", "or_"]))
        .map(|s| s == "or_")
        .unwrap_or(false)
}

/// A UUID list item, normalised to the stored lowercase hyphenated form.
pub fn uuid_text(v: &Value) -> Result<String, Problem> {
    coerce::uuid(v).map(|u| u.hyphenated().to_string())
}
