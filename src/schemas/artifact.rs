//! Artifact wire types: the create and update bodies (validated as the
//! reference's `ArtifactCreate` / `ArtifactUpdate`) and the rows written back.

use serde_json::{Map, Value};

use crate::coerce::{self, Problem};
use crate::pyjson;
use crate::schemas::validate::{self, Errors, Loc, Model};
use crate::timefmt;

/// The reference truncates each metadata value longer than this many
/// characters and appends "...".
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct ArtifactCreate {
    pub key: Option<String>,
    pub r#type: Option<String>,
    pub description: Option<String>,
    /// `data` as JSON text in the wire format, or None for null.
    pub data: Option<String>,
    pub metadata: Option<String>,
    pub flow_run_id: Option<String>,
    pub task_run_id: Option<String>,
}

/// A PATCH body: each field is `Some` only when the client sent it (pydantic's
/// `exclude_unset`), and then may still be null.
#[derive(Debug, Clone, Default)]
pub struct ArtifactUpdate {
    pub data: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub metadata: Option<Option<String>>,
}

impl ArtifactUpdate {
    pub fn is_empty(&self) -> bool {
        self.data.is_none() && self.description.is_none() && self.metadata.is_none()
    }
}

/// Prefect's `raise_on_name_alphanumeric_dashes_only`: Python's `re.match`
/// with `^[a-z0-9-]*$`, where `$` also matches before one final newline.
pub fn is_valid_artifact_key(key: &str) -> bool {
    let body = key.strip_suffix('\n').unwrap_or(key);
    body.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn artifact_key(v: &Value) -> Result<String, Problem> {
    let s = coerce::string(v)?;
    if is_valid_artifact_key(&s) {
        Ok(s)
    } else {
        Err(Problem {
            kind: "value_error",
            msg: "Value error, Artifact key must only contain lowercase letters, numbers, and dashes."
                .into(),
            ctx: Some(serde_json::json!({ "error": {} })),
        })
    }
}

/// Truncates long metadata values as the reference does, then serialises.
fn metadata_text(mut m: Map<String, Value>) -> String {
    for v in m.values_mut() {
        if let Value::String(s) = v {
            if s.chars().count() > MAX_METADATA_VALUE_CHARS {
                let mut cut: String = s.chars().take(MAX_METADATA_VALUE_CHARS).collect();
                cut.push_str("...");
                *s = cut;
            }
        }
    }
    pyjson::to_pydantic_json(&Value::Object(m))
}

/// `data` as the reference stores it: a top-level number passes through
/// SQLite's numeric affinity (`2.0` comes back as `2`), nested values do not.
pub fn data_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        other => Some(pyjson::to_pydantic_json(&pyjson::sqlite_numeric_affinity(other))),
    }
}

fn metadata_field(m: &Model, errs: &mut Errors) -> Option<Option<String>> {
    match m.raw("metadata_") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(
            validate::str_dict(v, &validate::key(m.loc(), "metadata_"), errs).map(metadata_text),
        ),
    }
}

impl ArtifactCreate {
    pub const FIELDS: &'static [&'static str] = &[
        "key", "type", "description", "data", "metadata_", "flow_run_id", "task_run_id",
    ];

    /// Validates a request body that is present (not null).
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let key = m.opt("key", errs, artifact_key);
        let r#type = m.opt("type", errs, coerce::string);
        let description = m.opt("description", errs, coerce::string);
        let data = m.raw("data").and_then(data_text);
        let metadata = metadata_field(&m, errs).flatten();
        let flow_run_id = m.opt("flow_run_id", errs, coerce::uuid).map(|u| u.to_string());
        let task_run_id = m.opt("task_run_id", errs, coerce::uuid).map(|u| u.to_string());
        m.finish(Self::FIELDS, errs);
        (errs.items.len() == before).then_some(ArtifactCreate {
            key,
            r#type,
            description,
            data,
            metadata,
            flow_run_id,
            task_run_id,
        })
    }
}

impl ArtifactUpdate {
    pub const FIELDS: &'static [&'static str] = &["data", "description", "metadata_"];

    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let data = m.raw("data").map(data_text);
        let description = if m.has("description") {
            Some(m.opt("description", errs, coerce::string))
        } else {
            None
        };
        let metadata = metadata_field(&m, errs);
        m.finish(Self::FIELDS, errs);
        (errs.items.len() == before).then_some(ArtifactUpdate { data, description, metadata })
    }
}

/// One row of `artifact` or `artifact_collection`, with text columns as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactRow {
    pub id: String,
    pub created: String,
    pub updated: String,
    pub key: Option<String>,
    /// Only for collection rows.
    pub latest_id: Option<String>,
    pub r#type: Option<String>,
    pub description: Option<String>,
    pub data: Option<String>,
    pub metadata: Option<String>,
    pub flow_run_id: Option<String>,
    pub task_run_id: Option<String>,
}

