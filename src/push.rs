//! `artifactd push`: replays fixtures into a live Prefect 3 server through
//! its public REST API, so the fixture that seeds artifactd in tests can
//! seed a staging Prefect server too.
//!
//! The fixtures are first loaded into a throwaway database (the same
//! validation as `seed`, so a bad fixture fails before anything is sent)
//! and read back in the shared format. Rows go in reference order: flows,
//! deployments, flow and task runs (each after the rows it points at),
//! artifacts. Prefect lets a client choose the id of a task run only, so
//! task runs keep theirs; flows, deployments, flow runs and artifacts get
//! the server's, and every reference to them is rewritten (old -> new).

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Map, Value};

use crate::prefect_client::{self, snippet_of, Client};
use crate::{db::Db, fixtures};

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The Prefect API URL, e.g. http://127.0.0.1:4200/api (`/api` is
    /// added when the URL has no `/api` in its path).
    #[arg(long = "to", env = "PREFECT_API_URL")]
    pub to: String,
    /// Prefect Cloud API key: sent as `Authorization: Bearer KEY`.
    #[arg(long, env = "PREFECT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// `user:password` for a self-hosted server with an auth string: sent as
    /// HTTP basic auth.
    #[arg(long, env = "PREFECT_API_AUTH_STRING", hide_env_values = true)]
    pub auth_string: Option<String>,
    /// No progress output (the summary line still prints).
    #[arg(long, short)]
    pub quiet: bool,
    /// Fixture files, or folders whose *.json files load in name order.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// The kinds pushed, in order, with their singular and plural names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    Flow,
    Deployment,
    FlowRun,
    TaskRun,
    Artifact,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Flow, Kind::Deployment, Kind::FlowRun, Kind::TaskRun, Kind::Artifact];

    fn noun(self, n: usize) -> &'static str {
        match (self, n == 1) {
            (Kind::Flow, true) => "flow",
            (Kind::Flow, false) => "flows",
            (Kind::Deployment, true) => "deployment",
            (Kind::Deployment, false) => "deployments",
            (Kind::FlowRun, true) => "flow run",
            (Kind::FlowRun, false) => "flow runs",
            (Kind::TaskRun, true) => "task run",
            (Kind::TaskRun, false) => "task runs",
            (Kind::Artifact, true) => "artifact",
            (Kind::Artifact, false) => "artifacts",
        }
    }

    fn array(self) -> &'static str {
        match self {
            Kind::Flow => "flows",
            Kind::Deployment => "deployments",
            Kind::FlowRun => "flow_runs",
            Kind::TaskRun => "task_runs",
            Kind::Artifact => "artifacts",
        }
    }

    fn endpoint(self) -> &'static str {
        match self {
            Kind::Flow => "/flows/",
            Kind::Deployment => "/deployments/",
            Kind::FlowRun => "/flow_runs/",
            Kind::TaskRun => "/task_runs/",
            Kind::Artifact => "/artifacts/",
        }
    }
}

/// Counts pushed and to push, per kind, and the progress line.
struct Tally {
    total: HashMap<Kind, usize>,
    done: HashMap<Kind, usize>,
    quiet: bool,
    tty: bool,
    last: Instant,
}

impl Tally {
    fn done(&self, k: Kind) -> usize {
        self.done.get(&k).copied().unwrap_or(0)
    }

    fn total(&self, k: Kind) -> usize {
        self.total.get(&k).copied().unwrap_or(0)
    }

    fn line(&self, k: Kind) -> String {
        format!("pushed {}/{} {}", self.done(k), self.total(k), k.noun(self.total(k)))
    }

    fn pushed(&mut self, k: Kind) {
        *self.done.entry(k).or_insert(0) += 1;
        if self.quiet || !self.tty || self.last.elapsed() < Duration::from_millis(80) {
            return;
        }
        self.last = Instant::now();
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K{}", self.line(k));
        let _ = err.flush();
    }

