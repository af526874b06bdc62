//! Events in SQLite: written once per id (the persister's deduplication),
//! read back by filter, counted, and trimmed by the retention service.

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde_json::{Map, Value};

use super::filter::EventFilter;
use super::schema::{resource_id, Doc};
use crate::timefmt;

fn parse_doc(s: &str) -> Doc {
    serde_json::from_str(s).unwrap_or_default()
}

fn stored_time(v: Option<&Value>) -> String {
    v.and_then(|v| crate::coerce::datetime(v).ok()).map(timefmt::to_stored).unwrap_or_else(timefmt::now_stored)
}

/// Stores a ReceivedEvent unless one with its id is already stored; true
/// when it was new. New events are published once the write commits.
pub fn insert(conn: &Connection, event: &Doc) -> rusqlite::Result<bool> {
    let id = event.get("id").and_then(Value::as_str).unwrap_or("").to_string();
    let occurred = stored_time(event.get("occurred"));
    let received = stored_time(event.get("received"));
    let json = |k: &str| event.get(k).map(Value::to_string).unwrap_or_else(|| "null".into());
    let n = conn.prepare_cached(
        "INSERT OR IGNORE INTO events (id, occurred, event, resource_id, resource, related, payload, received, recorded, follows, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(rusqlite::params![
        id,
        occurred,
        event.get("event").and_then(Value::as_str).unwrap_or(""),
        resource_id(event),
        json("resource"),
        json("related"),
        json("payload"),
        received,
        timefmt::now_stored(),
        event.get("follows").and_then(Value::as_str),
        Value::Object(event.clone()).to_string(),
    ])?;
    if n == 0 {
        return Ok(false);
    }
    let mut ins = conn.prepare_cached(
        "INSERT INTO event_resources (event_id, occurred, resource_id, resource_role, resource) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut put = |r: &Map<String, Value>, role: &str| -> rusqlite::Result<()> {
        let mut rest = r.clone();
        let rid = rest.shift_remove("prefect.resource.id").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        rest.shift_remove("prefect.resource.role");
        ins.execute(rusqlite::params![id, occurred, rid, role, Value::Object(rest).to_string()])?;
        Ok(())
    };
    if let Some(Value::Object(r)) = event.get("resource") {
        put(r, "")?;
    }
    if let Some(Value::Array(rel)) = event.get("related") {
        for r in rel.iter().filter_map(Value::as_object) {
            let role = r.get("prefect.resource.role").and_then(Value::as_str).unwrap_or("").to_string();
            put(r, &role)?;
        }
    }
    super::bus::stage(event.clone());
    Ok(true)
}

/// `raw_count_events`: matching events (distinct resources with `distinct`).
pub fn count(conn: &Connection, f: &EventFilter) -> rusqlite::Result<i64> {
    let w = f.where_clause();
    let what = if f.distinct() { "count(DISTINCT e.resource_id)" } else { "count(*)" };
    let sql = format!("SELECT {what} FROM events e WHERE {}", w.sql);
    conn.prepare(&sql)?.query_row(params_from_iter(w.params), |r| r.get(0))
}

/// `read_events`: one page, by `occurred` in the filter's order (ties in
/// insertion order, as SQLite's scan of the reference's occurred index).
pub fn read(conn: &Connection, f: &EventFilter, limit: usize, offset: usize) -> rusqlite::Result<Vec<Doc>> {
    let limit = f.logical_limit().map_or(limit, |l| l.min(limit));
    let dir = if f.desc { "DESC" } else { "ASC" };
    let w = f.where_clause();
    let sql = if f.distinct() {
        format!(
            "SELECT doc FROM (SELECT e.doc, e.occurred, e.rowid AS rid, row_number() OVER (PARTITION BY e.resource_id ORDER BY e.occurred {dir}, e.rowid {dir}) AS rn
             FROM events e WHERE {}) WHERE rn = 1 ORDER BY occurred {dir}, rid {dir} LIMIT ? OFFSET ?",
            w.sql
        )
    } else {
        format!("SELECT e.doc FROM events e WHERE {} ORDER BY e.occurred {dir}, e.rowid {dir} LIMIT ? OFFSET ?", w.sql)
    };
    let mut params = w.params;
    params.push(SqlValue::Integer(limit as i64));
    params.push(SqlValue::Integer(offset as i64));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(params), |r| r.get::<_, String>(0))?;
    rows.map(|r| r.map(|s| parse_doc(&s))).collect()
}

/// One row of a count-by answer, before time buckets are filled in.
#[derive(Debug, Clone)]
pub struct CountRow {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub start_time: String,
    pub end_time: String,
}

