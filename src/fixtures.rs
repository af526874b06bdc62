//! Fixtures in the shared format (`shared/spec/fixtures.md`): loading is an
//! upsert by id inside one transaction, so a bad file changes nothing;
//! export writes the whole database as one fixture from one read
//! transaction, so it is consistent even while a server writes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde_json::{Map, Value};

use crate::coerce;
use crate::db::related::{self, RelatedRow};
use crate::db::{self, Db};
use crate::pyjson;
use crate::schemas::artifact::{is_valid_artifact_key, rows_to_json, ArtifactRow};
use crate::schemas::filters::artifacts::Table;
use crate::timefmt;

pub const FORMAT_VERSION: i64 = 1;

#[derive(Debug, thiserror::Error)]
#[error("{file}: {array}[{index}].{field}: {msg}")]
pub struct FieldError {
    pub file: String,
    pub array: String,
    pub index: usize,
    pub field: String,
    pub msg: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub files: usize,
    pub flows: usize,
    pub deployments: usize,
    pub flow_runs: usize,
    pub task_runs: usize,
    pub artifacts: usize,
    pub artifact_collections: usize,
    pub derived_collections: usize,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} file(s): {} flows, {} deployments, {} flow runs, {} task runs, {} artifacts, {} latest-by-key rows ({} derived)",
            self.files, self.flows, self.deployments, self.flow_runs, self.task_runs,
            self.artifacts, self.artifact_collections + self.derived_collections, self.derived_collections
        )
    }
}

/// Expands directories into their `*.json` files, in name order.
pub fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read fixture folder {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json") && f.is_file())
                .collect();
            files.sort();
            out.extend(files);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            anyhow::bail!("fixture {} does not exist", p.display());
        }
    }
    Ok(out)
}

/// Loads every fixture at `paths` in one write transaction.
pub fn load(db: &Db, paths: &[PathBuf]) -> anyhow::Result<LoadReport> {
    let files = expand(paths)?;
    let mut parsed = Vec::new();
    for f in &files {
        parsed.push((f.clone(), read_fixture(f)?));
    }
    let report = db.write(|tx, _clock| -> anyhow::Result<LoadReport> {
        // A big load outgrows the default 2 MB page cache and spills pages
        // to the WAL and back; a larger cache for this transaction avoids it.
        tx.execute_batch("PRAGMA cache_size = -262144;")?;
        let mut report = LoadReport { files: files.len(), ..Default::default() };
        let load_time = timefmt::now_stored();
        for (path, doc) in &parsed {
            load_one(tx, path, doc, &load_time, &mut report)?;
        }
        report.derived_collections = db::artifacts::derive_missing_collections(tx)?;
        Ok(report)
    });
    // Back to the default cache whether or not the load succeeded.
    db.set_cache_size_kib(2000)?;
    let report = report?;
    db.analyze()?;
    Ok(report)
}

fn read_fixture(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read fixture {}", path.display()))?;
    let v = pyjson::loads(&bytes).map_err(|e| anyhow::anyhow!("{}: not valid JSON: {e}", path.display()))?;
    match v {
        Value::Object(m) => {
            if let Some(ver) = m.get("format_version") {
                if ver.as_i64() != Some(FORMAT_VERSION) {
                    anyhow::bail!("{}: format_version {ver} is not supported (expected 1)", path.display());
                }
            }
            Ok(m)
        }
        _ => anyhow::bail!("{}: the top level of a fixture must be a JSON object", path.display()),
    }
}

/// Reads fields of one fixture object, naming the place of any error.
struct Item<'a> {
    obj: &'a Map<String, Value>,
    file: &'a str,
    array: &'static str,
    index: usize,
}

