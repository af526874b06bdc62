//! `GET /api/events/in`: the websocket the Prefect client streams its events
//! into. The handshake is the reference's (`accept_prefect_socket`): with the
//! `prefect` subprotocol the first message must be `{"type":"auth",...}`,
//! answered `{"type":"auth_success"}`; without it the socket is accepted in
//! legacy mode with no handshake. After that every text message is one
//! event. Task-run state events the client orchestrated are recorded as the
//! reference's task-run recorder does (`task_run_from_event`); every other
//! event is accepted and dropped.
//!
//! Events of one connection are handled in order, and a close is answered
//! only after every event before it is committed, so when a client's
//! websocket close returns its task runs are readable.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError, Session};
use chrono::{DateTime, Utc};
use futures_util::future::{self, Either};
use serde_json::{json, Map, Value};

use super::body::RequestLimits;
use crate::access::AccessSettings;
use crate::coerce;
use crate::events::schema::{parse_event, uuid_str};
use crate::db::{self, Db};
use crate::schemas::resource_query::Resource;
use crate::schemas::runs::{float_value, time_value, StateCreate, TaskRunCreate};
use crate::schemas::validate::{Errors, Loc};

pub type Doc = Map<String, Value>;

/// The websocket records task runs, so it writes, though its method is GET.
/// Anything but a websocket upgrade is the reference's plain 404 (a
/// websocket route matches no HTTP request, with or without a slash).
pub fn endpoints() -> Vec<super::Endpoint> {
    vec![super::endpoint(actix_web::http::Method::GET, "/events/in", super::Rule::WRITE, events_in)
        .other_methods(super::OtherMethods::NotFound)]
}

pub(super) fn offers_prefect_subprotocol(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(','))
        .any(|p| p.trim() == "prefect")
}

pub(super) fn is_upgrade(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::UPGRADE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case("websocket"))
}

/// An accepted events websocket: what both `/events/in` and `/events/out`
/// need to serve it.
pub(super) struct Socket {
    pub session: Session,
    pub stream: AggregatedMessageStream,
    /// The client offered the `prefect` subprotocol (an auth handshake follows).
    pub prefect: bool,
    /// The server's auth string, which the handshake token must equal.
    pub auth_string: Option<String>,
    pub auth_grace: std::time::Duration,
}

/// The reference's `accept_prefect_socket`: anything but a websocket
/// upgrade is the plain 404; otherwise the upgrade answer (naming the
/// `prefect` subprotocol when offered) and the socket, its frames limited
/// to the body limit (at least 64 KiB).
pub(super) async fn accept(req: &HttpRequest, body: web::Payload) -> Result<(HttpResponse, Socket), HttpResponse> {
    if !is_upgrade(req) {
        return Err(super::not_found(req.clone()).await);
    }
    let prefect = offers_prefect_subprotocol(req);
    let (mut resp, session, stream) = actix_ws::handle(req, body).map_err(|e| e.error_response())?;
    if prefect {
        resp.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static("prefect"));
    }
    let limits = RequestLimits::of(req);
    let limit = limits.body_limit.max(64 * 1024);
    // The reference compares the handshake token with the server's auth
    // string when one is configured (the upgrade request itself already
    // passed the basic-auth check).
    let auth_string = req.app_data::<web::Data<AccessSettings>>().and_then(|s| s.auth_string.clone());
    let stream = stream.max_frame_size(limit).aggregate_continuations().max_continuation_size(limit);
    Ok((resp, Socket { session, stream, prefect, auth_string, auth_grace: limits.ws_auth_grace }))
}

async fn events_in(req: HttpRequest, body: web::Payload, db: web::Data<Db>) -> HttpResponse {
    let (resp, s) = match accept(&req, body).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    let db = db.get_ref().clone();
    actix_web::rt::spawn(serve(s.session, s.stream, db, s.prefect, s.auth_string, s.auth_grace));
    resp
}

pub(super) fn close_reason(code: CloseCode, why: &str) -> Option<CloseReason> {
    // A close frame's reason is at most 123 bytes.
    let mut d = why.to_string();
    while d.len() > 123 {
        d.pop();
    }
    Some(CloseReason { code, description: (!d.is_empty()).then_some(d) })
}

