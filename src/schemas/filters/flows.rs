//! `FlowFilter` (on `flow`), field for field as Prefect 3.9.1 declares it.

use serde_json::Value;

use super::common::{any_like, any_not_any, json_empty, json_has_all, leaf, sub, Kind};
use super::operator;
use super::sql::Cond;
use crate::schemas::validate::{Errors, Loc, Model};

const FIELDS: [&str; 5] = ["operator", "id", "deployment", "name", "tags"];

#[derive(Debug, Clone)]
pub struct FlowFilter {
    pub or: bool,
    pub parts: Vec<Cond>,
}

impl FlowFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        let mut parts = Vec::new();
        let p = &mut parts;
        sub(&m, "id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Uuids), ("not_any_", Kind::Uuids)], |f, l| {
                any_not_any(f, "flow.id", l)
            })
        });
        sub(&m, "deployment", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("is_null_", Kind::Bool)], |f, l| {
                // Whether any deployment names the flow (an uncorrelated
                // `SELECT DISTINCT flow_id FROM deployment`).
                match f.bool("is_null_") {
                    Some(true) => l.push(Cond::new(
                        "flow.id NOT IN (SELECT DISTINCT fd.flow_id FROM deployment AS fd)",
                        vec![],
                    )),
                    Some(false) => l.push(Cond::new(
                        "flow.id IN (SELECT DISTINCT fd.flow_id FROM deployment AS fd)",
                        vec![],
                    )),
                    None => {}
                }
            })
        });
        sub(&m, "name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("like_", Kind::Str)], |f, l| {
                any_like(f, "flow.name", l)
            })
        });
        sub(&m, "tags", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("all_", Kind::Strs), ("is_null_", Kind::Bool)], |f, l| {
                if let Some(all) = f.list("all_").filter(|x| !x.is_empty()) {
                    l.push(json_has_all("flow.tags", all));
                }
                if let Some(n) = f.bool("is_null_") {
                    l.push(json_empty("flow.tags", n));
                }
            })
        });
        m.finish(&FIELDS, errs);
        (errs.items.len() == before).then_some(FlowFilter { or, parts })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.parts.clone(), self.or)
    }
}
