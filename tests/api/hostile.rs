//! Hostile requests to every endpoint: the answer is a 4xx in the
//! reference's shape (or a success), never a 5xx, and a refused request
//! changes nothing in the database.

use serde_json::json;

use crate::helpers::{spawn_app_with, TestApp};

fn demo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.json")
}

const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// Bodies that must be refused wherever a body is read.
fn hostile_bodies() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![
        b"{bad".to_vec(),
        b"[".repeat(5000),
        b"{\"a\":".repeat(2000),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"\xef\xbb\xbf{\"key\": 1}".to_vec(),
        b"{\"key\": \"x\", \"key\": 5}".to_vec(),
        b"{\"limit\": NaN, \"key\": Infinity}".to_vec(),
        b"{\"offset\": 1e400}".to_vec(),
        b"\"\\ud800\"".to_vec(),
        b"{\"metadata_\": {\"a\": [1, {\"b\": null}]}}".to_vec(),
        b"{\"artifacts\": {\"key\": {\"any_\": 7}}}".to_vec(),
        b"{\"flow_runs\": {\"state\": {\"type\": {\"any_\": [\"NOPE\"]}}}}".to_vec(),
        b"{\"flow_runs\": {\"start_time\": {\"before_\": \"not a date\"}}}".to_vec(),
    ];
    out.push(json!({"key": "x".repeat(100_000) + "A"}).to_string().into_bytes());
    out.push(json!({"artifacts": {"id": {"any_": vec!["nope"; 20_000]}}}).to_string().into_bytes());
    out.push(json!({"key": "%'; DELETE FROM artifact; --"}).to_string().into_bytes());
    out.push(json!({"flow_run_id": "') OR 1=1 --"}).to_string().into_bytes());
    out
}

async fn send_raw(app: &TestApp, method: &str, path: &str, body: Vec<u8>, ct: Option<&str>) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app.client.request(m, format!("{}{}", app.base, path)).body(body);
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.expect("answered");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn hostile_bodies_are_refused_with_4xx_and_change_nothing() {
    let app = spawn_app_with(vec![demo()]).await;
    let before = artifactd::fixtures::export(&app.db).unwrap();
    let endpoints: Vec<(&str, String)> = vec![
        ("POST", "/artifacts/".into()),
        ("PATCH", format!("/artifacts/{ZERO}")),
        ("POST", "/artifacts/filter".into()),
        ("POST", "/artifacts/latest/filter".into()),
        ("POST", "/artifacts/count".into()),
        ("POST", "/artifacts/latest/count".into()),
        ("POST", "/flows/".into()),
        ("POST", "/flows/filter".into()),
        ("POST", "/flow_runs/".into()),
        ("POST", "/flow_runs/filter".into()),
        ("POST", format!("/flow_runs/{ZERO}/set_state")),
        ("POST", "/task_runs/".into()),
        ("POST", "/task_runs/count".into()),
        ("POST", "/deployments/".into()),
        ("POST", "/deployments/filter".into()),
        ("POST", "/logs/".into()),
        ("POST", "/logs/filter".into()),
    ];
    let mut seen_2xx = Vec::new();
    for (m, p) in &endpoints {
        for body in hostile_bodies() {
            for ct in [Some("application/json"), Some("text/plain"), None] {
                let (status, text) = send_raw(&app, m, p, body.clone(), ct).await;
                assert!(status < 500, "{m} {p} {:?} ({ct:?}) answered {status}: {text}", String::from_utf8_lossy(&body[..body.len().min(80)]));
                let is_read = p.ends_with("filter") || p.ends_with("count");
                if status < 300 && !is_read {
                    seen_2xx.push(format!("{m} {p} {}", String::from_utf8_lossy(&body[..body.len().min(60)])));
                }
                if status >= 400 {
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("error body is not JSON: {text}"));
                    assert!(v.get("detail").is_some() || v.get("exception_detail").is_some(), "{text}");
                }
            }
        }
    }
    // Writes that were accepted are the only changes; none of these bodies is a valid write.
    assert!(seen_2xx.is_empty(), "hostile writes were accepted: {seen_2xx:?}");
    let after = artifactd::fixtures::export(&app.db).unwrap();
    assert_eq!(before, after, "a refused request changed the database");
}

#[tokio::test]
async fn sql_metacharacters_and_wildcards_are_plain_data() {
    let app = spawn_app_with(vec![]).await;
    for text in ["%", "_", "'", "'; DROP TABLE artifact; --", "\\", "a%b_c"] {
        let a = app.create(json!({"description": text, "type": text, "data": text})).await;
        assert_eq!(a["description"], text);
    }
    // `%` and `_` in like_ are wildcards (as in the reference); quotes are data.
    let r = app.post("/artifacts/count", json!({"artifacts": {"type": {"any_": ["'; DROP TABLE artifact; --"]}}})).await;
    assert_eq!(r.text, "1");
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, "6");
}
