//! `serve --testing`: the database clear, load and export endpoints.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_configured};

fn demo() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json")).expect("demo fixture")
}

async fn count(app: &crate::helpers::TestApp, what: &str) -> i64 {
    let r = app.post(&format!("/{what}/count"), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json().as_i64().expect("a count")
}

#[tokio::test]
async fn without_the_flag_the_endpoints_are_not_routes() {
    let app = spawn_app().await;
    for (method, path) in [
        ("POST", "/admin/database/clear"),
        ("POST", "/admin/database/load"),
        ("GET", "/admin/database/export"),
    ] {
        let r = app.send(method, path, Some("{}")).await;
        assert_eq!((r.status, r.json()), (404, json!({"detail": "Not Found"})), "{method} {path}");
    }
}

#[tokio::test]
async fn testing_and_read_only_do_not_combine() {
    let settings = artifactd::startup::Settings {
        port: 0,
        db: ":memory:".into(),
        testing: true,
        access: artifactd::access::AccessSettings { read_only: true, ..Default::default() },
        ..Default::default()
    };
    let err = artifactd::startup::Application::build(&settings).err().expect("refused");
    assert!(format!("{err:#}").contains("--testing cannot be combined with --read-only"), "{err:#}");
}

#[tokio::test]
async fn clear_empties_every_table_and_loads_the_given_documents() {
    let demo_path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo.json").into();
    let app = spawn_app_configured(|s| {
        s.testing = true;
        s.fixtures = vec![demo_path];
    })
    .await;
    let before = count(&app, "artifacts").await;
    assert!(before > 0);
    // Rows outside fixtures (a variable) go too.
    let r = app.post("/variables/", json!({"name": "v1", "value": 1})).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let r = app.post("/admin/database/clear", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["artifacts"], 0);
    for what in ["artifacts", "flows", "flow_runs", "task_runs", "deployments", "variables"] {
        assert_eq!(count(&app, what).await, 0, "{what}");
    }
    assert_eq!(app.post("/artifacts/latest/filter", json!({})).await.json(), json!([]));

    // No body at all is the same as `{}`.
    let r = app.send("POST", "/admin/database/clear", None).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let body = format!(r#"{{"fixtures": [{}]}}"#, demo());
    let r = app.send("POST", "/admin/database/clear", Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["artifacts"].as_i64(), Some(before));
    assert_eq!(count(&app, "artifacts").await, before);
}

#[tokio::test]
async fn a_bad_document_is_a_422_naming_it_and_changes_nothing() {
    let app = spawn_app_configured(|s| s.testing = true).await;
    let r = app.send("POST", "/admin/database/load", Some(&demo())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let artifacts = count(&app, "artifacts").await;
    let flows = count(&app, "flows").await;

    // The first document is good, the second has an artifact with a bad id.
    let body = json!({"fixtures": [{"flows": []}, {"artifacts": [{"id": "not-a-uuid", "key": "x"}]}]});
    let r = app.post("/admin/database/clear", body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let detail = &r.json()["exception_detail"][0];
    let msg = detail["msg"].as_str().unwrap_or_default().to_string();
    assert!(msg.starts_with("fixtures[1]: artifacts[0]"), "{msg}");
    assert_eq!(detail["loc"], json!(["body"]));
    assert_eq!((count(&app, "artifacts").await, count(&app, "flows").await), (artifacts, flows));

    for (body, says) in [
        ("{\"fixture\": []}", "unknown field"),
        ("[1]", "expected"),
        ("{\"fixtures\": [}", "expected"),
    ] {
        let r = app.send("POST", "/admin/database/clear", Some(body)).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        let msg: Value = r.json()["exception_detail"][0]["msg"].clone();
        assert!(msg.as_str().is_some_and(|m| m.contains(says)), "{body}: {msg}");
        assert_eq!(count(&app, "artifacts").await, artifacts, "{body}");
    }
    let r = app.send("POST", "/admin/database/load", Some("{\"nope\": []}")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("unknown top-level key"), "{}", r.text);
    assert_eq!(count(&app, "artifacts").await, artifacts);
}

#[tokio::test]
async fn export_gives_back_what_load_took() {
    let app = spawn_app_configured(|s| s.testing = true).await;
    let r = app.send("POST", "/admin/database/load", Some(&demo())).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let loaded = r.json();
    let r = app.get("/admin/database/export").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let exported = r.json();
    let original: Value = serde_json::from_str(&demo()).expect("demo is JSON");
    for array in ["flows", "flow_runs", "task_runs", "artifacts"] {
        assert_eq!(exported[array].as_array().map(Vec::len), original[array].as_array().map(Vec::len), "{array}");
        assert_eq!(exported[array].as_array().map(Vec::len), loaded[array].as_u64().map(|n| n as usize), "{array}");
    }
    // Exported, cleared, loaded again: the same export.
    let r = app.post("/admin/database/clear", json!({"fixtures": [exported.clone()]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get("/admin/database/export").await.json(), exported);
}

#[tokio::test]
async fn the_endpoints_ask_for_credentials_like_every_other() {
    let app = spawn_app_configured(|s| {
        s.testing = true;
        s.access.auth_string = Some("admin:pw".into());
    })
    .await;
    let r = app.post("/admin/database/clear", json!({})).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = app.get("/admin/database/export").await;
    assert_eq!(r.status, 401, "{}", r.text);
}
