//! The one access decision. Every route is registered with a [`Rule`] and
//! wrapped in a [`Gate`], which runs after the router has matched it: the
//! decision is made on the route the handler will serve, however the path
//! was spelled (percent-encoded letters, doubled slashes, case), never on
//! the raw request string.

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpResponse};
use futures_util::future::{Either, LocalBoxFuture};

use super::{api_version, credentials, AccessSettings};
use crate::pyjson;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Needs the auth string when one is set (the reference's API routes).
    Required,
    /// Never needs it: the reference's GET health and readiness probes.
    Open,
    /// Needs it, and a browser is asked for it (the built-in pages).
    Browser,
}

/// What a route does to the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Reads,
    /// Refused on a read-only server, whatever the HTTP method.
    Writes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub auth: Auth,
    pub effect: Effect,
    /// Checks `X-PREFECT-API-VERSION`, as the reference's API routers do.
    pub api_version: bool,
}

impl Rule {
    /// An API route that only reads.
    pub const READ: Rule = Rule { auth: Auth::Required, effect: Effect::Reads, api_version: true };
    /// An API route that changes data.
    pub const WRITE: Rule = Rule { auth: Auth::Required, effect: Effect::Writes, api_version: true };
    /// `GET /api/health`: open, no version check (declared on the app itself).
    pub const HEALTH: Rule = Rule { auth: Auth::Open, effect: Effect::Reads, api_version: false };
    /// `GET /api/ready`: open, but on a router, so version-checked.
    pub const READY: Rule = Rule { auth: Auth::Open, effect: Effect::Reads, api_version: true };
    /// `GET /api/version`: declared on the app itself, so not version-checked.
    pub const APP_ROUTE: Rule = Rule { auth: Auth::Required, effect: Effect::Reads, api_version: false };
    /// What answers an `/api` request no route serves (404, 405, the
    /// slash redirect): credentials still required, nothing changes.
    pub const UNMATCHED: Rule = Rule { auth: Auth::Required, effect: Effect::Reads, api_version: false };
    /// A built-in page.
    pub const PAGE: Rule = Rule { auth: Auth::Browser, effect: Effect::Reads, api_version: false };
    /// Prefect's UI files and `/ui-settings`: open, as the reference serves
    /// them (the UI then asks the user for the auth string).
    pub const PREFECT_UI: Rule = Rule { auth: Auth::Open, effect: Effect::Reads, api_version: false };
}

fn json_response(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(pyjson::to_starlette_json(&body))
}

/// The answer refusing `req` under `rule`, if any, with the reason to log.
pub fn decide(req: &ServiceRequest, rule: Rule, settings: &AccessSettings) -> Option<(HttpResponse, &'static str)> {
    if let Some(auth) = &settings.auth_string {
        let header = req.headers().get("authorization").map(|h| h.as_bytes());
        if rule.auth != Auth::Open && !credentials::basic_auth_matches(header, auth) {
            let reason = if header.is_some() { "wrong credentials" } else { "no credentials" };
            let resp = match rule.auth {
                Auth::Browser => HttpResponse::Unauthorized()
                    .insert_header(("www-authenticate", "Basic realm=\"artifactd\""))
                    .content_type("text/plain; charset=utf-8")
                    .body("Unauthorized"),
                _ => json_response(StatusCode::UNAUTHORIZED, serde_json::json!({ "exception_message": "Unauthorized" })),
            };
            return Some((resp, reason));
        }
    }
    if settings.read_only && rule.effect == Effect::Writes {
        let resp = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({
                "detail": "artifactd is serving read-only (--read-only): this request would change data."
            }),
        );
        return Some((resp, "read-only server"));
    }
    if rule.api_version {
        let header = req.headers().get("x-prefect-api-version").map(|h| h.as_bytes());
        if let Some(detail) = api_version::refusal(header) {
            if takes_body(req.method()) {
                // The reference decodes a JSON body before this check (a
                // malformed one is a 422 first), so the body reader answers it.
                req.extensions_mut().insert(VersionRefusal(detail));
                return None;
            }
            return Some((json_response(StatusCode::BAD_REQUEST, serde_json::json!({ "detail": detail })), "unsupported X-PREFECT-API-VERSION"));
        }
    }
    None
}

/// The 400 an API-version check owes a request whose body is still to be
/// decoded; `routes::body` answers it right after decoding.
#[derive(Debug, Clone)]
pub struct VersionRefusal(pub String);

fn takes_body(m: &actix_web::http::Method) -> bool {
    matches!(*m, actix_web::http::Method::POST | actix_web::http::Method::PATCH | actix_web::http::Method::PUT)
}

/// Middleware applying one route's [`Rule`].
#[derive(Debug, Clone, Copy)]
pub struct Gate(pub Rule);

impl<S, B> Transform<S, ServiceRequest> for Gate
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = GateService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(GateService { service: Rc::new(service), rule: self.0 }))
    }
}

pub struct GateService<S> {
    service: Rc<S>,
    rule: Rule,
}

impl<S, B> Service<ServiceRequest> for GateService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = Either<Ready<Result<Self::Response, Self::Error>>, LocalBoxFuture<'static, Result<Self::Response, Self::Error>>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let refused = match req.app_data::<web::Data<AccessSettings>>() {
            Some(settings) => decide(&req, self.rule, settings),
            // Never in artifactd's own app, which always registers them.
            None => decide(&req, self.rule, &AccessSettings::default()),
        };
        if let Some((resp, reason)) = refused {
            tracing::warn!(method = %req.method(), path = %req.match_info().as_str(), status = resp.status().as_u16(), reason, "request refused");
            return Either::Left(ready(Ok(req.into_response(resp).map_into_right_body())));
        }
        let service = Rc::clone(&self.service);
        Either::Right(Box::pin(async move { service.call(req).await.map(ServiceResponse::map_into_left_body) }))
    }
}
