//! `FlowRunFilter` (on `flow_run`), as Prefect 3.9.1 declares it in
//! `prefect/server/schemas/filters.py`. The leaf-model reader and the JSON
//! operators it shares with the other related families are in `common`.
//!
//! Semantics copied from the reference (and checked against it):
//! - every leaf model is `extra="forbid"`; operator models declare `operator`
//!   first, so its error comes first;
//! - `any_` applies whenever it is given (`[]` matches nothing); `not_any_`
//!   and `all_` only when non-empty; `like_` only when non-empty;
//! - a model with nothing set is TRUE, and `or_` over a TRUE part is TRUE,
//!   except inside `state`, where an empty `type`/`name` is left out.

use serde_json::Value;

use super::common::*;
use super::operator;
use super::sql::{in_list, is_null, Cond};
use crate::schemas::validate::{Errors, Loc, Model};

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
