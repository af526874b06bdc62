//! Events the server itself emits, as 3.9.1's server does, stored in the
//! write transaction that made the change (and published after its COMMIT):
//! - `prefect.flow-run.{state name}` on every flow-run state change
//!   (`InstrumentFlowRunStateTransitions`, part of every flow policy, so also
//!   on `create_flow_run`), the event id being the new state's id;
//! - `prefect.flow.created` when a flow is inserted;
//! - `prefect.deployment.created` when a deployment is inserted, and
//!   `prefect.deployment.updated` when an upsert changes one of the fields
//!   the reference tracks (`DEPLOYMENT_EVENT_FIELDS`);
//! - `prefect.artifact-collection.{created,updated,deleted}` when a key's
//!   latest artifact appears, changes or goes;
//! - `prefect.variable.{created,updated,deleted}`.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::schema::{receive, Doc};
use super::store;
use crate::db::Clock;
use crate::schemas::runs::time_value;

/// Messages longer than this are cut (`TRUNCATE_STATE_MESSAGES_AT`).
const TRUNCATE_AT: usize = 100_000;

/// `truncated_to`: keeps the first and last halves around a marker.
fn truncated(s: &str) -> String {
    let n = s.chars().count();
    if n <= TRUNCATE_AT {
        return s.to_string();
    }
    let half = TRUNCATE_AT / 2;
    let head: String = s.chars().take(half).collect();
    let tail: String = s.chars().skip(n - half).collect();
    let proposed = format!("{head}...{} additional characters...{tail}", n - 2 * half);
    if proposed.chars().count() < n {
        proposed
    } else {
        s.to_string()
    }
}

/// A time-ordered UUID (version 7), as the reference's `uuid7()`.
pub fn uuid7(t: DateTime<Utc>) -> String {
    let mut b = *uuid::Uuid::new_v4().as_bytes();
    let ms = t.timestamp_millis().max(0) as u64;
    b[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    uuid::Uuid::from_bytes(b).hyphenated().to_string()
}

/// Python's `datetime.isoformat()` of a UTC time.
fn isoformat(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

fn s<'a>(d: &'a Doc, k: &str) -> Option<&'a str> {
    d.get(k).and_then(Value::as_str)
}

fn time_of(d: &Doc) -> Option<DateTime<Utc>> {
    d.get("timestamp").and_then(crate::schemas::runs::parse_time)
}

/// `state_payload`: the state's essential string parts.
fn state_payload(state: Option<&Doc>) -> Value {
    let Some(st) = state else { return Value::Null };
    let mut p = Map::new();
    p.insert("type".into(), json!(s(st, "type").unwrap_or("")));
    if let Some(n) = s(st, "name").filter(|n| !n.is_empty()) {
        p.insert("name".into(), json!(n));
    }
    if let Some(m) = s(st, "message").filter(|m| !m.is_empty()) {
        p.insert("message".into(), json!(truncated(m)));
    }
    if s(st, "type") == Some("PAUSED") {
        let r = st.get("state_details").and_then(|d| d.get("pause_reschedule")).and_then(Value::as_bool).unwrap_or(false);
        p.insert("pause_reschedule".into(), json!(r.to_string()));
    }
    Value::Object(p)
}

fn tags(d: &Doc) -> Vec<String> {
    match d.get("tags") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => vec![],
    }
}

fn related(kind: &str, d: &Doc) -> Value {
    json!({
        "prefect.resource.id": format!("prefect.{kind}.{}", s(d, "id").unwrap_or("")),
        "prefect.resource.role": kind,
        "prefect.resource.name": s(d, "name").unwrap_or(""),
    })
}

fn read(conn: &Connection, table: &str, id: Option<&str>) -> rusqlite::Result<Option<Doc>> {
    let Some(id) = id else { return Ok(None) };
    use rusqlite::OptionalExtension;
    let sql = format!("SELECT doc FROM {table} WHERE id = ?1");
    let doc: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
    Ok(doc.and_then(|d| serde_json::from_str(&d).ok()))
}

/// The flow run's related resources: its flow, deployment and parent task
/// run, the tags of them all (sorted), then who created it.
fn flow_run_related(conn: &Connection, run: &Doc) -> rusqlite::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut all_tags: std::collections::BTreeSet<String> = tags(run).into_iter().collect();
    let flow = read(conn, "flow", s(run, "flow_id"))?;
    let deployment = read(conn, "deployment", s(run, "deployment_id"))?;
    let task_run = read(conn, "task_run", s(run, "parent_task_run_id"))?;
    for (kind, d) in [("flow", &flow), ("deployment", &deployment), ("task-run", &task_run)] {
        if let Some(d) = d {
            all_tags.extend(tags(d));
            out.push(related(kind, d));
        }
    }
    for t in all_tags {
        out.push(json!({"prefect.resource.id": format!("prefect.tag.{t}"), "prefect.resource.role": "tag"}));
    }
    if let Some(Value::Object(cb)) = run.get("created_by") {
        let kind = match cb.get("type").and_then(Value::as_str) {
            Some("DEPLOYMENT") => Some("deployment"),
            Some("AUTOMATION") => Some("automation"),
            _ => None,
        };
        if let (Some(kind), Some(id)) = (kind, cb.get("id").and_then(Value::as_str)) {
            let mut r = Map::new();
            r.insert("prefect.resource.id".into(), json!(format!("prefect.{kind}.{id}")));
            r.insert("prefect.resource.role".into(), json!("creator"));
            if let Some(dv) = cb.get("display_value").and_then(Value::as_str).filter(|v| !v.is_empty()) {
                r.insert("prefect.resource.name".into(), json!(dv));
            }
            out.push(Value::Object(r));
        }
    }
    Ok(out)
}

