//! The pages: the index (the latest artifact of every key, or the keyless
//! ones), a key's versions, one artifact, and a flow run's or task run's
//! artifacts. Each handler reads in `load` and renders with maud, whose
//! `html!` escapes every value by type; only sanitised markdown goes in as
//! `PreEscaped`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde_json::{json, Value};

use super::layout::{layout, state, time, too_large, Nav};
use super::load::{self, str_of, Count, Found, Latest, Position, Related, RunPage};
use super::params::{url_encode, with_query, Params, ARTIFACT_TYPES, PER_PAGE, STATE_TYPES};
use super::render::{self, Opts, MAX_TABLE_ROWS};
use super::respond::{internal, page_response, respond, Budget, Failure, Rendered};
use super::Mount;
use crate::db::Db;
use crate::schemas::artifact::ArtifactRow;
use crate::schemas::filters::artifacts::Table;
use crate::schemas::resource_query::Resource;

type Query = web::Query<HashMap<String, String>>;

/// The mount the app registered, or the default (pages at `/`).
fn mount_of(req: &HttpRequest) -> Mount {
    req.app_data::<web::Data<Mount>>().map(|m| m.get_ref().clone()).unwrap_or_default()
}

fn error_page(m: &Mount, (status, msg): Failure) -> HttpResponse {
    let title = if status == StatusCode::NOT_FOUND { "Not found" } else { "Error" };
    let body = html! {
        h1 { (title) }
        div.error role="alert" { (msg) }
        p { a href=(m.path("/")) { "Back to all artifacts" } }
    };
    page_response(status, layout(m, title, Nav::None, body).into_string())
}

/// What every card on a page needs besides its row.
struct Ctx<'a> {
    m: &'a Mount,
    related: &'a Related,
    now: DateTime<Utc>,
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

pub async fn index(req: HttpRequest, db: web::Data<Db>, q: Query) -> HttpResponse {
    let m = mount_of(&req);
    let p = Params::from(q.into_inner());
    let api_url = {
        let info = req.connection_info();
        format!("{}://{}/api", info.scheme(), info.host())
    };
    let (load_p, render_m) = (p.clone(), m.clone());
    respond(
        db,
        move |c| load_index(c, &load_p),
        move |page, mut b| render_index(page, &render_m, &p, &api_url, &mut b),
        move |f| error_page(&m, f),
    )
    .await
}

pub async fn key_page(req: HttpRequest, db: web::Data<Db>, key: web::Path<String>, q: Query) -> HttpResponse {
    let m = mount_of(&req);
    let p = Params::from(q.into_inner());
    let key = key.into_inner();
    let (load_key, load_p, render_m) = (key.clone(), p.clone(), m.clone());
    respond(
        db,
        move |c| load_key_page(c, &load_key, &load_p),
        move |page, mut b| render_key(page, &render_m, &key, &p, &mut b),
        move |f| error_page(&m, f),
    )
    .await
}

pub async fn artifact_page(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>, q: Query) -> HttpResponse {
    let m = mount_of(&req);
    let p = Params::from(q.into_inner());
    let id = crate::routes::path_id(&id.into_inner());
    let render_m = m.clone();
    respond(
        db,
        move |c| load_artifact(c, &id),
        move |page, mut b| render_artifact(page, &render_m, &p, &mut b),
        move |f| error_page(&m, f),
    )
    .await
}

pub async fn flow_run_page(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>, q: Query) -> HttpResponse {
    run_handler(req, db, id, q, Resource::FlowRuns).await
}

pub async fn task_run_page(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>, q: Query) -> HttpResponse {
    run_handler(req, db, id, q, Resource::TaskRuns).await
}

async fn run_handler(req: HttpRequest, db: web::Data<Db>, id: web::Path<String>, q: Query, r: Resource) -> HttpResponse {
    let m = mount_of(&req);
    let p = Params::from(q.into_inner());
    let id = crate::routes::path_id(&id.into_inner());
    let (load_id, load_p, render_m) = (id.clone(), p.clone(), m.clone());
    respond(
        db,
        move |c| load::run_page(c, r, &load_id, load_p.page, load_p.per),
        move |page, mut b| render_run(page, &render_m, r, &id, &p, &mut b),
        move |f| error_page(&m, f),
    )
    .await
}

