//! Flows, deployments, flow runs and task runs written through the API (as
//! opposed to fixtures, see `related`). Each row keeps `doc`, the wire
//! object, and the filter columns derived from it, written together.

use chrono::{DateTime, Utc};
use crate::schemas::artifact::{data_text, ArtifactCreate};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use crate::db::related::{self, RelatedRow};
use crate::db::{states, Clock};
use crate::orchestration::{self, Facts, FlowPolicy, Outcome, RunKind, TaskPolicy};
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
        "SELECT {t}.doc FROM {t} WHERE {} ORDER BY {} {} OFFSET ?",
        cond.sql,
        r.order_by(q.sort),
        crate::db::limit_sql(q.limit)
    );
    let mut params = cond.params;
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
    crate::events::emit::flow_created(conn, clock, &doc)?;
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

/// The reference's SQL `now()` on update: whole milliseconds.
fn stamp_updated(doc: &mut Doc, t: DateTime<Utc>) {
    doc.insert("updated".into(), Value::String(timefmt::to_wire(&timefmt::to_stored_millis(t))));
}

fn run_id(doc: &Doc) -> String {
    doc.get("id").and_then(Value::as_str).unwrap_or("").to_string()
}

/// Stores `state` as the flow run's new current state (`run` already holds
/// it; `initial` is the state it leaves, None for a new run) and appends it
/// to the run's history. Every flow-run state change, from set_state,
/// resume, create or a subflow's parent, goes through here, exactly when
/// the reference's InstrumentFlowRunStateTransitions would emit its
/// state-change event.
pub fn store_accepted_state(conn: &Connection, run: &Doc, initial: Option<&Doc>, state: &Doc) -> rusqlite::Result<()> {
    let _ = initial; // (what a state-change event needs besides `state`)
    put(conn, Resource::FlowRuns, run)?;
    states::append(conn, RunKind::Flow, &run_id(run), state)
}

fn store_task_state(conn: &Connection, run: &Doc, state: &Doc) -> rusqlite::Result<()> {
    put(conn, Resource::TaskRuns, run)?;
    states::append(conn, RunKind::Task, &run_id(run), state)
}

/// `set_flow_run_state`: orchestrates the proposed state with the core
/// policy, or the minimal one with `force`. `None` when the run does not
/// exist.
pub fn set_flow_run_state(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    proposed: &StateCreate,
    force: bool,
) -> rusqlite::Result<Option<Outcome>> {
    let policy = if force { FlowPolicy::Minimal } else { FlowPolicy::Core };
    set_flow_run_state_with(conn, clock, id, proposed, policy, None)
}

/// `set_flow_run_state` under a given policy (the late-runs service uses
/// `FlowPolicy::MarkLate`, as the reference's does) for a client of
/// `api_version` (the request's `X-PREFECT-API-VERSION`, None without one).
pub fn set_flow_run_state_with(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    proposed: &StateCreate,
    policy: FlowPolicy,
    api_version: Option<(i128, i128, i128)>,
) -> rusqlite::Result<Option<Outcome>> {
    let Some(doc) = read(conn, Resource::FlowRuns, id)? else { return Ok(None) };
    let t = clock.tick();
    let state = proposed.to_state(t);
    Ok(Some(orchestrate_flow_run(conn, clock, doc, state, policy, t, api_version)?))
}

/// Orchestrates `state` for the stored flow run `doc` and stores the
/// outcome: a new state (with its result artifact) and the run, or only
/// what the rules changed on the run; a subflow's parent task run follows.
fn orchestrate_flow_run(
    conn: &Connection,
    clock: &mut Clock,
    doc: Doc,
    state: Doc,
    policy: FlowPolicy,
    t: DateTime<Utc>,
    api_version: Option<(i128, i128, i128)>,
) -> rusqlite::Result<Outcome> {
    let mut facts = Facts::at(t);
    facts.api_version = api_version;
    if let Some(dep) = doc.get("deployment_id").and_then(Value::as_str) {
        facts.deployment_exists = exists(conn, "deployment", dep)?;
    }
    let before = doc.clone();
    let out = orchestration::orchestrate_flow(doc, state, policy, &facts);
    finish_flow_outcome(conn, clock, out, &before, t)
}

