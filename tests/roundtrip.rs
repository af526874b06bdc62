//! Every value the API accepts round-trips: artifacts created through the
//! real server's HTTP API (port 0, real SQLite), exported, loaded into a
//! fresh database as a fixture (what `seed` and `serve --fixtures` do) and
//! served again answer exactly as before, and export the same.
//!
//! Values are generated as JSON text, so they can hold what a
//! `serde_json::Value` cannot: lone-surrogate escapes, `NaN`, overflowing
//! floats, integers beyond 64 bits, nesting up to the program's limit
//! (`pyjson::MAX_DEPTH`). The servers' worker, writer and blocking threads
//! and this test's thread all run with the default stack sizes, in a debug
//! build, so a deep value that recursed anywhere would overflow here.
//!
//! `PROPTEST_CASES` sets the number of cases (default 40).

use std::path::PathBuf;

use artifactd::pyjson::{self, MAX_DEPTH};
use artifactd::startup::{Application, Settings};
use proptest::prelude::*;
use serde_json::Value;

/// The deepest `data` an artifact body may hold: the body object is one level.
const DATA_LIMIT: usize = MAX_DEPTH - 1;

struct Server {
    base: String,
    db: artifactd::db::Db,
    handle: actix_web::dev::ServerHandle,
    client: reqwest::Client,
}

impl Server {
    async fn start(fixtures: Vec<PathBuf>) -> Server {
        let settings = Settings { port: 0, db: ":memory:".into(), fixtures, workers: Some(1), ..Settings::default() };
        let app = Application::build(&settings).expect("server builds");
        let base = format!("http://127.0.0.1:{}/api", app.port());
        let db = app.db().clone();
        let server = app.into_server();
        let handle = server.handle();
        tokio::spawn(server);
        Server { base, db, handle, client: reqwest::Client::new() }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<String>) -> (u16, String) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.expect("answered");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("body"))
    }

    async fn post(&self, path: &str, body: &str) -> (u16, String) {
        self.send(reqwest::Method::POST, path, Some(body.to_string())).await
    }

    async fn get(&self, path: &str) -> (u16, String) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// The whole database as fixture text, as `artifactd export` writes it.
    fn export(&self) -> String {
        pyjson::to_pydantic_json(&artifactd::fixtures::export(&self.db).expect("exports"))
    }

    /// Every read answer about the artifacts with these ids and keys.
    async fn answers(&self, ids: &[String], keys: &[String]) -> Vec<(String, u16, String)> {
        let mut out = Vec::new();
        for (path, body) in [
            ("/artifacts/filter", r#"{"sort":"ID_DESC"}"#),
            ("/artifacts/latest/filter", r#"{"sort":"ID_DESC"}"#),
            ("/artifacts/count", "{}"),
            ("/artifacts/latest/count", "{}"),
        ] {
            let (s, t) = self.post(path, body).await;
            out.push((path.to_string(), s, t));
        }
        for id in ids {
            let path = format!("/artifacts/{id}");
            let (s, t) = self.get(&path).await;
            out.push((path, s, t));
        }
        for key in keys {
            let path = format!("/artifacts/{key}/latest");
            let (s, t) = self.get(&path).await;
            out.push((path, s, t));
        }
        out
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// A JSON value as text, built by the generators below.
#[derive(Debug, Clone)]
enum J {
    Lit(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    /// `levels` containers (lists or objects, by the bits of `pattern`)
    /// around `leaf`, the way to reach the nesting limit cheaply.
    Deep {
        levels: usize,
        pattern: u64,
        leaf: Box<J>,
    },
}

impl J {
    fn render(&self, out: &mut String) {
        match self {
            J::Lit(s) => out.push_str(s),
            J::Arr(items) => {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    x.render(out);
                }
                out.push(']');
            }
            J::Obj(kv) => {
                out.push('{');
                for (i, (k, v)) in kv.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.render(out);
                }
                out.push('}');
            }
            J::Deep { levels, pattern, leaf } => {
                let object = |i: usize| pattern.rotate_left(i as u32 % 64) & 1 == 1;
                for i in 0..*levels {
                    out.push_str(if object(i) { "{\"k\":" } else { "[" });
                }
                leaf.render(out);
                for i in (0..*levels).rev() {
                    out.push(if object(i) { '}' } else { ']' });
                }
            }
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        self.render(&mut s);
        s
    }

    /// Container nesting, as the parser counts it (a scalar is 0).
    fn depth(&self) -> usize {
        match self {
            J::Lit(s) => usize::from(s == "[]" || s == "{}"),
            J::Arr(items) => 1 + items.iter().map(J::depth).max().unwrap_or(0),
            J::Obj(kv) => 1 + kv.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            J::Deep { levels, leaf, .. } => levels + leaf.depth(),
        }
    }
}

/// JSON string literals, escapes and all: lone surrogates (which the API
/// stores as U+FFFD), pairs, astral characters, controls, quotes.
fn string_literal() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("a".to_string()),
        Just("é漢字".to_string()),
        Just("😀𝄞".to_string()),
        Just("\\ud83d\\ude00".to_string()),
        Just("\\ud800".to_string()),
        Just("\\udfff".to_string()),
        Just("\\ud800\\ud800".to_string()),
        Just("\\u0000".to_string()),
        Just("\\n\\t\\r\\b\\f".to_string()),
        Just("\\\"\\\\\\/".to_string()),
        Just("\u{7f}\u{2028}\u{feff}".to_string()),
        Just("%_'".to_string()),
        "[a-z ]{0,8}",
        Just("x".repeat(600)),
    ];
    proptest::collection::vec(pieces, 0..4).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn number_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("0".to_string()),
        Just("-0".to_string()),
        Just("-0.0".to_string()),
        Just("1e308".to_string()),
        Just("-1.7976931348623157e308".to_string()),
        Just("5e-324".to_string()),
        Just("1e400".to_string()),
        Just("1E2".to_string()),
        Just("0.1".to_string()),
        Just("123456789012345678901234567890".to_string()),
        Just("-18446744073709551617".to_string()),
        Just(format!("9{}", "0".repeat(4299))),
        Just("NaN".to_string()),
        Just("-Infinity".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
    ]
}

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Lit("null".into())),
        Just(J::Lit("true".into())),
        Just(J::Lit("false".into())),
        Just(J::Lit("[]".into())),
        Just(J::Lit("{}".into())),
        number_literal().prop_map(J::Lit),
        string_literal().prop_map(J::Lit),
    ]
}

