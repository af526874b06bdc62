//! sqltime DB PARAMS_JSON [SECONDS] [THREADS]
//!
//! Runs each read shape's SQL, written by hand to match what artifactd's
//! `db::artifacts::filter_sql` / `count` build for that request body, against
//! the database file DB (opened read-only), and prints one JSON object per
//! shape: rows returned, median / min / p99 milliseconds per execution
//! (prepare once, then step every row to the end, as the server does), and
//! SQLite's query plan.
//!
//! PARAMS_JSON is the `.meta.json` the dataset generator writes (q2_like,
//! q2_type, q3_flow, q3_state, q4_key).
//!
//! SQLTIME_CACHE_KIB=N gives each timing connection a page cache of N KiB
//! (bench.py sets the size of one artifactd reader's).
//!
//! `sqltime DB --sql SQL PARAMS [SECONDS] [THREADS]` times one statement of
//! your own instead (PARAMS: a JSON array of strings and integers), to try a
//! query shape before building it into the server.
//!
//! `sqltime --copy TARGET SEEDED` is the load baseline (`bench/load.py`):
//! TARGET (a copy of an empty migrated artifactd database) ATTACHes SEEDED
//! and copies every row of every ordinary table with `INSERT OR IGNORE INTO
//! main.t SELECT * FROM src.t` in one transaction, every index and trigger
//! present (rows a trigger already made, such as derived key rows, are
//! ignored), `synchronous=FULL` as artifactd; then closes (checkpointing
//! the WAL). Prints `{"seconds": S, "rows": N}`, timed from open to close.
//!
//! With THREADS > 1, that many threads each open their own read-only
//! connection (as artifactd's reader pool does) and run the shape at the
//! same time for SECONDS; the output then also gives executions per second
//! over all threads. Comparing THREADS=1 with THREADS=2 shows contention
//! inside SQLite itself, without HTTP.

use std::time::{Duration, Instant};

use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OpenFlags};

const COLLECTION_COLS: &str = "artifact_collection.id, artifact_collection.created, artifact_collection.updated, \
artifact_collection.key, artifact_collection.latest_id, artifact_collection.type, artifact_collection.description, \
artifact_collection.data, artifact_collection.metadata_, artifact_collection.flow_run_id, artifact_collection.task_run_id";
const ARTIFACT_COLS: &str = "artifact.id, artifact.created, artifact.updated, artifact.key, NULL, artifact.type, \
artifact.description, artifact.data, artifact.metadata_, artifact.flow_run_id, artifact.task_run_id";

/// As artifactd's connections: the planner ignores bound values, so a
/// rebound statement is not prepared again at each execution.
fn plan_as_artifactd(conn: &Connection) {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).expect("qpsg");
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: sqltime DB PARAMS_JSON [SECONDS]");
        std::process::exit(2);
    }
    if args[1] == "--copy" && args.len() >= 4 {
        copy_rows(&args[2], &args[3]);
        return;
    }
    let conn = Connection::open_with_flags(&args[1], OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open db");
    plan_as_artifactd(&conn);
    if args[2] == "--sql" && args.len() >= 5 {
        let params: Vec<serde_json::Value> = serde_json::from_str(&args[4]).expect("params: a JSON array");
        let params = params
            .iter()
            .map(|v| match v {
                serde_json::Value::Number(n) => Value::Integer(n.as_i64().expect("integer")),
                serde_json::Value::String(s) => text(s),
                other => text(&other.to_string()),
            })
            .collect();
        let secs: f64 = args.get(5).map(|s| s.parse().expect("seconds")).unwrap_or(2.0);
        let threads: usize = args.get(6).map(|s| s.parse().expect("threads")).unwrap_or(1);
        time_shapes(&conn, &args[1], vec![("custom", args[3].clone(), params)], secs, threads);
        return;
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&args[2]).expect("read params")).expect("params json");
    let secs: f64 = args.get(3).map(|s| s.parse().expect("seconds")).unwrap_or(2.0);
    let threads: usize = args.get(4).map(|s| s.parse().expect("threads")).unwrap_or(1);
    let p = |k: &str| meta[k].as_str().unwrap_or_else(|| panic!("params: {k} missing")).to_string();
    let (q2_like, q2_type, q3_flow, q3_state, q4_key) =
        (p("q2_like"), p("q2_type"), p("q3_flow"), p("q3_state"), p("q4_key"));

    let shapes: Vec<(&str, String, Vec<Value>)> = vec![
        // q1: POST /api/artifacts/latest/filter {} -> default sort ID_DESC, limit 200.
        (
            "q1",
            format!("SELECT {COLLECTION_COLS} FROM artifact_collection ORDER BY artifact_collection.id DESC LIMIT 200 OFFSET ?"),
            vec![Value::Integer(0)],
        ),
        // q2: artifacts.key.like_ + artifacts.type.any_, limit 50. Filtered
        // shapes run in two steps (db::artifacts::filter_sql): the page's
        // rowids from index entries, then the page's rows.
        (
            "q2",
            format!(
                "SELECT {COLLECTION_COLS} FROM (SELECT artifact_collection.rowid AS rid FROM artifact_collection \
WHERE ((artifact_collection.key LIKE ?) AND (artifact_collection.type IN (?))) \
ORDER BY artifact_collection.id DESC LIMIT 50 OFFSET ?) AS page \
CROSS JOIN artifact_collection ON artifact_collection.rowid = page.rid"
            ),
            vec![text(&format!("%{q2_like}%")), text(&q2_type), Value::Integer(0)],
        ),
        // q3: flows.name.any_ + flow_runs.state.type.any_, sort UPDATED_DESC, limit 50.
        // The related families are joins on primary keys (Families::from_clause).
        (
            "q3",
            format!(
                "SELECT {COLLECTION_COLS} FROM (SELECT artifact_collection.rowid AS rid FROM artifact_collection \
JOIN flow_run ON flow_run.id = artifact_collection.flow_run_id JOIN flow ON flow.id = flow_run.flow_id \
WHERE ((flow_run.state_type IN (?)) AND (flow.name IN (?))) \
ORDER BY artifact_collection.updated DESC LIMIT 50 OFFSET ?) AS page \
CROSS JOIN artifact_collection ON artifact_collection.rowid = page.rid"
            ),
            vec![text(&q3_state), text(&q3_flow), Value::Integer(0)],
        ),
        // q4: /api/artifacts/filter artifacts.key.any_, sort CREATED_DESC, limit 20.
        (
            "q4",
            format!(
                "SELECT {ARTIFACT_COLS} FROM (SELECT artifact.rowid AS rid FROM artifact \
WHERE artifact.key IN (?) ORDER BY artifact.created DESC LIMIT 20 OFFSET ?) AS page \
CROSS JOIN artifact ON artifact.rowid = page.rid"
            ),
            vec![text(&q4_key), Value::Integer(0)],
        ),
        // q5: POST /api/artifacts/latest/count {}.
        ("q5", "SELECT count(*) FROM artifact_collection".to_string(), vec![]),
    ];

    time_shapes(&conn, &args[1], shapes, secs, threads);
}

