//! The built-in artifact browser: server-rendered HTML at `/` (the latest
//! artifact of every key, or the keyless artifacts), `/ui/keys/{key}` (a
//! key's versions) and `/ui/artifacts/{id}` (one artifact). No scripts and
//! no external assets; one embedded stylesheet. Every list reads through the
//! same query code as the API: a filter body is parsed by `FilterQuery` and
//! answered by `db::artifacts::filter` / `count`.
//!
//! Everything from the database is escaped; markdown (and link and image
//! artifacts, which the SDK stores as markdown) is rendered and then
//! sanitised by ammonia (no script, no event handlers, no `javascript:`),
//! and the pages carry a Content-Security-Policy that forbids scripts.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::UUID_PATH;
use crate::db::{self, runs::Doc, Db};
use crate::schemas::artifact::ArtifactRow;
use crate::schemas::filters::artifacts::Table;
use crate::schemas::query::{parse_count, FilterQuery};
use crate::schemas::resource_query::{Resource, ResourceQuery};

const CSS: &str = include_str!("../ui/style.css");
const PER_PAGE: i64 = 24;
const MAX_TABLE_ROWS: usize = 500;
const MAX_TABLE_COLS: usize = 64;

// Bounded work per artifact body (issue 11). Beyond these a body is not
// rendered: a notice links to its raw JSON instead. Measured on the 2-core
// VMs: pulldown-cmark parses in linear time (under 20 ms for 64 KiB of any
// input tried), but ammonia's HTML parser costs time per element in
// proportion to its depth (a blockquote 10,000 deep took seconds) and runs
// at only 3 to 5 MB/s on element-dense HTML (a 64 KiB markdown table
// becomes 320 KB of HTML and took 100 ms to sanitise).
/// Markdown source.
const MAX_MARKDOWN: usize = 64 * 1024;
/// HTML made from one markdown body, the input to ammonia.
const MAX_HTML: usize = 256 * 1024;
/// Open elements, one inside the other (a list level is two: `ul`, `li`).
const MAX_DEPTH: usize = 64;
/// A stored body's JSON text, parsed (twice for a table in a string).
const MAX_DATA: usize = 1024 * 1024;
/// Pretty-printed JSON, which indents each line by its depth.
const MAX_PRETTY: usize = 1024 * 1024;
// What all the bodies of one page may spend together (a list shows up to
// 200), so that a page stays near 100 ms at most.
const PAGE_MARKDOWN: usize = 128 * 1024;
const PAGE_HTML: usize = 256 * 1024;
const PAGE_DATA: usize = 2 * 1024 * 1024;
// A list shows each body in a small box, up to 200 of them: smaller caps.
const MAX_LIST_DATA: usize = 64 * 1024;
const PAGE_LIST_DATA: usize = 512 * 1024;
const CSP: &str = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const STATE_TYPES: &[&str] =
    &["COMPLETED", "FAILED", "RUNNING", "PENDING", "SCHEDULED", "CANCELLED", "CANCELLING", "CRASHED", "PAUSED"];
const ARTIFACT_TYPES: &[&str] = &["markdown", "table", "link", "image", "progress", "result"];

/// The pages, registered behind the same gate as the API (`Rule::PAGE`:
/// with an auth string set, the browser is asked for it).
pub fn endpoints() -> Vec<super::Endpoint> {
    use super::{endpoint, Rule};
    use actix_web::http::Method;
    vec![
        endpoint(Method::GET, "/", Rule::PAGE, index),
        endpoint(Method::GET, "/ui/keys/{key}", Rule::PAGE, key_page),
        endpoint(Method::GET, format!("/ui/artifacts/{{id:{UUID_PATH}}}"), Rule::PAGE, artifact_page),
    ]
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

type Query = web::Query<HashMap<String, String>>;

fn page_response(status: actix_web::http::StatusCode, html: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("content-security-policy", CSP))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header(("referrer-policy", "no-referrer"))
        .insert_header(("cache-control", "no-store"))
        .body(html)
}

type Failure = (actix_web::http::StatusCode, String);
type Rendered = Result<String, Failure>;

fn error_page((status, msg): Failure) -> HttpResponse {
    page_response(status, layout("Error", "", &format!("<div class=error>{}</div>", esc(&msg))))
}

/// Renders take turns of their own, about half the cores, so that page
/// views (however many) leave CPU for API reads. A page waits for its turn
/// without a thread, and one whose client leaves while waiting never renders.
async fn render_turn() -> Option<tokio::sync::SemaphorePermit<'static>> {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    TURNS.get_or_init(|| tokio::sync::Semaphore::new((cores / 2).max(1))).acquire().await.ok()
}

