//! Headers as the reference reads them: the slash redirect's `Location`
//! from the request's own host, and `X-PREFECT-API-VERSION`. Expected
//! answers were taken from a Prefect 3.9.1 server.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app;

async fn raw(base: &str, request: String) -> String {
    let addr = base.trim_start_matches("http://").trim_end_matches("/api").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

fn location(resp: &str) -> Option<&str> {
    resp.lines().find_map(|l| l.strip_prefix("location: "))
}

#[tokio::test]
async fn the_slash_redirect_uses_the_requests_own_host_never_forwarding_headers() {
    let app = spawn_app().await;
    let post = |path: &str, extra: &str| {
        format!("POST {path} HTTP/1.1\r\nhost: myhost:99\r\n{extra}connection: close\r\ncontent-length: 2\r\n\r\n{{}}")
    };
    let r = raw(&app.base, post("/api/artifacts/filter/?a=%20", "")).await;
    assert!(r.starts_with("HTTP/1.1 307"), "{r}");
    assert_eq!(location(&r), Some("http://myhost:99/api/artifacts/filter?a=%20"));
    // Forwarded hosts and unknown schemes are ignored.
    let r = raw(
        &app.base,
        post("/api/artifacts/filter/", "x-forwarded-host: evil\r\nforwarded: host=evil.example;proto=javascript\r\nx-forwarded-proto: javascript\r\n"),
    )
    .await;
    assert_eq!(location(&r), Some("http://myhost:99/api/artifacts/filter"));
    // A trusted peer (loopback, uvicorn's default) may say https.
    let r = raw(&app.base, post("/api/artifacts/filter/", "x-forwarded-proto: https\r\n")).await;
    assert_eq!(location(&r), Some("https://myhost:99/api/artifacts/filter"));
    // The decoded path, as Starlette redirects.
    let r = raw(&app.base, post("/%61pi/artifacts/filter/", "")).await;
    assert_eq!(location(&r), Some("http://myhost:99/api/artifacts/filter"));
}

#[tokio::test]
async fn forwarded_proto_from_an_untrusted_peer_is_ignored() {
    let app = crate::helpers::spawn_app_configured(|s| s.access.forwarded_allow_ips = "10.0.0.1".parse().unwrap()).await;
    let r = raw(
        &app.base,
        "POST /api/artifacts/filter/ HTTP/1.1\r\nhost: h\r\nx-forwarded-proto: https\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}".into(),
    )
    .await;
    assert_eq!(location(&r), Some("http://h/api/artifacts/filter"));
}

#[tokio::test]
async fn the_api_version_header_is_checked_as_the_reference_checks_it() {
    let app = spawn_app().await;
    let get = |path: &str, version: &str| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.base);
        let version = version.to_string();
        async move {
            let r = client.get(url).header("x-prefect-api-version", version).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let zero = "/artifacts/00000000-0000-0000-0000-000000000000";
    assert_eq!(
        get(zero, "abc").await,
        (400, r#"{"detail":"Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received abc"}"#.into())
    );
    assert_eq!(
        get(zero, "0.7.9").await,
        (400, r#"{"detail":"The request specified API version 0.7.9 but this server requires version 0.8.0 or higher."}"#.into())
    );
    assert_eq!(get(zero, "0.8.4").await, (404, r#"{"detail":"Artifact not found."}"#.into()));
    // On a route with a body, after the body is decoded: malformed JSON is
    // the 422 first; a decoded body (valid or not) or a non-JSON one gets
    // the 400.
    let post = |path: &str, ct: &'static str, body: &'static str| {
        let req = app.client.post(format!("{}{path}", app.base)).header("x-prefect-api-version", "abc").body(body);
        let req = if ct.is_empty() { req } else { req.header("content-type", ct) };
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post("/artifacts/count", "", "{bad").await, 422);
    assert_eq!(post("/artifacts/count", "application/json", "{bad").await, 422);
    assert_eq!(post("/artifacts/count", "text/plain", "{bad").await, 400);
    assert_eq!(post("/artifacts/count", "application/json", r#"{"artifacts":{"id":{"any_":["x"]}}}"#).await, 400);
    assert_eq!(post("/artifacts/", "application/json", "").await, 400);
    assert_eq!(post("/artifacts/", "application/json", r#"{"key":"BAD KEY"}"#).await, 400);
    assert_eq!(app.post("/artifacts/count", serde_json::json!({})).await.text, "0");
    // Not on the app's own routes, nor where no route matches.
    assert_eq!(get("/health", "abc").await, (200, "true".into()));
    assert_eq!(get("/version", "abc").await, (200, "\"0.8.4\"".into()));
    assert_eq!(get("/nothere", "abc").await.0, 404);
    assert_eq!(get("/hello", "abc").await.0, 400);
    assert_eq!(get("/ready", "0.8.0").await, (200, r#"{"message":"OK"}"#.into()));
}
