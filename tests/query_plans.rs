//! The benchmark shapes keep their indexes: each read shape's statement is
//! planned by SQLite here, and a lost or unused index fails the test.
//! (Timings live in `bench/`; this only checks the plans.)

use artifactd::db::{self, Db};
use artifactd::schemas::filters::artifacts::Table;
use artifactd::schemas::query::{parse_count, FilterQuery};
use serde_json::{json, Value};

/// A database with the benchmark's proportions at a small size: 5,000
/// artifacts over 500 keys (10% keyless), 10 flows, 250 flow runs, and
/// planner statistics gathered as after any fixture load.
fn db() -> Db {
    let flows: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012}"), "name": format!("flow-{i}"), "tags": []}))
        .collect();
    let states = ["COMPLETED", "FAILED", "RUNNING", "SCHEDULED"];
    let runs: Vec<Value> = (0..250)
        .map(|i| json!({"id": format!("00000000-0000-4000-9000-{i:012}"), "name": format!("run-{i}"),
            "flow_id": format!("00000000-0000-4000-8000-{:012}", i % 10), "state_type": states[i % 4]}))
        .collect();
    let types = ["markdown", "table", "link", "progress", "image"];
    let artifacts: Vec<Value> = (0..5000)
        .map(|i| json!({"id": format!("00000000-0000-4000-a000-{i:012}"),
            "created": format!("2025-01-01T00:{:02}:{:02}.{:06}Z", i / 3600 % 60, i / 60 % 60, i % 60),
            "key": if i % 10 == 0 { Value::Null } else { json!(format!("key-{}", i % 500)) },
            "type": types[i % 5], "data": "x",
            "flow_run_id": format!("00000000-0000-4000-9000-{:012}", i % 250)}))
        .collect();
    let fixture = json!({"flows": flows, "flow_runs": runs, "artifacts": artifacts});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plans.json");
    std::fs::write(&path, fixture.to_string()).unwrap();
    let db = Db::open(":memory:").unwrap();
    artifactd::fixtures::load(&db, &[path]).unwrap();
    db
}

fn plan(db: &Db, sql: &str, params: &[rusqlite::types::Value]) -> String {
    let conn = db.reader().unwrap();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows.join("; ")
}

fn filter_plan(db: &Db, table: Table, body: Value) -> String {
    let q = FilterQuery::parse(table, &Some(body)).unwrap();
    let (sql, params) = db::artifacts::filter_sql(&q);
    plan(db, &sql, &params)
}

