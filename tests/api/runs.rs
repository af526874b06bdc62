//! Flows, flow runs, task runs, deployments, logs and the small service
//! endpoints the SDK calls. Every expected status, shape, field order and
//! error body below was read off a Prefect 3.9.1 server (`prefect server
//! start --no-services`) sent the same requests; times and ids differ by
//! nature and are checked for their relations instead.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const ZERO: &str = "00000000-0000-0000-0000-000000000000";

const FLOW_FIELDS: [&str; 6] = ["id", "created", "updated", "name", "tags", "labels"];

// The reference's FlowRunResponse, in its order.
const FLOW_RUN_FIELDS: [&str; 36] = [
    "id", "created", "updated", "name", "flow_id", "state_id", "deployment_id", "deployment_version",
    "work_queue_id", "work_queue_name", "flow_version", "parameters", "idempotency_key", "context",
    "empirical_policy", "tags", "labels", "parent_task_run_id", "state_type", "state_name", "run_count",
    "expected_start_time", "next_scheduled_start_time", "start_time", "end_time", "total_run_time",
    "estimated_run_time", "estimated_start_time_delta", "auto_scheduled", "infrastructure_document_id",
    "infrastructure_pid", "created_by", "work_pool_id", "work_pool_name", "state", "job_variables",
];

const TASK_RUN_FIELDS: [&str; 27] = [
    "id", "created", "updated", "name", "flow_run_id", "task_key", "dynamic_key", "cache_key", "cache_expiration",
    "task_version", "empirical_policy", "tags", "labels", "state_id", "task_inputs", "state_type", "state_name",
    "run_count", "flow_run_run_count", "expected_start_time", "next_scheduled_start_time", "start_time",
    "end_time", "total_run_time", "estimated_run_time", "estimated_start_time_delta", "state",
];

const DEPLOYMENT_FIELDS: [&str; 30] = [
    "id", "created", "updated", "name", "version", "description", "flow_id", "paused", "schedules",
    "concurrency_limit", "global_concurrency_limit", "concurrency_options", "job_variables", "parameters", "tags",
    "labels", "work_queue_name", "work_queue_id", "last_polled", "parameter_openapi_schema", "path", "pull_steps",
    "entrypoint", "storage_document_id", "infrastructure_document_id", "created_by", "updated_by",
    "work_pool_name", "status", "enforce_parameter_schema",
];

const STATE_FIELDS: [&str; 7] = ["id", "type", "name", "timestamp", "message", "data", "state_details"];

const STATE_DETAIL_FIELDS: [&str; 18] = [
    "flow_run_id", "task_run_id", "child_flow_run_id", "scheduled_time", "cache_key", "cache_expiration",
    "deferred", "untrackable_result", "pause_timeout", "pause_reschedule", "pause_key", "run_input_keyset",
    "refresh_cache", "retriable", "transition_id", "task_parameters_id", "traceparent",
    "deployment_concurrency_lease_id",
];

fn keys(v: &Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

fn assert_fields(v: &Value, expected: &[&str]) {
    let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(keys(v), expected, "{v}");
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} is not a string in {v}"))
}

fn secs(later: &str, earlier: &str) -> f64 {
    let p = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap();
    (p(later) - p(earlier)).num_microseconds().unwrap() as f64 / 1e6
}

async fn flow(app: &TestApp, name: &str) -> Value {
    let r = app.post("/flows/", json!({ "name": name })).await;
    assert!(r.status == 201 || r.status == 200, "{}", r.text);
    r.json()
}

