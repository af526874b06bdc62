//! The check of run parameters against a deployment's
//! `parameter_openapi_schema` (`enforce_parameter_schema`), for the cases
//! whose answer is certain: top-level `required` and the simple JSON types
//! of top-level `properties`. The reference raises jsonschema's best match:
//! a missing required key (at the root) before any property's error, then
//! the first property in the schema's order. Anything else the schema says
//! (`$ref`, `anyOf`, formats, nested schemas) is not checked here.

use serde_json::{Map, Value};

/// Python's `repr` of a JSON value, as jsonschema puts it in a message.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => crate::coerce::py_repr(s),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter().map(|(k, x)| format!("{}: {}", crate::coerce::py_repr(k), py_repr(x))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// jsonschema's type check (an integral float is an integer; a bool is no number).
fn is_type(v: &Value, t: &str) -> Option<bool> {
    Some(match t {
        "integer" => match v {
            Value::Number(n) => n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0),
            _ => false,
        },
        "number" => v.is_number(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => return None,
    })
}

/// `Err(message)` with the reference's `Validation failed ...` text when
/// `params` certainly fails `schema`.
pub fn check(params: &Map<String, Value>, schema: &Value, ignore_required: bool) -> Result<(), String> {
    let Some(schema) = schema.as_object() else { return Ok(()) };
    if !ignore_required {
        if let Some(Value::Array(req)) = schema.get("required") {
            for r in req.iter().filter_map(Value::as_str) {
                if !params.contains_key(r) {
                    return Err(format!(
                        "Validation failed. Failure reason: {} is a required property",
                        crate::coerce::py_repr(r)
                    ));
                }
            }
        }
    }
    let Some(Value::Object(props)) = schema.get("properties") else { return Ok(()) };
    for (name, prop) in props {
        let (Some(v), Some(Value::String(t))) = (params.get(name), prop.get("type")) else { continue };
        // Only a schema that says nothing more about the value is certain.
        if prop.as_object().is_some_and(|p| p.keys().any(|k| matches!(k.as_str(), "$ref" | "anyOf" | "allOf" | "oneOf"))) {
            continue;
        }
        if is_type(v, t) == Some(false) {
            return Err(format!(
                "Validation failed for field {}. Failure reason: {} is not of type {}",
                crate::coerce::py_repr(name),
                py_repr(v),
                crate::coerce::py_repr(t)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_wrong_type_names_the_field_as_jsonschema_does() {
        let schema = json!({"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}}});
        assert_eq!(
            check(&params(json!({"x": "not an int"})), &schema, false),
            Err("Validation failed for field 'x'. Failure reason: 'not an int' is not of type 'integer'".into())
        );
        assert_eq!(
            check(&params(json!({"x": 1, "y": [1, true, null]})), &schema, false),
            Err("Validation failed for field 'y'. Failure reason: [1, True, None] is not of type 'string'".into())
        );
        assert_eq!(check(&params(json!({"x": 2.0, "y": "s", "z": 1})), &schema, false), Ok(()));
    }

    #[test]
    fn a_missing_required_key_comes_first_unless_ignored() {
        let schema = json!({"properties": {"x": {"type": "integer"}}, "required": ["y"]});
        let p = params(json!({"x": "a"}));
        assert_eq!(check(&p, &schema, false), Err("Validation failed. Failure reason: 'y' is a required property".into()));
        assert!(check(&p, &schema, true).unwrap_err().starts_with("Validation failed for field 'x'"));
    }

    #[test]
    fn what_is_not_certain_passes() {
        let schema = json!({"properties": {"x": {"type": "integer", "anyOf": [{"type": "string"}]}, "y": {"$ref": "#/definitions/Y"}}});
        assert_eq!(check(&params(json!({"x": "a", "y": 1})), &schema, false), Ok(()));
        assert!(check(&params(json!({"x": true})), &json!({"properties": {"x": {"type": "integer"}}}), false).is_err());
    }
}
