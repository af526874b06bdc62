//! `SavedSearchCreate` (the body of `PUT /api/saved_searches/`), validated
//! as Prefect 3.9.1's pydantic model does: `name` required, `filters` a list
//! of `SavedSearchFilter` (five required fields, extra ones dropped).

use serde_json::{Map, Value};

use super::validate::{self, Errors, Loc, Model};
use crate::coerce::{self, Problem};
use crate::pyjson;

#[derive(Debug, Clone)]
pub struct SavedSearchCreate {
    pub name: String,
    /// The filters as JSON text in the wire form.
    pub filters: String,
}

const FILTER_FIELDS: [&str; 5] = ["object", "property", "type", "operation", "value"];

fn required<T>(m: &Model, name: &str, errs: &mut Errors, f: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
    match m.raw(name) {
        None => {
            m.missing(name, errs);
            None
        }
        Some(v) => match f(v) {
            Ok(t) => Some(t),
            Err(p) => {
                errs.push(&validate::key(m.loc(), name), v, p);
                None
            }
        },
    }
}

/// One `SavedSearchFilter`: its declared fields, in order.
fn filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Value> {
    // Extra fields are ignored, not refused.
    let m = Model::open(v, loc, false, errs)?;
    let before = errs.items.len();
    let mut out = Map::new();
    for name in FILTER_FIELDS {
        let got = if name == "value" { required(&m, name, errs, |v| Ok(v.clone())) } else { required(&m, name, errs, |v| coerce::string(v).map(Value::String)) };
        if let Some(g) = got {
            out.insert(name.to_string(), g);
        }
    }
    (errs.items.len() == before).then_some(Value::Object(out))
}

impl SavedSearchCreate {
    const FIELDS: &'static [&'static str] = &["name", "filters"];

    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let name = required(&m, "name", errs, coerce::string);
        let filters = match m.raw("filters") {
            None => Some(Vec::new()),
            Some(f) => list(f, &validate::key(loc, "filters"), errs),
        };
        m.finish(Self::FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(SavedSearchCreate { name: name?, filters: pyjson::to_pydantic_json(&Value::Array(filters?)) })
    }
}

/// `list[SavedSearchFilter]`: a bad item's errors are reported under its index.
fn list(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Vec<Value>> {
    let Value::Array(items) = v else {
        errs.push(loc, v, Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None });
        return None;
    };
    let before = errs.items.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut l = loc.to_vec();
        l.push(Loc::Index(i));
        if let Some(f) = filter(item, &l, errs) {
            out.push(f);
        }
    }
    (errs.items.len() == before).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(v: Value) -> Vec<String> {
        let mut errs = Errors::default();
        let _ = SavedSearchCreate::parse(&v, &validate::body_loc(), &mut errs);
        errs.items.iter().map(|e| e.kind.clone()).collect()
    }

    #[test]
    fn filters_need_five_fields_and_drop_extra_ones() {
        assert_eq!(kinds(json!({"name": "a", "filters": [{}]})).len(), 5);
        let mut errs = Errors::default();
        let f = json!({"object": "o", "property": "p", "type": "t", "operation": "x", "value": null, "more": 1});
        let s = SavedSearchCreate::parse(&json!({"name": "a", "filters": [f]}), &validate::body_loc(), &mut errs).expect("valid");
        assert_eq!(s.filters, r#"[{"object":"o","property":"p","type":"t","operation":"x","value":null}]"#);
        assert_eq!(kinds(json!({"name": "a", "id": "x"})), vec!["extra_forbidden"]);
    }
}
