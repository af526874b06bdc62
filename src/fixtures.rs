//! Fixtures in the format of `docs/fixtures.md`: loading is an upsert by id
//! inside one transaction, so a bad file changes nothing; export writes the
//! whole database as one fixture from one read transaction, so it is
//! consistent even while a server writes.
//!
//! Nesting: each array element is parsed by `pyjson` (iteratively, no
//! recursion) with the program's one limit, [`pyjson::MAX_DEPTH`]; the file
//! itself adds [`ENVELOPE`] levels on top. So every value the API accepted
//! exports and loads again.

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
///
/// Each file is read as a stream, one array element at a time, so a fixture
/// of any size loads in bounded memory.
pub fn load(db: &Db, paths: &[PathBuf]) -> anyhow::Result<LoadReport> {
    let files = expand(paths)?;
    for f in &files {
        std::fs::metadata(f).with_context(|| format!("cannot read fixture {}", f.display()))?;
    }
    load_sources(db, false, files.into_iter().map(Source::File).collect())
}

/// Where one fixture document comes from.
pub enum Source {
    File(PathBuf),
    /// A document already in memory (a request body), named for errors.
    Text { name: String, bytes: Vec<u8> },
}

/// Empties every table that holds data (not the migration history) inside
/// the open transaction, for a reset between tests.
fn clear_tables(tx: &Connection) -> anyhow::Result<()> {
    // Plain tables only: a virtual table's shadow tables are its own to
    // keep (emptying them by hand would break it); its rows go with the
    // rows of the tables its triggers follow.
    let tables: Vec<String> = tx
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'refinery_%'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in tables {
        // Names come from the schema itself, never from a request.
        tx.execute(&format!("DELETE FROM \"{}\"", t.replace('"', "\"\"")), [])?;
    }
    // Statistics of the rows just removed would mislead the planner; with
    // none it assumes small tables, which an emptied database has.
    let has_stats: bool = tx.query_row("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'", [], |r| r.get(0))?;
    if has_stats {
        tx.execute("DELETE FROM sqlite_stat1", [])?;
    }
    Ok(())
}

/// Loads `sources` in one write transaction, after emptying the database
/// when `clear` is set: a failure anywhere leaves the database as it was.
pub fn load_sources(db: &Db, clear: bool, sources: Vec<Source>) -> anyhow::Result<LoadReport> {
    let loads_rows = !sources.is_empty();
    let report = db.write(move |tx, _clock| -> anyhow::Result<LoadReport> {
        if clear {
            clear_tables(tx)?;
        }
        // A big load outgrows the default 2 MB page cache and spills pages
        // to the WAL and back; a larger cache for this transaction avoids it.
        if loads_rows {
            tx.execute_batch("PRAGMA cache_size = -262144;")?;
        }
        let mut report = LoadReport { files: sources.len(), ..Default::default() };
        let load_time = timefmt::now_stored();
        for source in sources {
            match source {
                Source::File(path) => {
                    let file = path.display().to_string();
                    let reader = std::io::BufReader::with_capacity(
                        1 << 20,
                        std::fs::File::open(&path).with_context(|| format!("cannot read fixture {file}"))?,
                    );
                    load_reader(tx, &file, reader, &load_time, &mut report)?;
                }
                Source::Text { name, bytes } => load_reader(tx, &name, bytes.as_slice(), &load_time, &mut report)?,
            }
        }
        report.derived_collections = db::artifacts::derive_missing_collections(tx)?;
        // Fixture runs come with their current state only: that state is their history.
        for kind in [crate::orchestration::RunKind::Flow, crate::orchestration::RunKind::Task] {
            db::states::backfill(tx, kind)?;
        }
        Ok(report)
    });
    if loads_rows {
        // Back to the default cache whether or not the load succeeded.
        db.set_cache_size_kib(2000)?;
    }
    let report = report?;
    if loads_rows {
        db.analyze()?;
    }
    Ok(report)
}

