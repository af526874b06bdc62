//! `FlowRunFilter` (on `flow_run`), as Prefect 3.9.1 declares it in
//! `prefect/server/schemas/filters.py`, plus the small pieces the other
//! related families (`task_runs`, `flows`, `deployments`) share: a reader for
//! the leaf filter models and the SQLite forms of the reference's JSON
//! operators (`has_all`, `has_any`, `tags == []`).
//!
//! Semantics copied from the reference (and checked against it):
//! - every leaf model is `extra="forbid"`; operator models declare `operator`
//!   first, so its error comes first;
//! - `any_` applies whenever it is given (`[]` matches nothing); `not_any_`
//!   and `all_` only when non-empty; `like_` only when non-empty;
//! - a model with nothing set is TRUE, and `or_` over a TRUE part is TRUE,
//!   except inside `state`, where an empty `type`/`name` is left out.

use serde_json::Value;

use super::sql::{ilike_contains, in_list, is_null, not_in_list, Cond};
use super::{operator, uuid_text};
use crate::coerce::{self, Problem};
use crate::schemas::validate::{Errors, Loc, Model};
use crate::timefmt;

// ---------------------------------------------------------------------------
// Shared leaf-model reader
// ---------------------------------------------------------------------------

/// The type of one declared field of a leaf filter model.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// `Optional[list[UUID]]`, normalised to the stored text form.
    Uuids,
    /// `Optional[list[str]]`.
    Strs,
    /// `Optional[list[StateType]]`.
    StateTypes,
    /// `Optional[str]`.
    Str,
    /// `Optional[bool]`.
    Bool,
    /// `Optional[bool]` with a non-None default: absent gives the default,
    /// an explicit `null` gives None.
    BoolDefault(bool),
    /// `Optional[DateTime]`, as the stored text of the instant.
    Time,
    /// `Optional[int]` (any size; only validated).
    Int,
}

#[derive(Debug, Clone)]
pub(crate) enum Val {
    List(Vec<String>),
    Str(String),
    Bool(bool),
    Time(String),
    Int,
}

pub(crate) const STATE_TYPES: &[&str] = &[
    "SCHEDULED",
    "PENDING",
    "RUNNING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "CRASHED",
    "PAUSED",
    "CANCELLING",
];

fn state_type(v: &Value) -> Result<String, Problem> {
    coerce::enumeration(v, STATE_TYPES)
}

fn time_text(v: &Value) -> Result<String, Problem> {
    coerce::datetime(v).map(timefmt::to_stored)
}

fn any_int(v: &Value) -> Result<(), Problem> {
    coerce::int_exact(v).map(|_| ())
}

/// The values of one leaf model's fields, by name.
pub(crate) struct Fields {
    pub or: bool,
    vals: Vec<(&'static str, Option<Val>)>,
}

impl Fields {
    fn get(&self, name: &str) -> Option<&Val> {
        self.vals.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_ref())
    }

    pub fn list(&self, name: &str) -> Option<&[String]> {
        match self.get(name) {
            Some(Val::List(l)) => Some(l),
            _ => None,
        }
    }

    /// A string that is set and non-empty (pydantic truthiness).
    pub fn nonempty_str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Val::Str(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn time(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Val::Time(t)) => Some(t),
            _ => None,
        }
    }
}