async fn flow_run(app: &TestApp, body: Value) -> Value {
    let r = app.post("/flow_runs/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

async fn set_state(app: &TestApp, kind: &str, id: &str, state: Value) -> Value {
    let r = app.post(&format!("/{kind}/{id}/set_state"), json!({ "state": state })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn creating_a_flow_twice_answers_201_then_200_with_the_existing_flow() {
    let app = spawn_app().await;
    let r1 = app.post("/flows/", json!({"name": "f1"})).await;
    assert_eq!(r1.status, 201);
    let f1 = r1.json();
    assert_fields(&f1, &FLOW_FIELDS);
    assert_eq!((f1["tags"].clone(), f1["labels"].clone()), (json!([]), json!({})));
    // The reference returns the stored flow unchanged: the new tags are ignored.
    let r2 = app.post("/flows/", json!({"name": "f1", "tags": ["x"]})).await;
    assert_eq!(r2.status, 200);
    assert_eq!(r2.json(), f1);
    let g = app.get(&format!("/flows/{}", s(&f1, "id"))).await;
    assert_eq!((g.status, g.json()), (200, f1));
    let nf = app.get(&format!("/flows/{ZERO}")).await;
    assert_eq!((nf.status, nf.text.as_str()), (404, r#"{"detail":"Flow not found"}"#));
}

#[tokio::test]
async fn flow_create_validation_matches_the_reference() {
    let app = spawn_app().await;
    let r = app.post("/flows/", json!({"name": "a/b", "tags": "x", "zz": 1})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"string_pattern_mismatch","loc":["body","name"],"msg":"String should match pattern '^[^/%&><]+$'","input":"a/b","ctx":{"pattern":"^[^/%&><]+$"}},{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":"x"},{"type":"extra_forbidden","loc":["body","zz"],"msg":"Extra inputs are not permitted","input":1}],"request_body":{"name":"a/b","tags":"x","zz":1}}"#
    );
    let r = app.post("/flows/", json!({})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","name"],"msg":"Field required","input":{}}],"request_body":{}}"#
    );
    let r = app.post("/flows/", json!({"name": "ok", "labels": {"a": [1]}})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"bool_type","loc":["body","labels","a","bool"],"msg":"Input should be a valid boolean","input":[1]},{"type":"int_type","loc":["body","labels","a","int"],"msg":"Input should be a valid integer","input":[1]},{"type":"float_type","loc":["body","labels","a","float"],"msg":"Input should be a valid number","input":[1]},{"type":"string_type","loc":["body","labels","a","str"],"msg":"Input should be a valid string","input":[1]}],"request_body":{"name":"ok","labels":{"a":[1]}}}"#
    );
    let r = app.send("POST", "/flows/", None).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}],"request_body":null}"#
    );
}

#[tokio::test]
async fn a_flow_run_goes_pending_running_completed_with_the_reference_bookkeeping() {
    let app = spawn_app().await;
    let f = flow(&app, "lifecycle").await;
    let fr = flow_run(&app, json!({"flow_id": f["id"]})).await;
    assert_fields(&fr, &FLOW_RUN_FIELDS);
    assert_fields(&fr["state"], &STATE_FIELDS);
    assert_fields(&fr["state"]["state_details"], &STATE_DETAIL_FIELDS);
    let id = s(&fr, "id").to_string();
    // Created PENDING; the expected start time is the first state's time.
    assert_eq!((s(&fr, "state_type"), s(&fr, "state_name"), fr["run_count"].clone()), ("PENDING", "Pending", json!(0)));
    assert_eq!(fr["expected_start_time"], fr["state"]["timestamp"]);
    assert_eq!(fr["state_id"], fr["state"]["id"]);
    assert_eq!(fr["state"]["state_details"]["flow_run_id"], json!(id));
    assert_eq!(fr["labels"], json!({"prefect.flow.id": f["id"]}));
    assert_eq!(fr["job_variables"], json!({}));
    assert_eq!(fr["total_run_time"].to_string(), "0.0");
    assert_eq!(
        fr["empirical_policy"],
        json!({"max_retries":0,"retry_delay_seconds":0.0,"retries":null,"retry_delay":null,"pause_keys":[],"resuming":false,"retry_type":null})
    );
    // A generated name is an adjective-animal slug.
    assert_eq!(s(&fr, "name").split('-').count(), 2, "{}", fr["name"]);
    // State ids are UUID version 7.
    assert_eq!(&s(&fr, "state_id")[14..15], "7");

    let running = set_state(&app, "flow_runs", &id, json!({"type": "RUNNING"})).await;
    assert_eq!(keys(&running), ["state", "status", "details"]);
    assert_eq!((running["status"].clone(), running["details"].clone()), (json!("ACCEPT"), json!({"type": "accept_details"})));
    assert_eq!((s(&running["state"], "type"), s(&running["state"], "name")), ("RUNNING", "Running"));
    let g = app.get(&format!("/flow_runs/{id}")).await.json();
    assert_eq!(g["run_count"], json!(1));
    assert_eq!(g["start_time"], running["state"]["timestamp"]);
    assert_eq!(g["end_time"], Value::Null);
    assert_eq!(g["state"], running["state"]);
    assert!(g["estimated_run_time"].as_f64().unwrap() >= 0.0);

    let done = set_state(&app, "flow_runs", &id, json!({"type": "COMPLETED", "message": "ok"})).await;
    let g = app.get(&format!("/flow_runs/{id}")).await.json();
    assert_eq!((s(&g, "state_type"), g["run_count"].clone()), ("COMPLETED", json!(1)));
    assert_eq!(g["end_time"], done["state"]["timestamp"]);
    assert_eq!(done["state"]["message"], "ok");
    let expected = secs(s(&g, "end_time"), s(&g, "start_time"));
    assert!((g["total_run_time"].as_f64().unwrap() - expected).abs() < 1e-9, "{g}");
    assert_eq!(g["estimated_run_time"], g["total_run_time"]);
    let delta = secs(s(&g, "start_time"), s(&g, "expected_start_time"));
    assert!((g["estimated_start_time_delta"].as_f64().unwrap() - delta).abs() < 1e-9);
    // The run's `updated` is stamped to the millisecond, as the reference's SQL now().
    // A whole second has no fraction at all (Python's isoformat drops it).
    let updated = s(&g, "updated");
    let whole_second = updated.len() == "2026-01-01T00:00:00Z".len();
    assert!(updated.ends_with("000Z") || whole_second, "{updated}");
}