fn store_event(conn: &Connection, clock: &mut Clock, event: Value) -> rusqlite::Result<()> {
    let Value::Object(e) = event else { return Ok(()) };
    let now = clock.tick();
    store::insert(conn, &receive(e, now)).map(|_| ())
}

/// `prefect.flow-run.{state}`: call right after a flow run's new state is
/// stored, in the same transaction. `run` is the flow run as stored (with
/// the new state), `initial` the state it left (None for a new run).
pub fn flow_run_state_changed(
    conn: &Connection,
    clock: &mut Clock,
    run: &Doc,
    initial: Option<&Doc>,
    state: &Doc,
) -> rusqlite::Result<()> {
    let Some(occurred) = time_of(state) else { return Ok(()) };
    let name = s(state, "name").unwrap_or("");
    let message = s(state, "message").unwrap_or("");
    let follows = initial
        .filter(|i| time_of(i).is_some_and(|t| (occurred - t).abs() < Duration::minutes(5)))
        .and_then(|i| s(i, "id"));
    let run_count = run.get("run_count").and_then(Value::as_i64).unwrap_or(0);
    let event = json!({
        "occurred": time_value(occurred),
        "event": format!("prefect.flow-run.{name}"),
        "resource": {
            "prefect.resource.id": format!("prefect.flow-run.{}", s(run, "id").unwrap_or("")),
            "prefect.resource.name": s(run, "name").unwrap_or(""),
            "prefect.run-count": run_count.to_string(),
            "prefect.state-message": truncated(message),
            "prefect.state-name": name,
            "prefect.state-timestamp": isoformat(occurred),
            "prefect.state-type": s(state, "type").unwrap_or(""),
        },
        "related": flow_run_related(conn, run)?,
        "payload": {
            "intended": {"from": initial.and_then(|i| s(i, "type")), "to": s(state, "type")},
            "initial_state": state_payload(initial),
            "validated_state": state_payload(Some(state)),
        },
        "id": s(state, "id"),
        "follows": follows,
    });
    store_event(conn, clock, event)
}

/// `prefect.flow.created`: call when a flow row is inserted.
pub fn flow_created(conn: &Connection, clock: &mut Clock, flow: &Doc) -> rusqlite::Result<()> {
    let now = clock.tick();
    let event = json!({
        "occurred": time_value(now),
        "event": "prefect.flow.created",
        "resource": {
            "prefect.resource.id": format!("prefect.flow.{}", s(flow, "id").unwrap_or("")),
            "prefect.resource.name": s(flow, "name").unwrap_or(""),
        },
        "related": [],
        "payload": {
            "name": s(flow, "name").unwrap_or(""),
            "tags": tags(flow),
            "labels": flow.get("labels").cloned().unwrap_or_else(|| json!({})),
        },
        "id": uuid7(now),
        "follows": null,
    });
    store_event(conn, clock, event)
}

/// The fields whose change is a `prefect.deployment.updated`, as the
/// reference names them, with the wire field holding each. The reference
/// lists changes in the (per-process random) order of a Python set; here
/// they are sorted. `concurrency_limit_id` never changes in artifactd.
const DEPLOYMENT_EVENT_FIELDS: &[(&str, &str)] = &[
    ("concurrency_options", "concurrency_options"),
    ("description", "description"),
    ("enforce_parameter_schema", "enforce_parameter_schema"),
    ("entrypoint", "entrypoint"),
    ("infra_overrides", "job_variables"),
    ("labels", "labels"),
    ("parameter_openapi_schema", "parameter_openapi_schema"),
    ("parameters", "parameters"),
    ("path", "path"),
    ("paused", "paused"),
    ("pull_steps", "pull_steps"),
    ("tags", "tags"),
    ("version", "version"),
    ("work_queue_id", "work_queue_id"),
];

/// `_deployment_related_resources`: its flow, then its storage and
/// infrastructure blocks (artifactd keeps no work queues or pools).
fn deployment_related(conn: &Connection, d: &Doc) -> rusqlite::Result<Vec<Value>> {
    let mut out = Vec::new();
    if let Some(flow) = read(conn, "flow", s(d, "flow_id"))? {
        out.push(json!({
            "prefect.resource.id": format!("prefect.flow.{}", s(&flow, "id").unwrap_or("")),
            "prefect.resource.name": s(&flow, "name").unwrap_or(""),
            "prefect.resource.role": "flow",
        }));
    }
    for (field, role) in [("storage_document_id", "storage"), ("infrastructure_document_id", "infrastructure")] {
        if let Some(id) = s(d, field) {
            out.push(json!({"prefect.resource.id": format!("prefect.block-document.{id}"), "prefect.resource.role": role}));
        }
    }
    Ok(out)
}

