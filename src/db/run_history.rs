//! SQL behind the run history and UI count endpoints, aggregated in SQLite
//! (one pass over the matching rows, bounded output) as the reference's
//! queries do on its SQLite database.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use crate::schemas::resource_query::RunFamilies;
use crate::schemas::run_history::{DashboardCounts, HistoryQuery, DASHBOARD_BUCKETS};
use crate::timefmt;

/// A run's estimated run time in seconds: its total run time, plus the time
/// in its current state while RUNNING (the ORM's `estimated_run_time`).
fn estimated_run_time(t: &str) -> String {
    format!(
        "({t}.total_run_time + CASE WHEN {t}.state_type = 'RUNNING' \
         THEN (julianday('now') - julianday({t}.state_timestamp)) * 86400.0 ELSE 0 END)"
    )
}

/// The ORM's `estimated_start_time_delta`: how late the run started, or, not
/// started and not final, how late it is now.
fn estimated_lateness(t: &str) -> String {
    format!(
        "(CASE WHEN {t}.start_time > {t}.expected_start_time \
           THEN (julianday({t}.start_time) - julianday({t}.expected_start_time)) * 86400.0 \
         WHEN {t}.start_time IS NULL AND julianday({t}.expected_start_time) < julianday('now') \
           AND {t}.state_type NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') \
           THEN (julianday('now') - julianday({t}.expected_start_time)) * 86400.0 \
         ELSE 0 END)"
    )
}

/// One state's aggregate within one interval.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub bucket: i64,
    pub state_type: Option<String>,
    pub state_name: Option<String>,
    pub count_runs: i64,
    pub sum_estimated_run_time: f64,
    pub sum_estimated_lateness: f64,
}

/// Runs expected to start in `[start, start + count * interval)`, grouped by
/// interval, state type and state name (in that order, as SQLite's GROUP BY
/// answers the reference's query).
pub fn history(conn: &Connection, q: &HistoryQuery) -> rusqlite::Result<Vec<HistoryRow>> {
    let r = q.families.resource;
    let t = r.table();
    let cond = q.families.cond();
    // Rounded to SQLite's millisecond precision first, as the reference
    // does, so julianday's float error cannot move a run across a
    // boundary; the difference is never negative, so CAST floors. Each
    // run's estimates count in whole seconds: the reference's
    // `extract('epoch', ...)` is `strftime('%s', ...)` on SQLite.
    let sql = format!(
        "SELECT CAST(round((julianday({t}.expected_start_time) - julianday(?)) * 86400.0, 3) / ? AS INTEGER) AS bucket, \
         {t}.state_type, {t}.state_name, count({t}.id), \
         sum(max(0, CAST(round({}, 6) AS INTEGER))), sum(max(0, CAST(round({}, 6) AS INTEGER))) \
         FROM {t} WHERE {t}.expected_start_time >= ? AND {t}.expected_start_time < ? AND {} \
         GROUP BY bucket, {t}.state_type, {t}.state_name ORDER BY bucket, {t}.state_type, {t}.state_name",
        estimated_run_time(t),
        estimated_lateness(t),
        cond.sql
    );
    let start = timefmt::to_stored(q.start);
    let mut params: Vec<SqlValue> = vec![
        SqlValue::Text(start.clone()),
        SqlValue::Real(q.interval_us as f64 / 1e6),
        SqlValue::Text(start),
        SqlValue::Text(timefmt::to_stored(q.query_end())),
    ];
    params.extend(cond.params);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |row| {
        Ok(HistoryRow {
            bucket: row.get(0)?,
            state_type: row.get(1)?,
            state_name: row.get(2)?,
            count_runs: row.get(3)?,
            sum_estimated_run_time: row.get::<_, Option<f64>>(4)?.unwrap_or(0.0),
            sum_estimated_lateness: row.get::<_, Option<f64>>(5)?.unwrap_or(0.0),
        })
    })?;
    rows.collect()
}

/// `(completed, failed)` per dashboard bucket: terminal task runs started
/// in the window, CRASHED and FAILED counted as failed.
pub fn dashboard_counts(conn: &Connection, q: &DashboardCounts) -> rusqlite::Result<Vec<(i64, i64)>> {
    let cond = q.families.cond();
    let sql = format!(
        "SELECT CAST((julianday(task_run.start_time) - julianday(?)) * 86400.0 / ? AS INTEGER) AS bucket, \
         sum(CASE WHEN task_run.state_type IN ('CRASHED', 'FAILED') THEN 1 ELSE 0 END), \
         sum(CASE WHEN task_run.state_type NOT IN ('CRASHED', 'FAILED') THEN 1 ELSE 0 END) \
         FROM task_run WHERE {} GROUP BY bucket",
        cond.sql
    );
    let mut params = vec![SqlValue::Text(timefmt::to_stored(q.start)), SqlValue::Real(q.bucket_seconds())];
    params.extend(cond.params);
    let mut out = vec![(0, 0); DASHBOARD_BUCKETS as usize];
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        let bucket: Option<i64> = row.get(0)?;
        // A run past the window (no `before_`, started after now) has no
        // bucket; the reference fails on it, artifactd leaves it out.
        if let Some(slot) = bucket.and_then(|b| usize::try_from(b).ok()).and_then(|b| out.get_mut(b)) {
            *slot = (row.get::<_, Option<i64>>(2)?.unwrap_or(0), row.get::<_, Option<i64>>(1)?.unwrap_or(0));
        }
    }
    Ok(out)
}

