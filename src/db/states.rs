//! State history (`flow_run_state`, `task_run_state`) and the task-run
//! state cache: every state a run enters is appended here, in the same
//! transaction as the run's new state.

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

use crate::orchestration::RunKind;
use crate::pyjson;
use crate::schemas::runs::parse_time;
use crate::timefmt;

pub type Doc = Map<String, Value>;

fn table(kind: RunKind) -> (&'static str, &'static str) {
    match kind {
        RunKind::Flow => ("flow_run_state", "flow_run_id"),
        RunKind::Task => ("task_run_state", "task_run_id"),
    }
}

fn stored_time(v: Option<&Value>) -> String {
    v.and_then(parse_time).map(timefmt::to_stored).unwrap_or_else(timefmt::now_stored)
}

/// Appends `state` to the history of run `run_id` (a state already there,
/// by id, is left as it is).
pub fn append(conn: &Connection, kind: RunKind, run_id: &str, state: &Doc) -> rusqlite::Result<()> {
    let Some(id) = state.get("id").and_then(Value::as_str) else { return Ok(()) };
    let (t, col) = table(kind);
    let sql = format!("INSERT INTO {t} (id, {col}, timestamp, doc) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING");
    let doc = pyjson::to_pydantic_json(&Value::Object(state.clone()));
    conn.prepare_cached(&sql)?.execute(rusqlite::params![id, run_id, stored_time(state.get("timestamp")), doc])?;
    Ok(())
}

fn parse(s: &str) -> Option<Doc> {
    match pyjson::loads(s.as_bytes()) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

/// A run's states, oldest first (the reference orders by timestamp).
pub fn for_run(conn: &Connection, kind: RunKind, run_id: &str) -> rusqlite::Result<Vec<Doc>> {
    let (t, col) = table(kind);
    let sql = format!("SELECT doc FROM {t} WHERE {col} = ?1 ORDER BY timestamp, rowid");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(d) = parse(&r?) {
            out.push(d);
        }
    }
    Ok(out)
}

pub fn read(conn: &Connection, kind: RunKind, id: &str) -> rusqlite::Result<Option<Doc>> {
    let (t, _) = table(kind);
    let sql = format!("SELECT doc FROM {t} WHERE id = ?1");
    let s: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
    Ok(s.as_deref().and_then(parse))
}

/// Gives every run of `run_table` whose current state is not in the history
/// that state as its history (fixture-loaded runs arrive with a current
/// state only).
pub fn backfill(conn: &Connection, kind: RunKind) -> rusqlite::Result<usize> {
    let (t, col) = table(kind);
    let runs = match kind {
        RunKind::Flow => "flow_run",
        RunKind::Task => "task_run",
    };
    // A page at a time by rowid, so that memory does not grow with the
    // number of runs (each page holds whole documents).
    // SQLite hands over the state object alone (its JSON reader is fast,
    // and the rest of each document need not be parsed here).
    let sql = format!(
        "SELECT r.rowid, r.id, json_extract(r.doc, '$.state') FROM {runs} r WHERE r.rowid > ?1 \
         AND json_type(r.doc, '$.state') = 'object' AND json_extract(r.doc, '$.state.id') IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM {t} s WHERE s.{col} = r.id) ORDER BY r.rowid LIMIT 256"
    );
    let mut n = 0;
    let mut after = i64::MIN;
    loop {
        let rows: Vec<(i64, String, String)> = conn
            .prepare_cached(&sql)?
            .query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let Some((last, _, _)) = rows.last() else { return Ok(n) };
        after = *last;
        for (_, id, state) in rows {
            // Parsed as the fixture loader parses an element: serde_json
            // when it can, else Python's rules.
            let state = match serde_json::from_str::<Value>(&state) {
                Ok(Value::Object(m)) => Some(m),
                Ok(_) => None,
                Err(_) => parse(&state),
            };
            if let Some(state) = state {
                append(conn, kind, &id, &state)?;
                n += 1;
            }
        }
    }
}

