//! `--prefect-ui`: Prefect's own UI served from a directory, over a small
//! fake build made here (so no Python is needed): `/ui-settings`, the
//! redirect to the preferred UI, the single-page-app fallback, content
//! types, caching, path traversal, and the built-in pages' move to
//! `/artifactd/`. Expected answers are the reference's (Prefect 3.9.1
//! `prefect server start`), recorded with curl against it.

use std::path::Path;
use std::sync::Arc;

use artifactd::prefect_ui::PrefectUi;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::spawn_app_configured;

const PLACEHOLDER: &str = "/PREFECT_UI_SERVE_BASE_REPLACE_PLACEHOLDER";
const SECRET: &str = "top-secret-outside-the-ui";

/// A fake `prefect` package: `server/ui` (v1) and `server/ui-v2` (v2), each
/// with an index.html using the placeholder and a hashed asset; a secret
/// file beside the builds, and a symlink inside v1 pointing at it.
fn fake_package(root: &Path) -> std::path::PathBuf {
    let pkg = root.join("prefect");
    for (dir, name) in [("server/ui", "v1"), ("server/ui-v2", "v2")] {
        let d = pkg.join(dir);
        std::fs::create_dir_all(d.join("assets")).unwrap();
        std::fs::create_dir_all(d.join("ico")).unwrap();
        std::fs::write(d.join("index.html"), format!("<html><head><script src=\"{PLACEHOLDER}/assets/index-abc.js\"></script></head><body>{name}</body></html>")).unwrap();
        std::fs::write(d.join("assets/index-abc.js"), format!("const base = `{PLACEHOLDER}`; // {name}\n").repeat(50)).unwrap();
        std::fs::write(d.join("assets/index-abc.css"), "body{color:red}").unwrap();
        std::fs::write(d.join("assets/font.woff2"), b"wOF2").unwrap();
        std::fs::write(d.join("ico/favicon.ico"), b"\0\0\x01\0").unwrap();
        std::fs::write(d.join("ico/logo.svg"), "<svg/>").unwrap();
        std::fs::write(d.join("ico/site.webmanifest"), "{}").unwrap();
        std::fs::write(d.join("ico/a.png"), b"\x89PNG").unwrap();
    }
    std::fs::write(pkg.join("server/secret.txt"), SECRET).unwrap();
    std::os::unix::fs::symlink(pkg.join("server/secret.txt"), pkg.join("server/ui/leak.txt")).unwrap();
    std::os::unix::fs::symlink(pkg.join("server"), pkg.join("server/ui/up")).unwrap();
    pkg
}

struct Ui {
    root: String,
    port: u16,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

async fn start(adjust: impl FnOnce(&mut artifactd::startup::Settings)) -> Ui {
    let dir = tempfile::tempdir().unwrap();
    let pkg = fake_package(dir.path());
    let ui = Arc::new(PrefectUi::open(&pkg).expect("the fake package opens"));
    let app = spawn_app_configured(|s| {
        s.prefect_ui = Some(ui);
        adjust(s);
    })
    .await;
    let root = app.base.trim_end_matches("/api").to_string();
    let port = root.rsplit(':').next().unwrap().parse().unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    Ui { root, port, client, _dir: dir }
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }
}

impl Ui {
    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Got {
        let mut req = self.client.get(format!("{}{path}", self.root));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Got { status, headers, body: resp.text().await.unwrap() }
    }

    /// A request sent byte for byte (no client normalises its path).
    async fn raw(&self, path: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n");
        s.write_all(head.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }
}

const HTML: (&str, &str) = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");

#[tokio::test]
async fn ui_settings_point_the_ui_at_this_servers_api() {
    let ui = start(|_| {}).await;
    let got = ui.get("/ui-settings", &[]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), "application/json");
    // The reference's answer, with its api_url taken from the request.
    assert_eq!(
        got.body,
        format!(
            r#"{{"api_url":"{}/api","csrf_enabled":false,"auth":null,"flags":[],"default_ui":"v2","available_uis":["v1","v2"],"v1_base_url":"/","v2_base_url":"/v2"}}"#,
            ui.root
        )
    );
    // As on the reference, /v2/ui-settings is no route: a navigation there
    // gets v2's index.html.
    let v2 = ui.get("/v2/ui-settings", &[HTML]).await;
    assert!(v2.body.contains("<body>v2</body>"), "{}", v2.body);
}

