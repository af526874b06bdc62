//! `POST /api/ui/schemas/validate` (the deployment parameters form of
//! Prefect's UI): hydrate the values (`__prefect_kind` objects), then
//! validate them against the schema and answer the reference's error tree
//! (`{"errors": [...], "valid": bool}`), with the reference's messages
//! (Python jsonschema 4.26 words them, quoting values with Python's `repr`).
//!
//! The keywords a parameter schema uses are checked here, in the schema's
//! own key order as Python's jsonschema does: `$ref` (local), `type`,
//! `properties`, `required`, `additionalProperties`, `items`,
//! `prefixItems`, `enum`, `const`, the numeric and length bounds,
//! `pattern`, `anyOf`, `oneOf`, `allOf`, `not`. `format` is not checked.

use serde_json::{Map, Value};

use super::parameter_schema::py_repr;

/// A hydrated value that is not plain JSON: the reference's placeholders.
/// It is kept in the value tree as an object with this one key.
const PLACEHOLDER: &str = "\u{0}artifactd-placeholder";

/// A placeholder that reports an error (`HydrationError`), by its message.
fn error_placeholder(message: String) -> Value {
    let mut m = Map::new();
    m.insert(PLACEHOLDER.into(), Value::String(message));
    Value::Object(m)
}

/// A placeholder that is no error (a jinja template the server does not render).
fn valid_placeholder() -> Value {
    let mut m = Map::new();
    m.insert(PLACEHOLDER.into(), Value::Null);
    Value::Object(m)
}

enum Placeholder<'a> {
    Error(&'a str),
    Valid,
}

fn placeholder(v: &Value) -> Option<Placeholder<'_>> {
    match v.as_object()?.get(PLACEHOLDER)? {
        Value::String(s) => Some(Placeholder::Error(s)),
        _ => Some(Placeholder::Valid),
    }
}

/// What hydration removes from its parent (`RemoveValue`).
enum Hydrated {
    Value(Value),
    Remove,
}

/// The reference's `hydrate` with jinja left unrendered and workspace
/// variables looked up in `variables` (name to value).
pub fn hydrate(values: &Map<String, Value>, variables: &Map<String, Value>) -> Value {
    match hydrate_value(&Value::Object(values.clone()), variables, 0) {
        Hydrated::Value(v) => v,
        Hydrated::Remove => Value::Object(Map::new()),
    }
}

/// Nesting deeper than this is left as it is (the body limit bounds it too).
const MAX_DEPTH: usize = 256;

fn hydrate_value(v: &Value, vars: &Map<String, Value>, depth: usize) -> Hydrated {
    if depth > MAX_DEPTH {
        return Hydrated::Value(v.clone());
    }
    match v {
        Value::Object(o) if o.contains_key("__prefect_kind") => kind(o, vars, depth),
        Value::Object(o) => Hydrated::Value(Value::Object(
            o.iter()
                .filter_map(|(k, x)| match hydrate_value(x, vars, depth + 1) {
                    Hydrated::Value(h) => Some((k.clone(), h)),
                    Hydrated::Remove => None,
                })
                .collect(),
        )),
        Value::Array(a) => Hydrated::Value(Value::Array(
            a.iter()
                .filter_map(|x| match hydrate_value(x, vars, depth + 1) {
                    Hydrated::Value(h) => Some(h),
                    Hydrated::Remove => None,
                })
                .collect(),
        )),
        other => Hydrated::Value(other.clone()),
    }
}

/// A nested field of a `__prefect_kind` object, hydrated when it is an object.
fn inner(v: &Value, vars: &Map<String, Value>, depth: usize) -> Hydrated {
    if v.is_object() {
        hydrate_value(v, vars, depth + 1)
    } else {
        Hydrated::Value(v.clone())
    }
}

