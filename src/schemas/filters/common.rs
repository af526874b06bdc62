//! What the related filter families share: a reader for the leaf filter
//! models (fields declared with their pydantic kinds, read in declaration
//! order) and the SQLite forms of the reference's JSON operators
//! (`has_all`, `has_any`, `tags == []`) and time comparisons.

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

/// `{any_, is_null_}` on a nullable column.
pub(crate) fn any_is_null(f: &Fields, col: &'static str, l: &mut List) {
    if let Some(any) = f.list("any_") {
        l.push(in_list(col, any));
    }
    if let Some(n) = f.bool("is_null_") {
        l.push(is_null(col, n));
    }
}