// ---------------------------------------------------------------------------
// Index
// ---------------------------------------------------------------------------

struct IndexPage {
    found: Found,
    related: Related,
    latest: HashMap<String, Latest>,
    flows: Vec<String>,
    any_artifact: bool,
}

fn load_index(conn: &rusqlite::Connection, p: &Params) -> Result<IndexPage, Failure> {
    let flows = load::flow_names(conn);
    let any_artifact = load::any_artifact(conn)?;
    if !p.problems.is_empty() {
        let found = Found::none();
        return Ok(IndexPage { found, related: Related::default(), latest: HashMap::new(), flows, any_artifact });
    }
    let table = if p.keyless { Table::Artifact } else { Table::Collection };
    let sort = if p.keyless { "CREATED_DESC" } else { "UPDATED_DESC" };
    let found = load::query_page(conn, table, p.families(), sort, (p.page, p.per), Count::Budgeted)?;
    let related = Related::load(conn, &found.rows);
    let latest = load::latest_of(conn, &found.rows)?;
    Ok(IndexPage { found, related, latest, flows, any_artifact })
}

fn render_index(page: IndexPage, m: &Mount, p: &Params, api_url: &str, b: &mut Budget) -> Rendered {
    b.list();
    let IndexPage { found, related, latest, flows, any_artifact } = page;
    let ctx = Ctx { m, related: &related, now: Utc::now() };
    let reset = m.path(if p.keyless { "/?tab=keyless" } else { "/" });
    let title = if p.keyless { "Keyless artifacts" } else { "Artifacts" };
    let what = if p.keyless { "keyless artifacts, newest first" } else { "keys, latest version of each, most recently updated first" };
    let mut cards = Vec::with_capacity(found.rows.len());
    for a in &found.rows {
        b.cancel.check()?;
        let info = a.latest_id.as_deref().and_then(|id| latest.get(id));
        cards.push(card(&ctx, a, CardKind::List { latest: info }, b));
    }
    let bad = !p.problems.is_empty();
    let body = html! {
        h1 { (title) }
        (filters_form(m, &flows, p))
        @if bad {
            div.error role="alert" {
                p { "This filter cannot be applied:" }
                ul { @for s in &p.problems { li { (s) } } }
                p { "Change it above, or " a href=(reset) { "clear the filters" } "." }
            }
        } @else if found.rows.is_empty() && found.page > 1 {
            div.empty {
                p { "Page " (found.page) " is past the last page." }
                p { a href=(p.link(&m.path("/"), 1)) { "Go to the first page" } }
            }
        } @else if found.rows.is_empty() {
            div.empty {
                @if !any_artifact {
                    h2 { "No artifacts yet" }
                    p { "Point Prefect at this server and run a flow that creates artifacts:" }
                    pre { code { "PREFECT_API_URL=" (api_url) " python my_flow.py" } }
                    p { "Or start artifactd with demo data:" }
                    pre { code { "artifactd serve --fixtures fixtures/demo.json" } }
                } @else if p.filtered() {
                    p { "No artifacts match these filters." }
                    p { a.clear href=(reset) { "Clear the filters" } }
                } @else if p.keyless {
                    p { "No keyless artifacts: every artifact here has a key." }
                    p { a href=(m.path("/")) { "Show the latest artifact of each key" } }
                } @else {
                    p { "No artifact has a key yet." }
                    p { a href=(m.path("/?tab=keyless")) { "Show the keyless artifacts" } }
                }
            }
        } @else {
            (summary(&found, p.per, what))
            div.cards { @for c in &cards { (c) } }
            (pager(p, &m.path("/"), &found))
        }
    };
    let status = if bad { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, layout(m, title, if p.keyless { Nav::Keyless } else { Nav::Latest }, body)))
}

