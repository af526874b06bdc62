//! `TaskRunFilter` (on `task_run`), field for field as Prefect 3.9.1 declares
//! it. The leaf reader and SQL helpers live in `flow_runs`.

use serde_json::Value;

use super::common::{
    any_like, any_not_any, json_empty, json_has_all, leaf, state_model, sub, time_range, Kind, TIME_RANGE,
    TIME_RANGE_NULL,
};
use super::operator;
use super::sql::{in_list, Cond};
use crate::schemas::validate::{Errors, Loc, Model};

const STATE_TYPE: &[(&str, Kind)] = &[("any_", Kind::StateTypes)];
const STATE_NAME: &[(&str, Kind)] = &[("any_", Kind::Strs)];

const FIELDS: [&str; 10] = [
    "operator",
    "id",
    "name",
    "tags",
    "state",
    "start_time",
    "end_time",
    "expected_start_time",
    "subflow_runs",
    "flow_run_id",
];

#[derive(Debug, Clone)]
pub struct TaskRunFilter {
    pub or: bool,
    pub parts: Vec<Cond>,
}

impl TaskRunFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        let mut parts = Vec::new();
        let p = &mut parts;
        sub(&m, "id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Uuids)], |f, l| any_not_any(f, "task_run.id", l))
        });
        sub(&m, "name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("like_", Kind::Str)], |f, l| {
                any_like(f, "task_run.name", l)
            })
        });
        sub(&m, "tags", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("all_", Kind::Strs), ("is_null_", Kind::Bool)], |f, l| {
                if let Some(all) = f.list("all_").filter(|x| !x.is_empty()) {
                    l.push(json_has_all("task_run.tags", all));
                }
                if let Some(n) = f.bool("is_null_") {
                    l.push(json_empty("task_run.tags", n));
                }
            })
        });
        sub(&m, "state", errs, p, |v, loc, errs| {
            state_model(v, loc, errs, STATE_TYPE, STATE_NAME, "task_run.state_type", "task_run.state_name")
        });
        sub(&m, "start_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE_NULL, |f, l| {
                time_range(f, "task_run.start_time", "task_run.start_time", l)
            })
        });
        sub(&m, "end_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE_NULL, |f, l| {
                time_range(f, "task_run.end_time", "task_run.end_time", l)
            })
        });
        sub(&m, "expected_start_time", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, TIME_RANGE, |f, l| {
                time_range(f, "task_run.expected_start_time", "task_run.expected_start_time", l)
            })
        });
        sub(&m, "subflow_runs", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("exists_", Kind::Bool)], |f, l| {
                // `TaskRun.subflow_run.has()`: a flow run whose parent task
                // run is this one.
                let exists = "EXISTS (SELECT 1 FROM flow_run AS sfr WHERE sfr.parent_task_run_id = task_run.id)";
                match f.bool("exists_") {
                    Some(true) => l.push(Cond::new(exists, vec![])),
                    Some(false) => l.push(Cond::new(format!("NOT {exists}"), vec![])),
                    None => {}
                }
            })
        });
        sub(&m, "flow_run_id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("any_", Kind::Uuids), ("is_null_", Kind::BoolDefault(false))], |f, l| {
                // `is_null_` defaults to False (not None), so `{}` means
                // "has a flow run". is_null_ true wins over any_; is_null_ false only applies
                // when any_ is absent.
                let any = f.list("any_");
                match (f.bool("is_null_"), any) {
                    (Some(true), _) => l.push(Cond::new("task_run.flow_run_id IS NULL", vec![])),
                    (Some(false), None) => l.push(Cond::new("task_run.flow_run_id IS NOT NULL", vec![])),
                    (_, Some(any)) => l.push(in_list("task_run.flow_run_id", any)),
                    (None, None) => {}
                }
            })
        });
        m.finish(&FIELDS, errs);
        (errs.items.len() == before).then_some(TaskRunFilter { or, parts })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.parts.clone(), self.or)
    }
}