/// Reads fields of one fixture object, naming the place of any error.
struct Item<'a> {
    obj: &'a Map<String, Value>,
    /// The whole element (`obj` is its map), stored as the row's document.
    whole: &'a Value,
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
                Ok(self.get(field).map(pyjson::to_pydantic_json))
            }
            Some(_) => Err(self.err(field, "Input should be a valid dictionary")),
        }
    }

    fn doc(&self) -> String {
        pyjson::to_pydantic_json(self.whole)
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

/// One element of one fixture array, stored at once.
fn load_element(
    tx: &Connection,
    file: &str,
    array: &'static str,
    index: usize,
    v: Value,
    t: &str,
    report: &mut LoadReport,
) -> anyhow::Result<()> {
    let Value::Object(obj) = &v else {
        anyhow::bail!("{file}: {array}[{index}]: must be a JSON object");
    };
    let it = Item { obj, whole: &v, file, array, index };
    let related = |row: RelatedRow| related::upsert(tx, &row).map_err(|e| anyhow::anyhow!("{file}: {array}[{index}]: {e}"));
    match array {
        "flows" => {
            related(flow_row(&it, t)?)?;
            report.flows += 1;
        }
        "deployments" => {
            related(deployment_row(&it, t)?)?;
            report.deployments += 1;
        }
        "flow_runs" => {
            related(flow_run_row(&it, t)?)?;
            report.flow_runs += 1;
        }
        "task_runs" => {
            related(task_run_row(&it, t)?)?;
            report.task_runs += 1;
        }
        "artifacts" => {
            db::artifacts::insert_artifact(tx, &artifact_row(&it, t, false)?)?;
            report.artifacts += 1;
        }
        _ => {
            db::artifacts::put_collection(tx, &artifact_row(&it, t, true)?)?;
            report.artifact_collections += 1;
        }
    }
    Ok(())
}

const ARRAYS: [&str; 6] = ["flows", "deployments", "flow_runs", "task_runs", "artifacts", "artifact_collections"];

/// The levels a fixture file wraps around each element: the top-level
/// object and the array.
pub const ENVELOPE: usize = 2;

/// The top-level keys a fixture may have, for error messages.
fn allowed_keys() -> String {
    let mut keys: Vec<&str> = ARRAYS.to_vec();
    keys.push("format_version");
    keys.join(", ")
}

/// Streams one fixture document (named `file` in errors) into the open
/// transaction. Errors met while storing are kept aside (serde would only
/// carry their text) and returned as they are.
fn load_reader(tx: &Connection, file: &str, reader: impl std::io::Read, t: &str, report: &mut LoadReport) -> anyhow::Result<()> {
    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::cell::RefCell;

    let file = file.to_string();
    struct Ctx<'a> {
        tx: &'a Connection,
        file: &'a str,
        t: &'a str,
        report: RefCell<&'a mut LoadReport>,
        failure: RefCell<Option<anyhow::Error>>,
        /// The top level turned out to be an object.
        object: std::cell::Cell<bool>,
    }
    impl Ctx<'_> {
        fn fail<E: serde::de::Error>(&self, e: anyhow::Error) -> E {
            *self.failure.borrow_mut() = Some(e);
            E::custom("fixture element refused")
        }
    }
    struct Array<'c, 'a>(&'c Ctx<'a>, &'static str);
    impl<'de> DeserializeSeed<'de> for Array<'_, '_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Array<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "an array")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let Array(ctx, name) = self;
            let mut index = 0;
            // Each element is kept as its raw text (serde_json skips over
            // it without recursing and without its 128-level limit), then
            // parsed: by serde_json when it can (most elements, and fast),
            // else by pyjson with the program's nesting limit (deeper
            // values, NaN, lone surrogates).
            while let Some(raw) = seq.next_element::<Box<serde_json::value::RawValue>>()? {
                let fast = serde_json::from_str::<serde_json::Value>(raw.get()).ok();
                let v = fast.map_or_else(|| pyjson::loads(raw.get().as_bytes()), Ok).map_err(|e| {
                    ctx.fail(match e {
                        pyjson::LoadError::TooDeep => anyhow::anyhow!(
                            "{}: {name}[{index}]: nested deeper than {} levels, the most the API accepts (docs/fixtures.md)",
                            ctx.file,
                            pyjson::MAX_DEPTH
                        ),
                        e => anyhow::anyhow!("{}: {name}[{index}]: not valid JSON: {e}", ctx.file),
                    })
                })?;
                drop(raw);
                let mut report = ctx.report.borrow_mut();
                load_element(ctx.tx, ctx.file, name, index, v, ctx.t, &mut report).map_err(|e| ctx.fail(e))?;
                index += 1;
            }
            Ok(())
        }
    }
    struct Top<'c, 'a>(&'c Ctx<'a>);
    impl<'de> Visitor<'de> for Top<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a fixture object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let ctx = self.0;
            ctx.object.set(true);
            while let Some(key) = map.next_key::<String>()? {
                if let Some(name) = ARRAYS.iter().find(|a| **a == key) {
                    map.next_value_seed(Array(ctx, name))?;
                } else if key == "format_version" {
                    let v: Value = map.next_value()?;
                    if !v.is_null() && v.as_i64() != Some(FORMAT_VERSION) {
                        return Err(ctx.fail(anyhow::anyhow!(
                            "{}: format_version {v} is not supported (expected 1)",
                            ctx.file
                        )));
                    }
                } else {
                    return Err(ctx.fail(anyhow::anyhow!(
                        "{}: unknown top-level key {key:?} (allowed: {})",
                        ctx.file,
                        allowed_keys()
                    )));
                }
            }
            Ok(())
        }
    }

    let ctx = Ctx {
        tx,
        file: &file,
        t,
        report: RefCell::new(report),
        failure: RefCell::new(None),
        object: std::cell::Cell::new(false),
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let parsed = de.deserialize_map(Top(&ctx)).and_then(|_| de.end());
    if let Some(e) = ctx.failure.into_inner() {
        return Err(e);
    }
    parsed.map_err(|e| {
        if e.is_data() && !ctx.object.get() {
            anyhow::anyhow!("{file}: the top level of a fixture must be a JSON object")
        } else if e.is_data() {
            anyhow::anyhow!("{file}: {e} (each fixture key names an array of objects)")
        } else {
            anyhow::anyhow!("{file}: not valid JSON: {e}")
        }
    })
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
        // A list of rows: one level of envelope around each.
        let v = pyjson::loads_within(rows_to_json(&rows, with_latest).as_bytes(), 1)
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
