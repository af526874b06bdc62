//! Reading a request body the way FastAPI does: JSON parsed with Python's
//! rules, an empty body or `null` meaning "no body", and a size limit
//! answered with a JSON 413. A refused `X-PREFECT-API-VERSION` is answered
//! here, once the body is decoded, as the reference orders the two.

use std::time::Duration;

use actix_web::{web, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::ApiError;
use crate::pyjson::{self, LoadError};
use crate::schemas::validate::{ErrorItem, Loc};

/// What one request may cost the server while it arrives.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long a body may take to arrive in full.
    pub body_timeout: Duration,
    /// How long an events websocket may wait for its auth message.
    pub ws_auth_grace: Duration,
}

impl Default for RequestLimits {
    fn default() -> Self {
        RequestLimits {
            body_limit: 4 * 1024 * 1024,
            body_timeout: Duration::from_secs(30),
            ws_auth_grace: Duration::from_secs(10),
        }
    }
}

impl RequestLimits {
    pub fn of(req: &HttpRequest) -> RequestLimits {
        req.app_data::<web::Data<RequestLimits>>().map(|l| *l.get_ref()).unwrap_or_default()
    }
}

/// What FastAPI hands an endpoint whose body is not declared JSON (e.g.
/// `text/plain`): the raw text. Filter endpoints then see every parameter at
/// its default; single-model endpoints see a string where a model belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonJson {
    AsDefaults,
    AsString,
}

/// FastAPI parses the body as JSON when the content type is absent,
/// `application/json` or `application/*+json`.
fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get("content-type") else { return true };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
        _ => false,
    }
}

/// The embedded parameters of the filter and count endpoints. None of them
/// takes a float, so a NaN or Infinity in one always fails validation; the
/// reference then crashes echoing it (500), and artifactd answers a 422.
const FAMILY_PARAMS: &[&str] =
    &["artifacts", "flow_runs", "task_runs", "flows", "deployments", "work_pools", "work_pool_queues", "logs"];
/// Paging and sorting, which only the filter endpoints read (count ignores them).
const PAGE_PARAMS: &[&str] = &["limit", "offset", "sort"];

/// A body of embedded parameters (e.g. a count endpoint's filter families).
pub async fn read(req: &HttpRequest, payload: web::Payload) -> Result<Option<Value>, ApiError> {
    let (body, non_finite) = read_as(req, payload, NonJson::AsDefaults).await?;
    refuse_non_finite(&body, &non_finite, |k| FAMILY_PARAMS.contains(&k))?;
    Ok(body)
}

/// A filter endpoint's body: filter families plus paging and sorting.
pub async fn read_filter(req: &HttpRequest, payload: web::Payload) -> Result<Option<Value>, ApiError> {
    let (body, non_finite) = read_as(req, payload, NonJson::AsDefaults).await?;
    refuse_non_finite(&body, &non_finite, |k| FAMILY_PARAMS.contains(&k) || PAGE_PARAMS.contains(&k))?;
    Ok(body)
}

/// A body of embedded parameters where, besides the filter families, the
/// given parameters refuse NaN and Infinity (the reference crashes on them
/// with a 500; artifactd answers a 422): `/paginate`'s `page`, the
/// history's interval.
pub async fn read_finite(
    req: &HttpRequest,
    payload: web::Payload,
    params: &'static [&'static str],
) -> Result<Option<Value>, ApiError> {
    let (body, non_finite) = read_as(req, payload, NonJson::AsDefaults).await?;
    refuse_non_finite(&body, &non_finite, |k| FAMILY_PARAMS.contains(&k) || params.contains(&k))?;
    Ok(body)
}

/// A body holding one model.
pub async fn read_model(req: &HttpRequest, payload: web::Payload) -> Result<Option<Value>, ApiError> {
    Ok(read_as(req, payload, NonJson::AsString).await?.0)
}

