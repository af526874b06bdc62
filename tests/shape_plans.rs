//! Any filter, planned as at a million artifacts (issue 15): every body that
//! `bench/gen_shapes.py` generated (a copy is committed in `tests/data/shapes/`)
//! is built into SQL by artifactd's own code for each endpoint it is meant
//! for, and planned by SQLite on an empty database that carries the planner
//! statistics of the 1M benchmark database (`sqlite_stat1`, also committed).
//! A plan that reads a whole large table where an index could serve fails.
//!
//! "Whole table": a `SCAN` of artifact, artifact_collection, flow_run or
//! task_run that is not the walk of a filter page's sort order (which stops
//! after one page), i.e. any such SCAN in a count, and a SCAN without any
//! index in a filter. "An index could serve": the body narrows that table
//! (or, for the artifact tables, any table of the join) with a predicate an
//! index answers, as listed in `indexable` below. A shape whose narrowing is
//! only what no B-tree index answers (`like_` substrings, `not_any_`, JSON
//! tags, …) may scan. `like_` on keys is left out: `db::key_search` narrows
//! it at run time from the trigram index's contents (V11), which a
//! statistics-only database does not have (its own tests cover it).

use std::collections::BTreeMap;

use artifactd::db::{self, Db};
use artifactd::schemas::filters::artifacts::Table;
use artifactd::schemas::query::{parse_count, FilterQuery};
use rusqlite::{params_from_iter, Connection};
use serde_json::Value;

const BIG: [&str; 4] = ["artifact", "artifact_collection", "flow_run", "task_run"];

fn data(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shapes").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// An empty, migrated database whose planner statistics are the 1M set's.
fn planner() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.db");
    drop(Db::open(path.to_str().unwrap()).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DELETE FROM sqlite_stat1").unwrap();
    // stat4 samples hold row values of the 1M file; without them SQLite
    // plans from stat1's averages alone, the same for any bound value.
    let _ = conn.execute_batch("DELETE FROM sqlite_stat4");
    let mut n = 0;
    for line in data("stat1-1m.tsv").lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "stat1 line: {line}");
        conn.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?1, ?2, ?3)", [f[0], f[1], f[2]])
            .unwrap();
        n += 1;
    }
    assert!(n > 30, "stat1 rows: {n}");
    drop(conn);
    // A new connection reads the statistics when it loads the schema.
    (dir, Connection::open(&path).unwrap())
}

/// Whether a family's filter on `table` can be answered by an index of it:
/// an `and_` model with one indexable field, or an `or_` model whose
/// fields all are.
fn indexable(body: &Value, family: &str) -> bool {
    let Some(m) = body.get(family).and_then(Value::as_object) else { return false };
    let fields: Vec<(&String, &Value)> = m.iter().filter(|(k, _)| k.as_str() != "operator").collect();
    let one = |field: &str, v: &Value| -> bool {
        let has = |op: &str| v.get(op).is_some_and(|x| !x.is_null());
        match (family, field) {
            ("artifacts", "id" | "latest_id" | "flow_run_id" | "task_run_id") => has("any_"),
            ("artifacts", "key") => has("any_"),
            ("artifacts", "type") => has("any_"),
            ("flow_runs", "id" | "name" | "deployment_id" | "work_queue_name" | "flow_version" | "parent_task_run_id") => {
                has("any_")
            }
            ("flow_runs", "state") => {
                ["type", "name"].iter().any(|p| v.get(p).and_then(|x| x.get("any_")).is_some())
                    && v.get("operator").and_then(Value::as_str) != Some("or_")
            }
            ("flow_runs", "start_time" | "end_time" | "expected_start_time" | "next_scheduled_start_time") => {
                has("before_") || has("after_")
            }
            ("task_runs", "id" | "name" | "flow_run_id") => has("any_"),
            ("task_runs", "state") => v.get("type").and_then(|x| x.get("any_")).is_some(),
            ("task_runs", "start_time") => has("before_") || has("after_"),
            _ => false,
        }
    };
    if fields.is_empty() {
        return false;
    }
    if m.get("operator").and_then(Value::as_str) == Some("or_") {
        fields.iter().all(|(k, v)| one(k, v))
    } else {
        fields.iter().any(|(k, v)| one(k, v))
    }
}

fn family_of(table: &str, outer: &str) -> &'static str {
    match table {
        "flow_run" => "flow_runs",
        "task_run" => "task_runs",
        t if t == outer => "artifacts",
        _ => "",
    }
}