/// CacheInsertion: `state_id` is the completed state cached under `key`.
pub fn cache_insert(
    conn: &Connection,
    key: &str,
    expiration: Option<&Value>,
    state_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<()> {
    let exp = expiration.and_then(parse_time).map(timefmt::to_stored);
    conn.prepare_cached(
        "INSERT INTO task_run_state_cache (cache_key, cache_expiration, task_run_state_id, created) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(rusqlite::params![key, exp, state_id, timefmt::to_stored(now)])?;
    Ok(())
}

/// CacheRetrieval: the newest unexpired state cached under `key`.
pub fn cache_lookup(conn: &Connection, key: &str, now: chrono::DateTime<chrono::Utc>) -> rusqlite::Result<Option<Doc>> {
    let s: Option<String> = conn
        .prepare_cached(
            "SELECT s.doc FROM task_run_state s WHERE s.id = (
                 SELECT c.task_run_state_id FROM task_run_state_cache c
                 WHERE c.cache_key = ?1 AND (c.cache_expiration IS NULL OR c.cache_expiration > ?2)
                 ORDER BY c.created DESC, c.seq DESC LIMIT 1)",
        )?
        .query_row(rusqlite::params![key, timefmt::to_stored(now)], |r| r.get(0))
        .optional()?;
    Ok(s.as_deref().and_then(parse))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_gives_runs_stored_before_their_current_state_as_history() {
        let mut conn = Connection::open_in_memory().expect("db");
        super::super::embedded::migrations::runner().set_target(refinery::Target::Version(4)).run(&mut conn).expect("V4");
        let state = r#"{"id":"01a00000-0000-7000-8000-0000000000s1","type":"RUNNING","name":"Running","timestamp":"2026-01-01T00:00:01Z","message":null,"data":{"x":1.50},"state_details":{}}"#;
        conn.execute(
            "INSERT INTO flow_run (id, created, updated, name, flow_id, state_timestamp, doc) VALUES ('r1', 'c', 'u', 'n', 'f', '2026-01-01T00:00:01.000000Z', ?1)",
            [format!(r#"{{"id":"r1","state":{state}}}"#)],
        )
        .expect("insert");
        // Neither a stateless run nor a malformed document stops the migration.
        conn.execute("INSERT INTO flow_run (id, created, updated, name, flow_id, doc) VALUES ('r2', 'c', 'u', 'n', 'f', '{\"state\":null}')", [])
            .expect("insert");
        conn.execute("INSERT INTO flow_run (id, created, updated, name, flow_id, doc) VALUES ('r3', 'c', 'u', 'n', 'f', 'not json')", [])
            .expect("insert");
        super::super::embedded::migrations::runner().run(&mut conn).expect("V5");
        let h = for_run(&conn, RunKind::Flow, "r1").expect("read");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0]["id"], "01a00000-0000-7000-8000-0000000000s1");
        assert_eq!(h[0]["data"], serde_json::json!({"x": 1.50}));
        assert!(for_run(&conn, RunKind::Flow, "r2").expect("read").is_empty());
        assert!(for_run(&conn, RunKind::Flow, "r3").expect("read").is_empty());
    }

    #[test]
    fn the_newest_unexpired_cache_entry_wins() {
        let mut conn = Connection::open_in_memory().expect("db");
        super::super::embedded::migrations::runner().run(&mut conn).expect("migrate");
        let now = chrono::Utc::now();
        for (id, ts) in [("s1", "2026-01-01T00:00:01Z"), ("s2", "2026-01-01T00:00:02Z"), ("s3", "2026-01-01T00:00:03Z")] {
            let mut st = Doc::new();
            st.insert("id".into(), Value::String(id.into()));
            st.insert("timestamp".into(), Value::String(ts.into()));
            append(&conn, RunKind::Task, "t", &st).expect("append");
        }
        cache_insert(&conn, "k", None, "s1", now - chrono::Duration::seconds(2)).expect("cache");
        cache_insert(&conn, "k", None, "s2", now - chrono::Duration::seconds(1)).expect("cache");
        let expired = Value::String("2000-01-01T00:00:00Z".into());
        cache_insert(&conn, "k", Some(&expired), "s3", now).expect("cache");
        let got = cache_lookup(&conn, "k", now).expect("lookup");
        assert_eq!(got.and_then(|d| d.get("id").cloned()), Some(Value::String("s2".into())));
        assert!(cache_lookup(&conn, "other", now).expect("lookup").is_none());
    }
}
