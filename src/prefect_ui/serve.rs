//! Answering for Prefect's UI as the reference's `create_ui_app` does:
//! `GET /ui-settings`, the redirect of a neutral entry point to the
//! preferred UI, and each build's files with the single-page-app fallback
//! (an HTML navigation to an unknown path gets the build's `index.html`;
//! any other request for a missing file a 404).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{Bundle, PrefectUi, Version};
use crate::access::AccessSettings;
use crate::routes::{endpoint, Endpoint, Rule};

/// The reference's cookie for a browser's chosen UI.
const UI_VERSION_COOKIE: &str = "prefect_ui_version";

/// Hashed build output: the name changes whenever the content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else (index.html, icons, the manifest) is revalidated by
/// ETag on every use, so a new Prefect install shows at once.
const REVALIDATE: &str = "no-cache";

/// The routes beside the pages: `/ui-settings`, and `/artifactd` to the
/// built-in pages' new home when those are served.
pub fn endpoints(builtin_pages: bool) -> Vec<Endpoint> {
    let mut e = vec![endpoint(Method::GET, "/ui-settings", Rule::PREFECT_UI, ui_settings)];
    if builtin_pages {
        e.push(endpoint(Method::GET, super::BUILTIN_BASE, Rule::PAGE, to_builtin_pages));
    }
    e
}

/// The service for every path no route matched: Prefect's UI files.
pub fn fallback() -> actix_web::Route {
    web::to(files).wrap(actix_web::middleware::Compress::default()).wrap(crate::access::Gate(Rule::PREFECT_UI))
}

async fn to_builtin_pages() -> HttpResponse {
    HttpResponse::TemporaryRedirect().insert_header((header::LOCATION, format!("{}/", super::BUILTIN_BASE))).finish()
}

/// `GET /ui-settings`: the reference's `UISettings`, field for field.
async fn ui_settings(req: HttpRequest, ui: web::Data<Arc<PrefectUi>>, access: web::Data<AccessSettings>) -> HttpResponse {
    // The reference takes `PREFECT_UI_API_URL` (default: its configured
    // host and port, which `prefect server start --port` does not change);
    // artifactd uses the address the browser reached it on, so the UI
    // works behind any host name or port, unless the variable is set.
    let api_url = ui.api_url.clone().unwrap_or_else(|| format!("{}api", crate::routes::base_url(&req)));
    let body = serde_json::json!({
        "api_url": api_url,
        "csrf_enabled": false,
        "auth": if access.auth_string.is_some() { Some("BASIC") } else { None },
        "flags": [],
        "default_ui": preferred_default(&ui).name(),
        "available_uis": ui.available().iter().map(|v| v.name()).collect::<Vec<_>>(),
        "v1_base_url": ui.v1.as_ref().map(|b| b.base),
        "v2_base_url": ui.v2.as_ref().map(|b| b.base),
    });
    HttpResponse::Ok().content_type("application/json").body(crate::pyjson::to_starlette_json(&body))
}

fn preferred_default(ui: &PrefectUi) -> Version {
    if ui.bundle(ui.default_ui).is_some() {
        ui.default_ui
    } else {
        ui.available().first().copied().unwrap_or(ui.default_ui)
    }
}

/// The reference's `_is_html_navigation`: a browser loading a page.
fn is_navigation(req: &HttpRequest) -> bool {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return false;
    }
    let h = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    h("sec-fetch-mode") == "navigate" || matches!(h("sec-fetch-dest").as_str(), "document" | "iframe") || h("accept").contains("text/html")
}

/// FastAPI's frontend fallback test: an `Accept` naming HTML with a
/// non-zero quality.
fn accepts_html(req: &HttpRequest) -> bool {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or_default().to_ascii_lowercase();
        let zero = params.any(|p| {
            p.strip_prefix("q=").and_then(|q| q.trim().parse::<f64>().ok()).is_some_and(|q| q == 0.0)
        });
        (media == "text/html" || media == "application/xhtml+xml") && !zero
    })
}

/// The reference's `redirect_to_preferred_ui`: a navigation to `/` (or to
/// `/v2/...` without a v2 build) goes to the UI the browser chose (its
/// cookie) or the default one.
fn preferred_ui_redirect(req: &HttpRequest, ui: &PrefectUi, path: &str) -> Option<HttpResponse> {
    if !is_navigation(req) || ui.available().is_empty() || path.ends_with("/ui-settings") {
        return None;
    }
    let (requested, relative) = match v2_relative(path) {
        Some(rel) => {
            if ui.v2.is_some() {
                return None;
            }
            (Version::V2, rel)
        }
        None if path == "/" => (Version::V1, "/"),
        None => return None,
    };
    let cookie = req.cookie(UI_VERSION_COOKIE).and_then(|c| ui.available().into_iter().find(|v| v.name() == c.value()));
    let preferred = cookie.unwrap_or_else(|| preferred_default(ui));
    if preferred == requested {
        return None;
    }
    let base = ui.bundle(preferred)?.base;
    let mut to = match (base, relative) {
        ("/", rel) => escape(rel),
        (base, "/") => format!("{base}/"),
        (base, rel) => format!("{base}{}", escape(rel)),
    };
    if !req.query_string().is_empty() {
        to = format!("{to}?{}", req.query_string());
    }
    Some(HttpResponse::TemporaryRedirect().insert_header((header::LOCATION, to)).finish())
}

