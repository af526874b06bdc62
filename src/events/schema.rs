//! `Event` and `ReceivedEvent` as the reference validates and writes them.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::coerce;
use crate::schemas::runs::time_value;

pub type Doc = Map<String, Value>;

fn label_map(v: &Value, what: &str, needs_role: bool) -> Result<Doc, String> {
    let Value::Object(m) = v else { return Err(format!("{what} must be an object")) };
    let mut out = Map::new();
    for (k, v) in m {
        let s = coerce::string(v).map_err(|p| format!("{what}.{k}: {}", p.msg))?;
        out.insert(k.clone(), Value::String(s));
    }
    match out.get("prefect.resource.id").and_then(Value::as_str) {
        None => return Err("Resources must include the prefect.resource.id label".into()),
        Some("") => return Err("The prefect.resource.id label must be non-empty".into()),
        Some(_) => {}
    }
    if needs_role {
        match out.get("prefect.resource.role").and_then(Value::as_str) {
            None => return Err("Related Resources must include the prefect.resource.role label".into()),
            Some("") => return Err("The prefect.resource.role label must be non-empty".into()),
            Some(_) => {}
        }
    }
    Ok(out)
}

pub fn uuid_str(v: &Value, what: &str) -> Result<String, String> {
    coerce::uuid(v).map(|u| u.hyphenated().to_string()).map_err(|p| format!("{what}: {}", p.msg))
}

/// An `Event` as the reference validates it, in normal form: `occurred` in
/// wire form, labels as strings, `id` and `follows` as hyphenated UUIDs.
pub fn parse_event(text: &str) -> Result<Doc, String> {
    let v = crate::pyjson::loads(text.as_bytes()).map_err(|_| "Invalid event: not JSON".to_string())?;
    let Value::Object(m) = v else { return Err("Invalid event: not an object".into()) };
    let bad = |e: String| format!("Invalid event: {e}");
    let occurred = m.get("occurred").ok_or_else(|| bad("occurred: Field required".into()))?;
    let occurred = coerce::datetime(occurred).map_err(|p| bad(format!("occurred: {}", p.msg)))?;
    let name = m.get("event").ok_or_else(|| bad("event: Field required".into()))?;
    let name = match name {
        Value::String(s) if s.chars().count() <= 1024 => s.clone(),
        Value::String(_) => return Err(bad("Event name must be at most 1024 characters".into())),
        _ => return Err(bad("event: Input should be a valid string".into())),
    };
    let resource = label_map(m.get("resource").ok_or_else(|| bad("resource: Field required".into()))?, "resource", false)
        .map_err(bad)?;
    let related = match m.get("related") {
        None => vec![],
        Some(Value::Array(a)) => a
            .iter()
            .map(|r| label_map(r, "related", true).map(Value::Object))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?,
        Some(_) => return Err(bad("related: Input should be a valid list".into())),
    };
    let payload = match m.get("payload") {
        None => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(bad("payload: Input should be a valid dictionary".into())),
    };
    let id = uuid_str(m.get("id").ok_or_else(|| bad("id: Field required".into()))?, "id").map_err(bad)?;
    let follows = match m.get("follows") {
        None | Some(Value::Null) => Value::Null,
        Some(f) => Value::String(uuid_str(f, "follows").map_err(bad)?),
    };
    let mut out = Map::new();
    out.insert("occurred".into(), time_value(occurred));
    out.insert("event".into(), Value::String(name));
    out.insert("resource".into(), Value::Object(resource));
    out.insert("related".into(), Value::Array(related));
    out.insert("payload".into(), Value::Object(payload));
    out.insert("id".into(), Value::String(id));
    out.insert("follows".into(), follows);
    Ok(out)
}

/// `Event.receive()`: the event with `received` (now) last, as
/// `ReceivedEvent` writes it.
pub fn receive(mut event: Doc, now: DateTime<Utc>) -> Doc {
    event.insert("received".into(), time_value(now));
    event
}

/// The event's primary resource id.
pub fn resource_id(event: &Doc) -> &str {
    event.get("resource").and_then(|r| r.get("prefect.resource.id")).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_events() {
        assert!(parse_event("nope").is_err());
        assert!(parse_event("{}").is_err());
        assert!(parse_event(r#"{"occurred":"2024-01-01T00:00:00Z","event":"x","resource":{},"id":"00000000-0000-0000-0000-000000000000"}"#).is_err());
        let ok = parse_event(r#"{"occurred":"2024-01-01T00:00:00Z","event":"x","resource":{"prefect.resource.id":"a"},"id":"00000000-0000-0000-0000-000000000000"}"#).unwrap();
        let keys: Vec<&str> = ok.keys().map(String::as_str).collect();
        assert_eq!(keys, ["occurred", "event", "resource", "related", "payload", "id", "follows"]);
        let r = receive(ok, DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        assert_eq!(r["received"], "2023-11-14T22:13:20Z");
        assert_eq!(resource_id(&r), "a");
    }
}
