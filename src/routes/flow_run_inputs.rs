//! `/api/flow_runs/{id}/input`: the key/value inputs a paused flow run
//! waits for (`wait_for_input`, `send_input`), as Prefect 3.9.1 serves them.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::{body, endpoint, path_id, Endpoint, Rule, UUID_PATH};
use crate::coerce::{self, Problem};
use crate::db::flow_run_inputs::CreateRefused;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::resource_query::all_missing;
use crate::schemas::validate::{self, Errors};

const NOT_FOUND: &str = "Flow run input not found";

pub fn endpoints() -> Vec<Endpoint> {
    let base = format!("/flow_runs/{{id:{UUID_PATH}}}/input");
    vec![
        endpoint(Method::POST, base.clone(), Rule::WRITE, create),
        endpoint(Method::POST, format!("{base}/filter"), Rule::READ, filter),
        endpoint(Method::GET, format!("{base}/{{key}}"), Rule::READ, read),
        endpoint(Method::DELETE, format!("{base}/{{key}}"), Rule::WRITE, delete),
    ]
}

fn invalid(errs: Errors, b: &Option<Value>) -> ApiError {
    ApiError::Validation { errors: errs.items, body: b.clone().unwrap_or(Value::Null) }
}

/// One embedded body field, checked with `f`; FastAPI reads a null as
/// absent (then `missing`, or the default).
fn field<T>(o: &serde_json::Map<String, Value>, name: &str, errs: &mut Errors, f: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
    let loc = validate::key(&validate::body_loc(), name);
    let v = o.get(name).filter(|v| !v.is_null())?;
    match f(v) {
        Ok(t) => Some(t),
        Err(p) => {
            errs.push(&loc, v, p);
            None
        }
    }
}

/// `bytes` from JSON: a string (its UTF-8), nothing else.
fn bytes(v: &Value) -> Result<String, Problem> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(Problem { kind: "bytes_type", msg: "Input should be a valid bytes".into(), ctx: None }),
    }
}

fn optional_string(v: &Value) -> Result<Option<String>, Problem> {
    if v.is_null() {
        Ok(None)
    } else {
        coerce::string(v).map(Some)
    }
}

async fn create(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let Some(Value::Object(o)) = &b else { return Err(all_missing(&["key", "value", "sender"], false, &b)) };
    let mut errs = Errors::default();
    let key = field(o, "key", &mut errs, coerce::string);
    let absent = |name: &str| o.get(name).is_none_or(Value::is_null);
    if absent("key") {
        errs.missing(&validate::key(&validate::body_loc(), "key"));
    }
    let value = field(o, "value", &mut errs, bytes);
    if absent("value") {
        errs.missing(&validate::key(&validate::body_loc(), "value"));
    }
    let sender = field(o, "sender", &mut errs, optional_string).flatten();
    let (Some(key), Some(value)) = (key, value) else { return Err(invalid(errs, &b)) };
    if !errs.is_empty() {
        return Err(invalid(errs, &b));
    }
    let run = path_id(&id);
    let refused = db
        .write_async(move |tx, clock| db::flow_run_inputs::create(tx, clock, &run, &key, &value, sender.as_deref()).map_err(ApiError::from))
        .await?;
    match refused {
        Ok(()) => Ok(HttpResponse::build(StatusCode::CREATED).content_type("application/json").body("null")),
        Err(CreateRefused::KeyExists) => Err(ApiError::Conflict("A flow run input with this key already exists.".into())),
        Err(CreateRefused::NoSuchRun) => Err(ApiError::not_found("Flow run not found")),
    }
}

async fn filter(db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let Some(Value::Object(o)) = &b else { return Err(all_missing(&["prefix", "limit", "exclude_keys"], false, &b)) };
    let mut errs = Errors::default();
    let prefix = field(o, "prefix", &mut errs, coerce::string);
    if o.get("prefix").is_none_or(Value::is_null) {
        errs.missing(&validate::key(&validate::body_loc(), "prefix"));
    }
    let limit = field(o, "limit", &mut errs, coerce::int).unwrap_or(1);
    let exclude = match o.get("exclude_keys").filter(|v| !v.is_null()) {
        None => Some(Vec::new()),
        Some(v) => validate::list(v, &validate::key(&validate::body_loc(), "exclude_keys"), &mut errs, coerce::string),
    };
    let (Some(prefix), Some(exclude)) = (prefix, exclude) else { return Err(invalid(errs, &b)) };
    if !errs.is_empty() {
        return Err(invalid(errs, &b));
    }
    let run = path_id(&id);
    let text = super::read(&db, move |c| Ok(db::flow_run_inputs::filter(c, &run, &prefix, limit, &exclude)?)).await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(text))
}

async fn read(db: web::Data<Db>, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (id, key) = path.into_inner();
    let run = path_id(&id);
    let value = super::read(&db, move |c| Ok(db::flow_run_inputs::read(c, &run, &key)?)).await?;
    match value {
        // The stored text as it was sent, not JSON-encoded again.
        Some(v) => Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(v)),
        None => Err(ApiError::not_found(NOT_FOUND)),
    }
}

async fn delete(db: web::Data<Db>, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (id, key) = path.into_inner();
    let run = path_id(&id);
    let deleted = db.write_async(move |tx, _| db::flow_run_inputs::delete(tx, &run, &key).map_err(ApiError::from)).await?;
    if deleted {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}
