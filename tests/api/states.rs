//! State history (`/flow_run_states`, `/task_run_states`) and
//! `POST /flow_runs/{id}/resume`: shapes, order, and the 404 / 422 answers
//! (expected bodies as the Prefect 3.9.1 reference answered them).

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, temp_fixture, TestApp};

const MISSING: &str = "0b6c9e52-7a4c-4c7e-8d4e-3f1a2b3c4d5e";

async fn flow_run(app: &TestApp, state: Value) -> String {
    let f = app.post("/flows/", json!({"name": "states-flow"})).await.json();
    let r = app.post("/flow_runs/", json!({"flow_id": f["id"], "state": state})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()["id"].as_str().unwrap_or_default().to_string()
}

async fn set(app: &TestApp, id: &str, state: Value) -> Value {
    let r = app.post(&format!("/flow_runs/{id}/set_state"), json!({"state": state})).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn a_flow_runs_history_lists_every_accepted_state_oldest_first() {
    let app = spawn_app().await;
    let id = flow_run(&app, json!({"type": "PENDING"})).await;
    set(&app, &id, json!({"type": "RUNNING"})).await;
    // Refused: not in the history.
    let r = set(&app, &id, json!({"type": "PENDING"})).await;
    assert_eq!(r["status"], "ABORT");
    set(&app, &id, json!({"type": "COMPLETED", "message": "done"})).await;
    let h = app.get(&format!("/flow_run_states/?flow_run_id={id}")).await;
    assert_eq!(h.status, 200);
    let h = h.json();
    let types: Vec<&str> = h.as_array().into_iter().flatten().filter_map(|s| s["type"].as_str()).collect();
    assert_eq!(types, ["PENDING", "RUNNING", "COMPLETED"]);
    let run = app.get(&format!("/flow_runs/{id}")).await.json();
    assert_eq!(h[2], run["state"]);
    let keys: Vec<&String> = h[2].as_object().map(|m| m.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["id", "type", "name", "timestamp", "message", "data", "state_details"]);
    // One state by id, in any spelling of the id.
    let sid = h[1]["id"].as_str().unwrap_or_default().to_uppercase();
    let one = app.get(&format!("/flow_run_states/{sid}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json(), h[1]);
}

#[tokio::test]
async fn a_task_runs_history_and_its_states_by_id() {
    let app = spawn_app().await;
    let fr = flow_run(&app, json!({"type": "RUNNING"})).await;
    let t = app
        .post("/task_runs/", json!({"task_key": "k", "dynamic_key": "0", "flow_run_id": fr, "empirical_policy": {"retries": 1}}))
        .await
        .json();
    let tid = t["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/task_runs/{tid}/set_state");
    app.post(&path, json!({"state": {"type": "RUNNING"}})).await;
    let r = app.post(&path, json!({"state": {"type": "FAILED"}})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["state"]["name"], "AwaitingRetry");
    let h = app.get(&format!("/task_run_states/?task_run_id={tid}")).await.json();
    let names: Vec<&str> = h.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["Pending", "Running", "AwaitingRetry"]);
    let one = app.get(&format!("/task_run_states/{}", h[0]["id"].as_str().unwrap_or_default())).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["state_details"]["task_run_id"], json!(tid));
    // A task run state is no flow run state.
    let other = app.get(&format!("/flow_run_states/{}", h[0]["id"].as_str().unwrap_or_default())).await;
    assert_eq!(other.status, 404);
}

#[tokio::test]
async fn unknown_states_and_runs_answer_as_the_reference() {
    let app = spawn_app().await;
    for path in [format!("/flow_run_states/{MISSING}"), format!("/task_run_states/{MISSING}")] {
        let r = app.get(&path).await;
        assert_eq!(r.status, 404, "{path}");
        // (The reference says "Flow run state" for task run states too.)
        assert_eq!(r.json(), json!({"detail": "Flow run state not found"}));
    }
    for path in [format!("/flow_run_states/?flow_run_id={MISSING}"), format!("/task_run_states/?task_run_id={MISSING}")] {
        let r = app.get(&path).await;
        assert_eq!((r.status, r.json()), (200, json!([])), "{path}");
    }
}

#[tokio::test]
async fn the_run_id_query_parameter_is_required_and_a_uuid() {
    let app = spawn_app().await;
    let r = app.get("/flow_run_states/").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json(),
        json!({"exception_message": "Invalid request received.", "exception_detail": [
            {"type": "missing", "loc": ["query", "flow_run_id"], "msg": "Field required", "input": null}], "request_body": null})
    );
    let r = app.get("/task_run_states/?task_run_id=").await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["exception_detail"],
        json!([{"type": "uuid_parsing", "loc": ["query", "task_run_id"], "msg": "Input should be a valid UUID, invalid length: found 0",
                "input": "", "ctx": {"error": "invalid length: found 0"}}])
    );
    // The last of repeated values counts.
    let r = app.get(&format!("/flow_run_states/?flow_run_id={MISSING}&flow_run_id=zz")).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["exception_detail"][0]["input"], "zz");
}

