//! `/api/variables/`: create, read, update and delete by id or by name,
//! filter and count, as Prefect 3.9.1 answers them.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::{body, endpoint, path_id, Endpoint, Rule, UUID_PATH};
use crate::db::variables::Which;
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::query::parse_model;
use crate::schemas::variables::{VariableCreate, VariableQuery, VariableUpdate};

const NOT_FOUND: &str = "Variable not found.";

pub fn endpoints() -> Vec<Endpoint> {
    let by_id = format!("/variables/{{id:{UUID_PATH}}}");
    let by_name = "/variables/name/{name}";
    vec![
        endpoint(Method::POST, "/variables/", Rule::WRITE, create),
        endpoint(Method::GET, by_id.as_str(), Rule::READ, |db: web::Data<Db>, id: web::Path<String>| read(db, Which::Id(path_id(&id)))),
        endpoint(Method::GET, by_name, Rule::READ, |db: web::Data<Db>, name: web::Path<String>| read(db, Which::Name(name.into_inner()))),
        endpoint(Method::POST, "/variables/filter", Rule::READ, filter),
        endpoint(Method::POST, "/variables/count", Rule::READ, count),
        endpoint(Method::PATCH, by_id.as_str(), Rule::WRITE, |db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, p: web::Payload| {
            update(db, Which::Id(path_id(&id)), req, p)
        }),
        endpoint(Method::PATCH, by_name, Rule::WRITE, |db: web::Data<Db>, name: web::Path<String>, req: HttpRequest, p: web::Payload| {
            update(db, Which::Name(name.into_inner()), req, p)
        }),
        endpoint(Method::DELETE, by_id.as_str(), Rule::WRITE, |db: web::Data<Db>, id: web::Path<String>| delete(db, Which::Id(path_id(&id)))),
        endpoint(Method::DELETE, by_name, Rule::WRITE, |db: web::Data<Db>, name: web::Path<String>| delete(db, Which::Name(name.into_inner()))),
    ]
}

fn json(status: StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(text)
}

async fn create(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, VariableCreate::parse)?;
    let text = db.write_async(move |tx, clock| db::variables::create(tx, clock, &new)).await?;
    Ok(json(StatusCode::CREATED, text))
}

async fn read(db: web::Data<Db>, which: Which) -> ApiResult<HttpResponse> {
    let found = super::read(&db, move |c| {
        Ok(match &which {
            Which::Id(id) => db::variables::read(c, id)?,
            Which::Name(name) => db::variables::read_by_name(c, name)?,
        })
    })
    .await?;
    found.map(|t| json(StatusCode::OK, t)).ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

async fn update(db: web::Data<Db>, which: Which, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let patch = parse_model(&b, VariableUpdate::parse)?;
    let found = db.write_async(move |tx, clock| db::variables::update(tx, clock, &which, &patch)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

async fn delete(db: web::Data<Db>, which: Which) -> ApiResult<HttpResponse> {
    let found = db.write_async(move |tx, clock| db::variables::delete(tx, clock, &which).map_err(ApiError::from)).await?;
    if found {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(NOT_FOUND))
    }
}

async fn filter(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let q = VariableQuery::parse(&b)?;
    let text = super::read(&db, move |c| Ok(db::variables::filter(c, &q)?)).await?;
    Ok(json(StatusCode::OK, text))
}

async fn count(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let f = VariableQuery::parse_count(&b)?;
    let n = super::read(&db, move |c| Ok(db::variables::count(c, &f)?)).await?;
    Ok(json(StatusCode::OK, n.to_string()))
}
