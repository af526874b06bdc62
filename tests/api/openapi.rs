//! `GET /api/openapi.json`: the generated document parses, lists exactly
//! the operations artifactd serves (and each is routed), and the answers
//! recorded from the reference (tests/conformance/) validate against its
//! response schemas.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::helpers::spawn_app;

const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// Every operation artifactd serves, from its route table, as the document
/// spells it (relative to `/api`, `{id}` for the UUID pattern). The
/// document itself, its page and the events websocket are not operations
/// of the reference's document either.
fn expected() -> Vec<(String, String)> {
    let id = format!("{{id:{}}}", artifactd::routes::UUID_PATH);
    artifactd::routes::api_table()
        .iter()
        .map(|d| (d.method.to_string(), d.pattern.trim_start_matches("/api").replace(&id, "{id}")))
        .filter(|(_, p)| !matches!(p.as_str(), "/openapi.json" | "/docs" | "/events/in" | "/events/out"))
        .collect()
}

async fn served_document() -> Value {
    let app = spawn_app().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn the_document_lists_exactly_the_served_operations() {
    let doc = served_document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"], json!([{"url": "/api"}]));
    let mut listed: Vec<(String, String)> = artifactd::openapi::operations();
    listed.sort();
    let mut expected = expected();
    expected.sort();
    assert_eq!(listed, expected);
    // The served JSON is the same document.
    let served: usize = doc["paths"].as_object().expect("paths").values().map(|i| i.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(served, expected.len());
    // The reference's names for the bodies.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "Artifact",
        "ArtifactCreate",
        "ArtifactUpdate",
        "ArtifactFilter",
        "ArtifactCollection",
        "ArtifactCollectionFilter",
        "FlowRunResponse",
        "FlowRunFilter",
        "TaskRun",
        "Flow",
        "DeploymentResponse",
        "Body_read_artifacts_artifacts_filter_post",
        "Body_read_latest_artifacts_artifacts_latest_filter_post",
        "OrchestrationResult",
    ] {
        assert!(schemas.contains_key(name), "no component {name}");
    }
    // Every $ref names a component.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &part[..part.find('"').expect("end of ref")];
        assert!(schemas.contains_key(name), "dangling $ref {name}");
    }
}

/// Each listed operation reaches a handler: never the catch-all 404
/// (`{"detail":"Not Found"}`) or a 405.
#[tokio::test]
async fn every_listed_operation_is_routed() {
    let app = spawn_app().await;
    for (method, path) in expected() {
        let path = path.replace("{id}", ZERO).replace("{key}", "some-key");
        let body = if method == "GET" || method == "DELETE" { None } else { Some("{}") };
        let r = app.send(&method, &path, body).await;
        assert_ne!(r.status, 405, "{method} {path}: {}", r.text);
        assert!(!(r.status == 404 && r.text == r#"{"detail":"Not Found"}"#), "{method} {path} is not routed");
    }
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    let docs = reqwest::get(app.base.replace("/api", "/docs")).await.expect("docs");
    assert_eq!(docs.status().as_u16(), 200);
    let page = docs.text().await.expect("page");
    assert!(page.contains("/api/artifacts/latest/filter") && page.contains("/api/openapi.json"), "{page}");
}

/// The response schema the document gives for an operation and status,
/// as a standalone JSON Schema whose `#/components/...` refs resolve.
fn response_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let op = &doc["paths"][path][method.to_ascii_lowercase()];
    assert!(op.is_object(), "the document has no {method} {path}");
    let schema = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path} documents no JSON body for {status}");
    let mut full = schema.clone();
    full["components"] = doc["components"].clone();
    full
}

#[tokio::test]
async fn recorded_reference_answers_validate_against_the_document() {
    let doc = served_document().await;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/cases.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).expect("cases")).expect("JSON");
    let mut validators = std::collections::HashMap::new();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let method = case["method"].as_str().expect("method");
        let full_path = case["path"].as_str().expect("path");
        let path = full_path.strip_prefix("/api").expect("/api path");
        let status = case["status"].as_u64().expect("status") as u16;
        let answer: Value = serde_json::from_str(case["response"].as_str().expect("response")).expect("JSON answer");
        let validator = validators.entry((method.to_string(), path.to_string(), status)).or_insert_with(|| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&response_schema(&doc, method, path, status))
                .unwrap_or_else(|e| panic!("{method} {path} {status}: {e}"))
        });
        if let Some(err) = validator.iter_errors(&answer).next() {
            failures.push(format!("{}: {err} at {}", case["name"], err.instance_path()));
        }
        checked += 1;
    }
    assert!(checked >= 2000, "only {checked} cases");
    assert!(failures.is_empty(), "{} of {checked} answers do not validate:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
}

/// A wrong answer fails: the check above can fail.
#[tokio::test]
async fn a_wrong_answer_does_not_validate() {
    let doc = served_document().await;
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&response_schema(&doc, "POST", "/artifacts/filter", 200))
        .expect("schema");
    assert!(v.is_valid(&json!([{"id": ZERO, "key": null}])));
    assert!(!v.is_valid(&json!([{"id": "not-a-uuid"}])));
    assert!(!v.is_valid(&json!([{"id": ZERO, "metadata_": {"a": 1}}])));
    assert!(!v.is_valid(&json!({"id": ZERO})));
}