fn kind(o: &Map<String, Value>, vars: &Map<String, Value>, depth: usize) -> Hydrated {
    let missing = |key: &str| Hydrated::Value(error_placeholder(format!("Missing '{key}' key in __prefect object")));
    match o.get("__prefect_kind").and_then(Value::as_str) {
        Some("none") => match o.get("value") {
            Some(v) => hydrate_value(v, vars, depth + 1),
            None => missing("value"),
        },
        Some("json") => match o.get("value") {
            None => Hydrated::Remove,
            Some(v) => match inner(v, vars, depth) {
                Hydrated::Value(Value::String(text)) => match crate::pyjson::loads(text.as_bytes()) {
                    Ok(parsed) => Hydrated::Value(parsed),
                    Err(e) => Hydrated::Value(error_placeholder(format!("Invalid JSON: {}", json_error(&e, &text)))),
                },
                other => other,
            },
        },
        // Templates are not rendered here (`render_jinja=False`).
        Some("jinja") => match o.get("template") {
            None => missing("template"),
            Some(t) => match inner(t, vars, depth) {
                Hydrated::Value(v) if placeholder(&v).is_some() => Hydrated::Value(v),
                _ => Hydrated::Value(valid_placeholder()),
            },
        },
        Some("workspace_variable") => match o.get("variable_name") {
            None => Hydrated::Remove,
            Some(n) => match inner(n, vars, depth) {
                Hydrated::Value(v) if placeholder(&v).is_some() => Hydrated::Value(v),
                Hydrated::Value(Value::String(name)) => match vars.get(&name) {
                    Some(value) => Hydrated::Value(value.clone()),
                    None => Hydrated::Value(error_placeholder(format!("Variable '{name}' not found in workspace."))),
                },
                Hydrated::Value(other) => {
                    Hydrated::Value(error_placeholder(format!("Variable '{}' not found in workspace.", py_str(&other))))
                }
                Hydrated::Remove => Hydrated::Remove,
            },
        },
        // An unknown kind stands for its `value`.
        _ => Hydrated::Value(o.get("value").cloned().unwrap_or(Value::Null)),
    }
}

/// Python's `str()` of a value.
fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `str(JSONDecodeError)`: `msg: line L column C (char P)`.
fn json_error(e: &crate::pyjson::LoadError, doc: &str) -> String {
    let (msg, pos) = match e {
        crate::pyjson::LoadError::Decode { msg, pos, .. } | crate::pyjson::LoadError::DecodeUnrenderable { msg, pos } => {
            (msg.clone(), *pos)
        }
        _ => ("Expecting value".to_string(), 0),
    };
    let before: String = doc.chars().take(pos).collect();
    let line = before.matches('\n').count() + 1;
    let column = match before.rfind('\n') {
        Some(i) => before[i + 1..].chars().count() + 1,
        None => pos + 1,
    };
    format!("{msg}: line {line} column {column} (char {pos})")
}

// ---------------------------------------------------------------------------
// Preprocessing (the reference's `preprocess_schema`)
// ---------------------------------------------------------------------------

/// An optional field with a `type` and no default also accepts null.
fn fix_null_typing(key: &str, schema: &mut Map<String, Value>, required: &[String]) {
    if required.iter().any(|r| r == key) || schema.get("type").is_none_or(|t| t == "null") || schema.contains_key("default") {
        return;
    }
    if let Some(t) = schema.remove("type") {
        let mut first = Map::new();
        first.insert("type".into(), t);
        let mut null = Map::new();
        null.insert("type".into(), Value::String("null".into()));
        schema.insert("anyOf".into(), Value::Array(vec![Value::Object(first), Value::Object(null)]));
    }
}

/// A list `items` (pydantic v1's tuples) becomes `prefixItems`.
fn fix_tuple_items(schema: &mut Map<String, Value>) {
    let is_list = matches!(schema.get("items"), Some(Value::Array(a)) if !a.is_empty());
    if is_list && !schema.contains_key("prefixItems") {
        if let Some(items) = schema.remove("items") {
            schema.insert("prefixItems".into(), items);
        }
    }
}

fn required_of(schema: &Map<String, Value>) -> Vec<String> {
    match schema.get("required") {
        Some(Value::Array(r)) => r.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn process_properties(props: &mut Map<String, Value>, required: &[String], depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for (key, schema) in props.iter_mut() {
        let Value::Object(schema) = schema else { continue };
        fix_null_typing(key, schema, required);
        fix_tuple_items(schema);
        let nested_required = required_of(schema);
        if let Some(Value::Object(nested)) = schema.get_mut("properties") {
            process_properties(nested, &nested_required, depth + 1);
        }
    }
}

pub fn preprocess(schema: &Map<String, Value>) -> Map<String, Value> {
    let mut schema = schema.clone();
    let required = required_of(&schema);
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        process_properties(props, &required, 0);
    }
    let mut block_refs = Vec::new();
    if let Some(Value::Object(defs)) = schema.get_mut("definitions") {
        for def in defs.values_mut() {
            let Value::Object(def) = def else { continue };
            let required = required_of(def);
            if let Some(Value::Object(props)) = def.get_mut("properties") {
                process_properties(props, &required, 0);
            }
            // A block may also be given by a reference to a block document.
            if def.contains_key("block_type_slug") {
                if let Some(title) = def.get("title").map(py_str) {
                    block_refs.push((title, Value::Object(def.clone())));
                }
            }
        }
        for (title, def) in block_refs {
            let by_ref = serde_json::json!({
                "type": "object",
                "properties": {"$ref": {"oneOf": [
                    {"type": "string", "format": "uuid"},
                    {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1}
                ]}},
                "required": ["$ref"]
            });
            defs.insert(title, serde_json::json!({"oneOf": [def, by_ref]}));
        }
    }
    schema
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone)]
pub struct SchemaError {
    pub path: Vec<Part>,
    pub message: String,
    /// The field a `required` error names (the error tree moves it there).
    pub required: Option<String>,
    /// An error the `_placeholders` check raised.
    pub placeholder: bool,
}

