//! `FlowRunFilter` — placeholder: accepts only `operator`; every other field is
//! reported as not permitted until the family is implemented.

use serde_json::Value;

use super::operator;
use super::sql::Cond;
use crate::schemas::validate::{Errors, Loc, Model};

#[derive(Debug, Clone)]
pub struct FlowRunFilter {
    pub or: bool,
}

impl FlowRunFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let or = operator(&m, errs);
        m.finish(&["operator"], errs);
        (errs.items.len() == before).then_some(FlowRunFilter { or })
    }

    pub fn cond(&self) -> Cond {
        Cond::join(vec![], self.or)
    }
}
