//! The bodies of `/api/variables/`: `VariableCreate`, `VariableUpdate` and
//! the filter and count requests, validated as Prefect 3.9.1's models do.

use serde_json::Value;

use crate::coerce::{self, Problem};
use crate::error::ApiError;
use crate::pyjson;
use crate::schemas::artifact::data_text;
use crate::schemas::filters::variables::VariableFilter;
use crate::schemas::resource_query::{all_missing, parse_limit, parse_offset, parse_sort};
use crate::schemas::validate::{self, Errors, Loc, Model};

/// `MAX_VARIABLE_NAME_LENGTH`.
const MAX_NAME_CHARS: usize = 255;
/// `MAX_VARIABLE_VALUE_LENGTH`: bytes of the value as orjson writes it.
const MAX_VALUE_BYTES: usize = 5000;

pub const SORTS: &[&str] = &["CREATED_DESC", "UPDATED_DESC", "NAME_DESC", "NAME_ASC"];

/// A validated value: what the create answer echoes (the request's value)
/// and what is stored (a top-level number through SQLite's affinity, as
/// the reference's JSON column gives it back).
#[derive(Debug, Clone, PartialEq)]
pub struct VariableValue {
    pub echoed: String,
    pub stored: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariableCreate {
    pub name: String,
    pub value: VariableValue,
    pub tags: String,
}

/// A PATCH body: a field is `Some` only when the client sent it; `name` and
/// `tags` may then be null, which the reference's NOT NULL columns refuse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariableUpdate {
    pub name: Option<Option<String>>,
    pub value: Option<VariableValue>,
    pub tags: Option<Option<String>>,
}

fn value_error(msg: &str) -> Problem {
    Problem { kind: "value_error", msg: format!("Value error, {msg}"), ctx: Some(serde_json::json!({ "error": {} })) }
}

/// `VariableName`: a string matching `^[a-z0-9-_]*$` with Python's `re.match`
/// (so one final newline passes), then at most 255 characters.
fn name(v: &Value) -> Result<String, Problem> {
    let s = coerce::string(v)?;
    let body = s.strip_suffix('\n').unwrap_or(&s);
    if !body.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err(value_error(
            "Variable name must only contain lowercase letters, numbers, and dashes or underscores.",
        ));
    }
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(Problem {
            kind: "too_long",
            msg: format!("Value should have at most {MAX_NAME_CHARS} items after validation, not {n}"),
            ctx: Some(serde_json::json!({"field_type": "Value", "max_length": MAX_NAME_CHARS, "actual_length": n})),
        });
    }
    Ok(s)
}

/// The value as orjson would write it, or None where orjson refuses
/// (integers beyond 64 bits).
fn orjson_form(v: &Value) -> Option<Value> {
    Some(match v {
        Value::Number(n) => {
            let text = n.to_string();
            if text.contains(['.', 'e', 'E']) {
                serde_json::Number::from_f64(text.parse::<f64>().ok()?).map(Value::Number).unwrap_or(Value::Null)
            } else if let Ok(i) = text.parse::<i64>() {
                Value::from(i)
            } else {
                Value::from(text.parse::<u64>().ok()?)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(orjson_form).collect::<Option<_>>()?),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| Some((k.clone(), orjson_form(v)?))).collect::<Option<_>>()?)
        }
        other => other.clone(),
    })
}

/// `StrictVariableValue`: any JSON value orjson can write in at most 5,000 bytes.
fn value(v: &Value) -> Result<VariableValue, Problem> {
    let compact = orjson_form(v).ok_or_else(|| value_error("Variable value must be serializable to JSON"))?;
    let len = serde_json::to_vec(&compact).map(|b| b.len()).unwrap_or(usize::MAX);
    if !v.is_null() && len > MAX_VALUE_BYTES {
        return Err(value_error(&format!("Variable value must be less than {MAX_VALUE_BYTES} characters")));
    }
    Ok(VariableValue { echoed: pyjson::to_pydantic_json(v), stored: data_text(v) })
}

fn tags(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<String> {
    let items = validate::list(v, loc, errs, coerce::string)?;
    Some(pyjson::to_pydantic_json(&Value::from(items)))
}

fn checked<T>(m: &Model, name: &str, errs: &mut Errors, f: impl Fn(&Value) -> Result<T, Problem>) -> Option<T> {
    let v = m.raw(name)?;
    match f(v) {
        Ok(t) => Some(t),
        Err(p) => {
            errs.push(&validate::key(m.loc(), name), v, p);
            None
        }
    }
}

impl VariableCreate {
    const FIELDS: &'static [&'static str] = &["name", "value", "tags"];

    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let name_v = checked(&m, "name", errs, name);
        if !m.has("name") {
            m.missing("name", errs);
        }
        let value_v = checked(&m, "value", errs, value);
        if !m.has("value") {
            m.missing("value", errs);
        }
        let tags_v = match m.raw("tags") {
            None => Some("[]".to_string()),
            Some(t) => tags(t, &validate::key(loc, "tags"), errs),
        };
        m.finish(Self::FIELDS, errs);
        if errs.items.len() != before {
            return None;
        }
        Some(VariableCreate { name: name_v?, value: value_v?, tags: tags_v? })
    }
}

