//! `artifactd import`: reads a live Prefect 3 server through its REST API
//! (`POST /api/<x>/filter`, 200 rows a page) and writes one fixture in the
//! shared format, each element exactly as the server answered it.
//!
//! Without narrowing, every flow, deployment, flow run, task run, artifact
//! and latest-by-key row is read. With `--flow` / `--since`, only the
//! matching artifacts are read, then the latest-by-key rows that point at
//! them and the flow runs, task runs, flows and deployments they reference
//! (by `id.any_`). The file is written to a temporary file in the same
//! folder, checked by loading it into a throwaway database, then renamed.
//! Without narrowing each page goes to that file as it arrives, so memory
//! does not grow with the server's size; a narrowed import holds its
//! selection (it needs the ids it references).

use std::collections::{BTreeSet, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::bail;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use crate::prefect_client::{snippet, Client};
use crate::{coerce, db::Db, fixtures, prefect_client, pyjson};

/// The reference's largest page.
const PAGE: usize = 200;
/// How many ids go in one `any_` list when fetching referenced rows.
const ID_CHUNK: usize = 200;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The Prefect API URL, e.g. http://127.0.0.1:4200/api (`/api` is
    /// added when the URL has no `/api` in its path).
    #[arg(long = "from", env = "PREFECT_API_URL")]
    pub from: String,
    /// Output fixture file (written whole or not at all).
    #[arg(long)]
    pub out: PathBuf,
    /// Prefect Cloud API key: sent as `Authorization: Bearer KEY`.
    #[arg(long, env = "PREFECT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// `user:password` for a self-hosted server with an auth string: sent as
    /// HTTP basic auth.
    #[arg(long, env = "PREFECT_API_AUTH_STRING", hide_env_values = true)]
    pub auth_string: Option<String>,
    /// Only artifacts whose flow run belongs to this flow (by name;
    /// repeatable).
    #[arg(long = "flow")]
    pub flows: Vec<String>,
    /// Only artifacts created at or after this time (ISO 8601, e.g.
    /// 2026-01-31 or 2026-01-31T12:00:00Z).
    #[arg(long)]
    pub since: Option<String>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// What one import read, for the final summary line.
#[derive(Debug, Default)]
pub struct Summary {
    pub counts: Vec<(&'static str, usize)>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .counts
            .iter()
            .map(|(n, c)| format!("{c} {}", if *n == "artifact_collections" { "latest-by-key rows".into() } else { n.replace('_', " ") }))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// The API base URL for `--from` (see [`prefect_client::api_base`]).
pub fn api_base(from: &str) -> anyhow::Result<String> {
    prefect_client::api_base(from, "--from")
}

fn parse_since(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    coerce::datetime(&Value::String(s.to_string()))
        .map_err(|p| anyhow::anyhow!("--since {s:?} is not a date or time: {}", p.msg))
}

/// The filter reads `import` makes, on top of the shared client.
trait Filters {
    fn filter(&self, path: &str, body: &Value) -> anyhow::Result<Vec<Value>>;
    fn count(&self, path: &str, body: &Value) -> Option<usize>;
}

impl Filters for Client {
    /// POST a filter body; the answer must be a JSON list of objects.
    fn filter(&self, path: &str, body: &Value) -> anyhow::Result<Vec<Value>> {
        let bytes = self.call("POST", path, Some(body))?;
        // A list around each row: one level of envelope on top of the
        // program's nesting limit, as the fixture loader allows.
        match pyjson::loads_within(&bytes, 1) {
            Ok(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items),
            _ => bail!(
                "POST {}{path} did not answer a JSON list of objects ({}): {} is not a Prefect 3 API",
                self.base,
                snippet(&bytes),
                self.base
            ),
        }
    }

    fn count(&self, path: &str, body: &Value) -> Option<usize> {
        let bytes = self.call("POST", path, Some(body)).ok()?;
        serde_json::from_slice::<Value>(&bytes).ok()?.as_u64().map(|n| n as usize)
    }
}

/// A progress line on stderr: redrawn in place on a terminal, one line per
/// table otherwise.
struct Progress {
    enabled: bool,
    tty: bool,
    last: Instant,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        Progress { enabled: !quiet, tty: std::io::stderr().is_terminal(), last: Instant::now() }
    }

    fn update(&mut self, label: &str, done: usize, total: Option<usize>) {
        if !self.enabled || !self.tty || self.last.elapsed() < Duration::from_millis(80) {
            return;
        }
        self.last = Instant::now();
        let line = match total {
            Some(t) if t > 0 => {
                let width = 30;
                let filled = (done.min(t) * width) / t;
                format!("{label:<22} [{}{}] {done}/{t}", "#".repeat(filled), "-".repeat(width - filled))
            }
            _ => format!("{label:<22} {done}"),
        };
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    fn finish(&mut self, label: &str, done: usize) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = writeln!(err, "{label:<22} {done}");
    }

    fn note(&self, msg: &str) {
        if self.enabled {
            eprintln!("{msg}");
        }
    }
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

fn created_of(v: &Value) -> Option<DateTime<Utc>> {
    v.get("created")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// One paged read: the endpoint, its filter and order, the label its
/// progress shows, and when to stop early.
#[derive(Clone, Copy)]
struct Paged<'a> {
    endpoint: &'a str,
    families: &'a Map<String, Value>,
    sort: Option<&'a str>,
    label: &'a str,
    stop: &'a dyn Fn(&Value) -> bool,
}

/// Every page of one filter endpoint, each row handed to `sink` as it
/// arrives (so memory holds one page, whatever the server's size). `stop`
/// ends paging early once a page holds a row it is true for (rows come
/// newest first when it is used). Returns how many rows went to `sink`.
fn read_all(
    client: &Client,
    q: &Paged,
    progress: &mut Progress,
    sink: &mut dyn FnMut(Value) -> anyhow::Result<()>,
) -> anyhow::Result<usize> {
    let Paged { endpoint, families, sort, label, stop } = *q;
    let total = client.count(&format!("{endpoint}/count"), &Value::Object(families.clone()));
    let mut done = 0;
    // Rows added while paging shift a row from the end of one page to the
    // start of the next: the ids of the last two pages catch that repeat
    // (and stay bounded; a repeat from further back would take more than a
    // page of rows added between two reads, and only loads as an upsert).
    let mut recent: [HashSet<String>; 2] = Default::default();
    let mut offset = 0;
    loop {
        let mut body = families.clone();
        body.insert("limit".into(), json!(PAGE));
        body.insert("offset".into(), json!(offset));
        if let Some(s) = sort {
            body.insert("sort".into(), json!(s));
        }
        let page = client.filter(&format!("{endpoint}/filter"), &Value::Object(body))?;
        let n = page.len();
        let mut stopping = false;
        let mut ids = HashSet::new();
        for item in page {
            if stop(&item) {
                stopping = true;
                continue;
            }
            let fresh = match id_of(&item) {
                Some(id) => !recent.iter().any(|r| r.contains(id)) && ids.insert(id.to_string()),
                None => true,
            };
            if fresh {
                sink(item)?;
                done += 1;
            }
        }
        recent = [std::mem::take(&mut recent[1]), ids];
        progress.update(label, done, total);
        if n < PAGE || stopping {
            break;
        }
        offset += n;
    }
    Ok(done)
}

/// [`read_all`] into a list (the narrowed import, whose size is the
/// selection's).
fn read_list(client: &Client, q: &Paged, progress: &mut Progress) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    read_all(client, q, progress, &mut |v| {
        out.push(v);
        Ok(())
    })?;
    Ok(out)
}

/// Rows of `endpoint` whose `id` (or another field) is in `ids`, in chunks.
fn read_by(
    client: &Client,
    endpoint: &str,
    family: &str,
    field: &str,
    ids: &BTreeSet<String>,
    label: &str,
    progress: &mut Progress,
) -> anyhow::Result<Vec<Value>> {
    let ids: Vec<&String> = ids.iter().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        let mut families = Map::new();
        families.insert(family.into(), json!({ field: { "any_": chunk } }));
        let q = Paged { endpoint, families: &families, sort: None, label, stop: &|_| false };
        let rows = read_list(client, &q, progress)?;
        out.extend(rows);
        progress.update(label, out.len(), Some(ids.len()));
    }
    Ok(out)
}

fn field_ids(rows: &[Value], field: &str) -> BTreeSet<String> {
    rows.iter().filter_map(|r| r.get(field).and_then(Value::as_str)).map(String::from).collect()
}

/// Reads the server into `out`, one row at a time.
fn read_server(args: &ImportArgs, progress_quiet: bool, out: &mut FixtureWriter) -> anyhow::Result<Summary> {
    let base = api_base(&args.from)?;
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let client = Client::new(base.clone(), args.api_key.as_deref(), args.auth_string.as_deref());
    let mut progress = Progress::new(progress_quiet);

    // A Prefect server names its version here; Prefect Cloud does not
    // serve the admin routes, so there the filters decide.
    match client.version()? {
        Some(v) => progress.note(&format!("importing from {base} (Prefect {v})")),
        None => progress.note(&format!("importing from {base}")),
    }

    let none = |_: &Value| false;
    let narrowed = !args.flows.is_empty() || since.is_some();
    let mut summary = Summary::default();
    if !narrowed {
        // Straight to the file, page by page, in the fixture's key order.
        let all = Map::new();
        for (name, endpoint, sort, label) in [
            ("flows", "/flows", None, "flows"),
            ("deployments", "/deployments", None, "deployments"),
            ("flow_runs", "/flow_runs", None, "flow runs"),
            ("task_runs", "/task_runs", None, "task runs"),
            ("artifacts", "/artifacts", Some("ID_DESC"), "artifacts"),
            ("artifact_collections", "/artifacts/latest", Some("ID_DESC"), "latest-by-key rows"),
        ] {
            out.array(name)?;
            let q = Paged { endpoint, families: &all, sort, label, stop: &none };
            let n = read_all(&client, &q, &mut progress, &mut |v| out.item(&v))?;
            out.end_array()?;
            progress.finish(label, n);
            summary.counts.push((name, n));
        }
        return Ok(summary);
    }
    let (flows, deployments, flow_runs, task_runs, artifacts, collections);
    {
        let mut families = Map::new();
        if !args.flows.is_empty() {
            families.insert("flows".into(), json!({ "name": { "any_": args.flows } }));
        }
        // Newest first, so that paging stops at the first row older than
        // --since (artifact filters have no time field).
        let older = |v: &Value| match (since, created_of(v)) {
            (Some(s), Some(c)) => c < s,
            _ => false,
        };
        artifacts =
            read_list(&client, &Paged { endpoint: "/artifacts", families: &families, sort: Some("CREATED_DESC"), label: "artifacts", stop: &older }, &mut progress)?;
        progress.finish("artifacts", artifacts.len());
        // The latest row of a key comes along when it points at an imported
        // artifact; otherwise loading derives it from the imported versions.
        let chosen: HashSet<&str> = artifacts.iter().filter_map(id_of).collect();
        let keys = field_ids(&artifacts, "key");
        collections = read_by(&client, "/artifacts/latest", "artifacts", "key", &keys, "latest-by-key rows", &mut progress)?
            .into_iter()
            .filter(|c| c.get("latest_id").and_then(Value::as_str).is_some_and(|id| chosen.contains(id)))
            .collect::<Vec<_>>();
        progress.finish("latest-by-key rows", collections.len());
        let task_run_ids = field_ids(&artifacts, "task_run_id");
        task_runs = read_by(&client, "/task_runs", "task_runs", "id", &task_run_ids, "task runs", &mut progress)?;
        progress.finish("task runs", task_runs.len());
        let mut flow_run_ids = field_ids(&artifacts, "flow_run_id");
        flow_run_ids.extend(field_ids(&task_runs, "flow_run_id"));
        flow_runs = read_by(&client, "/flow_runs", "flow_runs", "id", &flow_run_ids, "flow runs", &mut progress)?;
        progress.finish("flow runs", flow_runs.len());
        let flow_ids = field_ids(&flow_runs, "flow_id");
        flows = read_by(&client, "/flows", "flows", "id", &flow_ids, "flows", &mut progress)?;
        progress.finish("flows", flows.len());
        let deployment_ids = field_ids(&flow_runs, "deployment_id");
        deployments =
            read_by(&client, "/deployments", "deployments", "id", &deployment_ids, "deployments", &mut progress)?;
        progress.finish("deployments", deployments.len());
    }
    for (name, rows) in [
        ("flows", flows),
        ("deployments", deployments),
        ("flow_runs", flow_runs),
        ("task_runs", task_runs),
        ("artifacts", artifacts),
        ("artifact_collections", collections),
    ] {
        summary.counts.push((name, rows.len()));
        out.array(name)?;
        for v in &rows {
            out.item(v)?;
        }
        out.end_array()?;
    }
    Ok(summary)
}

/// A fixture written as it is read: `{"format_version":1,"flows":[...],...}`,
/// the bytes `to_pydantic_json` gives for the whole document.
struct FixtureWriter {
    w: std::io::BufWriter<tempfile::NamedTempFile>,
    first: bool,
}

impl FixtureWriter {
    fn new(tmp: tempfile::NamedTempFile) -> anyhow::Result<FixtureWriter> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp);
        write!(w, "{{\"format_version\":{}", fixtures::FORMAT_VERSION)?;
        Ok(FixtureWriter { w, first: true })
    }

    fn array(&mut self, name: &str) -> anyhow::Result<()> {
        write!(self.w, ",\"{name}\":[")?;
        self.first = true;
        Ok(())
    }

    fn item(&mut self, v: &Value) -> anyhow::Result<()> {
        if !std::mem::replace(&mut self.first, false) {
            self.w.write_all(b",")?;
        }
        self.w.write_all(pyjson::to_pydantic_json(v).as_bytes())?;
        Ok(())
    }

    fn end_array(&mut self) -> anyhow::Result<()> {
        self.w.write_all(b"]")?;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<tempfile::NamedTempFile> {
        self.w.write_all(b"}")?;
        Ok(self.w.into_inner().map_err(|e| e.into_error())?)
    }
}

