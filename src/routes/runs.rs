//! `/api/flows`, `/api/flow_runs`, `/api/task_runs`, `/api/deployments`:
//! create (idempotent as the reference), read by id, set state, filter and
//! count.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use actix_web::http::Method;

use super::{body, endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::orchestration::FlowPolicy;
use crate::error::{ApiError, ApiResult};
use crate::schemas::query::parse_model;
use crate::schemas::resource_query::{parse_count, Resource, ResourceQuery};
use crate::schemas::runs::{DeploymentCreate, FlowCreate, FlowRunCreate, SetState, TaskRunCreate};
use crate::schemas::validate::{self, Errors};

pub fn endpoints() -> Vec<Endpoint> {
    let id = format!("{{id:{UUID_PATH}}}");
    let mut out = Vec::new();
    for (prefix, res) in [
        ("flows", Resource::Flows),
        ("flow_runs", Resource::FlowRuns),
        ("task_runs", Resource::TaskRuns),
        ("deployments", Resource::Deployments),
    ] {
        let create = format!("/{prefix}/");
        out.push(match res {
            Resource::Flows => endpoint(Method::POST, create, Rule::WRITE, create_flow),
            Resource::FlowRuns => endpoint(Method::POST, create, Rule::WRITE, create_flow_run),
            Resource::TaskRuns => endpoint(Method::POST, create, Rule::WRITE, create_task_run),
            Resource::Deployments => endpoint(Method::POST, create, Rule::WRITE, create_deployment),
        });
        out.push(endpoint(
            Method::POST,
            format!("/{prefix}/filter"),
            Rule::READ,
            move |db: web::Data<Db>, req: HttpRequest, payload: web::Payload| filter(db, res, req, payload),
        ));
        out.push(endpoint(
            Method::POST,
            format!("/{prefix}/count"),
            Rule::READ,
            move |db: web::Data<Db>, req: HttpRequest, payload: web::Payload| count(db, res, req, payload),
        ));
        out.push(endpoint(Method::GET, format!("/{prefix}/{id}"), Rule::READ, move |db: web::Data<Db>, id: web::Path<String>| {
            read(db, res, id)
        }));
        if matches!(res, Resource::FlowRuns | Resource::TaskRuns) {
            out.push(endpoint(
                Method::POST,
                format!("/{prefix}/{id}/set_state"),
                Rule::WRITE,
                move |db: web::Data<Db>, id: web::Path<String>, req: HttpRequest, payload: web::Payload| {
                    set_state(db, res, id, req, payload)
                },
            ));
        }
    }
    out.push(endpoint(Method::POST, format!("/flow_runs/{id}/resume"), Rule::WRITE, resume_flow_run));
    out.push(endpoint(Method::POST, "/logs/", Rule::WRITE, create_logs));
    out.push(endpoint(Method::POST, "/logs/filter", Rule::READ, filter_logs));
    out.push(endpoint(Method::POST, "/v2/concurrency_limits/increment-with-lease", Rule::WRITE, increment_with_lease));
    out
}

pub fn json(status: StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(text)
}

fn created_or_ok(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

fn not_found_detail(r: Resource) -> &'static str {
    match r {
        Resource::Flows => "Flow not found",
        Resource::FlowRuns => "Flow run not found",
        Resource::TaskRuns => "Task not found",
        Resource::Deployments => "Deployment not found",
    }
}

async fn create_flow(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, FlowCreate::parse)?;
    let (doc, created) = db.write_async(move |tx, clock| db::runs::create_flow(tx, clock, &new).map_err(ApiError::from)).await?;
    Ok(json(created_or_ok(created), db::runs::doc_json(doc)))
}

async fn create_flow_run(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, FlowRunCreate::parse)?;
    let (doc, created) =
        db.write_async(move |tx, clock| db::runs::create_flow_run(tx, clock, &new)).await?;
    Ok(json(created_or_ok(created), db::runs::doc_json(doc)))
}

async fn create_task_run(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let new = parse_model(&b, TaskRunCreate::parse)?;
    let (doc, created) =
        db.write_async(move |tx, clock| db::runs::create_task_run(tx, clock, &new)).await?;
    Ok(json(created_or_ok(created), db::runs::doc_json(doc)))
}

async fn create_deployment(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = crate::schemas::deployments::create_body(body::read_model(&req, payload).await?)?;
    // The reference validates (and echoes in a 422) the body with
    // `parameters: {}` added.
    let b = b.map(|v| DeploymentCreate::request_body(&v));
    let new = parse_model(&b, DeploymentCreate::parse)?;
    if let Some(refused) = crate::schemas::deployments::create_refusal(&new.set) {
        return Err(refused);
    }
    let (doc, created) =
        db.write_async(move |tx, clock| db::runs::upsert_deployment(tx, clock, &new)).await?;
    Ok(json(created_or_ok(created), db::runs::doc_json(doc)))
}