    /// The final line of a kind: in place on a terminal, a plain line
    /// otherwise.
    fn finish(&self, kinds: &[Kind]) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr();
        for &k in kinds {
            if self.tty {
                let _ = write!(err, "\r\x1b[2K");
            }
            let _ = writeln!(err, "{}", self.line(k));
        }
    }

    /// What went in before a refusal, e.g. "5 flows, 3 deployments and 2
    /// of 19 flow runs".
    fn before(&self, refused: Kind) -> String {
        let mut parts = Vec::new();
        for k in Kind::ALL {
            let d = self.done(k);
            if k == refused || (d > 0 && d < self.total(k)) {
                parts.push(format!("{d} of {} {}", self.total(k), k.noun(self.total(k))));
            } else if d > 0 {
                parts.push(format!("{d} {}", k.noun(d)));
            }
        }
        parts.join(", ")
    }

    fn summary(&self) -> String {
        Kind::ALL.iter().map(|&k| format!("{} {}", self.done(k), k.noun(self.done(k)))).collect::<Vec<_>>().join(", ")
    }
}

struct Pusher<'a> {
    client: &'a Client,
    /// Fixture id -> the server's id, for every row pushed.
    ids: HashMap<String, String>,
    tally: Tally,
}

fn str_of<'v>(row: &'v Value, field: &str) -> Option<&'v str> {
    row.get(field).and_then(Value::as_str)
}

/// The row's fields that a create body takes, copied when present.
fn pick(row: &Value, fields: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        if let Some(v) = row.get(*f) {
            out.insert((*f).to_string(), v.clone());
        }
    }
    out
}

