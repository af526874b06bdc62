//! Deployments, flows and flow runs beyond create/read/filter: each step of
//! tests/data/deployments/answers.json (recorded from Prefect 3.9.1 by
//! scripts/record-deployments.py) replayed against artifactd, its status
//! and masked body (field order included) compared with the reference's.
//! The steps include the refusals (404, 409, 422, 400) and reads after
//! them, which show that a refused request changed nothing.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use crate::helpers::{spawn_app, TestApp};

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[10] == b'T' && b[13] == b':' && (s.ends_with('Z') || s.ends_with("+00:00"))
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// The recorder's masking (scripts/record-deployments.py `mask`).
fn mask(v: &Value) -> Value {
    const MASKED: &[&str] = &["estimated_run_time", "estimated_start_time_delta"];
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), if MASKED.contains(&k.as_str()) { json!("<masked>") } else { mask(x) }))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(mask).collect()),
        Value::String(s) if is_uuid(s) => json!("<uuid>"),
        Value::String(s) if is_time(s) => json!("<time>"),
        Value::String(s) => {
            // Ids inside strings.
            let mut out = String::new();
            let mut rest = s.as_str();
            while !rest.is_empty() {
                if rest.len() >= 36 && rest.is_char_boundary(36) && is_uuid(&rest[..36]) {
                    out.push_str("<uuid>");
                    rest = &rest[36..];
                } else {
                    let c = rest.chars().next().unwrap_or_default();
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                }
            }
            Value::String(out)
        }
        other => other.clone(),
    }
}

fn fill(v: &Value, saved: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => {
            let mut s = s.clone();
            for (k, x) in saved {
                s = s.replace(&format!("{{{k}}}"), x);
            }
            Value::String(s)
        }
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), fill(x, saved))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, saved)).collect()),
        other => other.clone(),
    }
}

fn recorded() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/deployments/answers.json");
    let text = std::fs::read_to_string(path).expect("answers.json");
    serde_json::from_str::<Value>(&text).expect("answers parse").as_array().cloned().expect("a list")
}

async fn replay(app: &TestApp) -> Vec<String> {
    let mut saved: HashMap<String, String> = HashMap::new();
    let mut mismatches = Vec::new();
    for step in recorded() {
        let name = step["name"].as_str().unwrap_or("?");
        let method = step["method"].as_str().expect("method");
        let path = fill(&step["path"], &saved).as_str().expect("path").to_string();
        let body = step.get("body").map(|b| fill(b, &saved).to_string());
        let r = app.send(method, &path, body.as_deref()).await;
        let got: Value = if r.text.is_empty() { Value::Null } else { r.json() };
        if let Some(Value::Object(save)) = step.get("save") {
            for (var, key) in save {
                let mut v = &got;
                for part in key.as_str().expect("key").split('.') {
                    v = &v[part];
                }
                saved.insert(var.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()));
            }
        }
        let want_status = step["status"].as_u64().expect("status") as u16;
        let want = step["answer"].to_string();
        let got_masked = mask(&got).to_string();
        if r.status != want_status || got_masked != want {
            mismatches.push(format!("{name}: {method} {path}\n  want {want_status} {want}\n  got  {} {got_masked}", r.status));
        }
    }
    mismatches
}

#[tokio::test]
async fn every_step_answers_as_the_reference() {
    let app = spawn_app().await;
    let mismatches = replay(&app).await;
    assert!(mismatches.is_empty(), "{} steps differ:\n{}", mismatches.len(), mismatches.join("\n"));
}