/// Why the values could not be checked at all: the reference's 422s.
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    Circular,
    Unresolvable(String),
}

/// How deep `$ref`s may nest before the schema counts as circular (Python
/// hits its recursion limit there).
const MAX_REF_DEPTH: usize = 64;

struct Validator<'a> {
    root: &'a Value,
    /// Nested `check` calls now: past [`MAX_NESTED_CHECKS`] the schema is
    /// taken as circular (as Python's recursion limit does), so no schema
    /// and value can exhaust the stack.
    nested: usize,
    /// Inside `anyOf`, `oneOf` or `not`: only validity matters.
    probing: bool,
    errors: Vec<SchemaError>,
    /// Work done so far, bounded so no schema and value take unbounded time.
    steps: usize,
}

const MAX_STEPS: usize = 500_000;
const MAX_NESTED_CHECKS: usize = 300;
/// At most this many errors are reported (a huge value could otherwise
/// fail in millions of places).
const MAX_ERRORS: usize = 10_000;

fn py_type_is(v: &Value, t: &str) -> bool {
    match t {
        // An int, or a float that is integral; never a bool.
        "integer" => match v {
            Value::Number(n) => {
                !n.to_string().contains(['.', 'e', 'E']) || n.as_f64().is_some_and(|f| f.is_finite() && f.fract() == 0.0)
            }
            _ => false,
        },
        "number" => v.is_number(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// Python's `==` between JSON values (`1 == 1.0 == True`).
fn py_eq(a: &Value, b: &Value) -> bool {
    let num = |v: &Value| match v {
        Value::Bool(x) => Some(if *x { 1.0 } else { 0.0 }),
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w))),
        _ => match (num(a), num(b)) {
            (Some(p), Some(q)) => p == q,
            _ => a == b,
        },
    }
}

fn as_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn count_chars(s: &str) -> usize {
    s.chars().count()
}

impl<'a> Validator<'a> {
    fn push(&mut self, path: &[Part], message: String) {
        if self.errors.len() >= MAX_ERRORS {
            return;
        }
        self.errors.push(SchemaError { path: path.to_vec(), message, required: None, placeholder: false });
    }

    /// Whether `inst` is valid under `schema`, without recording errors.
    fn is_valid(&mut self, schema: &Value, inst: &Value, refs: usize) -> Result<bool, Unusable> {
        let saved = std::mem::take(&mut self.errors);
        let was_probing = std::mem::replace(&mut self.probing, true);
        let r = self.check(schema, inst, &mut Vec::new(), refs);
        let valid = self.errors.is_empty();
        self.errors = saved;
        self.probing = was_probing;
        r.map(|_| valid)
    }

