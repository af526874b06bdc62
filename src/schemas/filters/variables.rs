//! `VariableFilter` (on `variable`), field for field as Prefect 3.9.1
//! declares it.

use serde_json::Value;

use super::common::{any_like, json_empty, json_has_all, leaf, sub, Kind};
use super::operator;
use super::sql::{in_list, Cond};
use crate::schemas::validate::{Errors, Loc, Model};

const FIELDS: [&str; 4] = ["operator", "id", "name", "tags"];

#[derive(Debug, Clone)]
pub struct VariableFilter {
    pub or: bool,
    pub parts: Vec<Cond>,
}

impl VariableFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        let mut parts = Vec::new();
        let p = &mut parts;
        sub(&m, "id", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Uuids)], |f, l| {
                if let Some(any) = f.list("any_") {
                    l.push(in_list("variable.id", any));
                }
            })
        });
        sub(&m, "name", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, false, &[("any_", Kind::Strs), ("like_", Kind::Str)], |f, l| {
                any_like(f, "variable.name", l)
            })
        });
        sub(&m, "tags", errs, p, |v, loc, errs| {
            leaf(v, loc, errs, true, &[("all_", Kind::Strs), ("is_null_", Kind::Bool)], |f, l| {
                if let Some(all) = f.list("all_").filter(|x| !x.is_empty()) {
                    l.push(json_has_all("variable.tags", all));
                }
                if let Some(n) = f.bool("is_null_") {
                    l.push(json_empty("variable.tags", n));
                }
            })
        });
        m.finish(&FIELDS, errs);
        (errs.items.len() == before).then_some(VariableFilter { or, parts })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(self.parts.clone(), self.or)
    }
}