impl Pusher<'_> {
    /// A reference rewritten through the map; one to a row outside the
    /// fixtures is sent as it is (the server decides).
    fn map_id(&self, v: &Value) -> Value {
        match v.as_str() {
            Some(s) => Value::String(self.ids.get(s).cloned().unwrap_or_else(|| s.to_string())),
            None => v.clone(),
        }
    }

    fn remap(&self, body: &mut Map<String, Value>, fields: &[&str]) {
        for f in fields {
            if let Some(v) = body.get(*f) {
                let mapped = self.map_id(v);
                body.insert((*f).to_string(), mapped);
            }
        }
    }

    /// Label values naming a pushed row (e.g. `prefect.flow.id`) follow it.
    fn remap_labels(&self, body: &mut Map<String, Value>) {
        if let Some(Value::Object(labels)) = body.get_mut("labels") {
            for v in labels.values_mut() {
                if let Some(new) = v.as_str().and_then(|s| self.ids.get(s)) {
                    *v = Value::String(new.clone());
                }
            }
        }
    }

    /// POST one row; the server's answer, or the error naming the row and
    /// how much went in before it.
    fn create(&mut self, kind: Kind, row: &Value, path: &str, body: &Value) -> anyhow::Result<Value> {
        let (status, bytes) = self.client.send("POST", path, Some(body))?;
        if !(200..=299).contains(&status) {
            if matches!(status, 401 | 403) {
                return Err(self.client.refused("POST", path, status, &bytes));
            }
            let id = str_of(row, "id").unwrap_or("(none)");
            let label = match kind {
                Kind::Artifact => format!("key {:?}", str_of(row, "key").unwrap_or("")),
                _ => format!("name {:?}", str_of(row, "name").unwrap_or("")),
            };
            bail!(
                "the server refused {} {id} ({label}): POST {}{path} answered {status}: {}\npushed {} before the refusal",
                kind.noun(1),
                self.client.base,
                snippet_of(&bytes, 600),
                self.tally.before(kind)
            );
        }
        let answer: Value = serde_json::from_slice(&bytes)
            .ok()
            .filter(Value::is_object)
            .with_context(|| format!("POST {}{path} did not answer a JSON object", self.client.base))?;
        if let (Some(old), Some(new)) = (str_of(row, "id"), str_of(&answer, "id")) {
            self.ids.insert(old.to_string(), new.to_string());
        }
        self.tally.pushed(kind);
        Ok(answer)
    }

    fn flow(&mut self, row: &Value) -> anyhow::Result<()> {
        let body = pick(row, &["name", "tags", "labels"]);
        self.create(Kind::Flow, row, Kind::Flow.endpoint(), &Value::Object(body)).map(drop)
    }

    fn deployment(&mut self, row: &Value) -> anyhow::Result<()> {
        // Work pools, queues, blocks and concurrency limits are not pushed,
        // so the fields naming them stay unset.
        let mut body = pick(
            row,
            &[
                "name",
                "flow_id",
                "paused",
                "concurrency_limit",
                "concurrency_options",
                "enforce_parameter_schema",
                "parameter_openapi_schema",
                "parameters",
                "tags",
                "labels",
                "pull_steps",
                "description",
                "path",
                "version",
                "entrypoint",
                "job_variables",
            ],
        );
        self.remap(&mut body, &["flow_id"]);
        self.remap_labels(&mut body);
        if let Some(Value::Array(schedules)) = row.get("schedules") {
            let s: Vec<Value> = schedules
                .iter()
                .map(|s| Value::Object(pick(s, &["active", "schedule", "max_scheduled_runs", "parameters", "slug"])))
                .collect();
            body.insert("schedules".into(), Value::Array(s));
        }
        self.create(Kind::Deployment, row, Kind::Deployment.endpoint(), &Value::Object(body)).map(drop)
    }

    /// A run's state as a create body takes it (the server stamps the
    /// time), its ids rewritten. A child flow run not pushed yet is left
    /// out; `deferred` collects such runs so their state is set again later.
    fn state(&self, row: &Value) -> (Option<Value>, bool) {
        let Some(state) = row.get("state").filter(|s| s.is_object()) else {
            return (None, false);
        };
        let mut out = pick(state, &["type", "name", "message"]);
        let mut missing_child = false;
        if let Some(Value::Object(details)) = state.get("state_details") {
            let mut d = details.clone();
            // Ids of things a push does not carry.
            for f in ["transition_id", "task_parameters_id", "deployment_concurrency_lease_id"] {
                d.remove(f);
            }
            for f in ["flow_run_id", "task_run_id", "child_flow_run_id"] {
                if let Some(s) = d.get(f).and_then(Value::as_str).map(String::from) {
                    match self.ids.get(&s) {
                        Some(new) => {
                            d.insert(f.into(), Value::String(new.clone()));
                        }
                        None if f == "child_flow_run_id" => {
                            d.remove(f);
                            missing_child = true;
                        }
                        None => {}
                    }
                }
            }
            out.insert("state_details".into(), Value::Object(d));
        }
        (Some(Value::Object(out)), missing_child)
    }

    fn flow_run(&mut self, row: &Value) -> anyhow::Result<()> {
        let mut body = pick(
            row,
            &[
                "name",
                "flow_id",
                "deployment_id",
                "flow_version",
                "parameters",
                "context",
                "parent_task_run_id",
                "empirical_policy",
                "tags",
                "labels",
                "idempotency_key",
                "job_variables",
            ],
        );
        self.remap(&mut body, &["flow_id", "deployment_id", "parent_task_run_id"]);
        self.remap_labels(&mut body);
        let (state, _) = self.state(row);
        if let Some(s) = state {
            body.insert("state".into(), s);
        }
        self.create(Kind::FlowRun, row, Kind::FlowRun.endpoint(), &Value::Object(body)).map(drop)
    }

    /// Returns true when the state must be set again once its child flow
    /// run exists.
    fn task_run(&mut self, row: &Value) -> anyhow::Result<bool> {
        let mut body = pick(
            row,
            &[
                "id",
                "name",
                "flow_run_id",
                "task_key",
                "dynamic_key",
                "cache_key",
                "cache_expiration",
                "task_version",
                "empirical_policy",
                "tags",
                "labels",
                "task_inputs",
            ],
        );
        self.remap(&mut body, &["flow_run_id"]);
        self.remap_labels(&mut body);
        // Inputs name upstream task runs or flow runs by id.
        if let Some(Value::Object(inputs)) = body.get("task_inputs").cloned() {
            let mut mapped = Map::new();
            for (name, refs) in inputs {
                let refs = match refs {
                    Value::Array(items) => Value::Array(
                        items
                            .into_iter()
                            .map(|mut r| {
                                if let Some(id) = r.get("id").map(|v| self.map_id(v)) {
                                    r["id"] = id;
                                }
                                r
                            })
                            .collect(),
                    ),
                    other => other,
                };
                mapped.insert(name, refs);
            }
            body.insert("task_inputs".into(), Value::Object(mapped));
        }
        let (state, missing_child) = self.state(row);
        if let Some(s) = state {
            body.insert("state".into(), s);
        }
        self.create(Kind::TaskRun, row, Kind::TaskRun.endpoint(), &Value::Object(body))?;
        Ok(missing_child)
    }

    /// Sets a task run's state again, as the fixture has it, now that its
    /// child flow run exists.
    fn reset_state(&mut self, row: &Value) -> anyhow::Result<()> {
        let (Some(id), (Some(state), _)) = (str_of(row, "id"), self.state(row)) else {
            return Ok(());
        };
        let new = self.ids.get(id).cloned().unwrap_or_else(|| id.to_string());
        let path = format!("/task_runs/{new}/set_state");
        let (status, bytes) = self.client.send("POST", &path, Some(&json!({"state": state, "force": true})))?;
        if !(200..=299).contains(&status) {
            bail!(
                "the server refused the state of task run {id}: POST {}{path} answered {status}: {}",
                self.client.base,
                snippet_of(&bytes, 600)
            );
        }
        Ok(())
    }

    fn artifact(&mut self, row: &Value) -> anyhow::Result<()> {
        let mut body = pick(row, &["key", "type", "description", "data", "metadata_", "flow_run_id", "task_run_id"]);
        self.remap(&mut body, &["flow_run_id", "task_run_id"]);
        self.create(Kind::Artifact, row, Kind::Artifact.endpoint(), &Value::Object(body)).map(drop)
    }
}

