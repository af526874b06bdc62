//! Request scenarios recorded from Prefect 3.9.1 (`scripts/record-scenarios`,
//! files under tests/data/scenarios/), replayed in order against a fresh
//! artifactd. Ids and timestamps are minted by each server, so both answers
//! are compared after masking them: every UUID becomes the number of its
//! first appearance, every timestamp `<time>`, every estimate `<seconds>`.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::spawn_app;

#[derive(serde::Deserialize)]
struct Step {
    method: String,
    path: String,
    body: Option<String>,
    save: Option<String>,
    status: u16,
    response: String,
}

fn load(name: &str) -> Vec<Step> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenarios").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[derive(Default)]
struct Masks(HashMap<String, usize>);

impl Masks {
    fn mask(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) if uuid::Uuid::try_parse(s).is_ok() => {
                let n = self.0.len();
                Value::String(format!("<id {}>", self.0.entry(s.to_ascii_lowercase()).or_insert(n)))
            }
            Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Value::String("<time>".into()),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.mask(i)).collect()),
            // Estimates grow with the time a request takes to answer.
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| match k.as_str() {
                        "estimated_run_time" | "estimated_start_time_delta" => (k.clone(), Value::String("<seconds>".into())),
                        // The same estimates in run history and the UI's scatter chart, and
                        // the run time they come from (how long a test takes to send two states).
                        "sum_estimated_run_time" | "sum_estimated_lateness" | "duration" | "lateness" | "total_run_time" => {
                            (k.clone(), Value::String("<seconds>".into()))
                        }
                        // Maps keyed by id (`/ui/flows/count-deployments`).
                        _ if uuid::Uuid::try_parse(k).is_ok() => {
                            let key = self.mask(&Value::String(k.clone()));
                            (key.as_str().unwrap_or_default().to_string(), self.mask(v))
                        }
                        _ => (k.clone(), self.mask(v)),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn text(&mut self, text: &str) -> String {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => self.mask(&v).to_string(),
            Err(_) => self.mask_ids_in(text),
        }
    }

    /// Ids inside plain text (a CSV download), masked where they stand.
    fn mask_ids_in(&mut self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while !rest.is_empty() {
            let candidate = rest.get(..36).filter(|c| c.as_bytes()[8] == b'-' && uuid::Uuid::try_parse(c).is_ok());
            match candidate {
                Some(c) => {
                    let n = self.0.len();
                    out.push_str(&format!("<id {}>", self.0.entry(c.to_ascii_lowercase()).or_insert(n)));
                    rest = &rest[36..];
                }
                None => {
                    let ch = rest.chars().next().unwrap_or_default();
                    out.push(ch);
                    rest = &rest[ch.len_utf8()..];
                }
            }
        }
        out
    }
}

async fn replay(name: &str) {
    let app = spawn_app().await;
    let steps = load(name);
    let (mut ours, mut theirs) = (Masks::default(), Masks::default());
    let mut saved: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let mut path = step.path.clone();
        for (k, v) in &saved {
            path = path.replace(&format!("{{{k}}}"), v);
        }
        let mut body = step.body.clone();
        for (k, v) in &saved {
            body = body.map(|b| b.replace(&format!("{{{k}}}"), v));
        }
        let r = app.send(&step.method, &path, body.as_deref()).await;
        if let Some(k) = &step.save {
            if let Some(id) = serde_json::from_str::<Value>(&r.text).ok().and_then(|v| v["id"].as_str().map(str::to_string)) {
                saved.push((k.clone(), id));
            }
        }
        let (got, want) = (ours.text(&r.text), theirs.text(&step.response));
        // Field order matters on the wire: compare the masked texts.
        if r.status != step.status || got != want {
            // Show both from a little before where they first differ.
            let at = got.chars().zip(want.chars()).take_while(|(a, b)| a == b).count().saturating_sub(120);
            let clip = |s: &str| s.chars().skip(if s == got || s == want { at } else { 0 }).take(400).collect::<String>();
            failures.push(format!(
                "step {i}: {} {} {}\n  reference: {} {}\n  artifactd: {} {}",
                step.method,
                step.path,
                clip(step.body.as_deref().unwrap_or("")),
                step.status,
                clip(&want),
                r.status,
                clip(&got)
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} steps differ:\n{}", failures.len(), steps.len(), failures.join("\n"));
}

#[tokio::test]
async fn variables_answer_as_the_reference() {
    replay("variables").await;
}

#[tokio::test]
async fn flow_run_inputs_answer_as_the_reference() {
    replay("flow_run_inputs").await;
}

#[tokio::test]
async fn ui_run_endpoints_answer_as_the_reference() {
    replay("ui_runs").await;
}

#[tokio::test]
async fn flow_run_graph_answers_as_the_reference() {
    replay("flow_run_graph").await;
}

#[tokio::test]
async fn work_pools_and_queues_answer_as_the_reference() {
    replay("work_pools").await;
}

#[tokio::test]
async fn saved_searches_answer_as_the_reference() {
    replay("saved_searches").await;
}

#[tokio::test]
async fn ui_schema_validation_answers_as_the_reference() {
    replay("ui_schemas").await;
}
