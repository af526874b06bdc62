//! SQL behind the run history and UI count endpoints, aggregated in SQLite
//! (one pass over the matching rows, bounded output) as the reference's
//! queries do on its SQLite database.

use std::collections::BTreeMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

use crate::schemas::resource_query::RunFamilies;
use crate::schemas::run_history::{DashboardCounts, HistoryQuery, DASHBOARD_BUCKETS};
use crate::timefmt;

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

/// An interval and a state type and name: what history groups runs by.
type GroupKey = (i64, Option<String>, Option<String>);

/// Runs expected to start in `[start, start + count * interval)`, grouped by
/// interval, state type and state name (in that order, as SQLite's GROUP BY
/// answers the reference's query).
pub fn history(conn: &Connection, q: &HistoryQuery) -> rusqlite::Result<Vec<HistoryRow>> {
    let r = q.families.resource;
    let t = r.table();
    let start = timefmt::to_stored(q.start);
    let end = timefmt::to_stored(q.query_end());
    // How to reach the rows in range: through the expected start time index
    // when they are few, else by reading the table in order (one lookup per
    // row through the index costs several times a sequential read, which
    // matters when the range holds most of the table).
    let in_range: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM {t} WHERE expected_start_time >= ?1 AND expected_start_time < ?2"))?
        .query_row([&start, &end], |row| row.get(0))?;
    if in_range == 0 {
        return Ok(Vec::new());
    }
    let rows: i64 = conn.prepare_cached(&format!("SELECT coalesce(max(rowid), 0) FROM {t}"))?.query_row([], |row| row.get(0))?;
    let by = if in_range.saturating_mul(4) > rows { "+" } else { "" };
    let cond = q.families.cond();
    // Aggregated here rather than by SQLite's GROUP BY: a few columns per
    // row are read in one pass, and the times parsed once, which is several
    // times faster than julianday() on each and a sort of every row.
    let sql = format!(
        "SELECT {t}.expected_start_time, {t}.state_type, {t}.state_name, {t}.total_run_time, \
         {t}.state_timestamp, {t}.start_time \
         FROM {t} WHERE {by}{t}.expected_start_time >= ? AND {by}{t}.expected_start_time < ? AND {}",
        cond.sql
    );
    let mut params: Vec<SqlValue> = vec![SqlValue::Text(start), SqlValue::Text(end)];
    params.extend(cond.params);
    let now = chrono::Utc::now();
    let start_ms = millis(q.start);
    let interval_ms = q.interval_us as f64 / 1e3;
    let mut groups: BTreeMap<GroupKey, (i64, f64, f64)> = BTreeMap::new();
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut found = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = found.next()? {
        let Some(expected) = row.get::<_, Option<String>>(0)?.as_deref().and_then(timefmt::parse_stored) else { continue };
        let state_type: Option<String> = row.get(1)?;
        let state_name: Option<String> = row.get(2)?;
        let total: f64 = row.get::<_, Option<f64>>(3)?.unwrap_or(0.0);
        let state_ts = row.get::<_, Option<String>>(4)?.as_deref().and_then(timefmt::parse_stored);
        let started = row.get::<_, Option<String>>(5)?.as_deref().and_then(timefmt::parse_stored);
        // The offset in SQLite's milliseconds (the reference rounds it so
        // before it divides); never negative, so the cast floors.
        let bucket = ((millis(expected) - start_ms) as f64 / interval_ms) as i64;
        let st = state_type.as_deref().unwrap_or("");
        // In milliseconds, as SQLite's julianday() and strftime() hold
        // times and intervals (each rounded to one on parsing).
        let total_ms = (total * 1e3).round() as i64;
        let run_time = match (st, state_ts) {
            ("RUNNING", Some(ts)) => total_ms + millis(now) - millis(ts),
            _ => total_ms,
        };
        let lateness = match started {
            Some(s) if s > expected => millis(s) - millis(expected),
            Some(_) => 0,
            None if expected < now && !state_type.as_deref().is_some_and(crate::schemas::runs::is_final) && state_type.is_some() => {
                millis(now) - millis(expected)
            }
            None => 0,
        };
        let g = groups.entry((bucket, state_type, state_name)).or_insert((0, 0.0, 0.0));
        g.0 += 1;
        g.1 += whole_seconds(run_time);
        g.2 += whole_seconds(lateness);
    }
    Ok(groups
        .into_iter()
        .map(|((bucket, state_type, state_name), (n, ran, late))| HistoryRow {
            bucket,
            state_type,
            state_name,
            count_runs: n,
            sum_estimated_run_time: ran,
            sum_estimated_lateness: late,
        })
        .collect())
}

/// A time as SQLite's julianday() holds it: whole milliseconds (rounded).
fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    (t.timestamp_micros() + 500).div_euclid(1000)
}

