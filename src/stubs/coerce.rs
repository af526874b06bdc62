// TEMPORARY stand-in until src/coerce.rs lands.
use serde_json::Value;
pub struct Problem { pub kind: &'static str, pub msg: String, pub ctx: Option<Value> }
fn p(kind: &'static str, msg: &str) -> Problem { Problem { kind, msg: msg.into(), ctx: None } }
pub fn string(v: &Value) -> Result<String, Problem> { v.as_str().map(String::from).ok_or_else(|| p("string_type", "Input should be a valid string")) }
pub fn int(v: &Value) -> Result<i64, Problem> {
    match v { Value::Bool(b) => Ok(*b as i64), Value::String(s) => s.trim().parse().map_err(|_| p("int_parsing", "Input should be a valid integer, unable to parse string as an integer")),
      Value::Number(n) => if let Some(i) = n.as_i64() { Ok(i) } else { let f = n.as_f64().unwrap_or(0.5); if f.fract() == 0.0 { Ok(f as i64) } else { Err(p("int_from_float", "Input should be a valid integer, got a number with a fractional part")) } },
      _ => Err(p("int_type", "Input should be a valid integer")) } }
pub fn float(v: &Value) -> Result<f64, Problem> { v.as_f64().ok_or_else(|| p("float_type", "Input should be a valid number")) }
pub fn boolean(v: &Value) -> Result<bool, Problem> { match v { Value::Bool(b) => Ok(*b), Value::String(s) => match s.to_lowercase().as_str() { "true"|"yes"|"y"|"on"|"t"|"1" => Ok(true), "false"|"no"|"n"|"off"|"f"|"0" => Ok(false), _ => Err(p("bool_parsing", "Input should be a valid boolean, unable to interpret input")) }, _ => Err(p("bool_type", "Input should be a valid boolean")) } }
pub fn uuid(v: &Value) -> Result<uuid::Uuid, Problem> { match v { Value::String(s) => uuid::Uuid::parse_str(s).map_err(|e| Problem { kind: "uuid_parsing", msg: format!("Input should be a valid UUID, {e}"), ctx: Some(serde_json::json!({"error": e.to_string()})) }), _ => Err(p("uuid_type", "UUID input should be a string, bytes or UUID object")) } }
pub fn datetime(v: &Value) -> Result<chrono::DateTime<chrono::Utc>, Problem> { v.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&chrono::Utc)).ok_or_else(|| p("datetime_parsing", "Input should be a valid datetime")) }
pub fn enumeration(v: &Value, allowed: &[&str]) -> Result<String, Problem> {
    let s = v.as_str().filter(|s| allowed.contains(s));
    s.map(String::from).ok_or_else(|| { let exp = allowed.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>(); let exp = if exp.len() > 1 { format!("{} or {}", exp[..exp.len()-1].join(", "), exp[exp.len()-1]) } else { exp.join("") }; Problem { kind: "enum", msg: format!("Input should be {exp}"), ctx: Some(serde_json::json!({"expected": exp})) } })
}
