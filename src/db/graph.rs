//! The flow run graph (`GET /flow_runs/{id}/graph-v2`): the task runs and
//! subflow runs of one flow run as nodes, with edges from their task inputs,
//! built by the same query the reference runs on SQLite so that nodes and
//! the (repeating) edge lists come out in the same order.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::orchestration::RunKind;
use crate::timefmt;

/// The task runs of a flow run that have a time (the reference leaves the
/// others out), each with its subflow runs, in the order the reference's
/// SQLite reads them: its unique index on `(flow_run_id, task_key,
/// dynamic_key)`, then a task's subflows by their index on
/// `parent_task_run_id`. `task_inputs` comes as JSON text.
const RUNS_SQL: &str = "
SELECT CASE WHEN flow_run.id IS NOT NULL THEN 'flow-run' ELSE 'task-run' END,
       coalesce(flow_run.id, task_run.id),
       coalesce(flow.name || ' / ' || flow_run.name, task_run.name),
       coalesce(flow_run.state_type, task_run.state_type),
       coalesce(flow_run.start_time, flow_run.expected_start_time, task_run.start_time, task_run.expected_start_time),
       coalesce(flow_run.end_time, task_run.end_time,
                CASE WHEN task_run.state_type = 'COMPLETED' THEN task_run.expected_start_time END),
       CASE WHEN json_valid(task_run.doc) THEN json_extract(task_run.doc, '$.task_inputs') END
FROM task_run
LEFT OUTER JOIN flow_run ON flow_run.parent_task_run_id = task_run.id
LEFT OUTER JOIN flow ON flow.id = flow_run.flow_id
WHERE task_run.flow_run_id = ?1
  AND coalesce(flow_run.start_time, flow_run.expected_start_time, task_run.start_time, task_run.expected_start_time) IS NOT NULL
ORDER BY task_run.task_key, task_run.dynamic_key, flow_run.rowid";

/// One row of the reference's `edges` CTE: a node and one of its task
/// input arguments (`parent`: the argument's `id`), or no argument.
struct EdgeRow {
    node: usize,
    parent: Option<String>,
    /// Whether the argument is under `__parents__` (None: no input at all).
    encapsulating: Option<bool>,
}

struct NodeRow {
    kind: String,
    id: String,
    label: Option<String>,
    state_type: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
}

/// The edge rows of one node from its `task_inputs` JSON text, as the
/// reference's two outer `json_each` joins produce them: one row per
/// argument, one row with no argument for an input whose list is empty (or
/// not a list), and one row with neither for a run with no inputs.
fn edge_rows(node: usize, inputs: Option<&str>, out: &mut Vec<EdgeRow>) {
    let parsed = inputs.and_then(|t| crate::pyjson::loads(t.as_bytes()).ok());
    let inputs = match &parsed {
        Some(Value::Object(m)) if !m.is_empty() => m,
        _ => {
            out.push(EdgeRow { node, parent: None, encapsulating: None });
            return;
        }
    };
    for (key, value) in inputs {
        let encapsulating = Some(key == "__parents__");
        let arguments: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(m) => m.values().collect(),
            _ => Vec::new(),
        };
        if arguments.is_empty() {
            out.push(EdgeRow { node, parent: None, encapsulating });
        }
        for a in arguments {
            let parent = a.as_object().and_then(|o| o.get("id")).and_then(Value::as_str).map(str::to_string);
            out.push(EdgeRow { node, parent, encapsulating });
        }
    }
}

/// The id lists the reference's `with_parents`, `with_children` and
/// `with_encapsulating` CTEs build, in their order: its SQLite scans the
/// child rows in `edges` order and, for each, every `edges` row of the
/// parent's id (so an id repeats once per edge row of the other end), and
/// groups keeping that order.
struct Edges {
    parents: HashMap<usize, Vec<String>>,
    children: HashMap<usize, Vec<String>>,
    encapsulating: HashMap<usize, Vec<String>>,
}