fn rows(doc: &Value, kind: Kind) -> Vec<&Value> {
    doc.get(kind.array()).and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default()
}

fn created_then_id(a: &Value, b: &Value) -> std::cmp::Ordering {
    // Stored times share one format, so they sort as strings.
    (str_of(a, "created"), str_of(a, "id")).cmp(&(str_of(b, "created"), str_of(b, "id")))
}

/// Flow and task runs in an order where each comes after what it points
/// at: a task run after its flow run, a subflow's run after its parent
/// task run. Otherwise by `created`.
fn run_order<'d>(flow_runs: &[&'d Value], task_runs: &[&'d Value]) -> Vec<(Kind, &'d Value)> {
    let mut all: Vec<(Kind, &Value)> =
        flow_runs.iter().map(|r| (Kind::FlowRun, *r)).chain(task_runs.iter().map(|r| (Kind::TaskRun, *r))).collect();
    all.sort_by(|a, b| created_then_id(a.1, b.1));
    let in_fixture: HashSet<&str> = all.iter().filter_map(|(_, r)| str_of(r, "id")).collect();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(all.len());
    let mut pending = all;
    while !pending.is_empty() {
        let before = out.len();
        let mut rest = Vec::new();
        for (kind, row) in pending {
            let dep = match kind {
                Kind::FlowRun => str_of(row, "parent_task_run_id"),
                _ => str_of(row, "flow_run_id"),
            };
            if dep.is_none_or(|d| !in_fixture.contains(d) || placed.contains(d)) {
                if let Some(id) = str_of(row, "id") {
                    placed.insert(id);
                }
                out.push((kind, row));
            } else {
                rest.push((kind, row));
            }
        }
        if out.len() == before {
            // A cycle of references: the rest go as they are.
            out.extend(rest);
            break;
        }
        pending = rest;
    }
    out
}

