//! Who may do what: Prefect's optional basic-auth string, CORS as Prefect's
//! settings configure it, and a read-only mode for demos. The decision
//! itself is made per route, after routing, in [`gate`].

pub mod api_version;
pub mod credentials;
pub mod forwarded;
pub mod gate;

use actix_web::http::Method;

pub use gate::{Gate, Rule};

#[derive(Debug, Clone, Default)]
pub struct AccessSettings {
    /// `PREFECT_SERVER_API_AUTH_STRING`: when set, every `/api` request must
    /// carry `Authorization: Basic base64(<this string>)`.
    pub auth_string: Option<String>,
    pub read_only: bool,
    pub cors_origins: String,
    pub cors_methods: String,
    pub cors_headers: String,
    /// Peers whose `X-Forwarded-Proto` is believed (uvicorn's
    /// `--forwarded-allow-ips`, which the reference runs with).
    pub forwarded_allow_ips: forwarded::TrustedProxies,
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