/// An estimate as the reference sums it on SQLite: `strftime('%s', ...)`
/// of the interval, whole seconds (floored), and never below zero.
fn whole_seconds(ms: i64) -> f64 {
    if ms > 0 {
        ms.div_euclid(1000) as f64
    } else {
        0.0
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schemas::resource_query::Resource;
    use serde_json::json;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().expect("db");
        super::super::embedded::migrations::runner().run(&mut conn).expect("migrate");
        conn
    }

    /// A finished flow run expected at `expected`, started `late` seconds
    /// after it, that ran `ran` seconds.
    fn run(conn: &Connection, id: &str, state: &str, expected: &str, late: Option<f64>, ran: f64) {
        let exp = timefmt::parse_stored(expected).expect("time");
        let start = late.map(|s| timefmt::to_stored(exp + chrono::Duration::microseconds((s * 1e6) as i64)));
        let name = format!("{}{}", &state[..1], state[1..].to_lowercase());
        conn.execute(
            "INSERT INTO flow_run (id, created, updated, name, flow_id, state_type, state_name, state_timestamp, \
             expected_start_time, start_time, total_run_time, doc) VALUES (?1, ?2, ?2, ?1, 'f', ?3, ?4, ?2, ?2, ?5, ?6, '{}')",
            rusqlite::params![id, expected, state, name, start, ran],
        )
        .expect("insert");
    }

    fn history_of(conn: &Connection, body: serde_json::Value) -> Vec<HistoryRow> {
        let q = HistoryQuery::parse(Resource::FlowRuns, &Some(body)).map_err(|e| e.to_string()).expect("query");
        history(conn, &q).expect("history")
    }

    fn row(bucket: i64, state: &str, name: &str, n: i64, ran: f64, late: f64) -> HistoryRow {
        HistoryRow {
            bucket,
            state_type: Some(state.into()),
            state_name: Some(name.into()),
            count_runs: n,
            sum_estimated_run_time: ran,
            sum_estimated_lateness: late,
        }
    }

    #[test]
    fn runs_fall_in_the_interval_they_are_expected_in_and_estimates_count_whole_seconds() {
        let conn = db();
        // On a boundary: the later interval. The reference sums whole
        // seconds per run (strftime('%s')), so 2.9 s counts 2 and 10.75 s 10.
        run(&conn, "a", "COMPLETED", "2024-01-01T00:00:00.000000Z", Some(10.75), 2.9);
        run(&conn, "a2", "COMPLETED", "2024-01-01T00:10:00.000000Z", Some(1.5), 1.5);
        run(&conn, "b", "FAILED", "2024-01-01T00:30:00.000000Z", None, 0.0);
        // At the end, and before the start: not counted.
        run(&conn, "c", "FAILED", "2024-01-01T01:00:00.000000Z", None, 0.0);
        run(&conn, "d", "FAILED", "2023-12-31T23:59:59.000000Z", None, 0.0);
        let got = history_of(
            &conn,
            json!({"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-01T01:00:00Z", "history_interval_seconds": 1800}),
        );
        assert_eq!(got, vec![row(0, "COMPLETED", "Completed", 2, 3.0, 11.0), row(1, "FAILED", "Failed", 1, 0.0, 0.0)]);
    }

    #[test]
    fn estimates_are_taken_to_the_millisecond_before_they_are_floored() {
        // SQLite reads 2.9996 s as 3.000 (it keeps milliseconds, rounded),
        // so the reference counts 3 where flooring the float would give 2.
        let conn = db();
        run(&conn, "a", "COMPLETED", "2024-01-01T00:00:00.000000Z", Some(4.9996), 2.9996);
        run(&conn, "b", "COMPLETED", "2024-01-01T00:00:01.000000Z", Some(0.9994), 0.9994);
        let got = history_of(
            &conn,
            json!({"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-01T01:00:00Z", "history_interval_seconds": 3600}),
        );
        assert_eq!(got, vec![row(0, "COMPLETED", "Completed", 2, 3.0, 5.0)]);
    }

    #[test]
    fn the_last_interval_runs_past_the_end_when_the_range_is_not_a_multiple() {
        let conn = db();
        run(&conn, "a", "COMPLETED", "2024-01-01T00:50:00.000000Z", None, 0.0);
        let got = history_of(
            &conn,
            json!({"history_start": "2024-01-01T00:00:00Z", "history_end": "2024-01-01T00:45:00Z", "history_interval_seconds": 1800}),
        );
        assert_eq!(got, vec![row(1, "COMPLETED", "Completed", 1, 0.0, 0.0)]);
    }

    #[test]
    fn dashboard_buckets_split_the_window_in_twenty() {
        let conn = db();
        for (id, state, start) in [
            ("t1", "COMPLETED", "2024-01-01T12:01:05.000000Z"),
            ("t2", "CRASHED", "2024-01-01T12:01:30.000000Z"),
            ("t3", "RUNNING", "2024-01-01T12:02:00.000000Z"),
            ("t4", "CANCELLED", "2024-01-01T12:18:59.000000Z"),
        ] {
            conn.execute(
                "INSERT INTO task_run (id, created, updated, name, flow_run_id, task_key, dynamic_key, state_type, start_time, doc) \
                 VALUES (?1, ?2, ?2, ?1, NULL, 'k', ?1, ?3, ?2, '{}')",
                rusqlite::params![id, start, state],
            )
            .expect("insert");
        }
        let body = json!({"task_runs": {"start_time": {"after_": "2024-01-01T12:00:10Z", "before_": "2024-01-01T12:19:00Z"}}});
        let q = DashboardCounts::parse(&Some(body), chrono::Utc::now()).map_err(|e| e.to_string()).expect("query");
        let got = dashboard_counts(&conn, &q).expect("counts");
        let mut want = vec![(0, 0); 20];
        want[1] = (1, 1); // t1 completed, t2 crashed; t3 is not finished
        // 12:00 to 12:19:59.999999 in 20: a minute each; t4 at 12:18:59.
        want[18] = (1, 0);
        assert_eq!(got, want);
    }
}
