//! The bodies of the four artifact read endpoints: `/filter`, `/count`,
//! `/latest/filter`, `/latest/count`. Each is a set of embedded body
//! parameters, validated in the order FastAPI validates them: the `limit`
//! dependency first, then `sort`, `offset` and the filter families.

use serde_json::Value;

use super::filters::artifacts::{ArtifactFilter, Table};
use super::filters::deployments::DeploymentFilter;
use super::filters::flow_runs::FlowRunFilter;
use super::filters::flows::FlowFilter;
use super::filters::sql::Cond;
use super::filters::task_runs::TaskRunFilter;
use super::validate::{self, Errors, Loc};
use crate::coerce::{self, Problem};
use crate::error::ApiError;

/// The reference's `PREFECT_SERVER_API_DEFAULT_LIMIT`, which is also the
/// largest limit it accepts.
pub const DEFAULT_LIMIT: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    CreatedDesc,
    UpdatedDesc,
    IdDesc,
    KeyDesc,
    KeyAsc,
}

impl Sort {
    pub const NAMES: &'static [&'static str] =
        &["CREATED_DESC", "UPDATED_DESC", "ID_DESC", "KEY_DESC", "KEY_ASC"];

    fn from_name(s: &str) -> Sort {
        match s {
            "CREATED_DESC" => Sort::CreatedDesc,
            "UPDATED_DESC" => Sort::UpdatedDesc,
            "KEY_DESC" => Sort::KeyDesc,
            "KEY_ASC" => Sort::KeyAsc,
            _ => Sort::IdDesc,
        }
    }

    pub fn order_by(self, table: Table) -> &'static str {
        match (table, self) {
            (Table::Artifact, Sort::CreatedDesc) => "artifact.created DESC",
            (Table::Artifact, Sort::UpdatedDesc) => "artifact.updated DESC",
            (Table::Artifact, Sort::IdDesc) => "artifact.id DESC",
            (Table::Artifact, Sort::KeyDesc) => "artifact.key DESC",
            (Table::Artifact, Sort::KeyAsc) => "artifact.key ASC",
            (Table::Collection, Sort::CreatedDesc) => "artifact_collection.created DESC",
            (Table::Collection, Sort::UpdatedDesc) => "artifact_collection.updated DESC",
            (Table::Collection, Sort::IdDesc) => "artifact_collection.id DESC",
            (Table::Collection, Sort::KeyDesc) => "artifact_collection.key DESC",
            (Table::Collection, Sort::KeyAsc) => "artifact_collection.key ASC",
        }
    }
}

/// The filter families shared by all four endpoints.
#[derive(Debug, Clone)]
pub struct Families {
    pub table: Table,
    pub artifacts: Option<ArtifactFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub flows: Option<FlowFilter>,
    pub deployments: Option<DeploymentFilter>,
}

const FAMILY_NAMES: [&str; 5] = ["artifacts", "flow_runs", "task_runs", "flows", "deployments"];

impl Families {
    fn parse(table: Table, obj: &serde_json::Map<String, Value>, errs: &mut Errors) -> Families {
        let loc = validate::body_loc();
        let field = |name: &str| obj.get(name).filter(|v| !v.is_null());
        let at = |name: &str| validate::key(&loc, name);
        Families {
            table,
            artifacts: field("artifacts")
                .and_then(|v| ArtifactFilter::parse(table, v, &at("artifacts"), errs)),
            flow_runs: field("flow_runs").and_then(|v| FlowRunFilter::parse(v, &at("flow_runs"), errs)),
            task_runs: field("task_runs").and_then(|v| TaskRunFilter::parse(v, &at("task_runs"), errs)),
            flows: field("flows").and_then(|v| FlowFilter::parse(v, &at("flows"), errs)),
            deployments: field("deployments")
                .and_then(|v| DeploymentFilter::parse(v, &at("deployments"), errs)),
        }
    }

    fn empty(table: Table) -> Families {
        Families { table, artifacts: None, flow_runs: None, task_runs: None, flows: None, deployments: None }
    }

    /// The FROM clause: the artifact table, joined to its flow run (and that
    /// run's flow and deployment) when those families filter, and to its
    /// task run when that family does. The reference writes these as EXISTS
    /// subqueries; every join here is on a primary key, so each artifact row
    /// meets at most one row of each table and the rows are the same. As
    /// joins, SQLite may start from the most selective side (one flow's runs,
    /// say) instead of testing every artifact in sort order.
    pub fn from_clause(&self) -> String {
        let outer = self.table.name();
        let mut sql = outer.to_string();
        if self.flow_runs.is_some() || self.flows.is_some() || self.deployments.is_some() {
            sql.push_str(&format!(" JOIN flow_run ON flow_run.id = {outer}.flow_run_id"));
            if self.flows.is_some() {
                sql.push_str(" JOIN flow ON flow.id = flow_run.flow_id");
            }
            if self.deployments.is_some() {
                sql.push_str(" JOIN deployment ON deployment.id = flow_run.deployment_id");
            }
        }
        if self.task_runs.is_some() {
            sql.push_str(&format!(" JOIN task_run ON task_run.id = {outer}.task_run_id"));
        }
        sql
    }

    /// The WHERE condition over `from_clause`: each family's filter on its
    /// own table, all of them ANDed, as the reference does.
    pub fn cond(&self) -> Cond {
        let mut parts = Vec::new();
        if let Some(f) = &self.artifacts {
            parts.push(f.cond());
        }
        if let Some(f) = &self.flow_runs {
            parts.push(f.cond());
        }
        if let Some(f) = &self.flows {
            parts.push(f.cond());
        }
        if let Some(f) = &self.deployments {
            parts.push(f.cond());
        }
        if let Some(f) = &self.task_runs {
            parts.push(f.cond());
        }
        Cond::and(parts)
    }

