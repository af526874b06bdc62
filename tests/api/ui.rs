//! The built-in pages at `/` and `/ui/`: they list what the API's own
//! queries answer, render each artifact type, escape and sanitise what they
//! show, and go away with `--no-ui`.

use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_configured, spawn_app_with, temp_fixture, TestApp};

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
    assert!(html.contains("<th scope=\"col\">channel</th>") && html.contains("<td>mobile</td>"), "rows table");
    assert!(html.contains("<th scope=\"col\">region</th>") && html.contains("<td>EMEA</td>"), "columns table");
    assert!(html.contains("<td class=\"num\">"), "numbers are right-aligned cells");
    // markdown, link, image, progress
    // (markdown headings sit two levels under the page's h1 and the card's h2)
    assert!(html.contains("<h3>Weekly report 2024-W23</h3>"));
    assert!(html.contains("href=\"https://warehouse.example.com/dashboards/loads?date=2024-06-03\""));
    // the demo's images are data: URIs (no network), alt text from the description
    assert!(html.contains("<img src=\"data:image/svg+xml;base64,"), "data: image");
    assert!(html.contains("alt=\"Revenue chart for 2024-W23\""));
    assert!(html.contains("<progress max=\"100\" value=\"100\">") && html.contains("100%"));
    // flow, flow run with state, task run
    assert!(html.contains(">weekly-report-2024-W23</a> <span class=\"state completed\">Completed</span>"));
}

