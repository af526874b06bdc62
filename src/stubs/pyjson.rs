// TEMPORARY stand-in until src/pyjson.rs lands.
use serde_json::Value;
#[derive(Debug)]
pub enum LoadError { Decode { msg: String, pos: usize, doc: String }, Unicode }
impl std::fmt::Display for LoadError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "{:?}", self) } }
pub fn loads(bytes: &[u8]) -> Result<Value, LoadError> {
    let s = std::str::from_utf8(bytes).map_err(|_| LoadError::Unicode)?;
    serde_json::from_str(s).map_err(|e| LoadError::Decode { msg: e.to_string(), pos: e.column().saturating_sub(1), doc: s.to_string() })
}
pub fn to_pydantic_json(v: &Value) -> String { serde_json::to_string(v).unwrap_or_default() }
pub fn to_starlette_json(v: &Value) -> String { serde_json::to_string(v).unwrap_or_default() }
