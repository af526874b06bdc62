//! artifactd's own endpoints for test suites, mounted only by
//! `serve --testing` (never with `--read-only`): empty the database between
//! tests, load a fixture document, export the whole database. Prefect 3 has
//! no such endpoints; `POST /admin/database/clear` is the name Prefect 2 used.
//! Without the flag they are not routes at all, so they answer the usual 404.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{body, endpoint, Endpoint, Rule};
use crate::db::Db;
use crate::error::ApiError;
use crate::fixtures::{self, LoadReport, Source};
use crate::schemas::validate::{ErrorItem, Loc};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/admin/database/clear", Rule::WRITE, clear),
        endpoint(Method::POST, "/admin/database/load", Rule::WRITE, load),
        endpoint(Method::GET, "/admin/database/export", Rule::READ, export),
    ]
}

/// `{}` (or no body) empties the database; `{"fixtures": [doc, ...]}` then
/// loads those documents, all in one transaction.
async fn clear(req: HttpRequest, payload: web::Payload, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let bytes = body::read_bytes(&req, payload).await?;
    let sources = clear_sources(&bytes)?;
    run_load(db, true, sources).await
}

/// The body is one fixture document, upserted as `artifactd seed` does.
async fn load(req: HttpRequest, payload: web::Payload, db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let bytes = body::read_bytes(&req, payload).await?;
    run_load(db, false, vec![Source::Text { name: "body".into(), bytes: bytes.to_vec() }]).await
}

async fn export(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let db = db.into_inner();
    let text = web::block(move || {
        let mut bytes = Vec::new();
        fixtures::export_to(&db, &mut bytes).map(|()| bytes)
    })
    .await??;
    Ok(HttpResponse::Ok().content_type("application/json").body(text))
}

fn invalid(loc: Vec<Loc>, msg: String) -> ApiError {
    ApiError::Validation {
        errors: vec![ErrorItem { kind: "value_error".into(), loc, msg, input: Value::Null, ctx: None }],
        body: Value::Null,
    }
}

fn clear_sources(bytes: &[u8]) -> Result<Vec<Source>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Clear {
        #[serde(default)]
        fixtures: Option<Vec<Box<serde_json::value::RawValue>>>,
    }
    // Each document is kept as raw text and streamed by the fixture loader,
    // which has its own nesting rules.
    let parsed: Clear = serde_json::from_slice(bytes).map_err(|e| {
        invalid(vec![Loc::Key("body".into())], format!("expected {{\"fixtures\": [fixture document, ...]}}: {e}"))
    })?;
    Ok(parsed
        .fixtures
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, raw)| Source::Text { name: format!("fixtures[{i}]"), bytes: raw.get().as_bytes().to_vec() })
        .collect())
}

async fn run_load(db: web::Data<Db>, clear: bool, sources: Vec<Source>) -> Result<HttpResponse, ApiError> {
    let db = db.into_inner();
    let loaded = web::block(move || fixtures::load_sources(&db, clear, sources)).await?;
    match loaded {
        Ok(report) => Ok(HttpResponse::Ok().json(counts(&report))),
        Err(e) if is_internal(&e) => Err(ApiError::Internal(e)),
        // A refused fixture names its document, array, index and field.
        Err(e) => Err(invalid(vec![Loc::Key("body".into())], format!("{e:#}"))),
    }
}

/// A failure of the database itself, as opposed to a document it refused.
fn is_internal(e: &anyhow::Error) -> bool {
    e.chain().any(|c| match c.downcast_ref::<rusqlite::Error>() {
        Some(rusqlite::Error::SqliteFailure(f, _)) => f.code != rusqlite::ErrorCode::ConstraintViolation,
        Some(_) => true,
        None => false,
    })
}

fn counts(r: &LoadReport) -> Value {
    json!({
        "documents": r.files,
        "flows": r.flows,
        "deployments": r.deployments,
        "flow_runs": r.flow_runs,
        "task_runs": r.task_runs,
        "artifacts": r.artifacts,
        "artifact_collections": r.artifact_collections + r.derived_collections,
    })
}