/// Reads a leaf filter model: `operator` first when the model has one, then
/// the declared fields in order, then forbidden extras.
pub(crate) fn read(
    v: &Value,
    loc: &[Loc],
    errs: &mut Errors,
    has_operator: bool,
    fields: &[(&'static str, Kind)],
) -> Option<Fields> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let or = if has_operator { operator(&m, errs) } else { false };
    let mut vals = Vec::with_capacity(fields.len());
    for &(name, kind) in fields {
        let val = match kind {
            Kind::Uuids => m.opt_list(name, errs, uuid_text).map(Val::List),
            Kind::Strs => m.opt_list(name, errs, coerce::string).map(Val::List),
            Kind::StateTypes => m.opt_list(name, errs, state_type).map(Val::List),
            Kind::Str => m.opt(name, errs, coerce::string).map(Val::Str),
            Kind::Bool => m.opt(name, errs, coerce::boolean).map(Val::Bool),
            Kind::BoolDefault(d) if !m.has(name) => Some(Val::Bool(d)),
            Kind::BoolDefault(_) => m.opt(name, errs, coerce::boolean).map(Val::Bool),
            Kind::Time => m.opt(name, errs, time_text).map(Val::Time),
            Kind::Int => m.opt(name, errs, any_int).map(|_| Val::Int),
        };
        vals.push((name, val));
    }
    let mut declared: Vec<&str> = Vec::with_capacity(fields.len() + 1);
    if has_operator {
        declared.push("operator");
    }
    declared.extend(fields.iter().map(|(n, _)| *n));
    m.finish(&declared, errs);
    (errs.items.len() == before).then_some(Fields { or, vals })
}

/// The filter list of one model and how it is combined; `as_sql_filter` is
/// TRUE when the list is empty.
#[derive(Debug, Clone, Default)]
pub(crate) struct List {
    pub or: bool,
    pub conds: Vec<Cond>,
}

impl List {
    pub fn new(or: bool) -> Self {
        List { or, conds: Vec::new() }
    }

    pub fn push(&mut self, c: Cond) {
        self.conds.push(c);
    }

    pub fn is_empty(&self) -> bool {
        self.conds.is_empty()
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.conds.clone(), self.or)
    }
}

/// Reads an optional nested model of the family and adds its SQL filter.
pub(crate) fn sub(
    m: &Model,
    name: &str,
    errs: &mut Errors,
    out: &mut Vec<Cond>,
    f: impl FnOnce(&Value, &[Loc], &mut Errors) -> Option<List>,
) -> bool {
    match m.opt_model(name, errs, f) {
        Some(l) => {
            out.push(l.cond());
            true
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------
// SQL pieces shared by the families
// ---------------------------------------------------------------------------

/// `JSONB.has_all` as the reference compiles it for SQLite: the number of
/// distinct matches between the column's items and the needles is at least
/// the number of distinct needles.
pub(crate) fn json_has_all(col: &'static str, items: &[String]) -> Cond {
    let arr = super::sql::json_array(items);
    Cond::new(
        format!(
            "(SELECT count(DISTINCT hl.value) FROM json_each({col}) AS hl \
             JOIN json_each(?) AS hr ON hl.value = hr.value) \
             >= (SELECT count(DISTINCT hn.value) FROM json_each(?) AS hn)"
        ),
        vec![
            rusqlite::types::Value::Text(arr.clone()),
            rusqlite::types::Value::Text(arr),
        ],
    )
}

/// `JSONB.has_any` as the reference compiles it for SQLite (object keys or
/// array values equal to a needle).
pub(crate) fn json_has_any(col: &'static str, items: &[String]) -> Cond {
    Cond::new(
        format!(
            "EXISTS (SELECT 1 FROM json_each({col}) AS al, json_each(?) AS ar \
             WHERE CASE WHEN json_type({col}) = 'object' THEN al.key ELSE al.value END = ar.value)"
        ),
        vec![rusqlite::types::Value::Text(super::sql::json_array(items))],
    )
}

/// `tags == []` / `tags != []`: the JSON column compared with the text `[]`.
pub(crate) fn json_empty(col: &'static str, empty: bool) -> Cond {
    Cond::new(
        if empty { format!("{col} = ?") } else { format!("{col} != ?") },
        vec![rusqlite::types::Value::Text("[]".into())],
    )
}

/// `expr <= t` (`before_`) or `expr >= t` (`after_`) on stored timestamps.
pub(crate) fn time_cmp(expr: &'static str, op: &'static str, t: &str) -> Cond {
    Cond::new(format!("{expr} {op} ?"), vec![rusqlite::types::Value::Text(t.to_string())])
}

/// `{any_, not_any_}` on one column.
pub(crate) fn any_not_any(f: &Fields, col: &'static str, l: &mut List) {
    if let Some(any) = f.list("any_") {
        l.push(in_list(col, any));
    }
    if let Some(not_any) = f.list("not_any_").filter(|x| !x.is_empty()) {
        l.push(not_in_list(col, not_any));
    }
}

/// `{any_, like_}` on a name column.
pub(crate) fn any_like(f: &Fields, col: &'static str, l: &mut List) {
    if let Some(any) = f.list("any_") {
        l.push(in_list(col, any));
    }
    if let Some(like) = f.nonempty_str("like_") {
        l.push(ilike_contains(col, like));
    }
}

/// `{before_, after_[, is_null_]}`: the range on `range_col`, the null test on
/// `null_col` (they differ for a flow run's start time).
pub(crate) fn time_range(f: &Fields, range_col: &'static str, null_col: &'static str, l: &mut List) {
    if let Some(t) = f.time("before_") {
        l.push(time_cmp(range_col, "<=", t));
    }
    if let Some(t) = f.time("after_") {
        l.push(time_cmp(range_col, ">=", t));
    }
    if let Some(n) = f.bool("is_null_") {
        l.push(is_null(null_col, n));
    }
}

pub(crate) const TIME_RANGE: &[(&str, Kind)] = &[("before_", Kind::Time), ("after_", Kind::Time)];
pub(crate) const TIME_RANGE_NULL: &[(&str, Kind)] =
    &[("before_", Kind::Time), ("after_", Kind::Time), ("is_null_", Kind::Bool)];

/// A leaf model read into its filter list by `build`.
pub(crate) fn leaf(
    v: &Value,
    loc: &[Loc],
    errs: &mut Errors,
    has_operator: bool,
    fields: &[(&'static str, Kind)],
    build: impl FnOnce(&Fields, &mut List),
) -> Option<List> {
    let f = read(v, loc, errs, has_operator, fields)?;
    let mut l = List::new(f.or);
    build(&f, &mut l);
    Some(l)
}

/// A `state` model (`operator`, `type`, `name`): a part whose own filter list
/// is empty is left out rather than counted as TRUE, as the reference does.
pub(crate) fn state_model(
    v: &Value,
    loc: &[Loc],
    errs: &mut Errors,
    type_fields: &'static [(&'static str, Kind)],
    name_fields: &'static [(&'static str, Kind)],
    type_col: &'static str,
    name_col: &'static str,
) -> Option<List> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let or = operator(&m, errs);
    let ty = m.opt_model("type", errs, |v, loc, errs| {
        leaf(v, loc, errs, false, type_fields, |f, l| any_not_any(f, type_col, l))
    });
    let name = m.opt_model("name", errs, |v, loc, errs| {
        leaf(v, loc, errs, false, name_fields, |f, l| any_not_any(f, name_col, l))
    });
    m.finish(&["operator", "type", "name"], errs);
    if errs.items.len() != before {
        return None;
    }
    let mut l = List::new(or);
    for part in [ty, name].into_iter().flatten() {
        if !part.is_empty() {
            l.push(part.cond());
        }
    }
    Some(l)
}