async fn read(db: web::Data<Db>, res: Resource, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let r = res;
    let doc = super::read(&db, move |c| Ok(db::runs::read(c, r, &id)?)).await?;
    doc.map(|d| json(StatusCode::OK, db::runs::doc_json(d)))
        .ok_or_else(|| ApiError::not_found(not_found_detail(r)))
}

async fn set_state(
    db: web::Data<Db>,
    res: Resource,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let set = SetState::parse(&b)?;
    let id = super::path_id(&id);
    let r = res;
    let run_id = id.clone();
    let api_version = request_api_version(&req);
    let outcome = db
        .write_async(move |tx, clock| -> ApiResult<_> {
            Ok(match r {
                Resource::FlowRuns => {
                    let policy = if set.force { FlowPolicy::Minimal } else { FlowPolicy::Core };
                    db::runs::set_flow_run_state_with(tx, clock, &run_id, &set.state, policy, api_version)?
                }
                _ => db::runs::set_task_run_state(tx, clock, &run_id, &set.state, set.force)?,
            })
        })
        .await?;
    match outcome {
        // 201 when a new state was created, as the reference decides by the
        // answered state's timestamp.
        Some(o) => Ok(json(created_or_ok(o.new_state), db::runs::orchestration_result(&o))),
        None => {
            // The reference's ObjectNotFoundError handler.
            let what = if r == Resource::FlowRuns { "Flow run" } else { "Task run" };
            let body = serde_json::json!({ "exception_message": format!("{what} with id {id} not found") });
            Ok(json(StatusCode::NOT_FOUND, crate::pyjson::to_starlette_json(&body)))
        }
    }
}

/// The client's API version, for the rules that keep old clients'
/// behaviour (the access gate has already refused a malformed one).
fn request_api_version(req: &HttpRequest) -> Option<(i128, i128, i128)> {
    crate::access::api_version::parse(req.headers().get("x-prefect-api-version").map(|v| v.as_bytes()))
}

/// `POST /flow_runs/{id}/resume`. The optional `run_input` (embedded in
/// the body) only matters for a pause that waits for input. For an
/// unknown run the reference fails with a 500; artifactd answers 404.
async fn resume_flow_run(
    db: web::Data<Db>,
    id: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    validate_resume_body(&b)?;
    let id = super::path_id(&id);
    let api_version = request_api_version(&req);
    let run_input = b.as_ref().and_then(|v| v.get("run_input")).and_then(Value::as_object).cloned();
    let answer = db
        .write_async(move |tx, clock| -> ApiResult<_> {
            Ok(db::runs::resume_flow_run(tx, clock, &id, api_version, run_input.as_ref())?)
        })
        .await?;
    match answer {
        Some((v, new)) => Ok(json(created_or_ok(new), crate::pyjson::to_pydantic_json(&v))),
        None => Err(ApiError::not_found("Flow run not found")),
    }
}

/// `run_input: Optional[dict[str, Any]] = Body(None, embed=True)`.
fn validate_resume_body(b: &Option<Value>) -> Result<(), ApiError> {
    use crate::coerce::Problem;
    let Some(v) = b else { return Ok(()) };
    let loc = validate::body_loc();
    let mut errs = Errors::default();
    match v {
        Value::Object(o) => {
            if let Some(ri) = o.get("run_input").filter(|x| !x.is_null() && !x.is_object()) {
                errs.push(
                    &validate::key(&loc, "run_input"),
                    ri,
                    Problem { kind: "dict_type", msg: "Input should be a valid dictionary".into(), ctx: None },
                );
            }
        }
        // FastAPI reads an embedded field out of a body that is no object
        // as missing.
        _ => errs.missing(&validate::key(&loc, "run_input")),
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors: errs.items, body: v.clone() })
    }
}

async fn filter(db: web::Data<Db>, res: Resource, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let q = ResourceQuery::parse(res, &b)?;
    let docs = super::read(&db, move |c| Ok(db::runs::filter(c, &q)?)).await?;
    Ok(json(StatusCode::OK, db::runs::docs_json(docs)))
}

async fn count(db: web::Data<Db>, res: Resource, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let f = parse_count(res, &b)?;
    let n = super::read(&db, move |c| Ok(db::runs::count(c, &f)?)).await?;
    Ok(json(StatusCode::OK, n.to_string()))
}

// ---------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------

async fn create_logs(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_model(&req, payload).await?;
    let logs = parse_model(&b, crate::schemas::runs::LogCreate::parse_list)?;
    db.write_async(move |tx, clock| db::logs::create(tx, clock, &logs).map_err(ApiError::from)).await?;
    Ok(json(StatusCode::CREATED, "null".into()))
}

async fn filter_logs(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read_filter(&req, payload).await?;
    let q = crate::schemas::logs::LogQuery::parse(&b)?;
    let text = super::read(&db, move |c| Ok(db::logs::filter(c, &q)?)).await?;
    Ok(json(StatusCode::OK, text))
}

