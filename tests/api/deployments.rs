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

// ---------------------------------------------------------------------------
// Beyond the recorded steps: expectations reasoned from the reference's
// code (cited in each test).
// ---------------------------------------------------------------------------

async fn flow_and_deployment(app: &TestApp, flow: &str) -> (String, String) {
    let f = app.post("/flows/", json!({"name": flow})).await;
    assert_eq!(f.status, 201, "{}", f.text);
    let flow_id = f.json()["id"].as_str().expect("id").to_string();
    let d = app.post("/deployments/", json!({"name": "d", "flow_id": flow_id})).await;
    assert_eq!(d.status, 201, "{}", d.text);
    (flow_id, d.json()["id"].as_str().expect("id").to_string())
}

async fn run_of(app: &TestApp, dep: &str, body: Value) -> Value {
    let r = app.post(&format!("/deployments/{dep}/create_flow_run"), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

/// services/late_runs.py: runs in a state named Scheduled whose
/// `next_scheduled_start_time` is older than `after_seconds` get
/// `states.Late(scheduled_time=next_scheduled_start_time)`, a Scheduled
/// state named Late; nothing else is touched, and a Late run is not
/// marked again.
#[tokio::test]
async fn the_late_runs_pass_marks_only_overdue_scheduled_runs() {
    let app = spawn_app().await;
    let (_, dep) = flow_and_deployment(&app, "late-flow").await;
    let past = json!({"type": "SCHEDULED", "state_details": {"scheduled_time": "2020-01-01T00:00:00Z"}});
    let late = run_of(&app, &dep, json!({"name": "overdue", "state": past})).await;
    let future = json!({"type": "SCHEDULED", "state_details": {"scheduled_time": "2999-01-01T00:00:00Z"}});
    let soon = run_of(&app, &dep, json!({"name": "future", "state": future})).await;
    let pending = run_of(&app, &dep, json!({"name": "pending", "state": {"type": "PENDING"}})).await;
    let now = run_of(&app, &dep, json!({"name": "now"})).await;

    let after = std::time::Duration::from_secs(15);
    let marked = artifactd::services::late_runs::run_once(&app.db, after).expect("a pass");
    assert_eq!(marked, 1);
    let got = app.get(&format!("/flow_runs/{}", late["id"].as_str().expect("id"))).await.json();
    assert_eq!((got["state_type"].as_str(), got["state_name"].as_str()), (Some("SCHEDULED"), Some("Late")));
    assert_eq!(got["state"]["state_details"]["scheduled_time"], "2020-01-01T00:00:00Z");
    assert_eq!(got["next_scheduled_start_time"], "2020-01-01T00:00:00Z");
    for other in [&soon, &pending, &now] {
        let id = other["id"].as_str().expect("id");
        let r = app.get(&format!("/flow_runs/{id}")).await.json();
        assert_eq!(r["state"]["id"], other["state"]["id"], "{id} was changed");
    }
    // Late is not "Scheduled": a second pass finds nothing.
    assert_eq!(artifactd::services::late_runs::run_once(&app.db, after).expect("a pass"), 0);
    // The runner's poll still takes a late run (its type is still SCHEDULED).
    let polled = app.post("/deployments/get_scheduled_flow_runs", json!({"deployment_ids": [dep]})).await.json();
    let names: Vec<&str> = polled.as_array().expect("list").iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["overdue", "now", "future"]);
}

#[tokio::test]
async fn no_service_runs_on_a_read_only_server() {
    let app = spawn_app().await;
    let settings = artifactd::services::late_runs::LateRunsSettings::default();
    assert_eq!(artifactd::services::start(&app.db, true, &settings).expect("starts").running.len(), 0);
    assert_eq!(artifactd::services::start(&app.db, false, &settings).expect("starts").running.len(), 1);
    let off = artifactd::services::late_runs::LateRunsSettings { enabled: false, ..settings };
    assert_eq!(artifactd::services::start(&app.db, false, &off).expect("starts").running.len(), 0);
}

/// The runner's poll marks deployments ready (a write), so a read-only
/// server refuses it like any write, and nothing changes.
#[tokio::test]
async fn a_read_only_server_refuses_the_poll_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("d.db").to_string_lossy().into_owned();
    let p = path.clone();
    let rw = crate::helpers::spawn_app_configured(move |s| s.db = p).await;
    let (_, dep) = flow_and_deployment(&rw, "ro-flow").await;
    run_of(&rw, &dep, json!({"name": "waiting"})).await;
    let ro = crate::helpers::spawn_app_configured(move |s| {
        s.db = path;
        s.access.read_only = true;
    })
    .await;
    let polled = ro.post("/deployments/get_scheduled_flow_runs", json!({"deployment_ids": [dep]})).await;
    assert_eq!(polled.status, 405, "{}", polled.text);
    let d = rw.get(&format!("/deployments/{dep}")).await.json();
    assert_eq!((d["status"].as_str(), &d["last_polled"]), (Some("NOT_READY"), &Value::Null));
    // Its reads are served.
    let r = ro.get("/deployments/name/ro-flow/d").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = ro.send("DELETE", &format!("/deployments/{dep}"), None).await;
    assert_eq!(r.status, 405, "{}", r.text);
}

