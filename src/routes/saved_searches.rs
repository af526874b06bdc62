//! `/api/saved_searches/`: the filter sets a user saves from the Runs page
//! of Prefect's UI, stored (`saved_search`) so they persist across restarts.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::{body, endpoint, path_id, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::query::parse_model;
use crate::schemas::saved_searches::SavedSearchCreate;
use crate::schemas::work_pools::{validate_body, Paging, Param};

const NOT_FOUND: &str = "Saved search not found";

/// `POST /saved_searches/filter` takes paging only; other keys are ignored.
const FILTER: &[Param] = &[Param::Limit, Param::Offset];

pub fn endpoints() -> Vec<Endpoint> {
    let by_id = format!("/saved_searches/{{id:{UUID_PATH}}}");
    vec![
        endpoint(Method::PUT, "/saved_searches/", Rule::WRITE, create),
        endpoint(Method::GET, by_id.as_str(), Rule::READ, read),
        endpoint(Method::POST, "/saved_searches/filter", Rule::READ, filter),
        endpoint(Method::DELETE, by_id.as_str(), Rule::WRITE, delete),
    ]
}

fn json(status: StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(text)
}

/// 201 for a new name, 200 when an existing one's filters were replaced.
async fn create(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, SavedSearchCreate::parse)?;
    let (text, created) =
        db.write_async(move |tx, clock| db::saved_searches::upsert(tx, clock, &new).map_err(ApiError::from)).await?;
    Ok(json(if created { StatusCode::CREATED } else { StatusCode::OK }, text))
}

async fn read(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id);
    let found = super::read(&db, move |c| Ok(db::saved_searches::read(c, &id)?)).await?;
    found.map(|t| json(StatusCode::OK, t)).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

async fn filter(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let Paging { limit, offset } = validate_body(FILTER, &b)?;
    let text = super::read(&db, move |c| Ok(db::saved_searches::filter(c, limit, offset)?)).await?;
    Ok(json(StatusCode::OK, text))
}

async fn delete(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id);
    let found = db.write_async(move |tx, _| db::saved_searches::delete(tx, &id).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}
