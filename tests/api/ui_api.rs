//! The API calls Prefect's UI makes beyond artifacts and runs that the
//! recorded scenarios (tests/data/scenarios/) cannot compare exactly:
//! `GET /admin/settings`, whose values describe each server.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_configured};

/// Every key path of a JSON object, in order, with the JSON kind of its
/// value (a null is its own kind: the reference's defaults decide it).
fn shape(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{prefix}.{k}");
                out.push(p.clone());
                shape(x, &p, out);
            }
        }
        other => out.push(format!(
            "{prefix}: {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                _ => "array",
            }
        )),
    }
}

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/ui_api/admin_settings.reference.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("recorded settings")).expect("JSON")
}

#[tokio::test]
async fn admin_settings_have_the_reference_shape_and_describe_artifactd() {
    let app = spawn_app().await;
    let r = app.get("/admin/settings").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ours = r.json();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    shape(&ours, "", &mut a);
    shape(&reference(), "", &mut b);
    // Paths that are null on one side only: values artifactd fills in.
    let filled = [".api.ssl_cert_file"];
    let strip = |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|p| !filled.iter().any(|f| p.starts_with(&format!("{f}:")))).collect() };
    assert_eq!(strip(a), strip(b));
    let port: u16 = app.base.trim_end_matches("/api").rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    assert_eq!(ours["server"]["api"]["port"], json!(port));
    assert_eq!(ours["server"]["api"]["host"], json!("127.0.0.1"));
    assert_eq!(ours["server"]["ui"]["api_url"], json!(app.base));
    assert_eq!(ours["server"]["api"]["auth_string"], Value::Null);
    assert_eq!(ours["server"]["database"]["connection_url"], json!("**********"));
    assert_eq!(ours["server"]["flow_run_graph"], json!({"max_nodes": 10000, "max_artifacts": 10000}));
}

#[tokio::test]
async fn admin_settings_never_show_the_auth_string() {
    let secret = "admin:s3cret-value";
    let app = spawn_app_configured(|s| s.access.auth_string = Some(secret.into())).await;
    let r = app
        .client
        .get(format!("{}/admin/settings", app.base))
        .basic_auth("admin", Some("s3cret-value"))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("body");
    assert!(!text.contains("s3cret"), "{text}");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["server"]["api"]["auth_string"], json!("**********"));
}

/// The reference crashes on a `since` without a timezone (its database
/// layer refuses naive timestamps); artifactd takes it as UTC.
#[tokio::test]
async fn a_naive_since_is_read_as_utc() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", json!({"name": "naive-since"})).await.json();
    let run = app.post("/flow_runs/", json!({"flow_id": flow["id"], "state": {"type": "RUNNING"}})).await.json();
    let id = run["id"].as_str().expect("id");
    let task = json!({"flow_run_id": id, "task_key": "t", "dynamic_key": "0", "state": {"type": "COMPLETED"}});
    assert_eq!(app.post("/task_runs/", task).await.status, 201);
    let nodes = |r: crate::helpers::Reply| r.json()["nodes"].as_array().map(Vec::len);
    assert_eq!(nodes(app.get(&format!("/flow_runs/{id}/graph-v2?since=2000-01-01T00:00:00")).await), Some(1));
    assert_eq!(nodes(app.get(&format!("/flow_runs/{id}/graph-v2?since=2000-01-01T00:00:00Z")).await), Some(1));
    assert_eq!(nodes(app.get(&format!("/flow_runs/{id}/graph-v2?since=2999-01-01T00:00:00")).await), Some(0));
}

/// The recorded answers of the scenarios for these endpoints validate
/// against the response schemas artifactd documents for them.
#[tokio::test]
async fn recorded_answers_match_the_documented_schemas() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await.json();
    let mut checked = 0;
    for name in ["flow_run_graph", "saved_searches", "ui_schemas", "work_pools"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/scenarios/{name}.json"));
        let steps: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).expect("scenario")).expect("JSON");
        for s in steps {
            let (method, raw_path, status) = (s["method"].as_str().unwrap_or(""), s["path"].as_str().unwrap_or(""), s["status"].as_u64().unwrap_or(0));
            let template = documented_path(&doc, raw_path.split('?').next().unwrap_or(""));
            let Some(template) = template else { continue };
            // A path no route matched (an id that is no UUID): the catch-all 404.
            if s["response"].as_str() == Some(r#"{"detail":"Not Found"}"#) {
                continue;
            }
            let op = &doc["paths"][&template][method.to_ascii_lowercase()];
            let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
            if !schema.is_object() {
                continue;
            }
            let mut full = schema.clone();
            full["components"] = doc["components"].clone();
            let validator = jsonschema::options().with_draft(jsonschema::Draft::Draft202012).build(&full).expect("schema");
            let answer: Value = serde_json::from_str(s["response"].as_str().unwrap_or("null")).expect("JSON answer");
            if let Some(e) = validator.iter_errors(&answer).next() {
                panic!("{name}: {method} {raw_path} {status}: {e} at {}", e.instance_path());
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "only {checked} answers checked");
}

/// The documented path a concrete one matches (`{...}` is one segment),
/// the one with the fewest parameters when several do.
fn documented_path(doc: &Value, concrete: &str) -> Option<String> {
    let segs: Vec<&str> = concrete.split('/').collect();
    let is_param = |a: &str| a.starts_with('{') && a.ends_with('}');
    doc["paths"]
        .as_object()?
        .keys()
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segs.len() && ts.iter().zip(&segs).all(|(a, b)| is_param(a) || a == b)
        })
        .min_by_key(|t| t.split('/').filter(|a| is_param(a)).count())
        .cloned()
}