/// Renames the written fixture to `out` after checking that it loads (into
/// a throwaway database on disk, so memory stays flat there too).
fn check_and_persist(tmp: tempfile::NamedTempFile, out: &Path) -> anyhow::Result<()> {
    fixtures::file::finish(&tmp)?;
    let check = Db::open(":memory:")?;
    fixtures::load(&check, &[tmp.path().to_path_buf()])
        .map_err(|e| anyhow::anyhow!("the server's answers do not load as a fixture: {e:#}"))?;
    drop(check);
    fixtures::file::persist(tmp, out)
}

/// `artifactd import`.
pub fn run(args: &ImportArgs) -> anyhow::Result<()> {
    let mut out = FixtureWriter::new(fixtures::file::temp_beside(&args.out)?)?;
    let summary = read_server(args, args.quiet, &mut out)?;
    check_and_persist(out.finish()?, &args.out)?;
    if !args.quiet {
        eprintln!("wrote {}: {summary}", args.out.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_adds_api_once() {
        assert_eq!(api_base("http://h:4200").unwrap(), "http://h:4200/api");
        assert_eq!(api_base("http://h:4200/").unwrap(), "http://h:4200/api");
        assert_eq!(api_base("http://h:4200/api/").unwrap(), "http://h:4200/api");
        assert_eq!(
            api_base("https://api.prefect.cloud/api/accounts/a/workspaces/w").unwrap(),
            "https://api.prefect.cloud/api/accounts/a/workspaces/w"
        );
        assert!(api_base("h:4200").is_err());
        assert!(api_base("ftp://h").is_err());
    }

    #[test]
    fn since_accepts_dates_and_times() {
        assert!(parse_since("2026-01-31T12:00:00Z").is_ok());
        assert!(parse_since("2026-01-31").is_ok());
        assert!(parse_since("yesterday-ish").is_err());
    }
}