#[tokio::test]
async fn a_navigation_to_the_root_goes_to_the_preferred_ui() {
    let ui = start(|_| {}).await;
    let got = ui.get("/?x=1", &[HTML]).await;
    assert_eq!((got.status, got.header("location")), (307, "/v2/?x=1"));
    let v1 = ui.get("/", &[HTML, ("cookie", "prefect_ui_version=v1")]).await;
    assert_eq!(v1.status, 200);
    // The placeholder is replaced in memory: v1 sits at the root.
    assert!(v1.body.contains(r#"<script src="/assets/index-abc.js">"#), "{}", v1.body);
    // Not a navigation: no redirect (the reference answers v1's index).
    let plain = ui.get("/", &[]).await;
    assert!(plain.body.contains("<body>v1</body>"));
    let v2 = ui.get("/v2", &[]).await;
    assert_eq!((v2.status, v2.header("location")), (307, format!("{}/v2/", ui.root).as_str()));
    let v2 = ui.get("/v2/", &[HTML]).await;
    assert!(v2.body.contains(r#"<script src="/v2/assets/index-abc.js">"#), "{}", v2.body);
}

#[tokio::test]
async fn deep_links_fall_back_to_index_html_but_missing_files_are_404() {
    let ui = start(|_| {}).await;
    for (path, build) in [
        ("/runs/flow-run/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "v1"),
        ("/artifacts/artifact/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "v1"),
        ("/v2/runs/flow-run/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "v2"),
    ] {
        let got = ui.get(path, &[HTML]).await;
        assert_eq!(got.status, 200, "{path}");
        assert!(got.body.contains(&format!("<body>{build}</body>")), "{path}: {}", got.body);
        assert_eq!(got.header("cache-control"), "no-cache", "{path}");
        // Not a navigation (a script, fetch or image): the reference's 404.
        let got = ui.get(path, &[("accept", "*/*")]).await;
        assert_eq!((got.status, got.body.as_str()), (404, r#"{"detail":"Not Found"}"#), "{path}");
    }
    for path in ["/assets/missing-123.js", "/v2/assets/missing.css", "/ico/nope.png"] {
        let got = ui.get(path, &[("accept", "*/*")]).await;
        assert_eq!(got.status, 404, "{path}");
    }
}

#[tokio::test]
async fn files_have_their_types_and_cache_headers() {
    let ui = start(|_| {}).await;
    for (path, ty) in [
        ("/assets/index-abc.js", "text/javascript; charset=utf-8"),
        ("/assets/index-abc.css", "text/css; charset=utf-8"),
        ("/assets/font.woff2", "font/woff2"),
        ("/ico/favicon.ico", "image/vnd.microsoft.icon"),
        ("/ico/logo.svg", "image/svg+xml"),
        ("/ico/a.png", "image/png"),
        ("/ico/site.webmanifest", "application/manifest+json"),
        ("/v2/assets/index-abc.js", "text/javascript; charset=utf-8"),
    ] {
        let got = ui.get(path, &[]).await;
        assert_eq!((got.status, got.header("content-type")), (200, ty), "{path}");
        let cache = if path.contains("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        assert_eq!(got.header("cache-control"), cache, "{path}");
        assert_eq!(got.header("x-content-type-options"), "nosniff");
        let etag = got.header("etag").to_string();
        assert!(etag.starts_with('"'), "{path}: {etag}");
        let again = ui.get(path, &[("if-none-match", &etag)]).await;
        assert_eq!((again.status, again.body.as_str()), (304, ""), "{path}");
    }
    let js = ui.get("/v2/assets/index-abc.js", &[]).await;
    assert!(js.body.starts_with("const base = `/v2`;"), "{}", js.body);
    let gz = ui.get("/assets/index-abc.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), "gzip");
}

#[tokio::test]
async fn no_path_reaches_outside_the_build() {
    let ui = start(|_| {}).await;
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "//etc/passwd",
        "/v2/../../secret.txt",
        "/v2/%2e%2e/%2e%2e/server/secret.txt",
        "/leak.txt",
        "/up/secret.txt",
        "/up/ui/index.html",
        "/%2fetc%2fpasswd",
    ] {
        let raw = ui.raw(path).await;
        assert!(!raw.contains(SECRET) && !raw.contains("root:"), "{path}: {raw}");
        let status = raw.split(' ').nth(1).unwrap_or_default();
        // An HTML navigation to a path that names no file gets index.html,
        // as on the reference; nothing else is ever sent.
        assert!(status == "404" || (status == "200" && raw.contains("<body>v")), "{path}: {raw}");
    }
    // A directory's index is sent only at its slash path (Starlette's
    // redirect), the decoded path escaped again for the header.
    let raw = ui.raw("/assets/caf%C3%A9/../..").await;
    assert!(raw.starts_with("HTTP/1.1 307") && raw.contains("/assets/caf%C3%A9/../../\r\n"), "{raw}");
    // `..` that stays inside the build is resolved, as Starlette does.
    let raw = ui.raw("/ico/../assets/index-abc.css").await;
    assert!(raw.contains("body{color:red}"), "{raw}");
}

#[tokio::test]
async fn the_builtin_pages_move_to_artifactd_and_the_api_keeps_precedence() {
    let ui = start(|_| {}).await;
    let moved = ui.get("/artifactd", &[HTML]).await;
    assert_eq!((moved.status, moved.header("location")), (307, "/artifactd/"));
    let page = ui.get("/artifactd/", &[HTML]).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-security-policy").contains("default-src 'none'"));
    assert!(!page.body.contains("<body>v1</body>"));
    // The API is never the UI's fallback, even for a browser.
    let health = ui.get("/api/health", &[HTML]).await;
    assert_eq!((health.status, health.body.as_str()), (200, "true"));
    let missing = ui.get("/api/no-such-endpoint", &[HTML]).await;
    assert_eq!((missing.status, missing.body.as_str()), (404, r#"{"detail":"Not Found"}"#));
    let docs = ui.get("/docs", &[HTML]).await;
    assert_eq!(docs.status, 200);
    assert!(!docs.body.contains("<body>v1</body>"));
    // Other methods: 405 on a file (and the root), 404 elsewhere.
    let post = ui.client.post(format!("{}/", ui.root)).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
    let post = ui.client.post(format!("{}/assets/index-abc.js", ui.root)).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 405);
    let post = ui.client.post(format!("{}/nowhere", ui.root)).send().await.unwrap();
    assert_eq!(post.status().as_u16(), 404);
}

#[tokio::test]
async fn without_the_prefect_ui_the_builtin_pages_stay_at_the_root() {
    let app = spawn_app_configured(|_| {}).await;
    let root = app.base.trim_end_matches("/api");
    let home = app.client.get(format!("{root}/")).send().await.unwrap();
    assert_eq!(home.status().as_u16(), 200);
    assert!(home.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    for path in ["/artifactd/", "/ui-settings", "/runs/flow-run/x"] {
        let got = app.client.get(format!("{root}{path}")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(got.status().as_u16(), 404, "{path}");
    }
}

#[tokio::test]
async fn with_an_auth_string_the_ui_is_open_and_asks_for_it() {
    let ui = start(|s| s.access.auth_string = Some("admin:pass".into())).await;
    let settings = ui.get("/ui-settings", &[]).await;
    assert_eq!(settings.status, 200);
    assert!(settings.body.contains(r#""auth":"BASIC""#), "{}", settings.body);
    assert_eq!(ui.get("/v2/", &[HTML]).await.status, 200);
    assert_eq!(ui.get("/assets/index-abc.js", &[]).await.status, 200);
    // The API and the built-in pages still need it.
    let api = ui.client.post(format!("{}/api/flows/count", ui.root)).send().await.unwrap();
    assert_eq!(api.status().as_u16(), 401);
    assert_eq!(ui.get("/artifactd/", &[HTML]).await.status, 401);
}

#[tokio::test]
async fn a_single_build_directory_is_served_alone() {
    let dir = tempfile::tempdir().unwrap();
    let pkg = fake_package(dir.path());
    let ui = Arc::new(PrefectUi::open(&pkg.join("server/ui")).unwrap());
    let app = spawn_app_configured(|s| s.prefect_ui = Some(ui)).await;
    let root = app.base.trim_end_matches("/api");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let settings: serde_json::Value = client.get(format!("{root}/ui-settings")).send().await.unwrap().json().await.unwrap();
    assert_eq!(settings["default_ui"], "v1");
    assert_eq!(settings["available_uis"], serde_json::json!(["v1"]));
    assert_eq!(settings["v2_base_url"], serde_json::Value::Null);
    // A navigation to the root stays on v1; /v2 paths go back to v1.
    let home = client.get(format!("{root}/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(home.status().as_u16(), 200);
    let v2 = client.get(format!("{root}/v2/runs")).header("accept", "text/html").send().await.unwrap();
    assert_eq!((v2.status().as_u16(), v2.headers()["location"].to_str().unwrap()), (307, "/runs"));
    // A decoded path is escaped again for the Location header.
    let v2 = client.get(format!("{root}/v2/caf%C3%A9%20x")).header("accept", "text/html").send().await.unwrap();
    assert_eq!((v2.status().as_u16(), v2.headers()["location"].to_str().unwrap()), (307, "/caf%C3%A9%20x"));
}
