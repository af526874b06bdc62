//! `DeploymentFilter` (on `deployment`), field for field as Prefect 3.9.1
//! declares it. `concurrency_limit` is validated and then ignored, as the
//! reference does.

use serde_json::Value;

use super::common::{any_like, any_not_any, json_empty, json_has_all, json_has_any, leaf, sub, Kind};
use super::operator;
use super::sql::{ilike_contains, in_list, Cond};
use crate::schemas::validate::{Errors, Loc, Model};

const FIELDS: [&str; 8] = [
    "operator",
    "id",
    "name",
    "flow_or_deployment_name",
    "paused",
    "tags",
    "work_queue_name",
    "concurrency_limit",
];

#[derive(Debug, Clone)]
pub struct DeploymentFilter {
    pub or: bool,
    pub parts: Vec<Cond>,
}

impl DeploymentFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        let mut parts = Vec::new();
        let p = &mut parts;
        sub(&m, "id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Uuids), ("not_any_", Kind::Uuids)], |f, l| {
                any_not_any(f, "deployment.id", l)
            })
        });
        sub(&m, "name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("like_", Kind::Str)], |f, l| {
                any_like(f, "deployment.name", l)
            })
        });
        sub(&m, "flow_or_deployment_name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("like_", Kind::Str)], |f, l| {
                if let Some(like) = f.nonempty_str("like_") {
                    // deployment.name ILIKE x OR deployment.flow.has(flow.name ILIKE x)
                    let by_name = ilike_contains("deployment.name", like);
                    let by_flow = ilike_contains("dfl.name", like);
                    let mut params = by_name.params;
                    params.extend(by_flow.params);
                    l.push(Cond::new(
                        format!(
                            "(({}) OR EXISTS (SELECT 1 FROM flow AS dfl WHERE dfl.id = deployment.flow_id AND {}))",
                            by_name.sql, by_flow.sql
                        ),
                        params,
                    ));
                }
            })
        });
        sub(&m, "paused", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("eq_", Kind::Bool)], |f, l| {
                if let Some(b) = f.bool("eq_") {
                    l.push(Cond::new(
                        if b { "deployment.paused IS 1" } else { "deployment.paused IS 0" },
                        vec![],
                    ));
                }
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
                        l.push(json_has_all("deployment.tags", all));
                    }
                    if let Some(any) = f.list("any_") {
                        l.push(json_has_any("deployment.tags", any));
                    }
                    if let Some(n) = f.bool("is_null_") {
                        l.push(json_empty("deployment.tags", n));
                    }
                },
            )
        });
        sub(&m, "work_queue_name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs)], |f, l| {
                if let Some(any) = f.list("any_") {
                    l.push(in_list("deployment.work_queue_name", any));
                }
            })
        });
        // Deprecated: validated, never filtered on.
        m.opt_model("concurrency_limit", errs, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("ge_", Kind::Int), ("le_", Kind::Int), ("is_null_", Kind::Bool)], |_, _| {})
        });
        m.finish(&FIELDS, errs);
        (errs.items.len() == before).then_some(DeploymentFilter { or, parts })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.parts.clone(), self.or)
    }
}
