//! Orchestration replay: every case of tests/data/orchestration/cases.json
//! (recorded from the Prefect 3.9.1 reference by
//! scripts/record-orchestration) is played against artifactd with the same
//! steps and masked the same way (ids aliased by first appearance, times as
//! "$time", clock-dependent numbers as zero / "$nonzero", pause keys
//! sorted); every recorded answer must match.

use chrono::{Duration, Utc};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

use crate::helpers::{spawn_app, Reply, TestApp};

const RUN_FIELDS: &[&str] = &[
    "state_type", "state_name", "run_count", "flow_run_run_count", "empirical_policy", "start_time", "end_time",
    "total_run_time", "estimated_run_time", "estimated_start_time_delta", "expected_start_time", "next_scheduled_start_time", "state",
];
const CLOCKED: &[&str] = &["total_run_time", "estimated_run_time", "estimated_start_time_delta", "delay_seconds"];

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/orchestration/cases.json"))
        .expect("cases.json is readable");
    match serde_json::from_str(&text) {
        Ok(Value::Array(a)) => a,
        _ => panic!("cases.json is a JSON array"),
    }
}

fn subst(v: &Value, now: chrono::DateTime<Utc>) -> Value {
    match v {
        Value::String(s) if s.starts_with("$now") => {
            let n: i64 = s[4..].parse().unwrap_or(0);
            Value::String((now + Duration::seconds(n)).to_rfc3339())
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), subst(x, now))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(|x| subst(x, now)).collect()),
        other => other.clone(),
    }
}

fn is_uuid_at(b: &[u8], i: usize) -> bool {
    if i + 36 > b.len() {
        return false;
    }
    (0..36).all(|j| {
        let c = b[i + j];
        if matches!(j, 8 | 13 | 18 | 23) {
            c == b'-'
        } else {
            c.is_ascii_digit() || (b'a'..=b'f').contains(&c)
        }
    })
}

fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    let pat = b"dddd-dd-ddTdd:dd:dd";
    b.len() >= pat.len()
        && pat.iter().zip(b).all(|(p, c)| if *p == b'd' { c.is_ascii_digit() } else { p == c })
}

#[derive(Default)]
struct Masker {
    aliases: HashMap<String, String>,
}

impl Masker {
    fn alias(&mut self, u: &str) -> String {
        let n = self.aliases.len() + 1;
        self.aliases.entry(u.to_string()).or_insert_with(|| format!("$id{n}")).clone()
    }