#[tokio::test]
async fn flow_run_idempotency_key_returns_the_existing_run_with_200() {
    let app = spawn_app().await;
    let f = flow(&app, "idem").await;
    let body = json!({"flow_id": f["id"], "name": "myrun", "idempotency_key": "k1", "tags": ["a"], "parameters": {"x": 1}});
    let first = flow_run(&app, body).await;
    // Through the reference's upsert, job variables are null.
    assert_eq!(first["job_variables"], Value::Null);
    let again = app.post("/flow_runs/", json!({"flow_id": f["id"], "name": "other", "idempotency_key": "k1"})).await;
    assert_eq!(again.status, 200);
    let again = again.json();
    assert_eq!((again["id"].clone(), s(&again, "name")), (first["id"].clone(), "myrun"));
    assert_eq!(again["parameters"], json!({"x": 1}));
}

#[tokio::test]
async fn flow_run_errors_match_the_reference() {
    let app = spawn_app().await;
    let r = app.get(&format!("/flow_runs/{ZERO}")).await;
    assert_eq!((r.status, r.text.as_str()), (404, r#"{"detail":"Flow run not found"}"#));
    let r = app.post(&format!("/flow_runs/{ZERO}/set_state"), json!({"state": {"type": "RUNNING"}})).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (404, r#"{"exception_message":"Flow run with id 00000000-0000-0000-0000-000000000000 not found"}"#)
    );
    let r = app.post("/flow_runs/", json!({"flow_id": ZERO})).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (409, r#"{"detail":"Data integrity conflict. This usually means a unique or foreign key constraint was violated. See server logs for details."}"#)
    );
    let r = app
        .post("/flow_runs/", json!({"flow_id": "nope", "state": {"type": "NOPE"}, "tags": [1], "parameters": [], "empirical_policy": {"retries": "x", "zz": 1}}))
        .await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"enum","loc":["body","state","type"],"msg":"Input should be 'SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED', 'PAUSED' or 'CANCELLING'","input":"NOPE","ctx":{"expected":"'SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED', 'PAUSED' or 'CANCELLING'"}},{"type":"uuid_parsing","loc":["body","flow_id"],"msg":"Input should be a valid UUID, invalid character: found `n` at 0","input":"nope","ctx":{"error":"invalid character: found `n` at 0"}},{"type":"dict_type","loc":["body","parameters"],"msg":"Input should be a valid dictionary","input":[]},{"type":"int_parsing","loc":["body","empirical_policy","retries"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"string_type","loc":["body","tags",0],"msg":"Input should be a valid string","input":1}],"request_body":{"flow_id":"nope","state":{"type":"NOPE"},"tags":[1],"parameters":[],"empirical_policy":{"retries":"x","zz":1}}}"#
    );
    let r = app.post(&format!("/flow_runs/{ZERO}/set_state"), json!({"state": {"type": "RUNNING", "timestamp": "2020-01-01T00:00:00Z"}})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"extra_forbidden","loc":["body","state","timestamp"],"msg":"Extra inputs are not permitted","input":"2020-01-01T00:00:00Z"}],"request_body":{"state":{"type":"RUNNING","timestamp":"2020-01-01T00:00:00Z"}}}"#
    );
    let r = app.post(&format!("/flow_runs/{ZERO}/set_state"), json!({"state": {"type": "bad"}, "force": "x"})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"enum","loc":["body","state","type"],"msg":"Input should be 'SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED', 'PAUSED' or 'CANCELLING'","input":"bad","ctx":{"expected":"'SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED', 'PAUSED' or 'CANCELLING'"}},{"type":"bool_parsing","loc":["body","force"],"msg":"Input should be a valid boolean, unable to interpret input","input":"x"}],"request_body":{"state":{"type":"bad"},"force":"x"}}"#
    );
    let r = app.post(&format!("/flow_runs/{ZERO}/set_state"), json!({})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","state"],"msg":"Field required","input":null}],"request_body":{}}"#
    );
}