impl<'a> Item<'a> {
    fn err(&self, field: &str, msg: impl Into<String>) -> FieldError {
        FieldError {
            file: self.file.to_string(),
            array: self.array.to_string(),
            index: self.index,
            field: field.to_string(),
            msg: msg.into(),
        }
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    fn uuid(&self, field: &str) -> Result<Option<String>, FieldError> {
        self.get(field)
            .map(|v| coerce::uuid(v).map(|u| u.hyphenated().to_string()).map_err(|p| self.err(field, p.msg)))
            .transpose()
    }

    fn uuid_req(&self, field: &str) -> Result<String, FieldError> {
        self.uuid(field)?.ok_or_else(|| self.err(field, "Field required"))
    }

    fn string(&self, field: &str) -> Result<Option<String>, FieldError> {
        self.get(field).map(|v| coerce::string(v).map_err(|p| self.err(field, p.msg))).transpose()
    }

    fn string_req(&self, field: &str) -> Result<String, FieldError> {
        self.string(field)?.ok_or_else(|| self.err(field, "Field required"))
    }

    fn time_value(&self, field: &str, v: &Value) -> Result<String, FieldError> {
        parse_time(v).map(timefmt::to_stored).map_err(|m| self.err(field, m))
    }

    fn time(&self, field: &str) -> Result<Option<String>, FieldError> {
        self.get(field).map(|v| self.time_value(field, v)).transpose()
    }

    fn time_or(&self, field: &str, default: &str) -> Result<String, FieldError> {
        Ok(self.time(field)?.unwrap_or_else(|| default.to_string()))
    }

    fn int(&self, field: &str, default: i64) -> Result<i64, FieldError> {
        Ok(self.get(field).map(|v| coerce::int(v).map_err(|p| self.err(field, p.msg))).transpose()?.unwrap_or(default))
    }

    fn real(&self, field: &str) -> Result<f64, FieldError> {
        Ok(self.get(field).map(|v| coerce::float(v).map_err(|p| self.err(field, p.msg))).transpose()?.unwrap_or(0.0))
    }

    fn boolean(&self, field: &str) -> Result<bool, FieldError> {
        Ok(self.get(field).map(|v| coerce::boolean(v).map_err(|p| self.err(field, p.msg))).transpose()?.unwrap_or(false))
    }

    fn tags(&self, field: &str) -> Result<String, FieldError> {
        match self.get(field) {
            None => Ok("[]".into()),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    out.push(coerce::string(t).map_err(|p| self.err(&format!("{field}[{i}]"), p.msg))?);
                }
                Ok(serde_json::to_string(&out).unwrap_or_else(|_| "[]".into()))
            }
            Some(_) => Err(self.err(field, "Input should be a valid list")),
        }
    }

    fn object_text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(pyjson::to_pydantic_json(v))),
            Some(_) => Err(self.err(field, "Input should be a valid dictionary")),
        }
    }

    fn str_dict_text(&self, field: &str) -> Result<Option<String>, FieldError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    if !v.is_string() {
                        return Err(self.err(&format!("{field}.{k}"), "Input should be a valid string"));
                    }
                }
                Ok(Some(pyjson::to_pydantic_json(&Value::Object(m.clone()))))
            }
            Some(_) => Err(self.err(field, "Input should be a valid dictionary")),
        }
    }

    fn doc(&self) -> String {
        pyjson::to_pydantic_json(&Value::Object(self.obj.clone()))
    }
}