fn edges(nodes: &[NodeRow], rows: &[EdgeRow]) -> Result<Edges, GraphError> {
    let mut rows_of: HashMap<&str, usize> = HashMap::new();
    let mut node_of: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        *rows_of.entry(nodes[r.node].id.as_str()).or_default() += 1;
        node_of.entry(nodes[r.node].id.as_str()).or_insert(r.node);
    }
    let mut e = Edges { parents: HashMap::new(), children: HashMap::new(), encapsulating: HashMap::new() };
    let mut entries = 0usize;
    for r in rows {
        let Some(parent) = r.parent.as_deref() else { continue };
        let (Some(&times), Some(&parent_node)) = (rows_of.get(parent), node_of.get(parent)) else { continue };
        entries = entries.saturating_add(times.saturating_mul(2));
        if entries > MAX_EDGE_ENTRIES {
            return Err(GraphError::TooManyEdges);
        }
        let child_id = &nodes[r.node].id;
        if r.encapsulating == Some(true) {
            e.encapsulating.entry(r.node).or_default().extend(std::iter::repeat_n(parent.to_string(), times));
        } else {
            e.parents.entry(r.node).or_default().extend(std::iter::repeat_n(parent.to_string(), times));
            e.children.entry(parent_node).or_default().extend(std::iter::repeat_n(child_id.clone(), times));
        }
    }
    Ok(e)
}

/// The reference's artifacts of a flow run (not of its subflows), oldest
/// first; `type != 'result'` leaves out untyped artifacts too, as SQL's
/// NULL comparison does there.
const ARTIFACTS_SQL: &str = "
SELECT artifact.id, artifact.created, artifact.key, artifact.type, artifact.data, artifact.task_run_id,
       artifact_collection.id
FROM artifact
LEFT OUTER JOIN artifact_collection
  ON artifact_collection.key = artifact.key AND artifact_collection.latest_id = artifact.id
WHERE artifact.flow_run_id = ?1 AND artifact.type != 'result'
ORDER BY artifact.created ASC
LIMIT ?2";

/// At most this many entries in all edge lists together: an edge repeats
/// once per task input row of the other end (as in the reference), so a
/// few runs with thousands of inputs could otherwise multiply into
/// billions. Past it the graph is refused as too large to draw.
pub const MAX_EDGE_ENTRIES: usize = 2_000_000;