#[tokio::test]
async fn a_task_run_is_idempotent_by_key_and_records_its_states() {
    let app = spawn_app().await;
    let f = flow(&app, "tasks").await;
    let fr = flow_run(&app, json!({"flow_id": f["id"]})).await;
    let fr_id = s(&fr, "id").to_string();
    set_state(&app, "flow_runs", &fr_id, json!({"type": "RUNNING"})).await;
    let body = json!({"flow_run_id": fr_id, "task_key": "t-abc", "dynamic_key": "0", "name": "t-0"});
    let r = app.post("/task_runs/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let tr = r.json();
    assert_fields(&tr, &TASK_RUN_FIELDS);
    let id = s(&tr, "id").to_string();
    assert_eq!(tr["labels"], json!({"prefect.flow.id": f["id"], "prefect.flow-run.id": fr_id}));
    assert_eq!(tr["state"]["state_details"]["task_run_id"], json!(id));
    assert_eq!(tr["state"]["state_details"]["flow_run_id"], json!(fr_id));
    assert_eq!(
        tr["empirical_policy"],
        json!({"max_retries":0,"retry_delay_seconds":0.0,"retries":null,"retry_delay":null,"retry_jitter_factor":null})
    );
    let again = app.post("/task_runs/", json!({"flow_run_id": fr_id, "task_key": "t-abc", "dynamic_key": "0", "name": "x"})).await;
    assert_eq!(again.status, 200);
    assert_eq!((again.json()["id"].clone(), s(&again.json(), "name").to_string()), (json!(id), "t-0".to_string()));

    let running = set_state(&app, "task_runs", &id, json!({"type": "RUNNING"})).await;
    let done = set_state(&app, "task_runs", &id, json!({"type": "COMPLETED"})).await;
    let g = app.get(&format!("/task_runs/{id}")).await.json();
    assert_eq!((g["run_count"].clone(), g["flow_run_run_count"].clone()), (json!(1), json!(1)));
    assert_eq!(g["start_time"], running["state"]["timestamp"]);
    assert_eq!(g["end_time"], done["state"]["timestamp"]);
    let expected = secs(s(&g, "end_time"), s(&g, "start_time"));
    assert!((g["total_run_time"].as_f64().unwrap() - expected).abs() < 1e-9);

    let r = app.get(&format!("/task_runs/{ZERO}")).await;
    assert_eq!((r.status, r.text.as_str()), (404, r#"{"detail":"Task not found"}"#));
    let r = app.post(&format!("/task_runs/{ZERO}/set_state"), json!({"state": {"type": "RUNNING"}})).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (404, r#"{"exception_message":"Task run with id 00000000-0000-0000-0000-000000000000 not found"}"#)
    );
    let r = app.post("/task_runs/", json!({})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","task_key"],"msg":"Field required","input":{}},{"type":"missing","loc":["body","dynamic_key"],"msg":"Field required","input":{}}],"request_body":{}}"#
    );
    let r = app.post("/task_runs/", json!({"task_key": "k", "dynamic_key": "0", "flow_run_id": ZERO})).await;
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn a_subflow_run_moves_its_parent_task_run_to_the_same_state() {
    let app = spawn_app().await;
    let f = flow(&app, "parent").await;
    let parent = flow_run(&app, json!({"flow_id": f["id"]})).await;
    let tr = app
        .post("/task_runs/", json!({"flow_run_id": parent["id"], "task_key": "child-abc", "dynamic_key": "0"}))
        .await
        .json();
    let child = flow_run(&app, json!({"flow_id": f["id"], "parent_task_run_id": tr["id"]})).await;
    // The subflow's states point at the wrapper task run.
    assert_eq!(child["state"]["state_details"]["task_run_id"], tr["id"]);
    set_state(&app, "flow_runs", s(&child, "id"), json!({"type": "RUNNING"})).await;
    let t = app.get(&format!("/task_runs/{}", s(&tr, "id"))).await.json();
    assert_eq!(s(&t, "state_type"), "RUNNING");
    assert_eq!(t["state"]["state_details"]["child_flow_run_id"], child["id"]);
    assert_eq!(t["state"]["state_details"]["task_run_id"], tr["id"]);
    // The parent task's state is forced, so the core rule that copies the
    // flow run's run count does not run (the reference leaves it at 0).
    assert_eq!((t["run_count"].clone(), t["flow_run_run_count"].clone()), (json!(1), json!(0)));
}

#[tokio::test]
async fn deployments_are_created_then_updated_by_flow_and_name() {
    let app = spawn_app().await;
    let f = flow(&app, "deployed").await;
    let r = app.post("/deployments/", json!({"name": "dep1", "flow_id": f["id"]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let d = r.json();
    assert_fields(&d, &DEPLOYMENT_FIELDS);
    assert_eq!(d["labels"], json!({"prefect.flow.id": f["id"]}));
    assert_eq!((d["status"].clone(), d["enforce_parameter_schema"].clone()), (json!("NOT_READY"), json!(true)));
    let r = app.post("/deployments/", json!({"name": "dep1", "flow_id": f["id"], "tags": ["t"], "description": "desc"})).await;
    assert_eq!(r.status, 200);
    let d2 = r.json();
    assert_eq!((d2["id"].clone(), d2["created"].clone()), (d["id"].clone(), d["created"].clone()));
    assert_eq!((d2["tags"].clone(), d2["description"].clone()), (json!(["t"]), json!("desc")));
    let g = app.get(&format!("/deployments/{}", s(&d, "id"))).await;
    assert_eq!((g.status, g.json()), (200, d2.clone()));
    let nf = app.get(&format!("/deployments/{ZERO}")).await;
    assert_eq!((nf.status, nf.text.as_str()), (404, r#"{"detail":"Deployment not found"}"#));
    let r = app.post("/deployments/", json!({"name": "x", "flow_id": ZERO})).await;
    assert_eq!(r.status, 409);
    // The reference echoes the body with `parameters` added by a validator.
    let r = app.post("/deployments/", json!({"name": "x", "flow_id": ZERO, "zz": 1, "paused": "x", "concurrency_limit": 0})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"bool_parsing","loc":["body","paused"],"msg":"Input should be a valid boolean, unable to interpret input","input":"x"},{"type":"greater_than","loc":["body","concurrency_limit"],"msg":"Input should be greater than 0","input":0,"ctx":{"gt":0}},{"type":"extra_forbidden","loc":["body","zz"],"msg":"Extra inputs are not permitted","input":1}],"request_body":{"name":"x","flow_id":"00000000-0000-0000-0000-000000000000","zz":1,"paused":"x","concurrency_limit":0,"parameters":{}}}"#
    );
    let list = app.post("/deployments/filter", json!({})).await;
    assert_eq!((list.status, list.json()), (200, json!([d2])));
    let n = app.post("/deployments/count", json!({})).await;
    assert_eq!((n.status, n.text.as_str()), (200, "1"));
}

#[tokio::test]
async fn logs_round_trip_in_timestamp_order() {
    let app = spawn_app().await;
    let fr = "94d469a6-28f1-414d-aa73-dce9e825c52c";
    let r = app
        .post(
            "/logs/",
            json!([
                {"name": "x", "level": 40, "message": "later", "timestamp": "2026-01-01T00:00:01Z", "flow_run_id": fr},
                {"name": "x", "level": 20, "message": "hello", "timestamp": "2026-01-01T00:00:00Z"}
            ]),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (201, "null"));
    let all = app.post("/logs/filter", json!({})).await;
    assert_eq!(all.status, 200);
    let all = all.json();
    let rows = all.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(keys(&rows[0]), ["id", "created", "updated", "name", "level", "message", "timestamp", "flow_run_id", "task_run_id"]);
    assert_eq!((rows[0]["message"].clone(), rows[0]["timestamp"].clone()), (json!("hello"), json!("2026-01-01T00:00:00Z")));
    assert_eq!(rows[1]["flow_run_id"], json!(fr));
    let desc = app.post("/logs/filter", json!({"sort": "TIMESTAMP_DESC", "limit": 1})).await.json();
    assert_eq!(desc[0]["message"], "later");
    let high = app.post("/logs/filter", json!({"logs": {"level": {"ge_": 30}}})).await.json();
    assert_eq!(high.as_array().unwrap().len(), 1);
    let by_run = app.post("/logs/filter", json!({"logs": {"flow_run_id": {"any_": [fr]}}})).await.json();
    assert_eq!(by_run[0]["message"], "later");
    let text = app.post("/logs/filter", json!({"logs": {"text": {"query": "hel -later"}}})).await.json();
    assert_eq!(text.as_array().unwrap().len(), 1);

    let r = app.post("/logs/", json!({})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"is_instance_of","loc":["body"],"msg":"Input should be an instance of Sequence","input":{},"ctx":{"class":"Sequence"}}],"request_body":{}}"#
    );
    let r = app.post("/logs/", json!([{}])).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body",0,"name"],"msg":"Field required","input":{}},{"type":"missing","loc":["body",0,"level"],"msg":"Field required","input":{}},{"type":"missing","loc":["body",0,"message"],"msg":"Field required","input":{}},{"type":"missing","loc":["body",0,"timestamp"],"msg":"Field required","input":{}}],"request_body":[{}]}"#
    );
    let r = app.post("/logs/filter", json!({"sort": "X", "logs": {"level": {"ge_": "x"}}})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"int_parsing","loc":["body","logs","level","ge_"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"enum","loc":["body","sort"],"msg":"Input should be 'TIMESTAMP_ASC' or 'TIMESTAMP_DESC'","input":"X","ctx":{"expected":"'TIMESTAMP_ASC' or 'TIMESTAMP_DESC'"}}],"request_body":{"sort":"X","logs":{"level":{"ge_":"x"}}}}"#
    );
}