fn parse_time(v: &Value) -> Result<DateTime<Utc>, String> {
    if let Value::String(s) = v {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    coerce::datetime(v).map_err(|p| p.msg)
}

fn text(s: impl Into<String>) -> SqlValue {
    SqlValue::Text(s.into())
}

fn opt_text(s: Option<String>) -> SqlValue {
    s.map(SqlValue::Text).unwrap_or(SqlValue::Null)
}

fn base_cols(it: &Item, load_time: &str) -> Result<Vec<(&'static str, SqlValue)>, FieldError> {
    let id = it.uuid("id")?.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    Ok(vec![
        ("id", text(id)),
        ("created", text(it.time_or("created", load_time)?)),
        ("updated", text(it.time_or("updated", load_time)?)),
    ])
}

/// The `state.timestamp` of a run, where the run carries its state.
fn state_timestamp(it: &Item) -> Result<SqlValue, FieldError> {
    match it.get("state").and_then(|s| s.get("timestamp")).filter(|v| !v.is_null()) {
        Some(v) => Ok(text(it.time_value("state.timestamp", v)?)),
        None => Ok(SqlValue::Null),
    }
}

fn flow_row(it: &Item, t: &str) -> Result<RelatedRow, FieldError> {
    let mut cols = base_cols(it, t)?;
    cols.push(("name", text(it.string_req("name")?)));
    cols.push(("tags", text(it.tags("tags")?)));
    cols.push(("doc", text(it.doc())));
    Ok(RelatedRow { table: "flow", cols })
}

fn deployment_row(it: &Item, t: &str) -> Result<RelatedRow, FieldError> {
    let mut cols = base_cols(it, t)?;
    cols.push(("name", text(it.string_req("name")?)));
    cols.push(("flow_id", text(it.uuid_req("flow_id")?)));
    cols.push(("paused", SqlValue::Integer(it.boolean("paused")? as i64)));
    cols.push(("tags", text(it.tags("tags")?)));
    cols.push(("work_queue_name", opt_text(it.string("work_queue_name")?)));
    cols.push((
        "concurrency_limit",
        match it.get("concurrency_limit") {
            Some(_) => SqlValue::Integer(it.int("concurrency_limit", 0)?),
            None => SqlValue::Null,
        },
    ));
    cols.push(("doc", text(it.doc())));
    Ok(RelatedRow { table: "deployment", cols })
}

fn run_cols(it: &Item, cols: &mut Vec<(&'static str, SqlValue)>) -> Result<(), FieldError> {
    cols.push(("name", text(it.string_req("name")?)));
    cols.push(("state_type", opt_text(it.string("state_type")?)));
    cols.push(("state_name", opt_text(it.string("state_name")?)));
    cols.push(("state_timestamp", state_timestamp(it)?));
    cols.push(("run_count", SqlValue::Integer(it.int("run_count", 0)?)));
    for f in ["expected_start_time", "next_scheduled_start_time", "start_time", "end_time"] {
        cols.push((f, opt_text(it.time(f)?)));
    }
    cols.push(("total_run_time", SqlValue::Real(it.real("total_run_time")?)));
    cols.push(("tags", text(it.tags("tags")?)));
    Ok(())
}

fn flow_run_row(it: &Item, t: &str) -> Result<RelatedRow, FieldError> {
    let mut cols = base_cols(it, t)?;
    cols.push(("flow_id", text(it.uuid_req("flow_id")?)));
    run_cols(it, &mut cols)?;
    cols.push(("deployment_id", opt_text(it.uuid("deployment_id")?)));
    for f in ["deployment_version", "work_queue_name", "flow_version", "idempotency_key"] {
        cols.push((f, opt_text(it.string(f)?)));
    }
    cols.push(("parent_task_run_id", opt_text(it.uuid("parent_task_run_id")?)));
    cols.push(("created_by", opt_text(it.object_text("created_by")?)));
    cols.push(("doc", text(it.doc())));
    Ok(RelatedRow { table: "flow_run", cols })
}

fn task_run_row(it: &Item, t: &str) -> Result<RelatedRow, FieldError> {
    let mut cols = base_cols(it, t)?;
    cols.push(("flow_run_id", opt_text(it.uuid("flow_run_id")?)));
    cols.push(("task_key", text(it.string("task_key")?.unwrap_or_default())));
    cols.push(("dynamic_key", text(it.string("dynamic_key")?.unwrap_or_default())));
    run_cols(it, &mut cols)?;
    cols.push(("doc", text(it.doc())));
    Ok(RelatedRow { table: "task_run", cols })
}

fn artifact_row(it: &Item, t: &str, collection: bool) -> Result<ArtifactRow, FieldError> {
    let id = it.uuid("id")?.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let key = it.string("key")?;
    if let Some(k) = &key {
        if !is_valid_artifact_key(k) {
            return Err(it.err("key", "Artifact key must only contain lowercase letters, numbers, and dashes."));
        }
    }
    if collection && key.is_none() {
        return Err(it.err("key", "Field required"));
    }
    Ok(ArtifactRow {
        id,
        created: it.time_or("created", t)?,
        updated: it.time_or("updated", t)?,
        key,
        latest_id: if collection { Some(it.uuid_req("latest_id")?) } else { None },
        r#type: it.string("type")?,
        description: it.string("description")?,
        data: it.get("data").map(pyjson::to_pydantic_json),
        metadata: it.str_dict_text("metadata_")?,
        flow_run_id: it.uuid("flow_run_id")?,
        task_run_id: it.uuid("task_run_id")?,
    })
}

fn items<'a>(doc: &'a Map<String, Value>, file: &str, name: &'static str) -> anyhow::Result<Vec<&'a Map<String, Value>>> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(o) => Ok(o),
                _ => Err(anyhow::anyhow!("{file}: {name}[{i}]: must be a JSON object")),
            })
            .collect(),
        Some(_) => anyhow::bail!("{file}: {name}: must be an array"),
    }
}