/// A row's text columns borrowed, from an `ArtifactRow` or straight from
/// an SQLite row while it is being stepped (so a page of answers is written
/// without first copying every column into owned strings).
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub id: &'a str,
    pub created: &'a str,
    pub updated: &'a str,
    pub key: Option<&'a str>,
    pub latest_id: Option<&'a str>,
    pub r#type: Option<&'a str>,
    pub description: Option<&'a str>,
    pub data: Option<&'a str>,
    pub metadata: Option<&'a str>,
    pub flow_run_id: Option<&'a str>,
    pub task_run_id: Option<&'a str>,
}

fn push_str_or_null(out: &mut String, v: Option<&str>) {
    match v {
        Some(s) => pyjson::write_str(out, s),
        None => out.push_str("null"),
    }
}

/// A stored timestamp as a JSON string in the wire form.
fn push_time(out: &mut String, stored: &str) {
    out.push('"');
    timefmt::push_wire(out, stored);
    out.push('"');
}

impl RowView<'_> {
    /// Writes the row in the reference's field order. `with_latest_id` is
    /// true for `ArtifactCollection` answers (the latest/filter endpoint);
    /// `GET /artifacts/{key}/latest` answers a collection row as an Artifact.
    pub fn write_json(&self, out: &mut String, with_latest_id: bool) {
        out.push_str("{\"id\":");
        pyjson::write_str(out, self.id);
        out.push_str(",\"created\":");
        push_time(out, self.created);
        out.push_str(",\"updated\":");
        push_time(out, self.updated);
        out.push_str(",\"key\":");
        push_str_or_null(out, self.key);
        if with_latest_id {
            out.push_str(",\"latest_id\":");
            push_str_or_null(out, self.latest_id);
        }
        out.push_str(",\"type\":");
        push_str_or_null(out, self.r#type);
        out.push_str(",\"description\":");
        push_str_or_null(out, self.description);
        // data and metadata_ are stored as the JSON text they answer with.
        out.push_str(",\"data\":");
        out.push_str(self.data.unwrap_or("null"));
        out.push_str(",\"metadata_\":");
        out.push_str(self.metadata.unwrap_or("null"));
        out.push_str(",\"flow_run_id\":");
        push_str_or_null(out, self.flow_run_id);
        out.push_str(",\"task_run_id\":");
        push_str_or_null(out, self.task_run_id);
        out.push('}');
    }
}

impl ArtifactRow {
    pub fn view(&self) -> RowView<'_> {
        RowView {
            id: &self.id,
            created: &self.created,
            updated: &self.updated,
            key: self.key.as_deref(),
            latest_id: self.latest_id.as_deref(),
            r#type: self.r#type.as_deref(),
            description: self.description.as_deref(),
            data: self.data.as_deref(),
            metadata: self.metadata.as_deref(),
            flow_run_id: self.flow_run_id.as_deref(),
            task_run_id: self.task_run_id.as_deref(),
        }
    }

    pub fn write_json(&self, out: &mut String, with_latest_id: bool) {
        self.view().write_json(out, with_latest_id);
    }

    pub fn to_json(&self, with_latest_id: bool) -> String {
        let mut s = String::with_capacity(512);
        self.write_json(&mut s, with_latest_id);
        s
    }
}

pub fn rows_to_json(rows: &[ArtifactRow], with_latest_id: bool) -> String {
    let mut s = String::with_capacity(64 + rows.len() * 512);
    s.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        r.write_json(&mut s, with_latest_id);
    }
    s.push(']');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_rule_matches_python_re_match_with_dollar() {
        assert!(is_valid_artifact_key("my-key-1"));
        assert!(is_valid_artifact_key(""));
        // `$` matches before a single trailing newline (seen on the reference).
        assert!(is_valid_artifact_key("abc\n"));
        assert!(!is_valid_artifact_key("abc\n\n"));
        assert!(!is_valid_artifact_key("My key"));
        assert!(!is_valid_artifact_key("under_score"));
    }

    #[test]
    fn long_metadata_values_are_cut_to_500_chars_plus_dots() {
        let mut m = Map::new();
        m.insert("a".into(), Value::String("é".repeat(501)));
        m.insert("b".into(), Value::String("x".repeat(500)));
        let v: Value = serde_json::from_str(&metadata_text(m)).unwrap();
        assert_eq!(v["a"].as_str().unwrap().chars().count(), 503);
        assert!(v["a"].as_str().unwrap().ends_with("é..."));
        assert_eq!(v["b"].as_str().unwrap().len(), 500);
    }

    #[test]
    fn create_reports_errors_in_field_order_then_extras() {
        let body: Value = serde_json::from_str(
            r#"{"limit":3,"flow_run_id":"zz","key":"My key"}"#,
        )
        .unwrap();
        let mut errs = Errors::default();
        assert!(ArtifactCreate::parse(&body, &validate::body_loc(), &mut errs).is_none());
        let kinds: Vec<_> = errs.items.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["value_error", "uuid_parsing", "extra_forbidden"]);
    }
}
