//! Create, read, update, delete. Expected shapes were read off Prefect 3.9.1.

use serde_json::json;

use crate::helpers::spawn_app;

const FIELDS: [&str; 10] = [
    "id", "created", "updated", "key", "type", "description", "data", "metadata_", "flow_run_id", "task_run_id",
];

#[tokio::test]
async fn health_is_true_and_version_is_the_reference_version() {
    let app = spawn_app().await;
    let h = app.get("/health").await;
    assert_eq!((h.status, h.text.as_str()), (200, "true"));
    let v = app.get("/admin/version").await;
    assert_eq!((v.status, v.text.as_str()), (200, "\"3.9.1\""));
}

#[tokio::test]
async fn create_answers_201_with_the_artifact_in_the_reference_field_order() {
    let app = spawn_app().await;
    let r = app
        .post("/artifacts/", json!({"key": "my-key", "type": "markdown", "data": "# hi", "metadata_": {"a": "b"}}))
        .await;
    assert_eq!(r.status, 201);
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&r.text).unwrap();
    assert_eq!(v.keys().map(String::as_str).collect::<Vec<_>>(), FIELDS);
    assert_eq!(v["key"], "my-key");
    assert_eq!(v["data"], "# hi");
    assert_eq!(v["created"], v["updated"]);
    // UTC with microseconds and Z, as the reference writes it.
    let created = v["created"].as_str().unwrap();
    assert_eq!(created.len(), "2026-11-29T05:47:35.112932Z".len(), "{created}");
    assert!(created.ends_with('Z'));
}

#[tokio::test]
async fn read_by_id_returns_what_create_returned() {
    let app = spawn_app().await;
    let a = app.create(json!({"data": {"rows": [[1, 2.5]]}, "description": "d"})).await;
    let r = app.get(&format!("/artifacts/{}", a["id"].as_str().unwrap())).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), a);
}