fn filters_form(m: &Mount, flows: &[String], p: &Params) -> Markup {
    let states: Vec<String> = STATE_TYPES.iter().map(|s| s.to_string()).collect();
    let types: Vec<String> = ARTIFACT_TYPES.iter().map(|s| s.to_string()).collect();
    let reset = m.path(if p.keyless { "/?tab=keyless" } else { "/" });
    html! {
        form.filters method="get" action=(m.path("/")) aria-label="Filter artifacts" {
            @if p.keyless {
                input type="hidden" name="tab" value="keyless";
            } @else {
                label { "Key contains" input type="search" name="q" value=[p.q.as_deref()] placeholder="search keys"; }
            }
            label { "Flow" select name="flow" { (options(flows, p.flow.as_deref(), "any flow")) } }
            label { "Flow run state" select name="state" { (options(&states, p.state.as_deref(), "any state")) } }
            label { "Type" select name="type" { (options(&types, p.r#type.as_deref(), "any type")) } }
            @if p.per != PER_PAGE { input type="hidden" name="per" value=(p.per); }
            button type="submit" { "Apply" }
            a.reset href=(reset) { "Reset filters" }
        }
    }
}

fn options(values: &[String], selected: Option<&str>, any: &str) -> Markup {
    html! {
        option value="" { (any) }
        @for v in values { option value=(v) selected[Some(v.as_str()) == selected] { (v) } }
    }
}

fn summary(found: &Found, per: i64, what: &str) -> Markup {
    let first = (found.page - 1) * per + 1;
    let last = first + found.rows.len() as i64 - 1;
    html! {
        p.summary {
            (first) "–" (last) " of "
            @match found.total { Some(t) => { span.total { (t) } }, None => { "many" } }
            " " (what)
        }
    }
}

/// Newer/older links; "Page 2 of 7", or "Page 2" when the total was not
/// counted (see `load::COUNT_BUDGET`).
fn pager(p: &Params, path: &str, found: &Found) -> Markup {
    let page = found.page;
    let pages = found.total.map(|t| ((t + p.per - 1) / p.per).max(1));
    html! {
        @if page > 1 || found.more {
            nav.pager aria-label="Pages" {
                @if page > 1 { a rel="prev" href=(p.link(path, page - 1)) { "← Newer" } }
                @else { span.off { "← Newer" } }
                span { "Page " (page) @if let Some(n) = pages { " of " (n) } }
                @if found.more { a rel="next" href=(p.link(path, page + 1)) { "Older →" } }
                @else { span.off { "Older →" } }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// A key's versions
// ---------------------------------------------------------------------------

struct ListPage {
    found: Found,
    related: Related,
}

fn load_key_page(conn: &rusqlite::Connection, key: &str, p: &Params) -> Result<ListPage, Failure> {
    let families = json!({ "artifacts": { "key": { "any_": [key] } } });
    let Value::Object(families) = families else { return Err(internal("filter body".into())) };
    let found = load::query_page(conn, Table::Artifact, families, "CREATED_DESC", (p.page, p.per), Count::Exact)?;
    if found.rows.is_empty() {
        return Err((StatusCode::NOT_FOUND, format!("No artifact has the key {key:?}.")));
    }
    let related = Related::load(conn, &found.rows);
    Ok(ListPage { found, related })
}

fn render_key(page: ListPage, m: &Mount, key: &str, p: &Params, b: &mut Budget) -> Rendered {
    b.list();
    let ListPage { found, related } = page;
    let ctx = Ctx { m, related: &related, now: Utc::now() };
    let mut cards = Vec::new();
    for (i, a) in found.rows.iter().enumerate() {
        b.cancel.check()?;
        // Newest first: the first row of page 1 is version `total`.
        let total = found.at_least(p.per);
        let number = total - (found.page - 1) * p.per - i as i64;
        cards.push(card(&ctx, a, CardKind::Version { number, of: total }, b));
    }
    let path = m.path(&format!("/ui/keys/{}", url_encode(key)));
    let pager_params = Params { per: p.per, ..Params::default() };
    let body = html! {
        (crumbs(m, &[(Some(m.path("/")), "Artifacts".to_string())], key))
        h1.key-title title=(key) { (key) }
        (summary(&found, p.per, "versions, newest first"))
        div.cards { @for c in &cards { (c) } }
        (pager(&pager_params, &path, &found))
    };
    Ok((StatusCode::OK, layout(m, key, Nav::None, body)))
}

/// `Artifacts › key › here`: links for all but the last.
fn crumbs(_m: &Mount, links: &[(Option<String>, String)], here: &str) -> Markup {
    html! {
        nav.crumbs aria-label="Breadcrumb" {
            ol {
                @for (href, text) in links {
                    li {
                        @if let Some(h) = href { a href=(h) title=(text) { (text) } } @else { (text) }
                        span.sep aria-hidden="true" { " › " }
                    }
                }
                li aria-current="page" title=(here) { (here) }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// One artifact
// ---------------------------------------------------------------------------

struct ArtifactPage {
    a: ArtifactRow,
    related: Related,
    position: Option<Position>,
}

fn load_artifact(conn: &rusqlite::Connection, id: &str) -> Result<ArtifactPage, Failure> {
    let a = crate::db::artifacts::read(conn, id)
        .map_err(|e| internal(e.to_string()))?
        .ok_or((StatusCode::NOT_FOUND, "Artifact not found.".to_string()))?;
    let related = Related::load(conn, std::slice::from_ref(&a));
    let position = load::position(conn, &a)?;
    Ok(ArtifactPage { a, related, position })
}

fn version_label(p: &Position) -> String {
    let latest = if p.number == p.of { " (latest)" } else { "" };
    format!("v{} of {}{latest}", p.number, p.of)
}

fn render_artifact(page: ArtifactPage, m: &Mount, p: &Params, b: &mut Budget) -> Rendered {
    let ArtifactPage { a, related, position } = page;
    let ctx = Ctx { m, related: &related, now: Utc::now() };
    let title = a.key.clone().unwrap_or_else(|| "Keyless artifact".into());
    let card = card(&ctx, &a, CardKind::Detail { rows_from: p.rows_from }, b);
    b.cancel.check()?;
    let version_link = |id: &str| m.path(&format!("/ui/artifacts/{id}"));
    let body = html! {
        @match (&a.key, &position) {
            (Some(key), Some(pos)) => {
                (crumbs(m, &[
                    (Some(m.path("/")), "Artifacts".to_string()),
                    (Some(m.path(&format!("/ui/keys/{}", url_encode(key)))), key.clone()),
                ], &version_label(pos)))
                h1.key-title title=(key) { (key) }
                nav.versions aria-label="Versions" {
                    @if let Some(n) = &pos.newer { a rel="next" href=(version_link(n)) { "← Newer version" } }
                    @else { span.off { "← Newer version" } }
                    span { (version_label(pos)) }
                    @if let Some(o) = &pos.older { a rel="prev" href=(version_link(o)) { "Older version →" } }
                    @else { span.off { "Older version →" } }
                }
            }
            _ => {
                (crumbs(m, &[
                    (Some(m.path("/")), "Artifacts".to_string()),
                    (Some(m.path("/?tab=keyless")), "Keyless".to_string()),
                ], &a.id))
                h1 { (title) }
            }
        }
        (card)
    };
    Ok((StatusCode::OK, layout(m, &title, Nav::None, body)))
}

// ---------------------------------------------------------------------------
// A run's artifacts
// ---------------------------------------------------------------------------

fn render_run(page: RunPage, m: &Mount, r: Resource, id: &str, p: &Params, b: &mut Budget) -> Rendered {
    b.list();
    let RunPage { run, found, related } = page;
    let ctx = Ctx { m, related: &related, now: Utc::now() };
    let (what, prefect_path, own) = match r {
        Resource::TaskRuns => ("Task run", "/runs/task-run/", "/ui/task-runs/"),
        _ => ("Flow run", "/runs/flow-run/", "/ui/flow-runs/"),
    };
    let name = run.as_ref().map(|d| str_of(d, "name")).filter(|n| !n.is_empty()).unwrap_or(id).to_string();
    let mut cards = Vec::new();
    for a in &found.rows {
        b.cancel.check()?;
        cards.push(card(&ctx, a, CardKind::List { latest: None }, b));
    }
    // A task run's flow run, and the flow of the (flow run or task's) run.
    let flow_run = match r {
        Resource::TaskRuns => run
            .as_ref()
            .and_then(|d| d.get("flow_run_id"))
            .and_then(Value::as_str)
            .map(|fr| (fr.to_string(), related.get(Resource::FlowRuns, fr))),
        _ => None,
    };
    let flow = match (&flow_run, &run) {
        (Some((_, Some(fr))), _) => related.flow_of(fr),
        (None, Some(d)) => related.flow_of(d),
        _ => None,
    };
    let path = m.path(&format!("{own}{id}"));
    let pager_params = Params { per: p.per, ..Params::default() };
    let body = html! {
        (crumbs(m, &[(Some(m.path("/")), "Artifacts".to_string())], &format!("{what} {name}")))
        h1 { (what) " " span.run-name title=(name) { (name) } }
        dl.meta.run {
            @if let Some(d) = &run {
                dt { "State" } dd { (state(str_of(d, "state_type"), run_state_name(d))) }
            } @else {
                dt { "State" } dd { "unknown: this database has the run's artifacts but not the run" }
            }
            @if let Some(f) = flow {
                dt { "Flow" } dd { a href=(flow_link(m, str_of(f, "name"))) { (str_of(f, "name")) } }
            }
            @if let Some((fr_id, fr)) = &flow_run {
                dt { "Flow run" }
                dd { a href=(m.path(&format!("/ui/flow-runs/{fr_id}"))) { (fr.map(|d| str_of(d, "name")).unwrap_or(fr_id)) } }
            }
            dt { "Id" } dd { code { (id) } }
            @if m.prefect_ui {
                dt { "Prefect UI" }
                dd { a.prefect href={ (prefect_path) (id) } { "Open " (what.to_lowercase()) " " (name) " in Prefect's UI" } }
            }
        }
        @if found.rows.is_empty() {
            div.empty { p { "This " (what.to_lowercase()) " has no artifacts." } }
        } @else {
            h2.section { "Artifacts" }
            (summary(&found, p.per, "artifacts, keyless ones too, newest first"))
            div.cards { @for c in &cards { (c) } }
            (pager(&pager_params, &path, &found))
        }
    };
    Ok((StatusCode::OK, layout(m, &format!("{what} {name}"), Nav::None, body)))
}

fn run_state_name(d: &crate::db::runs::Doc) -> &str {
    d.get("state_name").and_then(Value::as_str).unwrap_or_else(|| str_of(d, "state_type"))
}

fn flow_link(m: &Mount, name: &str) -> String {
    with_query(&m.path("/"), &[("flow", name.to_string())])
}

// ---------------------------------------------------------------------------
// Cards
// ---------------------------------------------------------------------------

enum CardKind<'a> {
    /// On a list: the key's latest version's times and version count, for
    /// a home card.
    List { latest: Option<&'a Latest> },
    /// On a key's page: version `number` of `of`.
    Version { number: i64, of: i64 },
    /// The artifact page, its table rows from `rows_from`.
    Detail { rows_from: usize },
}

fn card(ctx: &Ctx, a: &ArtifactRow, kind: CardKind, b: &mut Budget) -> Markup {
    let m = ctx.m;
    // A latest-by-key row points at its artifact through `latest_id`.
    let artifact_id = a.latest_id.as_deref().unwrap_or(&a.id);
    let artifact_href = m.path(&format!("/ui/artifacts/{artifact_id}"));
    let ty = a.r#type.as_deref().unwrap_or("");
    let detail = matches!(kind, CardKind::Detail { .. });
    let rows_from = match kind {
        CardKind::Detail { rows_from } => rows_from,
        _ => 0,
    };
    let description = a.description.as_deref().filter(|d| !d.is_empty());
    let alt = description.map(|d| truncate(d, 200)).or_else(|| a.key.clone()).unwrap_or_else(|| "image artifact".into());
    let body = render::render_data(a.r#type.as_deref(), a.data.as_deref(), &Opts { alt: &alt, rows_from }, b);
    let (body_html, table_rows) = match body {
        Ok(x) => (x.html, x.table_rows),
        Err(why) => (too_large(artifact_id, &why), None),
    };
    let desc_html = match (detail, description) {
        (true, Some(d)) => Some(render::markdown(d, b).unwrap_or_else(|why| too_large(artifact_id, &why))),
        _ => None,
    };
    let (created, updated) = match &kind {
        CardKind::List { latest: Some(l) } => (l.created.as_str(), l.updated.as_str()),
        _ => (a.created.as_str(), a.updated.as_str()),
    };
    let key_label = a.key.as_deref().unwrap_or("(no key)");
    let open_label = match &kind {
        CardKind::Version { number, of } => format!("View {key_label} version {number} of {of}"),
        _ => format!("View artifact {key_label}"),
    };
    html! {
        article class={ "card" @if detail { " detail" } } data-type=(ty) data-id=(artifact_id) {
            div.card-head {
                @match (&kind, &a.key) {
                    (CardKind::Version { number, of }, _) => {
                        h2.key { a href=(artifact_href) { "v" (number) " of " (of) @if number == of { " (latest)" } } }
                    }
                    (CardKind::Detail { .. }, _) => {}
                    (_, Some(k)) => {
                        h2.key title=(k) { a.key href=(m.path(&format!("/ui/keys/{}", url_encode(k)))) { (k) } }
                    }
                    (_, None) => { h2.key { span.nokey { "(no key)" } } }
                }
                @if !ty.is_empty() { span.badge { (ty) } }
                @if let CardKind::List { latest: Some(l) } = &kind {
                    @if let Some(k) = &a.key {
                        a.versions href=(m.path(&format!("/ui/keys/{}", url_encode(k)))) {
                            (l.versions) @if l.versions == 1 { " version" } @else { " versions" }
                        }
                    }
                }
                @if detail {
                    a.open href={ "/api/artifacts/" (artifact_id) } { "Raw JSON" }
                } @else {
                    a.open href=(artifact_href) aria-label=(open_label) { "View" }
                }
            }
            @if let Some(d) = description {
                @if let Some(h) = &desc_html { div.desc { (h) } }
                @else { p.desc title=(d) { (truncate(d, 200)) } }
            }
            div.body { (body_html) }
            @if detail {
                @if let Some(total) = table_rows.filter(|t| *t > MAX_TABLE_ROWS) {
                    (rows_pager(&artifact_href, rows_from, total))
                }
            }
            (meta(ctx, a, created, updated))
            @if detail { (metadata(a)) dl.meta { dt { "Id" } dd { code { (a.id) } } } }
        }
    }
}

/// Previous and next windows of a long table's rows (`?rows=N`).
fn rows_pager(href: &str, from: usize, total: usize) -> Markup {
    let prev = from.checked_sub(MAX_TABLE_ROWS).map(|p| if p == 0 { href.to_string() } else { format!("{href}?rows={p}") });
    let next = Some(from.saturating_add(MAX_TABLE_ROWS)).filter(|n| *n < total).map(|n| format!("{href}?rows={n}"));
    html! {
        nav.pager.rows aria-label="Table rows" {
            @if let Some(p) = prev { a rel="prev" href=(p) { "← Previous " (MAX_TABLE_ROWS) " rows" } }
            @else { span.off { "← Previous rows" } }
            @if let Some(n) = next { a rel="next" href=(n) { "Next " (MAX_TABLE_ROWS) " rows →" } }
            @else { span.off { "Next rows →" } }
        }
    }
}

fn metadata(a: &ArtifactRow) -> Markup {
    let m = match a.metadata.as_deref().map(serde_json::from_str::<Value>) {
        Some(Ok(Value::Object(m))) if !m.is_empty() => m,
        _ => return html! {},
    };
    html! {
        h2.section { "Metadata" }
        table.kv {
            @for (k, v) in &m {
                tr { th scope="row" { (k) } td { (v.as_str().map(String::from).unwrap_or_else(|| v.to_string())) } }
            }
        }
    }
}

/// Flow (a link to the list filtered by it), flow run and task run (links
/// to their artifacts, and to Prefect's run pages when it is served), and
/// times.
fn meta(ctx: &Ctx, a: &ArtifactRow, created: &str, updated: &str) -> Markup {
    let (m, rel) = (ctx.m, ctx.related);
    let run = a.flow_run_id.as_deref().map(|id| (id, rel.get(Resource::FlowRuns, id)));
    let task = a.task_run_id.as_deref().map(|id| (id, rel.get(Resource::TaskRuns, id)));
    html! {
        dl.meta {
            @if let Some((_, Some(run))) = &run {
                @if let Some(flow) = rel.flow_of(run) {
                    dt { "Flow" } dd.flow { a href=(flow_link(m, str_of(flow, "name"))) { (str_of(flow, "name")) } }
                }
            }
            @if let Some((id, doc)) = &run {
                dt { "Flow run" }
                dd.flow-run {
                    @let name = doc.map(|d| str_of(d, "name")).filter(|n| !n.is_empty()).unwrap_or(id);
                    a href=(m.path(&format!("/ui/flow-runs/{id}"))) title={ "Artifacts of flow run " (name) } { (name) }
                    @if let Some(d) = doc { " " (state(str_of(d, "state_type"), run_state_name(d))) }
                    @if m.prefect_ui {
                        " " a.prefect href={ "/runs/flow-run/" (id) } aria-label={ "Flow run " (name) " in Prefect's UI" } { "Prefect UI" }
                    }
                }
            }
            @if let Some((id, doc)) = &task {
                dt { "Task run" }
                dd.task-run {
                    @let name = doc.map(|d| str_of(d, "name")).filter(|n| !n.is_empty()).unwrap_or(id);
                    a href=(m.path(&format!("/ui/task-runs/{id}"))) title={ "Artifacts of task run " (name) } { (name) }
                    @if m.prefect_ui {
                        " " a.prefect href={ "/runs/task-run/" (id) } aria-label={ "Task run " (name) " in Prefect's UI" } { "Prefect UI" }
                    }
                }
            }
            dt { "Created" } dd { (time(created, ctx.now)) }
            dt { "Updated" } dd { (time(updated, ctx.now)) }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::super::respond::Cancel;
    use super::*;

    fn row(data: &str) -> ArtifactRow {
        ArtifactRow {
            id: "a".into(),
            created: String::new(),
            updated: String::new(),
            key: None,
            latest_id: None,
            r#type: Some("markdown".into()),
            description: None,
            data: Some(data.into()),
            metadata: None,
            flow_run_id: None,
            task_run_id: None,
        }
    }

    fn index_of(rows: Vec<ArtifactRow>, b: &mut Budget) -> Rendered {
        let total = rows.len() as i64;
        let page = IndexPage {
            found: Found { rows, total: Some(total), page: 1, more: false },
            related: Related::default(),
            latest: HashMap::new(),
            flows: vec![],
            any_artifact: true,
        };
        render_index(page, &Mount::default(), &Params::from(HashMap::new()), "http://h/api", b)
    }

    #[test]
    fn a_render_stops_once_the_client_has_gone() {
        let mut b = Budget::page(Cancel::default());
        drop(b.cancel.stop_on_drop());
        assert!(index_of(vec![], &mut b).is_ok(), "no rows: nothing to stop");
        assert_eq!(index_of(vec![row("\"# hi\"")], &mut b).unwrap_err().0.as_u16(), 503);
    }

    #[test]
    fn one_h1_per_page_and_links_under_the_mount() {
        let mut b = Budget::page(Cancel::default());
        let (status, html) = index_of(vec![row("\"# hi\"")], &mut b).unwrap();
        let html = html.into_string();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.matches("<h1").count(), 1, "{html}");
        let m = Mount { base: "/artifactd".into(), prefect_ui: true };
        let html = filters_form(&m, &[], &Params::default()).into_string();
        assert!(html.contains("action=\"/artifactd/\""), "{html}");
        assert_eq!(flow_link(&m, "a b"), "/artifactd/?flow=a%20b");
    }

    #[test]
    fn rows_pager_steps_by_a_window() {
        let h = rows_pager("/ui/artifacts/x", 500, 1200).into_string();
        assert!(h.contains("href=\"/ui/artifacts/x\"") && h.contains("href=\"/ui/artifacts/x?rows=1000\""), "{h}");
        assert!(!rows_pager("/x", usize::MAX, 1200).into_string().contains("rel=\"next\""), "no overflow");
        let h = rows_pager("/ui/artifacts/x", 1000, 1200).into_string();
        assert!(h.contains("?rows=500\"") && !h.contains("rel=\"next\""), "{h}");
    }
}
