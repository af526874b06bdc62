//! The bodies of `/flows`, `/flow_runs`, `/task_runs` and `/deployments`
//! `filter` and `count`: embedded body parameters validated as FastAPI does
//! (the `limit` dependency first, then the rest in declaration order), and
//! the reference's EXISTS joins between the families.

use serde_json::Value;

use super::filters::deployments::DeploymentFilter;
use super::filters::flow_runs::FlowRunFilter;
use super::filters::flows::FlowFilter;
use super::filters::operator;
use super::filters::sql::Cond;
use super::filters::task_runs::TaskRunFilter;
use super::query::DEFAULT_LIMIT;
use super::validate::{self, Errors, Loc, Model};
use crate::coerce;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Flows,
    FlowRuns,
    TaskRuns,
    Deployments,
}

impl Resource {
    pub fn table(self) -> &'static str {
        match self {
            Resource::Flows => "flow",
            Resource::FlowRuns => "flow_run",
            Resource::TaskRuns => "task_run",
            Resource::Deployments => "deployment",
        }
    }

    /// The body parameters of `/filter` after `limit`, in declaration order.
    fn filter_params(self) -> &'static [&'static str] {
        match self {
            Resource::Flows => &["offset", "flows", "flow_runs", "task_runs", "deployments", "work_pools", "sort"],
            Resource::FlowRuns => &[
                "sort", "offset", "flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_pool_queues",
            ],
            Resource::TaskRuns => &["sort", "offset", "flows", "flow_runs", "task_runs", "deployments"],
            Resource::Deployments => &[
                "offset", "flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_pool_queues", "sort",
            ],
        }
    }

    fn count_params(self) -> &'static [&'static str] {
        match self {
            Resource::Flows => &["flows", "flow_runs", "task_runs", "deployments", "work_pools"],
            Resource::FlowRuns | Resource::Deployments => {
                &["flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_pool_queues"]
            }
            Resource::TaskRuns => &["flows", "flow_runs", "task_runs", "deployments"],
        }
    }

    pub(crate) fn sorts(self) -> &'static [&'static str] {
        match self {
            Resource::Flows | Resource::Deployments => &["CREATED_DESC", "UPDATED_DESC", "NAME_ASC", "NAME_DESC"],
            Resource::FlowRuns => &[
                "ID_DESC", "START_TIME_ASC", "START_TIME_DESC", "EXPECTED_START_TIME_ASC", "EXPECTED_START_TIME_DESC",
                "NAME_ASC", "NAME_DESC", "NEXT_SCHEDULED_START_TIME_ASC", "END_TIME_DESC",
            ],
            Resource::TaskRuns => &[
                "ID_DESC", "EXPECTED_START_TIME_ASC", "EXPECTED_START_TIME_DESC", "NAME_ASC", "NAME_DESC",
                "NEXT_SCHEDULED_START_TIME_ASC", "END_TIME_DESC", "DURATION_DESC", "DURATION_ASC",
            ],
        }
    }

    fn default_sort(self) -> &'static str {
        match self {
            Resource::Flows | Resource::Deployments => "NAME_ASC",
            Resource::FlowRuns | Resource::TaskRuns => "ID_DESC",
        }
    }

    /// ORDER BY for a sort name (SQLite orders NULLs first ascending and
    /// last descending, as the reference's SQLite database does).
    pub fn order_by(self, sort: &str) -> String {
        let t = self.table();
        let est = "(task_run.total_run_time + CASE WHEN task_run.state_type = 'RUNNING' \
                   THEN (julianday('now') - julianday(task_run.state_timestamp)) * 86400.0 ELSE 0 END)";
        match sort {
            "CREATED_DESC" => format!("{t}.created DESC"),
            "UPDATED_DESC" => format!("{t}.updated DESC"),
            "NAME_ASC" => format!("{t}.name ASC"),
            "NAME_DESC" => format!("{t}.name DESC"),
            "START_TIME_ASC" => format!("coalesce({t}.start_time, {t}.expected_start_time) ASC"),
            "START_TIME_DESC" => format!("coalesce({t}.start_time, {t}.expected_start_time) DESC"),
            "EXPECTED_START_TIME_ASC" => format!("{t}.expected_start_time ASC"),
            "EXPECTED_START_TIME_DESC" => format!("{t}.expected_start_time DESC"),
            "NEXT_SCHEDULED_START_TIME_ASC" => format!("{t}.next_scheduled_start_time ASC"),
            "END_TIME_DESC" => format!("{t}.end_time DESC"),
            "DURATION_DESC" => format!("{est} DESC, task_run.expected_start_time DESC, task_run.id DESC"),
            "DURATION_ASC" => format!("{est} ASC, task_run.expected_start_time DESC, task_run.id DESC"),
            _ => format!("{t}.id DESC"),
        }
    }
}