#[tokio::test]
async fn filters_sort_page_and_count_each_resource() {
    let app = spawn_app().await;
    let b = flow(&app, "b-flow").await;
    let a = flow(&app, "a-flow").await;
    // Flows sort by name ascending by default.
    let names: Vec<Value> = app.post("/flows/filter", json!({})).await.json().as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, [json!("a-flow"), json!("b-flow")]);
    let names: Vec<Value> = app.post("/flows/filter", json!({"sort": "NAME_DESC", "limit": 1})).await.json().as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, [json!("b-flow")]);
    let r = app.post("/flows/count", json!({})).await;
    assert_eq!((r.status, r.text.as_str()), (200, "2"));

    let r1 = flow_run(&app, json!({"flow_id": a["id"], "name": "r1"})).await;
    let r2 = flow_run(&app, json!({"flow_id": b["id"], "name": "r2"})).await;
    // Flow runs sort by id descending by default.
    let ids: Vec<Value> = app.post("/flow_runs/filter", json!({})).await.json().as_array().unwrap().iter().map(|f| f["id"].clone()).collect();
    let mut expected = vec![r1["id"].clone(), r2["id"].clone()];
    expected.sort_by(|x, y| y.as_str().cmp(&x.as_str()));
    assert_eq!(ids, expected);
    let page: Vec<Value> = app.post("/flow_runs/filter", json!({"sort": "NAME_ASC", "offset": 1})).await.json().as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(page, [json!("r2")]);
    // The reference requires a matching work pool, and there are none.
    let r = app.post("/flow_runs/filter", json!({"work_pools": {}})).await;
    assert_eq!((r.status, r.text.as_str()), (200, "[]"));
    let r = app.post("/flow_runs/count", json!({"work_pools": {}})).await;
    assert_eq!((r.status, r.text.as_str()), (200, "0"));
    let r = app.post("/flow_runs/count", json!({})).await;
    assert_eq!(r.text, "2");

    app.post("/task_runs/", json!({"flow_run_id": r1["id"], "task_key": "k", "dynamic_key": "0", "name": "tb"})).await;
    app.post("/task_runs/", json!({"flow_run_id": r1["id"], "task_key": "k", "dynamic_key": "1", "name": "ta"})).await;
    let names: Vec<Value> = app.post("/task_runs/filter", json!({"sort": "NAME_ASC"})).await.json().as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, [json!("ta"), json!("tb")]);
    let r = app.post("/task_runs/count", json!({})).await;
    assert_eq!(r.text, "2");
}

