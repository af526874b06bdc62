//! Who may do what: Prefect's optional basic-auth string, CORS as Prefect's
//! settings configure it, and a read-only mode for demos.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::HttpResponse;
use base64::Engine;

use crate::pyjson;

#[derive(Debug, Clone, Default)]
pub struct AccessSettings {
    /// `PREFECT_SERVER_API_AUTH_STRING`: when set, every `/api` request must
    /// carry `Authorization: Basic base64(<this string>)`.
    pub auth_string: Option<String>,
    pub read_only: bool,
    pub cors_origins: String,
    pub cors_methods: String,
    pub cors_headers: String,
}

/// The reference leaves GET health and readiness probes open.
fn is_open_probe(req: &ServiceRequest) -> bool {
    req.method() == Method::GET && matches!(req.path(), "/api/health" | "/api/ready")
}

/// Compares in constant time, as the reference does with `hmac.compare_digest`.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// True when the request carries the configured credentials.
pub fn authorized(req: &ServiceRequest, auth_string: &str) -> bool {
    let Some(header) = req.headers().get("authorization").and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let mut parts = header.split_whitespace();
    let (Some(scheme), Some(creds), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    if scheme != "Basic" {
        return false;
    }
    match base64::engine::general_purpose::STANDARD.decode(creds) {
        Ok(decoded) => same(&decoded, auth_string.as_bytes()),
        Err(_) => false,
    }
}

/// Reads are GETs and the POSTs that only query (`…/filter`, `…/count`).
pub fn is_mutating(req: &ServiceRequest) -> bool {
    let m = req.method();
    if m == Method::GET || m == Method::HEAD || m == Method::OPTIONS {
        return req.path() == "/api/events/in";
    }
    if m == Method::POST {
        let p = req.path().trim_end_matches('/');
        return !(p.ends_with("/filter") || p.ends_with("/count"));
    }
    true
}

fn json_response(status: actix_web::http::StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(pyjson::to_starlette_json(&body))
}

/// The answer for a request the access settings refuse, if any.
pub fn refusal(req: &ServiceRequest, s: &AccessSettings) -> Option<HttpResponse> {
    if !req.path().starts_with("/api") {
        return None;
    }
    if let Some(auth) = &s.auth_string {
        if !is_open_probe(req) && !authorized(req, auth) {
            return Some(json_response(
                actix_web::http::StatusCode::UNAUTHORIZED,
                serde_json::json!({ "exception_message": "Unauthorized" }),
            ));
        }
    }
    if s.read_only && is_mutating(req) {
        return Some(json_response(
            actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({
                "detail": "artifactd is serving read-only (--read-only): this request would change data."
            }),
        ));
    }
    None
}

pub fn respond<B>(req: ServiceRequest, resp: HttpResponse) -> ServiceResponse<EitherBody<B, BoxBody>> {
    req.into_response(resp).map_into_right_body()
}

/// CORS from comma-separated lists, `*` meaning any.
pub fn cors(s: &AccessSettings) -> actix_cors::Cors {
    let mut c = actix_cors::Cors::default();
    let list = |v: &str| v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect::<Vec<_>>();
    let origins = list(&s.cors_origins);
    if origins.iter().any(|o| o == "*") {
        c = c.allow_any_origin().send_wildcard();
    } else {
        for o in origins {
            c = c.allowed_origin(&o);
        }
    }
    let methods = list(&s.cors_methods);
    if methods.iter().any(|m| m == "*") {
        c = c.allow_any_method();
    } else {
        let parsed: Vec<Method> = methods.iter().filter_map(|m| Method::from_bytes(m.as_bytes()).ok()).collect();
        c = c.allowed_methods(parsed);
    }
    let headers = list(&s.cors_headers);
    if headers.iter().any(|h| h == "*") {
        c = c.allow_any_header();
    } else {
        c = c.allowed_headers(headers.iter().filter_map(|h| actix_web::http::header::HeaderName::from_bytes(h.as_bytes()).ok()));
    }
    c.max_age(600)
}
