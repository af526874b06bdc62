//! Every route × many spellings of its path × {no, wrong, right}
//! credentials × {read-only, not}. Requests go over a raw TCP socket so the
//! path reaches the server exactly as written (an HTTP client library would
//! normalise `/./` and `/../` away).
//!
//! The oracle: a spelling reaches a route when the router's decoding of it
//! (percent-escapes decoded, except those of `/`, `%` and `+`) equals the
//! route's canonical path. Such a spelling must be treated exactly as the
//! canonical one; any other must not reach a handler at all.

use std::time::Duration;

use artifactd::access::gate::{Auth, Effect};
use artifactd::routes::{api_table, page_table, Described};
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{spawn_app_configured, TestApp};

const AUTH: &str = "matrix:pa55";
const ID: &str = "00000000-0000-4000-8000-000000000001";

fn basic(s: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s))
}

/// A concrete path for an actix pattern (`{name}` or `{name:regex}`, whose
/// regex may hold braces of its own).
fn concrete(pattern: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    let mut name = String::new();
    for c in pattern.chars() {
        match (c, depth) {
            ('{', 0) => {
                depth = 1;
                name.clear();
            }
            ('{', _) => depth += 1,
            ('}', 1) => {
                depth = 0;
                out.push_str(if name.starts_with("id") { ID } else { "k" });
            }
            ('}', _) => depth -= 1,
            (c, 0) => out.push(c),
            (c, _) => name.push(c),
        }
    }
    out
}