#[test]
fn q1_latest_filter_walks_the_collection_primary_key() {
    let db = db();
    let p = filter_plan(&db, Table::Collection, json!({}));
    assert!(p.contains("SCAN artifact_collection USING INDEX sqlite_autoindex_artifact_collection_1"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "no sort step: {p}");
}

#[test]
fn q2_walks_one_type_in_id_order_on_a_covering_index() {
    let db = db();
    let p = filter_plan(
        &db,
        Table::Collection,
        json!({"artifacts": {"key": {"like_": "key-1"}, "type": {"any_": ["table"]}}, "limit": 50}),
    );
    // Index entries alone decide the page: no row is read before it matches,
    // and the id order of the index ends the walk after one page.
    assert!(p.contains("SEARCH artifact_collection USING COVERING INDEX ix_artifact_collection__type_id_key (type=?)"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "no sort step: {p}");
    let p = filter_plan(&db, Table::Collection, json!({"artifacts": {"key": {"like_": "key-1"}}, "limit": 50}));
    assert!(p.contains("SCAN artifact_collection USING COVERING INDEX ix_artifact_collection__id_filter"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "no sort step: {p}");
}

#[test]
fn q3_starts_from_the_named_flow_and_reads_only_index_entries() {
    let db = db();
    let p = filter_plan(
        &db,
        Table::Collection,
        json!({"flows": {"name": {"any_": ["flow-3"]}}, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "sort": "UPDATED_DESC", "limit": 50}),
    );
    let steps: Vec<&str> = p.split("; ").collect();
    let at = |needle: &str| steps.iter().position(|s| s.contains(needle)).unwrap_or_else(|| panic!("{needle}: {p}"));
    let (flow, run, art) = (
        at("SEARCH flow USING INDEX uq_flow__name (name=?)"),
        at("SEARCH flow_run USING COVERING INDEX ix_flow_run__flow_id_state_type (flow_id=? AND state_type=?)"),
        at("SEARCH artifact_collection USING COVERING INDEX ix_artifact_collection__flow_run_id_updated (flow_run_id=?)"),
    );
    assert!(flow < run && run < art, "flow, then its runs, then their artifacts: {p}");
}

#[test]
fn an_unselective_run_filter_keeps_the_sort_index() {
    // `flow_runs: {}` matches every artifact that has a run: walking the
    // updated index and probing each run beats reading every run first.
    let db = db();
    let p = filter_plan(&db, Table::Collection, json!({"flow_runs": {}, "sort": "UPDATED_DESC", "limit": 50}));
    assert!(p.contains("SCAN artifact_collection USING COVERING INDEX ix_artifact_collection__updated_filter"), "{p}");
    assert!(p.contains("SEARCH flow_run USING COVERING INDEX sqlite_autoindex_flow_run_1 (id=?)"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "no sort step: {p}");
}

#[test]
fn q4_finds_one_key_through_the_key_created_index() {
    let db = db();
    let p = filter_plan(&db, Table::Artifact, json!({"artifacts": {"key": {"any_": ["key-7"]}}, "sort": "CREATED_DESC", "limit": 20}));
    assert!(p.contains("USING COVERING INDEX ix_artifact__key_filter (key=?)"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "no sort step: {p}");
}

#[test]
fn q5_counts_without_a_filter_use_no_where_clause() {
    let db = db();
    let f = parse_count(Table::Collection, &Some(json!({}))).unwrap();
    let conn = db.reader().unwrap();
    assert_eq!(db::artifacts::count(&conn, &f).unwrap(), 450);
    assert_eq!(f.cond().sql, "1", "an empty body is no condition, so count(*) applies");
    let p = plan(&db, "SELECT count(*) FROM artifact_collection", &[]);
    assert!(p.contains("SCAN artifact_collection USING COVERING INDEX ix_artifact_collection__type"), "{p}");
}

#[test]
fn lookups_by_id_and_key_use_their_indexes() {
    let db = db();
    let p = plan(&db, "SELECT * FROM artifact WHERE id = ?1", &["x".to_string().into()]);
    assert!(p.contains("sqlite_autoindex_artifact_1 (id=?)"), "{p}");
    let p = plan(&db, "SELECT * FROM artifact_collection WHERE key = ?1", &["x".to_string().into()]);
    assert!(p.contains("uq_artifact_collection__key (key=?)"), "{p}");
    let p = filter_plan(&db, Table::Artifact, json!({"artifacts": {"flow_run_id": {"any_": ["00000000-0000-0000-0000-000000000000"]}}}));
    assert!(p.contains("ix_artifact__flow_run_id") || p.contains("sqlite_autoindex_artifact_1"), "{p}");
}

fn walk_plan(db: &Db, table: Table, body: Value) -> Option<String> {
    let q = FilterQuery::parse(table, &Some(body)).unwrap();
    db::artifacts::walk_sql(&q).map(|(sql, params)| plan(db, &sql, &params))
}

#[test]
fn the_bounded_first_try_reads_index_entries_only() {
    // A run-state filter in every sort order: the first try walks the
    // order's covering index (V3, V12), probing each entry's run, and
    // reads no artifact row before the page is chosen.
    let db = db();
    for (table, sort, index) in [
        (Table::Artifact, "ID_DESC", "ix_artifact__id_filter"),
        (Table::Artifact, "KEY_ASC", "ix_artifact__key_filter"),
        (Table::Collection, "ID_DESC", "ix_artifact_collection__id_filter"),
        (Table::Collection, "UPDATED_DESC", "ix_artifact_collection__updated_filter"),
        (Table::Collection, "CREATED_DESC", "ix_artifact_collection__created_filter"),
        (Table::Collection, "KEY_DESC", "ix_artifact_collection__key_filter"),
    ] {
        let body = json!({"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}, "artifacts": {"type": {"any_": ["table"]}}, "sort": sort, "limit": 50});
        let p = walk_plan(&db, table, body).unwrap_or_else(|| panic!("{sort}: no first try"));
        assert!(p.contains(&format!("USING COVERING INDEX {index}")), "{sort}: {p}");
    }
    // Nothing to gain: no filter, an empty page, a list of keys.
    assert!(walk_plan(&db, Table::Artifact, json!({})).is_none());
    assert!(walk_plan(&db, Table::Artifact, json!({"flow_runs": {}, "limit": 0})).is_none());
    assert!(walk_plan(&db, Table::Artifact, json!({"artifacts": {"key": {"any_": ["key-1"]}}})).is_none());
    // A page too deep to fill from the first entries; an offset near i64::MAX.
    assert!(walk_plan(&db, Table::Artifact, json!({"flow_runs": {}, "offset": 5000})).is_none());
    assert!(walk_plan(&db, Table::Artifact, json!({"flow_runs": {}, "offset": i64::MAX - 1})).is_none());
    // q2 and q3 find their few rows from their own indexes at once.
    assert!(walk_plan(&db, Table::Collection, json!({"artifacts": {"key": {"like_": "key-1"}, "type": {"any_": ["table"]}}, "limit": 50})).is_none());
    assert!(walk_plan(&db, Table::Collection, json!({"flows": {"name": {"any_": ["flow-3"]}}, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}, "sort": "UPDATED_DESC", "limit": 50})).is_none());
}
