//! A small walker that validates JSON the way the reference's pydantic models
//! do, collecting every error with its `loc`, in pydantic's order: declared
//! fields first, in declaration order, then forbidden extra fields in input
//! order.

use serde_json::{json, Map, Value};

use crate::coerce::{self, Problem};

#[derive(Debug, Clone, PartialEq)]
pub enum Loc {
    Key(String),
    Index(usize),
}

impl Loc {
    fn to_json(&self) -> Value {
        match self {
            Loc::Key(k) => Value::String(k.clone()),
            Loc::Index(i) => json!(i),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ErrorItem {
    pub kind: String,
    pub loc: Vec<Loc>,
    pub msg: String,
    pub input: Value,
    pub ctx: Option<Value>,
}

impl ErrorItem {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), Value::String(self.kind.clone()));
        m.insert(
            "loc".into(),
            Value::Array(self.loc.iter().map(Loc::to_json).collect()),
        );
        m.insert("msg".into(), Value::String(self.msg.clone()));
        m.insert("input".into(), crate::pyjson::deep_clone(&self.input));
        if let Some(ctx) = &self.ctx {
            m.insert("ctx".into(), ctx.clone());
        }
        Value::Object(m)
    }
}

/// Collected errors plus the location being validated.
#[derive(Debug, Default)]
pub struct Errors {
    pub items: Vec<ErrorItem>,
}

impl Errors {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, loc: &[Loc], input: &Value, p: Problem) {
        self.items.push(ErrorItem {
            kind: p.kind.to_string(),
            loc: loc.to_vec(),
            msg: p.msg,
            input: crate::pyjson::deep_clone(input),
            ctx: p.ctx,
        });
    }

    pub fn missing(&mut self, loc: &[Loc]) {
        self.items.push(ErrorItem {
            kind: "missing".into(),
            loc: loc.to_vec(),
            msg: "Field required".into(),
            input: Value::Null,
            ctx: None,
        });
    }
}

pub fn key(loc: &[Loc], name: &str) -> Vec<Loc> {
    let mut l = loc.to_vec();
    l.push(Loc::Key(name.to_string()));
    l
}

fn index(loc: &[Loc], i: usize) -> Vec<Loc> {
    let mut l = loc.to_vec();
    l.push(Loc::Index(i));
    l
}

/// A JSON object being read as one pydantic model.
pub struct Model<'a> {
    obj: &'a Map<String, Value>,
    loc: Vec<Loc>,
    forbid_extra: bool,
}

impl<'a> Model<'a> {
    /// Starts reading `v` as a model; a non-object is reported the way
    /// pydantic reports it for models built `from_attributes`.
    pub fn open(v: &'a Value, loc: &[Loc], forbid_extra: bool, errs: &mut Errors) -> Option<Self> {
        match v {
            Value::Object(obj) => Some(Model { obj, loc: loc.to_vec(), forbid_extra }),
            other => {
                errs.push(
                    loc,
                    other,
                    Problem {
                        kind: "model_attributes_type",
                        msg: "Input should be a valid dictionary or object to extract fields from"
                            .into(),
                        ctx: None,
                    },
                );
                None
            }
        }
    }

    pub fn loc(&self) -> &[Loc] {
        &self.loc
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        self.obj.get(name)
    }

    /// A required field that is absent: `missing`, with the whole model as
    /// its input, as pydantic reports it.
    pub fn missing(&self, name: &str, errs: &mut Errors) {
        errs.items.push(ErrorItem {
            kind: "missing".into(),
            loc: key(&self.loc, name),
            msg: "Field required".into(),
            input: crate::pyjson::deep_clone(&Value::Object(self.obj.clone())),
            ctx: None,
        });
    }

    pub fn has(&self, name: &str) -> bool {
        self.obj.contains_key(name)
    }

    /// An optional scalar field: absent or null gives `None`.
    pub fn opt<T>(
        &self,
        name: &str,
        errs: &mut Errors,
        f: impl Fn(&Value) -> Result<T, Problem>,
    ) -> Option<T> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => match f(v) {
                Ok(t) => Some(t),
                Err(p) => {
                    errs.push(&key(&self.loc, name), v, p);
                    None
                }
            },
        }
    }

    /// An optional list of scalars: `Optional[list[T]]`.
    pub fn opt_list<T>(
        &self,
        name: &str,
        errs: &mut Errors,
        f: impl Fn(&Value) -> Result<T, Problem>,
    ) -> Option<Vec<T>> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => list(v, &key(&self.loc, name), errs, f),
        }
    }

    /// An optional nested model.
    pub fn opt_model<T>(
        &self,
        name: &str,
        errs: &mut Errors,
        f: impl FnOnce(&Value, &[Loc], &mut Errors) -> Option<T>,
    ) -> Option<T> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(v) => f(v, &key(&self.loc, name), errs),
        }
    }

    /// Reports the fields that the model does not declare, when it forbids
    /// them. Call after every declared field has been read.
    pub fn finish(self, declared: &[&str], errs: &mut Errors) {
        if !self.forbid_extra {
            return;
        }
        for (k, v) in self.obj {
            if !declared.contains(&k.as_str()) {
                errs.push(
                    &key(&self.loc, k),
                    v,
                    Problem {
                        kind: "extra_forbidden",
                        msg: "Extra inputs are not permitted".into(),
                        ctx: None,
                    },
                );
            }
        }
    }
}

/// `list[T]`: every bad item is reported at its index.
pub fn list<T>(
    v: &Value,
    loc: &[Loc],
    errs: &mut Errors,
    f: impl Fn(&Value) -> Result<T, Problem>,
) -> Option<Vec<T>> {
    let Value::Array(items) = v else {
        errs.push(
            loc,
            v,
            Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None },
        );
        return None;
    };
    let before = errs.items.len();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match f(item) {
            Ok(t) => out.push(t),
            Err(p) => errs.push(&index(loc, i), item, p),
        }
    }
    (errs.items.len() == before).then_some(out)
}

/// `dict[str, str]`: bad values are reported at their key.
pub fn str_dict(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Map<String, Value>> {
    let Value::Object(obj) = v else {
        errs.push(
            loc,
            v,
            Problem { kind: "dict_type", msg: "Input should be a valid dictionary".into(), ctx: None },
        );
        return None;
    };
    let before = errs.items.len();
    let mut out = Map::new();
    for (k, item) in obj {
        match coerce::string(item) {
            Ok(s) => {
                out.insert(k.clone(), Value::String(s));
            }
            Err(p) => errs.push(&key(loc, k), item, p),
        }
    }
    (errs.items.len() == before).then_some(out)
}

pub fn body_loc() -> Vec<Loc> {
    vec![Loc::Key("body".into())]
}
