//! The latest-by-key rows through create/update/delete sequences. Each
//! expectation was observed on Prefect 3.9.1 with the same sequence.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_collection_row_follows_the_newest_artifact_and_keeps_its_id_and_created() {
    let app = spawn_app().await;
    let a1 = app.create(json!({"key": "seq", "description": "first", "data": {"v": 1}, "metadata_": {"m": "1"}, "type": "markdown"})).await;
    let c1 = app.latest("seq").await.json();
    assert_eq!(c1["created"], a1["created"]);
    assert_eq!(c1["description"], "first");
    assert_ne!(c1["id"], a1["id"], "the collection row has its own id");

    let a2 = app.create(json!({"key": "seq", "data": {"v": 2}})).await;
    let c2 = app.latest("seq").await.json();
    assert_eq!(c2["id"], c1["id"]);
    assert_eq!(c2["created"], c1["created"]);
    assert_eq!(c2["updated"], a2["created"]);
    // Every field is copied from the new version, unset ones too.
    assert_eq!(c2["description"], Value::Null);
    assert_eq!(c2["type"], Value::Null);
    assert_eq!(c2["metadata_"], Value::Null);
    assert_eq!(c2["data"], json!({"v": 2}));

    let rows = app.latest_rows(json!({})).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["latest_id"], a2["id"]);
    assert_eq!(rows[0]["key"], "seq");
}

#[tokio::test]
async fn updating_an_older_version_leaves_the_collection_alone() {
    let app = spawn_app().await;
    let a1 = app.create(json!({"key": "k", "description": "one"})).await;
    app.create(json!({"key": "k", "description": "two"})).await;
    let before = app.latest("k").await.json();
    let r = app.send("PATCH", &format!("/artifacts/{}", id(&a1)), Some(r#"{"description": "changed"}"#)).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.latest("k").await.json(), before);
}

#[tokio::test]
async fn updating_the_latest_version_updates_the_collection_row() {
    let app = spawn_app().await;
    app.create(json!({"key": "k", "description": "one"})).await;
    let a2 = app.create(json!({"key": "k", "description": "two"})).await;
    let before = app.latest("k").await.json();
    // PATCH stamps to the millisecond: let the create's millisecond pass.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let r = app.send("PATCH", &format!("/artifacts/{}", id(&a2)), Some(r#"{"metadata_": {"z": "y"}}"#)).await;
    assert_eq!(r.status, 204);
    let after = app.latest("k").await.json();
    assert_eq!(after["metadata_"], json!({"z": "y"}));
    assert_eq!(after["description"], "two");
    assert!(after["updated"].as_str().unwrap() > before["updated"].as_str().unwrap());
    // An empty PATCH still stamps `updated`, on both rows.
    let r = app.send("PATCH", &format!("/artifacts/{}", id(&a2)), Some("{}")).await;
    assert_eq!(r.status, 204);
    assert!(app.latest("k").await.json()["updated"].as_str().unwrap() >= after["updated"].as_str().unwrap());
}

#[tokio::test]
async fn deleting_the_latest_moves_the_row_to_the_next_newest_with_its_times() {
    let app = spawn_app().await;
    let a1 = app.create(json!({"key": "k", "description": "one", "type": "markdown"})).await;
    let a2 = app.create(json!({"key": "k", "description": "two"})).await;
    let c_before = app.latest("k").await.json();
    assert_eq!(app.send("DELETE", &format!("/artifacts/{}", id(&a2)), None).await.status, 204);
    let c = app.latest("k").await.json();
    assert_eq!(c["id"], c_before["id"]);
    assert_eq!(c["description"], "one");
    assert_eq!(c["type"], "markdown");
    // The reference copies the next version's created and updated.
    assert_eq!(c["created"], a1["created"]);
    assert_eq!(c["updated"], a1["updated"]);
    let rows = app.latest_rows(json!({})).await;
    assert_eq!(rows[0]["latest_id"], a1["id"]);
}

#[tokio::test]
async fn deleting_the_only_version_removes_the_row() {
    let app = spawn_app().await;
    let a = app.create(json!({"key": "only"})).await;
    assert_eq!(app.send("DELETE", &format!("/artifacts/{}", id(&a)), None).await.status, 204);
    assert_eq!(app.latest("only").await.status, 404);
    assert!(app.latest_rows(json!({})).await.is_empty());
}

#[tokio::test]
async fn deleting_an_older_version_keeps_the_latest() {
    let app = spawn_app().await;
    let a1 = app.create(json!({"key": "k"})).await;
    let a2 = app.create(json!({"key": "k"})).await;
    let before = app.latest("k").await.json();
    assert_eq!(app.send("DELETE", &format!("/artifacts/{}", id(&a1)), None).await.status, 204);
    assert_eq!(app.latest("k").await.json(), before);
    assert_eq!(app.latest_rows(json!({})).await[0]["latest_id"], a2["id"]);
}

#[tokio::test]
async fn keyless_artifacts_have_no_collection_row() {
    let app = spawn_app().await;
    app.create(json!({"data": "nokey"})).await;
    assert!(app.latest_rows(json!({"artifacts": {"key": {"exists_": false}}})).await.is_empty());
    assert!(app.latest_rows(json!({})).await.is_empty());
}

#[tokio::test]
async fn concurrent_creates_on_one_key_leave_one_row_naming_the_newest() {
    let app = spawn_app().await;
    let mut handles = vec![];
    for i in 0..40 {
        let client = app.client.clone();
        let url = format!("{}/artifacts/", app.base);
        handles.push(tokio::spawn(async move {
            let r = client.post(url).json(&json!({"key": "hot", "data": i})).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 201);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let newest = app.rows(json!({"artifacts": {"key": {"any_": ["hot"]}}, "sort": "CREATED_DESC", "limit": 1})).await;
    let rows = app.latest_rows(json!({})).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["latest_id"], newest[0]["id"]);
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, "40");
}