fn load_one(
    tx: &Connection,
    path: &Path,
    doc: &Map<String, Value>,
    t: &str,
    report: &mut LoadReport,
) -> anyhow::Result<()> {
    let file = path.display().to_string();
    type RowFn = fn(&Item, &str) -> Result<RelatedRow, FieldError>;
    let related: [(&'static str, RowFn); 4] = [
        ("flows", flow_row),
        ("deployments", deployment_row),
        ("flow_runs", flow_run_row),
        ("task_runs", task_run_row),
    ];
    for (name, make) in related {
        for (index, obj) in items(doc, &file, name)?.into_iter().enumerate() {
            let it = Item { obj, file: &file, array: name, index };
            let row = make(&it, t)?;
            related::upsert(tx, &row).map_err(|e| anyhow::anyhow!("{file}: {name}[{index}]: {e}"))?;
            match name {
                "flows" => report.flows += 1,
                "deployments" => report.deployments += 1,
                "flow_runs" => report.flow_runs += 1,
                _ => report.task_runs += 1,
            }
        }
    }
    for (index, obj) in items(doc, &file, "artifacts")?.into_iter().enumerate() {
        let it = Item { obj, file: &file, array: "artifacts", index };
        let row = artifact_row(&it, t, false)?;
        db::artifacts::insert_artifact(tx, &row)?;
        report.artifacts += 1;
    }
    for (index, obj) in items(doc, &file, "artifact_collections")?.into_iter().enumerate() {
        let it = Item { obj, file: &file, array: "artifact_collections", index };
        let row = artifact_row(&it, t, true)?;
        db::artifacts::put_collection(tx, &row)?;
        report.artifact_collections += 1;
    }
    Ok(())
}

/// The whole database as one fixture, read in one transaction.
pub fn export(db: &Db) -> anyhow::Result<Value> {
    let mut conn = db.reader()?;
    let tx = conn.transaction()?;
    let mut out = Map::new();
    out.insert("format_version".into(), Value::from(FORMAT_VERSION));
    for (name, table) in [
        ("flows", "flow"),
        ("deployments", "deployment"),
        ("flow_runs", "flow_run"),
        ("task_runs", "task_run"),
    ] {
        let docs = related::all_docs(&tx, table)?;
        let mut arr = Vec::with_capacity(docs.len());
        for d in docs {
            arr.push(pyjson::loads(d.as_bytes()).map_err(|e| anyhow::anyhow!("stored {table} document is not JSON: {e}"))?);
        }
        out.insert(name.into(), Value::Array(arr));
    }
    for (name, table, with_latest) in [
        ("artifacts", Table::Artifact, false),
        ("artifact_collections", Table::Collection, true),
    ] {
        let rows = db::artifacts::all(&tx, table)?;
        let v = pyjson::loads(rows_to_json(&rows, with_latest).as_bytes())
            .map_err(|e| anyhow::anyhow!("stored artifact rows are not JSON: {e}"))?;
        out.insert(name.into(), v);
    }
    tx.commit()?;
    Ok(Value::Object(out))
}

/// Writes `v` to `path` through a temporary file and a rename, so a reader
/// never sees half a fixture.
pub fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
