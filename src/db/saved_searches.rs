//! SQL for `saved_search`. Answers are written from the stored columns;
//! `filters` is JSON text already in the wire form.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::db::Clock;
use crate::pyjson;
use crate::schemas::saved_searches::SavedSearchCreate;
use crate::timefmt;

const COLS: &str = "id, created, updated, name, filters";

fn row_answer(r: &Row) -> rusqlite::Result<String> {
    let (id, created, updated, name, filters): (String, String, String, String, String) =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    Ok(format!(
        "{{\"id\":\"{id}\",\"created\":\"{}\",\"updated\":\"{}\",\"name\":{},\"filters\":{filters}}}",
        timefmt::to_wire(&created),
        timefmt::to_wire(&updated),
        pyjson::to_pydantic_json(&Value::String(name)),
    ))
}

/// Creates the saved search, or, when one has the name, replaces its
/// filters only (the reference's upsert keeps its id and both stamps).
/// Returns the answer and whether it was created.
pub fn upsert(conn: &Connection, clock: &mut Clock, s: &SavedSearchCreate) -> rusqlite::Result<(String, bool)> {
    let id = uuid::Uuid::new_v4().to_string();
    let created = timefmt::to_stored(clock.tick());
    let updated = timefmt::to_stored(clock.tick());
    let inserted = conn
        .prepare_cached(
            "INSERT INTO saved_search (id, created, updated, name, filters) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (name) DO NOTHING",
        )?
        .execute(params![id, created, updated, s.name, s.filters])?
        == 1;
    if !inserted {
        conn.prepare_cached("UPDATE saved_search SET filters = ?2 WHERE name = ?1")?.execute(params![s.name, s.filters])?;
    }
    let answer = conn
        .prepare_cached(&format!("SELECT {COLS} FROM saved_search WHERE name = ?1"))?
        .query_row([&s.name], row_answer)?;
    Ok((answer, inserted))
}

pub fn read(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("SELECT {COLS} FROM saved_search WHERE id = ?1"))?.query_row([id], row_answer).optional()
}

/// A page of saved searches by name (binary order, as the reference's SQLite).
pub fn filter(conn: &Connection, limit: i64, offset: i64) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM saved_search ORDER BY name LIMIT ?1 OFFSET ?2"))?;
    let rows = stmt.query_map(params![limit, offset], row_answer)?;
    let mut out = String::from("[");
    for (i, r) in rows.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&r?);
    }
    out.push(']');
    Ok(out)
}

/// Whether a saved search had the id.
pub fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn.prepare_cached("DELETE FROM saved_search WHERE id = ?1")?.execute([id])? == 1)
}