/// api/dependencies.py `get_created_by`: an automation's id and base64
/// name in `Prefect-Automation-ID`/`-Name` headers make the run's
/// `created_by`; an id that is no UUID fails header validation.
#[tokio::test]
async fn an_automation_header_sets_created_by() {
    let app = spawn_app().await;
    let (_, dep) = flow_and_deployment(&app, "auto-flow").await;
    let url = format!("{}/deployments/{dep}/create_flow_run", app.base);
    let auto = "6f1c5f0e-8f7e-4a4e-9d1e-2b7c1f7c2a11";
    let r = app
        .client
        .post(&url)
        .header("prefect-automation-id", auto)
        .header("prefect-automation-name", "bXkgYXV0b21hdGlvbg==") // "my automation"
        .json(&json!({"name": "by-auto"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status().as_u16(), 201);
    let run: Value = r.json().await.expect("json");
    assert_eq!(run["created_by"], json!({"id": auto, "type": "AUTOMATION", "display_value": "my automation"}));
    let r = app.client.post(&url).header("prefect-automation-id", "nope").header("prefect-automation-name", "eA==").json(&json!({})).send().await.expect("answered");
    assert_eq!(r.status().as_u16(), 422);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["exception_detail"][0]["loc"], json!(["header", "prefect-automation-id"]));
    // Nothing was created by the refused request.
    let n = app.post("/flow_runs/count", json!({"deployments": {"id": {"any_": [dep]}}})).await;
    assert_eq!(n.text, "1");
}

/// api/flow_runs.py `delete_flow_run`: after the run goes, its logs are
/// deleted (`delete_flow_run_logs`); another run's logs stay. The task
/// runs go by the foreign key's cascade, and a subflow run whose parent
/// task run went keeps running with `parent_task_run_id` null (SET NULL).
#[tokio::test]
async fn deleting_a_flow_run_takes_its_task_runs_and_logs() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", json!({"name": "parent"})).await.json();
    let fid = flow["id"].as_str().expect("id");
    let parent = app.post("/flow_runs/", json!({"flow_id": fid, "name": "p"})).await.json();
    let other = app.post("/flow_runs/", json!({"flow_id": fid, "name": "o"})).await.json();
    let pid = parent["id"].as_str().expect("id");
    let oid = other["id"].as_str().expect("id");
    let task = app.post("/task_runs/", json!({"flow_run_id": pid, "task_key": "k", "dynamic_key": "0", "name": "t"})).await.json();
    let tid = task["id"].as_str().expect("id");
    let child = app.post("/flow_runs/", json!({"flow_id": fid, "name": "c", "parent_task_run_id": tid})).await.json();
    let cid = child["id"].as_str().expect("id");
    let log = |run: &str| json!({"name": "l", "level": 20, "message": "m", "timestamp": "2024-01-01T00:00:00Z", "flow_run_id": run});
    let r = app.post("/logs/", json!([log(pid), log(oid)])).await;
    assert_eq!(r.status, 201, "{}", r.text);

    assert_eq!(app.send("DELETE", &format!("/flow_runs/{pid}"), None).await.status, 204);
    assert_eq!(app.get(&format!("/task_runs/{tid}")).await.status, 404);
    let logs = app.post("/logs/filter", json!({})).await.json();
    let runs: Vec<&str> = logs.as_array().expect("list").iter().filter_map(|l| l["flow_run_id"].as_str()).collect();
    assert_eq!(runs, [oid]);
    let c = app.get(&format!("/flow_runs/{cid}")).await.json();
    assert_eq!(c["parent_task_run_id"], Value::Null);
    assert_eq!(app.get(&format!("/flow_runs/{oid}")).await.status, 200);
}

