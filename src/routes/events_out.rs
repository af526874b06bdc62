//! `GET /api/events/out`: the websocket the Prefect client's
//! `PrefectEventSubscriber` (and so `wait_for_flow_run` and the runner's
//! cancellation observer) reads events from. The handshake is /events/in's;
//! then the client sends `{"type": "filter", "filter": {...}, "backfill":
//! true}`. The server subscribes to the live feed first, then (unless
//! `backfill` is falsy) sends the matching stored events of the last 15
//! minutes (`PREFECT_EVENTS_MAXIMUM_WEBSOCKET_BACKFILL`) oldest first, in
//! pages of 250 (`..._WEBSOCKET_BACKFILL_PAGE_SIZE`), at most
//! [`MAX_BACKFILL_PAGES`] of them, and then every newly committed event the
//! filter includes, each as `{"type": "event", "event": {...}}`, skipping
//! those already backfilled.
//!
//! Close codes: a message that is not a filter message, 1002 "Expected
//! 'filter' message"; a filter that does not validate, 1002 "Invalid
//! filter: ..." (cut to the 123 bytes a close reason holds: the
//! reference's longer reason fails to send and it drops the connection,
//! which its client sees as 1006, as it does for a message that is not
//! JSON). No auth or filter message within the grace time: 1008.
//!
//! A slow subscriber: the session buffers 32 messages; while it is full
//! the feed behind it falls behind, and past 1,024 events the oldest are
//! skipped (`events::bus`). One that takes nothing for 30 s is dropped.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError, Session};
use chrono::{Duration, Utc};
use futures_util::future::{self, Either};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::events::{accept, check_auth, close_reason, stop_signal};
use crate::db::Db;
use crate::events::filter::{self, EventFilter};
use crate::schemas::validate::{Errors, Loc};

/// `PREFECT_EVENTS_MAXIMUM_WEBSOCKET_BACKFILL`.
const BACKFILL_WINDOW: Duration = Duration::minutes(15);
/// `PREFECT_EVENTS_WEBSOCKET_BACKFILL_PAGE_SIZE`.
const BACKFILL_PAGE: usize = 250;
/// The reference pages on to the end of the window; this bounds the work
/// of one subscription to 1000 events (its comment's "last 1k events").
const MAX_BACKFILL_PAGES: usize = 4;

pub fn endpoints() -> Vec<super::Endpoint> {
    vec![super::endpoint(actix_web::http::Method::GET, "/events/out", super::Rule::READ, events_out)
        .other_methods(super::OtherMethods::NotFound)]
}

async fn events_out(req: HttpRequest, body: web::Payload, db: web::Data<Db>) -> HttpResponse {
    let (resp, s) = match accept(&req, body).await {
        Ok(x) => x,
        Err(refused) => return refused,
    };
    actix_web::rt::spawn(serve(s.session, s.stream, db, s.prefect, s.auth_string, s.auth_grace));
    resp
}

/// What one receive gave.
enum Incoming {
    Text(String),
    /// The socket is done: close with this (None: just go).
    End(Option<CloseReason>),
    Skip,
}

async fn incoming(session: &mut Session, msg: Option<Result<AggregatedMessage, ProtocolError>>) -> Incoming {
    match msg {
        None => Incoming::End(None),
        Some(Ok(AggregatedMessage::Ping(b))) => {
            if session.pong(&b).await.is_err() {
                return Incoming::End(None);
            }
            Incoming::Skip
        }
        Some(Ok(AggregatedMessage::Pong(_))) => Incoming::Skip,
        Some(Ok(AggregatedMessage::Close(reason))) => Incoming::End(Some(
            reason.map(|r| CloseReason { code: r.code, description: None }).unwrap_or(CloseReason { code: CloseCode::Normal, description: None }),
        )),
        Some(Ok(AggregatedMessage::Text(t))) => Incoming::Text(t.to_string()),
        Some(Ok(AggregatedMessage::Binary(b))) => match String::from_utf8(b.to_vec()) {
            Ok(t) => Incoming::Text(t),
            Err(_) => Incoming::End(close_reason(CloseCode::Unsupported, "Expected a text message")),
        },
        Some(Err(ProtocolError::Overflow)) => Incoming::End(close_reason(CloseCode::Size, "Message too big")),
        Some(Err(e)) => {
            tracing::debug!(error = %e, "events websocket protocol error");
            Incoming::End(close_reason(CloseCode::Protocol, "Protocol error"))
        }
    }
}