#[tokio::test]
async fn filter_bodies_are_validated_in_the_reference_order() {
    let app = spawn_app().await;
    let r = app.post("/flows/filter", json!({"sort": "X", "offset": -1, "limit": "x", "flows": 1})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"int_parsing","loc":["body","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"greater_than_equal","loc":["body","offset"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}},{"type":"model_attributes_type","loc":["body","flows"],"msg":"Input should be a valid dictionary or object to extract fields from","input":1},{"type":"enum","loc":["body","sort"],"msg":"Input should be 'CREATED_DESC', 'UPDATED_DESC', 'NAME_ASC' or 'NAME_DESC'","input":"X","ctx":{"expected":"'CREATED_DESC', 'UPDATED_DESC', 'NAME_ASC' or 'NAME_DESC'"}}],"request_body":{"sort":"X","offset":-1,"limit":"x","flows":1}}"#
    );
    let r = app.post("/flow_runs/filter", json!({"sort": "X", "offset": -1, "limit": "x", "work_pools": {"zz": 1}})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"int_parsing","loc":["body","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},{"type":"enum","loc":["body","sort"],"msg":"Input should be 'ID_DESC', 'START_TIME_ASC', 'START_TIME_DESC', 'EXPECTED_START_TIME_ASC', 'EXPECTED_START_TIME_DESC', 'NAME_ASC', 'NAME_DESC', 'NEXT_SCHEDULED_START_TIME_ASC' or 'END_TIME_DESC'","input":"X","ctx":{"expected":"'ID_DESC', 'START_TIME_ASC', 'START_TIME_DESC', 'EXPECTED_START_TIME_ASC', 'EXPECTED_START_TIME_DESC', 'NAME_ASC', 'NAME_DESC', 'NEXT_SCHEDULED_START_TIME_ASC' or 'END_TIME_DESC'"}},{"type":"greater_than_equal","loc":["body","offset"],"msg":"Input should be greater than or equal to 0","input":-1,"ctx":{"ge":0}},{"type":"extra_forbidden","loc":["body","work_pools","zz"],"msg":"Extra inputs are not permitted","input":1}],"request_body":{"sort":"X","offset":-1,"limit":"x","work_pools":{"zz":1}}}"#
    );
    let r = app.post("/task_runs/filter", json!([])).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","limit"],"msg":"Field required","input":null},{"type":"missing","loc":["body","sort"],"msg":"Field required","input":null},{"type":"missing","loc":["body","offset"],"msg":"Field required","input":null},{"type":"missing","loc":["body","flows"],"msg":"Field required","input":null},{"type":"missing","loc":["body","flow_runs"],"msg":"Field required","input":null},{"type":"missing","loc":["body","task_runs"],"msg":"Field required","input":null},{"type":"missing","loc":["body","deployments"],"msg":"Field required","input":null}],"request_body":[]}"#
    );
    let r = app.post("/deployments/count", json!([])).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","flows"],"msg":"Field required","input":null},{"type":"missing","loc":["body","flow_runs"],"msg":"Field required","input":null},{"type":"missing","loc":["body","task_runs"],"msg":"Field required","input":null},{"type":"missing","loc":["body","deployments"],"msg":"Field required","input":null},{"type":"missing","loc":["body","work_pools"],"msg":"Field required","input":null},{"type":"missing","loc":["body","work_pool_queues"],"msg":"Field required","input":null}],"request_body":[]}"#
    );
    let r = app.post("/flows/filter", json!({"limit": 201})).await;
    assert_eq!((r.status, r.text.as_str()), (422, r#"{"detail":"Invalid limit: must be less than or equal to 200."}"#));
    let r = app.get("/flows/filter").await;
    assert_eq!((r.status, r.text.as_str()), (405, r#"{"detail":"Method Not Allowed"}"#));
}

#[tokio::test]
async fn service_endpoints_the_sdk_calls_answer_as_the_reference() {
    let app = spawn_app().await;
    let r = app.get("/admin/storage").await;
    assert_eq!((r.status, r.text.as_str()), (200, r#"{"default_result_storage_block_id":null}"#));
    let r = app.get("/csrf-token?client=abc").await;
    assert_eq!((r.status, r.text.as_str()), (422, r#"{"detail":"CSRF protection is disabled."}"#));
    let r = app.get("/csrf-token").await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (422, r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["query","client"],"msg":"Field required","input":null}],"request_body":null}"#)
    );
    let r = app.post("/v2/concurrency_limits/increment-with-lease", json!({"names": ["a"], "slots": 1, "mode": "concurrency"})).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(keys(&v), ["lease_id", "limits"]);
    assert_eq!(v["limits"], json!([]));
    let r = app.post("/v2/concurrency_limits/increment-with-lease", json!({})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"missing","loc":["body","slots"],"msg":"Field required","input":null},{"type":"missing","loc":["body","names"],"msg":"Field required","input":null}],"request_body":{}}"#
    );
    let r = app.post("/v2/concurrency_limits/increment-with-lease", json!({"names": [], "slots": 1, "lease_duration": 5})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"too_short","loc":["body","names"],"msg":"List should have at least 1 item after validation, not 0","input":[],"ctx":{"field_type":"List","min_length":1,"actual_length":0}},{"type":"greater_than_equal","loc":["body","lease_duration"],"msg":"Input should be greater than or equal to 60","input":5,"ctx":{"ge":60.0}}],"request_body":{"names":[],"slots":1,"lease_duration":5}}"#
    );
}