#[tokio::test]
async fn fixture_runs_have_their_current_state_as_history() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/fixture.json")).expect("fixture");
    let v: Value = serde_json::from_str(&text).expect("json");
    let (_dir, path) = temp_fixture(&v);
    let app = spawn_app_with(vec![path]).await;
    let fr = &v["flow_runs"][0];
    let h = app.get(&format!("/flow_run_states/?flow_run_id={}", fr["id"].as_str().unwrap_or_default())).await.json();
    assert_eq!(h.as_array().map(Vec::len), Some(1));
    assert_eq!(h[0]["id"], fr["state"]["id"]);
    assert_eq!(h[0]["type"], fr["state"]["type"]);
    let one = app.get(&format!("/flow_run_states/{}", fr["state"]["id"].as_str().unwrap_or_default())).await;
    assert_eq!(one.status, 200);
    let tr = &v["task_runs"][0];
    let h = app.get(&format!("/task_run_states/?task_run_id={}", tr["id"].as_str().unwrap_or_default())).await.json();
    assert_eq!(h[0]["id"], tr["state"]["id"]);
}

#[tokio::test]
async fn task_runs_recorded_from_events_enter_the_history() {
    let app = spawn_app().await;
    let id = "6f1a1d3e-0000-4000-8000-0000000000aa";
    let doc = |sid: &str, ts: &str, t: &str| {
        json!({"id": id, "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z", "name": "t", "flow_run_id": null,
               "task_key": "k", "dynamic_key": "0", "state_type": t, "state_name": t, "run_count": 0, "total_run_time": 0.0,
               "tags": [], "state": {"id": sid, "type": t, "name": t, "timestamp": ts, "message": null, "data": null, "state_details": {}}})
    };
    for d in [
        doc("01a00000-0000-7000-8000-000000000002", "2026-01-01T00:00:02Z", "RUNNING"),
        // Older than the stored run: the row stays, the history still gets it.
        doc("01a00000-0000-7000-8000-000000000001", "2026-01-01T00:00:01Z", "PENDING"),
    ] {
        let db = app.db.clone();
        let m = d.as_object().cloned().unwrap_or_default();
        tokio::task::spawn_blocking(move || {
            db.write(move |tx, _| -> Result<(), anyhow::Error> { Ok(artifactd::db::runs::record_task_run_from_event(tx, &m)?) })
        })
        .await
        .expect("joined")
        .expect("recorded");
    }
    let h = app.get(&format!("/task_run_states/?task_run_id={id}")).await.json();
    let types: Vec<&str> = h.as_array().into_iter().flatten().filter_map(|s| s["type"].as_str()).collect();
    assert_eq!(types, ["PENDING", "RUNNING"]);
    assert_eq!(app.get(&format!("/task_runs/{id}")).await.json()["state_type"], "RUNNING");
}