/// pydantic's `ValidationError` text, as far as a close reason holds it.
fn describe(errs: &Errors) -> String {
    let n = errs.items.len();
    let mut out = format!("{n} validation error{} for EventFilter", if n == 1 { "" } else { "s" });
    for e in &errs.items {
        let loc: Vec<String> = e
            .loc
            .iter()
            .map(|l| match l {
                Loc::Key(k) => k.clone(),
                Loc::Index(i) => i.to_string(),
            })
            .collect();
        out.push_str(&format!("\n{}\n  {} [type={}]", loc.join("."), e.msg, e.kind));
    }
    out
}

/// Python truthiness, for `message.get("backfill", True)`.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None => true,
        Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

/// The filter a filter message asks for, or the close it gets.
fn read_filter(text: &str) -> Result<(EventFilter, bool), Option<CloseReason>> {
    let expected = || close_reason(CloseCode::Protocol, "Expected 'filter' message");
    let msg: Value = crate::pyjson::loads(text.as_bytes()).map_err(|_| expected())?;
    let Value::Object(m) = msg else { return Err(expected()) };
    if m.get("type").and_then(Value::as_str) != Some("filter") {
        return Err(expected());
    }
    let backfill = truthy(m.get("backfill"));
    let Some(fv) = m.get("filter") else { return Err(close_reason(CloseCode::Protocol, "Invalid filter: 'filter'")) };
    let mut errs = Errors::default();
    let now = Utc::now();
    match filter::parse(fv, &[], now, &mut errs) {
        Some(mut f) if errs.is_empty() => {
            f.clamp(now, BACKFILL_WINDOW);
            f.desc = false;
            Ok((f, backfill))
        }
        _ => Err(close_reason(CloseCode::Protocol, &format!("Invalid filter: {}", describe(&errs)))),
    }
}

fn event_message(e: &serde_json::Map<String, Value>) -> String {
    crate::pyjson::to_starlette_json(&json!({"type": "event", "event": e}))
}

/// A subscriber that takes no message for this long is dropped, so one
/// that never reads cannot hold its task (and a server shutting down).
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// Sends one event; false when the subscriber is gone or stuck.
async fn send_event(session: &mut Session, e: &serde_json::Map<String, Value>) -> bool {
    matches!(actix_web::rt::time::timeout(SEND_TIMEOUT, session.text(event_message(e))).await, Ok(Ok(())))
}

