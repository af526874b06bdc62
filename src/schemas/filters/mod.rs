//! The filter language of the artifact endpoints. Each filter type parses
//! itself from JSON (reporting errors as the reference's pydantic models do)
//! and writes its own SQL condition with bound parameters.

pub mod artifacts;
pub mod common;
pub mod deployments;
pub mod flow_runs;
pub mod flows;
pub mod sql;
pub mod task_runs;
pub mod variables;

use crate::coerce::{self, Problem};
use crate::schemas::validate::{key, Errors, Model};
use serde_json::Value;

/// `operator`: `and_` (default) or `or_`. Returns true for `or_`.
/// The field has a default but is not Optional, so an explicit `null` is an
/// enum error, as in the reference.
pub fn operator(m: &Model, errs: &mut Errors) -> bool {
    match m.raw("operator") {
        None => false,
        Some(v) => match coerce::enumeration(v, &["and_", "or_"]) {
            Ok(s) => s == "or_",
            Err(p) => {
                errs.push(&key(m.loc(), "operator"), v, p);
                false
            }
        },
    }
}

/// A UUID list item, normalised to the stored lowercase hyphenated form.
pub fn uuid_text(v: &Value) -> Result<String, Problem> {
    coerce::uuid(v).map(|u| u.hyphenated().to_string())
}