    /// The WHERE condition, or None when neither a join nor a condition
    /// narrows the table (the plain statements then apply).
    pub fn narrowing(&self) -> Option<Cond> {
        let joins = self.flow_runs.is_some() || self.flows.is_some() || self.deployments.is_some() || self.task_runs.is_some();
        let cond = self.cond();
        (joins || cond.sql != Cond::truth().sql).then_some(cond)
    }
}

#[derive(Debug, Clone)]
pub struct FilterQuery {
    pub families: Families,
    pub sort: Sort,
    pub limit: i64,
    pub offset: i64,
}

/// `offset: int = Body(0, ge=0)`, shared by every filter endpoint.
pub(crate) fn offset_value(v: &Value) -> Result<i64, Problem> {
    // The reference accepts any integer here and then fails in SQLite with a
    // 500 above i64; a bound check in pydantic's own shape says it plainly.
    let n = match coerce::int_exact(v)? {
        coerce::IntValue::Small(n) => n,
        coerce::IntValue::Big { negative: true, .. } => -1,
        coerce::IntValue::Big { negative: false, .. } => {
            return Err(Problem {
                kind: "less_than_equal",
                msg: format!("Input should be less than or equal to {}", i64::MAX),
                ctx: Some(serde_json::json!({ "le": i64::MAX })),
            })
        }
    };
    if n < 0 {
        return Err(Problem {
            kind: "greater_than_equal",
            msg: "Input should be greater than or equal to 0".into(),
            ctx: Some(serde_json::json!({ "ge": 0 })),
        });
    }
    Ok(n)
}

/// The request body as FastAPI hands it to the endpoint: `None` when the
/// body was empty or JSON `null`.
pub type Body = Option<Value>;

fn invalid(errs: Errors, body: &Body) -> ApiError {
    ApiError::Validation { errors: errs.items, body: body.as_ref().map(crate::pyjson::deep_clone).unwrap_or(Value::Null) }
}

impl FilterQuery {
    pub fn parse(table: Table, body: &Body) -> Result<FilterQuery, ApiError> {
        let mut errs = Errors::default();
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                // FastAPI looks each embedded parameter up in the body and
                // reports every one missing when the body is not an object.
                for name in ["limit", "sort", "offset"].iter().chain(FAMILY_NAMES.iter()) {
                    errs.missing(&validate::key(&validate::body_loc(), name));
                }
                return Err(invalid(errs, body));
            }
        };
        let get = |name: &str| obj.and_then(|o| o.get(name)).filter(|v| !v.is_null());
        let loc = validate::body_loc();

        // The limit is a dependency: it is validated, and its range checked,
        // before anything else in the body.
        let mut limit = DEFAULT_LIMIT;
        if let Some(v) = get("limit") {
            match coerce::int(v) {
                Ok(n) if n < 0 => {
                    return Err(ApiError::Unprocessable(
                        "Invalid limit: must be greater than or equal to 0.".into(),
                    ))
                }
                Ok(n) if n > DEFAULT_LIMIT => {
                    return Err(ApiError::Unprocessable(format!(
                        "Invalid limit: must be less than or equal to {DEFAULT_LIMIT}."
                    )))
                }
                Ok(n) => limit = n,
                Err(p) => errs.push(&validate::key(&loc, "limit"), v, p),
            }
        }
        let mut sort = Sort::IdDesc;
        if let Some(v) = get("sort") {
            match coerce::enumeration(v, Sort::NAMES) {
                Ok(s) => sort = Sort::from_name(&s),
                Err(p) => errs.push(&validate::key(&loc, "sort"), v, p),
            }
        }
        let mut offset = 0;
        if let Some(v) = get("offset") {
            match offset_value(v) {
                Ok(n) => offset = n,
                Err(p) => errs.push(&validate::key(&loc, "offset"), v, p),
            }
        }
        let families = match obj {
            Some(o) => Families::parse(table, o, &mut errs),
            None => Families::empty(table),
        };
        if !errs.is_empty() {
            return Err(invalid(errs, body));
        }
        Ok(FilterQuery { families, sort, limit, offset })
    }
}

pub fn parse_count(table: Table, body: &Body) -> Result<Families, ApiError> {
    let mut errs = Errors::default();
    match body {
        None => Ok(Families::empty(table)),
        Some(Value::Object(o)) => {
            let f = Families::parse(table, o, &mut errs);
            if errs.is_empty() {
                Ok(f)
            } else {
                Err(invalid(errs, body))
            }
        }
        Some(_) => {
            for name in FAMILY_NAMES {
                errs.missing(&validate::key(&validate::body_loc(), name));
            }
            Err(invalid(errs, body))
        }
    }
}

/// Reads a single-model body (`ArtifactCreate`, `ArtifactUpdate`): a missing
/// body is `missing` at `["body"]`.
pub fn parse_model<T>(
    body: &Body,
    f: impl FnOnce(&Value, &[Loc], &mut Errors) -> Option<T>,
) -> Result<T, ApiError> {
    let mut errs = Errors::default();
    let loc = validate::body_loc();
    let parsed = match body {
        None => {
            errs.missing(&loc);
            None
        }
        Some(v) => f(v, &loc, &mut errs),
    };
    match parsed {
        Some(t) if errs.is_empty() => Ok(t),
        _ => Err(invalid(errs, body)),
    }
}