/// What the handshake's first message asks for.
pub(super) fn check_auth(text: &str, auth_string: Option<&str>) -> Result<(), &'static str> {
    let msg: Value = crate::pyjson::loads(text.as_bytes()).map_err(|_| "Expected 'auth' message")?;
    if msg.get("type").and_then(Value::as_str) != Some("auth") {
        return Err("Expected 'auth' message");
    }
    if let Some(expected) = auth_string {
        let token = msg.get("token").and_then(Value::as_str).unwrap_or("");
        if token.is_empty() {
            return Err("Auth required but no token provided");
        }
        if !crate::access::credentials::secret_eq(token.as_bytes(), expected.as_bytes()) {
            return Err("Invalid token");
        }
    }
    Ok(())
}

async fn serve(
    mut session: Session,
    mut stream: AggregatedMessageStream,
    db: Db,
    prefect: bool,
    auth: Option<String>,
    auth_grace: std::time::Duration,
) {
    if !prefect && auth.is_some() {
        tracing::warn!("events websocket closed: 'prefect' subprotocol required when auth is configured");
        let _ = session.close(Some(CloseReason { code: CloseCode::Protocol, description: None })).await;
        return;
    }
    // Without the subprotocol the reference accepts the socket in legacy
    // mode: no handshake, the first message is already an event.
    let mut authenticated = !prefect;
    // A socket open when the server is told to stop is closed (1012, as
    // uvicorn does) rather than holding the graceful shutdown for its
    // whole timeout.
    let mut shutdown = Box::pin(stop_signal());
    // A socket that never authenticates is closed after a grace time, so
    // idle sockets cannot pile up.
    let auth_deadline = actix_web::rt::time::Instant::now() + auth_grace;
    let closing: Option<CloseReason> = loop {
        let recv = Box::pin(stream.recv());
        let next = if authenticated {
            match future::select(recv, &mut shutdown).await {
                Either::Left((next, _)) => next,
                Either::Right(_) => break close_reason(CloseCode::Restart, ""),
            }
        } else {
            let left = auth_deadline.saturating_duration_since(actix_web::rt::time::Instant::now());
            let timed = actix_web::rt::time::timeout(left, recv);
            match future::select(Box::pin(timed), &mut shutdown).await {
                Either::Left((Ok(next), _)) => next,
                Either::Left((Err(_), _)) => {
                    tracing::warn!("events websocket closed: no auth message within {:?}", auth_grace);
                    break close_reason(CloseCode::Policy, "Auth timeout");
                }
                Either::Right(_) => break close_reason(CloseCode::Restart, ""),
            }
        };
        let Some(msg) = next else {
            // The client went away without a close frame.
            return;
        };
        let text = match msg {
            Ok(AggregatedMessage::Ping(b)) => {
                if session.pong(&b).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(AggregatedMessage::Pong(_)) => continue,
            Ok(AggregatedMessage::Close(reason)) => {
                break Some(reason.map(|r| CloseReason { code: r.code, description: None }).unwrap_or(CloseReason {
                    code: CloseCode::Normal,
                    description: None,
                }))
            }
            Ok(AggregatedMessage::Text(t)) => t.to_string(),
            Ok(AggregatedMessage::Binary(b)) => match String::from_utf8(b.to_vec()) {
                Ok(t) => t,
                Err(_) => break close_reason(CloseCode::Unsupported, "Expected a text message"),
            },
            Err(ProtocolError::Overflow) => break close_reason(CloseCode::Size, "Message too big"),
            Err(e) => {
                tracing::debug!(error = %e, "events websocket protocol error");
                break close_reason(CloseCode::Protocol, "Protocol error");
            }
        };
        if !authenticated {
            match check_auth(&text, auth.as_deref()) {
                Ok(()) => {
                    if session.text(r#"{"type":"auth_success"}"#).await.is_err() {
                        return;
                    }
                    authenticated = true;
                    continue;
                }
                Err(why) => {
                    tracing::warn!("events websocket closed: {why}");
                    break close_reason(CloseCode::Policy, why);
                }
            }
        }
        match handle_event(&db, &text).await {
            Ok(()) => {}
            Err(why) => {
                tracing::warn!("events websocket closed: {why}");
                break close_reason(CloseCode::Invalid, &why);
            }
        }
    };
    let _ = session.close(closing).await;
}

/// Resolves when the process receives SIGTERM or SIGINT (actix-server stops
/// gracefully on them); never where they cannot be listened to.
pub(super) async fn stop_signal() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        if let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            future::select(Box::pin(term.recv()), Box::pin(int.recv())).await;
            return;
        }
    }
    future::pending::<()>().await
}

