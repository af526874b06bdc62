//! Run history: `POST /flow_runs/history` and `/task_runs/history` (runs
//! per interval and state, for the dashboard and the Runs page's bars) and
//! `POST /ui/flow_runs/history` (the Runs page's scatter chart).

use std::collections::BTreeMap;

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::{body, endpoint, Endpoint, Rule};
use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::schemas::resource_query::Resource;
use crate::schemas::run_history::{parse_simple_history, HistoryQuery};
use crate::schemas::runs::{float_value, time_value};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/flow_runs/history", Rule::READ, |db: web::Data<Db>, req: HttpRequest, p: web::Payload| {
            history(db, Resource::FlowRuns, req, p)
        }),
        endpoint(Method::POST, "/task_runs/history", Rule::READ, |db: web::Data<Db>, req: HttpRequest, p: web::Payload| {
            history(db, Resource::TaskRuns, req, p)
        }),
        endpoint(Method::POST, "/ui/flow_runs/history", Rule::READ, simple_history),
        endpoint(Method::POST, "/flow_runs/lateness", Rule::READ, average_lateness),
    ]
}

/// A `timedelta` sum as the reference writes it: seconds, to the
/// microsecond.
fn seconds(f: f64) -> Value {
    float_value((f * 1e6).round_ties_even() / 1e6)
}

/// The answer: every interval, each with its states (possibly none).
pub fn history_json(q: &HistoryQuery, rows: Vec<db::run_history::HistoryRow>) -> Value {
    let mut by_bucket: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for r in rows {
        let mut s = Map::new();
        s.insert("state_type".into(), r.state_type.map_or(Value::Null, Value::String));
        s.insert("state_name".into(), r.state_name.map_or(Value::Null, Value::String));
        s.insert("count_runs".into(), json!(r.count_runs));
        s.insert("sum_estimated_run_time".into(), seconds(r.sum_estimated_run_time));
        s.insert("sum_estimated_lateness".into(), seconds(r.sum_estimated_lateness));
        by_bucket.entry(r.bucket).or_default().push(Value::Object(s));
    }
    let intervals = (0..q.count)
        .map(|i| {
            let (start, end) = q.interval(i);
            let mut m = Map::new();
            m.insert("interval_start".into(), time_value(start));
            m.insert("interval_end".into(), time_value(end));
            m.insert("states".into(), Value::Array(by_bucket.remove(&i).unwrap_or_default()));
            Value::Object(m)
        })
        .collect();
    Value::Array(intervals)
}

async fn history(db: web::Data<Db>, res: Resource, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_finite(&req, payload, &["history_start", "history_end", "history_interval_seconds", "work_queues"]).await?;
    let q = HistoryQuery::parse(res, &b)?;
    let query = q.clone();
    let rows = if q.count == 0 { Vec::new() } else { super::read(&db, move |c| Ok(db::run_history::history(c, &query)?)).await? };
    Ok(super::runs::json(StatusCode::OK, crate::pyjson::to_starlette_json(&history_json(&q, rows))))
}

/// `SimpleFlowRun`: id, state type, start (or expected start) time, and the
/// estimated run time and lateness.
fn simple_flow_run(doc: &Map<String, Value>) -> Value {
    let get = |k: &str| doc.get(k).cloned().unwrap_or(Value::Null);
    let timestamp = doc.get("start_time").filter(|v| !v.is_null()).cloned().unwrap_or_else(|| get("expected_start_time"));
    json!({
        "id": get("id"),
        "state_type": get("state_type"),
        "timestamp": timestamp,
        "duration": get("estimated_run_time"),
        "lateness": get("estimated_start_time_delta"),
    })
}

async fn simple_history(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let q = parse_simple_history(&b)?;
    let docs = super::read(&db, move |c| Ok(db::runs::filter(c, &q)?)).await?;
    let now = Utc::now();
    let items: Vec<Value> =
        docs.into_iter().map(|d| simple_flow_run(&db::runs::with_estimates(d, now))).collect();
    Ok(super::runs::json(StatusCode::OK, crate::pyjson::to_starlette_json(&Value::Array(items))))
}

/// `POST /flow_runs/lateness`: the matching flow runs' average lateness in
/// seconds, `null` when none match.
async fn average_lateness(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let f = crate::schemas::resource_query::parse_count(Resource::FlowRuns, &b)?;
    let avg = super::read(&db, move |c| Ok(db::run_history::average_lateness(c, &f)?)).await?;
    Ok(super::runs::json(StatusCode::OK, avg.map_or(Value::Null, float_value).to_string()))
}