#[tokio::test]
async fn read_by_id_accepts_an_upper_case_uuid() {
    let app = spawn_app().await;
    let a = app.create(json!({"data": 1})).await;
    let upper = a["id"].as_str().unwrap().to_uppercase();
    let r = app.get(&format!("/artifacts/{upper}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], a["id"]);
}

#[tokio::test]
async fn uuids_in_the_body_are_normalised_to_lowercase_hyphenated() {
    let app = spawn_app().await;
    let a = app
        .create(json!({"flow_run_id": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "task_run_id": "a0eebc999c0b4ef8bb6d6bb9bd380a11"}))
        .await;
    assert_eq!(a["flow_run_id"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assert_eq!(a["task_run_id"], "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
}

#[tokio::test]
async fn unknown_artifacts_are_404_with_the_reference_detail() {
    let app = spawn_app().await;
    let zero = "00000000-0000-0000-0000-000000000000";
    for (m, p, b) in [
        ("GET", format!("/artifacts/{zero}"), None),
        ("PATCH", format!("/artifacts/{zero}"), Some("{\"data\": 1}")),
        ("DELETE", format!("/artifacts/{zero}"), None),
        ("GET", "/artifacts/nokey/latest".to_string(), None),
    ] {
        let r = app.send(m, &p, b).await;
        assert_eq!((r.status, r.text.as_str()), (404, "{\"detail\":\"Artifact not found.\"}"), "{m} {p}");
    }
}

#[tokio::test]
async fn a_path_that_is_not_a_uuid_is_a_plain_404_and_a_wrong_method_is_405() {
    let app = spawn_app().await;
    let r = app.get("/artifacts/not-a-uuid").await;
    assert_eq!((r.status, r.text.as_str()), (404, "{\"detail\":\"Not Found\"}"));
    let r = app.send("DELETE", "/artifacts/zzz", None).await;
    assert_eq!(r.status, 404);
    let r = app.send("PUT", "/artifacts/filter", Some("{}")).await;
    assert_eq!((r.status, r.text.as_str()), (405, "{\"detail\":\"Method Not Allowed\"}"));
    let r = app.get("/nope").await;
    assert_eq!((r.status, r.text.as_str()), (404, "{\"detail\":\"Not Found\"}"));
}

#[tokio::test]
async fn patch_changes_only_the_fields_sent_and_stamps_updated() {
    let app = spawn_app().await;
    let a = app.create(json!({"description": "first", "data": {"v": 1}, "metadata_": {"m": "1"}, "type": "markdown"})).await;
    let id = a["id"].as_str().unwrap();
    // The stamp is cut to the millisecond (below), so a PATCH within the
    // create's own millisecond could read as earlier: let one go by.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let r = app.send("PATCH", &format!("/artifacts/{id}"), Some(r#"{"description": "changed", "data": null}"#)).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    let b = app.get(&format!("/artifacts/{id}")).await.json();
    assert_eq!(b["description"], "changed");
    assert_eq!(b["data"], serde_json::Value::Null);
    assert_eq!(b["metadata_"], json!({"m": "1"}));
    assert_eq!(b["type"], "markdown");
    assert_eq!(b["created"], a["created"]);
    assert!(b["updated"].as_str().unwrap() > a["updated"].as_str().unwrap());
    // The reference's SQL now() stamps updates to the millisecond (and a
    // whole second is written with no fraction, as pydantic writes it).
    let updated = b["updated"].as_str().unwrap();
    assert!(updated.ends_with("000Z") || !updated.contains('.'), "{updated}");
}

#[tokio::test]
async fn delete_removes_the_artifact() {
    let app = spawn_app().await;
    let a = app.create(json!({"data": "x"})).await;
    let id = a["id"].as_str().unwrap();
    let r = app.send("DELETE", &format!("/artifacts/{id}"), None).await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(app.get(&format!("/artifacts/{id}")).await.status, 404);
    assert_eq!(app.send("DELETE", &format!("/artifacts/{id}"), None).await.status, 404);
}

#[tokio::test]
async fn long_metadata_values_are_truncated_not_refused() {
    let app = spawn_app().await;
    let a = app.create(json!({"metadata_": {"a": "x".repeat(600)}})).await;
    let v = a["metadata_"]["a"].as_str().unwrap();
    assert_eq!(v, format!("{}...", "x".repeat(500)));
}

#[tokio::test]
async fn keys_with_only_a_trailing_newline_or_empty_are_accepted_like_the_reference() {
    let app = spawn_app().await;
    assert_eq!(app.create(json!({"key": ""})).await["key"], "");
    assert_eq!(app.create(json!({"key": "abc\n"})).await["key"], "abc\n");
}

#[tokio::test]
async fn filter_sorts_pages_and_counts() {
    let app = spawn_app().await;
    let mut ids = vec![];
    for (i, k) in ["b", "a", "c"].iter().enumerate() {
        ids.push(app.create(json!({"key": k, "type": if i == 0 {"table"} else {"markdown"}})).await["id"].clone());
    }
    let keys = |rows: Vec<serde_json::Value>| rows.iter().map(|r| r["key"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(keys(app.rows(json!({"sort": "KEY_ASC"})).await), ["a", "b", "c"]);
    assert_eq!(keys(app.rows(json!({"sort": "KEY_DESC", "limit": 2})).await), ["c", "b"]);
    assert_eq!(keys(app.rows(json!({"sort": "KEY_DESC", "limit": 2, "offset": 2})).await), ["a"]);
    assert_eq!(keys(app.rows(json!({"sort": "CREATED_DESC"})).await), ["c", "a", "b"]);
    let mut by_id: Vec<String> = ids.iter().map(|v| v.as_str().unwrap().to_string()).collect();
    by_id.sort();
    by_id.reverse();
    let got: Vec<String> = app.rows(json!({})).await.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, by_id, "default sort is ID_DESC");
    let r = app.post("/artifacts/count", json!({"artifacts": {"type": {"any_": ["markdown"]}}})).await;
    assert_eq!((r.status, r.text.as_str()), (200, "2"));
    let r = app.post("/artifacts/count", json!({"artifacts": {"type": {"not_any_": ["markdown"]}}})).await;
    assert_eq!(r.text, "1");
    let r = app.post("/artifacts/latest/count", json!({})).await;
    assert_eq!(r.text, "3");
}

#[tokio::test]
async fn artifact_filter_fields_follow_the_reference_rules() {
    let app = spawn_app().await;
    let a = app.create(json!({"key": "sales-report", "type": "table"})).await;
    app.create(json!({"key": "salesxreport", "type": "markdown"})).await;
    app.create(json!({"type": "markdown"})).await;
    let count = |v: serde_json::Value| {
        let app = &app;
        async move { app.post("/artifacts/count", v).await.text }
    };
    // like_ is a case-insensitive substring where `_` stays a wildcard.
    assert_eq!(count(json!({"artifacts": {"key": {"like_": "SALES"}}})).await, "2");
    assert_eq!(count(json!({"artifacts": {"key": {"like_": "s_report"}}})).await, "2");
    assert_eq!(count(json!({"artifacts": {"key": {"like_": "s-report"}}})).await, "1");
    assert_eq!(count(json!({"artifacts": {"key": {"like_": ""}}})).await, "3");
    assert_eq!(count(json!({"artifacts": {"key": {"exists_": false}}})).await, "1");
    assert_eq!(count(json!({"artifacts": {"key": {"exists_": "yes"}}})).await, "2");
    // any_: [] matches nothing; not_any_: [] filters nothing.
    assert_eq!(count(json!({"artifacts": {"id": {"any_": []}}})).await, "0");
    assert_eq!(count(json!({"artifacts": {"type": {"not_any_": []}}})).await, "3");
    assert_eq!(count(json!({"artifacts": {"id": {"any_": [a["id"]]}}})).await, "1");
    // or_ with an empty sub-filter is TRUE, as in the reference.
    assert_eq!(count(json!({"artifacts": {"operator": "or_", "id": {"any_": []}, "key": {}}})).await, "3");
    assert_eq!(count(json!({"artifacts": {"operator": "or_", "id": {"any_": []}, "type": {"any_": ["table"]}}})).await, "1");
}

#[tokio::test]
async fn a_path_with_a_wrong_trailing_slash_is_redirected_like_starlette() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.post(format!("{}/artifacts", app.base)).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 307);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.ends_with("/api/artifacts/"), "{loc}");
    let r = client.post(format!("{}/artifacts/filter/", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/api/artifacts/filter"));
    let r = client.get(format!("{}/nothing/", app.base)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

/// SQLite refuses more than 32766 bound parameters; lists travel as one
/// JSON parameter, so a list of any length works.
#[tokio::test]
async fn an_any_of_fifty_thousand_ids_answers_correctly() {
    let app = spawn_app().await;
    let a = app.create(json!({"key": "needle"})).await;
    let b = app.create(json!({"key": "other"})).await;
    let mut ids: Vec<String> = (0..50_000).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    ids[25_000] = a["id"].as_str().unwrap().to_string();
    let rows = app.rows(json!({"artifacts": {"id": {"any_": ids}}})).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], a["id"]);
    let r = app.post("/artifacts/latest/count", json!({"artifacts": {"latest_id": {"any_": ids}}})).await;
    assert_eq!(r.text, "1");
    let r = app.post("/artifacts/count", json!({"flow_runs": {"id": {"not_any_": ids}}})).await;
    assert_eq!(r.text, "0", "artifacts without a flow run never pass a flow_runs filter");
    drop(b);
}
