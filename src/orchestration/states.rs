//! State documents: reading their fields and building the states rules
//! propose instead (the reference's `Scheduled`, `AwaitingRetry`,
//! `Cancelled`, `Failed`, `Paused` constructors).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::Doc;
use crate::schemas::runs::{default_state_details, parse_time, time_value, uuid7};

pub fn state_type(s: &Doc) -> Option<&str> {
    s.get("type").and_then(Value::as_str)
}

pub fn state_name(s: &Doc) -> Option<&str> {
    s.get("name").and_then(Value::as_str)
}

/// A state_details field, `None` when absent or null.
pub fn detail<'a>(s: &'a Doc, k: &str) -> Option<&'a Value> {
    s.get("state_details").and_then(|d| d.get(k)).filter(|v| !v.is_null())
}

pub fn detail_time(s: &Doc, k: &str) -> Option<DateTime<Utc>> {
    detail(s, k).and_then(parse_time)
}

pub fn detail_str<'a>(s: &'a Doc, k: &str) -> Option<&'a str> {
    detail(s, k).and_then(Value::as_str)
}

pub fn detail_true(s: &Doc, k: &str) -> bool {
    detail(s, k).and_then(Value::as_bool) == Some(true)
}

pub fn set_detail(s: &mut Doc, k: &str, v: Value) {
    let entry = s.entry("state_details").or_insert_with(|| Value::Object(default_state_details()));
    if !entry.is_object() {
        *entry = Value::Object(default_state_details());
    }
    if let Value::Object(d) = entry {
        d.insert(k.to_string(), v);
    }
}

/// A new state with default details, stamped `t`.
pub fn new_state(kind: &str, name: &str, t: DateTime<Utc>) -> Doc {
    let mut s = Doc::new();
    s.insert("id".into(), json!(uuid7(t)));
    s.insert("type".into(), json!(kind));
    s.insert("name".into(), json!(name));
    s.insert("timestamp".into(), time_value(t));
    s.insert("message".into(), Value::Null);
    s.insert("data".into(), Value::Null);
    s.insert("state_details".into(), Value::Object(default_state_details()));
    s
}

/// `Scheduled(scheduled_time=..., name=...)`.
pub fn scheduled(name: &str, at: DateTime<Utc>, t: DateTime<Utc>) -> Doc {
    let mut s = new_state("SCHEDULED", name, t);
    set_detail(&mut s, "scheduled_time", time_value(at));
    s
}

/// The reference's `State` validator: a SCHEDULED state without a
/// scheduled time is scheduled for its own timestamp.
pub fn default_scheduled_time(s: &mut Doc) {
    if state_type(s) == Some("SCHEDULED") && detail(s, "scheduled_time").is_none() {
        let ts = s.get("timestamp").cloned().unwrap_or(Value::Null);
        set_detail(s, "scheduled_time", ts);
    }
}

/// A copy with a new id and timestamp (`State.fresh_copy`).
pub fn fresh_copy(s: &Doc, t: DateTime<Utc>) -> Doc {
    let mut c = s.clone();
    c.insert("id".into(), json!(uuid7(t)));
    c.insert("timestamp".into(), time_value(t));
    c
}

/// `t` plus `secs` seconds, `None` past the end of Python's calendar.
pub fn after_seconds(t: DateTime<Utc>, secs: f64) -> Option<DateTime<Utc>> {
    let micros = secs * 1e6;
    if !micros.is_finite() || micros.abs() >= i64::MAX as f64 {
        return None;
    }
    // Python's datetime ends with year 9999 (chrono's goes further).
    t.checked_add_signed(chrono::Duration::microseconds(micros as i64))
        .filter(|at| (1..=9999).contains(&chrono::Datelike::year(at)))
}

/// A retry delay past the end of the calendar makes the reference's rule
/// raise OverflowError, which it answers with a 500; artifactd answers the
/// ABORT the reference's orchestration context records for that error.
pub fn overflow_reason(rule: &str) -> String {
    format!(
        "Aborting orchestration due to error in <class 'prefect.server.orchestration.core_policy.{rule}'>: !OverflowError('date value out of range')"
    )
}

/// Python's `is_final()`.
pub fn is_final(s: &Doc) -> bool {
    state_type(s).is_some_and(crate::schemas::runs::is_final)
}

/// State data that is a persisted result (`_has_persisted_result`): a dict
/// not marked `unpersisted`.
pub fn has_persisted_result(data: Option<&Value>) -> bool {
    match data {
        Some(Value::Object(m)) => m.get("type").and_then(Value::as_str) != Some("unpersisted"),
        _ => false,
    }
}

/// Python truthiness of state data.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Bool(true)) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_states_default_to_their_own_timestamp() {
        let t = Utc::now();
        let mut s = new_state("SCHEDULED", "Scheduled", t);
        default_scheduled_time(&mut s);
        assert_eq!(detail(&s, "scheduled_time"), Some(&time_value(t)));
        let mut p = new_state("PENDING", "Pending", t);
        default_scheduled_time(&mut p);
        assert_eq!(detail(&p, "scheduled_time"), None);
    }

    #[test]
    fn retry_delays_past_the_calendar_are_refused_not_panicked_on() {
        let t = Utc::now();
        assert!(after_seconds(t, 1e12).is_none());
        assert!(after_seconds(t, f64::INFINITY).is_none());
        assert!(after_seconds(t, f64::NAN).is_none());
        assert_eq!(after_seconds(t, 1.5), Some(t + chrono::Duration::milliseconds(1500)));
    }

    #[test]
    fn persisted_results_are_dicts_not_marked_unpersisted() {
        assert!(has_persisted_result(Some(&json!({"type": "reference"}))));
        assert!(!has_persisted_result(Some(&json!({"type": "unpersisted"}))));
        assert!(!has_persisted_result(Some(&json!([1]))));
        assert!(!has_persisted_result(None));
        assert!(!truthy(Some(&json!({}))));
    }
}
