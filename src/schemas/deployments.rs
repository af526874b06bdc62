//! Bodies of the deployment, flow-run update and scheduled-run endpoints:
//! `DeploymentUpdate`, `DeploymentFlowRunCreate`, `FlowRunUpdate` and the
//! `get_scheduled_flow_runs` body, validated as the reference's models
//! (action models forbid extra keys).

use serde_json::{json, Map, Value};

use crate::coerce::{self, Problem};
use crate::error::ApiError;
use crate::schemas::runs::{
    any_dict, concurrency_options, dict_or, labels, opt_string, opt_uuid, policy, positive_int, run_name,
    uuid_text, StateCreate,
};
use crate::schemas::validate::{self, ErrorItem, Errors, Loc, Model};

fn list_type() -> Problem {
    Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None }
}

fn bool_type() -> Problem {
    Problem { kind: "bool_type", msg: "Input should be a valid boolean".into(), ctx: None }
}

/// `List[str]` that refuses null (a `default_factory=list` field).
fn str_list(raw: &Value, at: &[Loc], errs: &mut Errors) -> Option<Value> {
    match raw {
        Value::Array(_) => validate::list(raw, at, errs, coerce::string).map(|l| json!(l)),
        _ => {
            errs.push(at, raw, list_type());
            None
        }
    }
}

// ---------------------------------------------------------------------------
// DeploymentUpdate
// ---------------------------------------------------------------------------

pub const DEPLOYMENT_UPDATE_FIELDS: &[&str] = &[
    "version", "description", "paused", "schedules", "concurrency_limit", "concurrency_options",
    "global_concurrency_limit_id", "parameters", "parameter_openapi_schema", "tags", "work_queue_name",
    "work_pool_name", "path", "job_variables", "pull_steps", "entrypoint", "storage_document_id",
    "infrastructure_document_id", "enforce_parameter_schema", "version_info",
];

/// The keys older clients send that the reference's before-validator
/// (`remove_old_deployment_fields`) drops.
const OLD_DEPLOYMENT_FIELDS: &[&str] =
    &["worker_pool_queue_id", "worker_pool_name", "worker_pool_queue_name", "work_pool_queue_name"];

const SCHEDULE_UPDATE_FIELDS: &[&str] = &["active", "schedule", "max_scheduled_runs", "parameters", "slug", "replaces"];

/// A `DeploymentUpdate`: the fields the client set, in wire form.
#[derive(Debug, Clone, Default)]
pub struct DeploymentUpdate {
    pub set: Map<String, Value>,
}

impl DeploymentUpdate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let mut v = v.clone();
        if let Value::Object(o) = &mut v {
            for f in OLD_DEPLOYMENT_FIELDS {
                o.shift_remove(*f);
            }
            // The before-validator `_validate_concurrency_limits` raises
            // before any field is read.
            let truthy = |x: Option<&Value>| {
                x.is_some_and(|x| !matches!(x, Value::Null | Value::Bool(false)) && x.as_f64() != Some(0.0) && x.as_str() != Some(""))
            };
            if truthy(o.get("concurrency_limit")) && truthy(o.get("global_concurrency_limit_id")) {
                errs.items.push(ErrorItem {
                    kind: "value_error".into(),
                    loc: loc.to_vec(),
                    msg: "Value error, A deployment cannot have both a concurrency limit and a global concurrency limit.".into(),
                    input: v.clone(),
                    ctx: Some(json!({"error": {}})),
                });
                return None;
            }
        }
        let m = Model::open(&v, loc, true, errs)?;
        let before = errs.items.len();
        let mut set = Map::new();
        for f in DEPLOYMENT_UPDATE_FIELDS {
            let Some(raw) = m.raw(f) else { continue };
            let at = validate::key(loc, f);
            let r: Result<Value, Problem> = match *f {
                "paused" => coerce::boolean(raw).map(Value::Bool),
                "enforce_parameter_schema" if !raw.is_null() => coerce::boolean(raw).map(Value::Bool),
                "concurrency_limit" if !raw.is_null() => positive_int(raw).map(|n| json!(n)),
                "global_concurrency_limit_id" | "storage_document_id" | "infrastructure_document_id"
                    if !raw.is_null() =>
                {
                    uuid_text(raw).map(Value::String)
                }
                "version" | "description" | "work_queue_name" | "work_pool_name" | "path" | "entrypoint"
                    if !raw.is_null() =>
                {
                    coerce::string(raw).map(Value::String)
                }
                "parameters" | "parameter_openapi_schema" | "job_variables" | "version_info" if !raw.is_null() => {
                    any_dict(raw)
                }
                "concurrency_options" if !raw.is_null() => match concurrency_options(raw, &at, errs) {
                    Some(x) => Ok(x),
                    None => continue,
                },
                "tags" => match str_list(raw, &at, errs) {
                    Some(x) => Ok(x),
                    None => continue,
                },
                "pull_steps" if !raw.is_null() => match raw {
                    Value::Array(_) => match validate::list(raw, &at, errs, any_dict) {
                        Some(l) => Ok(Value::Array(l)),
                        None => continue,
                    },
                    _ => Err(list_type()),
                },
                "schedules" => match raw {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let mut iloc = at.clone();
                            iloc.push(Loc::Index(i));
                            if let Some(sm) = Model::open(item, &iloc, true, errs) {
                                if let Some(a) = sm.raw("active").filter(|a| !a.is_null()) {
                                    if coerce::boolean(a).is_err() {
                                        errs.push(&validate::key(&iloc, "active"), a, bool_type());
                                    }
                                }
                                sm.finish(SCHEDULE_UPDATE_FIELDS, errs);
                            }
                        }
                        Ok(raw.clone())
                    }
                    _ => Err(list_type()),
                },
                _ => Ok(raw.clone()),
            };
            match r {
                Ok(x) => {
                    set.insert((*f).to_string(), x);
                }
                Err(p) => errs.push(&at, raw, p),
            }
        }
        m.finish(DEPLOYMENT_UPDATE_FIELDS, errs);
        (errs.items.len() == before).then_some(DeploymentUpdate { set })
    }
}