/// `artifactd push`.
pub fn run(args: &PushArgs) -> anyhow::Result<()> {
    let base = prefect_client::api_base(&args.to, "--to")?;
    // The same checks as `seed`, before anything is sent.
    let check = Db::open(":memory:")?;
    fixtures::load(&check, &args.paths)?;
    let doc = fixtures::export(&check)?;
    drop(check);

    let client = Client::new(base.clone(), args.api_key.as_deref(), args.auth_string.as_deref());
    let started = Instant::now();
    let version = client.version()?;
    if !args.quiet {
        match &version {
            Some(v) => eprintln!("pushing to {base} (Prefect {v})"),
            None => eprintln!("pushing to {base}"),
        }
    }

    let mut flows = rows(&doc, Kind::Flow);
    let mut deployments = rows(&doc, Kind::Deployment);
    let flow_runs = rows(&doc, Kind::FlowRun);
    let task_runs = rows(&doc, Kind::TaskRun);
    let mut artifacts = rows(&doc, Kind::Artifact);
    flows.sort_by(|a, b| created_then_id(a, b));
    deployments.sort_by(|a, b| created_then_id(a, b));
    // Each key's latest version is the last one the server receives.
    artifacts.sort_by(|a, b| created_then_id(a, b));
    let total = HashMap::from([
        (Kind::Flow, flows.len()),
        (Kind::Deployment, deployments.len()),
        (Kind::FlowRun, flow_runs.len()),
        (Kind::TaskRun, task_runs.len()),
        (Kind::Artifact, artifacts.len()),
    ]);
    let tally = Tally {
        total,
        done: HashMap::new(),
        quiet: args.quiet,
        tty: std::io::stderr().is_terminal(),
        last: Instant::now(),
    };
    let mut p = Pusher { client: &client, ids: HashMap::new(), tally };

    for r in &flows {
        p.flow(r)?;
    }
    p.tally.finish(&[Kind::Flow]);
    for r in &deployments {
        p.deployment(r)?;
    }
    p.tally.finish(&[Kind::Deployment]);
    // A subflow run's state is copied onto its parent task run by the
    // server (on every transition, forced or not), so parent task runs get
    // their own state back once all runs are in, as do task runs whose
    // child flow run did not exist yet when they were created.
    let parents: HashSet<&str> = flow_runs.iter().filter_map(|r| str_of(r, "parent_task_run_id")).collect();
    let mut again = Vec::new();
    for (kind, r) in run_order(&flow_runs, &task_runs) {
        match kind {
            Kind::FlowRun => p.flow_run(r)?,
            _ => {
                let missing_child = p.task_run(r)?;
                if missing_child || str_of(r, "id").is_some_and(|id| parents.contains(id)) {
                    again.push(r);
                }
            }
        }
    }
    for r in again {
        p.reset_state(r)?;
    }
    p.tally.finish(&[Kind::FlowRun, Kind::TaskRun]);
    for r in &artifacts {
        p.artifact(r)?;
    }
    p.tally.finish(&[Kind::Artifact]);
    eprintln!("pushed {} to {base} in {:.1}s", p.tally.summary(), started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_come_after_what_they_point_at() {
        // The subflow run is older than its parent task run, and the task
        // run older than its flow run: order by reference, not by time.
        let parent = json!({"id": "fr1", "created": "2026-01-01T00:00:03Z"});
        let child = json!({"id": "fr2", "created": "2026-01-01T00:00:01Z", "parent_task_run_id": "tr1"});
        let task = json!({"id": "tr1", "created": "2026-01-01T00:00:02Z", "flow_run_id": "fr1"});
        let order: Vec<&str> =
            run_order(&[&parent, &child], &[&task]).iter().filter_map(|(_, r)| str_of(r, "id")).collect();
        assert_eq!(order, ["fr1", "tr1", "fr2"]);
    }
}