/// `WorkPoolFilter` / `WorkQueueFilter`: validated; artifactd has no work
/// pools or queues, so any such filter matches nothing (the reference
/// requires the run or deployment to have a matching pool or queue).
fn id_any(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    let _ = m.opt_list("any_", errs, super::filters::uuid_text);
    m.finish(&["any_"], errs);
    Some(())
}

fn str_lists(v: &Value, loc: &[Loc], errs: &mut Errors, fields: &[&str]) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    for f in fields {
        let _ = m.opt_list(f, errs, coerce::string);
    }
    m.finish(fields, errs);
    Some(())
}

fn work_pool_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let _ = operator(&m, errs);
    m.opt_model("id", errs, id_any);
    m.opt_model("name", errs, |v, l, e| str_lists(v, l, e, &["any_"]));
    m.opt_model("type", errs, |v, l, e| str_lists(v, l, e, &["any_"]));
    m.finish(&["operator", "id", "name", "type"], errs);
    (errs.items.len() == before).then_some(())
}

fn work_queue_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let _ = operator(&m, errs);
    m.opt_model("id", errs, id_any);
    m.opt_model("name", errs, |v, l, e| str_lists(v, l, e, &["any_", "startswith_"]));
    m.finish(&["operator", "id", "name"], errs);
    (errs.items.len() == before).then_some(())
}

#[derive(Debug, Clone)]
pub struct RunFamilies {
    pub resource: Resource,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    /// A work pool or work queue filter was given.
    pub work_pools: bool,
}

impl RunFamilies {
    pub(crate) fn empty(resource: Resource) -> Self {
        RunFamilies { resource, flows: None, flow_runs: None, task_runs: None, deployments: None, work_pools: false }
    }

    /// Parses the family `name` (a body parameter) into `self`.
    pub(crate) fn parse_one(&mut self, name: &str, v: &Value, errs: &mut Errors) {
        let loc = validate::key(&validate::body_loc(), name);
        match name {
            "flows" => self.flows = FlowFilter::parse(v, &loc, errs),
            "flow_runs" => self.flow_runs = FlowRunFilter::parse(v, &loc, errs),
            "task_runs" => self.task_runs = TaskRunFilter::parse(v, &loc, errs),
            "deployments" => self.deployments = DeploymentFilter::parse(v, &loc, errs),
            "work_pools" => {
                work_pool_filter(v, &loc, errs);
                self.work_pools = true;
            }
            // `work_queues` is the same filter's name in the history bodies.
            "work_pool_queues" | "work_queues" => {
                work_queue_filter(v, &loc, errs);
                self.work_pools = true;
            }
            _ => {}
        }
    }