/// An artifact create/update body: only `data` may hold any JSON, so a
/// non-finite number anywhere else is refused.
pub async fn read_artifact(req: &HttpRequest, payload: web::Payload) -> Result<Option<Value>, ApiError> {
    let (body, non_finite) = read_as(req, payload, NonJson::AsString).await?;
    refuse_non_finite(&body, &non_finite, |k| k != "data")?;
    Ok(body)
}

fn refuse_non_finite(body: &Option<Value>, keys: &[String], checked: impl Fn(&str) -> bool) -> Result<(), ApiError> {
    let bad: Vec<ErrorItem> = keys
        .iter()
        .filter(|k| checked(k))
        .map(|k| ErrorItem {
            kind: "finite_number".into(),
            loc: vec![Loc::Key("body".into()), Loc::Key(k.clone())],
            msg: "Input should be a finite number".into(),
            input: Value::Null,
            ctx: None,
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(ApiError::Validation { errors: bad, body: body.as_ref().map(pyjson::deep_clone).unwrap_or(Value::Null) })
}

async fn read_as(
    req: &HttpRequest,
    payload: web::Payload,
    non_json: NonJson,
) -> Result<(Option<Value>, Vec<String>), ApiError> {
    let bytes = read_bytes(req, payload).await?;
    let decoded = decode_body(req, &bytes, non_json)?;
    let refusal = req.extensions().get::<crate::access::gate::VersionRefusal>().map(|r| r.0.clone());
    if let Some(detail) = refusal {
        return Err(ApiError::BadRequest(detail));
    }
    Ok(decoded)
}

/// The raw body, within the size limit and the body timeout.
pub async fn read_bytes(req: &HttpRequest, mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let limits = RequestLimits::of(req);
    let limit = limits.body_limit;
    let receive = async {
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("There was an error reading the body: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError::PayloadTooLarge(format!(
                    "Request body is larger than the limit of {limit} bytes."
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    // A body that stops arriving would otherwise hold the connection forever.
    match actix_web::rt::time::timeout(limits.body_timeout, receive).await {
        Ok(read) => read,
        Err(_) => Err(ApiError::RequestTimeout(format!(
            "The request body did not arrive within {} s.",
            limits.body_timeout.as_secs_f64()
        ))),
    }
}

fn decode_body(req: &HttpRequest, bytes: &[u8], non_json: NonJson) -> Result<(Option<Value>, Vec<String>), ApiError> {
    if bytes.is_empty() || is_json_content_type(req) {
        return decode_ext(bytes);
    }
    match non_json {
        NonJson::AsDefaults => Ok((None, vec![])),
        NonJson::AsString => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((Some(Value::String(s.to_string())), vec![])),
            Err(_) => Err(ApiError::BadRequest("There was an error parsing the body".into())),
        },
    }
}

pub fn decode(bytes: &[u8]) -> Result<Option<Value>, ApiError> {
    decode_ext(bytes).map(|(v, _)| v)
}

/// Decodes, also naming the top-level keys whose values held NaN/Infinity.
fn decode_ext(bytes: &[u8]) -> Result<(Option<Value>, Vec<String>), ApiError> {
    if bytes.is_empty() {
        return Ok((None, vec![]));
    }
    match pyjson::loads_ext(bytes) {
        Ok(l) if l.value.is_null() => Ok((None, vec![])),
        Ok(l) => Ok((Some(l.value), l.non_finite_keys)),
        Err(LoadError::Decode { msg, pos, doc }) => Err(ApiError::Validation {
            errors: vec![ErrorItem {
                kind: "json_invalid".into(),
                loc: vec![Loc::Key("body".into()), Loc::Index(pos)],
                msg: "JSON decode error".into(),
                input: Value::Object(Default::default()),
                ctx: Some(serde_json::json!({ "error": msg })),
            }],
            body: Value::String(doc),
        }),
        // The reference answers 500 for a document it cannot echo back
        // (a lone surrogate); a 400 says the same without claiming a crash.
        Err(_) => Err(ApiError::BadRequest("There was an error parsing the body".into())),
    }
}