/// A page in two steps: `load` reads what the page shows into plain rows,
/// holding a read turn and a reader only for that; `render` then builds the
/// HTML on a blocking thread with the reader back in the pool, so however
/// slow a render is, it never keeps an API read waiting for a reader.
async fn respond<T: Send + 'static>(
    db: web::Data<Db>,
    load: impl FnOnce(&Connection) -> Result<T, Failure> + Send + 'static,
    render: impl FnOnce(T, Budget) -> Rendered + Send + 'static,
) -> HttpResponse {
    let loaded = {
        // Pages wait for a reader in the same queue as API reads.
        let _turn = db.read_turn().await;
        let db = db.clone();
        web::block(move || -> Result<T, Failure> {
            let conn = db.reader().map_err(|e| internal(e.to_string()))?;
            load(&conn)
        })
        .await
    };
    let data = match loaded {
        Ok(Ok(data)) => data,
        Ok(Err(failure)) => return error_page(failure),
        Err(e) => return error_page(internal(e.to_string())),
    };
    let Some(_turn) = render_turn().await else {
        return error_page(internal("the page renderer stopped".into()));
    };
    // A client that leaves makes actix drop this future (the server does
    // not keep half-closed connections, see startup), and the guard with
    // it: the render stops at its next check. A page still waiting for its
    // turn above never renders.
    let cancel = Cancel::default();
    let _stop = cancel.stop_on_drop();
    match web::block(move || render(data, Budget::page(cancel))).await {
        Ok(Ok(html)) => page_response(actix_web::http::StatusCode::OK, html),
        Ok(Err(failure)) => error_page(failure),
        Err(e) => error_page(internal(e.to_string())),
    }
}

/// Set when the page's client has gone; renders check it between pieces.
#[derive(Clone, Default)]
struct Cancel(Arc<AtomicBool>);

struct StopOnDrop(Cancel);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0 .0.store(true, Ordering::Relaxed);
    }
}

impl Cancel {
    fn stop_on_drop(&self) -> StopOnDrop {
        StopOnDrop(self.clone())
    }

    fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// An error to end a render with once the client has gone (nobody
    /// receives it).
    fn check(&self) -> Result<(), Failure> {
        if self.is_set() {
            Err((actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "the client went away".into()))
        } else {
            Ok(())
        }
    }
}

/// What the bodies of one page may still spend (see `PAGE_MARKDOWN`).
struct Budget {
    markdown: usize,
    html: usize,
    data: usize,
    /// The most data one body may have.
    item_data: usize,
    cancel: Cancel,
}

const PAGE_FULL: &str = "this page has rendered as much as it may; open the artifact on its own";

impl Budget {
    fn page(cancel: Cancel) -> Budget {
        Budget { markdown: PAGE_MARKDOWN, html: PAGE_HTML, data: PAGE_DATA, item_data: MAX_DATA, cancel }
    }

    /// The caps of a list page.
    fn list(&mut self) {
        self.item_data = MAX_LIST_DATA;
        self.data = self.data.min(PAGE_LIST_DATA);
    }

    /// Takes `n` from `left` if it has that much.
    fn spend(left: &mut usize, n: usize) -> bool {
        let ok = n <= *left;
        if ok {
            *left -= n;
        }
        ok
    }
}

fn kib(n: usize) -> String {
    format!("{} KiB", n.div_ceil(1024))
}

/// In place of a body beyond the caps.
fn too_large(id: &str, why: &str) -> String {
    format!(
        "<div class=too-large>Too large to render here ({}) — <a href=\"/api/artifacts/{}\">open raw</a></div>",
        esc(why),
        esc(id)
    )
}

fn internal(msg: String) -> (actix_web::http::StatusCode, String) {
    (actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, msg)
}

async fn index(db: web::Data<Db>, q: Query) -> HttpResponse {
    let p = Params::from(q.into_inner());
    let load_p = p.clone();
    respond(db, move |c| load_index(c, &load_p), move |page, mut b| render_index(page, &p, &mut b)).await
}

async fn key_page(
    db: web::Data<Db>,
    key: web::Path<String>,
    q: Query,
) -> HttpResponse {
    let p = Params::from(q.into_inner());
    let key = key.into_inner();
    let (load_key_name, load_p) = (key.clone(), p.clone());
    respond(db, move |c| load_key(c, &load_key_name, &load_p), move |page, mut b| {
        render_key(page, &key, &p, &mut b)
    })
    .await
}

async fn artifact_page(
    db: web::Data<Db>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = super::path_id(&id.into_inner());
    respond(db, move |c| load_artifact(c, &id), |page, mut b| render_artifact(page, &mut b)).await
}

// ---------------------------------------------------------------------------
// Query parameters and the filter bodies built from them
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
struct Params {
    keyless: bool,
    q: Option<String>,
    flow: Option<String>,
    state: Option<String>,
    r#type: Option<String>,
    page: i64,
    per: i64,
}

impl Params {
    fn from(mut m: HashMap<String, String>) -> Params {
        let mut take = |k: &str| m.remove(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let page = take("page").and_then(|v| v.parse::<i64>().ok()).filter(|n| (1..1 << 40).contains(n)).unwrap_or(1);
        let per = take("per").and_then(|v| v.parse::<i64>().ok()).map(|n| n.clamp(1, 200)).unwrap_or(PER_PAGE);
        Params {
            keyless: take("tab").as_deref() == Some("keyless"),
            q: take("q"),
            flow: take("flow"),
            state: take("state").map(|s| s.to_ascii_uppercase()),
            r#type: take("type"),
            page,
            per,
        }
    }

    /// The filter families of the index page, as an API request body.
    fn families(&self) -> Map<String, Value> {
        let mut body = Map::new();
        let mut art = Map::new();
        if self.keyless {
            art.insert("key".into(), json!({ "exists_": false }));
        } else if let Some(q) = &self.q {
            art.insert("key".into(), json!({ "like_": q }));
        }
        if let Some(t) = &self.r#type {
            art.insert("type".into(), json!({ "any_": [t] }));
        }
        if !art.is_empty() {
            body.insert("artifacts".into(), Value::Object(art));
        }
        if let Some(f) = &self.flow {
            body.insert("flows".into(), json!({ "name": { "any_": [f] } }));
        }
        if let Some(s) = &self.state {
            body.insert("flow_runs".into(), json!({ "state": { "type": { "any_": [s] } } }));
        }
        body
    }