    /// The WHERE condition on the resource's table, as the reference's
    /// `_apply_*_filters` build it.
    pub fn cond(&self) -> Cond {
        let mut parts = Vec::new();
        let f = |c: &Option<Cond>| c.clone();
        let flows = self.flows.as_ref().map(|x| x.cond());
        let flow_runs = self.flow_runs.as_ref().map(|x| x.cond());
        let task_runs = self.task_runs.as_ref().map(|x| x.cond());
        let deployments = self.deployments.as_ref().map(|x| x.cond());
        if self.work_pools {
            parts.push(Cond::new("0", vec![]));
        }
        match self.resource {
            Resource::Flows => {
                if let Some(c) = f(&flows) {
                    parts.push(c);
                }
                if let Some(c) = f(&deployments) {
                    parts.push(exists("deployment", "deployment.flow_id = flow.id", vec![c]));
                }
                if flow_runs.is_some() || task_runs.is_some() {
                    let from = if task_runs.is_some() {
                        "flow_run JOIN task_run ON task_run.flow_run_id = flow_run.id"
                    } else {
                        "flow_run"
                    };
                    let conds = [flow_runs.clone(), task_runs.clone()].into_iter().flatten().collect();
                    parts.push(exists(from, "flow_run.flow_id = flow.id", conds));
                }
            }
            Resource::FlowRuns => {
                if let Some(c) = f(&flow_runs) {
                    parts.push(c);
                }
                if let Some(c) = f(&deployments) {
                    parts.push(exists("deployment", "deployment.id = flow_run.deployment_id", vec![c]));
                }
                match (&flows, &task_runs) {
                    (Some(fc), None) => parts.push(exists("flow", "flow.id = flow_run.flow_id", vec![fc.clone()])),
                    (None, Some(tc)) => {
                        parts.push(exists("task_run", "task_run.flow_run_id = flow_run.id", vec![tc.clone()]))
                    }
                    (Some(fc), Some(tc)) => parts.push(exists(
                        "flow JOIN task_run ON task_run.flow_run_id = flow_run.id",
                        "flow.id = flow_run.flow_id",
                        vec![fc.clone(), tc.clone()],
                    )),
                    (None, None) => {}
                }
            }
            Resource::TaskRuns => {
                if let Some(c) = f(&task_runs) {
                    parts.push(c);
                }
                if flows.is_some() || flow_runs.is_some() || deployments.is_some() {
                    let mut from = String::from("flow_run");
                    if flows.is_some() {
                        from.push_str(" JOIN flow ON flow.id = flow_run.flow_id");
                    }
                    if deployments.is_some() {
                        from.push_str(" JOIN deployment ON deployment.id = flow_run.deployment_id");
                    }
                    let conds = [flow_runs.clone(), flows.clone(), deployments.clone()].into_iter().flatten().collect();
                    parts.push(exists(&from, "flow_run.id = task_run.flow_run_id", conds));
                }
            }
            Resource::Deployments => {
                if let Some(c) = f(&deployments) {
                    parts.push(c);
                }
                if let Some(c) = f(&flows) {
                    parts.push(exists("flow", "deployment.flow_id = flow.id", vec![c]));
                }
                if flow_runs.is_some() || task_runs.is_some() {
                    let from = if task_runs.is_some() {
                        "flow_run JOIN task_run ON task_run.flow_run_id = flow_run.id"
                    } else {
                        "flow_run"
                    };
                    let conds = [flow_runs.clone(), task_runs.clone()].into_iter().flatten().collect();
                    parts.push(exists(from, "deployment.id = flow_run.deployment_id", conds));
                }
            }
        }
        Cond::and(parts)
    }
}

fn exists(from: &str, link: &str, conds: Vec<Cond>) -> Cond {
    let c = Cond::and(conds);
    Cond::new(format!("EXISTS (SELECT 1 FROM {from} WHERE {link} AND {})", c.sql), c.params)
}

#[derive(Debug, Clone)]
pub struct ResourceQuery {
    pub families: RunFamilies,
    pub sort: &'static str,
    pub limit: i64,
    pub offset: i64,
}

pub(crate) fn invalid(errs: Errors, body: &Option<Value>) -> ApiError {
    ApiError::Validation { errors: errs.items, body: body.clone().unwrap_or(Value::Null) }
}


/// The `limit` dependency: validated, and its range checked, first.
pub fn parse_limit(get: impl Fn(&str) -> Option<Value>, errs: &mut Errors) -> Result<i64, ApiError> {
    let mut limit = DEFAULT_LIMIT;
    if let Some(v) = get("limit") {
        match coerce::int(&v) {
            Ok(n) if n < 0 => {
                return Err(ApiError::Unprocessable("Invalid limit: must be greater than or equal to 0.".into()))
            }
            Ok(n) if n > DEFAULT_LIMIT => {
                return Err(ApiError::Unprocessable(format!(
                    "Invalid limit: must be less than or equal to {DEFAULT_LIMIT}."
                )))
            }
            Ok(n) => limit = n,
            Err(p) => errs.push(&validate::key(&validate::body_loc(), "limit"), &v, p),
        }
    }
    Ok(limit)
}

/// A non-object body: FastAPI reports every embedded parameter missing.
pub fn all_missing(names: &[&str], with_limit: bool, body: &Option<Value>) -> ApiError {
    let mut errs = Errors::default();
    if with_limit {
        errs.missing(&validate::key(&validate::body_loc(), "limit"));
    }
    for n in names {
        errs.missing(&validate::key(&validate::body_loc(), n));
    }
    invalid(errs, body)
}