/// The reference crashes (500) on a PATCH body that is not an object (its
/// before-validator copies it as a dict); artifactd answers pydantic's 422
/// and changes nothing.
#[tokio::test]
async fn a_patch_body_that_is_no_object_is_a_422() {
    let app = spawn_app().await;
    let (_, dep) = flow_and_deployment(&app, "list-flow").await;
    let before = app.get(&format!("/deployments/{dep}")).await.text;
    for body in ["[]", "1", "\"x\""] {
        let r = app.send("PATCH", &format!("/deployments/{dep}"), Some(body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert_eq!(r.json()["exception_detail"][0]["type"], "model_attributes_type");
    }
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.text, before);
}

/// Path ids in every spelling the uuid converter takes reach the same row.
#[tokio::test]
async fn path_ids_in_any_spelling_reach_the_deployment() {
    let app = spawn_app().await;
    let (flow, dep) = flow_and_deployment(&app, "spelled").await;
    let upper = dep.to_uppercase().replace('-', "");
    let r = app.send("PATCH", &format!("/deployments/{upper}"), Some(r#"{"description": "via upper"}"#)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.json()["description"], "via upper");
    assert_eq!(app.post(&format!("/deployments/{upper}/pause_deployment"), json!({})).await.status, 200);
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.json()["paused"], true);
    assert_eq!(app.send("DELETE", &format!("/flows/{}", flow.to_uppercase()), None).await.status, 204);
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.status, 404);
}

/// A poll for more deployments than SQLite takes bound parameters is
/// still one query (the ids travel as one JSON array), not a 500.
#[tokio::test]
async fn a_poll_for_forty_thousand_deployments_answers() {
    let app = spawn_app().await;
    let (_, dep) = flow_and_deployment(&app, "many").await;
    run_of(&app, &dep, json!({"name": "one"})).await;
    let mut ids: Vec<String> = (0..40_000).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    ids.push(dep.clone());
    let r = app.post("/deployments/get_scheduled_flow_runs", json!({"deployment_ids": ids})).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.json()["status"], "READY");
}

/// Pause and resume take no body, so the API-version check the gate defers
/// for bodies still answers before the handler (the reference's router
/// dependency): a 400, and the deployment stays as it was.
#[tokio::test]
async fn pause_and_resume_check_the_api_version_first() {
    let app = spawn_app().await;
    let (_, dep) = flow_and_deployment(&app, "versioned").await;
    for action in ["pause_deployment", "resume_deployment"] {
        let r = app
            .client
            .post(format!("{}/deployments/{dep}/{action}", app.base))
            .header("x-prefect-api-version", "T:ki9a")
            .send()
            .await
            .expect("answered");
        assert_eq!(r.status().as_u16(), 400, "{action}");
        let body: Value = r.json().await.expect("json");
        assert!(body["detail"].as_str().is_some_and(|d| d.starts_with("Invalid X-PREFECT-API-VERSION header format")), "{body}");
    }
    assert_eq!(app.get(&format!("/deployments/{dep}")).await.json()["paused"], false);
}
