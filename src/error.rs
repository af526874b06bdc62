//! One error type for every handler, answered in the reference's shapes:
//! `{"detail": …}` for 4xx with a message, and the validation body
//! `{"exception_message", "exception_detail", "request_body"}` for 422.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde_json::{json, Value};

use crate::pyjson;
use crate::schemas::validate::ErrorItem;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("request validation failed")]
    Validation { errors: Vec<ErrorItem>, body: Value },
    /// A 422 that the reference raises by hand, with a plain `detail`.
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body stopped arriving; the connection is closed after the answer.
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found(detail: &str) -> Self {
        ApiError::NotFound(detail.to_string())
    }

    fn body(&self) -> Value {
        match self {
            ApiError::Validation { errors, body } => json!({
                "exception_message": "Invalid request received.",
                "exception_detail": errors.iter().map(ErrorItem::to_json).collect::<Vec<_>>(),
                "request_body": body,
            }),
            ApiError::Internal(_) => json!({
                "exception_message": "Internal Server Error"
            }),
            other => json!({ "detail": other.to_string() }),
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation { .. } | ApiError::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "request failed"),
            // A missing row is an answer, not a refusal; an unserved path
            // or method is logged once per path by `routes`.
            ApiError::NotFound(_) | ApiError::MethodNotAllowed(_) => {}
            refused => tracing::warn!(status = self.status_code().as_u16(), reason = %refused, "request refused"),
        }
        let mut resp = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::RequestTimeout(_)) {
            // The rest of the body may still come; this connection is done.
            resp.force_close();
        }
        resp.content_type("application/json").body(pyjson::to_starlette_json(&self.body()))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
