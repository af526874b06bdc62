//! The `/ui/*` run and flow endpoints Prefect's UI calls: task run counts
//! per flow run, the dashboard's task run buckets, task runs per state,
//! deployments and next runs per flow, and a task run with its flow run's
//! name.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::{body, endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::resource_query::Resource;
use crate::schemas::run_history::{parse_id_list, parse_task_run_count, DashboardCounts};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/ui/flow_runs/count-task-runs", Rule::READ, count_task_runs),
        endpoint(Method::POST, "/ui/task_runs/dashboard/counts", Rule::READ, dashboard_counts),
        endpoint(Method::POST, "/ui/task_runs/count", Rule::READ, count_by_state),
        endpoint(Method::GET, format!("/ui/task_runs/{{id:{UUID_PATH}}}"), Rule::READ, read_task_run),
        endpoint(Method::POST, "/ui/flows/count-deployments", Rule::READ, count_deployments),
        endpoint(Method::POST, "/ui/flows/next-runs", Rule::READ, next_runs),
    ]
}

fn ok(v: &Value) -> HttpResponse {
    super::runs::json(StatusCode::OK, crate::pyjson::to_starlette_json(v))
}

/// `{id: count}` in the order the ids were asked for (a repeated id keeps
/// its first place, as in a Python dict), 0 for ids without rows.
fn by_id(ids: &[String], counts: Vec<(String, i64)>) -> Value {
    let mut m = Map::new();
    for id in ids {
        let n = counts.iter().find(|(k, _)| k == id).map_or(0, |(_, n)| *n);
        m.insert(id.clone(), json!(n));
    }
    Value::Object(m)
}

async fn count_task_runs(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let ids = parse_id_list(&b, "flow_run_ids")?;
    let asked = ids.clone();
    let counts = super::read(&db, move |c| Ok(db::run_history::task_run_counts(c, &asked)?)).await?;
    Ok(ok(&by_id(&ids, counts)))
}

async fn count_deployments(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let ids = parse_id_list(&b, "flow_ids")?;
    let asked = ids.clone();
    let counts = super::read(&db, move |c| Ok(db::run_history::deployment_counts(c, &asked)?)).await?;
    Ok(ok(&by_id(&ids, counts)))
}

async fn next_runs(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let ids = parse_id_list(&b, "flow_ids")?;
    let asked = ids.clone();
    let runs = super::read(&db, move |c| Ok(db::run_history::next_runs(c, &asked)?)).await?;
    let mut m = Map::new();
    for id in &ids {
        // With ties the reference's dict keeps the last row read.
        let run = runs.iter().rev().find(|r| &r.flow_id == id).map_or(Value::Null, |r| {
            json!({
                "id": r.id,
                "flow_id": r.flow_id,
                "name": r.name,
                "state_name": r.state_name,
                "state_type": r.state_type,
                "next_scheduled_start_time": r.next_scheduled_start_time,
            })
        });
        m.insert(id.clone(), run);
    }
    Ok(ok(&Value::Object(m)))
}

async fn dashboard_counts(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_finite(&req, payload, &["work_queues"]).await?;
    let q = DashboardCounts::parse(&b, Utc::now())?;
    let buckets = super::read(&db, move |c| Ok(db::run_history::dashboard_counts(c, &q)?)).await?;
    let items: Vec<Value> = buckets.into_iter().map(|(completed, failed)| json!({"completed": completed, "failed": failed})).collect();
    Ok(ok(&Value::Array(items)))
}

async fn count_by_state(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let f = parse_task_run_count(&b)?;
    let counts = super::read(&db, move |c| Ok(db::run_history::count_by_state(c, &f)?)).await?;
    let m: Map<String, Value> = counts.into_iter().map(|(k, n)| (k.to_string(), json!(n))).collect();
    Ok(ok(&Value::Object(m)))
}

/// The task run as `/task_runs/{id}` answers it, plus `flow_run_name`.
async fn read_task_run(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let found = super::read(&db, move |c| {
        let Some(doc) = db::runs::read(c, Resource::TaskRuns, &id)? else { return Ok(None) };
        let name = match doc.get("flow_run_id").and_then(Value::as_str) {
            Some(fr) => db::run_history::flow_run_name(c, fr)?,
            None => None,
        };
        Ok(Some((doc, name)))
    })
    .await?;
    let (doc, name) = found.ok_or_else(|| ApiError::not_found("Task not found"))?;
    let mut doc = db::runs::with_estimates(doc, Utc::now());
    doc.insert("flow_run_name".into(), name.map_or(Value::Null, Value::String));
    Ok(super::runs::json(StatusCode::OK, crate::pyjson::to_pydantic_json(&Value::Object(doc))))
}
