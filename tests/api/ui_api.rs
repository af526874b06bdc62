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