/// Any `data` value the API accepts, up to the nesting limit.
fn data() -> impl Strategy<Value = J> {
    let wide = leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(J::Arr),
            proptest::collection::vec((string_literal(), inner), 0..8).prop_map(J::Obj),
        ]
    });
    prop_oneof![
        3 => wide.clone(),
        1 => (0..=DATA_LIMIT, any::<u64>(), leaf()).prop_map(|(levels, pattern, leaf)| {
            // `[]` and `{}` leaves are a level themselves.
            let room = DATA_LIMIT - leaf.depth();
            J::Deep { levels: levels.min(room), pattern, leaf: Box::new(leaf) }
        }),
        1 => (any::<u64>(), wide).prop_map(|(pattern, leaf)| {
            let room = DATA_LIMIT - leaf.depth();
            J::Deep { levels: room, pattern, leaf: Box::new(leaf) }
        }),
    ]
}

/// One artifact create body.
fn artifact_body() -> impl Strategy<Value = String> {
    let key = proptest::option::of(prop_oneof![Just("k".to_string()), Just("key-2".to_string()), "[a-z0-9-]{1,6}"]);
    let kind = proptest::option::of(prop_oneof![
        Just("table".to_string()),
        Just("markdown".to_string()),
        Just("x".to_string())
    ]);
    let metadata = proptest::option::of(proptest::collection::vec((string_literal(), string_literal()), 0..4));
    let description = proptest::option::of(string_literal());
    (key, kind, data(), metadata, description).prop_map(|(key, kind, data, metadata, description)| {
        let mut fields = vec![format!("\"data\":{}", data.text())];
        if let Some(k) = key {
            fields.push(format!("\"key\":\"{k}\""));
        }
        if let Some(t) = kind {
            fields.push(format!("\"type\":\"{t}\""));
        }
        if let Some(m) = metadata {
            let kv: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            fields.push(format!("\"metadata_\":{{{}}}", kv.join(",")));
        }
        if let Some(d) = description {
            fields.push(format!("\"description\":{d}"));
        }
        format!("{{{}}}", fields.join(","))
    })
}

