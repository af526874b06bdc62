//! HTTP routes under `/api`. Handlers only read the request, call `db`, and
//! write the answer; `schemas` does the validation.

pub mod admin;
pub mod api_version;
pub mod artifacts;
pub mod body;
pub mod events;
pub mod openapi;
pub mod runs;
pub mod ui;

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use actix_web::dev::ResourceDef;
use actix_web::{web, HttpRequest, HttpResponse};

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

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .configure(admin::configure)
            .configure(artifacts::configure)
            .configure(events::configure)
            .configure(runs::configure)
            .configure(runs::configure_logs)
            .configure(runs::configure_concurrency)
            .configure(openapi::configure)
            .default_service(web::to(not_found)),
    )
    .configure(openapi::configure_docs)
    .default_service(web::to(not_found));
}

static SEEN_UNSUPPORTED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// Anything artifactd does not serve: a JSON 404 at once, and a warning the
/// first time each path is asked for, so a user sees what a client needed.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    if let Some(to) = slash_redirect(&req) {
        return HttpResponse::TemporaryRedirect().insert_header(("location", to)).finish();
    }
    let what = format!("{} {}", req.method(), req.path());
    if let Ok(mut seen) = SEEN_UNSUPPORTED.lock() {
        if seen.get_or_insert_with(HashSet::new).insert(what.clone()) {
            tracing::warn!(request = %what, "unsupported endpoint requested");
        }
    }
    actix_web::ResponseError::error_response(&ApiError::not_found("Not Found"))
}

/// Every path artifactd serves, as actix patterns, for the slash redirect.
fn known_paths() -> &'static [ResourceDef] {
    static PATHS: OnceLock<Vec<ResourceDef>> = OnceLock::new();
    PATHS.get_or_init(|| {
        let id = format!("{{id:{UUID_PATH}}}");
        [
            "/api/health".to_string(),
            "/api/admin/version".to_string(),
            "/api/artifacts/".to_string(),
            "/api/artifacts/filter".to_string(),
            "/api/artifacts/count".to_string(),
            "/api/artifacts/latest/filter".to_string(),
            "/api/artifacts/latest/count".to_string(),
            format!("/api/artifacts/{id}"),
            "/api/artifacts/{key}/latest".to_string(),
            "/api/admin/storage".to_string(),
            "/api/csrf-token".to_string(),
            "/api/logs/".to_string(),
            "/api/logs/filter".to_string(),
            "/api/v2/concurrency_limits/increment-with-lease".to_string(),
        ]
        .into_iter()
        .chain(runs::paths())
        .collect::<Vec<_>>()
        .iter()
        .map(|p| ResourceDef::new(p.as_str()))
        .collect()
    })
}

/// Starlette's `redirect_slashes`: a path that matches no route but would
/// with its trailing slash added or removed gets a 307 to that path.
fn slash_redirect(req: &HttpRequest) -> Option<String> {
    let path = req.path();
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
    let info = req.connection_info();
    let query = req.query_string();
    let query = if query.is_empty() { String::new() } else { format!("?{query}") };
    Some(format!("{}://{}{}{}", info.scheme(), info.host(), other, query))
}

/// The answer for a known path asked with the wrong method, with the
/// `Allow` header RFC 9110 asks for (Starlette sends one too): the methods
/// the document lists for the path; the pages, `/docs` and the events
/// websocket, which it does not list, are GET only.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut res = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed("Method Not Allowed".into()));
    let methods = crate::openapi::allowed_methods(req.path());
    let allow = if methods.is_empty() { "GET".to_string() } else { methods.join(", ") };
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
        res.headers_mut().insert(actix_web::http::header::ALLOW, v);
    }
    res
}

/// FastAPI's `{id:uuid}` path converter.
pub const UUID_PATH: &str =
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