/// The reference's count query: rows grouped by value and label, each value
/// relabelled with the label of its most recent events and re-summed.
/// `bucket` is the time bucket size in seconds for the time countables.
pub fn count_by(conn: &Connection, f: &EventFilter, countable: &str, bucket: f64) -> rusqlite::Result<Vec<CountRow>> {
    let w = f.where_clause();
    let (value, label) = match countable {
        "event" => ("e.event".to_string(), "e.event".to_string()),
        "resource" => (
            "e.resource_id".to_string(),
            "coalesce(json_extract(e.resource, '$.\"prefect.resource.name\"'), json_extract(e.resource, '$.\"prefect.name\"'), e.resource_id)".to_string(),
        ),
        _ => (
            {
                // floor() without SQLite's optional math functions.
                let x = format!("(CAST(strftime('%s', e.occurred) - strftime('%s', '2024-04-01 00:00:00') AS INTEGER) / {bucket:?})");
                format!("CAST(CAST({x} AS INTEGER) - ({x} < CAST({x} AS INTEGER)) AS TEXT)")
            },
            format!("strftime('%Y-%m-%dT%H:%M:%SZ', datetime(CAST((CAST(strftime('%s', e.occurred) AS INTEGER) / {bucket:?}) * {bucket:?} AS INTEGER), 'unixepoch'))"),
        ),
    };
    let order = if matches!(countable, "day" | "time") { "start_time ASC" } else { "count DESC, label ASC" };
    let sql = format!(
        "WITH fundamental AS (
             SELECT {value} AS value, {label} AS label, max(e.occurred) AS latest, min(e.occurred) AS oldest, count(*) AS count
             FROM events e WHERE {} GROUP BY 1, 2),
         relabelled AS (
             SELECT value, first_value(label) OVER (PARTITION BY value ORDER BY latest DESC) AS label, latest, oldest, count
             FROM fundamental)
         SELECT value, label, sum(count) AS count, min(oldest) AS start_time, max(latest) AS end_time
         FROM relabelled GROUP BY value, label ORDER BY {order}",
        w.sql
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(w.params), |r| {
        Ok(CountRow {
            value: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            label: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            count: r.get(2)?,
            start_time: r.get(3)?,
            end_time: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// Deletes up to `batch` events (and their resources) that occurred before
/// `cutoff`; returns how many rows of both tables went (0: nothing is left).
pub fn delete_older_than(conn: &Connection, cutoff: DateTime<Utc>, batch: usize) -> rusqlite::Result<usize> {
    let cutoff = timefmt::to_stored(cutoff);
    let resources = conn.prepare_cached(
        "DELETE FROM event_resources WHERE rowid IN (SELECT rowid FROM event_resources WHERE occurred < ?1 LIMIT ?2)",
    )?
    .execute(rusqlite::params![cutoff, batch as i64])?;
    let events = conn
        .prepare_cached("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred < ?1 LIMIT ?2)")?
        .execute(rusqlite::params![cutoff, batch as i64])?;
    Ok(resources + events)
}

/// The reference's default `PREFECT_EVENTS_RETENTION_PERIOD`.
pub fn default_retention() -> Duration {
    Duration::days(7)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(include_str!("../../migrations/V7__events.sql")).unwrap();
        c
    }

    fn ev(id: &str, occurred: &str, name: &str) -> Doc {
        let v = json!({
            "occurred": occurred, "event": name,
            "resource": {"prefect.resource.id": "r.1", "prefect.resource.name": "one"},
            "related": [{"prefect.resource.id": "t.1", "prefect.resource.role": "tag"}],
            "payload": {}, "id": id, "follows": null, "received": occurred
        });
        v.as_object().unwrap().clone()
    }

    fn filter(since: &str, until: &str) -> EventFilter {
        let mut f = EventFilter::default_at(Utc::now());
        f.since = crate::coerce::datetime(&json!(since)).unwrap();
        f.until = crate::coerce::datetime(&json!(until)).unwrap();
        f
    }

    #[test]
    fn one_row_per_id_with_its_resources() {
        let c = conn();
        let id = "0193a5b2-0000-7000-8000-000000000001";
        assert!(insert(&c, &ev(id, "2026-01-01T00:00:00Z", "a")).unwrap());
        assert!(!insert(&c, &ev(id, "2026-01-02T00:00:00Z", "b")).unwrap());
        let rows: i64 = c.query_row("SELECT count(*) FROM event_resources", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 2);
        let role: String = c.query_row("SELECT resource_role FROM event_resources WHERE resource_id = 't.1'", [], |r| r.get(0)).unwrap();
        assert_eq!(role, "tag");
        let f = filter("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
        let got = read(&c, &f, 10, 0).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["event"], "a");
        assert_eq!(count(&c, &f).unwrap(), 1);
    }

    #[test]
    fn counts_and_retention() {
        let c = conn();
        for (i, (t, n)) in [("2026-01-01T00:00:00Z", "a"), ("2026-01-01T01:00:00Z", "a"), ("2026-01-03T00:00:00Z", "b")].iter().enumerate() {
            insert(&c, &ev(&format!("0193a5b2-0000-7000-8000-00000000000{i}"), t, n)).unwrap();
        }
        let f = filter("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z");
        let by_event = count_by(&c, &f, "event", 86400.0).unwrap();
        assert_eq!(by_event.iter().map(|r| (r.value.as_str(), r.count)).collect::<Vec<_>>(), [("a", 2), ("b", 1)]);
        let by_day = count_by(&c, &f, "day", 86400.0).unwrap();
        assert_eq!(by_day.iter().map(|r| r.count).collect::<Vec<_>>(), [2, 1]);
        let cutoff = crate::coerce::datetime(&json!("2026-01-02T00:00:00Z")).unwrap();
        // Two events and their four resource rows, in batches of three.
        assert_eq!(delete_older_than(&c, cutoff, 3).unwrap(), 3 + 2);
        assert_eq!(delete_older_than(&c, cutoff, 3).unwrap(), 1);
        assert_eq!(delete_older_than(&c, cutoff, 3).unwrap(), 0);
        assert_eq!(count(&c, &f).unwrap(), 1);
    }
}