fn plan(conn: &Connection, sql: &str, params: &[rusqlite::types::Value]) -> Vec<String> {
    let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap_or_else(|e| panic!("{e}: {sql}"));
    st.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The whole-table reads of one plan, with why each could have used an index.
fn whole_table_reads(body: &Value, outer: &str, is_count: bool, steps: &[String]) -> Vec<String> {
    let any_family_indexable =
        ["artifacts", "flow_runs", "task_runs"].iter().any(|f| indexable(body, f)) || flows_or_deployments_indexable(body);
    let mut bad = Vec::new();
    for s in steps {
        let Some(rest) = s.strip_prefix("SCAN ") else { continue };
        let table = rest.split_whitespace().next().unwrap_or("");
        if !BIG.contains(&table) {
            continue;
        }
        let bare = !rest.contains("USING");
        // A filter's walk of its sort index stops after one page.
        if !is_count && !bare {
            continue;
        }
        let own = indexable(body, family_of(table, outer));
        let could = if table == outer { own || any_family_indexable } else { own };
        if could {
            bad.push(s.clone());
        }
    }
    bad
}

fn flows_or_deployments_indexable(body: &Value) -> bool {
    let and_only = |f: &str| body.get(f).and_then(|m| m.get("operator")).and_then(Value::as_str) != Some("or_");
    let flows = body.get("flows").is_some_and(|m| {
        and_only("flows") && (m.get("id").and_then(|x| x.get("any_")).is_some() || m.get("name").and_then(|x| x.get("any_")).is_some())
    });
    let deps = body.get("deployments").is_some_and(|m| {
        and_only("deployments")
            && ["id", "name", "work_queue_name"].iter().any(|k| m.get(k).and_then(|x| x.get("any_")).is_some())
    });
    flows || deps
}

fn key_like(body: &Value) -> bool {
    body.pointer("/artifacts/key/like_").is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
}

#[test]
fn no_generated_shape_reads_a_whole_table_an_index_could_serve() {
    let spec: Value = serde_json::from_str(&data("shapes.json")).unwrap();
    let shapes = spec["shapes"].as_array().unwrap();
    assert!(shapes.len() >= 500, "{} shapes", shapes.len());
    let (_dir, conn) = planner();
    let (mut planned, mut skipped) = (0, 0);
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in shapes {
        let body = &s["body"];
        // `like_` on keys: planned only once narrowed by the trigram
        // index's contents (see the module comment).
        if key_like(body) {
            skipped += 1;
            continue;
        }
        for ep in s["endpoints"].as_array().unwrap() {
            let ep = ep.as_str().unwrap();
            let table = if ep.contains("/latest/") { Table::Collection } else { Table::Artifact };
            let is_count = ep.ends_with("/count");
            let (sql, params) = if is_count {
                db::artifacts::count_sql(&parse_count(table, &Some(body.clone())).unwrap())
            } else {
                db::artifacts::filter_sql(&FilterQuery::parse(table, &Some(body.clone())).unwrap())
            };
            let steps = plan(&conn, &sql, &params);
            let bad = whole_table_reads(body, table.name(), is_count, &steps);
            if !bad.is_empty() {
                failures.insert(format!("{} {ep} {body}", s["id"].as_str().unwrap_or("?")), steps);
            }
            planned += 1;
        }
    }
    assert!(planned > 1500, "{planned} plans");
    assert!(skipped < shapes.len() / 5, "{skipped} like_ shapes skipped");
    // The shapes still known to read a whole table (issue 15, left to do):
    // a ratchet. A new one fails, and so does one that no longer does, so
    // the list only shrinks (remove its line).
    let known: std::collections::BTreeSet<String> = data("known-scans.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let found: std::collections::BTreeSet<String> =
        failures.keys().map(|k| k.split(' ').take(2).collect::<Vec<_>>().join(" ")).collect();
    // SHAPE_PLANS_WRITE_KNOWN=1 rewrites the list from this run (after a
    // change that moves plans; review the diff).
    if std::env::var_os("SHAPE_PLANS_WRITE_KNOWN").is_some() {
        let head: String = data("known-scans.txt").lines().take_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        let body: String = found.iter().map(|k| format!("{k}\n")).collect();
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shapes/known-scans.txt");
        std::fs::write(p, head + &body).unwrap();
        return;
    }
    let new: Vec<String> = failures
        .iter()
        .filter(|(k, _)| !known.contains(&k.split(' ').take(2).collect::<Vec<_>>().join(" ")))
        .take(20)
        .map(|(k, v)| format!("{k}\n    {}", v.join("; ")))
        .collect();
    assert!(new.is_empty(), "plans that read a whole table:\n{}", new.join("\n"));
    let fixed: Vec<&String> = known.difference(&found).collect();
    assert!(fixed.is_empty(), "no longer read a whole table (remove from known-scans.txt): {fixed:?}");
}

#[test]
fn the_check_catches_a_whole_table_read() {
    // The rule itself: a count of one flow's artifacts that scans every
    // artifact is caught; the same count walking no table is not.
    let body: Value = serde_json::json!({"flows": {"name": {"any_": ["f"]}}});
    let bad = whole_table_reads(&body, "artifact", true, &["SCAN artifact USING COVERING INDEX ix_artifact__flow_run_id".into()]);
    assert_eq!(bad.len(), 1);
    let ok = whole_table_reads(&body, "artifact", true, &["SEARCH artifact USING COVERING INDEX ix_artifact__flow_run_id (flow_run_id=?)".into()]);
    assert!(ok.is_empty());
    // A tags filter has no index: scanning the runs is allowed.
    let tags: Value = serde_json::json!({"flow_runs": {"tags": {"all_": ["a"]}}});
    assert!(whole_table_reads(&tags, "artifact", true, &["SCAN flow_run".into()]).is_empty());
}