/// What the router matches a raw path as (actix's default quoter keeps
/// `%2F`, `%25` and `%2B` encoded and decodes every other escape).
fn router_view(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&raw[i + 1..i + 3], 16) {
                if !matches!(b, b'/' | b'%' | b'+') && b < 0x80 {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether the router would match `view` (a decoded path) to `pattern`.
fn same_pattern(pattern: &str, view: &str) -> bool {
    actix_web::dev::ResourceDef::new(pattern).is_match(view)
}

/// Spellings of `path`: encodings that route the same, and near misses that
/// must not.
fn spellings(path: &str) -> Vec<String> {
    let mut out = vec![path.to_string()];
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        if let Some(c) = seg.chars().next().filter(|c| c.is_ascii_alphanumeric()) {
            let mut s = segments.clone();
            let lower = format!("%{:02x}{}", c as u32, &seg[1..]);
            s[i] = &lower;
            out.push(s.join("/"));
            let whole: String = seg.bytes().map(|b| format!("%{b:02X}")).collect();
            let mut s = segments.clone();
            s[i] = &whole;
            out.push(s.join("/"));
        }
    }
    let after_api = path.replacen("/api/", "/api//", 1);
    out.extend([
        after_api,
        path.replacen("/api/", "/api/./", 1),
        path.replacen("/api/", "/api/x/../", 1),
        path.replacen("/api/", "/api/%2e/", 1),
        path.replacen("/api/", "/api%2F", 1),
        path.replacen("/api", "/API", 1),
        path.to_ascii_uppercase(),
        format!("{path};x=1"),
        match path.strip_suffix('/') {
            Some(p) => p.to_string(),
            None => format!("{path}/"),
        },
    ]);
    out.retain(|p| p.starts_with('/'));
    out.dedup();
    out
}

struct Raw {
    status: u16,
}

/// One request over a fresh connection, the path sent as given.
async fn send_raw(app: &TestApp, method: &str, path: &str, auth: Option<&str>, body: &str) -> Raw {
    let addr = app.base.trim_start_matches("http://").trim_end_matches("/api").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\n");
    if let Some(a) = auth {
        head.push_str(&format!("authorization: {a}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "{method} {path}: no answer");
    let text = String::from_utf8_lossy(&buf);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Raw { status }
}

/// A body that would change data if the route ran.
fn body_for(d: &Described) -> String {
    match (d.method.as_str(), d.pattern.as_str()) {
        ("POST", "/api/artifacts/") => json!({"key": "matrix", "data": 1}).to_string(),
        ("PATCH", _) => json!({"description": "changed"}).to_string(),
        ("POST", "/api/flows/") => json!({"name": "matrix-flow"}).to_string(),
        ("POST", "/api/logs/") => "[]".into(),
        _ => "{}".into(),
    }
}

async fn snapshot(app: &TestApp) -> Value {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || artifactd::fixtures::export(&db).expect("export")).await.expect("join")
}

async fn seeded(read_only: bool) -> TestApp {
    let fixture = json!({"artifacts": [{
        "id": ID, "created": "2024-01-01T00:00:00Z", "updated": "2024-01-01T00:00:00Z",
        "key": "k", "type": "markdown", "description": null, "data": "# hi", "metadata_": null,
        "flow_run_id": null, "task_run_id": null
    }]});
    let (dir, path) = crate::helpers::temp_fixture(&fixture);
    let app = spawn_app_configured(move |s| {
        s.access.auth_string = Some(AUTH.into());
        s.access.read_only = read_only;
        s.fixtures = vec![path];
    })
    .await;
    std::mem::forget(dir);
    app
}

#[tokio::test]
async fn every_route_and_spelling_gets_one_access_decision() {
    let creds = [("none", None), ("wrong", Some(basic("matrix:nope"))), ("right", Some(basic(AUTH)))];
    let mut checked = 0usize;
    for read_only in [true, false] {
        let app = seeded(read_only).await;
        let before = snapshot(&app).await;
        for d in api_table() {
            let path = concrete(&d.pattern);
            let canonical_view = router_view(&path);
            let body = body_for(d);
            // The canonical spelling with the right credentials: what the route answers.
            let mut baseline: Option<u16> = None;
            for spelled in spellings(&path) {
                // A free path parameter (not a UUID) takes any segment:
                // `count-by/k;x=1` is the same route with `countable` "k;x=1".
                let routes_same = router_view(&spelled) == canonical_view
                    || (!d.pattern.contains("{id:")
                        && d.pattern.contains('{')
                        && actix_web::dev::ResourceDef::new(d.pattern.as_str()).is_match(&router_view(&spelled)));
                let under_api = {
                    let v = router_view(&spelled);
                    v == "/api" || v.starts_with("/api/")
                };
                for (who, auth) in &creds {
                    // Read-only runs skip the writes with the right
                    // credentials only where the route would succeed.
                    let r = send_raw(&app, d.method.as_str(), &spelled, auth.as_deref(), &body).await;
                    checked += 1;
                    let ctx = format!("{} {spelled} (route {}) creds={who} read_only={read_only}", d.method, d.pattern);
                    assert!(r.status != 0 && r.status < 500, "{ctx}: {}", r.status);
                    let authed = *who == "right";
                    if !authed && under_api && !(routes_same && d.rule.auth == Auth::Open) {
                        assert_eq!(r.status, 401, "{ctx}");
                        continue;
                    }
                    if !routes_same && same_pattern(&d.pattern, &router_view(&spelled)) {
                        // Reaches this route with another value of a string
                        // parameter (`/variables/name/k;x=1` names "k;x=1"
                        // in the reference too): the route's own answer.
                        continue;
                    }
                    if !routes_same {
                        // Never reaches a handler: a 404, a 405 or the slash redirect.
                        assert!(matches!(r.status, 404 | 405 | 307), "{ctx}: {}", r.status);
                        continue;
                    }
                    if read_only && d.rule.effect == Effect::Writes && (authed || d.rule.auth == Auth::Open) {
                        assert_eq!(r.status, 405, "{ctx}");
                        continue;
                    }
                    if authed && !read_only && d.method.as_str() != "DELETE" {
                        // Same route, same answer as the canonical spelling
                        // (the first spelling is the canonical one; writes
                        // may answer differently once the row changed, so
                        // compare only the status class).
                        let b = *baseline.get_or_insert(r.status);
                        assert_eq!(b / 100, r.status / 100, "{ctx}: canonical {b}, this {}", r.status);
                    }
                }
            }
        }
        if read_only {
            assert_eq!(snapshot(&app).await, before, "a read-only server changed");
        }
        // The pages: the browser is asked for credentials on every spelling
        // that reaches one; other spellings are the open 404 outside /api.
        for d in page_table() {
            let path = concrete(&d.pattern);
            for spelled in spellings(&path) {
                let routes_same = router_view(&spelled) == router_view(&path);
                for (who, auth) in &creds {
                    let r = send_raw(&app, "GET", &spelled, auth.as_deref(), "").await;
                    checked += 1;
                    let ctx = format!("GET {spelled} (page {}) creds={who}", d.pattern);
                    match (routes_same, *who == "right") {
                        (true, false) => assert_eq!(r.status, 401, "{ctx}"),
                        (true, true) => assert!(matches!(r.status, 200 | 404), "{ctx}: {}", r.status),
                        (false, _) => assert!(matches!(r.status, 401 | 404 | 405), "{ctx}: {}", r.status),
                    }
                }
            }
        }
    }
    eprintln!("access matrix: {checked} requests");
    assert!(checked > 2000, "only {checked} requests");
}

#[tokio::test]
async fn unauthenticated_requests_change_nothing_on_any_route() {
    let app = seeded(false).await;
    let before = snapshot(&app).await;
    for d in api_table() {
        let path = concrete(&d.pattern);
        for spelled in spellings(&path) {
            let r = send_raw(&app, d.method.as_str(), &spelled, Some(&basic("matrix:nope")), &body_for(d)).await;
            let view = router_view(&spelled);
            let under_api = view == "/api" || view.starts_with("/api/");
            assert!(r.status == 401 || d.rule.auth == Auth::Open || !under_api, "{spelled}: {}", r.status);
        }
    }
    assert_eq!(snapshot(&app).await, before);
}

/// The run queries Prefect's UI sends with POST: pages, histories, counts.
const RUN_QUERIES_BY_POST: &[&str] = &[
    "/api/flows/paginate",
    "/api/flow_runs/paginate",
    "/api/task_runs/paginate",
    "/api/deployments/paginate",
    "/api/flow_runs/history",
    "/api/task_runs/history",
    "/api/flow_runs/lateness",
    "/api/ui/flow_runs/history",
    "/api/ui/flow_runs/count-task-runs",
    "/api/ui/task_runs/dashboard/counts",
    "/api/ui/flows/count-deployments",
    "/api/ui/flows/next-runs",
];

#[test]
fn every_write_is_declared_as_one() {
    // The routes that query with POST are the only POSTs that read.
    for d in api_table() {
        let reads_by_post =
            d.pattern.ends_with("/filter") || d.pattern.ends_with("/count") || d.pattern.starts_with("/api/events/count-by/")
            || RUN_QUERIES_BY_POST.contains(&d.pattern.as_str());
        // POSTs that check a body against the data and change nothing.
        let reads_by_post = reads_by_post || d.pattern == "/api/ui/schemas/validate";
        let expect_write = match d.method.as_str() {
            "GET" => d.pattern == "/api/events/in",
            "POST" => !reads_by_post,
            _ => true,
        };
        assert_eq!(d.rule.effect == Effect::Writes, expect_write, "{} {}", d.method, d.pattern);
        assert_eq!(d.rule.auth == Auth::Open, matches!(d.pattern.as_str(), "/api/health" | "/api/ready"), "{}", d.pattern);
    }
}

/// A random spelling: each letter or digit maybe percent-encoded, in
/// either hex case.
fn encode_randomly(path: &str, picks: &[u8]) -> String {
    path.bytes()
        .enumerate()
        .map(|(i, b)| {
            let pick = picks.get(i % picks.len().max(1)).copied().unwrap_or(0);
            if b.is_ascii_alphanumeric() && pick % 3 == 1 {
                format!("%{b:02x}")
            } else if b.is_ascii_alphanumeric() && pick % 3 == 2 {
                format!("%{b:02X}")
            } else {
                (b as char).to_string()
            }
        })
        .collect()
}

#[test]
fn random_encodings_of_a_route_are_decided_as_the_route() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let app = rt.block_on(seeded(true));
    let table = api_table();
    let config = ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(index in 0..table.len(), picks in proptest::collection::vec(any::<u8>(), 1..64), who in 0..3usize)| {
        let d = &table[index];
        let path = concrete(&d.pattern);
        let spelled = encode_randomly(&path, &picks);
        let auth = match who { 0 => None, 1 => Some(basic("matrix:nope")), _ => Some(basic(AUTH)) };
        let canonical = rt.block_on(send_raw(&app, d.method.as_str(), &path, auth.as_deref(), &body_for(d))).status;
        let random = rt.block_on(send_raw(&app, d.method.as_str(), &spelled, auth.as_deref(), &body_for(d))).status;
        prop_assert_eq!(canonical, random, "{} {} vs {}", d.method, path, spelled);
    });
    let before = rt.block_on(snapshot(&app));
    assert_eq!(before["artifacts"].as_array().map(Vec::len), Some(1));
}
