//! `/api/flows` and `/api/flow_runs` beyond create, read, filter and count
//! (in `runs`): a flow by name, deleting flows and flow runs (with the
//! reference's cascades), and the flow-run update the engine sends.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::runs::json;
use super::{body, endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::deployments::FlowRunUpdateRefused;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::deployments::FlowRunUpdate;
use crate::schemas::query::parse_model;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::GET, "/flows/name/{name}", Rule::READ, read_flow_by_name),
        endpoint(Method::DELETE, format!("/flows/{{id:{UUID_PATH}}}"), Rule::WRITE, delete_flow),
        endpoint(Method::PATCH, format!("/flow_runs/{{id:{UUID_PATH}}}"), Rule::WRITE, update_flow_run),
        endpoint(Method::DELETE, format!("/flow_runs/{{id:{UUID_PATH}}}"), Rule::WRITE, delete_flow_run),
    ]
}

async fn read_flow_by_name(db: web::Data<Db>, name: web::Path<String>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = name.into_inner();
    if !super::free_text_matches(&name) {
        return Ok(super::not_found(req).await);
    }
    let doc = super::read(&db, move |c| Ok(db::deployments::read_flow_by_name(c, &name)?)).await?;
    doc.map(|d| json(StatusCode::OK, db::runs::doc_json(d))).ok_or_else(|| ApiError::not_found("Flow not found"))
}

async fn delete_flow(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let found = db.write_async(move |tx, _| db::deployments::delete_flow(tx, &id).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("Flow not found"))
    }
}

async fn delete_flow_run(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let found = db.write_async(move |tx, _| db::deployments::delete_flow_run(tx, &id).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("Flow run not found"))
    }
}

async fn update_flow_run(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let u = parse_model(&b, FlowRunUpdate::parse)?;
    let id = super::path_id(&id);
    match db.write_async(move |tx, clock| db::deployments::update_flow_run(tx, clock, &id, &u)).await? {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(FlowRunUpdateRefused::NotFound) => Err(ApiError::not_found("Flow run not found")),
        Err(FlowRunUpdateRefused::BadRequest(m)) => Err(ApiError::BadRequest(m)),
    }
}
