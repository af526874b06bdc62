//! Reading a request body the way FastAPI does: JSON parsed with Python's
//! rules, an empty body or `null` meaning "no body", and a size limit
//! answered with a JSON 413.

use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::ApiError;
use crate::pyjson::{self, LoadError};
use crate::schemas::validate::{ErrorItem, Loc};

/// The largest request body accepted, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

pub async fn read(req: &HttpRequest, mut payload: web::Payload) -> Result<Option<Value>, ApiError> {
    let limit = req.app_data::<web::Data<BodyLimit>>().map(|l| l.0).unwrap_or(4 * 1024 * 1024);
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
    decode(&bytes)
}

pub fn decode(bytes: &[u8]) -> Result<Option<Value>, ApiError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    match pyjson::loads(bytes) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
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
        Err(_) => Err(ApiError::BadRequest("There was an error parsing the body".into())),
    }
}
