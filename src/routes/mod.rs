//! HTTP routes under `/api`. Handlers only read the request, call `db`, and
//! write the answer; `schemas` does the validation.

pub mod admin;
pub mod artifacts;
pub mod body;

use std::collections::HashSet;
use std::sync::Mutex;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .configure(admin::configure)
            .configure(artifacts::configure)
            .default_service(web::to(not_found)),
    )
    .default_service(web::to(not_found));
}

static SEEN_UNSUPPORTED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Anything artifactd does not serve: a JSON 404 at once, and a warning the
/// first time each path is asked for, so a user sees what a client needed.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let what = format!("{} {}", req.method(), req.path());
    if let Ok(mut seen) = SEEN_UNSUPPORTED.lock() {
        if seen.get_or_insert_with(HashSet::new).insert(what.clone()) {
            tracing::warn!(request = %what, "unsupported endpoint requested");
        }
    }
    actix_web::ResponseError::error_response(&ApiError::not_found("Not Found"))
}

/// The answer for a known path asked with the wrong method.
pub async fn method_not_allowed() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed("Method Not Allowed".into()))
}

/// FastAPI's `{id:uuid}` path converter.
pub const UUID_PATH: &str =
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
