//! Service endpoints: health, version, the default result storage and the
//! CSRF token endpoint (the reference runs with CSRF protection disabled).

use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

use crate::error::ApiError;
use crate::schemas::validate::{ErrorItem, Loc};

use super::{endpoint, Endpoint, Rule};
use actix_web::http::Method;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/health", Rule::HEALTH, health),
        endpoint(Method::GET, "/version", Rule::APP_ROUTE, api_version),
        endpoint(Method::GET, "/hello", Rule::READ, hello),
        endpoint(Method::GET, "/ready", Rule::READY, ready),
        endpoint(Method::GET, "/admin/version", Rule::READ, version),
        endpoint(Method::GET, "/admin/storage", Rule::READ, storage),
        endpoint(Method::GET, "/csrf-token", Rule::READ, csrf_token),
    ]
}

fn json(body: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(body)
}

/// The REST API's own version (`SERVER_API_VERSION` in the reference).
async fn api_version() -> HttpResponse {
    json("\"0.8.4\"")
}

async fn hello() -> HttpResponse {
    json("\"\u{1f44b}\"")
}

/// The database is open whenever the server answers.
async fn ready() -> HttpResponse {
    json(r#"{"message":"OK"}"#)
}

/// No default result storage block is configured.
async fn storage() -> HttpResponse {
    json(r#"{"default_result_storage_block_id":null}"#)
}

/// With CSRF protection disabled the reference refuses to make tokens; a
/// request without `client` fails validation first.
async fn csrf_token(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let has_client = url_query_has(req.query_string(), "client");
    if !has_client {
        return Err(ApiError::Validation {
            errors: vec![ErrorItem {
                kind: "missing".into(),
                loc: vec![Loc::Key("query".into()), Loc::Key("client".into())],
                msg: "Field required".into(),
                input: Value::Null,
                ctx: None,
            }],
            body: Value::Null,
        });
    }
    // Every client asks at start-up: an answer, not a refusal, so it is
    // not logged as one.
    Ok(HttpResponse::UnprocessableEntity()
        .content_type("application/json")
        .body(r#"{"detail":"CSRF protection is disabled."}"#))
}

fn url_query_has(query: &str, name: &str) -> bool {
    query.split('&').any(|kv| kv.split('=').next() == Some(name))
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body("true")
}

/// Prefect clients compare this with their own version and refuse a server
/// of another major version.
async fn version() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(format!("\"{}\"", crate::PREFECT_VERSION))
}