#[tokio::test]
async fn paging_search_and_filters_use_the_api_queries() {
    let app = spawn_app_with(vec![demo()]).await;
    let total = app.latest_rows(json!({})).await.len();
    let (_, p1, _) = page(&app, "/?per=3").await;
    let (_, p2, _) = page(&app, "/?per=3&page=2").await;
    assert_eq!(count(&p1, "<article"), 3);
    assert_eq!(count(&p2, "<article"), 3);
    assert!(p1.contains(&format!("1–3 of <span class=\"total\">{total}</span>")));
    assert!(p2.contains("rel=\"next\"") && p2.contains("rel=\"prev\""));
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
    assert!(html.contains("There is no flow run state &quot;NOPE&quot;"), "{html}");
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
    assert!(html.contains("<h3>Evil</h3>"), "markdown still renders");
    let (_, html, _) = page(&app, "/ui/keys/evil-table").await;
    assert!(html.contains("<th scope=\"col\">&lt;i&gt;h&lt;/i&gt;</th>") && html.contains("<td>&lt;script&gt;c&lt;/script&gt;</td>"));
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
    for p in 1..=2 {
        let (_, html, _) = page(&app, &format!("/?page={p}")).await;
        for part in html.split("class=\"key\" href=\"/ui/keys/").skip(1) {
            seen.push(part.split('"').next().unwrap().to_string());
        }
    }
    let want: Vec<String> = (0..30).rev().map(|i| format!("k-{i:02}")).collect();
    assert_eq!(seen, want, "24 on the first page, 6 on the second, newest first");
    let (_, past, _) = page(&app, "/?page=3").await;
    assert!(past.contains("Page 2 of 2") && past.contains("k-00"), "page 3 of 2 is the last page");
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
        ("table-some-rows", "table", json!(serde_json::to_string(&some_rows).unwrap()), Some("Rows 1–500 of 5000")),
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

/// Every `href="..."` on a page whose target starts with `prefix`.
fn hrefs(html: &str, prefix: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// The `datetime` of each `<time>` in `html`, in order.
fn datetimes(html: &str) -> Vec<String> {
    html.split("<time datetime=\"").skip(1).filter_map(|s| s.split('"').next()).map(String::from).collect()
}

/// The HTML of the card whose artifact is `id`.
fn card_of<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html.find(&format!("data-id=\"{id}\"")).unwrap_or_else(|| panic!("card {id}"));
    let end = html[at..].find("</article>").map(|e| at + e).unwrap_or(html.len());
    &html[at..end]
}

#[tokio::test]
async fn flow_and_run_names_link_to_their_artifacts() {
    let app = spawn_app_with(vec![demo()]).await;
    let (_, html, _) = page(&app, "/").await;
    // Flow: the index filtered by it, which lists what the API's filter lists.
    let flows = hrefs(&html, "/?flow=");
    assert!(flows.contains(&"/?flow=weekly-report".to_string()), "{flows:?}");
    let (_, filtered, _) = page(&app, "/?flow=weekly-report").await;
    let want = app.latest_rows(json!({ "flows": { "name": { "any_": ["weekly-report"] } } })).await.len();
    assert_eq!(count(&filtered, "<article"), want);

    // Flow run: a page of that run's artifacts, keyless ones too.
    let runs = hrefs(&html, "/ui/flow-runs/");
    assert!(!runs.is_empty());
    let mut saw_keyless = false;
    for link in runs.iter().take(6) {
        let id = link.trim_start_matches("/ui/flow-runs/");
        let (status, run_html, _) = page(&app, link).await;
        assert_eq!(status, 200, "{link}");
        let n = app.post("/artifacts/count", json!({ "artifacts": { "flow_run_id": { "any_": [id] } } })).await.json();
        assert_eq!(count(&run_html, "<article") as u64, n.as_u64().unwrap().min(24), "{link}");
        let run = app.get(&format!("/flow_runs/{id}")).await.json();
        assert!(run_html.contains(&format!("<h1>Flow run <span class=\"run-name\" title=\"{0}\">{0}</span></h1>", run["name"].as_str().unwrap())));
        assert!(run_html.contains(&format!(">{}</span>", run["state_name"].as_str().unwrap())), "state");
        assert!(!run_html.contains("/runs/flow-run/"), "no Prefect UI, no link to it");
        saw_keyless |= run_html.contains("(no key)");
    }
    // One of weekly-report's runs has keyless (link) artifacts.
    let keyless = app.post("/artifacts/filter", json!({ "artifacts": { "key": { "exists_": false } } })).await.json();
    let keyless: Vec<_> = keyless.as_array().unwrap().iter().filter(|a| a["flow_run_id"].is_string()).cloned().collect();
    let run_id = keyless[0]["flow_run_id"].as_str().unwrap();
    let (_, run_html, _) = page(&app, &format!("/ui/flow-runs/{run_id}")).await;
    assert!(saw_keyless || run_html.contains("(no key)"), "keyless artifacts are listed on their run's page");
    assert!(run_html.contains(&format!("data-id=\"{}\"", keyless[0]["id"].as_str().unwrap())));

    // Task run: its artifacts, and a link to its flow run.
    let tasks = hrefs(&html, "/ui/task-runs/");
    let id = tasks[0].trim_start_matches("/ui/task-runs/");
    let (status, task_html, _) = page(&app, &tasks[0]).await;
    assert_eq!(status, 200);
    let n = app.post("/artifacts/count", json!({ "artifacts": { "task_run_id": { "any_": [id] } } })).await.json();
    assert_eq!(count(&task_html, "<article") as u64, n.as_u64().unwrap());
    let task = app.get(&format!("/task_runs/{id}")).await.json();
    assert!(task_html.contains(&format!("href=\"/ui/flow-runs/{}\"", task["flow_run_id"].as_str().unwrap())));
    assert!(task_html.contains("<h1>Task run "));

    // Unknown runs: 404 pages.
    assert_eq!(page(&app, "/ui/flow-runs/00000000-0000-0000-0000-000000000000").await.0, 404);
    assert_eq!(page(&app, "/ui/task-runs/00000000-0000-0000-0000-000000000000").await.0, 404);
    assert_eq!(page(&app, "/ui/flow-runs/not-a-uuid").await.0, 404);
}

#[tokio::test]
async fn versions_breadcrumb_and_newer_older_links() {
    let app = spawn_app_with(vec![demo()]).await;
    let versions = app
        .post("/artifacts/filter", json!({ "artifacts": { "key": { "any_": ["weekly-report"] } }, "sort": "CREATED_DESC" }))
        .await
        .json();
    let versions = versions.as_array().unwrap();
    let n = versions.len();
    assert!(n >= 2, "the demo has several versions of weekly-report");
    for (i, v) in versions.iter().enumerate() {
        let number = n - i;
        let id = v["id"].as_str().unwrap();
        let (status, html, _) = page(&app, &format!("/ui/artifacts/{id}")).await;
        assert_eq!(status, 200);
        let label = if i == 0 { format!("v{number} of {n} (latest)") } else { format!("v{number} of {n}") };
        let crumbs = format!(
            "<a href=\"/\" title=\"Artifacts\">Artifacts</a><span class=\"sep\" aria-hidden=\"true\"> › </span></li>\
             <li><a href=\"/ui/keys/weekly-report\" title=\"weekly-report\">weekly-report</a><span class=\"sep\" aria-hidden=\"true\"> › </span></li>\
             <li aria-current=\"page\" title=\"{label}\">{label}</li>"
        );
        assert!(html.contains(&crumbs), "{label}: {html}");
        let newer = (i > 0).then(|| versions[i - 1]["id"].as_str().unwrap());
        let older = versions.get(i + 1).map(|o| o["id"].as_str().unwrap());
        match newer {
            Some(x) => assert!(html.contains(&format!("<a rel=\"next\" href=\"/ui/artifacts/{x}\">← Newer version</a>"))),
            None => assert!(html.contains("<span class=\"off\">← Newer version</span>")),
        }
        match older {
            Some(x) => assert!(html.contains(&format!("<a rel=\"prev\" href=\"/ui/artifacts/{x}\">Older version →</a>"))),
            None => assert!(html.contains("<span class=\"off\">Older version →</span>")),
        }
        // The artifact's own times.
        assert_eq!(datetimes(&html), vec![v["created"].as_str().unwrap().to_string(), v["updated"].as_str().unwrap().to_string()]);
    }
    // The key page numbers its versions newest first.
    let (_, html, _) = page(&app, "/ui/keys/weekly-report").await;
    assert!(html.contains(&format!(">v{n} of {n} (latest)</a></h2>")) && html.contains(&format!(">v1 of {n}</a></h2>")));
    let (_, html, _) = page(&app, "/ui/keys/weekly-report?per=1&page=2").await;
    assert!(html.contains(&format!(">v{} of {n}</a></h2>", n - 1)), "paged numbering");
    // A keyless artifact: its own breadcrumb.
    let keyless = app.post("/artifacts/filter", json!({ "artifacts": { "key": { "exists_": false } }, "limit": 1 })).await.json();
    let id = keyless[0]["id"].as_str().unwrap();
    let (_, html, _) = page(&app, &format!("/ui/artifacts/{id}")).await;
    assert!(html.contains("href=\"/?tab=keyless\" title=\"Keyless\">Keyless</a>") && html.contains("<h1>Keyless artifact</h1>"));
}

#[tokio::test]
async fn home_cards_show_the_latest_versions_times_and_the_version_count() {
    let app = spawn_app_with(vec![demo()]).await;
    let (_, html, _) = page(&app, "/").await;
    for row in app.latest_rows(json!({})).await {
        let latest_id = row["latest_id"].as_str().unwrap();
        let key = row["key"].as_str().unwrap();
        let latest = app.get(&format!("/artifacts/{latest_id}")).await.json();
        let card = card_of(&html, latest_id);
        let times = datetimes(card);
        assert_eq!(times, vec![latest["created"].as_str().unwrap().to_string(), latest["updated"].as_str().unwrap().to_string()], "{key}");
        let n = app.post("/artifacts/count", json!({ "artifacts": { "key": { "any_": [key] } } })).await.json().as_u64().unwrap();
        let label = if n == 1 { "1 version".to_string() } else { format!("{n} versions") };
        assert!(card.contains(&format!("class=\"versions\" href=\"/ui/keys/{key}\">{label}</a>")), "{key}: {card}");
    }
    // The demo has a key with several versions whose first creation differs
    // from its latest's: the card shows the latest's.
    let row = app.latest_rows(json!({ "artifacts": { "key": { "any_": ["weekly-report"] } } })).await.remove(0);
    assert_ne!(row["created"], app.get(&format!("/artifacts/{}", row["latest_id"].as_str().unwrap())).await.json()["created"]);
    // Relative times, absolute in the title.
    assert!(html.contains(" ago</time>") && html.contains(" UTC\">"));
}

#[tokio::test]
async fn bad_filters_explain_themselves_and_keep_the_form() {
    let app = spawn_app_with(vec![demo()]).await;
    for (path, says) in [
        ("/?state=BOGUS", "There is no flow run state &quot;BOGUS&quot;"),
        ("/?type=nope", "There is no artifact type &quot;nope&quot;"),
        ("/?page=abc", "The page number &quot;abc&quot; is not a whole number"),
        ("/?page=-3&q=weekly", "The page number &quot;-3&quot;"),
        ("/?tab=keyless&per=lots", "&quot;lots&quot; is not a number"),
    ] {
        let (status, html, _) = page(&app, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains(says), "{path}: {html}");
        assert!(html.contains("<form class=\"filters\""), "{path}: the form stays");
        assert!(html.contains("clear the filters</a>"), "{path}");
        for debug in ["ErrorItem", "Loc {", "Some(", "kind:"] {
            assert!(!html.contains(debug), "{path}: {debug}");
        }
        assert_eq!(count(&html, "<h1"), 1);
    }
    // The rest of a bad query is kept in the form.
    let (_, html, _) = page(&app, "/?page=-3&q=weekly").await;
    assert!(html.contains("name=\"q\" value=\"weekly\""));
}

#[tokio::test]
async fn a_page_past_the_end_is_the_last_page() {
    let app = spawn_app_with(vec![demo()]).await;
    let total = app.latest_rows(json!({})).await.len();
    let last = total.div_ceil(3);
    let (status, html, _) = page(&app, "/?per=3&page=99").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Page {last} of {last}")), "{html}");
    assert_eq!(count(&html, "<article"), total - (last - 1) * 3);
    let (_, html, _) = page(&app, "/ui/keys/weekly-report?page=1000000").await;
    assert!(html.contains("<article"), "a key's last page");
    let (_, html, _) = page(&app, "/?page=1099511627775").await;
    assert!(html.contains("<article"), "the largest page number too");
}

#[tokio::test]
async fn empty_database_and_no_matches_say_what_to_do() {
    let app = spawn_app().await;
    let (status, html, _) = page(&app, "/").await;
    assert_eq!(status, 200);
    let port = app.base.trim_start_matches("http://127.0.0.1:").trim_end_matches("/api");
    assert!(html.contains(&format!("PREFECT_API_URL=http://127.0.0.1:{port}/api")), "{html}");
    assert!(html.contains("--fixtures"), "{html}");
    // The Host the browser used, escaped.
    let root = app.base.trim_end_matches("/api");
    let r = app.client.get(format!("{root}/")).header("host", "demo.local:4200").send().await.unwrap();
    assert!(r.text().await.unwrap().contains("PREFECT_API_URL=http://demo.local:4200/api"));
    let r = app.client.get(format!("{root}/")).header("host", "<b>").send().await.unwrap();
    assert!(!r.text().await.unwrap().contains("<b>"));

    let app = spawn_app_with(vec![demo()]).await;
    let (status, html, _) = page(&app, "/?q=no-such-thing-at-all").await;
    assert_eq!(status, 200);
    assert!(html.contains("No artifacts match these filters."));
    assert!(html.contains("<a class=\"clear\" href=\"/\">Clear the filters</a>"));
    let (_, html, _) = page(&app, "/?tab=keyless&type=progress").await;
    assert!(html.contains("<a class=\"clear\" href=\"/?tab=keyless\">Clear the filters</a>"), "{html}");
}

#[tokio::test]
async fn accessibility_basics_on_every_page() {
    let app = spawn_app_with(vec![demo()]).await;
    let (_, index, _) = page(&app, "/").await;
    let artifact = hrefs(&index, "/ui/artifacts/")[0].clone();
    let run = hrefs(&index, "/ui/flow-runs/")[0].clone();
    let task = hrefs(&index, "/ui/task-runs/")[0].clone();
    for path in ["/", "/?tab=keyless", "/ui/keys/weekly-report", artifact.as_str(), run.as_str(), task.as_str(), "/?state=NOPE", "/ui/keys/nope"] {
        let (_, html, _) = page(&app, path).await;
        assert_eq!(count(&html, "<h1"), 1, "{path}: one h1");
        assert!(!html.contains(">open</a>"), "{path}: no bare 'open' links");
        assert!(!html.contains("alt=\"image\""), "{path}");
        if html.contains("<article") && !path.starts_with("/ui/artifacts/") {
            assert_eq!(count(&html, "<article"), count(&html, "<h2 class=\"key\""), "{path}: each card's title is a heading");
        }
        // Every card's view link names what it opens.
        for part in html.split("<a class=\"open\" ").skip(1) {
            let tag = part.split('>').next().unwrap();
            assert!(tag.contains("aria-label=\"View ") || tag.contains("/api/artifacts/"), "{path}: {tag}");
        }
    }
    // Control borders: the contrast the stylesheet states.
    assert!(index.contains("--control:#767f8f"));
    assert!(index.contains("border:1px solid var(--control)"));
}

#[tokio::test]
async fn long_tables_are_paged_on_the_artifact_page() {
    let app = spawn_app().await;
    let rows: Vec<_> = (0..1234).map(|i| json!({ "n": i, "name": format!("row {i}") })).collect();
    let a = app.create(json!({ "key": "long-table", "type": "table", "data": serde_json::to_string(&rows).unwrap() })).await;
    let id = a["id"].as_str().unwrap();
    let (_, html, _) = page(&app, &format!("/ui/artifacts/{id}")).await;
    assert_eq!(count(&html, "<tr>") - 1, 500);
    assert!(html.contains("Rows 1–500 of 1234") && html.contains(&format!("href=\"/ui/artifacts/{id}?rows=500\"")));
    let (_, html, _) = page(&app, &format!("/ui/artifacts/{id}?rows=1000")).await;
    assert_eq!(count(&html, "<tr>") - 1, 234);
    assert!(html.contains("<td class=\"num\">1000</td>") && html.contains("<td class=\"num\">1233</td>"));
    assert!(html.contains(&format!("rel=\"prev\" href=\"/ui/artifacts/{id}?rows=500\"")) && !html.contains("rel=\"next\" href=\"/ui/artifacts/"));
    for rows in ["99999999999", "18446744073709551615"] {
        let (status, html, _) = page(&app, &format!("/ui/artifacts/{id}?rows={rows}")).await;
        assert_eq!(status, 200, "{rows}");
        assert_eq!(count(&html, "<td"), 0);
    }
    let (_, html, _) = page(&app, &format!("/ui/artifacts/{id}?rows=99999999999")).await;
    assert!(html.contains("<thead><tr><th scope=\"col\">n</th>"), "a header to stick");
}

#[tokio::test]
async fn hostile_names_on_run_pages_are_escaped() {
    let app = spawn_app().await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    // Flow names may not hold `<`, `>`, `&`, `/` or `%`: a quote instead.
    let flow = app.post("/flows/", json!({ "name": "f\" onmouseover=\"alert(1)" })).await.json();
    let run = app.post("/flow_runs/", json!({ "flow_id": flow["id"], "name": evil })).await.json();
    let run_id = run["id"].as_str().unwrap();
    let task = app
        .post("/task_runs/", json!({ "flow_run_id": run_id, "task_key": "k", "dynamic_key": "0", "name": evil }))
        .await
        .json();
    let task_id = task["id"].as_str().unwrap();
    app.create(json!({ "key": "k-evil", "type": "markdown", "data": "[x](javascript:alert(1))",
                       "description": evil, "flow_run_id": run_id, "task_run_id": task_id })).await;
    app.create(json!({ "type": "image", "data": "javascript:alert(1)", "description": "\" onerror=\"alert(1)",
                       "flow_run_id": run_id })).await;
    for path in ["/".to_string(), format!("/ui/flow-runs/{run_id}"), format!("/ui/task-runs/{task_id}"), "/?tab=keyless".to_string()] {
        let (status, html, _) = page(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("<img src=x"), "{path}: {html}");
        assert!(!lower.contains("=\"javascript:") && !lower.contains("=javascript:"), "{path}: a javascript: URL in an attribute");
        assert!(!lower.contains("\" onerror="), "{path}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{path}: shown as text");
        assert!(!lower.contains("\" onmouseover="), "{path}");
    }
}

/// The pages served under `/artifactd`, as `--prefect-ui` mounts them: a
/// server with the `Mount` app data and the page patterns prefixed.
async fn spawn_mounted(fixtures: Vec<std::path::PathBuf>) -> (TestApp, String) {
    use actix_web::{web, App, HttpServer};
    let app = spawn_app_with(fixtures).await;
    let db = app.db.clone();
    let mount = artifactd::ui::Mount { base: "/artifactd".into(), prefect_ui: true };
    let limits = artifactd::routes::body::RequestLimits {
        body_limit: 1 << 20,
        body_timeout: std::time::Duration::from_secs(30),
        ws_auth_grace: std::time::Duration::from_secs(5),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let mut pages = artifactd::routes::ui::endpoints();
        for p in &mut pages {
            p.pattern = format!("/artifactd{}", p.pattern);
        }
        let (db, mount) = (db.clone(), mount.clone());
        App::new().app_data(web::Data::new(mount)).configure(move |c| {
            artifactd::startup::create_app(c, db, limits, Default::default(), pages)
        })
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (app, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn under_a_mount_every_link_stays_under_it_and_prefect_run_pages_are_linked() {
    let (app, root) = spawn_mounted(vec![demo()]).await;
    let get = |path: String| {
        let client = app.client.clone();
        async move {
            let r = client.get(path).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, html) = get(format!("{root}/artifactd/")).await;
    assert_eq!(status, 200, "{html}");
    let links = hrefs(&html, "/");
    for l in &links {
        let ok = l.starts_with("/artifactd/") || l.starts_with("/api/") || l == "/" || l.starts_with("/runs/");
        assert!(ok, "{l}");
    }
    assert!(html.contains("action=\"/artifactd/\""));
    assert!(links.iter().any(|l| l.starts_with("/artifactd/?flow=")));
    assert!(links.iter().any(|l| l.starts_with("/runs/flow-run/")), "Prefect's flow run page");
    assert!(links.iter().any(|l| l.starts_with("/runs/task-run/")), "Prefect's task run page");
    assert!(html.contains("aria-label=\"Flow run weekly-report-2024-W23 in Prefect&#39;s UI\"") || html.contains("in Prefect's UI\""));
    // Every built-in link answers under the mount.
    for l in links.iter().filter(|l| l.starts_with("/artifactd/ui/")).take(12) {
        let (status, body) = get(format!("{root}{l}")).await;
        assert_eq!(status, 200, "{l}");
        assert!(!hrefs(&body, "/ui/").iter().any(|x| x.starts_with("/ui/")), "{l}: a link outside the mount");
    }
    let run = hrefs(&html, "/artifactd/ui/flow-runs/")[0].clone();
    let id = run.trim_start_matches("/artifactd/ui/flow-runs/");
    let (_, body) = get(format!("{root}{run}")).await;
    assert!(body.contains(&format!("<a class=\"prefect\" href=\"/runs/flow-run/{id}\">")), "{body}");
    assert_eq!(get(format!("{root}/ui/keys/weekly-report")).await.0, 404, "nothing at the old place");
}
