//! Service endpoints: health, version, the default result storage and the
//! CSRF token endpoint (the reference runs with CSRF protection disabled).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::error::ApiError;
use crate::schemas::validate::{ErrorItem, Loc};

use super::method_not_allowed;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/health")
            .route(web::get().to(health))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/version")
            .route(web::get().to(version))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/admin/storage")
            .route(web::get().to(storage))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/csrf-token")
            .route(web::get().to(csrf_token))
            .default_service(web::to(method_not_allowed)),
    );
}

/// No default result storage block is configured.
async fn storage(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::api_version::check(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"default_result_storage_block_id":null}"#))
}

/// With CSRF protection disabled the reference refuses to make tokens; a
/// request without `client` fails validation first.
async fn csrf_token(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::api_version::check(&req)?;
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
    Err(ApiError::Unprocessable("CSRF protection is disabled.".into()))
}

fn url_query_has(query: &str, name: &str) -> bool {
    query.split('&').any(|kv| kv.split('=').next() == Some(name))
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body("true")
}

/// Prefect clients compare this with their own version and refuse a server
/// of another major version.
async fn version(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    super::api_version::check(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(format!("\"{}\"", crate::PREFECT_VERSION)))
}