#[derive(Debug)]
pub enum GraphError {
    /// No flow run has the id.
    NotFound,
    /// More nodes than the limit: the reference's `FlowRunGraphTooLarge`.
    TooLarge,
    /// More edge entries than [`MAX_EDGE_ENTRIES`] (artifactd's own bound).
    TooManyEdges,
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for GraphError {
    fn from(e: rusqlite::Error) -> Self {
        GraphError::Sql(e)
    }
}

fn wire_time(t: Option<String>) -> Value {
    t.map(|t| Value::String(timefmt::to_wire(&t))).unwrap_or(Value::Null)
}

/// The artifacts by task run id (None: the flow run's own).
fn artifacts(conn: &Connection, flow_run_id: &str, max_artifacts: i64) -> rusqlite::Result<HashMap<Option<String>, Vec<Value>>> {
    let mut stmt = conn.prepare_cached(ARTIFACTS_SQL)?;
    let rows = stmt.query_map(rusqlite::params![flow_run_id, max_artifacts], |r| {
        let kind: Option<String> = r.get(3)?;
        let key: Option<String> = r.get(2)?;
        let latest: Option<String> = r.get(6)?;
        // Only a progress artifact's data is sent (the graph draws it).
        let data = match (kind.as_deref(), r.get::<_, Option<String>>(4)?) {
            (Some("progress"), Some(d)) => crate::pyjson::loads(d.as_bytes()).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        let a = json!({
            "id": r.get::<_, String>(0)?,
            "created": wire_time(r.get(1)?),
            "key": key,
            "type": kind,
            "is_latest": key.is_none() || latest.is_some(),
            "data": data,
        });
        Ok((r.get::<_, Option<String>>(5)?, a))
    })?;
    let mut out: HashMap<Option<String>, Vec<Value>> = HashMap::new();
    for row in rows {
        let (task, a) = row?;
        out.entry(task).or_default().push(a);
    }
    Ok(out)
}

/// The graph of flow run `flow_run_id`, as the reference's `Graph` JSON.
/// `since` is a stored timestamp: nodes that ended before it are left out.
pub fn read(conn: &Connection, flow_run_id: &str, since: &str, max_nodes: i64, max_artifacts: i64) -> Result<Value, GraphError> {
    let root: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached("SELECT coalesce(start_time, expected_start_time), end_time FROM flow_run WHERE id = ?1")?
        .query_row([flow_run_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((start_time, end_time)) = root else { return Err(GraphError::NotFound) };

    let by_task = artifacts(conn, flow_run_id, max_artifacts)?;
    let mut nodes: Vec<NodeRow> = Vec::new();
    let mut rows: Vec<EdgeRow> = Vec::new();
    {
        let mut stmt = conn.prepare_cached(RUNS_SQL)?;
        let mut q = stmt.query([flow_run_id])?;
        while let Some(r) = q.next()? {
            let inputs: Option<String> = r.get(6)?;
            nodes.push(NodeRow {
                kind: r.get(0)?,
                id: r.get(1)?,
                label: r.get(2)?,
                state_type: r.get(3)?,
                start_time: r.get(4)?,
                end_time: r.get(5)?,
            });
            edge_rows(nodes.len() - 1, inputs.as_deref(), &mut rows);
        }
    }
    let e = edges(&nodes, &rows)?;
    // `nodes`: one per id, in `edges` order; then the `since` filter and
    // the order by start and end time (a missing end first, as SQLite sorts
    // NULL), stable for ties.
    let mut seen = std::collections::HashSet::new();
    let mut order: Vec<usize> = (0..nodes.len())
        .filter(|&i| seen.insert(nodes[i].id.as_str()))
        .filter(|&i| nodes[i].end_time.as_deref().is_none_or(|t| t >= since))
        .collect();
    order.sort_by(|&a, &b| (&nodes[a].start_time, &nodes[a].end_time).cmp(&(&nodes[b].start_time, &nodes[b].end_time)));
    if order.len() as i64 > max_nodes {
        return Err(GraphError::TooLarge);
    }
    let edge_list = |ids: Option<&Vec<String>>, dedup: bool| -> Value {
        let mut seen = std::collections::HashSet::new();
        Value::Array(
            ids.into_iter()
                .flatten()
                .filter(|id| !dedup || seen.insert(id.as_str()))
                .map(|id| json!({ "id": id }))
                .collect(),
        )
    };
    let mut out_nodes = Vec::with_capacity(order.len());
    let mut roots = Vec::new();
    for i in order {
        let n = &nodes[i];
        if !e.parents.contains_key(&i) {
            roots.push(json!(n.id));
        }
        let node = json!({
            "kind": n.kind,
            "id": n.id,
            "label": n.label,
            "state_type": n.state_type,
            "start_time": wire_time(n.start_time.clone()),
            "end_time": wire_time(n.end_time.clone()),
            "parents": edge_list(e.parents.get(&i), false),
            "children": edge_list(e.children.get(&i), false),
            "encapsulating": edge_list(e.encapsulating.get(&i), true),
            "artifacts": by_task.get(&Some(n.id.clone())).cloned().unwrap_or_default(),
        });
        out_nodes.push(json!([n.id, node]));
    }
    let top = by_task.get(&None).cloned().unwrap_or_default();
    let states: Vec<Value> = super::states::for_run(conn, RunKind::Flow, flow_run_id)?
        .into_iter()
        .map(|s| {
            let time = s.get("timestamp").and_then(crate::schemas::runs::parse_time).map(timefmt::wire_from);
            json!({
                "id": s.get("id").cloned().unwrap_or(Value::Null),
                "timestamp": time.map(Value::String).unwrap_or(Value::Null),
                "type": s.get("type").cloned().unwrap_or(Value::Null),
                "name": s.get("name").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(json!({
        "start_time": wire_time(start_time),
        "end_time": wire_time(end_time),
        "root_node_ids": roots,
        "nodes": out_nodes,
        "artifacts": top,
        "states": states,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    /// A flow run with `n` task runs, each fed by the one before.
    fn chain(db: &Db, n: usize) {
        db.write(move |c, _| -> anyhow::Result<()> {
            c.execute(
                "INSERT INTO flow_run (id, created, updated, name, flow_id, start_time) VALUES ('r', 't', 't', 'run', 'f', '2026-01-01T00:00:00.000000Z')",
                [],
            )?;
            for i in 0..n {
                let inputs = if i == 0 { "{}".to_string() } else { format!(r#"{{"x": [{{"input_type": "task_run", "id": "t{}"}}]}}"#, i - 1) };
                c.execute(
                    "INSERT INTO task_run (id, created, updated, name, flow_run_id, task_key, start_time, doc) VALUES (?1, 't', 't', ?1, 'r', ?1, ?2, ?3)",
                    rusqlite::params![format!("t{i}"), format!("2026-01-01T00:00:{i:02}.000000Z"), format!(r#"{{"task_inputs": {inputs}}}"#)],
                )?;
            }
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_graph_over_the_node_limit_is_refused_and_one_at_it_is_answered() {
        let db = Db::open(":memory:").unwrap();
        chain(&db, 3);
        let c = db.reader().unwrap();
        assert!(matches!(read(&c, "r", "0001", 2, 10), Err(GraphError::TooLarge)));
        let g = read(&c, "r", "0001", 3, 10).unwrap();
        assert_eq!(g["nodes"].as_array().map(Vec::len), Some(3));
        assert_eq!(g["root_node_ids"], json!(["t0"]));
        assert_eq!(g["nodes"][1][1]["parents"], json!([{"id": "t0"}]));
        assert_eq!(g["nodes"][1][1]["children"], json!([{"id": "t2"}]));
        assert!(matches!(read(&c, "nope", "0001", 3, 10), Err(GraphError::NotFound)));
    }

    #[test]
    fn edge_lists_multiplying_past_the_bound_are_refused() {
        let db = Db::open(":memory:").unwrap();
        chain(&db, 2);
        // t1 names t0 1500 times and t0 has 1500 input rows: 2.25M entries each way.
        let many: Vec<String> = (0..1500).map(|_| r#"{"input_type": "task_run", "id": "t0"}"#.to_string()).collect();
        let t1 = format!(r#"{{"task_inputs": {{"x": [{}]}}}}"#, many.join(","));
        let t0_args: Vec<String> = (0..1500).map(|_| r#"{"input_type": "constant", "type": "int"}"#.to_string()).collect();
        let t0 = format!(r#"{{"task_inputs": {{"c": [{}]}}}}"#, t0_args.join(","));
        db.write(move |c, _| -> anyhow::Result<()> {
            c.execute("UPDATE task_run SET doc = ?1 WHERE id = 't1'", [t1])?;
            c.execute("UPDATE task_run SET doc = ?1 WHERE id = 't0'", [t0])?;
            Ok(())
        })
        .unwrap();
        let c = db.reader().unwrap();
        assert!(matches!(read(&c, "r", "0001", 10, 10), Err(GraphError::TooManyEdges)));
    }

    #[test]
    fn malformed_stored_inputs_give_no_edges_and_no_error() {
        let db = Db::open(":memory:").unwrap();
        chain(&db, 1);
        db.write(|c, _| -> anyhow::Result<usize> {
            Ok(c.execute("UPDATE task_run SET doc = '{\"task_inputs\": {\"a\": \"x\", \"b\": [1, \"y\", {\"id\": 5}]}}'", [])?)
        })
            .unwrap();
        let c = db.reader().unwrap();
        let g = read(&c, "r", "0001", 10, 10).unwrap();
        assert_eq!(g["nodes"][0][1]["parents"], json!([]));
    }
}