/// Validates one event, stores it (once per id, as the reference's event
/// persister) and records its task run if it is a task-run event. An event
/// that is not a valid `Event` ends the connection (the reference's endpoint
/// fails on it); a valid event whose task run cannot be built is stored but
/// records no task run, with a warning, as the reference's recorder drops it.
async fn handle_event(db: &Db, text: &str) -> Result<(), String> {
    let event = parse_event(text)?;
    let event_id = event.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let record = match task_run_record(&event) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(%event_id, "task run event not recorded: {e}");
            None
        }
    };
    let res = db
        .write_async(move |tx, clock| -> anyhow::Result<()> {
            let now = clock.tick();
            crate::events::store::insert(tx, &crate::events::schema::receive(event, now))?;
            if let Some(record) = record {
                // The recorder is the reference's separate consumer: its
                // failure must not lose the stored event.
                tx.execute_batch("SAVEPOINT task_run_recorder")?;
                let recorded = (|| -> anyhow::Result<()> {
                    let stored = db::runs::read(tx, Resource::TaskRuns, &record.id)?;
                    let doc = record.into_doc(stored, now);
                    db::runs::record_task_run_from_event(tx, &doc)?;
                    Ok(())
                })();
                match recorded {
                    Ok(()) => tx.execute_batch("RELEASE task_run_recorder")?,
                    Err(e) => {
                        tracing::error!("cannot record task run from event: {e:#}");
                        tx.execute_batch("ROLLBACK TO task_run_recorder; RELEASE task_run_recorder")?;
                    }
                }
            }
            Ok(())
        })
        .await;
    if let Err(e) = res {
        tracing::error!(%event_id, "cannot store event: {e:#}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// `Resource.prefect_object_id`: the UUID after `<kind>.` in a resource id.
fn prefect_object_id(resource: &Doc, kind: &str) -> Result<String, String> {
    let rid = resource.get("prefect.resource.id").and_then(Value::as_str).unwrap_or("");
    let prefix = format!("{kind}.");
    let Some(rest) = rid.strip_prefix(&prefix) else {
        return Err(format!("Resource ID {rid} does not start with {prefix}"));
    };
    uuid::Uuid::parse_str(rest)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| format!("badly formed hexadecimal UUID string: {rest}"))
}

// ---------------------------------------------------------------------------
// Task runs from events
// ---------------------------------------------------------------------------

/// A task run as one event reports it: the columns the event sets (the
/// reference's `model_dump_for_orm(exclude_unset=True)` plus the state's
/// denormalized columns), in wire form.
#[derive(Debug, Clone)]
pub struct TaskRunRecord {
    pub id: String,
    pub set: Doc,
}

/// The fields of `TaskRunCreate` that the server's `TaskRun` shares.
const CREATE_FIELDS: &[&str] = &[
    "name", "task_key", "dynamic_key", "cache_key", "cache_expiration", "task_version", "empirical_policy", "tags",
    "labels", "task_inputs",
];
const TIME_FIELDS: &[&str] = &["expected_start_time", "next_scheduled_start_time", "start_time", "end_time"];

fn errors_text(errs: &Errors) -> String {
    errs.items
        .iter()
        .map(|e| {
            let loc: Vec<String> = e
                .loc
                .iter()
                .map(|l| match l {
                    Loc::Key(k) => k.clone(),
                    Loc::Index(i) => i.to_string(),
                })
                .collect();
            format!("{}: {}", loc.join("."), e.msg)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `set_run_policy_deprecated_fields`: old-style retry settings fill in the
/// new ones.
fn populate_deprecated_policy(p: &mut Value) {
    let Value::Object(m) = p else { return };
    let falsy = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    let nonzero = |v: Option<&Value>| v.and_then(Value::as_f64).is_some_and(|f| f != 0.0);
    if falsy(m.get("retries")) && nonzero(m.get("max_retries")) {
        let v = m.get("max_retries").cloned().unwrap_or(Value::Null);
        m.insert("retries".into(), v);
    }
    if falsy(m.get("retry_delay")) && nonzero(m.get("retry_delay_seconds")) {
        let v = m.get("retry_delay_seconds").cloned().unwrap_or(Value::Null);
        m.insert("retry_delay".into(), v);
    }
}

fn timedelta_seconds(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "total_run_time: Input should be a valid timedelta".into()),
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| "total_run_time: Input should be a valid timedelta".into()),
        _ => Err("total_run_time: Input should be a valid timedelta".into()),
    }
}

/// The reference recorder's `task_run_from_event` +
/// `db_recordable_task_run_from_event`. `Ok(None)` for events the recorder
/// ignores (not `prefect.task-run…`, or not orchestrated by the client).
pub fn task_run_record(event: &Doc) -> Result<Option<TaskRunRecord>, String> {
    let name = event.get("event").and_then(Value::as_str).unwrap_or("");
    let empty = Map::new();
    let resource = event.get("resource").and_then(Value::as_object).unwrap_or(&empty);
    if !name.starts_with("prefect.task-run")
        || resource.get("prefect.orchestration").and_then(Value::as_str) != Some("client")
    {
        return Ok(None);
    }
    let mut id = prefect_object_id(resource, "prefect.task-run")?;
    // `resource_in_role`: the first related resource of each role wins.
    let flow_run = event
        .get("related")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .find(|r| r.get("prefect.resource.role").and_then(Value::as_str) == Some("flow-run"));
    let mut flow_run_id = match flow_run {
        Some(r) => Value::String(prefect_object_id(r, "prefect.flow-run")?),
        None => Value::Null,
    };
    let payload = event.get("payload").and_then(Value::as_object).unwrap_or(&empty);

    // The state: {"id": event.id, "timestamp": event.occurred, **validated_state}.
    let vs = match payload.get("validated_state") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("validated_state: Input should be a valid dictionary".into()),
        None => return Err("payload has no validated_state".into()),
    };
    let mut state_id = event.get("id").cloned().unwrap_or(Value::Null);
    let mut state_ts = event.get("occurred").and_then(|t| coerce::datetime(t).ok()).unwrap_or_else(Utc::now);
    if let Some(v) = vs.get("id") {
        state_id = Value::String(uuid_str(v, "validated_state.id")?);
    }
    if let Some(v) = vs.get("timestamp") {
        state_ts = coerce::datetime(v).map_err(|p| format!("validated_state.timestamp: {}", p.msg))?;
    }
    let known: Map<String, Value> = vs
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "type" | "name" | "message" | "data" | "state_details"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut errs = Errors::default();
    let st = StateCreate::parse(&Value::Object(known), &[Loc::Key("validated_state".into())], &mut errs)
        .ok_or_else(|| errors_text(&errs))?;

    // The task run's own fields: {"id", "flow_run_id", "state_id", "state", **task_run}.
    let tr = match payload.get("task_run") {
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err("task_run: Input should be a valid dictionary".into()),
        None => return Err("payload has no task_run".into()),
    };
    if let Some(v) = tr.get("id") {
        id = uuid_str(v, "task_run.id")?;
    }
    if let Some(v) = tr.get("flow_run_id") {
        flow_run_id = match v {
            Value::Null => Value::Null,
            v => Value::String(uuid_str(v, "task_run.flow_run_id")?),
        };
    }
    let subset: Map<String, Value> =
        tr.iter().filter(|(k, _)| CREATE_FIELDS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut errs = Errors::default();
    let create = TaskRunCreate::parse(&Value::Object(subset), &[Loc::Key("task_run".into())], &mut errs)
        .ok_or_else(|| errors_text(&errs))?;

    let mut set = Map::new();
    set.insert("id".into(), Value::String(id.clone()));
    let created_fields = [
        ("name", json!(create.name)),
        ("task_key", json!(create.task_key)),
        ("dynamic_key", json!(create.dynamic_key)),
        ("cache_key", create.cache_key.clone()),
        ("cache_expiration", create.cache_expiration.clone()),
        ("task_version", create.task_version.clone()),
        ("empirical_policy", {
            let mut p = create.empirical_policy.clone();
            populate_deprecated_policy(&mut p);
            p
        }),
        ("tags", create.tags.clone()),
        ("labels", if tr.get("labels").is_some_and(Value::is_null) { Value::Null } else { create.labels.clone() }),
        ("task_inputs", create.task_inputs.clone()),
    ];
    set.insert("flow_run_id".into(), flow_run_id.clone());
    for (k, v) in created_fields {
        if tr.contains_key(k) {
            set.insert(k.into(), v);
        }
    }
    for k in ["run_count", "flow_run_run_count"] {
        if let Some(v) = tr.get(k) {
            let n = coerce::int(v).map_err(|p| format!("task_run.{k}: {}", p.msg))?;
            set.insert(k.into(), json!(n));
        }
    }
    for k in TIME_FIELDS {
        if let Some(v) = tr.get(*k) {
            let t = match v {
                Value::Null => Value::Null,
                v => time_value(coerce::datetime(v).map_err(|p| format!("task_run.{k}: {}", p.msg))?),
            };
            set.insert((*k).into(), t);
        }
    }
    if let Some(v) = tr.get("total_run_time") {
        set.insert("total_run_time".into(), float_value(timedelta_seconds(v)?));
    }

    // The state as the reference stores and later returns it.
    let mut state = st.to_state(state_ts);
    state.insert("id".into(), state_id.clone());
    if let Some(Value::Object(d)) = state.get_mut("state_details") {
        d.insert("flow_run_id".into(), flow_run_id);
        d.insert("task_run_id".into(), Value::String(id.clone()));
    }
    set.insert("state_id".into(), state_id);
    set.insert("state_type".into(), json!(st.r#type));
    set.insert("state_name".into(), json!(st.name));
    set.insert("state".into(), Value::Object(state));
    Ok(Some(TaskRunRecord { id, set }))
}

/// The `TaskRun` with every column at its database default, in the
/// reference's field order.
fn default_task_run(id: &str, now: DateTime<Utc>) -> Doc {
    let t = time_value(now);
    let doc = json!({
        "id": id,
        "created": t,
        "updated": t,
        "name": null,
        "flow_run_id": null,
        "task_key": "",
        "dynamic_key": "",
        "cache_key": null,
        "cache_expiration": null,
        "task_version": null,
        "empirical_policy": {
            "max_retries": 0,
            "retry_delay_seconds": float_value(0.0),
            "retries": null,
            "retry_delay": null,
            "retry_jitter_factor": null,
        },
        "tags": [],
        "labels": {},
        "state_id": null,
        "task_inputs": {},
        "state_type": null,
        "state_name": null,
        "run_count": 0,
        "flow_run_run_count": 0,
        "expected_start_time": null,
        "next_scheduled_start_time": null,
        "start_time": null,
        "end_time": null,
        "total_run_time": float_value(0.0),
        "estimated_run_time": float_value(0.0),
        "estimated_start_time_delta": float_value(0.0),
        "state": null,
    });
    match doc {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl TaskRunRecord {
    /// The `TaskRun` wire object after the recorder's upsert: a new row
    /// takes the event's columns over the defaults; an existing row keeps
    /// `created` and every column the event does not set. `updated` is now.
    pub fn into_doc(self, stored: Option<Doc>, now: DateTime<Utc>) -> Doc {
        let mut doc = match stored {
            Some(s) => {
                let mut d = default_task_run(&self.id, now);
                for (k, v) in s {
                    if d.contains_key(&k) {
                        d.insert(k, v);
                    }
                }
                d
            }
            None => default_task_run(&self.id, now),
        };
        if doc.get("name").is_none_or(Value::is_null) && !self.set.contains_key("name") {
            doc.insert("name".into(), Value::String(crate::schemas::runs::generate_slug()));
        }
        for (k, v) in self.set {
            doc.insert(k, v);
        }
        doc.insert("updated".into(), time_value(now));
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Doc {
        let v = json!({
            "occurred": "2026-11-29T06:25:22.271899Z",
            "event": "prefect.task-run.Completed",
            "resource": {
                "prefect.resource.id": "prefect.task-run.01a225fa-c831-7d39-b63f-7cbb31eafd76",
                "prefect.resource.name": "tabulate-61a",
                "prefect.run-count": "1",
                "prefect.state-message": "",
                "prefect.state-name": "Completed",
                "prefect.state-timestamp": "2026-11-29T06:25:22.271899+00:00",
                "prefect.state-type": "COMPLETED",
                "prefect.orchestration": "client"
            },
            "related": [
                {"prefect.resource.id": "prefect.tag.demo", "prefect.resource.role": "tag"},
                {"prefect.resource.id": "prefect.flow-run.18d8a0fd-be35-49cb-a9fb-4ebd41766895",
                 "prefect.resource.role": "flow-run", "prefect.resource.name": "coral-cuttlefish"},
                {"prefect.resource.id": "prefect.flow.72d90705-b07e-4b64-a00c-5bd1b0a9f541",
                 "prefect.resource.role": "flow", "prefect.resource.name": "sdk-demo"}
            ],
            "payload": {
                "intended": {"from": "RUNNING", "to": "COMPLETED"},
                "initial_state": {"type": "RUNNING", "name": "Running", "message": "", "state_details": {}},
                "validated_state": {"type": "COMPLETED", "name": "Completed", "message": "",
                                    "state_details": {"untrackable_result": true}, "data": null},
                "task_run": {
                    "name": "tabulate-61a", "task_key": "tabulate-1794ef55",
                    "dynamic_key": "61ab21ef-fe4d-4aa2-88f3-09e2779ca314",
                    "empirical_policy": {"max_retries": 0, "retry_delay_seconds": 0.0, "retries": 0, "retry_delay": 0},
                    "tags": ["demo"], "labels": {}, "task_inputs": {}, "run_count": 1, "flow_run_run_count": 1,
                    "expected_start_time": "2026-11-29T06:25:21.969644Z",
                    "start_time": "2026-11-29T06:25:22.111461Z",
                    "end_time": "2026-11-29T06:25:22.271899Z",
                    "total_run_time": 0.160438
                }
            },
            "id": "01a225fa-c95e-7922-87c8-703b352c2124",
            "follows": "01a225fa-c8bf-7a92-be1a-bf3589e4e438"
        });
        parse_event(&v.to_string()).expect("valid event")
    }

    #[test]
    fn builds_the_reference_task_run() {
        let rec = task_run_record(&event()).unwrap().unwrap();
        let now = coerce::datetime(&json!("2026-11-29T06:25:22.275229Z")).unwrap();
        let doc = rec.into_doc(None, now);
        let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
        assert_eq!(keys[..4], ["id", "created", "updated", "name"]);
        assert_eq!(doc["id"], "01a225fa-c831-7d39-b63f-7cbb31eafd76");
        assert_eq!(doc["flow_run_id"], "18d8a0fd-be35-49cb-a9fb-4ebd41766895");
        assert_eq!(doc["state_id"], "01a225fa-c95e-7922-87c8-703b352c2124");
        assert_eq!(doc["state_type"], "COMPLETED");
        assert_eq!(doc["created"], "2026-11-29T06:25:22.275229Z");
        assert_eq!(
            crate::pyjson::to_pydantic_json(&doc["empirical_policy"]),
            r#"{"max_retries":0,"retry_delay_seconds":0.0,"retries":0,"retry_delay":0,"retry_jitter_factor":null}"#
        );
        assert_eq!(crate::pyjson::to_pydantic_json(&doc["total_run_time"]), "0.160438");
        let state = doc["state"].as_object().unwrap();
        assert_eq!(state["timestamp"], "2026-11-29T06:25:22.271899Z");
        assert_eq!(state["id"], "01a225fa-c95e-7922-87c8-703b352c2124");
        assert_eq!(state["message"], "");
        assert_eq!(state["state_details"]["task_run_id"], "01a225fa-c831-7d39-b63f-7cbb31eafd76");
        assert_eq!(state["state_details"]["untrackable_result"], true);
        let skeys: Vec<&str> = state.keys().map(String::as_str).collect();
        assert_eq!(skeys, ["id", "type", "name", "timestamp", "message", "data", "state_details"]);
    }

    #[test]
    fn ignores_other_events() {
        let mut e = event();
        e.insert("event".into(), json!("prefect.flow-run.Completed"));
        assert!(task_run_record(&e).unwrap().is_none());
        let mut e = event();
        e["resource"].as_object_mut().unwrap().insert("prefect.orchestration".into(), json!("server"));
        assert!(task_run_record(&e).unwrap().is_none());
    }

    #[test]
    fn a_bad_task_run_is_an_error_not_a_panic() {
        let mut e = event();
        e["payload"]["task_run"].as_object_mut().unwrap().remove("task_key");
        assert!(task_run_record(&e).is_err());
        let mut e = event();
        e["resource"].as_object_mut().unwrap().insert("prefect.resource.id".into(), json!("prefect.task-run.nope"));
        assert!(task_run_record(&e).is_err());
    }

    #[test]
    fn an_update_keeps_created_and_unset_columns() {
        let rec = task_run_record(&event()).unwrap().unwrap();
        let t0 = coerce::datetime(&json!("2026-11-29T06:25:22Z")).unwrap();
        let first = rec.clone().into_doc(None, t0);
        let mut rec2 = rec;
        rec2.set.remove("end_time");
        let t1 = coerce::datetime(&json!("2026-11-29T06:25:23Z")).unwrap();
        let mut stored = first.clone();
        stored.insert("cache_key".into(), json!("kept"));
        let second = rec2.into_doc(Some(stored), t1);
        assert_eq!(second["created"], first["created"]);
        assert_eq!(second["updated"], "2026-11-29T06:25:23Z");
        assert_eq!(second["cache_key"], "kept");
        assert_eq!(second["end_time"], first["end_time"]);
    }
}