    /// This page's query string with some parameters replaced.
    fn link(&self, path: &str, page: i64) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if self.keyless {
            parts.push(("tab", "keyless".into()));
        }
        for (k, v) in [("q", &self.q), ("flow", &self.flow), ("state", &self.state), ("type", &self.r#type)] {
            if let Some(v) = v {
                parts.push((k, v.clone()));
            }
        }
        if self.per != PER_PAGE {
            parts.push(("per", self.per.to_string()));
        }
        if page > 1 {
            parts.push(("page", page.to_string()));
        }
        if parts.is_empty() {
            return path.to_string();
        }
        let qs: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
        format!("{path}?{}", qs.join("&"))
    }
}

fn bad_request(e: crate::error::ApiError) -> (actix_web::http::StatusCode, String) {
    let msg = match &e {
        crate::error::ApiError::Validation { errors, .. } => {
            let parts: Vec<String> = errors.iter().map(|i| format!("{i:?}")).collect();
            format!("invalid filter: {}", parts.join("; "))
        }
        other => other.to_string(),
    };
    (actix_web::http::StatusCode::BAD_REQUEST, msg)
}

/// Runs one page of an artifact query through the API's parser and SQL.
fn query_page(
    conn: &Connection,
    table: Table,
    families: Map<String, Value>,
    sort: &str,
    page: i64,
    per: i64,
) -> Result<(Vec<ArtifactRow>, i64), (actix_web::http::StatusCode, String)> {
    let count_body = Some(Value::Object(families.clone()));
    let mut body = families;
    body.insert("sort".into(), json!(sort));
    body.insert("limit".into(), json!(per));
    body.insert("offset".into(), json!((page - 1) * per));
    let q = FilterQuery::parse(table, &Some(Value::Object(body))).map_err(bad_request)?;
    let f = parse_count(table, &count_body).map_err(bad_request)?;
    let rows = db::artifacts::filter(conn, &q).map_err(|e| internal(e.to_string()))?;
    let total = db::artifacts::count(conn, &f).map_err(|e| internal(e.to_string()))?;
    Ok((rows, total))
}

fn flow_names(conn: &Connection) -> Vec<String> {
    let body = Some(json!({ "sort": "NAME_ASC", "limit": 200 }));
    let Ok(q) = ResourceQuery::parse(Resource::Flows, &body) else { return vec![] };
    db::runs::filter(conn, &q)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.get("name").and_then(Value::as_str).map(String::from))
        .collect()
}

// ---------------------------------------------------------------------------
// Related rows (flow, flow run, task run) for display, read once per page
// ---------------------------------------------------------------------------

/// The flows, flow runs and task runs a page's artifacts point at, read
/// with the artifacts so that rendering needs no database.
#[derive(Default)]
struct Related {
    docs: HashMap<(u8, String), Option<Doc>>,
}

fn resource_tag(r: Resource) -> u8 {
    match r {
        Resource::Flows => 0,
        Resource::FlowRuns => 1,
        Resource::TaskRuns => 2,
        Resource::Deployments => 3,
    }
}

impl Related {
    fn load(conn: &Connection, rows: &[ArtifactRow]) -> Self {
        let mut rel = Related::default();
        for a in rows {
            if let Some(id) = &a.flow_run_id {
                let flow_id = rel
                    .fetch(conn, Resource::FlowRuns, id)
                    .and_then(|run| run.get("flow_id"))
                    .and_then(Value::as_str)
                    .map(String::from);
                if let Some(flow_id) = flow_id {
                    rel.fetch(conn, Resource::Flows, &flow_id);
                }
            }
            if let Some(id) = &a.task_run_id {
                rel.fetch(conn, Resource::TaskRuns, id);
            }
        }
        rel
    }

    fn fetch(&mut self, conn: &Connection, r: Resource, id: &str) -> Option<&Doc> {
        self.docs
            .entry((resource_tag(r), id.to_string()))
            .or_insert_with(|| db::runs::read(conn, r, id).ok().flatten())
            .as_ref()
    }

    fn get(&self, r: Resource, id: &str) -> Option<&Doc> {
        self.docs.get(&(resource_tag(r), id.to_string())).and_then(Option::as_ref)
    }

    /// The `<dl>` of flow, flow run (with state), task run and times.
    fn meta(&self, a: &ArtifactRow) -> String {
        let mut out = String::from("<dl class=meta>");
        let run = a.flow_run_id.as_deref().and_then(|id| self.get(Resource::FlowRuns, id));
        if let Some(run) = run {
            if let Some(flow) = run.get("flow_id").and_then(Value::as_str).and_then(|id| self.get(Resource::Flows, id)) {
                let _ = write!(out, "<dt>Flow</dt><dd class=flow>{}</dd>", esc(str_of(flow, "name")));
            }
            let state_type = str_of(run, "state_type");
            let state_name = run.get("state_name").and_then(Value::as_str).unwrap_or(state_type);
            let _ = write!(
                out,
                "<dt>Flow run</dt><dd class=flow-run>{} <span class=\"state {}\">{}</span></dd>",
                esc(str_of(run, "name")),
                esc(&state_type.to_ascii_lowercase()),
                esc(state_name)
            );
        } else if let Some(id) = &a.flow_run_id {
            let _ = write!(out, "<dt>Flow run</dt><dd class=flow-run>{}</dd>", esc(id));
        }
        if let Some(id) = &a.task_run_id {
            let name = self.get(Resource::TaskRuns, id).map(|t| str_of(t, "name").to_string());
            let _ = write!(out, "<dt>Task run</dt><dd class=task-run>{}</dd>", esc(name.as_deref().unwrap_or(id)));
        }
        let _ = write!(out, "<dt>Created</dt><dd>{}</dd>", esc(&when(&a.created)));
        let _ = write!(out, "<dt>Updated</dt><dd>{}</dd>", esc(&when(&a.updated)));
        out.push_str("</dl>");
        out
    }
}