    fn text(&mut self, s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if is_uuid_at(b, i) {
                out.push_str(&self.alias(&s[i..i + 36]));
                i += 36;
            } else {
                let ch = s[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }

    fn mask(&mut self, v: &Value, key: Option<&str>) -> Value {
        match v {
            Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (k.clone(), self.mask(x, Some(k)))).collect()),
            Value::Array(a) => {
                let mut out: Vec<Value> = a.iter().map(|x| self.mask(x, None)).collect();
                if key == Some("pause_keys") {
                    out.sort_by_key(|x| x.as_str().unwrap_or("").to_string());
                }
                Value::Array(out)
            }
            Value::Number(n) if key.is_some_and(|k| CLOCKED.contains(&k)) => {
                if n.as_f64() == Some(0.0) {
                    json!(0)
                } else {
                    json!("$nonzero")
                }
            }
            Value::String(s) if is_time(s) => json!("$time"),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }
}

/// A POST with the client's API version header when the case gives one.
async fn post_as(app: &TestApp, path: &str, body: Value, api_version: Option<&str>) -> Reply {
    let mut req = app.client.post(format!("{}{}", app.base, path)).json(&body);
    if let Some(v) = api_version {
        req = req.header("x-prefect-api-version", v);
    }
    let resp = req.send().await.expect("request is answered");
    let status = resp.status().as_u16();
    Reply { status, text: resp.text().await.expect("body") }
}

/// Plays one case; returns the masked answers of its recorded steps.
async fn play(app: &TestApp, case: &Value) -> Vec<Value> {
    let now = Utc::now();
    let name = case["name"].as_str().unwrap_or("");
    let mut mask = Masker::default();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let flow = app.post("/flows/", json!({"name": "orchestration-cases"})).await.json();
    let empty = Vec::new();
    for (step, op) in case["ops"].as_array().unwrap_or(&empty).iter().enumerate() {
        let op = subst(op, now);
        let kind = op["op"].as_str().unwrap_or("");
        let alias = op["as"].as_str().unwrap_or("").to_string();
        let id_of = |ids: &HashMap<String, String>, k: &str| -> String {
            let t = op[k].as_str().unwrap_or("");
            ids.get(t).cloned().unwrap_or_else(|| t.to_string())
        };
        match kind {
            "deployment" => {
                let r = app.post("/deployments/", json!({"name": alias, "flow_id": flow["id"]})).await;
                let id = r.json()["id"].as_str().unwrap_or("").to_string();
                mask.alias(&id);
                ids.insert(alias, id);
                continue;
            }
            "flow_run" => {
                let mut body = json!({"flow_id": flow["id"], "state": op["state"]});
                if let Some(p) = op.get("empirical_policy") {
                    body["empirical_policy"] = p.clone();
                }
                if op.get("deployment").is_some() {
                    body["deployment_id"] = json!(id_of(&ids, "deployment"));
                }
                if let Some(d) = op.get("deployment_id") {
                    body["deployment_id"] = d.clone();
                }
                if op.get("parent").is_some() {
                    body["parent_task_run_id"] = json!(id_of(&ids, "parent"));
                }
                let r = app.post("/flow_runs/", body).await;
                assert_eq!(r.status, 201, "{name}: {}", r.text);
                let id = r.json()["id"].as_str().unwrap_or("").to_string();
                mask.alias(&id);
                ids.insert(alias, id);
                continue;
            }
            "task_run" => {
                let flow_run = if op["flow_run"].is_null() { Value::Null } else { json!(id_of(&ids, "flow_run")) };
                let mut body = json!({
                    "task_key": format!("{name}-{alias}"),
                    "dynamic_key": "0",
                    "flow_run_id": flow_run,
                    "state": op["state"],
                });
                if let Some(p) = op.get("empirical_policy") {
                    body["empirical_policy"] = p.clone();
                }
                let r = app.post("/task_runs/", body).await;
                assert_eq!(r.status, 201, "{name}: {}", r.text);
                let id = r.json()["id"].as_str().unwrap_or("").to_string();
                mask.alias(&id);
                ids.insert(alias, id);
                continue;
            }
            _ => {}
        }
        let target = id_of(&ids, "target");
        let flow_kind = op["kind"].as_str().unwrap_or("flow") == "flow";
        let prefix = if flow_kind { "flow_runs" } else { "task_runs" };
        let api_version = op.get("api_version").and_then(Value::as_str);
        let r = match kind {
            "set_state" => {
                let mut body = json!({"state": op["state"]});
                if let Some(f) = op.get("force") {
                    body["force"] = f.clone();
                }
                post_as(app, &format!("/{prefix}/{target}/set_state"), body, api_version).await
            }
            "resume" => {
                let body = op.get("body").cloned().unwrap_or(json!({}));
                post_as(app, &format!("/flow_runs/{target}/resume"), body, api_version).await
            }
            "history" => {
                let (states, param) = if flow_kind { ("flow_run_states", "flow_run_id") } else { ("task_run_states", "task_run_id") };
                app.get(&format!("/{states}/?{param}={target}")).await
            }
            "read" => {
                let r = app.get(&format!("/{prefix}/{target}")).await;
                if r.status == 200 {
                    let doc = r.json();
                    let picked: Map<String, Value> =
                        RUN_FIELDS.iter().filter_map(|k| doc.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
                    out.push(json!({"step": step, "status_code": r.status, "body": mask.mask(&Value::Object(picked), None)}));
                    continue;
                }
                r
            }
            other => panic!("{name}: unknown op {other}"),
        };
        if op.get("record").and_then(Value::as_bool).unwrap_or(true) {
            let body: Value = serde_json::from_str(&r.text).unwrap_or(Value::Null);
            out.push(json!({"step": step, "status_code": r.status, "body": mask.mask(&body, None)}));
        }
    }
    out
}

#[actix_web::test]
async fn every_recorded_orchestration_case_answers_as_the_reference() {
    let app = spawn_app().await;
    let cases = cases();
    assert!(cases.len() >= 60, "at least 60 cases");
    let only = std::env::var("ORCH_CASE").ok();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("");
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let got = play(&app, case).await;
        let want = case["recorded"].as_array().cloned().unwrap_or_default();
        if got == want {
            passed += 1;
            continue;
        }
        for (i, w) in want.iter().enumerate() {
            let g = got.get(i).cloned().unwrap_or(Value::Null);
            if g != *w {
                failures.push(format!("{name} step {}:\n  want {w}\n  got  {g}", w["step"]));
                break;
            }
        }
        if got.len() != want.len() {
            failures.push(format!("{name}: {} answers, recorded {}", got.len(), want.len()));
        }
    }
    eprintln!("orchestration cases: {passed} passed, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