// ---------------------------------------------------------------------------
// DeploymentCreate: what the reference checks around the model
// ---------------------------------------------------------------------------

/// Python truthiness of a JSON value.
fn truthy(x: Option<&Value>) -> bool {
    x.is_some_and(|x| match x {
        Value::Null | Value::Bool(false) => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    })
}

/// The `DeploymentCreate` before-validators that run ahead of its fields:
/// both kinds of concurrency limit are refused (the 422 echoes the body as
/// sent), and the keys of older clients are dropped.
pub fn create_body(body: Option<Value>) -> Result<Option<Value>, ApiError> {
    let Some(Value::Object(mut o)) = body else { return Ok(body) };
    if truthy(o.get("concurrency_limit")) && truthy(o.get("global_concurrency_limit_id")) {
        let v = Value::Object(o);
        return Err(ApiError::Validation {
            errors: vec![ErrorItem {
                kind: "value_error".into(),
                loc: validate::body_loc(),
                msg: "Value error, A deployment cannot have both a concurrency limit and a global concurrency limit.".into(),
                input: v.clone(),
                ctx: Some(json!({"error": {}})),
            }],
            body: v,
        });
    }
    for f in OLD_DEPLOYMENT_FIELDS {
        o.shift_remove(*f);
    }
    Ok(Some(Value::Object(o)))
}

/// What the reference's create refuses once the body is valid, in its
/// order: artifactd has no work pools (but the default agent pool), global
/// concurrency limits or blocks, so naming one is its 404 or 409.
pub fn create_refusal(set: &Map<String, Value>) -> Option<ApiError> {
    let given = |k: &str| set.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(pool) = given("work_pool_name").filter(|p| *p != "default-agent-pool") {
        return Some(ApiError::NotFound(format!("Work pool \"{pool}\" not found.")));
    }
    if set.get("global_concurrency_limit_id").is_some_and(|v| !v.is_null()) {
        return Some(ApiError::NotFound("Concurrency limit not found".into()));
    }
    for (field, what) in [("infrastructure_document_id", "infrastructure"), ("storage_document_id", "storage")] {
        if let Some(id) = set.get(field).and_then(Value::as_str) {
            return Some(ApiError::Conflict(format!(
                "Error creating deployment. Could not find {what} block with id: {id}. This usually occurs when applying a deployment specification that was built against a different Prefect database / workspace."
            )));
        }
    }
    None
}

// ---------------------------------------------------------------------------
// DeploymentFlowRunCreate
// ---------------------------------------------------------------------------

pub const DEPLOYMENT_FLOW_RUN_CREATE_FIELDS: &[&str] = &[
    "state", "name", "parameters", "enforce_parameter_schema", "context", "infrastructure_document_id",
    "empirical_policy", "tags", "idempotency_key", "labels", "parent_task_run_id", "work_queue_name",
    "job_variables",
];

