//! What artifactd answers as a Prefect server that has none of a kind of
//! object: automations (deleting those a resource owns deletes nothing).

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;

use super::{endpoint, Endpoint, Rule};

pub fn endpoints() -> Vec<Endpoint> {
    // The SDK calls this when a deployment is (re)created; the reference
    // answers 202 with a JSON null whether or not anything was owned.
    vec![endpoint(Method::DELETE, "/automations/owned-by/{resource_id}", Rule::WRITE, || async {
        HttpResponse::build(StatusCode::ACCEPTED).content_type("application/json").body("null")
    })]
}
