//! Event retention, as the reference's database vacuum (`vacuum_old_events`,
//! scheduled when the server starts and then every `loop_seconds`, 3600 by
//! default): deletes events (and their resource rows) that occurred longer
//! ago than `PREFECT_EVENTS_RETENTION_PERIOD` (7 days by default), in
//! batches of 200 (the vacuum's `batch_size`), each batch its own write so
//! other writes interleave. Never started on a read-only database.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::db::Db;

/// `server.services.db_vacuum.batch_size`.
pub const BATCH: usize = 200;
/// `server.services.db_vacuum.loop_seconds`.
pub const EVERY: StdDuration = StdDuration::from_secs(3600);

/// A retention period as pydantic reads a `timedelta` from the
/// environment: seconds (`604800`, `3600.5`) or an ISO 8601 duration
/// (`P7D`, `PT12H`, `P1DT2H3M4S`).
pub fn parse_period(s: &str) -> Option<Duration> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        return (secs.is_finite() && secs.abs() < 1e12).then(|| Duration::microseconds((secs * 1e6) as i64));
    }
    let rest = s.strip_prefix('P').or_else(|| s.strip_prefix('p'))?;
    let mut total = 0f64;
    let mut num = String::new();
    let mut in_time = false;
    for c in rest.chars() {
        match c {
            'T' | 't' if num.is_empty() => in_time = true,
            '0'..='9' | '.' => num.push(c),
            unit => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                total += n * match (unit.to_ascii_uppercase(), in_time) {
                    ('W', false) => 7.0 * 86400.0,
                    ('D', false) => 86400.0,
                    ('H', true) => 3600.0,
                    ('M', true) => 60.0,
                    ('S', true) => 1.0,
                    _ => return None,
                };
            }
        }
    }
    (num.is_empty() && total < 1e12).then(|| Duration::microseconds((total * 1e6) as i64))
}

/// The configured retention period (the reference's setting and its aliases).
pub fn period_from_env() -> Duration {
    ["PREFECT_SERVER_EVENTS_RETENTION_PERIOD", "PREFECT_EVENTS_RETENTION_PERIOD"]
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .and_then(|v| {
            let p = parse_period(&v);
            if p.is_none() {
                tracing::warn!(value = %v, "ignoring an unreadable events retention period");
            }
            p
        })
        .unwrap_or_else(crate::events::store::default_retention)
}

/// One vacuum pass: every event older than `now - period` goes. Returns
/// how many events and resource rows were deleted.
pub async fn vacuum(db: &Db, now: DateTime<Utc>, period: Duration) -> anyhow::Result<usize> {
    let cutoff = now - period;
    let mut total = 0;
    loop {
        let n = db
            .write_async(move |tx, _| -> anyhow::Result<usize> {
                Ok(crate::events::store::delete_older_than(tx, cutoff, BATCH)?)
            })
            .await?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

/// Starts the service on the current runtime (it ends with it).
pub fn start(db: &Db) {
    if db.is_read_only() {
        return;
    }
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: event retention not started");
        return;
    };
    let db = db.clone();
    let period = period_from_env();
    rt.spawn(async move {
        loop {
            match vacuum(&db, Utc::now(), period).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "event retention: deleted old events and event resources"),
                Err(e) => tracing::warn!(error = format!("{e:#}"), "event retention failed"),
            }
            actix_web::rt::time::sleep(EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert_eq!(parse_period("604800"), Some(Duration::days(7)));
        assert_eq!(parse_period("P7D"), Some(Duration::days(7)));
        assert_eq!(parse_period("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(parse_period("P1DT1S"), Some(Duration::seconds(86401)));
        assert_eq!(parse_period("P1H"), None);
        assert_eq!(parse_period("nope"), None);
        assert_eq!(parse_period("inf"), None);
    }
}
