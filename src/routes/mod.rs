//! HTTP routes under `/api`. Handlers only read the request, call `db`, and
//! write the answer; `schemas` does the validation.

pub mod admin;
pub mod artifacts;
pub mod automations;
pub mod body;
pub mod deployments;
pub mod events;
pub mod flow_run_inputs;
pub mod events_out;
pub mod events_query;
pub mod flows;
pub mod logs_download;
pub mod openapi;
pub mod paginate;
pub mod run_history;
pub mod runs;
pub mod states;
pub mod ui;
pub mod ui_runs;
pub mod variables;
pub mod admin_settings;
pub mod collections;
pub mod graph;
pub mod work_pools;
pub mod saved_searches;
pub mod testing;
pub mod ui_schemas;

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

pub use crate::access::Rule;
use crate::access::Gate;
use crate::error::ApiError;

/// Runs `f` on a database reader on a blocking thread, after waiting for
/// its turn (`Db::read_turn`), so reads never block the async workers.
pub async fn read<T, F>(db: &web::Data<crate::db::Db>, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&rusqlite::Connection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let _turn = db.read_turn().await;
    let db = db.clone();
    web::block(move || f(&*db.reader()?)).await?
}

/// One operation: a method on a path pattern, the [`Rule`] it runs under
/// and its handler. [`endpoint`] is the only way a handler is registered, so
/// no route can be added without saying who may call it and whether it
/// writes.
pub struct Endpoint {
    pub method: Method,
    /// An actix pattern, relative to `/api` for API endpoints.
    pub pattern: String,
    pub rule: Rule,
    /// What a request with another method gets on this path.
    pub other_methods: OtherMethods,
    route: actix_web::Route,
}

/// The answer to a method a path does not serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherMethods {
    /// 405, as for any FastAPI route.
    MethodNotAllowed,
    /// 404: a websocket route matches no plain HTTP request.
    NotFound,
}

pub fn endpoint<F, Args>(method: Method, pattern: impl Into<String>, rule: Rule, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint {
        route: web::method(method.clone()).to(handler),
        method,
        pattern: pattern.into(),
        rule,
        other_methods: OtherMethods::MethodNotAllowed,
    }
}

impl Endpoint {
    /// What it is, without its handler; `prefix` is the scope it sits in.
    fn describe(self, prefix: &str) -> Described {
        Described { method: self.method, pattern: format!("{prefix}{}", self.pattern), rule: self.rule, other_methods: self.other_methods }
    }

    pub fn other_methods(mut self, o: OtherMethods) -> Self {
        self.other_methods = o;
        self
    }
}

/// Every API endpoint, in matching order (the first pattern that matches
/// wins, as in actix and Starlette alike).
pub fn api_endpoints() -> Vec<Endpoint> {
    [
        admin::endpoints(),
        artifacts::endpoints(),
        events::endpoints(),
        events_out::endpoints(),
        events_query::endpoints(),
        runs::endpoints(),
        states::endpoints(),
        flow_run_inputs::endpoints(),
        variables::endpoints(),
        deployments::endpoints(),
        flows::endpoints(),
        automations::endpoints(),
        openapi::endpoints(),
        paginate::endpoints(),
        run_history::endpoints(),
        ui_runs::endpoints(),
        logs_download::endpoints(),
        admin_settings::endpoints(),
        graph::endpoints(),
        work_pools::endpoints(),
        collections::endpoints(),
        saved_searches::endpoints(),
        ui_schemas::endpoints(),
    ]
        .into_iter()
        .flatten()
        .collect()
}

/// What each endpoint is, without its handler: for the slash redirect,
/// tests and the API description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub method: Method,
    /// The full pattern, `/api/...` for API endpoints.
    pub pattern: String,
    pub rule: Rule,
    pub other_methods: OtherMethods,
}

/// The API endpoints, described.
pub fn api_table() -> &'static [Described] {
    static TABLE: OnceLock<Vec<Described>> = OnceLock::new();
    TABLE.get_or_init(|| {
        api_endpoints().into_iter().map(|e| e.describe("/api")).collect()
    })
}

/// The built-in pages, described.
pub fn page_table() -> &'static [Described] {
    static TABLE: OnceLock<Vec<Described>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ui::endpoints().into_iter().map(|e| e.describe("")).collect()
    })
}

