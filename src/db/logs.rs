//! SQL for `log`.

use rusqlite::{named_params, params_from_iter, Connection};
use serde_json::{json, Value};

use crate::db::Clock;
use crate::pyjson;
use crate::schemas::logs::LogQuery;
use crate::schemas::runs::{uuid7, LogCreate};
use crate::timefmt;

pub fn create(conn: &Connection, clock: &mut Clock, logs: &[LogCreate]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO log (id, created, updated, name, level, message, timestamp, flow_run_id, task_run_id)
         VALUES (:id, :created, :updated, :name, :level, :message, :timestamp, :flow_run_id, :task_run_id)",
    )?;
    for l in logs {
        let t = clock.tick();
        let now = timefmt::to_stored(t);
        stmt.execute(named_params! {
            ":id": uuid7(t), ":created": now, ":updated": now, ":name": l.name, ":level": l.level,
            ":message": l.message, ":timestamp": timefmt::to_stored(l.timestamp),
            ":flow_run_id": l.flow_run_id, ":task_run_id": l.task_run_id,
        })?;
    }
    Ok(())
}

/// The matching logs as the JSON array the reference answers.
pub fn filter(conn: &Connection, q: &LogQuery) -> rusqlite::Result<String> {
    let cond = q.filter.as_ref().map(|f| f.cond()).unwrap_or_default();
    let where_ = if cond.sql.is_empty() { "1".to_string() } else { cond.sql };
    let order = if q.sort == "TIMESTAMP_DESC" { "log.timestamp DESC" } else { "log.timestamp ASC" };
    let sql = format!(
        "SELECT id, created, updated, name, level, message, timestamp, flow_run_id, task_run_id
         FROM log WHERE {where_} ORDER BY {order} {} OFFSET ?",
        crate::db::limit_sql(q.limit)
    );
    let mut params = cond.params;
    params.push(q.offset.into());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| {
        let time = |i: usize| -> rusqlite::Result<String> { Ok(timefmt::to_wire(&r.get::<_, String>(i)?)) };
        Ok(json!({
            "id": r.get::<_, String>(0)?,
            "created": time(1)?,
            "updated": time(2)?,
            "name": r.get::<_, String>(3)?,
            "level": r.get::<_, i64>(4)?,
            "message": r.get::<_, String>(5)?,
            "timestamp": time(6)?,
            "flow_run_id": r.get::<_, Option<String>>(7)?,
            "task_run_id": r.get::<_, Option<String>>(8)?,
        }))
    })?;
    let rows: Vec<Value> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(pyjson::to_pydantic_json(&Value::Array(rows)))
}