fn finish_flow_outcome(
    conn: &Connection,
    clock: &mut Clock,
    mut out: Outcome,
    before: &Doc,
    t: DateTime<Utc>,
) -> rusqlite::Result<Outcome> {
    let id = run_id(&out.run);
    if out.new_state {
        let mut state = out.state.take().unwrap_or_default();
        record_result_artifact(conn, clock, &mut state, Some(&id), None)?;
        let stored = stored_form(&state);
        out.run.insert("state".into(), Value::Object(stored.clone()));
        stamp_updated(&mut out.run, t);
        let initial = before.get("state").and_then(Value::as_object);
        store_accepted_state(conn, &out.run, initial, &stored)?;
        crate::events::emit::flow_run_state_changed(conn, clock, &out.run, initial, &stored)?;
        for key in &out.stale_input_keys {
            crate::db::flow_run_inputs::delete(conn, &id, key)?;
        }
        out.state = Some(state);
    } else if out.run != *before {
        // A refusal that still changed the run (its pause bookkeeping): the
        // row's `updated` moves, as the reference's ORM update does.
        stamp_updated(&mut out.run, t);
        put(conn, Resource::FlowRuns, &out.run)?;
    }
    if let Some(at) = out.retry_failed_tasks_at.take() {
        retry_failed_task_runs(conn, clock, &id, at)?;
    }
    if let Some(copy) = out.parent_task_state.take() {
        if let Some(parent) = out.run.get("parent_task_run_id").and_then(Value::as_str).map(str::to_string) {
            if let Some(task) = read(conn, Resource::TaskRuns, &parent)? {
                let t2 = clock.tick();
                let copy = orchestration::states::fresh_copy(&copy, t2);
                let policy = TaskPolicy::for_proposal(&copy, true);
                orchestrate_task_run(conn, clock, task, copy, policy, t2)?;
            }
        }
    }
    Ok(out)
}

