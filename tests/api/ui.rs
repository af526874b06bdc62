//! The built-in pages at `/` and `/ui/`: they list what the API's own
//! queries answer, render each artifact type, escape and sanitise what they
//! show, and go away with `--no-ui`.

use serde_json::json;

use crate::helpers::{spawn_app_configured, spawn_app_with, temp_fixture, TestApp};

fn demo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.json")
}

async fn page(app: &TestApp, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let root = app.base.trim_end_matches("/api");
    let resp = app.client.get(format!("{root}{path}")).send().await.expect("answered");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.expect("body"), headers)
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

#[tokio::test]
async fn index_lists_the_latest_of_every_key_newest_first() {
    let app = spawn_app_with(vec![demo()]).await;
    let latest = app.latest_rows(json!({ "sort": "UPDATED_DESC" })).await;
    let (status, html, headers) = page(&app, "/").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(headers["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    assert_eq!(count(&html, "<article"), latest.len());
    // Same order as the API's UPDATED_DESC answer.
    let mut at = 0;
    for row in &latest {
        let needle = format!("data-id=\"{}\"", row["latest_id"].as_str().unwrap());
        let pos = html[at..].find(&needle).unwrap_or_else(|| panic!("{needle} missing or out of order"));
        at += pos;
    }
    assert!(!html.contains("<script"), "no scripts on the page");
}

#[tokio::test]
async fn each_type_renders() {
    let app = spawn_app_with(vec![demo()]).await;
    let (_, html, _) = page(&app, "/").await;
    // table from a list of rows and from a dict of columns
    assert!(html.contains("<th>channel</th>") && html.contains("<td>mobile</td>"), "rows table");
    assert!(html.contains("<th>region</th>") && html.contains("<td>EMEA</td>"), "columns table");
    // markdown, link, image, progress
    assert!(html.contains("<h1>Weekly report 2024-W23</h1>"));
    assert!(html.contains("href=\"https://warehouse.example.com/dashboards/loads?date=2024-06-03\""));
    assert!(html.contains("<img src=\"https://charts.example.com/revenue/2024-W23.png\""));
    assert!(html.contains("<progress max=100 value=\"100\">") && html.contains("100%"));
    // flow, flow run with state, task run
    assert!(html.contains("weekly-report-2024-W23 <span class=\"state completed\">Completed</span>"));
}

#[tokio::test]
async fn paging_search_and_filters_use_the_api_queries() {
    let app = spawn_app_with(vec![demo()]).await;
    let total = app.latest_rows(json!({})).await.len();
    let (_, p1, _) = page(&app, "/?per=3").await;
    let (_, p2, _) = page(&app, "/?per=3&page=2").await;
    assert_eq!(count(&p1, "<article"), 3);
    assert_eq!(count(&p2, "<article"), 3);
    assert!(p1.contains(&format!("1–3 of <span class=total>{total}</span>")));
    assert!(p2.contains("rel=next") && p2.contains("rel=prev"));
    assert!(p1.contains("href=\"/?per=3&amp;page=2\""));

    let like = app.latest_rows(json!({ "artifacts": { "key": { "like_": "weekly" } } })).await;
    let (_, html, _) = page(&app, "/?q=weekly").await;
    assert_eq!(count(&html, "<article"), like.len());
    assert!(like.len() >= 2);

    let by_flow = app.latest_rows(json!({ "flows": { "name": { "any_": ["nightly-etl"] } } })).await;
    let (_, html, _) = page(&app, "/?flow=nightly-etl").await;
    assert_eq!(count(&html, "<article"), by_flow.len());
    assert!(html.contains("<option value=\"nightly-etl\" selected>"));

    let failed = app.latest_rows(json!({ "flow_runs": { "state": { "type": { "any_": ["FAILED"] } } } })).await;
    let (_, html, _) = page(&app, "/?state=FAILED").await;
    assert_eq!(count(&html, "<article"), failed.len());

    let tables = app.latest_rows(json!({ "artifacts": { "type": { "any_": ["table"] } } })).await;
    let (_, html, _) = page(&app, "/?type=table").await;
    assert_eq!(count(&html, "<article"), tables.len());
    assert_eq!(tables.len(), 2);

    let (status, html, _) = page(&app, "/?state=NOPE").await;
    assert_eq!(status, 400, "{html}");
}

#[tokio::test]
async fn keyless_tab_key_history_and_artifact_pages() {
    let app = spawn_app_with(vec![demo()]).await;
    let keyless = app.post("/artifacts/count", json!({ "artifacts": { "key": { "exists_": false } } })).await.json();
    let (_, html, _) = page(&app, "/?tab=keyless").await;
    assert_eq!(count(&html, "<article") as u64, keyless.as_u64().unwrap());
    assert!(html.contains("(no key)"));

    let versions = app
        .post("/artifacts/filter", json!({ "artifacts": { "key": { "any_": ["weekly-report"] } }, "sort": "CREATED_DESC" }))
        .await
        .json();
    let versions = versions.as_array().unwrap();
    let (status, html, _) = page(&app, "/ui/keys/weekly-report").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "<article"), versions.len());
    let first = html.find(&format!("data-id=\"{}\"", versions[0]["id"].as_str().unwrap())).unwrap();
    let last = html.find(&format!("data-id=\"{}\"", versions.last().unwrap()["id"].as_str().unwrap())).unwrap();
    assert!(first < last, "newest first");

    let id = versions[0]["id"].as_str().unwrap();
    let (status, html, _) = page(&app, &format!("/ui/artifacts/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("weekly-report") && html.contains(id));

    assert_eq!(page(&app, "/ui/keys/no-such-key").await.0, 404);
    assert_eq!(page(&app, "/ui/artifacts/00000000-0000-0000-0000-000000000000").await.0, 404);
}

#[tokio::test]
async fn hostile_content_is_escaped_and_sanitised() {
    let app = spawn_app_with(vec![]).await;
    let evil = "# Evil\n<script>document.title='pwned'</script><img src=x onerror=\"alert(1)\">\
                [click](javascript:alert(1)) <a href=\"#\" onclick=\"alert(1)\">x</a>";
    app.create(json!({ "key": "evil", "type": "markdown", "data": evil,
                       "description": "<b onmouseover=alert(1)>d</b>" })).await;
    app.create(json!({ "key": "evil-json", "type": "<svg onload=alert(1)>", "data": {"<script>": "</pre><script>x</script>"} })).await;
    app.create(json!({ "key": "evil-table", "type": "table", "data": "[{\"<i>h</i>\": \"<script>c</script>\"}]" })).await;
    for path in ["/", "/ui/keys/evil", "/ui/keys/evil-json", "/ui/keys/evil-table"] {
        let (status, html, _) = page(&app, path).await;
        assert_eq!(status, 200);
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{path}: {html}");
        assert!(!lower.contains("<svg"), "{path}");
        // Escaped text has no `<`: every tag on the page is a real one, and
        // none carries an event handler or a javascript: URL.
        for tag in lower.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
            // Quoted values cannot hold a raw `"` (it is escaped): drop them.
            let names: String = tag.split('"').step_by(2).collect::<Vec<_>>().join(" ");
            let handler = names.split_whitespace().skip(1).any(|attr| attr.starts_with("on"));
            assert!(!handler, "{path}: event handler in <{tag}>");
            assert!(!tag.contains("javascript:"), "{path}: <{tag}>");
        }
    }
    let (_, html, _) = page(&app, "/ui/keys/evil").await;
    assert!(html.contains("<h1>Evil</h1>"), "markdown still renders");
    let (_, html, _) = page(&app, "/ui/keys/evil-table").await;
    assert!(html.contains("<th>&lt;i&gt;h&lt;/i&gt;</th>") && html.contains("<td>&lt;script&gt;c&lt;/script&gt;</td>"));
}

#[tokio::test]
async fn no_ui_leaves_the_usual_404_and_auth_covers_the_pages() {
    let app = spawn_app_configured(|s| s.ui = false).await;
    let (status, body, _) = page(&app, "/").await;
    assert_eq!(status, 404);
    assert_eq!(body, r#"{"detail":"Not Found"}"#);
    assert_eq!(page(&app, "/ui/keys/x").await.0, 404);

    let app = spawn_app_configured(|s| s.access.auth_string = Some("u:p".into())).await;
    let (status, _, headers) = page(&app, "/").await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    let root = app.base.trim_end_matches("/api");
    let ok = app.client.get(format!("{root}/")).basic_auth("u", Some("p")).send().await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

#[tokio::test]
async fn fixture_with_many_keys_pages_through_all_of_them() {
    let artifacts: Vec<_> = (0..30)
        .map(|i| json!({ "id": format!("00000000-0000-4000-8000-{i:012}"), "key": format!("k-{i:02}"),
                         "type": "markdown", "data": format!("v{i}"),
                         "created": format!("2024-01-01T00:00:{i:02}Z"), "updated": format!("2024-01-01T00:00:{i:02}Z") }))
        .collect();
    let (_dir, path) = temp_fixture(&json!({ "artifacts": artifacts }));
    let app = spawn_app_with(vec![path]).await;
    let mut seen = Vec::new();
    for p in 1..=3 {
        let (_, html, _) = page(&app, &format!("/?page={p}")).await;
        for part in html.split("class=key href=\"/ui/keys/").skip(1) {
            seen.push(part.split('"').next().unwrap().to_string());
        }
    }
    let want: Vec<String> = (0..30).rev().map(|i| format!("k-{i:02}")).collect();
    assert_eq!(seen, want, "24 on the first page, 6 on the second, newest first");
}

/// `piece(i)` for i = 0, 1, ... joined until at least `n` characters.
fn upto(n: usize, piece: impl Fn(usize) -> String) -> String {
    let mut out = String::new();
    let mut i = 0;
    while out.len() < n {
        out.push_str(&piece(i));
        i += 1;
    }
    out
}

/// Pathological artifacts (issue 11): (key, type, data, what the page must
/// show when it renders rather than refuses; None when it must refuse).
fn bombs() -> Vec<(&'static str, &'static str, serde_json::Value, Option<&'static str>)> {
    let n = 200_000;
    let small = 60_000; // under the 64 KiB markdown cap, so the other caps decide
    let rows: Vec<_> = (0..50_000).map(|i| json!({ "a": i, "b": "xxxxxxxxxxxxxxxxxxxx" })).collect();
    let some_rows: Vec<_> = (0..5_000).map(|i| json!({ "a": i, "b": "x" })).collect();
    let wide: Vec<_> = (0..20_000).map(|i| json!({ format!("k{i}"): i })).collect();
    vec![
        ("quote", "markdown", json!("> ".repeat(n / 2)), None),
        ("quote-small", "markdown", json!("> ".repeat(small / 2)), None),
        ("list-inline", "markdown", json!("1. ".repeat(n / 3)), None),
        ("list-inline-small", "markdown", json!("1. ".repeat(small / 3)), None),
        ("list-indent-small", "markdown", json!(upto(small, |d| format!("{}- a\n", "  ".repeat(d)))), None),
        ("emphasis", "markdown", json!(upto(n, |i| if i % 2 == 0 { "*a **a ***a ".into() } else { "_a __a ".into() })), None),
        ("emphasis-small", "markdown", json!(upto(small, |i| if i % 2 == 0 { "*a **a ***a ".into() } else { "_a __a ".into() })), Some("*a **a")),
        ("brackets", "markdown", json!("[".repeat(n)), None),
        ("brackets-small", "markdown", json!("[".repeat(small)), Some("[[[[[[[[")),
        ("link-refs-small", "markdown", json!(upto(small, |i| format!("[r{i}]: http://e.x/{i}\n")) + "\n[r1] [r2]"), Some("href=\"http://e.x/2\"")),
        ("html-divs", "markdown", json!("<div>".repeat(small / 5)), None),
        ("md-table-small", "markdown", json!(upto(small, |i| if i == 0 { "|a|b|\n|-|-|\n".into() } else { "|x|y|\n".into() })), None),
        ("md-huge", "markdown", json!(upto(3_000_000, |i| format!("Paragraph {i} with *some* text.\n\n"))), None),
        ("table-rows", "table", json!(serde_json::to_string(&rows).unwrap()), None),
        ("table-some-rows", "table", json!(serde_json::to_string(&some_rows).unwrap()), Some("4500 more rows")),
        ("table-wide", "table", json!(serde_json::to_string(&wide).unwrap()), None),
    ]
}

#[tokio::test]
async fn bomb_pages_answer_with_their_content_or_the_too_large_notice() {
    let app = spawn_app_with(vec![]).await;
    let mut ids = Vec::new();
    for (key, kind, data, _) in bombs() {
        ids.push(app.create(json!({ "key": format!("bomb-{key}"), "type": kind, "data": data })).await["id"].clone());
    }
    for ((key, _, _, shows), id) in bombs().into_iter().zip(&ids) {
        let id = id.as_str().unwrap();
        let (status, html, _) = page(&app, &format!("/ui/artifacts/{id}")).await;
        assert_eq!(status, 200, "{key}");
        let notice = html.contains("Too large to render here");
        match shows {
            Some(content) => assert!(!notice && html.contains(content), "{key} renders {content:?}"),
            None => {
                assert!(notice, "{key} is refused");
                assert!(html.contains(&format!("<a href=\"/api/artifacts/{id}\">open raw</a>")), "{key}");
            }
        }
    }
    // Every bomb on one list page: bounded per page as well.
    let (status, html, _) = page(&app, "/?q=bomb&per=200").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, "<article"), ids.len());
    assert!(count(&html, "Too large to render here") >= 11, "{}", count(&html, "Too large to render here"));
}

#[tokio::test]
async fn api_reads_are_answered_while_bomb_pages_load() {
    let app = spawn_app_with(vec![demo()]).await;
    let mut paths = vec!["/?q=bomb".to_string()];
    for (key, kind, data, _) in bombs().into_iter().filter(|b| ["quote", "emphasis-small", "brackets-small", "md-table-small"].contains(&b.0)) {
        let id = app.create(json!({ "key": format!("bomb-{key}"), "type": kind, "data": data })).await["id"].clone();
        paths.push(format!("/ui/artifacts/{}", id.as_str().unwrap()));
    }
    let root = app.base.trim_end_matches("/api").to_string();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut loaders = Vec::new();
    for i in 0..8 {
        let (client, root, paths, stop) = (app.client.clone(), root.clone(), paths.clone(), stop.clone());
        loaders.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            let mut n = i;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || statuses.is_empty() {
                let r = client.get(format!("{root}{}", paths[n % paths.len()])).send().await.expect("page answered");
                statuses.push(r.status().as_u16());
                let _ = r.bytes().await;
                n += 1;
            }
            statuses
        }));
    }
    // The pages are in flight (or queued for a render turn): reads still go.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let reads = async {
        let mut answered = 0;
        for _ in 0..50 {
            let r = app.post("/artifacts/latest/filter", json!({})).await;
            assert_eq!(r.status, 200, "{}", r.text);
            answered += 1;
        }
        answered
    };
    let answered = tokio::time::timeout(std::time::Duration::from_secs(10), reads).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(answered.ok(), Some(50), "50 API reads answered within 10 s while 8 bomb pages load");
    for l in loaders {
        let statuses = l.await.expect("loader");
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
}
