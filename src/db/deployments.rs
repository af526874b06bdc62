//! Deployments beyond their upsert (in `runs`): read by name, update,
//! pause and resume, delete, runs created from a deployment, the runner's
//! scheduled-run poll; and the deletes of flows and flow runs with the
//! cascades the reference's foreign keys make.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::db::runs::{self, Doc};
use crate::db::Clock;
use crate::error::ApiError;
use crate::schemas::deployments::{DeploymentFlowRunCreate, DeploymentUpdate, FlowRunUpdate, ScheduledRunsQuery};
use crate::schemas::parameter_schema;
use crate::schemas::resource_query::Resource;
use crate::schemas::runs::{time_value, FlowRunCreate, StateCreate};
use crate::timefmt;

fn docs(conn: &Connection, sql: &str, params: Vec<SqlValue>) -> rusqlite::Result<Vec<Doc>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(0))?;
    rows.map(|r| r.map(|s| runs::parse_doc(&s))).collect()
}

fn ids(conn: &Connection, sql: &str, params: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// The deployment `deployment_name` of the flow `flow_name`.
pub fn read_by_name(conn: &Connection, flow_name: &str, deployment_name: &str) -> rusqlite::Result<Option<Doc>> {
    let s: Option<String> = conn
        .prepare_cached(
            "SELECT deployment.doc FROM deployment JOIN flow ON flow.id = deployment.flow_id
             WHERE flow.name = ?1 AND deployment.name = ?2",
        )?
        .query_row([flow_name, deployment_name], |r| r.get(0))
        .optional()?;
    Ok(s.map(|s| runs::parse_doc(&s)))
}

/// The reference's `_delete_scheduled_runs`: a deployment's runs still
/// Scheduled that never ran (not those awaiting a concurrency slot), only
/// the auto-scheduled ones when asked, only future ones when asked.
fn delete_scheduled_runs(conn: &Connection, deployment_id: &str, auto_only: bool, future_only: bool) -> rusqlite::Result<()> {
    let mut sql = String::from(
        "SELECT id FROM flow_run WHERE deployment_id = ?1 AND state_type = 'SCHEDULED'
         AND state_name IS NOT 'AwaitingConcurrencySlot' AND run_count = 0",
    );
    if auto_only {
        sql.push_str(" AND json_extract(doc, '$.auto_scheduled') = 1");
    }
    if future_only {
        sql.push_str(" AND next_scheduled_start_time > ?2");
    }
    let now = timefmt::now_stored();
    let found = if future_only { ids(conn, &sql, &[&deployment_id, &now])? } else { ids(conn, &sql, &[&deployment_id])? };
    for id in found {
        delete_flow_run_rows(conn, &id, false)?;
    }
    Ok(())
}

/// The answer when a field names something artifactd has none of.
pub enum UpdateRefused {
    NotFound,
    Missing(String),
    /// The parameters fail the enforced parameter schema (409).
    Conflict(String),
}

/// `PATCH /deployments/{id}`: writes the fields the client set. `Err` with
/// the refusal when the deployment (or what a field names) does not exist.
pub fn update(conn: &Connection, clock: &mut Clock, id: &str, u: &DeploymentUpdate) -> Result<Result<(), UpdateRefused>, ApiError> {
    let Some(mut doc) = runs::read(conn, Resource::Deployments, id)? else { return Ok(Err(UpdateRefused::NotFound)) };
    if let Some(Value::String(pool)) = u.set.get("work_pool_name") {
        // artifactd has no work pools.
        return Ok(Err(UpdateRefused::Missing(format!("Work pool \"{pool}\" not found."))));
    }
    if u.set.get("global_concurrency_limit_id").is_some_and(|v| !v.is_null()) {
        return Ok(Err(UpdateRefused::Missing("Concurrency limit not found".into())));
    }
    // The new parameters must satisfy the (new or current) schema when it
    // is enforced; required keys are not checked on an update.
    let given = |k: &str| u.set.get(k).filter(|v| !v.is_null());
    let enforce = given("enforce_parameter_schema")
        .or_else(|| doc.get("enforce_parameter_schema"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if enforce {
        let schema = given("parameter_openapi_schema")
            .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
            .or_else(|| doc.get("parameter_openapi_schema"))
            .cloned()
            .unwrap_or(Value::Null);
        let params = given("parameters").or_else(|| doc.get("parameters")).and_then(Value::as_object).cloned().unwrap_or_default();
        if let Err(m) = parameter_schema::check(&params, &schema, true) {
            return Ok(Err(UpdateRefused::Conflict(format!("Error updating deployment: {m}"))));
        }
    }
    // artifactd has no blocks: naming one breaks the foreign key.
    if ["infrastructure_document_id", "storage_document_id"].iter().any(|k| given(k).is_some()) {
        return Err(ApiError::Conflict(runs::INTEGRITY_CONFLICT.into()));
    }
    let t = clock.tick();
    for (k, v) in &u.set {
        match k.as_str() {
            // Not columns of the deployment (and schedules are not stored).
            "work_pool_name" | "version_info" | "schedules" => {}
            // The reference keeps a deployment's limit as a global
            // concurrency limit named after it (and answers
            // `concurrency_limit` as it was).
            "concurrency_limit" => {
                let limit = match v.as_i64() {
                    None => Value::Null,
                    Some(n) => match doc.get("global_concurrency_limit").cloned() {
                        Some(Value::Object(mut g)) => {
                            if g.get("limit").and_then(Value::as_i64) != Some(n) {
                                g.insert("limit".into(), json!(n));
                                g.insert("updated".into(), time_value(t));
                            }
                            Value::Object(g)
                        }
                        _ => json!({
                            "id": uuid::Uuid::new_v4().to_string(),
                            "created": time_value(t),
                            "updated": time_value(t),
                            "active": true,
                            "name": format!("deployment:{id}"),
                            "limit": n,
                            "active_slots": 0,
                            "slot_decay_per_second": crate::schemas::runs::float_value(0.0),
                        }),
                    },
                };
                doc.insert("global_concurrency_limit".into(), limit);
            }
            "global_concurrency_limit_id" => {
                doc.insert("global_concurrency_limit".into(), Value::Null);
            }
            // `None` keeps what is there (the model's `exclude_unset` dump
            // carries no other meaning for these non-null columns).
            "parameters" | "enforce_parameter_schema" | "parameter_openapi_schema" | "job_variables"
                if v.is_null() => {}
            "pull_steps" if v.is_null() => {
                doc.insert(k.clone(), json!([]));
            }
            _ => {
                if doc.contains_key(k) {
                    doc.insert(k.clone(), v.clone());
                }
            }
        }
    }
    doc.insert("updated".into(), time_value(t));
    runs::put(conn, Resource::Deployments, &doc)?;
    delete_scheduled_runs(conn, id, true, true)?;
    Ok(Ok(()))
}

/// Pauses or resumes a deployment; pausing removes its auto-scheduled runs.
/// False when there is no such deployment.
pub fn set_paused(conn: &Connection, clock: &mut Clock, id: &str, paused: bool) -> rusqlite::Result<bool> {
    let Some(mut doc) = runs::read(conn, Resource::Deployments, id)? else { return Ok(false) };
    // The ORM writes (and stamps `updated`) only when the value changes.
    if doc.get("paused").and_then(Value::as_bool) != Some(paused) {
        doc.insert("paused".into(), Value::Bool(paused));
        doc.insert("updated".into(), time_value(clock.tick()));
        runs::put(conn, Resource::Deployments, &doc)?;
    }
    if paused {
        delete_scheduled_runs(conn, id, true, false)?;
    }
    Ok(true)
}

/// Deletes a deployment and its runs that are still scheduled; its other
/// runs stay (their `deployment_id` is no foreign key). False when absent.
pub fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    if runs::read(conn, Resource::Deployments, id)?.is_none() {
        return Ok(false);
    }
    delete_scheduled_runs(conn, id, false, false)?;
    conn.prepare_cached("DELETE FROM deployment WHERE id = ?1")?.execute([id])?;
    Ok(true)
}

/// Why a run could not be created from a deployment.
pub enum CreateRefused {
    NotFound,
    BadRequest(String),
    /// The parameters fail the enforced parameter schema (409).
    Conflict(String),
}

/// `POST /deployments/{id}/create_flow_run`: a run of the deployment's
/// flow with the deployment's parameters under the given ones, its tags
/// joined with the run's, Scheduled now unless a state is given.
pub fn create_flow_run(
    conn: &Connection,
    clock: &mut Clock,
    deployment_id: &str,
    r: &DeploymentFlowRunCreate,
    created_by: Value,
) -> Result<Result<(Doc, bool), CreateRefused>, ApiError> {
    let Some(dep) = runs::read(conn, Resource::Deployments, deployment_id)? else { return Ok(Err(CreateRefused::NotFound)) };
    if let Value::String(q) = &r.work_queue_name {
        if !q.is_empty() {
            // artifactd's deployments have no work pool.
            return Ok(Err(CreateRefused::BadRequest(format!(
                "Cannot create flow run in work queue {q} because deployment {deployment_id} is not associated with a work pool. Please remove work_pool_name and try again."
            ))));
        }
    }
    let mut parameters = dep.get("parameters").and_then(Value::as_object).cloned().unwrap_or_default();
    if let Value::Object(p) = &r.parameters {
        for (k, v) in p {
            parameters.insert(k.clone(), v.clone());
        }
    }
    // `set(deployment.tags).union(flow_run.tags)`: a set, so its order is
    // Python's hash order; sorted here so it is at least stable.
    let enforce = r.enforce_parameter_schema.or_else(|| dep.get("enforce_parameter_schema").and_then(Value::as_bool)).unwrap_or(true);
    if enforce {
        let schema = dep.get("parameter_openapi_schema").cloned().unwrap_or(Value::Null);
        if let Err(m) = parameter_schema::check(&parameters, &schema, false) {
            return Ok(Err(CreateRefused::Conflict(format!("Error creating flow run: {m}"))));
        }
    }
    let mut tags: Vec<String> = dep
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    tags.extend(r.tags.iter().cloned());
    tags.sort();
    tags.dedup();
    // artifactd has no blocks: naming one breaks the foreign key.
    if !r.infrastructure_document_id.is_null() {
        return Err(ApiError::Conflict(runs::INTEGRITY_CONFLICT.into()));
    }
    let flow_id = dep.get("flow_id").and_then(Value::as_str).unwrap_or_default().to_string();
    let state = r.state.clone().unwrap_or_else(|| scheduled_now(clock));
    let new = FlowRunCreate {
        state: Some(state),
        name: r.name.clone(),
        flow_id,
        flow_version: Value::Null,
        parameters: Value::Object(parameters),
        context: r.context.clone(),
        parent_task_run_id: r.parent_task_run_id.clone(),
        infrastructure_document_id: if r.infrastructure_document_id.is_null() {
            dep.get("infrastructure_document_id").cloned().unwrap_or(Value::Null)
        } else {
            r.infrastructure_document_id.clone()
        },
        empirical_policy: r.empirical_policy.clone(),
        tags: json!(tags),
        labels: if r.labels.is_null() { json!({}) } else { r.labels.clone() },
        idempotency_key: r.idempotency_key.clone(),
        work_pool_name: Value::Null,
        work_queue_name: dep.get("work_queue_name").cloned().unwrap_or(Value::Null),
        job_variables: if r.job_variables.is_null() { json!({}) } else { r.job_variables.clone() },
        deployment_id: Value::String(deployment_id.to_string()),
    };
    let (mut doc, created) = runs::create_flow_run(conn, clock, &new)?;
    if created {
        doc.insert("deployment_version".into(), dep.get("version").cloned().unwrap_or(Value::Null));
        doc.insert("created_by".into(), created_by);
        runs::put(conn, Resource::FlowRuns, &doc)?;
    }
    Ok(Ok((doc, created)))
}

/// `Scheduled()` at the server's now.
fn scheduled_now(clock: &mut Clock) -> StateCreate {
    let mut s = StateCreate::pending();
    s.r#type = "SCHEDULED".into();
    s.name = "Scheduled".into();
    s.details.insert("scheduled_time".into(), time_value(clock.tick()));
    s
}

/// The runner's poll: Scheduled runs of existing deployments among the
/// given ones, scheduled before the given time, soonest first.
pub fn scheduled_runs(conn: &Connection, q: &ScheduledRunsQuery) -> rusqlite::Result<Vec<Doc>> {
    if q.deployment_ids.is_empty() {
        return Ok(Vec::new());
    }
    // One bound parameter however many ids (SQLite caps the number of
    // parameters, not their size).
    let ids = Value::Array(q.deployment_ids.iter().map(|i| Value::String(i.clone())).collect()).to_string();
    let mut params: Vec<SqlValue> = vec![SqlValue::Text(ids)];
    let mut sql = String::from(
        "SELECT flow_run.doc FROM flow_run WHERE flow_run.state_type = 'SCHEDULED'
         AND flow_run.deployment_id IN (SELECT deployment.id FROM deployment
             WHERE deployment.id IN (SELECT value FROM json_each(?)))",
    );
    if let Some(t) = q.scheduled_before {
        sql.push_str(" AND flow_run.next_scheduled_start_time <= ?");
        params.push(SqlValue::Text(timefmt::to_stored(t)));
    }
    sql.push_str(" ORDER BY flow_run.next_scheduled_start_time ASC LIMIT ?");
    params.push(SqlValue::Integer(q.limit));
    docs(conn, &sql, params)
}

/// After a poll the reference marks the polled deployments READY with
/// `last_polled` now, leaving `updated` as it was.
pub fn mark_ready(conn: &Connection, clock: &mut Clock, deployment_ids: &[String]) -> rusqlite::Result<()> {
    let t = time_value(clock.tick());
    let mut ids: Vec<&String> = deployment_ids.iter().collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        if let Some(mut doc) = runs::read(conn, Resource::Deployments, id)? {
            doc.insert("status".into(), json!("READY"));
            doc.insert("last_polled".into(), t.clone());
            runs::put(conn, Resource::Deployments, &doc)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Flows and flow runs
// ---------------------------------------------------------------------------

pub fn read_flow_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<Doc>> {
    let s: Option<String> =
        conn.prepare_cached("SELECT doc FROM flow WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()?;
    Ok(s.map(|s| runs::parse_doc(&s)))
}

/// Deletes a flow with what its foreign keys cascade to: its deployments
/// and its runs (and theirs). Logs and artifacts stay, as in the
/// reference. False when absent.
pub fn delete_flow(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    if runs::read(conn, Resource::Flows, id)?.is_none() {
        return Ok(false);
    }
    for run in ids(conn, "SELECT id FROM flow_run WHERE flow_id = ?1", &[&id])? {
        delete_flow_run_rows(conn, &run, false)?;
    }
    conn.prepare_cached("DELETE FROM deployment WHERE flow_id = ?1")?.execute([id])?;
    conn.prepare_cached("DELETE FROM flow WHERE id = ?1")?.execute([id])?;
    Ok(true)
}

/// Deletes a flow run and its task runs, with their state histories and
/// the run's inputs;
/// a subflow run whose parent task run goes loses `parent_task_run_id`
/// (SET NULL). With `logs`, its logs go too (the reference's API deletes
/// them after the run; a cascade from a flow does not).
fn delete_flow_run_rows(conn: &Connection, id: &str, logs: bool) -> rusqlite::Result<()> {
    let tasks = ids(conn, "SELECT id FROM task_run WHERE flow_run_id = ?1", &[&id])?;
    for t in &tasks {
        for child in ids(conn, "SELECT id FROM flow_run WHERE parent_task_run_id = ?1", &[t])? {
            if let Some(mut doc) = runs::read(conn, Resource::FlowRuns, &child)? {
                doc.insert("parent_task_run_id".into(), Value::Null);
                runs::put(conn, Resource::FlowRuns, &doc)?;
            }
        }
    }
    // The state histories and inputs go with their runs (foreign keys
    // with ON DELETE CASCADE in the reference's schema).
    for t in &tasks {
        conn.prepare_cached("DELETE FROM task_run_state WHERE task_run_id = ?1")?.execute([t])?;
    }
    conn.prepare_cached("DELETE FROM flow_run_state WHERE flow_run_id = ?1")?.execute([id])?;
    crate::db::flow_run_inputs::delete_for_run(conn, id)?;
    conn.prepare_cached("DELETE FROM task_run WHERE flow_run_id = ?1")?.execute([id])?;
    if logs {
        conn.prepare_cached("DELETE FROM log WHERE flow_run_id = ?1")?.execute([id])?;
    }
    conn.prepare_cached("DELETE FROM flow_run WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// `DELETE /flow_runs/{id}`. False when absent.
pub fn delete_flow_run(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    if runs::read(conn, Resource::FlowRuns, id)?.is_none() {
        return Ok(false);
    }
    delete_flow_run_rows(conn, id, true)?;
    Ok(true)
}

/// Why a flow run update was refused.
pub enum FlowRunUpdateRefused {
    NotFound,
    BadRequest(String),
}

/// `PATCH /flow_runs/{id}`: writes the fields the client set. Job
/// variables may change only while the run is Scheduled and has a
/// deployment.
pub fn update_flow_run(conn: &Connection, clock: &mut Clock, id: &str, u: &FlowRunUpdate) -> Result<Result<(), FlowRunUpdateRefused>, ApiError> {
    let Some(mut doc) = runs::read(conn, Resource::FlowRuns, id)? else { return Ok(Err(FlowRunUpdateRefused::NotFound)) };
    if u.set.get("job_variables").is_some_and(|v| !v.is_null()) {
        let state = doc.get("state").and_then(|s| s.get("type")).and_then(Value::as_str).map(str::to_string);
        let refusal = match state.as_deref() {
            None => Some("Flow run state is required to update job variables but none exists".to_string()),
            Some("SCHEDULED") => None,
            Some(t) => Some(format!("Job variables for a flow run in state {t} cannot be updated")),
        };
        if let Some(r) = refusal {
            return Ok(Err(FlowRunUpdateRefused::BadRequest(r)));
        }
        let dep = doc.get("deployment_id").and_then(Value::as_str).map(str::to_string);
        let found = match dep {
            Some(d) => runs::read(conn, Resource::Deployments, &d)?.is_some(),
            None => false,
        };
        if !found {
            return Ok(Err(FlowRunUpdateRefused::BadRequest("A deployment for the flow run could not be found".into())));
        }
    }
    for (k, v) in &u.set {
        if k == "job_variables" && v.is_null() {
            doc.insert(k.clone(), Value::Null);
            continue;
        }
        doc.insert(k.clone(), v.clone());
    }
    doc.insert("updated".into(), Value::String(timefmt::to_wire(&timefmt::to_stored_millis(clock.tick()))));
    runs::put(conn, Resource::FlowRuns, &doc)?;
    Ok(Ok(()))
}