    fn resolve(&self, reference: &str) -> Result<&'a Value, Unusable> {
        let nowhere = || {
            Unusable::Unresolvable(format!(
                "PointerToNowhere: {} does not exist within {}",
                crate::coerce::py_repr(reference.trim_start_matches('#')),
                py_repr(self.root)
            ))
        };
        let Some(pointer) = reference.strip_prefix('#') else { return Err(nowhere()) };
        let decoded = percent_encoding::percent_decode_str(pointer).decode_utf8_lossy().into_owned();
        self.root.pointer(&decoded).ok_or_else(nowhere)
    }

    fn check(&mut self, schema: &Value, inst: &Value, path: &mut Vec<Part>, refs: usize) -> Result<(), Unusable> {
        if self.nested >= MAX_NESTED_CHECKS {
            return Err(Unusable::Circular);
        }
        self.nested += 1;
        let r = self.check_here(schema, inst, path, refs);
        self.nested -= 1;
        r
    }

    fn check_here(&mut self, schema: &Value, inst: &Value, path: &mut Vec<Part>, refs: usize) -> Result<(), Unusable> {
        self.steps += 1;
        // Enough is known: the step budget is spent, the error list is
        // full, or (probing a subschema) one error already decides it.
        if self.steps > MAX_STEPS || path.len() > MAX_DEPTH || self.errors.len() >= MAX_ERRORS || (self.probing && !self.errors.is_empty()) {
            return Ok(());
        }
        let schema = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => {
                self.push(path, format!("False schema does not allow {}", py_repr(inst)));
                return Ok(());
            }
            Value::Object(s) => s,
            _ => return Ok(()),
        };
        if let Some(p) = placeholder(inst) {
            // The `_placeholders` check; a valid placeholder fails nothing.
            if let Placeholder::Error(m) = p {
                if self.errors.len() < MAX_ERRORS {
                    self.errors.push(SchemaError { path: path.clone(), message: m.to_string(), required: None, placeholder: true });
                }
            }
            return Ok(());
        }
        for (keyword, value) in schema {
            match keyword.as_str() {
                "$ref" => {
                    if let Some(r) = value.as_str() {
                        if refs >= MAX_REF_DEPTH {
                            return Err(Unusable::Circular);
                        }
                        let target = self.resolve(r)?;
                        self.check(target, inst, path, refs + 1)?;
                    }
                }
                "type" => {
                    let types: Vec<&str> = match value {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        _ => continue,
                    };
                    if !types.iter().any(|t| py_type_is(inst, t)) {
                        let names: Vec<String> = types.iter().map(|t| crate::coerce::py_repr(t)).collect();
                        self.push(path, format!("{} is not of type {}", py_repr(inst), names.join(", ")));
                    }
                }
                "properties" => {
                    if let (Value::Object(props), Value::Object(obj)) = (value, inst) {
                        for (k, sub) in props {
                            if let Some(v) = obj.get(k) {
                                path.push(Part::Key(k.clone()));
                                let r = self.check(sub, v, path, refs);
                                path.pop();
                                r?;
                            }
                        }
                    }
                }
                "required" => {
                    if let (Value::Array(req), Value::Object(obj)) = (value, inst) {
                        for r in req.iter().filter_map(Value::as_str) {
                            if !obj.contains_key(r) && self.errors.len() < MAX_ERRORS {
                                self.errors.push(SchemaError {
                                    path: path.clone(),
                                    message: format!("{} is a required property", crate::coerce::py_repr(r)),
                                    required: Some(r.to_string()),
                                    placeholder: false,
                                });
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let Value::Object(obj) = inst else { continue };
                    let declared = schema.get("properties").and_then(Value::as_object);
                    let extras: Vec<&String> = obj.keys().filter(|k| declared.is_none_or(|d| !d.contains_key(*k))).collect();
                    if schema.contains_key("patternProperties") {
                        continue;
                    }
                    match value {
                        Value::Bool(false) if !extras.is_empty() => {
                            let mut sorted: Vec<&String> = extras.clone();
                            sorted.sort();
                            let names: Vec<String> = sorted.iter().map(|k| crate::coerce::py_repr(k)).collect();
                            let verb = if names.len() == 1 { "was" } else { "were" };
                            self.push(path, format!("Additional properties are not allowed ({} {verb} unexpected)", names.join(", ")));
                        }
                        Value::Object(_) => {
                            for k in extras {
                                path.push(Part::Key(k.clone()));
                                let r = self.check(value, &obj[k.as_str()], path, refs);
                                path.pop();
                                r?;
                            }
                        }
                        _ => {}
                    }
                }
                "prefixItems" => {
                    if let (Value::Array(subs), Value::Array(items)) = (value, inst) {
                        for (i, (sub, item)) in subs.iter().zip(items).enumerate() {
                            path.push(Part::Index(i));
                            let r = self.check(sub, item, path, refs);
                            path.pop();
                            r?;
                        }
                    }
                }
                "items" => {
                    if let Value::Array(items) = inst {
                        if value.is_array() {
                            continue;
                        }
                        let skip = schema.get("prefixItems").and_then(Value::as_array).map_or(0, Vec::len);
                        for (i, item) in items.iter().enumerate().skip(skip) {
                            path.push(Part::Index(i));
                            let r = self.check(value, item, path, refs);
                            path.pop();
                            r?;
                        }
                    }
                }
                "enum" => {
                    if let Value::Array(options) = value {
                        if !options.iter().any(|o| py_eq(o, inst)) {
                            self.push(path, format!("{} is not one of {}", py_repr(inst), py_repr(value)));
                        }
                    }
                }
                "const" if !py_eq(value, inst) => {
                    self.push(path, format!("{} was expected", py_repr(value)));
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    let (Some(x), Some(bound)) = (as_num(inst), as_num(value)) else { continue };
                    let failed = match keyword.as_str() {
                        "minimum" => (x < bound).then_some("is less than the minimum of"),
                        "maximum" => (x > bound).then_some("is greater than the maximum of"),
                        "exclusiveMinimum" => (x <= bound).then_some("is less than or equal to the minimum of"),
                        _ => (x >= bound).then_some("is greater than or equal to the maximum of"),
                    };
                    if let Some(words) = failed {
                        self.push(path, format!("{} {words} {}", py_repr(inst), py_repr(value)));
                    }
                }
                "minLength" | "maxLength" | "minItems" | "maxItems" => {
                    let len = match (keyword.as_str(), inst) {
                        ("minLength" | "maxLength", Value::String(s)) => count_chars(s),
                        ("minItems" | "maxItems", Value::Array(a)) => a.len(),
                        _ => continue,
                    };
                    let Some(bound) = value.as_u64().map(|b| b as usize) else { continue };
                    let words = if keyword.starts_with("min") {
                        (len < bound).then_some(if bound == 1 { "should be non-empty" } else { "is too short" })
                    } else {
                        (len > bound).then_some(if bound == 0 { "is expected to be empty" } else { "is too long" })
                    };
                    if let Some(w) = words {
                        self.push(path, format!("{} {w}", py_repr(inst)));
                    }
                }
                "pattern" => {
                    if let (Value::String(p), Value::String(_)) = (value, inst) {
                        let check = serde_json::json!({ "pattern": p });
                        if jsonschema::validator_for(&check).is_ok_and(|v| !v.is_valid(inst)) {
                            self.push(path, format!("{} does not match {}", py_repr(inst), crate::coerce::py_repr(p)));
                        }
                    }
                }
                "anyOf" | "oneOf" => {
                    let Value::Array(subs) = value else { continue };
                    let mut valid = Vec::new();
                    for s in subs {
                        if self.is_valid(s, inst, refs)? {
                            valid.push(s);
                            if keyword == "anyOf" {
                                break;
                            }
                        }
                    }
                    if valid.is_empty() {
                        self.push(path, format!("{} is not valid under any of the given schemas", py_repr(inst)));
                    } else if keyword == "oneOf" && valid.len() > 1 {
                        let names: Vec<String> = valid.iter().map(|s| py_repr(s)).collect();
                        self.push(path, format!("{} is valid under each of {}", py_repr(inst), names.join(", ")));
                    }
                }
                "allOf" => {
                    if let Value::Array(subs) = value {
                        for s in subs {
                            self.check(s, inst, path, refs)?;
                        }
                    }
                }
                "not" if self.is_valid(value, inst, refs)? => {
                    self.push(path, format!("{} should not be valid under {}", py_repr(inst), py_repr(value)));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Every error of `values` under `schema` (already preprocessed), in the
/// order Python's jsonschema yields them.
pub fn validate(schema: &Value, values: &Value) -> Result<Vec<SchemaError>, Unusable> {
    let mut v = Validator { root: schema, nested: 0, probing: false, errors: Vec::new(), steps: 0 };
    v.check(schema, values, &mut Vec::new(), 0)?;
    Ok(v.errors)
}

/// The reference's `build_error_obj`: placeholder errors win over others
/// at the same path; each error is filed under its path.
pub fn error_tree(errors: Vec<SchemaError>) -> Value {
    let key = |e: &SchemaError| -> String {
        e.path
            .iter()
            .map(|p| match p {
                Part::Key(k) => k.clone(),
                Part::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join("->")
    };
    // Grouped by path in first-seen order, as the reference's dict keeps them.
    let mut groups: Vec<(String, Vec<SchemaError>)> = Vec::new();
    let mut group_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for e in errors {
        let k = key(&e);
        match group_of.get(&k) {
            Some(&i) => groups[i].1.push(e),
            None => {
                group_of.insert(k.clone(), groups.len());
                groups.push((k, vec![e]));
            }
        }
    }
    let mut kept = Vec::new();
    for (_, list) in groups {
        if list.iter().any(|e| e.placeholder) {
            kept.extend(list.into_iter().filter(|e| e.placeholder));
        } else {
            kept.extend(list);
        }
    }
    let mut root = Tree::default();
    for e in kept {
        let mut path = e.path.clone();
        if let Some(r) = &e.required {
            path.push(Part::Key(r.clone()));
        }
        root.file(&path, e.message);
    }
    let valid = root.items.is_empty();
    serde_json::json!({ "errors": root.to_json(), "valid": valid })
}

/// One `errors` list of the answer: messages, and entries for a property
/// or an index holding their own list.
#[derive(Default)]
struct Tree {
    items: Vec<Item>,
    /// The first entry of each part, which the reference files deeper
    /// errors under (found by a scan there; by this index here).
    first: std::collections::HashMap<(bool, String), usize>,
}

enum Item {
    Message(String),
    Entry { part: Part, errors: Tree },
}

impl Tree {
    fn file(&mut self, path: &[Part], message: String) {
        let Some((part, rest)) = path.split_first() else {
            self.items.push(Item::Message(message));
            return;
        };
        let key = match part {
            Part::Index(i) => (true, i.to_string()),
            Part::Key(k) => (false, k.clone()),
        };
        if rest.is_empty() {
            let mut errors = Tree::default();
            errors.items.push(Item::Message(message));
            self.first.entry(key).or_insert(self.items.len());
            self.items.push(Item::Entry { part: part.clone(), errors });
            return;
        }
        let at = match self.first.get(&key) {
            Some(&i) => i,
            None => {
                self.first.insert(key, self.items.len());
                self.items.push(Item::Entry { part: part.clone(), errors: Tree::default() });
                self.items.len() - 1
            }
        };
        if let Some(Item::Entry { errors, .. }) = self.items.get_mut(at) {
            errors.file(rest, message);
        }
    }

    fn to_json(&self) -> Value {
        Value::Array(
            self.items
                .iter()
                .map(|i| match i {
                    Item::Message(m) => Value::String(m.clone()),
                    Item::Entry { part: Part::Index(n), errors } => serde_json::json!({"index": n, "errors": errors.to_json()}),
                    Item::Entry { part: Part::Key(k), errors } => serde_json::json!({"property": k, "errors": errors.to_json()}),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(schema: Value, values: Value) -> Value {
        let s = Value::Object(preprocess(schema.as_object().expect("object")));
        let h = hydrate(values.as_object().expect("object"), &Map::new());
        error_tree(validate(&s, &h).expect("usable"))
    }

    #[test]
    fn errors_are_filed_under_their_property_in_schema_order() {
        let schema = json!({"type": "object", "properties": {"name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["name", "x"]});
        let got = run(schema, json!({"name": 5, "tags": ["a", 1]}));
        assert_eq!(
            got,
            json!({"errors": [
                {"property": "name", "errors": ["5 is not of type 'string'"]},
                {"property": "tags", "errors": [{"index": 1, "errors": ["1 is not of type 'string'"]}]},
                {"property": "x", "errors": ["'x' is a required property"]}
            ], "valid": false})
        );
    }

    #[test]
    fn hydration_errors_replace_the_others_and_jinja_passes() {
        let schema = json!({"properties": {"n": {"type": "integer"}, "t": {"type": "integer"}}, "required": ["n", "t"]});
        let got = run(schema, json!({"n": {"__prefect_kind": "json", "value": "nope"}, "t": {"__prefect_kind": "jinja", "template": "{{ x }}"}}));
        assert_eq!(got, json!({"errors": [{"property": "n", "errors": ["Invalid JSON: Expecting value: line 1 column 1 (char 0)"]}], "valid": false}));
    }

    #[test]
    fn a_circular_ref_is_unusable_and_deep_values_end() {
        let s = json!({"$ref": "#/definitions/A", "definitions": {"A": {"$ref": "#/definitions/A"}}});
        assert_eq!(validate(&s, &json!({})).map(|_| ()), Err(Unusable::Circular));
        // As deep as a request body may nest.
        let depth = crate::pyjson::MAX_DEPTH;
        let deep = crate::pyjson::loads(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes()).expect("JSON");
        let s = json!({"type": "array", "items": {"$ref": "#"}});
        assert!(matches!(validate(&s, &deep), Ok(_) | Err(Unusable::Circular)));
        let errs = validate(&json!({"type": "string"}), &deep).expect("usable");
        assert_eq!(errs.len(), 1);
        assert!(matches!(hydrate(&Map::new(), &Map::new()), Value::Object(_)));
    }
}
