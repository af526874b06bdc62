//! `/api/deployments` beyond create, read, filter and count (in `runs`):
//! read by name, update, delete, pause and resume, runs created from a
//! deployment, and the runner's poll for scheduled runs.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::runs::json;
use super::{body, endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::deployments::{CreateRefused, UpdateRefused};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::deployments::{DeploymentFlowRunCreate, DeploymentUpdate, ScheduledRunsQuery};
use crate::schemas::query::parse_model;
use crate::schemas::validate::{self, Errors};

const NOT_FOUND: &str = "Deployment not found";

pub fn endpoints() -> Vec<Endpoint> {
    let id = format!("/deployments/{{id:{UUID_PATH}}}");
    vec![
        endpoint(Method::GET, "/deployments/name/{flow_name}/{deployment_name}", Rule::READ, read_by_name),
        endpoint(Method::POST, "/deployments/get_scheduled_flow_runs", Rule::WRITE, get_scheduled_flow_runs),
        endpoint(Method::PATCH, id.clone(), Rule::WRITE, update),
        endpoint(Method::DELETE, id.clone(), Rule::WRITE, delete),
        endpoint(Method::POST, format!("{id}/create_flow_run"), Rule::WRITE, create_flow_run),
        endpoint(Method::POST, format!("{id}/pause_deployment"), Rule::WRITE, pause),
        endpoint(Method::POST, format!("{id}/resume_deployment"), Rule::WRITE, resume),
    ]
}

fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

async fn read_by_name(db: web::Data<Db>, path: web::Path<(String, String)>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let (flow, name) = path.into_inner();
    if !super::free_text_matches(&flow) || !super::free_text_matches(&name) {
        return Ok(super::not_found(req).await);
    }
    let doc = super::read(&db, move |c| Ok(db::deployments::read_by_name(c, &flow, &name)?)).await?;
    doc.map(|d| json(StatusCode::OK, db::runs::doc_json(d))).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

async fn update(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let u = parse_model(&b, DeploymentUpdate::parse)?;
    let id = super::path_id(&id);
    let out = db.write_async(move |tx, clock| db::deployments::update(tx, clock, &id, &u)).await?;
    match out {
        Ok(()) => Ok(no_content()),
        // The update's own 404 ends with a full stop.
        Err(UpdateRefused::NotFound) => Err(ApiError::not_found("Deployment not found.")),
        Err(UpdateRefused::Missing(m)) => Err(ApiError::NotFound(m)),
        Err(UpdateRefused::Conflict(m)) => Err(ApiError::Conflict(m)),
    }
}

async fn delete(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let found = db.write_async(move |tx, _| db::deployments::delete(tx, &id).map_err(ApiError::from)).await?;
    if found {
        Ok(no_content())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

/// A POST that takes no body still answers the API-version check the gate
/// deferred (the reference never decodes a body here, so nothing comes
/// before that check).
fn version_refused(req: &HttpRequest) -> ApiResult<()> {
    use actix_web::HttpMessage;
    match req.extensions().get::<crate::access::gate::VersionRefusal>() {
        Some(r) => Err(ApiError::BadRequest(r.0.clone())),
        None => Ok(()),
    }
}

async fn set_paused(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, paused: bool) -> ApiResult<HttpResponse> {
    version_refused(&req)?;
    let id = super::path_id(&id);
    let found =
        db.write_async(move |tx, clock| db::deployments::set_paused(tx, clock, &id, paused).map_err(ApiError::from)).await?;
    if found {
        Ok(json(StatusCode::OK, "null".into()))
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

async fn pause(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest) -> ApiResult<HttpResponse> {
    set_paused(db, id, req, true).await
}

async fn resume(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest) -> ApiResult<HttpResponse> {
    set_paused(db, id, req, false).await
}

/// The `get_created_by` dependency: an automation's id and base64 name in
/// headers make `created_by`; an id that is no UUID is a 422.
fn created_by(req: &HttpRequest) -> ApiResult<Value> {
    use base64::Engine;
    let header = |n: &str| req.headers().get(n).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (Some(id), name) = (header("prefect-automation-id"), header("prefect-automation-name")) else {
        return Ok(Value::Null);
    };
    let id = match crate::coerce::uuid(&Value::String(id.clone())) {
        Ok(u) => u.hyphenated().to_string(),
        Err(p) => {
            let mut errs = Errors::default();
            errs.push(&[validate::Loc::Key("header".into()), validate::Loc::Key("prefect-automation-id".into())], &json!(id), p);
            return Err(ApiError::Validation { errors: errs.items, body: Value::Null });
        }
    };
    let display = name
        .and_then(|n| base64::engine::general_purpose::STANDARD.decode(n.as_bytes()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| !s.is_empty());
    Ok(match display {
        Some(d) => json!({"id": id, "type": "AUTOMATION", "display_value": d}),
        None => Value::Null,
    })
}

async fn create_flow_run(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, DeploymentFlowRunCreate::parse)?;
    let by = created_by(&req)?;
    let id = super::path_id(&id);
    let out = db.write_async(move |tx, clock| db::deployments::create_flow_run(tx, clock, &id, &new, by)).await?;
    match out {
        Ok((doc, created)) => {
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            Ok(json(status, db::runs::doc_json(doc)))
        }
        Err(CreateRefused::NotFound) => Err(ApiError::not_found(NOT_FOUND)),
        Err(CreateRefused::BadRequest(m)) => Err(ApiError::BadRequest(m)),
        Err(CreateRefused::Conflict(m)) => Err(ApiError::Conflict(m)),
    }
}

async fn get_scheduled_flow_runs(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let q = ScheduledRunsQuery::parse(&b)?;
    let ids = q.deployment_ids.clone();
    let docs = super::read(&db, move |c| Ok(db::deployments::scheduled_runs(c, &q)?)).await?;
    // The reference marks the polled deployments ready in a background
    // task after answering; here it is one small write before the answer
    // (the route is a write: a read-only server refuses it at the gate).
    if !db.is_read_only() && !ids.is_empty() {
        db.write_async(move |tx, clock| db::deployments::mark_ready(tx, clock, &ids).map_err(ApiError::from)).await?;
    }
    Ok(json(StatusCode::OK, db::runs::docs_json(docs)))
}
