//! `GET /api/collections/views/{view}`: the reference fetches these views
//! of Prefect's integration registry from the internet. Offline it answers
//! a 500 for every view but `aggregate-worker-metadata`, which it reads from
//! a copy inside its own package. artifactd never reaches out and answers no
//! 500: each known view is an empty registry (`{}`, which the UI shows as
//! "no integrations"), and an unknown view the reference's 404.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{endpoint, free_text_matches, not_found, Endpoint, Rule};
use crate::error::ApiError;

const KNOWN_VIEWS: &[&str] = &["aggregate-block-metadata", "aggregate-flow-metadata", "aggregate-worker-metadata", "demo-flows"];

pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, "/collections/views/{view}", Rule::READ, read_view)]
}

async fn read_view(req: HttpRequest, view: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if !free_text_matches(&view) {
        return Ok(not_found(req).await);
    }
    if KNOWN_VIEWS.contains(&view.as_str()) {
        Ok(HttpResponse::Ok().content_type("application/json").body("{}"))
    } else {
        Err(ApiError::NotFound(format!("View {view} not found in registry")))
    }
}