fn str_of<'a>(d: &'a Doc, k: &str) -> &'a str {
    d.get(k).and_then(Value::as_str).unwrap_or("")
}

fn when(stored: &str) -> String {
    crate::timefmt::parse_stored(stored)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| stored.to_string())
}

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------

/// One page of artifacts as read from the database.
struct ListPage {
    rows: Vec<ArtifactRow>,
    total: i64,
    related: Related,
    flows: Vec<String>,
}

fn load_index(conn: &Connection, p: &Params) -> Result<ListPage, Failure> {
    let table = if p.keyless { Table::Artifact } else { Table::Collection };
    let sort = if p.keyless { "CREATED_DESC" } else { "UPDATED_DESC" };
    let (rows, total) = query_page(conn, table, p.families(), sort, p.page, p.per)?;
    let related = Related::load(conn, &rows);
    Ok(ListPage { rows, total, related, flows: flow_names(conn) })
}

fn render_index(page: ListPage, p: &Params, b: &mut Budget) -> Rendered {
    b.list();
    let ListPage { rows, total, related, flows } = page;
    let mut body = String::new();
    body.push_str(&filters_form(&flows, p));
    let what = if p.keyless { "keyless artifacts" } else { "keys" };
    body.push_str(&summary(p.page, p.per, rows.len(), total, what));
    if rows.is_empty() {
        body.push_str("<div class=empty>No artifacts match.</div>");
    } else {
        body.push_str("<div class=cards>");
        for a in &rows {
            b.cancel.check()?;
            body.push_str(&card(&related, a, false, b));
        }
        body.push_str("</div>");
    }
    body.push_str(&pager(p, "/", total));
    let nav = if p.keyless { "keyless" } else { "latest" };
    Ok(layout(if p.keyless { "Keyless artifacts" } else { "Artifacts" }, nav, &body))
}

fn load_key(conn: &Connection, key: &str, p: &Params) -> Result<ListPage, Failure> {
    let families = json!({ "artifacts": { "key": { "any_": [key] } } });
    let Value::Object(families) = families else { unreachable!() };
    let (rows, total) = query_page(conn, Table::Artifact, families, "CREATED_DESC", p.page, p.per)?;
    if total == 0 {
        return Err((actix_web::http::StatusCode::NOT_FOUND, format!("No artifact has the key {key:?}.")));
    }
    let related = Related::load(conn, &rows);
    Ok(ListPage { rows, total, related, flows: Vec::new() })
}