fn temp_fixture(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("export.json");
    std::fs::write(&path, text).expect("fixture written");
    (dir, path)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Creates `bodies` on a fresh server, exports, serves the export from a
/// fresh database, and checks every answer and the export are the same.
async fn round_trip(bodies: &[String]) -> Result<(), TestCaseError> {
    let one = Server::start(vec![]).await;
    let mut ids = Vec::new();
    let mut keys = Vec::new();
    for b in bodies {
        let (status, text) = one.post("/artifacts/", b).await;
        prop_assert_eq!(status, 201, "{} -> {}", b, text);
        let v: Value = pyjson::loads(text.as_bytes()).expect("created artifact is JSON");
        ids.push(v["id"].as_str().unwrap_or_default().to_string());
        if let Some(k) = v["key"].as_str() {
            keys.push(k.to_string());
        }
    }
    let exported = one.export();
    let (_dir, path) = temp_fixture(&exported);
    let two = Server::start(vec![path]).await;
    let before = one.answers(&ids, &keys).await;
    let after = two.answers(&ids, &keys).await;
    prop_assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        prop_assert_eq!(b, a);
    }
    prop_assert_eq!(&exported, &two.export(), "the export of the seeded database differs");
    one.stop().await;
    two.stop().await;
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn whatever_the_api_accepts_exports_seeds_and_answers_the_same(
        bodies in proptest::collection::vec(artifact_body(), 1..5)
    ) {
        runtime().block_on(round_trip(&bodies))?;
    }
}

fn nested(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

fn nested_objects(levels: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels))
}

/// The limit exactly: lists and objects, data and a latest-by-key row.
#[test]
fn values_at_the_nesting_limit_round_trip() {
    let bodies = vec![
        format!("{{\"key\":\"deep\",\"data\":{}}}", nested(DATA_LIMIT)),
        format!("{{\"key\":\"deep\",\"data\":{}}}", nested_objects(DATA_LIMIT)),
        format!("{{\"data\":{},\"description\":\"\\ud800\"}}", nested(130)),
    ];
    runtime().block_on(round_trip(&bodies)).expect("round trip");
}

