//! SQL for `flow_run_input`: the key/value inputs of a flow run.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::db::Clock;
use crate::pyjson;
use crate::timefmt;

/// Why a create was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateRefused {
    NoSuchRun,
    KeyExists,
}

pub fn create(
    conn: &Connection,
    clock: &mut Clock,
    flow_run_id: &str,
    key: &str,
    value: &str,
    sender: Option<&str>,
) -> rusqlite::Result<Result<(), CreateRefused>> {
    if !conn.prepare_cached("SELECT 1 FROM flow_run WHERE id = ?1")?.exists([flow_run_id])? {
        return Ok(Err(CreateRefused::NoSuchRun));
    }
    if read(conn, flow_run_id, key)?.is_some() {
        return Ok(Err(CreateRefused::KeyExists));
    }
    let created = timefmt::to_stored(clock.tick());
    let updated = timefmt::to_stored(clock.tick());
    conn.prepare_cached(
        "INSERT INTO flow_run_input (id, created, updated, flow_run_id, key, value, sender) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![uuid::Uuid::new_v4().to_string(), created, updated, flow_run_id, key, value, sender])?;
    Ok(Ok(()))
}

/// The stored value of one input.
pub fn read(conn: &Connection, flow_run_id: &str, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM flow_run_input WHERE flow_run_id = ?1 AND key = ?2")?
        .query_row([flow_run_id, key], |r| r.get(0))
        .optional()
}

pub fn delete(conn: &Connection, flow_run_id: &str, key: &str) -> rusqlite::Result<bool> {
    Ok(conn.prepare_cached("DELETE FROM flow_run_input WHERE flow_run_id = ?1 AND key = ?2")?.execute([flow_run_id, key])? > 0)
}

pub fn delete_for_run(conn: &Connection, flow_run_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM flow_run_input WHERE flow_run_id = ?1")?.execute([flow_run_id])?;
    Ok(())
}

fn answer(r: &Row) -> rusqlite::Result<Value> {
    let sender: Option<String> = r.get(6)?;
    Ok(serde_json::json!({
        "id": r.get::<_, String>(0)?,
        "created": timefmt::to_wire(&r.get::<_, String>(1)?),
        "updated": timefmt::to_wire(&r.get::<_, String>(2)?),
        "flow_run_id": r.get::<_, String>(3)?,
        "key": r.get::<_, String>(4)?,
        "value": r.get::<_, String>(5)?,
        "sender": sender,
    }))
}

/// Inputs whose key starts with `prefix` (SQL `LIKE prefix%`, as the
/// reference builds it), minus `exclude`, oldest first, at most `limit`.
pub fn filter(conn: &Connection, flow_run_id: &str, prefix: &str, limit: i64, exclude: &[String]) -> rusqlite::Result<String> {
    let mut args = vec![SqlValue::Text(flow_run_id.into()), SqlValue::Text(format!("{prefix}%"))];
    let mut sql = String::from(
        "SELECT id, created, updated, flow_run_id, key, value, sender FROM flow_run_input
         WHERE flow_run_id = ? AND key LIKE ?",
    );
    if !exclude.is_empty() {
        sql.push_str(" AND key NOT IN (SELECT value FROM json_each(?))");
        args.push(SqlValue::Text(serde_json::to_string(exclude).unwrap_or_else(|_| "[]".into())));
    }
    sql.push_str(" ORDER BY created LIMIT ?");
    args.push(SqlValue::Integer(limit));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), answer)?;
    let items = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(pyjson::to_pydantic_json(&Value::Array(items)))
}