async fn serve(
    mut session: Session,
    mut stream: AggregatedMessageStream,
    db: web::Data<Db>,
    prefect: bool,
    auth: Option<String>,
    grace: StdDuration,
) {
    if !prefect && auth.is_some() {
        tracing::warn!("events websocket closed: 'prefect' subprotocol required when auth is configured");
        let _ = session.close(Some(CloseReason { code: CloseCode::Protocol, description: None })).await;
        return;
    }
    let mut shutdown = Box::pin(stop_signal());
    // The auth and the filter message must both come within the grace
    // time, so sockets that never subscribe cannot pile up.
    let deadline = actix_web::rt::time::Instant::now() + grace;
    let mut authenticated = !prefect;
    let first: Result<String, Option<CloseReason>> = loop {
        let left = deadline.saturating_duration_since(actix_web::rt::time::Instant::now());
        let timed = actix_web::rt::time::timeout(left, Box::pin(stream.recv()));
        let msg = match future::select(Box::pin(timed), &mut shutdown).await {
            Either::Left((Ok(m), _)) => m,
            Either::Left((Err(_), _)) => {
                let why = if authenticated { "Filter timeout" } else { "Auth timeout" };
                tracing::warn!("events websocket closed: {why}");
                break Err(close_reason(CloseCode::Policy, why));
            }
            Either::Right(_) => break Err(close_reason(CloseCode::Restart, "")),
        };
        let text = match incoming(&mut session, msg).await {
            Incoming::Skip => continue,
            Incoming::End(None) => return,
            Incoming::End(close) => break Err(close),
            Incoming::Text(t) => t,
        };
        if authenticated {
            break Ok(text);
        }
        match check_auth(&text, auth.as_deref()) {
            Ok(()) => {
                if session.text(r#"{"type":"auth_success"}"#).await.is_err() {
                    return;
                }
                authenticated = true;
            }
            Err(why) => {
                tracing::warn!("events websocket closed: {why}");
                break Err(close_reason(CloseCode::Policy, why));
            }
        }
    };
    let (filter, backfill) = match first.and_then(|t| read_filter(&t)) {
        Ok(x) => x,
        Err(close) => {
            let _ = session.close(close).await;
            return;
        }
    };
    // Subscribed before the backfill, so nothing committed meanwhile is missed.
    let mut feed = db.subscribe_events();
    let mut backfilled: HashSet<String> = HashSet::new();
    if backfill {
        for page in 0..MAX_BACKFILL_PAGES {
            let f = filter.clone();
            let rows = match super::read(&db, move |c| Ok(crate::events::store::read(c, &f, BACKFILL_PAGE, page * BACKFILL_PAGE)?)).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("events backfill failed: {e}");
                    break;
                }
            };
            let n = rows.len();
            for e in rows {
                if let Some(id) = e.get("id").and_then(Value::as_str) {
                    backfilled.insert(id.to_string());
                }
                if !send_event(&mut session, &e).await {
                    return;
                }
            }
            if n < BACKFILL_PAGE {
                break;
            }
        }
    }
    let closing = loop {
        let next = future::select(Box::pin(feed.recv()), Box::pin(stream.recv()));
        match future::select(next, &mut shutdown).await {
            Either::Right(_) => break close_reason(CloseCode::Restart, ""),
            Either::Left((Either::Left((got, _)), _)) => match got {
                Ok(e) => {
                    if !filter.includes(&e) {
                        continue;
                    }
                    let id = e.get("id").and_then(Value::as_str).unwrap_or("");
                    if backfilled.remove(id) {
                        continue;
                    }
                    if !send_event(&mut session, &e).await {
                        tracing::warn!("events websocket subscriber dropped: gone or not reading");
                        return;
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "events websocket subscriber fell behind; oldest events skipped");
                }
                Err(RecvError::Closed) => break close_reason(CloseCode::Restart, ""),
            },
            Either::Left((Either::Right((msg, _)), _)) => match incoming(&mut session, msg).await {
                // What a subscriber sends after its filter is not read by
                // the reference; it is ignored here too.
                Incoming::Skip | Incoming::Text(_) => {}
                Incoming::End(None) => return,
                Incoming::End(close) => break close,
            },
        }
    };
    let _ = session.close(closing).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_messages() {
        let code = |r: Result<(EventFilter, bool), Option<CloseReason>>| r.err().flatten().map(|c| (c.code, c.description.unwrap_or_default()));
        assert_eq!(code(read_filter("garbage")), Some((CloseCode::Protocol, "Expected 'filter' message".into())));
        assert_eq!(code(read_filter(r#"{"type":"x"}"#)), Some((CloseCode::Protocol, "Expected 'filter' message".into())));
        assert_eq!(code(read_filter(r#"{"type":"filter"}"#)), Some((CloseCode::Protocol, "Invalid filter: 'filter'".into())));
        let (c, why) = code(read_filter(r#"{"type":"filter","filter":{"bad":1}}"#)).unwrap();
        assert_eq!(c, CloseCode::Protocol);
        assert!(why.starts_with("Invalid filter: 1 validation error for EventFilter\nbad\n  Extra inputs are not permitted"), "{why}");
        let (f, backfill) = read_filter(r#"{"type":"filter","filter":{"order":"DESC"},"backfill":0}"#).unwrap();
        assert!(!f.desc && !backfill);
        assert!(f.since >= Utc::now() - BACKFILL_WINDOW - Duration::seconds(5));
    }
}