/// After a deployment upsert: `previous` is the stored deployment it
/// replaced (None when it was inserted), `now_doc` the stored result.
pub fn deployment_upserted(conn: &Connection, clock: &mut Clock, previous: Option<&Doc>, now_doc: &Doc) -> rusqlite::Result<()> {
    let (name, payload) = match previous {
        None => ("prefect.deployment.created", json!({})),
        Some(old) => {
            let mut updates = Map::new();
            for (field, wire) in DEPLOYMENT_EVENT_FIELDS {
                let before = old.get(*wire).cloned().unwrap_or(Value::Null);
                let after = now_doc.get(*wire).cloned().unwrap_or(Value::Null);
                if before != after {
                    updates.insert(field.to_string(), json!({"from": before, "to": after}));
                }
            }
            if updates.is_empty() {
                return Ok(());
            }
            let fields: Vec<&String> = updates.keys().collect();
            ("prefect.deployment.updated", json!({"updated_fields": fields, "updates": updates}))
        }
    };
    let now = clock.tick();
    let event = json!({
        "occurred": time_value(now),
        "event": name,
        "resource": {
            "prefect.resource.id": format!("prefect.deployment.{}", s(now_doc, "id").unwrap_or("")),
            "prefect.resource.name": s(now_doc, "name").unwrap_or(""),
        },
        "related": deployment_related(conn, now_doc)?,
        "payload": payload,
        "id": uuid7(now),
        "follows": null,
    });
    store_event(conn, clock, event)
}

/// `prefect.artifact-collection.{action}` for a key's collection row
/// (`action` is created, updated or deleted): the row as it is after the
/// change (before it, for deleted).
pub fn artifact_collection(
    conn: &Connection,
    clock: &mut Clock,
    action: &str,
    c: &crate::schemas::artifact::ArtifactRow,
) -> rusqlite::Result<()> {
    let now = clock.tick();
    let mut related = vec![json!({
        "prefect.resource.id": format!("prefect.artifact.{}", c.latest_id.as_deref().unwrap_or("")),
        "prefect.resource.role": "latest",
    })];
    if let Some(fr) = &c.flow_run_id {
        related.push(json!({"prefect.resource.id": format!("prefect.flow-run.{fr}"), "prefect.resource.role": "flow-run"}));
    }
    if let Some(tr) = &c.task_run_id {
        related.push(json!({"prefect.resource.id": format!("prefect.task-run.{tr}"), "prefect.resource.role": "task-run"}));
    }
    let data = c.data.as_deref().and_then(|d| crate::pyjson::loads(d.as_bytes()).ok()).unwrap_or(Value::Null);
    let key = c.key.as_deref().unwrap_or("");
    let event = json!({
        "occurred": time_value(now),
        "event": format!("prefect.artifact-collection.{action}"),
        "resource": {
            "prefect.resource.id": format!("prefect.artifact-collection.{}", c.id),
            "prefect.resource.name": key,
        },
        "related": related,
        "payload": {"key": key, "type": c.r#type, "data": data, "description": c.description},
        "id": uuid7(now),
        "follows": null,
    });
    store_event(conn, clock, event)
}

/// `prefect.variable.{action}`: `value` and `tags` as stored (parsed).
pub fn variable(conn: &Connection, clock: &mut Clock, action: &str, id: &str, name: &str, value: Value, tags: Value) -> rusqlite::Result<()> {
    let now = clock.tick();
    let tags = if tags.is_array() { tags } else { json!([]) };
    let event = json!({
        "occurred": time_value(now),
        "event": format!("prefect.variable.{action}"),
        "resource": {"prefect.resource.id": format!("prefect.variable.{id}"), "prefect.resource.name": name},
        "related": [],
        "payload": {"name": name, "value": value, "tags": tags},
        "id": uuid7(now),
        "follows": null,
    });
    store_event(conn, clock, event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid7_is_version_7_and_time_ordered() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let a = uuid7(t);
        let b = uuid7(t + Duration::milliseconds(1));
        assert_eq!(&a[14..15], "7");
        assert!(a < b);
        assert!(a.starts_with("018bcfe5-6800"));
    }

    #[test]
    fn python_isoformat() {
        let t = DateTime::from_timestamp(1_700_000_000, 120_000).unwrap();
        assert_eq!(isoformat(t), "2023-11-14T22:13:20.000120+00:00");
        assert_eq!(isoformat(DateTime::from_timestamp(1_700_000_000, 0).unwrap()), "2023-11-14T22:13:20+00:00");
    }

    #[test]
    fn state_payloads() {
        let st: Doc = serde_json::from_value(json!({"type": "PAUSED", "name": "Paused", "message": "", "state_details": {"pause_reschedule": true}})).unwrap();
        assert_eq!(state_payload(Some(&st)), json!({"type": "PAUSED", "name": "Paused", "pause_reschedule": "true"}));
        assert_eq!(state_payload(None), Value::Null);
    }
}