fn time_shapes(conn: &Connection, db: &str, shapes: Vec<(&str, String, Vec<Value>)>, secs: f64, threads: usize) {
    for (name, sql, params) in shapes {
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params_from_iter(params.iter()), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let wall = Instant::now();
        let results: Vec<(Vec<f64>, usize)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    let (sql, params) = (&sql, &params);
                    scope.spawn(move || {
                        let conn =
                            Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                                .expect("open db");
                        plan_as_artifactd(&conn);
                        // SQLTIME_CACHE_KIB: a page cache of that size, to see what misses cost.
                        if let Ok(kib) = std::env::var("SQLTIME_CACHE_KIB") {
                            conn.execute_batch(&format!("PRAGMA cache_size = -{kib}")).expect("cache_size");
                        }
                        run_loop(&conn, sql, params, secs)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        let wall_s = wall.elapsed().as_secs_f64();
        let rows_out = results[0].1;
        let mut times: Vec<f64> = results.into_iter().flat_map(|r| r.0).collect();
        let execs = times.len();
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        println!(
            "{}",
            serde_json::json!({
                "shape": name, "rows": rows_out, "runs": times.len(), "threads": threads,
                "execs_per_s": ((execs as f64 / wall_s) * 10.0).round() / 10.0,
                "median_ms": (pct(0.5) * 1000.0).round() / 1000.0,
                "min_ms": (times[0] * 1000.0).round() / 1000.0,
                "p99_ms": (pct(0.99) * 1000.0).round() / 1000.0,
                "plan": plan, "sql": sql,
            })
        );
    }
}

/// Runs `sql` again and again for `secs` (at least 5 times); returns the time
/// of each execution in ms and the number of rows of the last.
fn run_loop(conn: &Connection, sql: &str, params: &[Value], secs: f64) -> (Vec<f64>, usize) {
    let mut stmt = conn.prepare(sql).expect("prepare");
    let ncols = stmt.column_count();
    let mut times = Vec::new();
    let mut rows_out = 0usize;
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed() < Duration::from_secs_f64(secs) && times.len() < 100_000) {
        let t = Instant::now();
        let mut rows = stmt.query(params_from_iter(params.iter())).expect("query");
        let mut n = 0usize;
        let mut bytes = 0usize;
        while let Some(r) = rows.next().expect("step") {
            for i in 0..ncols {
                // Read every column, as the server does to build its answer.
                if let Ok(rusqlite::types::ValueRef::Text(s)) = r.get_ref(i) {
                    bytes += s.len();
                }
            }
            n += 1;
        }
        std::hint::black_box(bytes);
        times.push(t.elapsed().as_secs_f64() * 1e3);
        rows_out = n;
    }
    (times, rows_out)
}

fn copy_rows(target: &str, seeded: &str) {
    let t0 = Instant::now();
    let conn = Connection::open(target).expect("open target");
    conn.execute_batch("PRAGMA synchronous = FULL;").expect("pragma");
    conn.execute("ATTACH DATABASE ?1 AS src", [seeded]).expect("attach");
    // Ordinary tables only: a virtual table's shadow tables are filled
    // through it (here: by the triggers that the copied rows fire).
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'refinery_%' ORDER BY name",
        )
        .expect("tables")
        .query_map([], |r| r.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("tables");
    conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
    let mut rows = 0;
    for t in &tables {
        let q = format!("\"{}\"", t.replace('"', "\"\""));
        rows += conn.execute(&format!("INSERT OR IGNORE INTO main.{q} SELECT * FROM src.{q}"), []).expect("copy");
    }
    conn.execute_batch("COMMIT; DETACH DATABASE src;").expect("commit");
    drop(conn);
    println!("{{\"seconds\": {:.4}, \"rows\": {rows}}}", t0.elapsed().as_secs_f64());
}