/// One level past the limit is refused as the reference refuses it (400,
/// `{"detail":"There was an error parsing the body"}`: measured on Prefect
/// 3.9.1 with 952 nested lists as `data`), and changes nothing.
#[test]
fn one_past_the_limit_is_refused_as_the_reference_does_and_changes_nothing() {
    runtime().block_on(async {
        let app = Server::start(vec![]).await;
        let (status, _) = app.post("/artifacts/", &format!("{{\"key\":\"k\",\"data\":{}}}", nested(DATA_LIMIT))).await;
        assert_eq!(status, 201);
        let before = app.export();
        let count = app.post("/artifacts/count", "{}").await;
        for data in [nested(DATA_LIMIT + 1), nested_objects(DATA_LIMIT + 1)] {
            let (status, text) = app.post("/artifacts/", &format!("{{\"key\":\"k\",\"data\":{data}}}")).await;
            assert_eq!((status, text.as_str()), (400, r#"{"detail":"There was an error parsing the body"}"#));
        }
        // A deep body that fails validation is echoed in the 422, whole.
        for body in [
            format!("{{\"key\":\"Bad Key\",\"data\":{}}}", nested(DATA_LIMIT)),
            format!("{{\"description\":NaN,\"data\":{}}}", nested(DATA_LIMIT)),
            format!("{{\"metadata_\":{},\"data\":1}}", nested_objects(DATA_LIMIT)),
        ] {
            let (status, text) = app.post("/artifacts/", &body).await;
            assert_eq!(status, 422, "{text}");
            let v = pyjson::loads_within(text.as_bytes(), 2).expect("JSON");
            assert_eq!(v["exception_message"], "Invalid request received.");
            assert!(v["exception_detail"].as_array().is_some_and(|d| !d.is_empty()), "{text}");
            std::mem::forget(v);
        }
        assert_eq!(app.post("/artifacts/count", "{}").await, count);
        assert_eq!(app.export(), before);
        app.stop().await;
    });
}

/// A fixture element one past the limit is an error naming its place, and
/// loads nothing; at the limit it loads.
#[test]
fn a_fixture_element_past_the_limit_is_refused_by_place() {
    let element = |levels: usize| format!("{{\"key\":\"k\",\"data\":{}}}", nested(levels));
    let db = artifactd::db::Db::open(":memory:").expect("db");
    let fixture = |levels: usize| {
        format!(
            "{{\"flows\":[{{\"id\":\"6a7c0000-0000-4000-8000-000000000001\",\"name\":\"f\"}}],\"artifacts\":[{},{}]}}",
            element(1),
            element(levels)
        )
    };
    let (_d, ok) = temp_fixture(&fixture(DATA_LIMIT));
    let report = artifactd::fixtures::load(&db, &[ok]).expect("loads at the limit");
    assert_eq!(report.artifacts, 2);
    let (_d2, bad) = temp_fixture(&fixture(DATA_LIMIT + 1));
    let before = pyjson::to_pydantic_json(&artifactd::fixtures::export(&db).expect("export"));
    let err = artifactd::fixtures::load(&db, &[bad]).expect_err("refused").to_string();
    assert!(err.contains("artifacts[1]") && err.contains(&MAX_DEPTH.to_string()), "{err}");
    assert_eq!(pyjson::to_pydantic_json(&artifactd::fixtures::export(&db).expect("export")), before);
}

/// `artifactd import` (the binary) from a server holding artifacts at the
/// limit (artifactd speaks the API it reads), then `seed` and `export` with
/// the binary: the same fixture as the server's own export.
#[test]
fn import_seed_and_export_through_the_binary_keep_values_at_the_limit() {
    runtime().block_on(async {
        let app = Server::start(vec![]).await;
        for body in [
            format!("{{\"key\":\"deep\",\"data\":{}}}", nested(DATA_LIMIT)),
            format!("{{\"key\":\"deep\",\"data\":{}}}", nested_objects(DATA_LIMIT)),
            format!("{{\"key\":\"wide\",\"data\":[{}]}}", vec![nested(200); 50].join(",")),
        ] {
            assert_eq!(app.post("/artifacts/", &body).await.0, 201);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let imported = dir.path().join("import.json");
        let base = app.base.clone();
        let out = tokio::task::spawn_blocking({
            let imported = imported.clone();
            move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_artifactd"))
                    .args(["import", "--quiet", "--from", &base, "--out"])
                    .arg(&imported)
                    .output()
                    .expect("import runs")
            }
        })
        .await
        .expect("joined");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let db = dir.path().join("seeded.db");
        let bin = |args: &[&std::ffi::OsStr]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_artifactd")).args(args).output().expect("runs")
        };
        let seeded = bin(&["seed".as_ref(), "--db".as_ref(), db.as_os_str(), imported.as_os_str()]);
        assert!(seeded.status.success(), "{}", String::from_utf8_lossy(&seeded.stderr));
        let exported = bin(&["export".as_ref(), "--db".as_ref(), db.as_os_str()]);
        assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
        assert_eq!(String::from_utf8_lossy(&exported.stdout).trim_end(), app.export());
        app.stop().await;
    });
}
