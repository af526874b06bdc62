//! Access control: Prefect's basic-auth string, read-only mode, CORS and the
//! body limit. The 401 body is the reference's (`prefect/server/api/server.py`).

use serde_json::json;

use crate::helpers::spawn_app_configured;

fn basic(s: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
}

#[tokio::test]
async fn with_an_auth_string_every_api_request_needs_it_except_health() {
    let app = spawn_app_configured(|s| s.access.auth_string = Some("admin:s3cret".into())).await;
    let r = app.post("/artifacts/filter", json!({})).await;
    assert_eq!((r.status, r.text.as_str()), (401, r#"{"exception_message":"Unauthorized"}"#));
    for wrong in [basic("admin:wrong"), "Bearer admin:s3cret".to_string(), "Basic !!!".to_string(), basic("admin:s3cret") + " extra"] {
        let r = app.client.post(format!("{}/artifacts/filter", app.base)).header("authorization", wrong.clone()).body("{}").send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{wrong}");
    }
    let r = app.client.post(format!("{}/artifacts/filter", app.base)).header("authorization", basic("admin:s3cret")).body("{}").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(app.get("/health").await.status, 200);
    // Only GET of the probe is open.
    assert_eq!(app.send("POST", "/health", Some("{}")).await.status, 401);
    assert_eq!(app.get("/admin/version").await.status, 401);
}

#[tokio::test]
async fn read_only_refuses_writes_with_405_and_serves_reads() {
    let app = spawn_app_configured(|s| s.access.read_only = true).await;
    let r = app.post("/artifacts/", json!({"key": "x"})).await;
    assert_eq!(r.status, 405);
    assert!(r.json()["detail"].as_str().unwrap().contains("read-only"));
    let zero = "00000000-0000-0000-0000-000000000000";
    assert_eq!(app.send("PATCH", &format!("/artifacts/{zero}"), Some("{}")).await.status, 405);
    assert_eq!(app.send("DELETE", &format!("/artifacts/{zero}"), None).await.status, 405);
    assert_eq!(app.post("/artifacts/filter", json!({})).await.status, 200);
    assert_eq!(app.post("/artifacts/latest/count", json!({})).await.text, "0");
    assert_eq!(app.get("/health").await.status, 200);
}

#[tokio::test]
async fn cors_answers_preflight_for_configured_origins() {
    let app = spawn_app_configured(|s| s.access.cors_origins = "http://dash.example".into()).await;
    let pre = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/artifacts/filter", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = pre("http://dash.example").await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "http://dash.example");
    let other = pre("http://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_json_413_and_stores_nothing() {
    let app = spawn_app_configured(|s| s.body_limit = 1024).await;
    let big = json!({"data": "x".repeat(2000)}).to_string();
    let r = app.send("POST", "/artifacts/", Some(&big)).await;
    assert_eq!(r.status, 413);
    assert!(r.json()["detail"].as_str().unwrap().contains("1024"));
    assert_eq!(app.post("/artifacts/count", json!({})).await.text, "0");
}

/// A client that never finishes its request head is cut off after the
/// client timeout, and other clients are served meanwhile.
#[tokio::test]
async fn a_slow_client_is_cut_off_and_does_not_block_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_configured(|s| s.client_timeout = std::time::Duration::from_millis(500)).await;
    let addr = app.base.trim_start_matches("http://").trim_end_matches("/api").to_string();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"POST /api/artifacts/filter HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    assert_eq!(app.get("/health").await.status, 200);
    let mut buf = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the slow connection was not closed");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
}
