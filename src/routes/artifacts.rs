//! `/api/artifacts`: create, read, update, delete, and the four read
//! endpoints over artifacts and their latest-by-key rows.

use actix_web::{web, HttpRequest, HttpResponse};

use actix_web::http::Method;

use super::{body, endpoint, path_id, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::artifact::{ArtifactCreate, ArtifactUpdate};
use crate::schemas::filters::artifacts::Table;
use crate::schemas::query::{parse_count, parse_model, FilterQuery};

const NOT_FOUND: &str = "Artifact not found.";

pub fn endpoints() -> Vec<Endpoint> {
    let by_id = format!("/artifacts/{{id:{UUID_PATH}}}");
    vec![
        endpoint(Method::POST, "/artifacts/", Rule::WRITE, create),
        endpoint(Method::POST, "/artifacts/filter", Rule::READ, filter),
        endpoint(Method::POST, "/artifacts/count", Rule::READ, count),
        endpoint(Method::POST, "/artifacts/latest/filter", Rule::READ, latest_filter),
        endpoint(Method::POST, "/artifacts/latest/count", Rule::READ, latest_count),
        endpoint(Method::GET, by_id.as_str(), Rule::READ, read),
        endpoint(Method::PATCH, by_id.as_str(), Rule::WRITE, update),
        endpoint(Method::DELETE, by_id.as_str(), Rule::WRITE, delete),
        endpoint(Method::GET, "/artifacts/{key}/latest", Rule::READ, read_latest),
    ]
}

fn json(status: actix_web::http::StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(text)
}

fn ok(text: String) -> HttpResponse {
    json(actix_web::http::StatusCode::OK, text)
}

async fn create(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_artifact(&req, payload).await?;
    let new = parse_model(&b, ArtifactCreate::parse)?;
    let row = db.write_async(move |tx, clock| db::artifacts::create(tx, clock, &new).map_err(ApiError::from)).await?;
    Ok(json(actix_web::http::StatusCode::CREATED, row.to_json(false)))
}

async fn read(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id);
    let row = super::read(&db, move |c| Ok(db::artifacts::read(c, &id)?)).await?;
    row.map(|r| ok(r.to_json(false))).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

async fn read_latest(db: web::Data<Db>, key: web::Path<String>) -> ApiResult<HttpResponse> {
    let key = key.into_inner();
    let row = super::read(&db, move |c| Ok(db::artifacts::read_latest(c, &key)?)).await?;
    // The reference answers this with the collection row in Artifact shape.
    row.map(|r| ok(r.to_json(false))).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

async fn update(
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let b = body::read_artifact(&req, payload).await?;
    let patch = parse_model(&b, ArtifactUpdate::parse)?;
    let id = path_id(&id);
    let found = db.write_async(move |tx, clock| db::artifacts::update(tx, clock, &id, &patch).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

async fn delete(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id);
    let found =
        db.write_async(move |tx, clock| db::artifacts::delete(tx, clock, &id).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

async fn run_filter(db: web::Data<Db>, req: HttpRequest, payload: web::Payload, table: Table) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let q = FilterQuery::parse(table, &b)?;
    let text = super::read(&db, move |c| Ok(db::artifacts::filter_json(c, &q)?)).await?;
    Ok(ok(text))
}

async fn run_count(db: web::Data<Db>, req: HttpRequest, payload: web::Payload, table: Table) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let f = parse_count(table, &b)?;
    let n = super::read(&db, move |c| Ok(db::artifacts::count(c, &f)?)).await?;
    Ok(ok(n.to_string()))
}

async fn filter(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    run_filter(db, req, payload, Table::Artifact).await
}

async fn latest_filter(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    run_filter(db, req, payload, Table::Collection).await
}

async fn count(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    run_count(db, req, payload, Table::Artifact).await
}

async fn latest_count(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    run_count(db, req, payload, Table::Collection).await
}
