//! `/api/flow_run_states` and `/api/task_run_states`: a run's state history
//! (`?flow_run_id=` / `?task_run_id=`, oldest first) and one state by id.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::runs::json;
use super::{endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::orchestration::RunKind;
use crate::schemas::validate::{Errors, Loc};

pub fn endpoints() -> Vec<Endpoint> {
    let id = format!("{{id:{UUID_PATH}}}");
    vec![
        endpoint(Method::GET, format!("/flow_run_states/{id}"), Rule::READ, |db: web::Data<Db>, id: web::Path<String>| {
            read_state(db, RunKind::Flow, id)
        }),
        endpoint(Method::GET, "/flow_run_states/", Rule::READ, |db: web::Data<Db>, req: HttpRequest| {
            read_states(db, RunKind::Flow, req)
        }),
        endpoint(Method::GET, format!("/task_run_states/{id}"), Rule::READ, |db: web::Data<Db>, id: web::Path<String>| {
            read_state(db, RunKind::Task, id)
        }),
        endpoint(Method::GET, "/task_run_states/", Rule::READ, |db: web::Data<Db>, req: HttpRequest| {
            read_states(db, RunKind::Task, req)
        }),
    ]
}

async fn read_state(db: web::Data<Db>, kind: RunKind, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let state = super::read(&db, move |c| Ok(db::states::read(c, kind, &id)?)).await?;
    match state {
        Some(s) => Ok(json(StatusCode::OK, crate::pyjson::to_pydantic_json(&Value::Object(s)))),
        // The reference says "Flow run state" for task run states too.
        None => Err(ApiError::not_found("Flow run state not found")),
    }
}

/// The required `flow_run_id` / `task_run_id` query parameter, validated as
/// FastAPI does (the last of repeated values wins).
fn run_id_param(req: &HttpRequest, name: &str) -> Result<String, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let loc = vec![Loc::Key("query".into()), Loc::Key(name.into())];
    let mut errs = Errors::default();
    match pairs.into_iter().rfind(|(k, _)| k == name) {
        None => errs.missing(&loc),
        Some((_, v)) => match crate::coerce::uuid(&Value::String(v.clone())) {
            Ok(u) => return Ok(u.hyphenated().to_string()),
            Err(p) => errs.push(&loc, &Value::String(v), p),
        },
    }
    Err(ApiError::Validation { errors: errs.items, body: Value::Null })
}

async fn read_states(db: web::Data<Db>, kind: RunKind, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = match kind {
        RunKind::Flow => "flow_run_id",
        RunKind::Task => "task_run_id",
    };
    let run_id = run_id_param(&req, name)?;
    let states = super::read(&db, move |c| Ok(db::states::for_run(c, kind, &run_id)?)).await?;
    let arr = Value::Array(states.into_iter().map(Value::Object).collect());
    Ok(json(StatusCode::OK, crate::pyjson::to_pydantic_json(&arr)))
}
