//! `GET /api/flow_runs/{id}/graph-v2`: the run graph Prefect's UI draws on
//! a flow run's page (`db::graph` builds it).

use std::sync::OnceLock;

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::{endpoint, path_id, Endpoint, Rule, UUID_PATH};
use crate::db::graph::GraphError;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::schemas::validate::{ErrorItem, Loc};
use crate::{coerce, timefmt};

pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, format!("/flow_runs/{{id:{UUID_PATH}}}/graph-v2"), Rule::READ, graph_v2)]
}

/// The graph limits, as the reference's settings name them
/// (`server.flow_run_graph.max_nodes` / `max_artifacts`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_nodes: i64,
    pub max_artifacts: i64,
}

/// Read once from the environment variables the reference reads, default
/// 10000 each.
pub fn limits() -> Limits {
    static L: OnceLock<Limits> = OnceLock::new();
    *L.get_or_init(|| {
        let read = |names: &[&str]| {
            names.iter().find_map(|n| std::env::var(n).ok().and_then(|v| v.trim().parse::<i64>().ok())).unwrap_or(10_000)
        };
        Limits {
            max_nodes: read(&["PREFECT_SERVER_FLOW_RUN_GRAPH_MAX_NODES", "PREFECT_API_MAX_FLOW_RUN_GRAPH_NODES"]),
            max_artifacts: read(&["PREFECT_SERVER_FLOW_RUN_GRAPH_MAX_ARTIFACTS", "PREFECT_API_MAX_FLOW_RUN_GRAPH_ARTIFACTS"]),
        }
    })
}

/// The earliest instant Python's datetime holds: the reference's default.
const EARLIEST: &str = "0001-01-01T00:00:00.000000Z";

/// `since` from the query string (the last one wins, as in FastAPI). A
/// naive time is taken as UTC: the reference crashes on one (its database
/// layer refuses naive timestamps), which artifactd does not copy.
fn since(req: &HttpRequest) -> ApiResult<String> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string()).map(|q| q.into_inner()).unwrap_or_default();
    let Some((_, raw)) = pairs.into_iter().rev().find(|(k, _)| k == "since") else { return Ok(EARLIEST.to_string()) };
    let v = Value::String(raw.clone());
    match coerce::datetime(&v) {
        Ok(t) => Ok(timefmt::to_stored(t)),
        Err(_) => {
            let why = date_error(&raw);
            Err(ApiError::Validation {
                errors: vec![ErrorItem {
                    kind: "datetime_from_date_parsing".into(),
                    loc: vec![Loc::Key("query".into()), Loc::Key("since".into())],
                    msg: format!("Input should be a valid datetime or date, {why}"),
                    input: v.clone(),
                    ctx: Some(json!({ "error": why })),
                }],
                body: Value::Null,
            })
        }
    }
}

/// Why a string that is no datetime is no date either, in pydantic's
/// words (its `datetime` fields then report the date's error).
fn date_error(s: &str) -> &'static str {
    let b = s.as_bytes();
    if b.len() < 10 {
        return "input is too short";
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    if !digits(0..4) {
        return "invalid character in year";
    }
    if b[4] != b'-' {
        return "invalid date separator, expected `-`";
    }
    if !digits(5..7) {
        return "invalid character in month";
    }
    if b[7] != b'-' {
        return "invalid date separator, expected `-`";
    }
    if !digits(8..10) {
        return "invalid character in day";
    }
    let (year, month, day) = (num(0..4) as i32, num(5..7), num(8..10));
    if !(1..=12).contains(&month) {
        return "month value is outside expected range of 1-12";
    }
    if chrono::NaiveDate::from_ymd_opt(year, month, day).is_none() {
        return "day value is outside expected range";
    }
    "unexpected extra characters at the end of the input"
}

async fn graph_v2(db: web::Data<Db>, req: HttpRequest, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = path_id(&id);
    let since = since(&req)?;
    let l = limits();
    let run_id = id.clone();
    let found = super::read(&db, move |c| Ok(crate::db::graph::read(c, &run_id, &since, l.max_nodes, l.max_artifacts))).await?;
    let json_answer = |status: StatusCode, v: &Value| {
        HttpResponse::build(status).content_type("application/json").body(crate::pyjson::to_starlette_json(v))
    };
    match found {
        Ok(graph) => Ok(json_answer(StatusCode::OK, &graph)),
        // The reference's ObjectNotFoundError handler.
        Err(GraphError::NotFound) => {
            Ok(json_answer(StatusCode::NOT_FOUND, &json!({ "exception_message": format!("Flow run {id} not found") })))
        }
        Err(GraphError::TooLarge) => {
            Err(ApiError::BadRequest(format!("The graph of flow run {id} has more than {} nodes.", l.max_nodes)))
        }
        Err(GraphError::TooManyEdges) => Err(ApiError::BadRequest(format!(
            "The graph of flow run {id} has more than {} edges.",
            crate::db::graph::MAX_EDGE_ENTRIES
        ))),
        Err(GraphError::Sql(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::date_error;

    #[test]
    fn date_errors_read_as_pydantic_words_them() {
        assert_eq!(date_error(""), "input is too short");
        assert_eq!(date_error("abcd-01-01"), "invalid character in year");
        assert_eq!(date_error("2020/01/01"), "invalid date separator, expected `-`");
        assert_eq!(date_error("2020-0a-01"), "invalid character in month");
        assert_eq!(date_error("2020-13-01"), "month value is outside expected range of 1-12");
        assert_eq!(date_error("2020-02-30"), "day value is outside expected range");
        assert_eq!(date_error("2020-01-01Tx"), "unexpected extra characters at the end of the input");
    }
}
