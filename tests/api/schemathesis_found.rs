//! Regressions found by the schemathesis run (tests/e2e/test_schemathesis.py),
//! each answer checked against Prefect 3.9.1 sending the same request.

use crate::helpers::{spawn_app, TestApp};

const ZERO: &str = "00000000-0000-0000-0000-000000000000";

async fn with_version(app: &TestApp, method: &str, path: &str, version: &str, body: Option<&str>) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = app.client.request(m, format!("{}{}", app.base, path)).header("x-prefect-api-version", version);
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("answered");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// The reference refuses a malformed or too old `X-Prefect-Api-Version` on
/// every route but `/health`, after decoding the body and before validating it.
#[tokio::test]
async fn api_version_header_is_checked_as_the_reference_does() {
    let app = spawn_app().await;
    let bad = r#"{"detail":"Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received X7"}"#;
    let cases: Vec<(&str, String, Option<&str>)> = vec![
        ("GET", "/admin/version".into(), None),
        ("GET", "/admin/storage".into(), None),
        ("GET", "/csrf-token".into(), None),
        ("GET", format!("/artifacts/{ZERO}"), None),
        ("DELETE", format!("/artifacts/{ZERO}"), None),
        ("GET", "/artifacts/k/latest".into(), None),
        ("GET", format!("/flow_runs/{ZERO}"), None),
        ("POST", "/artifacts/filter".into(), Some(r#"{"limit": "x"}"#)),
        ("POST", "/artifacts/count".into(), Some("{}")),
        ("POST", "/artifacts/".into(), Some(r#"{"key": "NOT VALID"}"#)),
        ("PATCH", format!("/artifacts/{ZERO}"), Some("{}")),
        ("POST", "/flows/".into(), Some("{}")),
        ("POST", format!("/flow_runs/{ZERO}/set_state"), Some(r#"{"state": {"type": "RUNNING"}}"#)),
        ("POST", "/logs/".into(), Some("[]")),
        ("POST", "/v2/concurrency_limits/increment-with-lease".into(), Some("{}")),
    ];
    for (method, path, body) in &cases {
        let (status, text) = with_version(&app, method, path, "X7", *body).await;
        assert_eq!((status, text.as_str()), (400, bad), "{method} {path}");
    }
    let (status, text) = with_version(&app, "GET", "/admin/version", "0.7.9", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        text,
        r#"{"detail":"The request specified API version 0.7.9 but this server requires version 0.8.0 or higher."}"#
    );
    // Health is not behind the check; a body that is not JSON fails first.
    assert_eq!(with_version(&app, "GET", "/health", "X7", None).await, (200, "true".into()));
    let (status, text) = with_version(&app, "POST", "/artifacts/filter", "X7", Some("{bad")).await;
    assert_eq!(status, 422, "{text}");
    // Python's int() accepts these spellings.
    for ok in ["0.8.0", "3.9.1", "+1.0.2", "1_0.0.0", "0.08.0", "1. 2 .3"] {
        let (status, text) = with_version(&app, "GET", "/admin/version", ok, None).await;
        assert_eq!(status, 200, "{ok}: {text}");
    }
    for refused in ["1.2", "1.2.3.4", "1..2", "a.b.c", "1__0.0.0", "0.7.99999999999999999999999999999999"] {
        let (status, _) = with_version(&app, "GET", "/admin/version", refused, None).await;
        assert_eq!(status, 400, "{refused}");
    }
}

/// `LogFilterTextSearch.query` is a required `str`: null is refused.
#[tokio::test]
async fn log_text_query_null_is_a_string_type_error() {
    let app = spawn_app().await;
    let r = app.post("/logs/filter", serde_json::json!({"logs": {"text": {"query": null}}})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"string_type","loc":["body","logs","text","query"],"msg":"Input should be a valid string","input":null}],"request_body":{"logs":{"text":{"query":null}}}}"#
    );
    let r = app.post("/logs/filter", serde_json::json!({"logs": {"text": {"query": "x"}}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// The lease `holder` is a `ConcurrencyLeaseHolder` or null; the reference
/// validates it even though no limit exists.
#[tokio::test]
async fn lease_holder_is_validated() {
    let app = spawn_app().await;
    let path = "/v2/concurrency_limits/increment-with-lease";
    let r = app.post(path, serde_json::json!({"names": ["a"], "slots": 1, "holder": false})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"model_attributes_type","loc":["body","holder"],"msg":"Input should be a valid dictionary or object to extract fields from","input":false}],"request_body":{"names":["a"],"slots":1,"holder":false}}"#
    );
    let r = app.post(path, serde_json::json!({"names": ["a"], "slots": 1, "holder": {"type": "x", "id": "zz", "extra": 1}})).await;
    assert_eq!(
        r.text,
        r#"{"exception_message":"Invalid request received.","exception_detail":[{"type":"literal_error","loc":["body","holder","type"],"msg":"Input should be 'flow_run', 'task_run' or 'deployment'","input":"x","ctx":{"expected":"'flow_run', 'task_run' or 'deployment'"}},{"type":"uuid_parsing","loc":["body","holder","id"],"msg":"Input should be a valid UUID, invalid character: found `z` at 0","input":"zz","ctx":{"error":"invalid character: found `z` at 0"}},{"type":"extra_forbidden","loc":["body","holder","extra"],"msg":"Extra inputs are not permitted","input":1}],"request_body":{"names":["a"],"slots":1,"holder":{"type":"x","id":"zz","extra":1}}}"#
    );
    let r = app.post(path, serde_json::json!({"names": ["a"], "slots": 1, "holder": {}})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["exception_detail"].as_array().map(Vec::len), Some(2), "{}", r.text);
    let ok = serde_json::json!({"names": ["a"], "slots": 1, "holder": {"type": "task_run", "id": ZERO}});
    let r = app.post(path, ok).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A 405 says which methods the path takes, as Starlette's does.
#[tokio::test]
async fn method_not_allowed_has_an_allow_header() {
    let app = spawn_app().await;
    let cases = [
        ("TRACE", format!("/artifacts/{ZERO}"), "GET, PATCH, DELETE"),
        ("PUT", "/artifacts/filter".to_string(), "POST"),
        ("DELETE", "/health".to_string(), "GET"),
        ("PUT", format!("/flow_runs/{ZERO}"), "GET, PATCH, DELETE"),
        ("GET", format!("/task_runs/{ZERO}/set_state"), "POST"),
        ("POST", "/openapi.json".to_string(), "GET"),
    ];
    for (method, path, allow) in cases {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let resp = app.client.request(m, format!("{}{}", app.base, path)).send().await.expect("answered");
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        let got = resp.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(got.as_deref(), Some(allow), "{method} {path}");
    }
}

/// A task input without `input_type` takes the member's default literal,
/// and pydantic's smart union picks among the members that fit.
#[tokio::test]
async fn task_inputs_without_input_type_are_accepted_as_the_reference() {
    let app = spawn_app().await;
    let one = "00000000-0000-0000-0000-000000000001";
    let body = serde_json::json!({
        "task_key": "k", "dynamic_key": "d1",
        "task_inputs": {"a": [
            {"id": one},
            {"name": "p", "x": 1},
            {"type": "c"},
            {"id": one, "input_type": "flow_run"},
            {"id": "00000000000000000000000000000002", "name": "n"},
        ]}
    });
    let r = app.post("/task_runs/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // As Prefect 3.9.1 answered the same request.
    assert_eq!(
        r.json()["task_inputs"],
        serde_json::json!({"a": [
            {"input_type": "task_run", "id": one},
            {"input_type": "parameter", "name": "p"},
            {"input_type": "constant", "type": "c"},
            {"input_type": "flow_run", "id": one},
            {"input_type": "parameter", "name": "n"},
        ]})
    );
    let r = app.post("/task_runs/", serde_json::json!({"task_key": "k", "dynamic_key": "d2", "task_inputs": {"a": [{"x": 1}]}})).await;
    assert_eq!(r.status, 422, "{}", r.text);
}

/// `pull_steps` is a list of dicts: other items are refused, each at its index.
#[tokio::test]
async fn deployment_pull_steps_must_be_dicts() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", serde_json::json!({"name": "f"})).await.json();
    let body = serde_json::json!({"flow_id": flow["id"], "name": "d", "pull_steps": [[null, null], 5, {"a": 1}]});
    let r = app.post("/deployments/", body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["exception_detail"],
        serde_json::json!([
            {"type": "dict_type", "loc": ["body", "pull_steps", 0], "msg": "Input should be a valid dictionary", "input": [null, null]},
            {"type": "dict_type", "loc": ["body", "pull_steps", 1], "msg": "Input should be a valid dictionary", "input": 5},
        ])
    );
    let body = serde_json::json!({"flow_id": flow["id"], "name": "d", "pull_steps": [{"a": 1}]});
    let r = app.post("/deployments/", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["pull_steps"], serde_json::json!([{"a": 1}]));
}

/// `concurrency_options` is a `ConcurrencyOptions`, validated and answered
/// with both its fields, as Prefect 3.9.1 answered the same requests.
#[tokio::test]
async fn deployment_concurrency_options_are_validated() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", serde_json::json!({"name": "f"})).await.json();
    let create = |name: &str, co: serde_json::Value| serde_json::json!({"flow_id": flow["id"], "name": name, "concurrency_options": co});
    let r = app.post("/deployments/", create("a", serde_json::json!({"collision_strategy": "ENQUEUE", "grace_period_seconds": "60", "extra": 1}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["concurrency_options"], serde_json::json!({"collision_strategy": "ENQUEUE", "grace_period_seconds": 60}));
    let r = app.post("/deployments/", create("b", serde_json::json!({"collision_strategy": "CANCEL_NEW"}))).await;
    assert_eq!(r.json()["concurrency_options"], serde_json::json!({"collision_strategy": "CANCEL_NEW", "grace_period_seconds": null}));
    let refused = [
        (serde_json::json!(5), serde_json::json!([{"type": "model_attributes_type", "loc": ["body", "concurrency_options"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": 5}])),
        (serde_json::json!({}), serde_json::json!([{"type": "missing", "loc": ["body", "concurrency_options", "collision_strategy"], "msg": "Field required", "input": {}}])),
        (
            serde_json::json!({"collision_strategy": "enqueue", "grace_period_seconds": 90000}),
            serde_json::json!([
                {"type": "enum", "loc": ["body", "concurrency_options", "collision_strategy"], "msg": "Input should be 'ENQUEUE' or 'CANCEL_NEW'", "input": "enqueue", "ctx": {"expected": "'ENQUEUE' or 'CANCEL_NEW'"}},
                {"type": "less_than_equal", "loc": ["body", "concurrency_options", "grace_period_seconds"], "msg": "Input should be less than or equal to 86400", "input": 90000, "ctx": {"le": 86400}},
            ]),
        ),
        (
            serde_json::json!({"collision_strategy": "ENQUEUE", "grace_period_seconds": 59}),
            serde_json::json!([{"type": "greater_than_equal", "loc": ["body", "concurrency_options", "grace_period_seconds"], "msg": "Input should be greater than or equal to 60", "input": 59, "ctx": {"ge": 60}}]),
        ),
    ];
    for (co, detail) in refused {
        let r = app.post("/deployments/", create("c", co.clone())).await;
        assert_eq!(r.status, 422, "{co}: {}", r.text);
        assert_eq!(r.json()["exception_detail"], detail, "{co}");
    }
}

/// `state_details.run_input_keyset` is a `dict[str, str]`.
#[tokio::test]
async fn run_input_keyset_must_be_a_dict_of_strings() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", serde_json::json!({"name": "f"})).await.json();
    let run = app.post("/flow_runs/", serde_json::json!({"flow_id": flow["id"]})).await.json();
    let path = format!("/flow_runs/{}/set_state", run["id"].as_str().expect("id"));
    let at = serde_json::json!(["body", "state", "state_details", "run_input_keyset"]);
    let r = app.post(&path, serde_json::json!({"state": {"type": "PENDING", "state_details": {"run_input_keyset": [null, 1]}}})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["exception_detail"], serde_json::json!([{"type": "dict_type", "loc": at, "msg": "Input should be a valid dictionary", "input": [null, 1]}]));
    let r = app.post(&path, serde_json::json!({"state": {"type": "PENDING", "state_details": {"run_input_keyset": {"a": 1}}}})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(r.json()["exception_detail"][0]["loc"], serde_json::json!(["body", "state", "state_details", "run_input_keyset", "a"]));
    let r = app.post(&path, serde_json::json!({"state": {"type": "RUNNING", "state_details": {"run_input_keyset": {"a": "b"}}}})).await;
    // (RUNNING: a second PENDING would be refused by orchestration.)
    assert_eq!(r.status, 201, "{}", r.text);
}

/// `untrackable_result` and `pause_reschedule` are plain booleans: null is
/// refused, while the Optional ones take it.
#[tokio::test]
async fn non_optional_state_detail_booleans_refuse_null() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", serde_json::json!({"name": "f"})).await.json();
    let run = app.post("/flow_runs/", serde_json::json!({"flow_id": flow["id"]})).await.json();
    let path = format!("/flow_runs/{}/set_state", run["id"].as_str().expect("id"));
    for field in ["untrackable_result", "pause_reschedule"] {
        let r = app.post(&path, serde_json::json!({"state": {"type": "PENDING", "state_details": {field: null}}})).await;
        assert_eq!(r.status, 422, "{field}: {}", r.text);
        assert_eq!(
            r.json()["exception_detail"],
            serde_json::json!([{"type": "bool_type", "loc": ["body", "state", "state_details", field], "msg": "Input should be a valid boolean", "input": null}])
        );
    }
    let r = app.post(&path, serde_json::json!({"state": {"type": "RUNNING", "state_details": {"refresh_cache": null}}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// The run policies' deprecated fields are copied before validation, as
/// pydantic's `mode="before"` validator does: a fractional
/// `retry_delay_seconds` is an `int_from_float` at a flow run's
/// `retry_delay`; `max_retries` and `retry_delay_seconds` refuse null.
/// Each answer as Prefect 3.9.1 gave it.
#[tokio::test]
async fn run_policy_deprecated_fields_are_copied_before_validation() {
    let app = spawn_app().await;
    let flow = app.post("/flows/", serde_json::json!({"name": "f"})).await.json();
    let errors = |r: &crate::helpers::Reply| -> Vec<(String, String)> {
        r.json()["exception_detail"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let last = e["loc"].as_array().and_then(|l| l.last()).cloned().unwrap_or_default();
                        (e["type"].as_str().unwrap_or("").to_string(), last.as_str().unwrap_or("").to_string())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let flow_run = |policy: serde_json::Value| serde_json::json!({"flow_id": flow["id"], "empirical_policy": policy});
    let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"retry_delay_seconds": 1.5}))).await;
    assert_eq!((r.status, errors(&r)), (422, vec![pair("int_from_float", "retry_delay")]), "{}", r.text);
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"retry_delay_seconds": "abc"}))).await;
    assert_eq!(errors(&r), vec![pair("float_parsing", "retry_delay_seconds"), pair("int_parsing", "retry_delay")]);
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"max_retries": 2.5}))).await;
    assert_eq!(errors(&r), vec![pair("int_from_float", "max_retries"), pair("int_from_float", "retries")]);
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"max_retries": null}))).await;
    assert_eq!(errors(&r), vec![pair("int_type", "max_retries")]);
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"retry_delay_seconds": null}))).await;
    assert_eq!(errors(&r), vec![pair("float_type", "retry_delay_seconds")]);
    let r = app.post("/flow_runs/", flow_run(serde_json::json!({"retry_delay_seconds": 5.0, "max_retries": 3, "retries": 0}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let p = &r.json()["empirical_policy"];
    assert_eq!((p["retries"].clone(), p["retry_delay"].clone()), (serde_json::json!(3), serde_json::json!(5)));
    // A task run's retry_delay union reports the copied seconds in each branch.
    let task = serde_json::json!({"task_key": "k", "dynamic_key": "d", "empirical_policy": {"retry_delay_seconds": "abc"}});
    let r = app.post("/task_runs/", task).await;
    assert_eq!(
        errors(&r),
        vec![
            pair("float_parsing", "retry_delay_seconds"),
            pair("int_parsing", "int"),
            pair("float_parsing", "float"),
            pair("list_type", "list[int]"),
            pair("list_type", "list[float]"),
        ]
    );
}
