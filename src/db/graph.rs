//! The flow run graph (`GET /flow_runs/{id}/graph-v2`): the task runs and
//! subflow runs of one flow run as nodes, with edges from their task inputs,
//! built by the same query the reference runs on SQLite so that nodes and
//! the (repeating) edge lists come out in the same order.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::orchestration::RunKind;
use crate::timefmt;

/// The reference's query, with `task_inputs` read from the stored document
/// (guarded so a malformed stored input yields no edge rather than a SQL
/// error). ?1 flow run id, ?2 since (stored form), ?3 node limit.
///
/// The order of each edge list is the order the task runs are scanned in:
/// the reference reads them through its unique index on
/// `(flow_run_id, task_key, dynamic_key)` (SQLite drops the CTE's own
/// ORDER BY), so the task runs are read here in that order too.
const NODES_SQL: &str = "
WITH edges AS (
  SELECT CASE WHEN (flow_run.id IS NOT NULL) THEN 'flow-run' ELSE 'task-run' END AS kind,
         coalesce(flow_run.id, task_run.id) AS id,
         coalesce(flow.name || ' / ' || flow_run.name, task_run.name) AS label,
         coalesce(flow_run.state_type, task_run.state_type) AS state_type,
         coalesce(flow_run.start_time, flow_run.expected_start_time, task_run.start_time, task_run.expected_start_time) AS start_time,
         coalesce(flow_run.end_time, task_run.end_time,
                  CASE WHEN (task_run.state_type = 'COMPLETED') THEN task_run.expected_start_time ELSE NULL END) AS end_time,
         CASE WHEN argument.type = 'object' THEN json_extract(argument.value, '$.id') END AS parent,
         input.\"key\" = '__parents__' AS has_encapsulating_task
  FROM (SELECT * FROM task_run WHERE task_run.flow_run_id = ?1 ORDER BY task_run.task_key, task_run.dynamic_key) AS task_run
  LEFT OUTER JOIN json_each(CASE WHEN json_valid(task_run.doc) AND json_type(task_run.doc, '$.task_inputs') = 'object'
                                 THEN json_extract(task_run.doc, '$.task_inputs') END) AS input ON 1 = 1
  LEFT OUTER JOIN json_each(CASE WHEN input.type IN ('array', 'object') THEN input.value END) AS argument ON 1 = 1
  LEFT OUTER JOIN flow_run ON flow_run.parent_task_run_id = task_run.id
  LEFT OUTER JOIN flow ON flow.id = flow_run.flow_id
  WHERE task_run.flow_run_id = ?1
    AND coalesce(flow_run.start_time, flow_run.expected_start_time, task_run.start_time, task_run.expected_start_time) IS NOT NULL
  ORDER BY coalesce(flow_run.id, task_run.id)),
with_parents AS (
  SELECT children.id AS id, json_group_array(parents.id) AS parent_ids
  FROM edges AS children JOIN edges AS parents ON parents.id = children.parent
  WHERE children.has_encapsulating_task IS NOT 1 GROUP BY children.id),
with_children AS (
  SELECT parents.id AS id, json_group_array(children.id) AS child_ids
  FROM edges AS parents JOIN edges AS children ON children.parent = parents.id
  WHERE children.has_encapsulating_task IS NOT 1 GROUP BY parents.id),
with_encapsulating AS (
  SELECT children.id AS id, json_group_array(parents.id) AS encapsulating_ids
  FROM edges AS children JOIN edges AS parents ON parents.id = children.parent
  WHERE children.has_encapsulating_task IS 1 GROUP BY children.id),
nodes AS (
  SELECT DISTINCT edges.kind AS kind, edges.id AS id, edges.label AS label, edges.state_type AS state_type,
         edges.start_time AS start_time, edges.end_time AS end_time, with_parents.parent_ids AS parent_ids,
         with_children.child_ids AS child_ids, with_encapsulating.encapsulating_ids AS encapsulating_ids
  FROM edges
  LEFT OUTER JOIN with_parents ON with_parents.id = edges.id
  LEFT OUTER JOIN with_children ON with_children.id = edges.id
  LEFT OUTER JOIN with_encapsulating ON with_encapsulating.id = edges.id)
SELECT nodes.kind, nodes.id, nodes.label, nodes.state_type, nodes.start_time, nodes.end_time,
       nodes.parent_ids, nodes.child_ids, nodes.encapsulating_ids
FROM nodes
WHERE nodes.end_time IS NULL OR nodes.end_time >= ?2
ORDER BY nodes.start_time, nodes.end_time
LIMIT ?3";

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

#[derive(Debug)]
pub enum GraphError {
    /// No flow run has the id.
    NotFound,
    /// More nodes than the limit: the reference's `FlowRunGraphTooLarge`.
    TooLarge,
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

/// `[{"id": …}, …]` from a `json_group_array` of ids (None when no row).
fn edge_list(ids: Option<String>, dedup: bool) -> Value {
    let ids: Vec<String> = ids.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for id in &ids {
        if dedup {
            if seen.contains(&id.as_str()) {
                continue;
            }
            seen.push(id);
        }
        out.push(json!({ "id": id }));
    }
    Value::Array(out)
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
    let mut stmt = conn.prepare_cached(NODES_SQL)?;
    // One more than the limit, to tell a full graph from a too-large one.
    let mut rows = stmt.query(rusqlite::params![flow_run_id, since, max_nodes.saturating_add(1)])?;
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    while let Some(r) = rows.next()? {
        if nodes.len() as i64 >= max_nodes {
            return Err(GraphError::TooLarge);
        }
        let id: String = r.get(1)?;
        let parent_ids: Option<String> = r.get(6)?;
        if parent_ids.is_none() {
            roots.push(json!(id));
        }
        let node_artifacts = by_task.get(&Some(id.clone())).cloned().unwrap_or_default();
        let node = json!({
            "kind": r.get::<_, String>(0)?,
            "id": id,
            "label": r.get::<_, Option<String>>(2)?,
            "state_type": r.get::<_, Option<String>>(3)?,
            "start_time": wire_time(r.get(4)?),
            "end_time": wire_time(r.get(5)?),
            "parents": edge_list(parent_ids, false),
            "children": edge_list(r.get(7)?, false),
            "encapsulating": edge_list(r.get(8)?, true),
            "artifacts": node_artifacts,
        });
        nodes.push(json!([id, node]));
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
        "nodes": nodes,
        "artifacts": top,
        "states": states,
    }))
}