impl VariableUpdate {
    const FIELDS: &'static [&'static str] = &["name", "value", "tags"];

    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let mut out = VariableUpdate::default();
        match m.raw("name") {
            None => {}
            Some(Value::Null) => out.name = Some(None),
            Some(_) => out.name = checked(&m, "name", errs, name).map(Some),
        }
        out.value = checked(&m, "value", errs, value);
        match m.raw("tags") {
            None => {}
            Some(Value::Null) => out.tags = Some(None),
            Some(t) => out.tags = tags(t, &validate::key(loc, "tags"), errs).map(Some),
        }
        m.finish(Self::FIELDS, errs);
        (errs.items.len() == before).then_some(out)
    }
}

/// `POST /api/variables/filter`.
#[derive(Debug, Clone)]
pub struct VariableQuery {
    pub filter: Option<VariableFilter>,
    pub sort: &'static str,
    pub limit: i64,
    pub offset: i64,
}

fn invalid(errs: Errors, body: &Option<Value>) -> ApiError {
    ApiError::Validation { errors: errs.items, body: body.clone().unwrap_or(Value::Null) }
}

fn filter_field(v: Option<&Value>, errs: &mut Errors) -> Option<VariableFilter> {
    let v = v.filter(|v| !v.is_null())?;
    VariableFilter::parse(v, &validate::key(&validate::body_loc(), "variables"), errs)
}

impl VariableQuery {
    pub fn parse(body: &Option<Value>) -> Result<Self, ApiError> {
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(all_missing(&["offset", "variables", "sort"], true, body)),
        };
        let get = |name: &str| obj.and_then(|o| o.get(name)).filter(|v| !v.is_null()).cloned();
        let mut errs = Errors::default();
        let limit = parse_limit(get, &mut errs)?;
        let offset = get("offset").map(|v| parse_offset(&v, &mut errs)).unwrap_or(0);
        let filter = filter_field(obj.and_then(|o| o.get("variables")), &mut errs);
        let sort = get("sort").and_then(|v| parse_sort(&v, SORTS, &mut errs)).unwrap_or("NAME_ASC");
        if !errs.is_empty() {
            return Err(invalid(errs, body));
        }
        Ok(VariableQuery { filter, sort, limit, offset })
    }

    pub fn parse_count(body: &Option<Value>) -> Result<Option<VariableFilter>, ApiError> {
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(all_missing(&["variables"], false, body)),
        };
        let mut errs = Errors::default();
        let filter = filter_field(obj.and_then(|o| o.get("variables")), &mut errs);
        if !errs.is_empty() {
            return Err(invalid(errs, body));
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(v: Value) -> Result<VariableCreate, Vec<String>> {
        let mut errs = Errors::default();
        VariableCreate::parse(&v, &validate::body_loc(), &mut errs).ok_or_else(|| errs.items.iter().map(|e| e.kind.clone()).collect())
    }

    #[test]
    fn names_are_checked_for_characters_before_length() {
        assert_eq!(create(json!({"name": "A".repeat(256), "value": 1})), Err(vec!["value_error".to_string()]));
        assert_eq!(create(json!({"name": "a".repeat(256), "value": 1})), Err(vec!["too_long".to_string()]));
        assert!(create(json!({"name": "a".repeat(255), "value": 1})).is_ok());
        assert!(create(json!({"name": "ok\n", "value": 1})).is_ok());
        assert!(create(json!({"name": "", "value": null})).is_ok());
    }

    #[test]
    fn the_value_limit_counts_bytes_as_orjson_writes_them() {
        // `"` + 4998 + `"` is 5000 bytes: accepted; one more is refused.
        assert!(create(json!({"name": "a", "value": "x".repeat(4998)})).is_ok());
        assert_eq!(create(json!({"name": "a", "value": "x".repeat(4999)})), Err(vec!["value_error".to_string()]));
        // `["` + 2498 two-byte letters + `"]` is 5000 bytes.
        assert!(create(json!({"name": "a", "value": ["é".repeat(2498)]})).is_ok());
        assert!(create(json!({"name": "a", "value": ["é".repeat(2499)]})).is_err());
    }

    #[test]
    fn integers_beyond_64_bits_are_not_serialisable() {
        let big = pyjson::loads(br#"{"name": "a", "value": [18446744073709551616]}"#).expect("json");
        assert_eq!(create(big), Err(vec!["value_error".to_string()]));
        let edge = pyjson::loads(br#"{"name": "a", "value": [18446744073709551615, -9223372036854775808]}"#).expect("json");
        assert!(create(edge).is_ok());
    }

    #[test]
    fn a_top_level_float_is_echoed_as_sent_and_stored_through_affinity() {
        let v = pyjson::loads(br#"{"name": "a", "value": 2.0}"#).expect("json");
        let c = create(v).expect("valid");
        assert_eq!(c.value.echoed, "2.0");
        assert_eq!(c.value.stored.as_deref(), Some("2"));
    }
}
