//! The filter queries join the related tables on their primary keys and
//! find a page in two steps; the reference writes the same filters as
//! EXISTS subqueries in one step. This runs every combination of a set of
//! family filters both ways on the conformance dataset (recorded from the
//! reference) and checks they match the same rows, in the same order for a
//! sort without ties, and count the same.

use std::collections::BTreeSet;

use artifactd::db::{self, Db};
use artifactd::schemas::filters::artifacts::Table;
use artifactd::schemas::filters::sql::Cond;
use artifactd::schemas::query::{FilterQuery, Families};
use rusqlite::params_from_iter;
use serde_json::{json, Map, Value};

fn dataset() -> Db {
    let db = Db::open(":memory:").unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/fixture.json");
    artifactd::fixtures::load(&db, &[fixture]).unwrap();
    db
}

/// The reference's shape: the artifact condition, one EXISTS over the flow
/// run (joined to its flow and deployment when those are filtered), one
/// EXISTS over the task run.
fn exists_sql(f: &Families) -> (String, Vec<rusqlite::types::Value>) {
    let outer = f.table.name();
    let mut parts: Vec<Cond> = Vec::new();
    if let Some(a) = &f.artifacts {
        parts.push(a.cond());
    }
    if f.flow_runs.is_some() || f.flows.is_some() || f.deployments.is_some() {
        let mut sql = String::from("EXISTS (SELECT 1 FROM flow_run");
        if f.flows.is_some() {
            sql.push_str(" JOIN flow ON flow.id = flow_run.flow_id");
        }
        if f.deployments.is_some() {
            sql.push_str(" JOIN deployment ON deployment.id = flow_run.deployment_id");
        }
        let inner = Cond::and(
            [f.flow_runs.as_ref().map(|x| x.cond()), f.flows.as_ref().map(|x| x.cond()), f.deployments.as_ref().map(|x| x.cond())]
                .into_iter()
                .flatten()
                .collect(),
        );
        sql.push_str(&format!(" WHERE flow_run.id = {outer}.flow_run_id AND {})", inner.sql));
        parts.push(Cond::new(sql, inner.params));
    }
    if let Some(t) = &f.task_runs {
        let c = t.cond();
        parts.push(Cond::new(
            format!("EXISTS (SELECT 1 FROM task_run WHERE task_run.id = {outer}.task_run_id AND {})", c.sql),
            c.params,
        ));
    }
    let c = Cond::and(parts);
    (format!("SELECT {outer}.id FROM {outer} WHERE {} ORDER BY {outer}.id DESC", c.sql), c.params)
}

fn ids(conn: &rusqlite::Connection, sql: &str, params: &[rusqlite::types::Value]) -> Vec<String> {
    let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    st.query_map(params_from_iter(params.iter()), |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn options() -> Vec<(&'static str, Vec<Value>)> {
    vec![
        (
            "artifacts",
            vec![
                json!({"type": {"any_": ["table", "markdown", "result"]}}),
                json!({"key": {"exists_": false}}),
                json!({"operator": "or_", "key": {"like_": "a"}, "type": {"not_any_": ["table"]}}),
            ],
        ),
        (
            "flow_runs",
            vec![
                json!({}),
                json!({"state": {"type": {"any_": ["COMPLETED", "FAILED"]}}}),
                json!({"operator": "or_", "tags": {"all_": ["a"]}, "name": {"like_": "run"}}),
                json!({"deployment_id": {"is_null_": true}}),
            ],
        ),
        (
            "flows",
            vec![
                json!({}),
                json!({"name": {"any_": ["ETL_Nightly", "a_b", "unused-flow"]}}),
                json!({"name": {"like_": "_"}}),
            ],
        ),
        (
            "deployments",
            vec![json!({}), json!({"name": {"like_": "deploy"}}), json!({"tags": {"all_": ["prod"]}})],
        ),
        (
            "task_runs",
            vec![json!({}), json!({"state": {"type": {"any_": ["COMPLETED", "PENDING"]}}}), json!({"name": {"like_": "e"}})],
        ),
    ]
}

/// Every combination: each family absent or one of its options.
fn bodies() -> Vec<Map<String, Value>> {
    let mut out = vec![Map::new()];
    for (family, choices) in options() {
        let mut next = Vec::new();
        for body in &out {
            next.push(body.clone());
            for c in &choices {
                let mut b = body.clone();
                b.insert(family.to_string(), c.clone());
                next.push(b);
            }
        }
        out = next;
    }
    out
}

#[test]
fn joins_and_two_step_pages_match_the_exists_form_on_every_combination() {
    let db = dataset();
    let conn = db.reader().unwrap();
    let (mut checked, mut nonempty, mut walked) = (0, 0, 0);
    for table in [Table::Artifact, Table::Collection] {
        for body in bodies() {
            let mut body = Value::Object(body);
            body["limit"] = json!(200);
            let q = FilterQuery::parse(table, &Some(body.clone())).unwrap_or_else(|e| panic!("{body}: {e:?}"));
            let (oracle_sql, oracle_params) = exists_sql(&q.families);
            let expected = ids(&conn, &oracle_sql, &oracle_params);

            // ID_DESC has no ties, so the order must match too.
            let (sql, params) = db::artifacts::filter_sql(&q);
            let got: Vec<String> = ids(&conn, &sql, &params);
            assert_eq!(got, expected, "{body}\n{sql}");

            // Any other sort: the same set of rows.
            body["sort"] = json!("UPDATED_DESC");
            let q2 = FilterQuery::parse(table, &Some(body.clone())).unwrap();
            let (sql, params) = db::artifacts::filter_sql(&q2);
            let got: BTreeSet<String> = ids(&conn, &sql, &params).into_iter().collect();
            assert_eq!(got, expected.iter().cloned().collect::<BTreeSet<_>>(), "{body}\n{sql}");

            // The bounded first try (db::artifacts::walk_sql), on small
            // pages it can fill: when it fills one, it is the same page.
            for (limit, offset) in [(1, 0), (3, 2), (7, 5)] {
                let mut b = body.clone();
                b["sort"] = json!("ID_DESC");
                b["limit"] = json!(limit);
                b["offset"] = json!(offset);
                let q3 = FilterQuery::parse(table, &Some(b.clone())).unwrap();
                if let Some((sql, params)) = db::artifacts::walk_sql(&q3) {
                    let got = ids(&conn, &sql, &params);
                    let want: Vec<String> = expected.iter().skip(offset).take(limit).cloned().collect();
                    if got.len() == limit {
                        assert_eq!(got, want, "{b}\n{sql}");
                        walked += 1;
                    }
                    let served: Vec<String> = db::artifacts::filter(&conn, &q3).unwrap().into_iter().map(|r| r.id).collect();
                    assert_eq!(served, want, "{b}");
                }
            }

            let n = db::artifacts::count(&conn, &q.families).unwrap();
            assert_eq!(n as usize, expected.len(), "count of {body}");
            checked += 1;
            nonempty += usize::from(!expected.is_empty());
        }
    }
    // 4 x 5 x 4 x 4 x 4 combinations per table; most must match something,
    // or the comparison proves little.
    assert_eq!(checked, 2 * 4 * 5 * 4 * 4 * 4);
    assert!(nonempty > checked / 4, "{nonempty} of {checked} combinations match any row");
    assert!(walked > checked / 4, "the first try filled {walked} pages of {checked} combinations");
}