/// Registers endpoints as resources, one per pattern in first-seen order,
/// each route and each fallback behind its gate.
fn resources(endpoints: Vec<Endpoint>, fallback_rule: Rule) -> Vec<actix_web::Resource> {
    let mut groups: Vec<(String, OtherMethods, Vec<Endpoint>)> = Vec::new();
    for e in endpoints {
        match groups.iter_mut().find(|(p, _, _)| *p == e.pattern) {
            Some((_, other, group)) => {
                if e.other_methods == OtherMethods::NotFound {
                    *other = OtherMethods::NotFound;
                }
                group.push(e);
            }
            None => groups.push((e.pattern.clone(), e.other_methods, vec![e])),
        }
    }
    let mut out = Vec::new();
    for (pattern, other, group) in groups {
        let mut resource = web::resource(pattern);
        for e in group {
            resource = resource.route(e.route.wrap(Gate(e.rule)));
        }
        let fallback = match other {
            OtherMethods::MethodNotAllowed => web::to(method_not_allowed),
            OtherMethods::NotFound => web::to(not_found),
        };
        out.push(resource.default_service(fallback.wrap(Gate(fallback_rule))));
    }
    out
}

/// The API under `/api`, and the JSON 404 for everything else. `pages` are
/// the built-in UI's endpoints (none with `--no-ui`).
pub fn configure_with_pages(cfg: &mut web::ServiceConfig, pages: Vec<Endpoint>) {
    configure_with_fallback(cfg, pages, None);
}

/// As [`configure_with_pages`], with `fallback` (Prefect's UI files) instead
/// of the JSON 404 for paths outside `/api` that no page matches.
pub fn configure_with_fallback(cfg: &mut web::ServiceConfig, pages: Vec<Endpoint>, fallback: Option<actix_web::Route>) {
    configure_app(cfg, pages, fallback, false);
}

/// As [`configure_with_fallback`]; `testing` adds artifactd's own test
/// endpoints (`serve --testing`), which are otherwise no route at all.
pub fn configure_app(cfg: &mut web::ServiceConfig, pages: Vec<Endpoint>, fallback: Option<actix_web::Route>, testing: bool) {
    let mut scope = web::scope("/api");
    let mut api = api_endpoints();
    if testing {
        api.extend(testing::endpoints());
    }
    for r in resources(api, Rule::UNMATCHED) {
        scope = scope.service(r);
    }
    cfg.service(scope.default_service(web::to(not_found).wrap(Gate(Rule::UNMATCHED))));
    for r in resources(pages, Rule::PAGE) {
        cfg.service(r);
    }
    match fallback {
        Some(f) => cfg.default_service(f),
        None => cfg.default_service(web::to(not_found)),
    };
}

/// The API alone.
pub fn configure(cfg: &mut web::ServiceConfig) {
    configure_with_pages(cfg, Vec::new());
}

/// At most this many distinct unserved requests are remembered (and
/// logged), so a client that invents paths cannot grow memory.
const MAX_UNSERVED_LOGGED: usize = 1024;

static SEEN_UNSERVED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Logs the first request for each unserved method and path at warn, so a
/// user sees what a client needed that artifactd lacks.
fn warn_unserved(req: &HttpRequest, what: &'static str) {
    let request = format!("{} {}", req.method(), req.path());
    let Ok(mut seen) = SEEN_UNSERVED.lock() else { return };
    let seen = seen.get_or_insert_with(HashSet::new);
    if seen.len() > MAX_UNSERVED_LOGGED || seen.contains(&request) {
        return;
    }
    if seen.len() == MAX_UNSERVED_LOGGED {
        tracing::warn!(limit = MAX_UNSERVED_LOGGED, "more unserved requests than the log remembers; no more are logged");
        seen.insert(String::new());
        return;
    }
    tracing::warn!(request = %request, "{what}");
    seen.insert(request);
}

/// Anything artifactd does not serve: a JSON 404 at once, and a warning the
/// first time each path is asked for.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if let Some(to) = slash_redirect(&req) {
        return HttpResponse::TemporaryRedirect().insert_header(("location", to)).finish();
    }
    warn_unserved(&req, "unsupported endpoint requested");
    actix_web::ResponseError::error_response(&ApiError::not_found("Not Found"))
}

/// Every API path, as actix patterns, for the slash redirect.
fn known_paths() -> &'static [ResourceDef] {
    static PATHS: OnceLock<Vec<ResourceDef>> = OnceLock::new();
    PATHS.get_or_init(|| {
        // A websocket route matches no HTTP request, so none redirects to it.
        let mut patterns: Vec<&str> = api_table()
            .iter()
            .filter(|d| d.other_methods == OtherMethods::MethodNotAllowed)
            .map(|d| d.pattern.as_str())
            .collect();
        patterns.dedup();
        patterns.into_iter().map(ResourceDef::new).collect()
    })
}