/// Old clients' flow-run retries (API before 0.8.3): every failed task run
/// of the flow run is forced to AwaitingRetry at `at`, its run count reset
/// so its own retries start over.
fn retry_failed_task_runs(conn: &Connection, clock: &mut Clock, flow_run_id: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM task_run WHERE flow_run_id = ?1 AND state_type = 'FAILED' ORDER BY id")?
        .query_map([flow_run_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        let Some(task) = read(conn, Resource::TaskRuns, &id)? else { continue };
        let t = clock.tick();
        let state = orchestration::states::scheduled("AwaitingRetry", at, t);
        let mut out = orchestrate_task_run(conn, clock, task, state, TaskPolicy::Minimal, t)?;
        out.run.insert("run_count".into(), json!(0));
        put(conn, Resource::TaskRuns, &out.run)?;
    }
    Ok(())
}

/// `set_task_run_state`: the core task policy, the minimal one with
/// `force`, the background one for a deferred state. `None` when the run
/// does not exist.
pub fn set_task_run_state(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    proposed: &StateCreate,
    force: bool,
) -> rusqlite::Result<Option<Outcome>> {
    let Some(doc) = read(conn, Resource::TaskRuns, id)? else { return Ok(None) };
    let t = clock.tick();
    let state = proposed.to_state(t);
    let policy = TaskPolicy::for_proposal(&state, force);
    Ok(Some(orchestrate_task_run(conn, clock, doc, state, policy, t)?))
}

fn task_facts(conn: &Connection, doc: &Doc, state: &Doc, policy: TaskPolicy, t: DateTime<Utc>) -> rusqlite::Result<Facts> {
    let mut facts = Facts::at(t);
    // 53 random bits of a v4 uuid (its low half without the two variant
    // bits): a uniform draw in [0, 1).
    let bits = ((uuid::Uuid::new_v4().as_u128() as u64) << 2) >> 11;
    facts.random_unit = bits as f64 / (1u64 << 53) as f64;
    if let Some(fr) = doc.get("flow_run_id").and_then(Value::as_str) {
        facts.flow_run = read(conn, Resource::FlowRuns, fr)?;
    }
    if policy != TaskPolicy::Minimal && orchestration::task_policy::wants_cache(state) {
        if let Some(key) = orchestration::states::detail_str(state, "cache_key") {
            facts.cached_state = states::cache_lookup(conn, key, t)?;
        }
    }
    Ok(facts)
}

fn orchestrate_task_run(
    conn: &Connection,
    clock: &mut Clock,
    doc: Doc,
    state: Doc,
    policy: TaskPolicy,
    t: DateTime<Utc>,
) -> rusqlite::Result<Outcome> {
    let facts = task_facts(conn, &doc, &state, policy, t)?;
    let before = doc.clone();
    let out = orchestration::orchestrate_task(doc, state, policy, &facts);
    finish_task_outcome(conn, clock, out, &before, t)
}

fn finish_task_outcome(
    conn: &Connection,
    clock: &mut Clock,
    mut out: Outcome,
    before: &Doc,
    t: DateTime<Utc>,
) -> rusqlite::Result<Outcome> {
    if out.new_state {
        let id = run_id(&out.run);
        let flow_run_id = out.run.get("flow_run_id").and_then(Value::as_str).map(str::to_string);
        let mut state = out.state.take().unwrap_or_default();
        record_result_artifact(conn, clock, &mut state, flow_run_id.as_deref(), Some(&id))?;
        let stored = stored_form(&state);
        out.run.insert("state".into(), Value::Object(stored.clone()));
        stamp_updated(&mut out.run, t);
        store_task_state(conn, &out.run, &stored)?;
        if let (Some((key, exp)), Some(state_id)) = (out.cache.as_ref(), state.get("id").and_then(Value::as_str)) {
            states::cache_insert(conn, key, exp.as_ref(), state_id, t)?;
        }
        out.state = Some(state);
    } else if out.run != *before {
        stamp_updated(&mut out.run, t);
        put(conn, Resource::TaskRuns, &out.run)?;
    }
    Ok(out)
}

/// A state as stored: data marked `{"type": "unpersisted"}` is answered
/// once, in the set_state answer, and not kept (the reference keeps no
/// result for it, so its run and history show `data: null`).
fn stored_form(state: &Doc) -> Doc {
    let mut s = state.clone();
    if s.get("data").and_then(|d| d.get("type")).and_then(Value::as_str) == Some("unpersisted") {
        s.insert("data".into(), Value::Null);
    }
    s
}

/// A new state that carries data (a persisted result's metadata, or a
/// persisted exception) gets an artifact, as the reference's validation
/// does (`Artifact.from_result`): `artifact_key`, `artifact_type` and
/// `artifact_description` are taken out of a dict's data when truthy (they
/// leave the state's data too, as in the reference). Data marked
/// `{"type": "unpersisted"}` is not recorded.
fn record_result_artifact(
    conn: &Connection,
    clock: &mut Clock,
    state: &mut Doc,
    flow_run_id: Option<&str>,
    task_run_id: Option<&str>,
) -> rusqlite::Result<()> {
    let Some(data) = state.get_mut("data") else { return Ok(()) };
    if data.is_null() || data.get("type").and_then(Value::as_str) == Some("unpersisted") {
        return Ok(());
    }
    let mut new = ArtifactCreate {
        flow_run_id: flow_run_id.map(str::to_string),
        task_run_id: task_run_id.map(str::to_string),
        ..ArtifactCreate::default()
    };
    if let Value::Object(m) = data {
        let mut take = |name: &str| match m.shift_remove(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        new.key = take("artifact_key");
        new.r#type = take("artifact_type");
        new.description = take("artifact_description");
    }
    new.data = data_text(data);
    crate::db::artifacts::create(conn, clock, &new)?;
    Ok(())
}

/// `POST /flow_runs/{id}/resume`: a paused run is proposed Running (or,
/// suspended, Scheduled "Resuming") under the core policy. A pause waiting
/// for input (`run_input_keyset`) needs its schema among the run's inputs,
/// which artifactd does not keep: that is the reference's answer for a
/// missing schema. `None` when the run does not exist.
/// The bool is true when a new state was created.
pub fn resume_flow_run(
    conn: &Connection,
    clock: &mut Clock,
    id: &str,
    api_version: Option<(i128, i128, i128)>,
    run_input: Option<&Map<String, Value>>,
) -> rusqlite::Result<Option<(Value, bool)>> {
    let Some(doc) = read(conn, Resource::FlowRuns, id)? else { return Ok(None) };
    let current = doc.get("state").and_then(Value::as_object).cloned();
    let Some(current) = current.filter(|s| orchestration::state_type(s) == Some("PAUSED")) else {
        let v = json!({
            "state": null,
            "status": "ABORT",
            "details": {"type": "abort_details", "reason": "Cannot resume a flow run that is not paused."},
        });
        return Ok(Some((v, false)));
    };
    let keyset = orchestration::detail(&current, "run_input_keyset").and_then(Value::as_object).filter(|k| !k.is_empty()).cloned();
    let empty = Map::new();
    let run_input = run_input.unwrap_or(&empty);
    if let Some(keyset) = &keyset {
        if let Err(reason) = check_run_input(conn, id, keyset, run_input)? {
            let v = json!({
                "state": Value::Object(current),
                "status": "REJECT",
                "details": {"type": "abort_details", "reason": reason},
            });
            return Ok(Some((v, false)));
        }
    }
    let t = clock.tick();
    let state = if orchestration::states::detail_true(&current, "pause_reschedule") {
        orchestration::states::scheduled("Resuming", t, t)
    } else {
        orchestration::states::new_state("RUNNING", "Running", t)
    };
    let out = orchestrate_flow_run(conn, clock, doc, state, FlowPolicy::Core, t, api_version)?;
    // An accepted resume keeps the validated input where the paused run
    // reads its answer.
    let response_key = keyset.as_ref().and_then(|k| k.get("response")).and_then(Value::as_str);
    if let (Some(key), true, true) = (response_key, !run_input.is_empty(), matches!(out.details, orchestration::Details::Accept)) {
        let value = serde_json::to_string(&Value::Object(run_input.clone())).unwrap_or_else(|_| "{}".into());
        // A response already there is the reference's integrity error; keep the first.
        let _ = crate::db::flow_run_inputs::create(conn, clock, id, key, &value, None)?;
    }
    Ok(Some((out.to_json(), out.new_state)))
}

/// The reference's checks of a resume's run input for a pause that waits
/// for input: the schema the pause stored under `keyset["schema"]` must
/// exist and be JSON, and the input must satisfy it. `Err` is the reason
/// of the refusal.
fn check_run_input(
    conn: &Connection,
    id: &str,
    keyset: &Map<String, Value>,
    run_input: &Map<String, Value>,
) -> rusqlite::Result<Result<(), String>> {
    let schema_key = keyset.get("schema").and_then(Value::as_str).unwrap_or("");
    let Some(text) = crate::db::flow_run_inputs::read(conn, id, schema_key)? else {
        return Ok(Err("Run input schema not found.".into()));
    };
    let Ok(schema) = serde_json::from_str::<Value>(&text) else {
        return Ok(Err("Run input schema is not valid JSON.".into()));
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => return Ok(Err(format!("Reason: Validation failed. Failure reason: {e}"))),
    };
    let input = Value::Object(run_input.clone());
    Ok(match validator.validate(&input) {
        Ok(()) => Ok(()),
        Err(e) => {
            let path = e.instance_path().to_string();
            let field = path.trim_start_matches('/').replace('/', ".");
            let place = if field.is_empty() { "Validation failed.".to_string() } else { format!("Validation failed for field '{field}'.") };
            // Python's jsonschema quotes names as Python literals ('name').
            Err(format!("Reason: {place} Failure reason: {}", e.to_string().replace('"', "'")))
        }
    })
}

/// The set_state answer body: the reference's `OrchestrationResult` (the
/// status code is 201 when `out.new_state`, else 200).
pub fn orchestration_result(out: &Outcome) -> String {
    pyjson::to_pydantic_json(&out.to_json())
}

// ---------------------------------------------------------------------------
// Flow runs
// ---------------------------------------------------------------------------

/// Creates a flow run in its first state (PENDING unless given, forced as
/// the reference does), or returns the run with the same
/// `(flow_id, idempotency_key)`.
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
    let doc = fr.to_doc(&id, created, Value::Object(labels), job_variables);
    let proposed = fr.state.clone().unwrap_or_else(StateCreate::pending);
    let before = doc.clone();
    let out = orchestration::orchestrate_flow(doc, proposed.to_state(state_time), FlowPolicy::Minimal, &Facts::at(state_time));
    // The row's `updated` is stamped when the state is written, after `created`.
    let updated = clock.tick();
    let out = finish_flow_outcome(conn, clock, out, &before, updated.max(created))?;
    Ok((out.run, true))
}

// ---------------------------------------------------------------------------
// Task runs
// ---------------------------------------------------------------------------

/// Creates a task run in its first state (forced, or the background policy
/// for a deferred state, as the reference does), or returns the run with
/// the same `(flow_run_id, task_key, dynamic_key)`.
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
    let doc = tr.to_doc(&id, created, Value::Object(labels));
    let proposed = tr.state.clone().unwrap_or_else(StateCreate::pending).to_state(state_time);
    let policy = TaskPolicy::for_proposal(&proposed, true);
    let facts = task_facts(conn, &doc, &proposed, policy, state_time)?;
    let before = doc.clone();
    let out = orchestration::orchestrate_task(doc, proposed, policy, &facts);
    let updated = clock.tick();
    let out = finish_task_outcome(conn, clock, out, &before, updated)?;
    Ok((out.run, true))
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
    // The recorder inserts every reported state into the history, whether
    // or not the run row is updated, under the reported run id.
    if let Some(state) = doc.get("state").and_then(Value::as_object) {
        states::append(conn, RunKind::Task, &id, state)?;
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
    let previous = existing.as_deref().map(parse_doc);
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
    crate::events::emit::deployment_upserted(conn, clock, previous.as_ref(), &doc)?;
    Ok((doc, created))
}
