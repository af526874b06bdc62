//! Fixture loading and export through the real server and CLI code.

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, temp_fixture};

fn sample() -> Value {
    json!({
        "flows": [{"id": "2b0f2b0f-0000-4000-8000-000000000001", "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z", "name": "etl", "tags": ["nightly"], "labels": {}}],
        "flow_runs": [{"id": "2b0f2b0f-0000-4000-8000-000000000002", "created": "2024-01-01T00:00:01Z", "updated": "2024-01-01T00:00:01Z", "name": "brave-fox", "flow_id": "2b0f2b0f-0000-4000-8000-000000000001", "state_type": "COMPLETED", "state_name": "Completed", "tags": ["a"]}],
        "artifacts": [
            {"id": "2b0f2b0f-0000-4000-8000-00000000000a", "created": "2024-01-01T00:00:02.000001Z", "updated": "2024-01-01T00:00:02.000001Z", "key": "report", "type": "markdown", "description": null, "data": "# v1", "metadata_": null, "flow_run_id": "2b0f2b0f-0000-4000-8000-000000000002", "task_run_id": null},
            {"id": "2b0f2b0f-0000-4000-8000-00000000000b", "created": "2024-01-01T00:00:03Z", "updated": "2024-01-01T00:00:04Z", "key": "report", "type": "markdown", "description": "second", "data": "# v2", "metadata_": {"k": "v"}, "flow_run_id": null, "task_run_id": null},
            {"id": "2b0f2b0f-0000-4000-8000-00000000000c", "created": "2024-01-01T00:00:05Z", "updated": "2024-01-01T00:00:05Z", "key": null, "type": "link", "data": "https://example.com"}
        ]
    })
}

#[tokio::test]
async fn a_fixture_is_served_as_given_and_latest_rows_are_derived() {
    let (_d, path) = temp_fixture(&sample());
    let app = spawn_app_with(vec![path]).await;
    let a = app.get("/artifacts/2b0f2b0f-0000-4000-8000-00000000000a").await.json();
    assert_eq!(a["created"], "2024-01-01T00:00:02.000001Z");
    assert_eq!(a["data"], "# v1");
    let rows = app.latest_rows(json!({})).await;
    assert_eq!(rows.len(), 1);
    let c = &rows[0];
    assert_eq!(c["latest_id"], "2b0f2b0f-0000-4000-8000-00000000000b");
    // created: the key's earliest; updated: the latest artifact's.
    assert_eq!(c["created"], "2024-01-01T00:00:02.000001Z");
    assert_eq!(c["updated"], "2024-01-01T00:00:04Z");
    assert_eq!(c["description"], "second");
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, "3");
}

#[tokio::test]
async fn loading_the_same_fixture_twice_is_the_same_as_once() {
    let (_d, path) = temp_fixture(&sample());
    let app = spawn_app_with(vec![path.clone(), path]).await;
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, "3");
    assert_eq!(app.post("/artifacts/latest/count", json!({})).await.text, "1");
}

#[tokio::test]
async fn export_then_seed_gives_the_same_answers_and_the_same_export() {
    let (_d, path) = temp_fixture(&sample());
    let app = spawn_app_with(vec![path]).await;
    app.create(json!({"key": "report", "data": "# v3"})).await;
    let exported = artifactd::fixtures::export(&app.db).unwrap();
    let (_d2, path2) = temp_fixture(&exported);
    let app2 = spawn_app_with(vec![path2]).await;
    for (p, b) in [("/artifacts/filter", json!({})), ("/artifacts/latest/filter", json!({}))] {
        assert_eq!(app.post(p, b.clone()).await.text, app2.post(p, b).await.text, "{p}");
    }
    let again = artifactd::fixtures::export(&app2.db).unwrap();
    assert_eq!(artifactd::pyjson::to_pydantic_json(&exported), artifactd::pyjson::to_pydantic_json(&again));
}

#[tokio::test]
async fn a_bad_field_names_file_array_index_and_field_and_loads_nothing() {
    let mut bad = sample();
    bad["artifacts"][2]["flow_run_id"] = json!("not-a-uuid");
    let (_d, path) = temp_fixture(&bad);
    let db = artifactd::db::Db::open(":memory:").unwrap();
    let err = artifactd::fixtures::load(&db, std::slice::from_ref(&path)).unwrap_err().to_string();
    assert!(err.contains("fixture.json"), "{err}");
    assert!(err.contains("artifacts[2].flow_run_id"), "{err}");
    let export = artifactd::fixtures::export(&db).unwrap();
    assert_eq!(export["artifacts"], json!([]));
    assert_eq!(export["flows"], json!([]));
}

/// `fixtures/demo.json` is a snapshot of a real Prefect 3.9.1 server, so its
/// arrays are the reference's own answers to the unfiltered endpoints.
#[tokio::test]
async fn the_demo_fixture_is_served_exactly_as_the_reference_answered() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.json");
    let demo: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let app = spawn_app_with(vec![path]).await;
    assert_eq!(app.post("/artifacts/filter", json!({})).await.json(), demo["artifacts"]);
    assert_eq!(app.post("/artifacts/latest/filter", json!({})).await.json(), demo["artifact_collections"]);
    let n = demo["artifacts"].as_array().unwrap().len();
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, n.to_string());
}