#[derive(Debug, Clone)]
pub struct DeploymentFlowRunCreate {
    pub state: Option<StateCreate>,
    pub name: String,
    pub parameters: Value,
    pub enforce_parameter_schema: Option<bool>,
    pub context: Value,
    pub infrastructure_document_id: Value,
    pub empirical_policy: Value,
    pub tags: Vec<String>,
    pub idempotency_key: Value,
    pub labels: Value,
    pub parent_task_run_id: Value,
    pub work_queue_name: Value,
    pub job_variables: Value,
}

impl DeploymentFlowRunCreate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let state = m.opt_model("state", errs, StateCreate::parse);
        let name = run_name(&m, errs);
        let parameters = dict_or(&m, "parameters", errs, json!({}));
        let enforce_parameter_schema = m.opt("enforce_parameter_schema", errs, coerce::boolean);
        let context = dict_or(&m, "context", errs, json!({}));
        let infrastructure_document_id = opt_uuid(&m, "infrastructure_document_id", errs);
        let empirical_policy = policy(m.raw("empirical_policy"), &validate::key(loc, "empirical_policy"), errs, false);
        let tags = match m.raw("tags") {
            None => Vec::new(),
            Some(raw) => str_list(raw, &validate::key(loc, "tags"), errs)
                .and_then(|t| serde_json::from_value(t).ok())
                .unwrap_or_default(),
        };
        let idempotency_key = opt_string(&m, "idempotency_key", errs);
        let labels = match m.raw("labels") {
            None => Value::Null,
            Some(_) => labels(&m, errs),
        };
        let parent_task_run_id = opt_uuid(&m, "parent_task_run_id", errs);
        let work_queue_name = opt_string(&m, "work_queue_name", errs);
        let job_variables = match m.raw("job_variables") {
            None => json!({}),
            Some(Value::Null) => Value::Null,
            Some(_) => dict_or(&m, "job_variables", errs, Value::Null),
        };
        m.finish(DEPLOYMENT_FLOW_RUN_CREATE_FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(DeploymentFlowRunCreate {
            state,
            name,
            parameters,
            enforce_parameter_schema,
            context,
            infrastructure_document_id,
            empirical_policy,
            tags,
            idempotency_key,
            labels,
            parent_task_run_id,
            work_queue_name,
            job_variables,
        })
    }
}

// ---------------------------------------------------------------------------
// FlowRunUpdate
// ---------------------------------------------------------------------------

pub const FLOW_RUN_UPDATE_FIELDS: &[&str] =
    &["name", "flow_version", "parameters", "empirical_policy", "tags", "infrastructure_pid", "job_variables"];

/// A `FlowRunUpdate`: the fields the client set, in wire form (the update
/// writes only those, as `exclude_unset`).
#[derive(Debug, Clone, Default)]
pub struct FlowRunUpdate {
    pub set: Map<String, Value>,
}

impl FlowRunUpdate {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let mut set = Map::new();
        for f in FLOW_RUN_UPDATE_FIELDS {
            let Some(raw) = m.raw(f) else { continue };
            let at = validate::key(loc, f);
            let r: Result<Value, Problem> = match *f {
                // The name's before-validator gives null a generated name.
                "name" => Ok(Value::String(run_name(&m, errs))),
                "flow_version" | "infrastructure_pid" if !raw.is_null() => coerce::string(raw).map(Value::String),
                "parameters" => any_dict(raw),
                "job_variables" if !raw.is_null() => any_dict(raw),
                "tags" => match str_list(raw, &at, errs) {
                    Some(x) => Ok(x),
                    None => continue,
                },
                "empirical_policy" => Ok(policy(Some(raw), &at, errs, false)),
                _ => Ok(raw.clone()),
            };
            match r {
                Ok(x) => {
                    set.insert((*f).to_string(), x);
                }
                Err(p) => errs.push(&at, raw, p),
            }
        }
        m.finish(FLOW_RUN_UPDATE_FIELDS, errs);
        (errs.items.len() == before).then_some(FlowRunUpdate { set })
    }
}

// ---------------------------------------------------------------------------
// get_scheduled_flow_runs
// ---------------------------------------------------------------------------

/// The body of `POST /deployments/get_scheduled_flow_runs`: separate body
/// fields (FastAPI `Body`), so extra keys are ignored; the `limit`
/// dependency is checked first.
#[derive(Debug, Clone)]
pub struct ScheduledRunsQuery {
    pub deployment_ids: Vec<String>,
    pub scheduled_before: Option<chrono::DateTime<chrono::Utc>>,
    pub limit: i64,
}