// ---------------------------------------------------------------------------
// Concurrency limits (none exist in artifactd)
// ---------------------------------------------------------------------------

/// With no concurrency limits defined, the reference grants a lease over
/// nothing: `{"lease_id": <new uuid>, "limits": []}`.
async fn increment_with_lease(req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    use crate::coerce::{self, Problem};
    let b = body::read(&req, payload).await?;
    let mut errs = Errors::default();
    let loc = validate::body_loc();
    let obj = match &b {
        Some(Value::Object(o)) => Some(o),
        None => None,
        Some(_) => {
            for n in ["slots", "names", "mode", "lease_duration", "holder"] {
                errs.missing(&validate::key(&loc, n));
            }
            return Err(ApiError::Validation { errors: errs.items, body: b.clone().unwrap_or(Value::Null) });
        }
    };
    let get = |n: &str| obj.and_then(|o| o.get(n));
    match get("slots") {
        None => errs.missing(&validate::key(&loc, "slots")),
        Some(v) => match coerce::int(v) {
            Ok(n) if n <= 0 => errs.push(
                &validate::key(&loc, "slots"),
                v,
                Problem { kind: "greater_than", msg: "Input should be greater than 0".into(), ctx: Some(serde_json::json!({"gt": 0})) },
            ),
            Ok(_) => {}
            Err(p) => errs.push(&validate::key(&loc, "slots"), v, p),
        },
    }
    match get("names") {
        None => errs.missing(&validate::key(&loc, "names")),
        Some(v) => {
            if let Some(l) = validate::list(v, &validate::key(&loc, "names"), &mut errs, coerce::string) {
                if l.is_empty() {
                    errs.push(
                        &validate::key(&loc, "names"),
                        v,
                        Problem {
                            kind: "too_short",
                            msg: "List should have at least 1 item after validation, not 0".into(),
                            ctx: Some(serde_json::json!({"field_type": "List", "min_length": 1, "actual_length": 0})),
                        },
                    );
                }
            }
        }
    }
    if let Some(v) = get("mode").filter(|v| !v.is_null()) {
        if !matches!(v.as_str(), Some("concurrency" | "rate_limit")) {
            errs.push(
                &validate::key(&loc, "mode"),
                v,
                Problem {
                    kind: "literal_error",
                    msg: "Input should be 'concurrency' or 'rate_limit'".into(),
                    ctx: Some(serde_json::json!({"expected": "'concurrency' or 'rate_limit'"})),
                },
            );
        }
    }
    if let Some(v) = get("lease_duration").filter(|v| !v.is_null()) {
        match coerce::float(v) {
            Ok(f) if f < 60.0 => errs.push(
                &validate::key(&loc, "lease_duration"),
                v,
                Problem { kind: "greater_than_equal", msg: "Input should be greater than or equal to 60".into(), ctx: Some(serde_json::json!({"ge": 60.0})) },
            ),
            Ok(f) if f > 86400.0 => errs.push(
                &validate::key(&loc, "lease_duration"),
                v,
                Problem { kind: "less_than_equal", msg: "Input should be less than or equal to 86400".into(), ctx: Some(serde_json::json!({"le": 86400.0})) },
            ),
            Ok(_) => {}
            Err(p) => errs.push(&validate::key(&loc, "lease_duration"), v, p),
        }
    }
    if let Some(v) = get("holder").filter(|v| !v.is_null()) {
        lease_holder(v, &validate::key(&loc, "holder"), &mut errs);
    }
    if !errs.is_empty() {
        return Err(ApiError::Validation { errors: errs.items, body: b.clone().unwrap_or(Value::Null) });
    }
    let body = serde_json::json!({ "lease_id": uuid::Uuid::new_v4().to_string(), "limits": [] });
    Ok(json(StatusCode::OK, crate::pyjson::to_pydantic_json(&body)))
}

/// `ConcurrencyLeaseHolder`: `type` one of three literals and a UUID `id`,
/// nothing else.
fn lease_holder(v: &Value, loc: &[validate::Loc], errs: &mut Errors) {
    use crate::coerce::{self, Problem};
    let Some(m) = validate::Model::open(v, loc, true, errs) else { return };
    match m.raw("type") {
        None => errs.missing(&validate::key(loc, "type")),
        Some(t) if matches!(t.as_str(), Some("flow_run" | "task_run" | "deployment")) => {}
        Some(t) => errs.push(
            &validate::key(loc, "type"),
            t,
            Problem {
                kind: "literal_error",
                msg: "Input should be 'flow_run', 'task_run' or 'deployment'".into(),
                ctx: Some(serde_json::json!({"expected": "'flow_run', 'task_run' or 'deployment'"})),
            },
        ),
    }
    match m.raw("id") {
        None => errs.missing(&validate::key(loc, "id")),
        Some(id) => {
            if let Err(p) = coerce::uuid(id) {
                errs.push(&validate::key(loc, "id"), id, p);
            }
        }
    }
    m.finish(&["type", "id"], errs);
}