fn render_key(page: ListPage, key: &str, p: &Params, b: &mut Budget) -> Rendered {
    b.list();
    let ListPage { rows, total, related, .. } = page;
    let mut body = format!("<h1>Key <code>{}</code></h1>", esc(key));
    body.push_str(&summary(p.page, p.per, rows.len(), total, "versions, newest first"));
    body.push_str("<div class=cards>");
    for a in &rows {
        b.cancel.check()?;
        body.push_str(&card(&related, a, false, b));
    }
    body.push_str("</div>");
    let path = format!("/ui/keys/{}", url_encode(key));
    body.push_str(&pager(&Params { keyless: false, q: None, flow: None, state: None, r#type: None, ..p.clone() }, &path, total));
    Ok(layout(key, "", &body))
}

fn load_artifact(conn: &Connection, id: &str) -> Result<(ArtifactRow, Related), Failure> {
    let a = db::artifacts::read(conn, id)
        .map_err(|e| internal(e.to_string()))?
        .ok_or((actix_web::http::StatusCode::NOT_FOUND, "Artifact not found.".to_string()))?;
    let related = Related::load(conn, std::slice::from_ref(&a));
    Ok((a, related))
}

fn render_artifact((a, related): (ArtifactRow, Related), b: &mut Budget) -> Rendered {
    let title = a.key.clone().unwrap_or_else(|| "keyless artifact".into());
    let mut body = format!("<h1>{}</h1>", esc(&title));
    body.push_str(&card(&related, &a, true, b));
    b.cancel.check()?;
    Ok(layout(&title, "", &body))
}

fn card(rel: &Related, a: &ArtifactRow, detail: bool, b: &mut Budget) -> String {
    // A latest-by-key row points at its artifact through `latest_id`.
    let artifact_id = a.latest_id.as_deref().unwrap_or(&a.id);
    let kind = a.r#type.as_deref().unwrap_or("");
    let mut out = format!(
        "<article class=\"card{}\" data-type=\"{}\" data-id=\"{}\"><div class=card-head>",
        if detail { " detail" } else { "" },
        esc(kind),
        esc(artifact_id)
    );
    match &a.key {
        Some(k) => {
            let _ = write!(out, "<a class=key href=\"/ui/keys/{}\">{}</a>", url_encode(k), esc(k));
        }
        None => out.push_str("<span class=key>(no key)</span>"),
    }
    if !kind.is_empty() {
        let _ = write!(out, "<span class=badge>{}</span>", esc(kind));
    }
    if detail {
        let _ = write!(out, "<a class=open href=\"/api/artifacts/{0}\">JSON</a>", esc(artifact_id));
    } else {
        let _ = write!(out, "<a class=open href=\"/ui/artifacts/{0}\">open</a>", esc(artifact_id));
    }
    out.push_str("</div>");
    if let Some(d) = a.description.as_deref().filter(|d| !d.is_empty()) {
        if detail {
            let html = markdown(d, b).unwrap_or_else(|why| too_large(artifact_id, &why));
            let _ = write!(out, "<div class=desc>{html}</div>");
        } else {
            let _ = write!(out, "<p class=desc>{}</p>", esc(&truncate(d, 200)));
        }
    }
    let html = render_data(a.r#type.as_deref(), a.data.as_deref(), b).unwrap_or_else(|why| too_large(artifact_id, &why));
    let _ = write!(out, "<div class=body>{html}</div>");
    out.push_str(&rel.meta(a));
    if detail {
        if let Some(Ok(Value::Object(m))) = a.metadata.as_deref().map(serde_json::from_str::<Value>) {
            if !m.is_empty() {
                out.push_str("<h3>Metadata</h3><table class=kv>");
                for (k, v) in &m {
                    let v = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
                    let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(&v));
                }
                out.push_str("</table>");
            }
        }
        let _ = write!(out, "<dl class=meta><dt>Id</dt><dd>{}</dd></dl>", esc(&a.id));
    }
    out.push_str("</article>");
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn summary(page: i64, per: i64, shown: usize, total: i64, what: &str) -> String {
    if shown == 0 {
        return format!("<p class=summary>{total} {what}</p>");
    }
    let first = (page - 1) * per + 1;
    let last = first + shown as i64 - 1;
    format!("<p class=summary>{first}–{last} of <span class=total>{total}</span> {}</p>", esc(what))
}

fn pager(p: &Params, path: &str, total: i64) -> String {
    let pages = ((total + p.per - 1) / p.per).max(1);
    if pages <= 1 && p.page <= 1 {
        return String::new();
    }
    let mut out = String::from("<nav class=pager>");
    if p.page > 1 {
        let _ = write!(out, "<a rel=prev href=\"{}\">← Newer</a>", esc(&p.link(path, p.page - 1)));
    } else {
        out.push_str("<span class=off>← Newer</span>");
    }
    let _ = write!(out, "<span>Page {} of {pages}</span>", p.page);
    if p.page < pages {
        let _ = write!(out, "<a rel=next href=\"{}\">Older →</a>", esc(&p.link(path, p.page + 1)));
    } else {
        out.push_str("<span class=off>Older →</span>");
    }
    out.push_str("</nav>");
    out
}

fn options(values: &[String], selected: Option<&str>, any: &str) -> String {
    let mut out = format!("<option value=\"\">{}</option>", esc(any));
    for v in values {
        let sel = if Some(v.as_str()) == selected { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{0}\"{sel}>{0}</option>", esc(v));
    }
    out
}

fn filters_form(flows: &[String], p: &Params) -> String {
    let mut out = String::from("<form class=filters method=get action=\"/\">");
    if p.keyless {
        out.push_str("<input type=hidden name=tab value=keyless>");
    } else {
        let _ = write!(
            out,
            "<label>Key contains<input type=search name=q value=\"{}\" placeholder=\"search keys\"></label>",
            esc(p.q.as_deref().unwrap_or(""))
        );
    }
    let _ = write!(out, "<label>Flow<select name=flow>{}</select></label>", options(flows, p.flow.as_deref(), "any flow"));
    let states: Vec<String> = STATE_TYPES.iter().map(|s| s.to_string()).collect();
    let _ = write!(
        out,
        "<label>Flow run state<select name=state>{}</select></label>",
        options(&states, p.state.as_deref(), "any state")
    );
    let types: Vec<String> = ARTIFACT_TYPES.iter().map(|s| s.to_string()).collect();
    let _ = write!(out, "<label>Type<select name=type>{}</select></label>", options(&types, p.r#type.as_deref(), "any type"));
    if p.per != PER_PAGE {
        let _ = write!(out, "<input type=hidden name=per value=\"{}\">", p.per);
    }
    let reset = if p.keyless { "/?tab=keyless" } else { "/" };
    let _ = write!(out, "<button type=submit>Apply</button><a href=\"{reset}\">Reset</a></form>");
    out
}

fn layout(title: &str, nav: &str, body: &str) -> String {
    let on = |n: &str| if n == nav { " class=on" } else { "" };
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
<meta name=viewport content=\"width=device-width, initial-scale=1\">\
<title>{} · artifactd</title><style>{CSS}</style></head><body>\
<header class=top><a class=brand href=\"/\">artifactd</a><nav>\
<a href=\"/\"{}>Latest by key</a><a href=\"/?tab=keyless\"{}>Keyless</a></nav></header>\
<main>{body}</main><footer>artifactd {} · Prefect {} artifacts API at <a href=\"/api/health\">/api</a></footer>\
</body></html>",
        esc(title),
        on("latest"),
        on("keyless"),
        env!("CARGO_PKG_VERSION"),
        crate::PREFECT_VERSION,
    )
}

// ---------------------------------------------------------------------------
// Rendering artifact data
// ---------------------------------------------------------------------------

/// The body of an artifact by type; `data` is its stored JSON text. Err
/// says why it is beyond the caps.
fn render_data(kind: Option<&str>, data: Option<&str>, b: &mut Budget) -> Result<String, String> {
    let Some(text) = data else { return Ok("<p class=desc>(no data)</p>".into()) };
    if text.len() > b.item_data {
        return Err(format!("{} of data, more than {}", kib(text.len()), kib(b.item_data)));
    }
    if !Budget::spend(&mut b.data, text.len()) {
        return Err(PAGE_FULL.into());
    }
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return Ok(pre(text)),
    };
    Ok(match (kind.unwrap_or(""), &v) {
        ("markdown" | "link", Value::String(s)) => markdown(s, b)?,
        ("image", Value::String(s)) => {
            let t = s.trim();
            if (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(char::is_whitespace) {
                let u = t.replace(')', "%29");
                markdown(&format!("[![image]({u})]({u})\n\n<{u}>"), b)?
            } else {
                markdown(s, b)?
            }
        }
        ("table", Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(t) => table(&t).unwrap_or_else(|| Ok(pre_json(&t)))?,
            Err(_) => pre(s),
        },
        ("table", t) => table(t).unwrap_or_else(|| Ok(pre_json(t)))?,
        ("progress", _) => match number(&v) {
            Some(n) => progress(n),
            None => pre_json(&v),
        },
        (_, Value::String(s)) => pre(s),
        _ => pre_json(&v),
    })
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn progress(n: f64) -> String {
    let clamped = if n.is_finite() { n.clamp(0.0, 100.0) } else { 0.0 };
    format!(
        "<div class=progress><progress max=100 value=\"{clamped}\">{n}%</progress><span class=pct>{}%</span></div>",
        esc(&format!("{n}"))
    )
}

fn pre(s: &str) -> String {
    format!("<pre>{}</pre>", esc(s))
}

/// Pretty when that stays under `MAX_PRETTY` (deep data indents every line
/// by its depth, up to a hundredfold its size), else compact.
fn pre_json(v: &Value) -> String {
    let mut w = Capped { buf: Vec::new(), left: MAX_PRETTY };
    match serde_json::to_writer_pretty(&mut w, v) {
        Ok(()) => pre(&String::from_utf8_lossy(&w.buf)),
        Err(_) => pre(&v.to_string()),
    }
}

/// A writer that fails once it has taken `left` bytes.
struct Capped {
    buf: Vec<u8>,
    left: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if b.len() > self.left {
            return Err(std::io::Error::other("over the cap"));
        }
        self.left -= b.len();
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => esc(s),
        Some(other) => esc(&other.to_string()),
    }
}

/// A list of row objects, a dict of column lists, or a list of lists; None
/// for any other shape, Err when wider than `MAX_TABLE_COLS`.
fn table(v: &Value) -> Option<Result<String, String>> {
    let too_wide = || Some(Err(format!("more than {MAX_TABLE_COLS} columns")));
    let mut head: Vec<String> = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let total_rows;
    match v {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            for it in items {
                for k in it.as_object()?.keys() {
                    if !head.contains(k) {
                        // The check above is linear in the columns: capped.
                        if head.len() == MAX_TABLE_COLS {
                            return too_wide();
                        }
                        head.push(k.clone());
                    }
                }
            }
            total_rows = items.len();
            for it in items.iter().take(MAX_TABLE_ROWS) {
                rows.push(head.iter().map(|k| cell(it.get(k))).collect());
            }
        }
        Value::Array(items) if items.iter().all(Value::is_array) && !items.is_empty() => {
            total_rows = items.len();
            for it in items.iter().take(MAX_TABLE_ROWS) {
                let cells = it.as_array()?;
                if cells.len() > MAX_TABLE_COLS {
                    return too_wide();
                }
                rows.push(cells.iter().map(|c| cell(Some(c))).collect());
            }
        }
        Value::Object(cols) if cols.values().all(Value::is_array) && !cols.is_empty() => {
            if cols.len() > MAX_TABLE_COLS {
                return too_wide();
            }
            head = cols.keys().cloned().collect();
            total_rows = cols.values().filter_map(Value::as_array).map(Vec::len).max().unwrap_or(0);
            for i in 0..total_rows.min(MAX_TABLE_ROWS) {
                rows.push(cols.values().map(|c| cell(c.as_array().and_then(|a| a.get(i)))).collect());
            }
        }
        Value::Array(items) if items.is_empty() => return Some(Ok("<p class=desc>(empty table)</p>".into())),
        _ => return None,
    }
    let mut out = String::from("<table>");
    if !head.is_empty() {
        out.push_str("<thead><tr>");
        for h in &head {
            let _ = write!(out, "<th>{}</th>", esc(h));
        }
        out.push_str("</tr></thead>");
    }
    out.push_str("<tbody>");
    for r in &rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    if total_rows > rows.len() {
        let _ = write!(out, "<p class=desc>… {} more rows</p>", total_rows - rows.len());
    }
    Some(Ok(out))
}

/// Markdown to HTML, sanitised: ammonia keeps a safe list of tags and
/// attributes (no script or style, no `on*` handlers) and URL schemes (no
/// `javascript:`). Err says which cap it is beyond (see `MAX_MARKDOWN`).
fn markdown(s: &str, b: &mut Budget) -> Result<String, String> {
    use pulldown_cmark::{html, Options, Parser};
    if s.len() > MAX_MARKDOWN {
        return Err(format!("{} of markdown, more than {}", kib(s.len()), kib(MAX_MARKDOWN)));
    }
    if !Budget::spend(&mut b.markdown, s.len()) {
        return Err(PAGE_FULL.into());
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let cancel = &b.cancel;
    let mut raw = String::new();
    html::push_html(&mut raw, Parser::new_ext(s, opts).take_while(|_| !cancel.is_set()));
    if cancel.is_set() {
        return Err("stopped: the client went away".into());
    }
    if raw.len() > MAX_HTML {
        return Err(format!("{} of HTML, more than {}", kib(raw.len()), kib(MAX_HTML)));
    }
    if nests_deeper(&raw, MAX_DEPTH) {
        return Err(format!("nested more than {MAX_DEPTH} elements deep"));
    }
    if !Budget::spend(&mut b.html, raw.len()) {
        return Err(PAGE_FULL.into());
    }
    Ok(ammonia::Builder::default().clean(&raw).to_string())
}

/// Whether `html` may open more than `limit` elements one inside another
/// when parsed (ammonia's parser costs time per element in proportion to
/// its depth). Errs on the deep side: an end tag closes only the element on
/// top, so mis-nested or unclosed tags only add (that covers the parser
/// reopening unclosed `<b>`s in every later paragraph); markdown's own HTML
/// is well nested and counts exactly. Void elements never nest, and a
/// `<p>`, `<li>`, `<td>`... directly inside one of its kind replaces it,
/// as the parser does.
fn nests_deeper(html: &str, limit: usize) -> bool {
    const VOID: &[&str] = &[
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "keygen", "link", "meta",
        "param", "source", "track", "wbr",
    ];
    const SIBLINGS: &[&[&str]] = &[&["p"], &["li"], &["dt", "dd"], &["td", "th"], &["tr"], &["option"], &["rb", "rt", "rp", "rtc"]];
    let is = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let family = |name: &str| SIBLINGS.iter().find(|f| f.iter().any(|m| is(m, name)));
    let bytes = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        let close = bytes.get(i) == Some(&b'/');
        let start = i + usize::from(close);
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'-') {
            end += 1;
        }
        if end == start || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        // ASCII on both sides, so char boundaries.
        let name = &html[start..end];
        i = end;
        if VOID.iter().any(|v| is(v, name)) {
            continue;
        }
        let top = open.last().copied();
        if close {
            if top.is_some_and(|t| is(t, name)) {
                open.pop();
            }
            continue;
        }
        // A row starts by closing the cell it is in, then the row.
        if is(name, "tr") && top.is_some_and(|t| is(t, "td") || is(t, "th")) {
            open.pop();
        }
        if let (Some(t), Some(f)) = (open.last(), family(name)) {
            if f.iter().any(|m| is(m, t)) {
                open.pop();
            }
        }
        open.push(name);
        if open.len() > limit {
            return true;
        }
    }
    false
}

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::page(Cancel::default())
    }

    fn md(s: &str) -> String {
        markdown(s, &mut budget()).unwrap_or_else(|why| panic!("refused: {why}"))
    }

    fn data(kind: &str, text: &str) -> String {
        render_data(Some(kind), Some(text), &mut budget()).unwrap_or_else(|why| panic!("refused: {why}"))
    }

    #[test]
    fn markdown_is_sanitised() {
        let h = md("# Hi\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))");
        assert!(h.contains("<h1>Hi</h1>"), "{h}");
        assert!(!h.contains("script") && !h.contains("onerror") && !h.contains("javascript:"), "{h}");
    }

    #[test]
    fn tables_render_rows_and_columns() {
        let rows = data("table", r#""[{\"a\": 1, \"b\": \"<x>\"}]""#);
        assert!(rows.contains("<th>a</th>") && rows.contains("<td>1</td>") && rows.contains("&lt;x&gt;"), "{rows}");
        let cols = data("table", r#""{\"r\": [\"EU\", \"NA\"], \"n\": [1, 2]}""#);
        assert!(cols.contains("<th>r</th>") && cols.contains("<td>NA</td>") && cols.contains("<td>2</td>"), "{cols}");
    }

    #[test]
    fn other_types() {
        assert!(data("progress", "42.5").contains("42.5%"));
        assert!(data("image", r#""https://e.x/a.png""#).contains("<img src=\"https://e.x/a.png\""));
        assert!(data("image", r#""![](https://e.x/a.png)""#).contains("<img src=\"https://e.x/a.png\""));
        assert!(data("link", r#""[ex](https://example.com)""#).contains("href=\"https://example.com\""));
        assert_eq!(data("result", r#"{"a":"<b>"}"#), "<pre>{\n  &quot;a&quot;: &quot;&lt;b&gt;&quot;\n}</pre>");
    }

    #[test]
    fn markdown_beyond_its_caps_is_refused() {
        let why = markdown(&"word ".repeat(MAX_MARKDOWN / 5 + 1), &mut budget()).unwrap_err();
        assert!(why.contains("of markdown, more than 64 KiB"), "{why}");
        // Nesting: blockquotes and lists, refused past MAX_DEPTH open elements.
        assert!(md(&"> ".repeat(40)).matches("<blockquote>").count() == 40);
        let why = markdown(&"> ".repeat(MAX_DEPTH + 1), &mut budget()).unwrap_err();
        assert!(why.contains("nested more than 64"), "{why}");
        let list = |n: usize| (0..n).map(|d| format!("{}- a\n", "  ".repeat(d))).collect::<String>();
        assert!(md(&list(20)).matches("<ul>").count() == 20);
        assert!(markdown(&list(40), &mut budget()).unwrap_err().contains("nested"));
        assert!(markdown(&"<div>".repeat(MAX_DEPTH + 1), &mut budget()).unwrap_err().contains("nested"));
        // HTML that grows past its cap: a table of tiny cells.
        let mut t = String::from("|a|b|\n|-|-|\n");
        while t.len() < 60 * 1024 {
            t.push_str("|x|y|\n");
        }
        assert!(markdown(&t, &mut budget()).unwrap_err().contains("of HTML, more than 256 KiB"));
    }

    #[test]
    fn nesting_counts_as_a_parser_would_or_deeper() {
        let deep = |s: &str| nests_deeper(s, 8);
        assert!(!deep(&"<div><span>x</span></div>".repeat(100)), "siblings do not nest");
        assert!(deep(&"<div>".repeat(9)));
        assert!(!deep(&"<div>".repeat(8)));
        assert!(deep(&"<DIV></span>".repeat(9)), "a stray end tag closes nothing");
        assert!(deep(&"<p><b class=x>x</p>".repeat(9)), "the parser reopens unclosed <b>s");
        assert!(!deep(&"<p>a<br><img src=x><hr>".repeat(100)), "p replaces p; void elements");
        assert!(!deep(&format!("<ul>{}</ul>", "<li>a".repeat(100))));
        assert!(!deep(&format!("<table>{}</table>", "<tr><td>a<td>b<th>c".repeat(100))));
        assert!(!deep(&"<!-- x --><!doctype html>< div>a < b".repeat(100)));
        assert!(!deep("<"));
        assert!(!deep("<é<ü/"));
    }

    #[test]
    fn a_page_stops_rendering_bodies_when_its_budget_is_spent() {
        let mut b = budget();
        let chunk = "word ".repeat(60 * 1024 / 5);
        assert!(markdown(&chunk, &mut b).is_ok());
        assert!(markdown(&chunk, &mut b).is_ok());
        assert_eq!(markdown(&chunk, &mut b).unwrap_err(), PAGE_FULL);
        let mut b = budget();
        let big = format!("\"{}\"", "x".repeat(MAX_DATA - 10));
        assert!(render_data(Some("result"), Some(&big), &mut b).is_ok());
        assert!(render_data(Some("result"), Some(&big), &mut b).is_ok());
        assert_eq!(render_data(Some("result"), Some(&big), &mut b).unwrap_err(), PAGE_FULL);
        // A list page: smaller caps.
        let mut b = budget();
        b.list();
        let why = render_data(Some("result"), Some(&big), &mut b).unwrap_err();
        assert!(why.contains("more than 64 KiB"), "{why}");
        let small = format!("\"{}\"", "x".repeat(MAX_LIST_DATA - 10));
        for _ in 0..PAGE_LIST_DATA / MAX_LIST_DATA {
            assert!(render_data(Some("result"), Some(&small), &mut b).is_ok());
        }
        assert_eq!(render_data(Some("result"), Some(&small), &mut b).unwrap_err(), PAGE_FULL);
    }

    #[test]
    fn data_and_tables_beyond_their_caps_are_refused() {
        let huge = format!("\"{}\"", "x".repeat(MAX_DATA));
        let why = render_data(Some("markdown"), Some(&huge), &mut budget()).unwrap_err();
        assert!(why.contains("of data, more than 1024 KiB"), "{why}");
        let wide: Map<String, Value> = (0..=MAX_TABLE_COLS).map(|i| (format!("c{i}"), json!(i))).collect();
        let cols: Map<String, Value> = (0..=MAX_TABLE_COLS).map(|i| (format!("c{i}"), json!([i]))).collect();
        for t in [json!([wide]), Value::Object(cols), json!([vec![1; MAX_TABLE_COLS + 1]])] {
            let why = render_data(Some("table"), Some(&t.to_string()), &mut budget()).unwrap_err();
            assert!(why.contains("more than 64 columns"), "{why}");
        }
        // As wide as allowed renders.
        assert!(data("table", &json!([vec![1; MAX_TABLE_COLS]]).to_string()).contains("<td>1</td>"));
    }

    #[test]
    fn deep_json_is_pretty_only_while_small() {
        let deep = format!("{}{}{}", "[".repeat(100), vec!["1"; 20_000].join(","), "]".repeat(100));
        let html = data("result", &deep);
        assert!(!html.contains('\n') && html.len() < deep.len() + 20, "compact: {}", html.len());
        assert!(data("result", "[[1]]").contains("\n    1\n"));
    }

    #[test]
    fn a_render_stops_once_the_client_has_gone() {
        let mut b = budget();
        drop(b.cancel.stop_on_drop());
        assert!(markdown("# hi", &mut b).unwrap_err().contains("went away"));
        let page = ListPage { rows: vec![], total: 0, related: Related::default(), flows: vec![] };
        assert!(render_index(page, &Params::from(HashMap::new()), &mut b).is_ok(), "no rows: nothing to stop");
        let row = ArtifactRow {
            id: "a".into(),
            created: String::new(),
            updated: String::new(),
            key: None,
            latest_id: None,
            r#type: Some("markdown".into()),
            description: None,
            data: Some("\"# hi\"".into()),
            metadata: None,
            flow_run_id: None,
            task_run_id: None,
        };
        let page = ListPage { rows: vec![row], total: 1, related: Related::default(), flows: vec![] };
        assert_eq!(render_index(page, &Params::from(HashMap::new()), &mut b).unwrap_err().0.as_u16(), 503);
    }
}