/// Starlette's `redirect_slashes`: a path that matches no route but would
/// with its trailing slash added or removed gets a 307 to that path.
fn slash_redirect(req: &HttpRequest) -> Option<String> {
    // The path as the router decoded it (Starlette redirects to the
    // decoded path too).
    let path = req.match_info().as_str();
    if path == "/" {
        return None;
    }
    let other = match path.strip_suffix('/') {
        Some(p) => p.to_string(),
        None => format!("{path}/"),
    };
    if !known_paths().iter().any(|d| d.is_match(&other)) {
        return None;
    }
    let scheme = match req.app_data::<web::Data<crate::access::AccessSettings>>() {
        Some(s) => s.forwarded_allow_ips.scheme(req),
        None => "http".to_string(),
    };
    let query = req.query_string();
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    let url = format!("{scheme}://{}{other}{query}", own_host(req));
    Some(utf8_percent_encode(&url, LOCATION_ESCAPED).to_string())
}

/// Starlette's `request.base_url`: the scheme (a trusted proxy's
/// `X-Forwarded-Proto`, else http) and the request's own host, then `/`.
pub fn base_url(req: &HttpRequest) -> String {
    let scheme = match req.app_data::<web::Data<crate::access::AccessSettings>>() {
        Some(s) => s.forwarded_allow_ips.scheme(req),
        None => "http".to_string(),
    };
    format!("{scheme}://{}/", own_host(req))
}

/// The request's own host, as Starlette builds URLs: the `Host` header,
/// else the address the request came in on. Never a forwarding header.
fn own_host(req: &HttpRequest) -> String {
    if let Some(h) = req.headers().get(actix_web::http::header::HOST) {
        return h.as_bytes().iter().map(|&b| b as char).collect();
    }
    if let Some(a) = req.uri().authority() {
        return a.to_string();
    }
    let local = req.app_config().local_addr();
    if local.port() == 80 {
        local.ip().to_string()
    } else {
        local.to_string()
    }
}

/// What Starlette's `RedirectResponse` escapes in a URL: all but
/// alphanumerics and ``-._~:/%#?=@[]!$&'()*+,;``.
const LOCATION_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/')
    .remove(b'%')
    .remove(b'#')
    .remove(b'?')
    .remove(b'=')
    .remove(b'@')
    .remove(b'[')
    .remove(b']')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';');

/// The answer for a known path asked with the wrong method, with the
/// `Allow` header RFC 9110 asks for (Starlette sends one too): the methods
/// the route table serves on the matched pattern.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    warn_unserved(&req, "unsupported method requested");
    let mut res = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed("Method Not Allowed".into()));
    let pattern = req.match_pattern().unwrap_or_default();
    let methods: Vec<&str> =
        api_table().iter().chain(page_table()).filter(|d| d.pattern == pattern).map(|d| d.method.as_str()).collect();
    let allow = if methods.is_empty() { "GET".to_string() } else { methods.join(", ") };
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    res
}

/// Starlette's `{id:uuid}` path converter: either case, dashes optional
/// (braces or `urn:uuid:` match no route there either).
pub const UUID_PATH: &str =
    "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}";

/// Whether a decoded free-text path parameter (Starlette's `str`
/// convertor) would match the reference's route: one holding a line feed
/// does not (the reference answers its plain 404), so the handler answers
/// [`not_found`] for it.
pub fn free_text_matches(value: &str) -> bool {
    !value.contains('\n')
}

/// A path id that matched [`UUID_PATH`], in the form ids are stored in:
/// lowercase and hyphenated, as Python's `str(UUID(value))`.
pub fn path_id(raw: &str) -> String {
    // Python's `UUID()` drops every dash before it reads the hex digits.
    match uuid::Uuid::try_parse(&raw.replace('-', "")) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => raw.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unserved_requests_are_remembered_up_to_a_bound() {
        for i in 0..MAX_UNSERVED_LOGGED + 50 {
            let req = actix_web::test::TestRequest::default().uri(&format!("/api/unserved-{i}")).to_http_request();
            warn_unserved(&req, "unsupported endpoint requested");
        }
        let seen = SEEN_UNSERVED.lock().map(|s| s.as_ref().map_or(0, HashSet::len)).unwrap_or(usize::MAX);
        assert_eq!(seen, MAX_UNSERVED_LOGGED + 1);
    }

    #[test]
    fn path_ids_take_every_spelling_the_converter_matches() {
        let def = ResourceDef::new(format!("/x/{{id:{UUID_PATH}}}"));
        let matches = |s: &str| def.is_match(&format!("/x/{s}"));
        let canonical = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        for spelling in [canonical, "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "0a1b2c3d-4e5f60718293-a4b5c6d7e8f9"] {
            assert!(matches(spelling), "{spelling}");
            assert_eq!(path_id(spelling), canonical, "{spelling}");
        }
        for other in ["{0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9}", "urn:uuid:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f"] {
            assert!(!matches(other), "{other}");
        }
    }
}
