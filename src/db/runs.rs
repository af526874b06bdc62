//! Flows, deployments, flow runs and task runs written through the API (as
//! opposed to fixtures, see `related`). Each row keeps `doc`, the wire
//! object, and the filter columns derived from it, written together.

use chrono::{DateTime, Utc};
use crate::schemas::artifact::{data_text, ArtifactCreate};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use crate::db::related::{self, RelatedRow};
use crate::db::Clock;
use crate::error::ApiError;
use crate::pyjson;
use crate::schemas::resource_query::{Resource, ResourceQuery, RunFamilies};
use crate::schemas::runs::{
    float_value, is_final, parse_time, seconds_between, time_value, DeploymentCreate, FlowCreate, FlowRunCreate,
    StateCreate, TaskRunCreate,
};
use crate::timefmt;

pub type Doc = Map<String, Value>;

/// The reference's answer to a foreign key or unique constraint violation.
pub const INTEGRITY_CONFLICT: &str = "Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details.";

fn conflict() -> ApiError {
    ApiError::Conflict(INTEGRITY_CONFLICT.into())
}

// ---------------------------------------------------------------------------
// Documents and their columns
// ---------------------------------------------------------------------------

fn text(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

fn opt_str(doc: &Doc, k: &str) -> SqlValue {
    match doc.get(k) {
        Some(Value::String(s)) => text(s.clone()),
        _ => SqlValue::Null,
    }
}

fn time_col(v: Option<&Value>) -> SqlValue {
    v.and_then(parse_time).map(|t| text(timefmt::to_stored(t))).unwrap_or(SqlValue::Null)
}

fn req_time(doc: &Doc, k: &str) -> SqlValue {
    match time_col(doc.get(k)) {
        SqlValue::Null => text(timefmt::now_stored()),
        v => v,
    }
}

fn tags_col(doc: &Doc) -> SqlValue {
    text(doc.get("tags").filter(|t| t.is_array()).map(|t| t.to_string()).unwrap_or_else(|| "[]".into()))
}

fn int_col(doc: &Doc, k: &str) -> SqlValue {
    SqlValue::Integer(doc.get(k).and_then(Value::as_i64).unwrap_or(0))
}

fn doc_text(doc: &Doc) -> SqlValue {
    text(pyjson::to_pydantic_json(&Value::Object(doc.clone())))
}

fn run_cols(doc: &Doc, cols: &mut Vec<(&'static str, SqlValue)>) {
    let state = doc.get("state").and_then(Value::as_object);
    cols.push(("name", opt_str(doc, "name")));
    cols.push(("state_type", opt_str(doc, "state_type")));
    cols.push(("state_name", opt_str(doc, "state_name")));
    cols.push(("state_timestamp", time_col(state.and_then(|s| s.get("timestamp")))));
    cols.push(("run_count", int_col(doc, "run_count")));
    for f in ["expected_start_time", "next_scheduled_start_time", "start_time", "end_time"] {
        cols.push((f, time_col(doc.get(f))));
    }
    cols.push(("total_run_time", SqlValue::Real(doc.get("total_run_time").and_then(Value::as_f64).unwrap_or(0.0))));
    cols.push(("tags", tags_col(doc)));
}

/// The row of `table` for a document: its filter columns and the document.
pub fn row_from_doc(resource: Resource, doc: &Doc) -> RelatedRow {
    let mut cols = vec![
        ("id", opt_str(doc, "id")),
        ("created", req_time(doc, "created")),
        ("updated", req_time(doc, "updated")),
    ];
    match resource {
        Resource::Flows => {
            cols.push(("name", opt_str(doc, "name")));
            cols.push(("tags", tags_col(doc)));
        }
        Resource::Deployments => {
            cols.push(("name", opt_str(doc, "name")));
            cols.push(("flow_id", opt_str(doc, "flow_id")));
            cols.push(("paused", SqlValue::Integer(doc.get("paused").and_then(Value::as_bool).unwrap_or(false) as i64)));
            cols.push(("tags", tags_col(doc)));
            cols.push(("work_queue_name", opt_str(doc, "work_queue_name")));
            cols.push((
                "concurrency_limit",
                doc.get("concurrency_limit").and_then(Value::as_i64).map(SqlValue::Integer).unwrap_or(SqlValue::Null),
            ));
        }
        Resource::FlowRuns => {
            cols.push(("flow_id", opt_str(doc, "flow_id")));
            run_cols(doc, &mut cols);
            for f in ["deployment_id", "deployment_version", "work_queue_name", "flow_version", "idempotency_key", "parent_task_run_id"] {
                cols.push((f, opt_str(doc, f)));
            }
            cols.push((
                "created_by",
                match doc.get("created_by") {
                    Some(v @ Value::Object(_)) => text(pyjson::to_pydantic_json(v)),
                    _ => SqlValue::Null,
                },
            ));
        }
        Resource::TaskRuns => {
            cols.push(("flow_run_id", opt_str(doc, "flow_run_id")));
            cols.push(("task_key", text(doc.get("task_key").and_then(Value::as_str).unwrap_or(""))));
            cols.push(("dynamic_key", text(doc.get("dynamic_key").and_then(Value::as_str).unwrap_or(""))));
            run_cols(doc, &mut cols);
        }
    }
    cols.push(("doc", doc_text(doc)));
    RelatedRow { table: resource.table(), cols }
}

pub fn put(conn: &Connection, resource: Resource, doc: &Doc) -> rusqlite::Result<()> {
    related::upsert(conn, &row_from_doc(resource, doc))
}

pub fn parse_doc(s: &str) -> Doc {
    match pyjson::loads(s.as_bytes()) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub fn read(conn: &Connection, resource: Resource, id: &str) -> rusqlite::Result<Option<Doc>> {
    let sql = format!("SELECT doc FROM {} WHERE id = ?1", resource.table());
    let s: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
    Ok(s.map(|s| parse_doc(&s)))
}

fn exists(conn: &Connection, table: &str, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(&format!("SELECT 1 FROM {table} WHERE id = ?1"))?.exists([id])
}

/// `estimated_run_time` and `estimated_start_time_delta`, computed at read
/// time as the reference's ORM properties do.
pub fn with_estimates(mut doc: Doc, now: DateTime<Utc>) -> Doc {
    if !doc.contains_key("estimated_run_time") {
        return doc;
    }
    let state_type = doc.get("state_type").and_then(Value::as_str).unwrap_or("").to_string();
    let total = doc.get("total_run_time").and_then(Value::as_f64).unwrap_or(0.0);
    let state_ts = doc.get("state").and_then(|s| s.get("timestamp")).and_then(parse_time);
    let run_time = match (state_type.as_str(), state_ts) {
        ("RUNNING", Some(ts)) => total + seconds_between(now, ts),
        _ => total,
    };
    let start = doc.get("start_time").and_then(parse_time);
    let expected = doc.get("expected_start_time").and_then(parse_time);
    let delta = match (start, expected) {
        (Some(s), Some(e)) if s > e => seconds_between(s, e),
        (None, Some(e)) if e < now && !is_final(&state_type) => seconds_between(now, e),
        _ => 0.0,
    };
    doc.insert("estimated_run_time".into(), float_value(run_time));
    doc.insert("estimated_start_time_delta".into(), float_value(delta));
    doc
}

pub fn doc_json(doc: Doc) -> String {
    pyjson::to_pydantic_json(&Value::Object(with_estimates(doc, Utc::now())))
}

pub fn docs_json(docs: Vec<Doc>) -> String {
    let now = Utc::now();
    let arr = docs.into_iter().map(|d| Value::Object(with_estimates(d, now))).collect();
    pyjson::to_pydantic_json(&Value::Array(arr))
}

// ---------------------------------------------------------------------------
// Filter and count
// ---------------------------------------------------------------------------

pub fn filter_sql(q: &ResourceQuery) -> (String, Vec<SqlValue>) {
    let r = q.families.resource;
    let t = r.table();
    let cond = q.families.cond();
    let sql = format!(
        "SELECT {t}.doc FROM {t} WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
        cond.sql,
        r.order_by(q.sort)
    );
    let mut params = cond.params;
    params.push(SqlValue::Integer(q.limit));
    params.push(SqlValue::Integer(q.offset));
    (sql, params)
}

pub fn filter(conn: &Connection, q: &ResourceQuery) -> rusqlite::Result<Vec<Doc>> {
    let (sql, params) = filter_sql(q);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(0))?;
    rows.map(|r| r.map(|s| parse_doc(&s))).collect()
}

pub fn count(conn: &Connection, f: &RunFamilies) -> rusqlite::Result<i64> {
    let t = f.resource.table();
    let cond = f.cond();
    let sql = format!("SELECT count({t}.id) FROM {t} WHERE {}", cond.sql);
    conn.prepare_cached(&sql)?.query_row(params_from_iter(cond.params.iter()), |r| r.get(0))
}

// ---------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------

/// Creates a flow, or returns the existing flow of that name unchanged.
/// The bool is true when the flow was created.
pub fn create_flow(conn: &Connection, clock: &mut Clock, f: &FlowCreate) -> rusqlite::Result<(Doc, bool)> {
    let existing: Option<String> = conn
        .prepare_cached("SELECT doc FROM flow WHERE name = ?1")?
        .query_row([&f.name], |r| r.get(0))
        .optional()?;
    if let Some(s) = existing {
        return Ok((parse_doc(&s), false));
    }
    let doc = f.to_doc(&uuid::Uuid::new_v4().to_string(), clock.tick());
    put(conn, Resource::Flows, &doc)?;
    Ok((doc, true))
}

fn flow_labels(conn: &Connection, flow_id: &str) -> rusqlite::Result<Doc> {
    Ok(read(conn, Resource::Flows, flow_id)?
        .and_then(|d| d.get("labels").and_then(Value::as_object).cloned())
        .unwrap_or_default())
}

/// Python's `a | b` on dicts.
fn merge(mut a: Doc, b: Option<&Value>) -> Doc {
    if let Some(Value::Object(b)) = b {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RunKind {
    Flow,
    Task,
}

/// The reference's global orchestration transforms (SetRunStateType/Name/
/// Timestamp, SetStartTime, SetEndTime, IncrementRunTime,
/// SetExpectedStartTime, SetNextScheduledStartTime, UpdateStateDetails,
/// Increment{Flow,Task}RunCount, RemoveResumingIndicator), applied to a
/// proposed state that is accepted as proposed. Returns the new state.
fn apply_state(doc: &mut Doc, kind: RunKind, proposed: &StateCreate, t: DateTime<Utc>) -> Doc {
    let mut state = proposed.to_state(t);
    let initial = doc.get("state").and_then(Value::as_object).cloned();
    let initial_type = initial.as_ref().and_then(|s| s.get("type")).and_then(Value::as_str).map(str::to_string);
    let new_type = proposed.r#type.as_str();

    // UpdateStateDetails (and UpdateSubflowStateDetails for subflows).
    if let Some(Value::Object(details)) = state.get_mut("state_details") {
        let id = doc.get("id").cloned().unwrap_or(Value::Null);
        match kind {
            RunKind::Flow => {
                details.insert("flow_run_id".into(), id);
                if let Some(p) = doc.get("parent_task_run_id").filter(|p| !p.is_null()) {
                    details.insert("task_run_id".into(), p.clone());
                }
            }
            RunKind::Task => {
                details.insert("flow_run_id".into(), doc.get("flow_run_id").cloned().unwrap_or(Value::Null));
                details.insert("task_run_id".into(), id);
            }
        }
    }
    let ts = time_value(t);
    doc.insert("state_type".into(), json!(new_type));
    doc.insert("state_name".into(), json!(proposed.name));
    // SetStartTime
    if new_type == "RUNNING" && doc.get("start_time").is_none_or(Value::is_null) {
        doc.insert("start_time".into(), ts.clone());
    }
    // SetEndTime
    if initial_type.as_deref().is_some_and(is_final) && !is_final(new_type) {
        doc.insert("end_time".into(), Value::Null);
    }
    if is_final(new_type) && doc.get("end_time").is_none_or(Value::is_null) {
        if doc.get("start_time").is_none_or(Value::is_null) {
            doc.insert("start_time".into(), ts.clone());
        }
        doc.insert("end_time".into(), ts.clone());
    }
    // IncrementRunTime
    if initial_type.as_deref() == Some("RUNNING") {
        if let Some(prev) = initial.as_ref().and_then(|s| s.get("timestamp")).and_then(parse_time) {
            let total = doc.get("total_run_time").and_then(Value::as_f64).unwrap_or(0.0);
            let micros = (total * 1e6).round() as i64 + (t - prev).num_microseconds().unwrap_or(0);
            doc.insert("total_run_time".into(), float_value(micros as f64 / 1e6));
        }
    }
    let scheduled_time = state
        .get("state_details")
        .and_then(|d| d.get("scheduled_time"))
        .cloned()
        .unwrap_or(Value::Null);
    // SetExpectedStartTime
    if doc.get("expected_start_time").is_none_or(Value::is_null) {
        let v = if new_type == "SCHEDULED" { scheduled_time.clone() } else { ts.clone() };
        doc.insert("expected_start_time".into(), v);
    }
    // SetNextScheduledStartTime
    if initial_type.as_deref() == Some("SCHEDULED") {
        doc.insert("next_scheduled_start_time".into(), Value::Null);
    }
    if new_type == "SCHEDULED" {
        doc.insert("next_scheduled_start_time".into(), scheduled_time);
    }
    // Increment{Flow,Task}RunCount, RemoveResumingIndicator
    let resuming = doc
        .get("empirical_policy")
        .and_then(|p| p.get("resuming"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if new_type == "RUNNING" && !(kind == RunKind::Flow && resuming) {
        let n = doc.get("run_count").and_then(Value::as_i64).unwrap_or(0);
        doc.insert("run_count".into(), json!(n + 1));
    }
    if kind == RunKind::Flow && resuming && (new_type == "RUNNING" || is_final(new_type)) {
        if let Some(Value::Object(p)) = doc.get_mut("empirical_policy") {
            p.insert("resuming".into(), Value::Bool(false));
        }
    }
    doc.insert("state_id".into(), state.get("id").cloned().unwrap_or(Value::Null));
    doc.insert("state".into(), Value::Object(state.clone()));
    // The reference's SQL `now()` on update: whole milliseconds.
    doc.insert("updated".into(), Value::String(timefmt::to_wire(&timefmt::to_stored_millis(t))));
    state
}

/// The outcome of `set_state`: the accepted state as the reference's
/// `OrchestrationResult`.
pub fn orchestration_result(state: Doc) -> String {
    let v = json!({
        "state": Value::Object(state),
        "status": "ACCEPT",
        "details": {"type": "accept_details"},
    });
    pyjson::to_pydantic_json(&v)
}

/// `set_flow_run_state`: records the proposed state as accepted. A subflow
/// run also moves its parent task run (UpdateSubflowParentTask). `None`
/// when the run does not exist.
pub fn set_flow_run_state(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    proposed: &StateCreate,
) -> rusqlite::Result<Option<Doc>> {
    let Some(mut doc) = read(conn, Resource::FlowRuns, id)? else { return Ok(None) };
    let proposed = &record_result_artifact(conn, clock, proposed, Some(id), None)?;
    let t = clock.tick();
    let state = apply_state(&mut doc, RunKind::Flow, proposed, t);
    put(conn, Resource::FlowRuns, &doc)?;
    if let Some(parent) = doc.get("parent_task_run_id").and_then(Value::as_str) {
        let mut copy = proposed.clone();
        copy.details = state
            .get("state_details")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        copy.details.insert("child_flow_run_id".into(), json!(id));
        copy.message = state.get("message").cloned().unwrap_or(Value::Null);
        copy.data = state.get("data").cloned().unwrap_or(Value::Null);
        set_task_run_state(conn, clock, parent, &copy, true)?;
    }
    Ok(Some(state))
}

/// `set_task_run_state`: records the proposed state as accepted; entering
/// RUNNING without `force` also records the flow run's run count
/// (UpdateFlowRunTrackerOnTasks, a rule of the core policy that `force`
/// skips).
pub fn set_task_run_state(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    proposed: &StateCreate,
    force: bool,
) -> rusqlite::Result<Option<Doc>> {
    let Some(mut doc) = read(conn, Resource::TaskRuns, id)? else { return Ok(None) };
    let flow_run_id = doc.get("flow_run_id").and_then(Value::as_str).map(str::to_string);
    let proposed = &record_result_artifact(conn, clock, proposed, flow_run_id.as_deref(), Some(id))?;
    let t = clock.tick();
    let state = apply_state(&mut doc, RunKind::Task, proposed, t);
    if proposed.r#type == "RUNNING" && !force {
        if let Some(fr) = doc.get("flow_run_id").and_then(Value::as_str).map(str::to_string) {
            if let Some(frd) = read(conn, Resource::FlowRuns, &fr)? {
                doc.insert("flow_run_run_count".into(), frd.get("run_count").cloned().unwrap_or(json!(0)));
            }
        }
    }
    put(conn, Resource::TaskRuns, &doc)?;
    Ok(Some(state))
}

/// A proposed state that carries data (a persisted result's metadata, or a
/// persisted exception) becomes an artifact, as the reference's
/// orchestration does (`Artifact.from_result`): `artifact_key`,
/// `artifact_type` and `artifact_description` are taken out of a dict's data
/// when truthy (they leave the state's data too, as in the reference).
/// Data marked `{"type": "unpersisted"}` is not recorded.
fn record_result_artifact(
    conn: &Connection,
    clock: &mut Clock,
    proposed: &StateCreate,
    flow_run_id: Option<&str>,
    task_run_id: Option<&str>,
) -> rusqlite::Result<StateCreate> {
    let data = &proposed.data;
    if data.is_null() || data.get("type").and_then(Value::as_str) == Some("unpersisted") {
        return Ok(proposed.clone());
    }
    let mut new = ArtifactCreate {
        flow_run_id: flow_run_id.map(str::to_string),
        task_run_id: task_run_id.map(str::to_string),
        ..ArtifactCreate::default()
    };
    let mut data = data.clone();
    if let Value::Object(m) = &mut data {
        let mut take = |name: &str| match m.shift_remove(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        new.key = take("artifact_key");
        new.r#type = take("artifact_type");
        new.description = take("artifact_description");
    }
    new.data = data_text(&data);
    crate::db::artifacts::create(conn, clock, &new)?;
    Ok(StateCreate { data, ..proposed.clone() })
}

// ---------------------------------------------------------------------------
// Flow runs
// ---------------------------------------------------------------------------

/// Creates a flow run in its first state (PENDING unless given), or
/// returns the run with the same `(flow_id, idempotency_key)`.
pub fn create_flow_run(conn: &Connection, clock: &mut Clock, fr: &FlowRunCreate) -> Result<(Doc, bool), ApiError> {
    if let Some(key) = fr.idempotency_key.as_str() {
        let existing: Option<String> = conn
            .prepare_cached("SELECT doc FROM flow_run WHERE flow_id = ?1 AND idempotency_key = ?2")?
            .query_row([&fr.flow_id, key], |r| r.get(0))
            .optional()?;
        if let Some(s) = existing {
            return Ok((parse_doc(&s), false));
        }
    }
    if !exists(conn, "flow", &fr.flow_id)? {
        return Err(conflict());
    }
    let mut labels = None;
    if let Some(dep_id) = fr.deployment_id.as_str() {
        if let Some(dep) = read(conn, Resource::Deployments, dep_id)? {
            let parent = dep.get("labels").and_then(Value::as_object).cloned().unwrap_or_default();
            let system = json!({"prefect.flow.id": fr.flow_id, "prefect.deployment.id": dep_id});
            labels = Some(merge(merge(parent, Some(&system)), Some(&fr.labels)));
        }
    }
    let labels = match labels {
        Some(l) => l,
        None => {
            let system = json!({"prefect.flow.id": fr.flow_id});
            merge(merge(flow_labels(conn, &fr.flow_id)?, Some(&system)), Some(&fr.labels))
        }
    };
    let state_time = clock.tick();
    let created = clock.tick();
    // The reference answers `{}` for job variables it inserted through the
    // ORM (no idempotency key) and `null` through its upsert.
    let job_variables = if !fr.job_variables.is_null() {
        fr.job_variables.clone()
    } else if fr.idempotency_key.is_null() {
        json!({})
    } else {
        Value::Null
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut doc = fr.to_doc(&id, created, Value::Object(labels), job_variables);
    let proposed = fr.state.clone().unwrap_or_else(StateCreate::pending);
    apply_state(&mut doc, RunKind::Flow, &proposed, state_time);
    // The row's `updated` is stamped when the state is written, after `created`.
    let updated = clock.tick();
    doc.insert("updated".into(), Value::String(timefmt::to_wire(&timefmt::to_stored_millis(updated.max(created)))));
    put(conn, Resource::FlowRuns, &doc)?;
    Ok((doc, true))
}

// ---------------------------------------------------------------------------
// Task runs
// ---------------------------------------------------------------------------

/// Creates a task run in its first state, or returns the run with the same
/// `(flow_run_id, task_key, dynamic_key)`.
pub fn create_task_run(conn: &Connection, clock: &mut Clock, tr: &TaskRunCreate) -> Result<(Doc, bool), ApiError> {
    let flow_run_id = tr.flow_run_id.as_str();
    let existing: Option<String> = match flow_run_id {
        Some(fr) => conn
            .prepare_cached("SELECT doc FROM task_run WHERE flow_run_id = ?1 AND task_key = ?2 AND dynamic_key = ?3")?
            .query_row([fr, &tr.task_key, &tr.dynamic_key], |r| r.get(0))
            .optional()?,
        None => conn
            .prepare_cached("SELECT doc FROM task_run WHERE flow_run_id IS NULL AND task_key = ?1 AND dynamic_key = ?2")?
            .query_row([&tr.task_key, &tr.dynamic_key], |r| r.get(0))
            .optional()?,
    };
    if let Some(s) = existing {
        return Ok((parse_doc(&s), false));
    }
    let mut labels = Map::new();
    if let Some(fr) = flow_run_id {
        let Some(frd) = read(conn, Resource::FlowRuns, fr)? else { return Err(conflict()) };
        labels = frd.get("labels").and_then(Value::as_object).cloned().unwrap_or_default();
        labels.insert("prefect.flow-run.id".into(), json!(fr));
    }
    let labels = merge(labels, Some(&tr.labels));
    let id = tr.id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if exists(conn, "task_run", &id)? {
        return Err(conflict());
    }
    let state_time = clock.tick();
    let created = clock.tick();
    let mut doc = tr.to_doc(&id, created, Value::Object(labels));
    let proposed = tr.state.clone().unwrap_or_else(StateCreate::pending);
    apply_state(&mut doc, RunKind::Task, &proposed, state_time);
    let updated = clock.tick();
    doc.insert("updated".into(), Value::String(timefmt::to_wire(&timefmt::to_stored_millis(updated))));
    put(conn, Resource::TaskRuns, &doc)?;
    Ok((doc, true))
}

/// Records a task run reported by an event, as the reference's task-run
/// recorder does: `doc` is the TaskRun wire object (what
/// `GET /api/task_runs/{id}` returns). Inserts, or updates the existing row
/// (matched by id, or by `(flow_run_id, task_key, dynamic_key)`) only when
/// the stored `state_timestamp` is older than the new one.
pub fn record_task_run_from_event(conn: &Connection, doc: &Map<String, Value>) -> rusqlite::Result<()> {
    let Some(id) = doc.get("id").and_then(Value::as_str).map(str::to_ascii_lowercase) else { return Ok(()) };
    let mut doc = doc.clone();
    doc.insert("id".into(), json!(id));
    let new_ts = doc.get("state").and_then(|s| s.get("timestamp")).and_then(parse_time);
    // The stored row this event is about: by id, else by the natural key.
    let mut stored: Option<(String, Option<String>, String)> = conn
        .prepare_cached("SELECT id, state_timestamp, created FROM task_run WHERE id = ?1")?
        .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if stored.is_none() {
        if let Some(fr) = doc.get("flow_run_id").and_then(Value::as_str) {
            let tk = doc.get("task_key").and_then(Value::as_str).unwrap_or("");
            let dk = doc.get("dynamic_key").and_then(Value::as_str).unwrap_or("");
            stored = conn
                .prepare_cached(
                    "SELECT id, state_timestamp, created FROM task_run
                     WHERE flow_run_id = ?1 AND task_key = ?2 AND dynamic_key = ?3",
                )?
                .query_row([fr, tk, dk], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
        }
    }
    if let Some((stored_id, stored_ts, created)) = stored {
        let stored_ts = stored_ts.as_deref().and_then(timefmt::parse_stored);
        if let (Some(old), Some(new)) = (stored_ts, new_ts) {
            if old >= new {
                return Ok(());
            }
        }
        if stored_id != id {
            // The natural key matched another id: keep the stored row's id.
            doc.insert("id".into(), json!(stored_id));
        }
        // `created` stays what it was first recorded as.
        if let Some(t) = timefmt::parse_stored(&created) {
            doc.insert("created".into(), time_value(t));
        }
    }
    put(conn, Resource::TaskRuns, &doc)
}

// ---------------------------------------------------------------------------
// Deployments
// ---------------------------------------------------------------------------

/// Creates the deployment `(flow_id, name)` or updates the fields the client
/// set on the existing one. The bool is true when it was created.
pub fn upsert_deployment(conn: &Connection, clock: &mut Clock, d: &DeploymentCreate) -> Result<(Doc, bool), ApiError> {
    if !exists(conn, "flow", &d.flow_id)? {
        return Err(conflict());
    }
    let updated = clock.tick();
    let existing: Option<String> = conn
        .prepare_cached("SELECT doc FROM deployment WHERE flow_id = ?1 AND name = ?2")?
        .query_row([&d.flow_id, &d.name], |r| r.get(0))
        .optional()?;
    let flow_labels = flow_labels(conn, &d.flow_id)?;
    let system = json!({"prefect.flow.id": d.flow_id});
    let user = d.set.get("labels").cloned();
    let labels = merge(merge(flow_labels, Some(&system)), user.as_ref());
    let (mut doc, created) = match existing {
        Some(s) => {
            let mut doc = parse_doc(&s);
            d.apply(&mut doc);
            doc.insert("updated".into(), time_value(updated));
            (doc, false)
        }
        None => {
            // The reference stamps `updated` before the insert assigns `created`.
            let created = clock.tick();
            (d.new_doc(&uuid::Uuid::new_v4().to_string(), created, updated), true)
        }
    };
    doc.insert("labels".into(), Value::Object(labels));
    put(conn, Resource::Deployments, &doc)?;
    Ok((doc, created))
}