/// The state types `CountByState` reports, in its field order.
pub const COUNT_BY_STATE: [&str; 9] =
    ["COMPLETED", "PENDING", "RUNNING", "FAILED", "CANCELLED", "CRASHED", "PAUSED", "CANCELLING", "SCHEDULED"];

/// Task runs per state type, every type present (0 when none).
pub fn count_by_state(conn: &Connection, f: &RunFamilies) -> rusqlite::Result<Vec<(&'static str, i64)>> {
    let t = f.resource.table();
    let cond = f.cond();
    let sql = format!(
        "SELECT {t}.state_type, count(*) FROM {t} WHERE {t}.state_type IS NOT NULL AND {} GROUP BY {t}.state_type",
        cond.sql
    );
    let mut out: Vec<(&'static str, i64)> = COUNT_BY_STATE.iter().map(|s| (*s, 0)).collect();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(cond.params.iter()))?;
    while let Some(row) = rows.next()? {
        let st: String = row.get(0)?;
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == st) {
            slot.1 = row.get(1)?;
        }
    }
    Ok(out)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn counts_by(conn: &Connection, sql: &str, ids: &[String]) -> rusqlite::Result<Vec<(String, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params_from_iter(ids.iter()), |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Task runs per flow run, leaving out the task runs that stand for a
/// subflow run (the reference's `not_(TaskRun.subflow_run.has())`).
pub fn task_run_counts(conn: &Connection, flow_run_ids: &[String]) -> rusqlite::Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT task_run.flow_run_id, count(task_run.id) FROM task_run WHERE task_run.flow_run_id IN ({}) \
         AND NOT EXISTS (SELECT 1 FROM flow_run WHERE flow_run.parent_task_run_id = task_run.id) \
         GROUP BY task_run.flow_run_id",
        placeholders(flow_run_ids.len())
    );
    counts_by(conn, &sql, flow_run_ids)
}

/// Deployments per flow.
pub fn deployment_counts(conn: &Connection, flow_ids: &[String]) -> rusqlite::Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT flow_id, count(id) FROM deployment WHERE flow_id IN ({}) GROUP BY flow_id",
        placeholders(flow_ids.len())
    );
    counts_by(conn, &sql, flow_ids)
}

/// A flow's next scheduled run.
#[derive(Debug, Clone)]
pub struct NextRun {
    pub id: String,
    pub flow_id: String,
    pub name: Option<String>,
    pub state_name: Option<String>,
    pub state_type: Option<String>,
    pub next_scheduled_start_time: Option<String>,
}

/// Each flow's SCHEDULED run with the earliest next scheduled start time
/// (the reference's SQLite query; with ties the last row read wins there,
/// so rows come in the same order: by flow run rowid).
pub fn next_runs(conn: &Connection, flow_ids: &[String]) -> rusqlite::Result<Vec<NextRun>> {
    if flow_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH min_times AS (SELECT flow_id, MIN(next_scheduled_start_time) AS t FROM flow_run \
           WHERE flow_id IN ({}) AND state_type = 'SCHEDULED' GROUP BY flow_id) \
         SELECT fr.id, fr.flow_id, fr.name, fr.state_name, fr.state_type, fr.next_scheduled_start_time \
         FROM flow_run fr JOIN min_times mt ON fr.flow_id = mt.flow_id AND fr.next_scheduled_start_time = mt.t \
         WHERE fr.state_type = 'SCHEDULED'",
        placeholders(flow_ids.len())
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(flow_ids.iter()), |r| {
        Ok(NextRun {
            id: r.get(0)?,
            flow_id: r.get(1)?,
            name: r.get(2)?,
            state_name: r.get(3)?,
            state_type: r.get(4)?,
            next_scheduled_start_time: r.get::<_, Option<String>>(5)?.map(|s| timefmt::to_wire(&s)),
        })
    })?;
    rows.collect()
}

/// A flow run's name, for `/ui/task_runs/{id}`.
pub fn flow_run_name(conn: &Connection, flow_run_id: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT name FROM flow_run WHERE id = ?1")?
        .query_row([flow_run_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The average lateness of the matching flow runs in whole seconds (the
/// reference's SQLite query subtracts `strftime('%s', ...)` values), or
/// None when none match.
pub fn average_lateness(conn: &Connection, f: &RunFamilies) -> rusqlite::Result<Option<f64>> {
    let cond = f.cond();
    let sql = format!(
        "SELECT avg(CASE WHEN flow_run.start_time > flow_run.expected_start_time \
           THEN strftime('%s', flow_run.start_time) - strftime('%s', flow_run.expected_start_time) \
         WHEN flow_run.start_time IS NULL \
           AND flow_run.state_type NOT IN ('COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED') \
           AND julianday(flow_run.expected_start_time) < julianday('now') \
           THEN strftime('%s', 'now') - strftime('%s', flow_run.expected_start_time) \
         ELSE 0 END) FROM flow_run WHERE {}",
        cond.sql
    );
    conn.prepare_cached(&sql)?.query_row(params_from_iter(cond.params.iter()), |r| r.get(0))
}
