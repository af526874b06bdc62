//! `POST /{flows,flow_runs,task_runs,deployments}/paginate`: the `/filter`
//! body with `page` for `offset`, answered as `{results, count, limit,
//! pages, page}` (the items are those `/filter` answers).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::{body, endpoint, Endpoint, Rule};
use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::schemas::resource_query::{Resource, ResourceQuery};

pub fn endpoints() -> Vec<Endpoint> {
    [("flows", Resource::Flows), ("flow_runs", Resource::FlowRuns), ("task_runs", Resource::TaskRuns), ("deployments", Resource::Deployments)]
        .into_iter()
        .map(|(prefix, res)| {
            endpoint(Method::POST, format!("/{prefix}/paginate"), Rule::READ, move |db: web::Data<Db>, req: HttpRequest, payload: web::Payload| {
                paginate(db, res, req, payload)
            })
        })
        .collect()
}

/// The reference's page count: `ceil(count / limit)`, 0 for limit 0.
pub fn pages(count: i64, limit: i64) -> i64 {
    if limit > 0 {
        count.saturating_add(limit - 1) / limit
    } else {
        0
    }
}

async fn paginate(db: web::Data<Db>, res: Resource, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_finite(&req, payload, &["limit", "page", "sort"]).await?;
    let (q, page) = ResourceQuery::parse_page(res, &b)?;
    let limit = q.limit;
    // One reader for both, so the count and the page agree.
    let (docs, count) = super::read(&db, move |c| {
        let docs = db::runs::filter(c, &q)?;
        let count = db::runs::count(c, &q.families)?;
        Ok((docs, count))
    })
    .await?;
    let results = if res == Resource::TaskRuns {
        let now = chrono::Utc::now();
        let items = docs.into_iter().map(|d| task_run_response(db::runs::with_estimates(d, now))).collect();
        crate::pyjson::to_pydantic_json(&Value::Array(items))
    } else {
        db::runs::docs_json(docs)
    };
    let text = format!(
        "{{\"results\":{results},\"count\":{count},\"limit\":{limit},\"pages\":{},\"page\":{page}}}",
        pages(count, limit)
    );
    Ok(super::runs::json(StatusCode::OK, text))
}

/// The fields of `TaskRunResponse`, in its order: task runs in a page are
/// a narrower model than those `/task_runs/filter` answers.
const TASK_RUN_RESPONSE: &[&str] = &[
    "id", "created", "updated", "name", "flow_run_id", "task_key", "state_id", "state", "task_version",
    "task_inputs", "empirical_policy", "tags", "start_time", "end_time", "total_run_time", "estimated_run_time",
    "estimated_start_time_delta",
];

fn task_run_response(mut doc: Map<String, Value>) -> Value {
    Value::Object(TASK_RUN_RESPONSE.iter().map(|k| (k.to_string(), doc.remove(*k).unwrap_or(Value::Null))).collect())
}

#[cfg(test)]
mod tests {
    use super::pages;

    #[test]
    fn pages_round_up_and_limit_zero_has_none() {
        assert_eq!(pages(0, 10), 0);
        assert_eq!(pages(1, 10), 1);
        assert_eq!(pages(10, 10), 1);
        assert_eq!(pages(11, 10), 2);
        assert_eq!(pages(5, 0), 0);
        assert_eq!(pages(i64::MAX, 1), i64::MAX);
    }
}
