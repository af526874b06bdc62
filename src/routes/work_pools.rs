//! Work pools, their queues and workers, and work queues: artifactd runs no
//! workers, so it answers as a Prefect server that has none of them (empty
//! lists, a zero count, the reference's 404s), after validating each body as
//! the reference does.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{body, endpoint, free_text_matches, not_found, Endpoint, Rule, UUID_PATH};
use crate::error::{ApiError, ApiResult};
use crate::schemas::work_pools::{
    validate_body, Param, POOL_QUEUES_FILTER, WORKERS_FILTER, WORK_POOLS_COUNT, WORK_POOLS_FILTER, WORK_QUEUES_FILTER,
};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/work_pools/filter", Rule::READ, |req: HttpRequest, p: web::Payload| {
            answer(req, p, WORK_POOLS_FILTER, "[]")
        }),
        endpoint(Method::POST, "/work_pools/count", Rule::READ, |req: HttpRequest, p: web::Payload| {
            answer(req, p, WORK_POOLS_COUNT, "0")
        }),
        endpoint(Method::GET, "/work_pools/{name}", Rule::READ, read_work_pool),
        endpoint(Method::POST, "/work_pools/{work_pool_name}/queues/filter", Rule::READ, |req: HttpRequest, name: web::Path<String>, p: web::Payload| {
            in_missing_pool(req, name.into_inner(), p, POOL_QUEUES_FILTER)
        }),
        endpoint(Method::GET, "/work_pools/{work_pool_name}/queues/{name}", Rule::READ, read_pool_queue),
        endpoint(Method::POST, "/work_pools/{work_pool_name}/workers/filter", Rule::READ, |req: HttpRequest, name: web::Path<String>, p: web::Payload| {
            in_missing_pool(req, name.into_inner(), p, WORKERS_FILTER)
        }),
        endpoint(Method::POST, "/work_queues/filter", Rule::READ, |req: HttpRequest, p: web::Payload| {
            answer(req, p, WORK_QUEUES_FILTER, "[]")
        }),
        endpoint(Method::GET, format!("/work_queues/{{id:{UUID_PATH}}}"), Rule::READ, no_work_queue),
        endpoint(Method::GET, "/work_queues/name/{name}", Rule::READ, |req: HttpRequest, name: web::Path<String>| async move {
            if !free_text_matches(&name) {
                return Ok(not_found(req).await);
            }
            no_work_queue().await
        }),
    ]
}

fn json(text: &'static str) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(text)
}

/// A valid body selects nothing: there are no such objects.
async fn answer(req: HttpRequest, payload: web::Payload, params: &'static [Param], empty: &'static str) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    validate_body(params, &b)?;
    Ok(json(empty))
}

fn no_pool(name: &str) -> ApiError {
    ApiError::NotFound(format!("Work pool \"{name}\" not found."))
}

async fn read_work_pool(req: HttpRequest, name: web::Path<String>) -> ApiResult<HttpResponse> {
    if !free_text_matches(&name) {
        return Ok(not_found(req).await);
    }
    Err(no_pool(&name))
}

/// The body is validated before the pool is looked up, as in the reference.
async fn in_missing_pool(req: HttpRequest, name: String, payload: web::Payload, params: &'static [Param]) -> ApiResult<HttpResponse> {
    if !free_text_matches(&name) {
        return Ok(not_found(req).await);
    }
    let b = body::read_filter(&req, payload).await?;
    validate_body(params, &b)?;
    Err(no_pool(&name))
}

async fn read_pool_queue(req: HttpRequest, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (pool, queue) = path.into_inner();
    if !free_text_matches(&pool) || !free_text_matches(&queue) {
        return Ok(not_found(req).await);
    }
    Err(ApiError::NotFound(format!("Work pool queue '{pool}/{queue}' not found.")))
}

async fn no_work_queue() -> ApiResult<HttpResponse> {
    Err(ApiError::not_found("work queue not found"))
}