#[tokio::test]
async fn flows_path_without_slash_redirects_like_starlette() {
    let app = spawn_app().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.post(format!("{}/flows", app.base)).json(&json!({"name": "zz"})).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert!(r.headers()["location"].to_str().unwrap().ends_with("/api/flows/"));
}

#[tokio::test]
async fn task_runs_recorded_from_events_only_move_forward_in_time() {
    let app = spawn_app().await;
    let doc = |ts: &str, state: &str| {
        json!({"id": "6f1a1d3e-0000-4000-8000-000000000001", "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
               "name": "t", "flow_run_id": null, "task_key": "k", "dynamic_key": "0", "state_type": state, "state_name": state,
               "run_count": 0, "total_run_time": 0.0, "estimated_run_time": 0.0, "estimated_start_time_delta": 0.0, "tags": [],
               "state": {"type": state, "timestamp": ts}})
    };
    let put = |v: Value| {
        let db = app.db.clone();
        async move {
            let m = v.as_object().unwrap().clone();
            tokio::task::spawn_blocking(move || {
                db.write(move |tx, _| -> Result<(), anyhow::Error> {
                    artifactd::db::runs::record_task_run_from_event(tx, &m)?;
                    Ok(())
                })
            })
            .await
            .unwrap()
            .unwrap();
        }
    };
    put(doc("2026-01-01T00:00:02Z", "RUNNING")).await;
    put(doc("2026-01-01T00:00:01Z", "PENDING")).await;
    let g = app.get("/task_runs/6f1a1d3e-0000-4000-8000-000000000001").await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["state_type"], "RUNNING");
    put(doc("2026-01-01T00:00:03Z", "COMPLETED")).await;
    assert_eq!(app.get("/task_runs/6f1a1d3e-0000-4000-8000-000000000001").await.json()["state_type"], "COMPLETED");
}

