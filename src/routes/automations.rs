//! `/api/automations`: artifactd keeps none, but `flow.serve()` clears the
//! automations its deployment owns before it starts, so that call is
//! answered as the reference answers it when there is nothing to delete.

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;

use super::runs::json;
use super::{endpoint, Endpoint, Rule};

pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::DELETE, "/automations/owned-by/{resource_id}", Rule::WRITE, delete_owned_by)]
}

async fn delete_owned_by() -> HttpResponse {
    json(StatusCode::ACCEPTED, "null".into())
}