// ---------------------------------------------------------------------------
// FlowRunFilter
// ---------------------------------------------------------------------------

const FR_STATE_TYPE: &[(&str, Kind)] = &[("any_", Kind::StateTypes), ("not_any_", Kind::StateTypes)];
const FR_STATE_NAME: &[(&str, Kind)] = &[("any_", Kind::Strs), ("not_any_", Kind::Strs)];

const FIELDS: [&str; 16] = [
    "operator",
    "id",
    "name",
    "tags",
    "deployment_id",
    "work_queue_name",
    "state",
    "flow_version",
    "start_time",
    "end_time",
    "expected_start_time",
    "next_scheduled_start_time",
    "parent_flow_run_id",
    "parent_task_run_id",
    "idempotency_key",
    "created_by",
];

#[derive(Debug, Clone)]
pub struct FlowRunFilter {
    pub or: bool,
    pub parts: Vec<Cond>,
}

impl FlowRunFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        let mut parts = Vec::new();
        let p = &mut parts;
        sub(&m, "id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Uuids), ("not_any_", Kind::Uuids)], |f, l| {
                any_not_any(f, "flow_run.id", l)
            })
        });
        sub(&m, "name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("like_", Kind::Str)], |f, l| {
                any_like(f, "flow_run.name", l)
            })
        });
        sub(&m, "tags", errs, p, |v, loc, errs| {
            leaf(
                v,
                loc,
                errs,
                true,
                &[("all_", Kind::Strs), ("any_", Kind::Strs), ("is_null_", Kind::Bool)],
                |f, l| {
                    if let Some(all) = f.list("all_").filter(|x| !x.is_empty()) {
                        l.push(json_has_all("flow_run.tags", all));
                    }
                    if let Some(any) = f.list("any_") {
                        l.push(json_has_any("flow_run.tags", any));
                    }
                    if let Some(n) = f.bool("is_null_") {
                        l.push(json_empty("flow_run.tags", n));
                    }
                },
            )
        });
        sub(&m, "deployment_id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("any_", Kind::Uuids), ("is_null_", Kind::Bool)], |f, l| {
                any_is_null(f, "flow_run.deployment_id", l)
            })
        });
        sub(&m, "work_queue_name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("any_", Kind::Strs), ("is_null_", Kind::Bool)], |f, l| {
                any_is_null(f, "flow_run.work_queue_name", l)
            })
        });
        sub(&m, "state", errs, p, |v, loc, errs| {
            state_model(
                v,
                loc,
                errs,
                FR_STATE_TYPE,
                FR_STATE_NAME,
                "flow_run.state_type",
                "flow_run.state_name",
            )
        });
        sub(&m, "flow_version", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs)], |f, l| {
                any_not_any(f, "flow_run.flow_version", l)
            })
        });
        sub(&m, "start_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE_NULL, |f, l| {
                time_range(
                    f,
                    "coalesce(flow_run.start_time, flow_run.expected_start_time)",
                    "flow_run.start_time",
                    l,
                )
            })
        });
        sub(&m, "end_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE_NULL, |f, l| {
                time_range(f, "flow_run.end_time", "flow_run.end_time", l)
            })
        });
        sub(&m, "expected_start_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE, |f, l| {
                time_range(f, "flow_run.expected_start_time", "flow_run.expected_start_time", l)
            })
        });
        sub(&m, "next_scheduled_start_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE, |f, l| {
                time_range(
                    f,
                    "flow_run.next_scheduled_start_time",
                    "flow_run.next_scheduled_start_time",
                    l,
                )
            })
        });
        sub(&m, "parent_flow_run_id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("any_", Kind::Uuids)], |f, l| {
                if let Some(any) = f.list("any_") {
                    // The reference: flow_run.id IN (SELECT flow_run.id FROM
                    // flow_run JOIN task_run ON task_run.id =
                    // flow_run.parent_task_run_id WHERE task_run.flow_run_id IN …),
                    // an uncorrelated subquery.
                    l.push(Cond::new(
                        "flow_run.id IN (SELECT pfr.id FROM flow_run AS pfr \
                         JOIN task_run AS ptr ON ptr.id = pfr.parent_task_run_id \
                         WHERE ptr.flow_run_id IN (SELECT value FROM json_each(?)))",
                        vec![rusqlite::types::Value::Text(super::sql::json_array(any))],
                    ));
                }
            })
        });
        sub(&m, "parent_task_run_id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("any_", Kind::Uuids), ("is_null_", Kind::Bool)], |f, l| {
                any_is_null(f, "flow_run.parent_task_run_id", l)
            })
        });
        sub(&m, "idempotency_key", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("not_any_", Kind::Strs)], |f, l| {
                any_not_any(f, "flow_run.idempotency_key", l)
            })
        });
        sub(&m, "created_by", errs, p, |v, loc, errs| {
            leaf(
                v,
                loc,
                errs,
                true,
                &[("id_", Kind::Uuids), ("type_", Kind::Strs), ("is_null_", Kind::Bool)],
                |f, l| {
                    if let Some(ids) = f.list("id_") {
                        l.push(in_list("json_extract(flow_run.created_by, '$.id')", ids));
                    }
                    if let Some(types) = f.list("type_") {
                        l.push(in_list("json_extract(flow_run.created_by, '$.type')", types));
                    }
                    if let Some(n) = f.bool("is_null_") {
                        l.push(is_null("flow_run.created_by", n));
                    }
                },
            )
        });
        m.finish(&FIELDS, errs);
        (errs.items.len() == before).then_some(FlowRunFilter { or, parts })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.parts.clone(), self.or)
    }
}

/// `{any_, is_null_}` on a nullable column.
pub(crate) fn any_is_null(f: &Fields, col: &'static str, l: &mut List) {
    if let Some(any) = f.list("any_") {
        l.push(in_list(col, any));
    }
    if let Some(n) = f.bool("is_null_") {
        l.push(is_null(col, n));
    }
}
