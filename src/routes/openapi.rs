//! `GET /api/openapi.json` (artifactd's generated document) and `GET /docs`
//! (and `/api/docs`), a page listing the operations.

use actix_web::http::Method;
use actix_web::HttpResponse;

use super::{endpoint, Endpoint, Rule};

/// Under `/api`: declared on the reference's app itself, so they need the
/// auth string but no version check.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/openapi.json", Rule::APP_ROUTE, document),
        endpoint(Method::GET, "/docs", Rule::APP_ROUTE, docs),
    ]
}

/// `/docs` beside the pages: it shows no data, so it is open.
pub fn root_endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, "/docs", Rule::HEALTH, docs)]
}

async fn document() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(crate::openapi::document_json())
}

async fn docs() -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(crate::openapi::docs_html())
}
