//! Property tests over filter parsing and SQL building, without HTTP: any
//! JSON body, shaped like a filter or not, either parses into a query that
//! SQLite runs without error, or is refused with a validation error. Never
//! a panic, never an SQL error, never user text inside the SQL.
//!
//! `PROPTEST_CASES` raises the number of cases (default 256 per property;
//! e.g. 20000 for a long run).

use artifactd::db::{self, Db};
use artifactd::schemas::filters::artifacts::Table;
use artifactd::schemas::query::{parse_count, FilterQuery};
use artifactd::schemas::resource_query::{self, Resource, ResourceQuery};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Field names the filter language uses, so generated bodies reach deep.
const NAMES: &[&str] = &[
    "artifacts", "flow_runs", "task_runs", "flows", "deployments", "limit", "offset", "sort",
    "id", "key", "latest_id", "flow_run_id", "task_run_id", "type", "name", "tags", "state",
    "deployment_id", "work_queue_name", "flow_version", "start_time", "end_time",
    "expected_start_time", "next_scheduled_start_time", "parent_flow_run_id", "parent_task_run_id",
    "idempotency_key", "created_by", "subflow_runs", "deployment", "paused",
    "flow_or_deployment_name", "concurrency_limit", "any_", "not_any_", "like_", "exists_",
    "all_", "is_null_", "before_", "after_", "eq_", "id_", "type_", "operator", "bogus",
];

/// Values meant to be hostile: SQL text, wildcards, odd numbers and dates.
const STRINGS: &[&str] = &[
    "", "%", "_", "'", "\"", "'; DROP TABLE artifact; --", ") OR 1=1 --", "\\", "\u{0}",
    "and_", "or_", "COMPLETED", "KEY_ASC", "ID_DESC", "2024-01-01T00:00:00Z", "2024-01-01",
    "1700000000", "now", "yes", "0", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
    "A0EEBC999C0B4EF8BB6D6BB9BD380A11", "éß漢字", "null",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1000i64..1000).prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        proptest::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
        ".{0,12}".prop_map(Value::String),
    ]
}

fn body() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(NAMES), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_string(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn database() -> Db {
    let db = Db::open(":memory:").unwrap();
    let demo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/fixture.json");
    artifactd::fixtures::load(&db, &[demo]).unwrap();
    db
}

thread_local! {
    static DB: Db = database();
}

fn run_all(v: &Value) {
    let body = Some(v.clone());
    DB.with(|db| {
        let conn = db.reader().unwrap();
        for table in [Table::Artifact, Table::Collection] {
            if let Ok(q) = FilterQuery::parse(table, &body) {
                let (sql, _) = db::artifacts::filter_sql(&q);
                for s in STRINGS.iter().filter(|s| s.len() > 3) {
                    assert!(!sql.contains(s), "user text reached the SQL: {sql}");
                }
                db::artifacts::filter(&conn, &q).unwrap_or_else(|e| panic!("SQL error {e} for {v}"));
            }
            if let Ok(f) = parse_count(table, &body) {
                db::artifacts::count(&conn, &f).unwrap_or_else(|e| panic!("SQL error {e} for {v}"));
            }
        }
        for r in [Resource::Flows, Resource::FlowRuns, Resource::TaskRuns, Resource::Deployments] {
            if let Ok(q) = ResourceQuery::parse(r, &body) {
                db::runs::filter(&conn, &q).unwrap_or_else(|e| panic!("SQL error {e} for {v}"));
            }
            if let Ok(f) = resource_query::parse_count(r, &body) {
                db::runs::count(&conn, &f).unwrap_or_else(|e| panic!("SQL error {e} for {v}"));
            }
        }
    });
}

proptest! {
    #[test]
    fn any_json_body_parses_to_runnable_sql_or_is_refused(v in body()) {
        run_all(&v);
    }

    #[test]
    fn any_filter_shaped_body_parses_to_runnable_sql_or_is_refused(
        family in proptest::sample::select(&["artifacts", "flow_runs", "task_runs", "flows", "deployments"][..]),
        inner in body(),
        sort in proptest::sample::select(&["ID_DESC", "KEY_ASC", "CREATED_DESC", "bogus"][..]),
        limit in -5i64..300,
    ) {
        run_all(&json!({ family: inner, "sort": sort, "limit": limit }));
    }
}

/// Inputs that once broke something, kept as regressions.
#[test]
fn kept_regressions() {
    for v in [
        json!({"artifacts": {"key": {"like_": "%'; DROP TABLE artifact; --"}}}),
        json!({"flow_runs": {"tags": {"all_": vec!["a"; 200]}}}),
        json!({"flow_runs": {"start_time": {"before_": "1700000000", "after_": "2024-01-01"}}}),
        json!({"flows": {"operator": "or_", "id": {}, "name": {}, "tags": {}, "deployment": {}}}),
    ] {
        run_all(&v);
    }
}
