//! `/api/automations`: artifactd keeps none, but `flow.serve()` clears the
//! automations its deployment owns before it starts and `prefect
//! deployment inspect` lists those related to it, so those two calls are
//! answered as the reference answers them when there are none.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::runs::json;
use super::{endpoint, Endpoint, Rule};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/automations/related-to/{resource_id}", Rule::READ, related_to),
        endpoint(Method::DELETE, "/automations/owned-by/{resource_id}", Rule::WRITE, delete_owned_by),
    ]
}

async fn related_to(id: web::Path<String>, req: HttpRequest) -> HttpResponse {
    if !super::free_text_matches(&id) {
        return super::not_found(req).await;
    }
    json(StatusCode::OK, "[]".into())
}

async fn delete_owned_by(id: web::Path<String>, req: HttpRequest) -> HttpResponse {
    if !super::free_text_matches(&id) {
        return super::not_found(req).await;
    }
    json(StatusCode::ACCEPTED, "null".into())
}