#[tokio::test]
async fn resume_answers_and_refusals() {
    let app = spawn_app().await;
    // Unknown run: the reference fails with a 500; artifactd answers 404.
    let r = app.post(&format!("/flow_runs/{MISSING}/resume"), json!({})).await;
    assert_eq!((r.status, r.json()), (404, json!({"detail": "Flow run not found"})));
    let id = flow_run(&app, json!({"type": "RUNNING"})).await;
    let path = format!("/flow_runs/{id}/resume");
    for (body, detail) in [
        (json!({"run_input": 5}), json!([{"type": "dict_type", "loc": ["body", "run_input"], "msg": "Input should be a valid dictionary", "input": 5}])),
        (json!([]), json!([{"type": "missing", "loc": ["body", "run_input"], "msg": "Field required", "input": null}])),
    ] {
        let r = app.post(&path, body.clone()).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.json()["exception_detail"], detail, "{body}");
        assert_eq!(r.json()["request_body"], body);
    }
    // Not paused.
    let r = app.send("POST", &path, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"state": null, "status": "ABORT", "details": {"type": "abort_details", "reason": "Cannot resume a flow run that is not paused."}})
    );
    // Paused, then resumed: Running, the run marked resuming is not counted again.
    set(&app, &id, json!({"type": "PAUSED", "state_details": {"pause_key": "p"}})).await;
    let r = app.post(&path, json!({"run_input": null})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.json()["status"].clone(), r.json()["state"]["type"].clone()), (json!("ACCEPT"), json!("RUNNING")));
    let run = app.get(&format!("/flow_runs/{id}")).await.json();
    assert_eq!(run["empirical_policy"]["pause_keys"], json!(["p"]));
    assert_eq!(run["empirical_policy"]["resuming"], json!(true));
}

#[tokio::test]
async fn a_refused_proposal_changes_nothing() {
    let app = spawn_app().await;
    let id = flow_run(&app, json!({"type": "PENDING"})).await;
    set(&app, &id, json!({"type": "RUNNING"})).await;
    let before = app.get(&format!("/flow_runs/{id}")).await.json();
    let r = app.post(&format!("/flow_runs/{id}/set_state"), json!({"state": {"type": "PENDING"}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["state"], before["state"]);
    let after = app.get(&format!("/flow_runs/{id}")).await.json();
    for k in ["state", "run_count", "updated", "empirical_policy", "start_time"] {
        assert_eq!(after[k], before[k], "{k}");
    }
}

#[tokio::test]
async fn unpersisted_data_is_answered_once_and_not_kept() {
    let app = spawn_app().await;
    let id = flow_run(&app, json!({"type": "RUNNING", "data": {"type": "unpersisted"}})).await;
    let run = app.get(&format!("/flow_runs/{id}")).await.json();
    assert_eq!(run["state"]["data"], Value::Null);
    // (Checked against the reference: the answer carries the data, the
    // run and its history do not.)
    let r = set(&app, &id, json!({"type": "COMPLETED", "data": {"type": "unpersisted", "x": 1}})).await;
    assert_eq!(r["state"]["data"], json!({"type": "unpersisted", "x": 1}));
    assert_eq!(app.get(&format!("/flow_runs/{id}")).await.json()["state"]["data"], Value::Null);
    let h = app.get(&format!("/flow_run_states/?flow_run_id={id}")).await.json();
    assert_eq!(h[1]["data"], Value::Null);
}

#[tokio::test]
async fn a_retry_delay_past_the_calendar_aborts_instead_of_failing() {
    let app = spawn_app().await;
    let f = app.post("/flows/", json!({"name": "states-flow"})).await.json();
    let r = app.post("/flow_runs/", json!({"flow_id": f["id"], "state": {"type": "RUNNING"}, "empirical_policy": {"retries": 1, "retry_delay": 1_000_000_000_000_i64}})).await;
    let id = r.json()["id"].as_str().unwrap_or_default().to_string();
    // The reference answers 500 (OverflowError); artifactd answers the abort
    // its orchestration context records, and changes nothing.
    let r = app.post(&format!("/flow_runs/{id}/set_state"), json!({"state": {"type": "FAILED"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "ABORT");
    assert!(r.json()["details"]["reason"].as_str().unwrap_or_default().contains("OverflowError('date value out of range')"));
    assert_eq!(app.get(&format!("/flow_runs/{id}")).await.json()["state_type"], "RUNNING");
}
