//! explain DB < LINES
//!
//! For the benchmark (bench/shapes.py): reads JSON lines
//! `{"endpoint": "/api/artifacts/filter", "body": {...}}` from stdin and
//! prints, for each, one JSON line with the SQL artifactd builds for that
//! request and SQLite's query plan of it on the database file DB (opened
//! read-only). The SQL comes from artifactd's own `filter_sql` / `count_sql`,
//! so the plan is the one the server runs.

use std::io::BufRead;

use artifactd::db::artifacts::{count_sql, filter_sql};
use artifactd::schemas::filters::artifacts::Table;
use artifactd::schemas::query::{parse_count, FilterQuery};
use rusqlite::{params_from_iter, Connection, OpenFlags};
use serde_json::{json, Value};

fn sql_of(endpoint: &str, body: &Value) -> Result<(String, Vec<rusqlite::types::Value>), String> {
    let table = if endpoint.contains("/latest/") { Table::Collection } else { Table::Artifact };
    let body = Some(body.clone());
    let refused = |e| format!("refused: {e:?}");
    if endpoint.ends_with("/count") {
        parse_count(table, &body).map(|f| count_sql(&f)).map_err(refused)
    } else {
        FilterQuery::parse(table, &body).map(|q| filter_sql(&q)).map_err(refused)
    }
}

fn main() {
    let db = std::env::args().nth(1).unwrap_or_else(|| {
        eprintln!("usage: explain DB < JSON_LINES");
        std::process::exit(2)
    });
    let conn = match Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("explain: cannot open {db}: {e}");
            std::process::exit(1)
        }
    };
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        let Ok(req) = serde_json::from_str::<Value>(&line) else { continue };
        let endpoint = req["endpoint"].as_str().unwrap_or("");
        let out = match sql_of(endpoint, &req["body"]) {
            Err(e) => json!({"endpoint": endpoint, "error": e}),
            Ok((sql, params)) => {
                let plan: Result<Vec<String>, _> = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).and_then(|mut st| {
                    st.query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))?.collect()
                });
                match plan {
                    Ok(p) => json!({"endpoint": endpoint, "sql": sql, "plan": p}),
                    Err(e) => json!({"endpoint": endpoint, "sql": sql, "error": e.to_string()}),
                }
            }
        };
        println!("{out}");
    }
}