/// A state carrying data (a persisted result or exception) becomes an
/// artifact, with `artifact_*` entries taken out of the data, as the
/// reference's orchestration does (checked against Prefect 3.9.1).
#[tokio::test]
async fn state_data_becomes_a_result_artifact_like_the_reference() {
    let app = spawn_app().await;
    let f = flow(&app, "resart-flow").await;
    let fr = flow_run(&app, json!({"flow_id": f["id"], "name": "resart-run"})).await;
    let id = s(&fr, "id").to_string();
    let data = json!({"storage_key": "/x/y", "expiration": null, "serializer": {"type": "pickle"},
        "artifact_key": "res-key", "artifact_type": "result", "artifact_description": ""});
    let res = set_state(&app, "flow_runs", &id, json!({"type": "COMPLETED", "name": "Completed", "data": data})).await;
    let stripped = json!({"storage_key": "/x/y", "expiration": null, "serializer": {"type": "pickle"}});
    assert_eq!(res["state"]["data"], stripped);
    let arts = app.rows(json!({"artifacts": {"flow_run_id": {"any_": [id]}}})).await;
    assert_eq!(arts.len(), 1);
    assert_eq!(arts[0]["key"], "res-key");
    assert_eq!(arts[0]["type"], "result");
    assert_eq!(arts[0]["description"], Value::Null);
    assert_eq!(arts[0]["data"], stripped);
    assert_eq!(app.latest("res-key").await.status, 200);

    let tr = app.post("/task_runs/", json!({"flow_run_id": id, "task_key": "t", "dynamic_key": "0", "name": "tr"})).await.json();
    let tid = s(&tr, "id").to_string();
    set_state(&app, "task_runs", &tid, json!({"type": "FAILED", "name": "Failed", "data": {"type": "unpersisted"}})).await;
    set_state(&app, "task_runs", &tid, json!({"type": "COMPLETED", "name": "Completed", "data": [1, 2]})).await;
    let arts = app.rows(json!({"artifacts": {"task_run_id": {"any_": [tid]}}})).await;
    assert_eq!(arts.len(), 1, "unpersisted data makes no artifact");
    assert_eq!(arts[0]["data"], json!([1, 2]));
    assert_eq!(arts[0]["flow_run_id"], json!(id));
}