impl ScheduledRunsQuery {
    pub fn parse(body: &Option<Value>) -> Result<Self, ApiError> {
        use crate::schemas::resource_query::{all_missing, parse_limit};
        // Not an object: every body parameter is missing, the limit
        // dependency's first (as FastAPI reports it).
        let Some(Value::Object(o)) = body else {
            return Err(all_missing(&["deployment_ids", "scheduled_before"], true, body));
        };
        let mut errs = Errors::default();
        // A null limit is the default one.
        let limit = parse_limit(|k| o.get(k).filter(|v| !v.is_null()).cloned(), &mut errs)?;
        let loc = validate::body_loc();
        let deployment_ids = match o.get("deployment_ids") {
            None => {
                errs.missing(&validate::key(&loc, "deployment_ids"));
                None
            }
            Some(raw) => validate::list(raw, &validate::key(&loc, "deployment_ids"), &mut errs, uuid_text),
        };
        let scheduled_before = match o.get("scheduled_before") {
            None | Some(Value::Null) => None,
            Some(raw) => match coerce::datetime(raw) {
                Ok(t) => Some(t),
                Err(p) => {
                    errs.push(&validate::key(&loc, "scheduled_before"), raw, p);
                    None
                }
            },
        };
        match deployment_ids {
            Some(ids) if errs.is_empty() => Ok(ScheduledRunsQuery { deployment_ids: ids, scheduled_before, limit }),
            _ => Err(ApiError::Validation { errors: errs.items, body: body.clone().unwrap_or(Value::Null) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T>(v: Value, f: impl FnOnce(&Value, &[Loc], &mut Errors) -> Option<T>) -> (Option<T>, Vec<Value>) {
        let mut errs = Errors::default();
        let out = f(&v, &validate::body_loc(), &mut errs);
        (out, errs.items.iter().map(ErrorItem::to_json).collect())
    }

    #[test]
    fn an_update_keeps_only_what_was_sent_and_drops_old_fields() {
        let (u, errs) = parse(json!({"paused": true, "worker_pool_name": "w", "tags": ["a"]}), DeploymentUpdate::parse);
        assert!(errs.is_empty(), "{errs:?}");
        let u = u.expect("parses");
        assert_eq!(Value::Object(u.set), json!({"paused": true, "tags": ["a"]}));
    }

    #[test]
    fn an_update_with_both_limits_fails_before_its_fields() {
        let (u, errs) = parse(json!({"concurrency_limit": 1, "global_concurrency_limit_id": "x", "bogus": 1}), DeploymentUpdate::parse);
        assert!(u.is_none());
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0]["type"], "value_error");
        assert_eq!(errs[0]["loc"], json!(["body"]));
    }

    #[test]
    fn a_schedule_update_refuses_unknown_keys_at_its_index() {
        let (_, errs) = parse(json!({"schedules": [{"active": true}, {"nope": 1}]}), DeploymentUpdate::parse);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0]["loc"], json!(["body", "schedules", 1, "nope"]));
    }

    #[test]
    fn a_run_from_a_deployment_defaults_as_the_model() {
        let (r, errs) = parse(json!({}), DeploymentFlowRunCreate::parse);
        assert!(errs.is_empty());
        let r = r.expect("parses");
        assert!(!r.name.is_empty());
        assert_eq!((r.parameters, r.job_variables, r.labels), (json!({}), json!({}), Value::Null));
        assert!(r.state.is_none() && r.tags.is_empty());
    }

    #[test]
    fn a_flow_run_update_names_a_null_name() {
        let (u, _) = parse(json!({"name": null, "job_variables": null}), FlowRunUpdate::parse);
        let u = u.expect("parses");
        assert!(u.set["name"].as_str().is_some_and(|n| n.contains('-')));
        assert_eq!(u.set["job_variables"], Value::Null);
    }

    #[test]
    fn the_poll_needs_its_ids() {
        let e = ScheduledRunsQuery::parse(&Some(json!({"limit": 5}))).expect_err("refused");
        match e {
            ApiError::Validation { errors, .. } => assert_eq!(errors[0].kind, "missing"),
            other => panic!("{other:?}"),
        }
        let q = ScheduledRunsQuery::parse(&Some(json!({"deployment_ids": [], "limit": 5}))).expect("parses");
        assert_eq!((q.deployment_ids.len(), q.limit, q.scheduled_before), (0, 5, None));
    }
}