/// Validates `sort` and `offset` beside the families; shared with logs.
pub fn parse_sort(v: &Value, names: &'static [&'static str], errs: &mut Errors) -> Option<&'static str> {
    match coerce::enumeration(v, names) {
        Ok(s) => names.iter().copied().find(|n| *n == s),
        Err(p) => {
            errs.push(&validate::key(&validate::body_loc(), "sort"), v, p);
            None
        }
    }
}

pub fn parse_offset(v: &Value, errs: &mut Errors) -> i64 {
    match super::query::offset_value(v) {
        Ok(n) => n,
        Err(p) => {
            errs.push(&validate::key(&validate::body_loc(), "offset"), v, p);
            0
        }
    }
}

impl ResourceQuery {
    pub fn parse(resource: Resource, body: &Option<Value>) -> Result<ResourceQuery, ApiError> {
        Self::parse_paged(resource, body, false).map(|(q, _)| q)
    }

    /// The body of `/paginate`: as `/filter`'s, with `page` (at least one,
    /// by default the first) where `offset` is declared; the offset is
    /// `(page - 1) * limit`. Gives the query and the page.
    pub fn parse_page(resource: Resource, body: &Option<Value>) -> Result<(ResourceQuery, i64), ApiError> {
        Self::parse_paged(resource, body, true)
    }

    fn parse_paged(resource: Resource, body: &Option<Value>, paged: bool) -> Result<(ResourceQuery, i64), ApiError> {
        let params: Vec<&'static str> = resource
            .filter_params()
            .iter()
            .map(|p| if paged && *p == "offset" { "page" } else { *p })
            .collect();
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(all_missing(&params, true, body)),
        };
        let get = |name: &str| obj.and_then(|o| o.get(name)).filter(|v| !v.is_null()).cloned();
        let mut errs = Errors::default();
        let limit = parse_limit(get, &mut errs)?;
        let mut sort = resource.default_sort();
        let mut offset = 0;
        let mut page = 1;
        let mut families = RunFamilies::empty(resource);
        for name in &params {
            let Some(v) = obj.and_then(|o| o.get(*name)).filter(|v| !v.is_null()) else { continue };
            match *name {
                "sort" => {
                    if let Some(s) = parse_sort(v, resource.sorts(), &mut errs) {
                        sort = s;
                    }
                }
                "offset" => offset = parse_offset(v, &mut errs),
                "page" => page = parse_page_number(v, &mut errs),
                family => families.parse_one(family, v, &mut errs),
            }
        }
        if !errs.is_empty() {
            return Err(invalid(errs, body));
        }
        if paged {
            // Saturates: a page far past the end reads nothing, as it would.
            offset = (page - 1).saturating_mul(limit);
        }
        Ok((ResourceQuery { families, sort, limit, offset }, page))
    }
}

/// `page: int = Body(1, ge=1)`. Above i64 the reference fails in SQLite;
/// here it is refused in pydantic's shape, as `offset` is.
pub fn parse_page_number(v: &Value, errs: &mut Errors) -> i64 {
    let problem = match super::query::offset_value(v) {
        Ok(n) if n >= 1 => return n,
        Ok(_) => coerce::Problem {
            kind: "greater_than_equal",
            msg: "Input should be greater than or equal to 1".into(),
            ctx: Some(serde_json::json!({ "ge": 1 })),
        },
        Err(p) if p.kind == "greater_than_equal" => coerce::Problem {
            kind: "greater_than_equal",
            msg: "Input should be greater than or equal to 1".into(),
            ctx: Some(serde_json::json!({ "ge": 1 })),
        },
        Err(p) => p,
    };
    errs.push(&validate::key(&validate::body_loc(), "page"), v, problem);
    1
}

pub fn parse_count(resource: Resource, body: &Option<Value>) -> Result<RunFamilies, ApiError> {
    let obj = match body {
        None => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => return Err(all_missing(resource.count_params(), false, body)),
    };
    let mut errs = Errors::default();
    let mut families = RunFamilies::empty(resource);
    for name in resource.count_params() {
        if let Some(v) = obj.and_then(|o| o.get(*name)).filter(|v| !v.is_null()) {
            families.parse_one(name, v, &mut errs);
        }
    }
    if !errs.is_empty() {
        return Err(invalid(errs, body));
    }
    Ok(families)
}