/// What a decoded path may hold that a `Location` header may not.
const PATH_ESCAPED: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// A decoded path, escaped again for a `Location` header.
fn escape(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH_ESCAPED).to_string()
}

/// The part of `path` under `/v2` (`/` for `/v2` itself), if it is there.
fn v2_relative(path: &str) -> Option<&str> {
    match path.strip_prefix("/v2") {
        Some("") => Some("/"),
        Some(rest) if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// Starlette's `os.path.normpath` of the path under a mount, done on the
/// segments: empty and `.` segments drop, `..` takes one back. `None` when
/// it would climb out of the build (which then has no such file).
fn normalise(rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

async fn files(req: HttpRequest, ui: web::Data<Arc<PrefectUi>>) -> HttpResponse {
    // The path as the router decoded it: `%2e%2e` is `..` here and an
    // encoded slash stays `%2F` inside one segment (and names no file).
    let path = req.match_info().as_str().to_string();
    if let Some(r) = preferred_ui_redirect(&req, &ui, &path) {
        return r;
    }
    let (bundle, rel) = match (v2_relative(&path), &ui.v2, &ui.v1) {
        (Some(rel), Some(v2), _) => (v2, rel.to_string()),
        (_, _, Some(v1)) => (v1, path.trim_start_matches('/').to_string()),
        _ => return crate::routes::not_found(req).await,
    };
    // `/v2` itself is `""` under its mount, so it gets the slash redirect.
    let rel = if rel == "/" && path == "/v2" { String::new() } else { rel };
    let found = normalise(&rel).and_then(|r| {
        if bundle.has_file(&r) {
            Some((r, false))
        } else if bundle.is_index_dir(&r) {
            Some((if r.is_empty() { "index.html".to_string() } else { format!("{r}/index.html") }, true))
        } else {
            None
        }
    });
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return if found.is_some() {
            crate::routes::method_not_allowed(req).await
        } else {
            crate::routes::not_found(req).await
        };
    }
    match found {
        Some((_, true)) if !path.ends_with('/') => {
            // Starlette sends a directory's index only at its slash path.
            let query = if req.query_string().is_empty() { String::new() } else { format!("?{}", req.query_string()) };
            let to = format!("{}{}/{query}", crate::routes::base_url(&req).trim_end_matches('/'), escape(&path));
            HttpResponse::TemporaryRedirect().insert_header((header::LOCATION, to)).finish()
        }
        Some((file, _)) => send(&req, bundle, &file).await,
        None if accepts_html(&req) => send(&req, bundle, "index.html").await,
        None => crate::routes::not_found(req).await,
    }
}

async fn send(req: &HttpRequest, bundle: &Bundle, rel: &str) -> HttpResponse {
    let read = {
        let rel = rel.to_string();
        // The bundle lives as long as the app data holding it.
        let ui = req.app_data::<web::Data<Arc<PrefectUi>>>().cloned();
        let version = bundle.version;
        web::block(move || ui.and_then(|u| u.bundle(version).map(|b| b.read(&rel))).transpose()).await
    };
    let cached = match read {
        Ok(Ok(Some(Some(c)))) => c,
        Ok(Ok(_)) => return crate::routes::not_found(req.clone()).await,
        Ok(Err(e)) => {
            tracing::warn!(file = %rel, error = %e, "cannot read a Prefect UI file");
            return crate::routes::not_found(req.clone()).await;
        }
        Err(_) => return HttpResponse::ServiceUnavailable().finish(),
    };
    let cache = if rel.starts_with("assets/") { IMMUTABLE } else { REVALIDATE };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == cached.etag || t.trim() == "*"));
    let mut res = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, cached.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header(("x-content-type-options", "nosniff"));
    if matches {
        return res.finish();
    }
    res.content_type(content_type(rel)).body(cached.body.clone())
}

/// The types the reference (Python's `mimetypes`) gives the files a build
/// holds; anything else is sent as opaque bytes.
pub fn content_type(rel: &str) -> &'static str {
    let ext = rel.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/vnd.microsoft.icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_never_climbs_out() {
        assert_eq!(normalise("a//b/./c").as_deref(), Some("a/b/c"));
        assert_eq!(normalise("assets/../index.html").as_deref(), Some("index.html"));
        assert_eq!(normalise("../etc/passwd"), None);
        assert_eq!(normalise("a/../../x"), None);
        assert_eq!(normalise("").as_deref(), Some(""));
    }

    #[test]
    fn v2_paths_are_recognised() {
        assert_eq!(v2_relative("/v2"), Some("/"));
        assert_eq!(v2_relative("/v2/runs"), Some("/runs"));
        assert_eq!(v2_relative("/v2x"), None);
        assert_eq!(v2_relative("/runs"), None);
    }

    #[test]
    fn html_acceptance_follows_quality() {
        let req = |a: &str| actix_web::test::TestRequest::default().insert_header((header::ACCEPT, a)).to_http_request();
        assert!(accepts_html(&req("text/html,application/xhtml+xml;q=0.9")));
        assert!(!accepts_html(&req("text/html;q=0")));
        assert!(!accepts_html(&req("application/json")));
    }
}
