//! The error bodies artifactd answers (as the reference answers them, which
//! is not what the reference's own document says: it describes FastAPI's
//! default `{"detail": [...]}` 422, which Prefect replaces).

use serde_json::Value;
use utoipa::ToSchema;

/// A refused request, with a message: `{"detail": "..."}`.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)]
pub struct ErrorDetail {
    pub detail: String,
}

/// An error the reference reports as an exception: `{"exception_message": "..."}`.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)]
pub struct ExceptionMessage {
    pub exception_message: String,
}

/// One validation problem, pydantic's way.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)]
pub struct ValidationError {
    /// Where: `body`, `query` or `path`, then keys and list indexes.
    pub loc: Vec<Value>,
    pub msg: String,
    #[serde(rename = "type")]
    pub type_: String,
    /// The value that was refused.
    #[schema(required = true)]
    pub input: Option<Value>,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub ctx: Value,
}

/// A request that failed validation, with what was sent.
#[derive(ToSchema, serde::Serialize)]
#[allow(dead_code)]
pub struct ValidationErrorResponse {
    pub exception_message: String,
    pub exception_detail: Vec<ValidationError>,
    /// The body as received (null without one).
    #[schema(required = true)]
    pub request_body: Option<Value>,
}

/// A 422: a validation failure, or a refusal with a message (a `limit`
/// above 200, CSRF protection being off).
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Unprocessable {
    Validation(ValidationErrorResponse),
    Refused(ErrorDetail),
}

/// A 404 from `set_state`: no run has the id (`exception_message`), or the
/// path is not a run's (`detail`).
#[derive(ToSchema, serde::Serialize)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum RunNotFound {
    NoSuchRun(ExceptionMessage),
    NoSuchPath(ErrorDetail),
}
