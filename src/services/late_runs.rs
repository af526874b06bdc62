//! The reference's late-runs service (`services/late_runs.py`): every
//! `loop_seconds`, flow runs still in a state named Scheduled whose
//! `next_scheduled_start_time` is more than `after_seconds` ago are moved
//! to a Scheduled state named Late (same scheduled time), up to 400 a pass.

use std::time::Duration;

use chrono::Utc;
use rusqlite::Connection;
use serde_json::Value;

use crate::db::{runs, Clock, Db};
use crate::schemas::resource_query::Resource;
use crate::schemas::runs::StateCreate;
use crate::timefmt;

/// The reference's batch size.
const BATCH: i64 = 400;

/// `PREFECT_SERVER_SERVICES_LATE_RUNS_*` (or the older `PREFECT_API_SERVICES_LATE_RUNS_*`).
#[derive(Debug, Clone, PartialEq)]
pub struct LateRunsSettings {
    pub enabled: bool,
    /// How often to look (reference default 5 s).
    pub loop_seconds: f64,
    /// How late a run must be (reference default 15 s).
    pub after_seconds: f64,
}

impl Default for LateRunsSettings {
    fn default() -> Self {
        LateRunsSettings { enabled: true, loop_seconds: 5.0, after_seconds: 15.0 }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("PREFECT_SERVER_SERVICES_LATE_RUNS_{name}"))
        .or_else(|_| std::env::var(format!("PREFECT_API_SERVICES_LATE_RUNS_{name}")))
        .ok()
}

fn seconds(name: &str, v: &str) -> anyhow::Result<f64> {
    match v.trim().parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 => Ok(f),
        _ => anyhow::bail!("PREFECT_SERVER_SERVICES_LATE_RUNS_{name} must be a number of seconds, not {v:?}"),
    }
}

impl LateRunsSettings {
    pub fn from_env() -> anyhow::Result<Self> {
        let mut s = LateRunsSettings::default();
        if let Some(v) = env("ENABLED") {
            s.enabled = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" | "t" | "y" => true,
                "0" | "false" | "no" | "off" | "f" | "n" => false,
                _ => anyhow::bail!("PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED must be true or false, not {v:?}"),
            };
        }
        if let Some(v) = env("LOOP_SECONDS") {
            s.loop_seconds = seconds("LOOP_SECONDS", &v)?;
        }
        if let Some(v) = env("AFTER_SECONDS") {
            s.after_seconds = seconds("AFTER_SECONDS", &v)?;
        }
        Ok(s)
    }
}

/// The Late state of a run scheduled at `scheduled_time` (`states.Late`).
fn late(scheduled_time: Value) -> StateCreate {
    let mut s = StateCreate::pending();
    s.r#type = "SCHEDULED".into();
    s.name = "Late".into();
    s.details.insert("scheduled_time".into(), scheduled_time);
    s
}

/// One pass: marks the runs late in one write; returns how many.
pub fn mark_late_runs(conn: &Connection, clock: &mut Clock, after: Duration) -> rusqlite::Result<usize> {
    let cutoff = Utc::now() - chrono::Duration::from_std(after).unwrap_or_else(|_| chrono::Duration::zero());
    let ids: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM flow_run WHERE next_scheduled_start_time <= ?1
             AND state_type = 'SCHEDULED' AND state_name = 'Scheduled' LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![timefmt::to_stored(cutoff), BATCH], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut n = 0;
    for id in ids {
        let Some(doc) = runs::read(conn, Resource::FlowRuns, &id)? else { continue };
        // Only a run still Scheduled is marked (EnsureOnlyScheduledFlowsMarkedLate).
        let state = doc.get("state");
        let still = state.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("SCHEDULED")
            && state.and_then(|s| s.get("name")).and_then(Value::as_str) == Some("Scheduled");
        if !still {
            continue;
        }
        let when = doc.get("next_scheduled_start_time").cloned().unwrap_or(Value::Null);
        let policy = crate::orchestration::FlowPolicy::MarkLate;
        if runs::set_flow_run_state_with(conn, clock, &id, &late(when), policy, None)?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// One pass through the database's writer.
pub fn run_once(db: &Db, after: Duration) -> anyhow::Result<usize> {
    db.write(move |tx, clock| mark_late_runs(tx, clock, after).map_err(anyhow::Error::from))
}

pub fn start(db: Db, settings: LateRunsSettings) -> std::io::Result<super::Service> {
    let after = Duration::from_secs_f64(settings.after_seconds);
    let every = Duration::from_secs_f64(settings.loop_seconds.max(0.01));
    super::Service::spawn("late-runs", every, move || match run_once(&db, after) {
        Ok(0) => {}
        Ok(n) => tracing::info!(runs = n, "marked late"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "late runs service"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_defaults() {
        assert_eq!(LateRunsSettings::default(), LateRunsSettings { enabled: true, loop_seconds: 5.0, after_seconds: 15.0 });
    }

    #[test]
    fn bad_seconds_are_refused() {
        assert!(seconds("X", "abc").is_err());
        assert!(seconds("X", "-1").is_err());
        assert_eq!(seconds("X", " 2.5 ").ok(), Some(2.5));
    }

    #[test]
    fn late_keeps_the_scheduled_time() {
        let s = late(Value::String("2024-01-01T00:00:00Z".into()));
        assert_eq!((s.r#type.as_str(), s.name.as_str()), ("SCHEDULED", "Late"));
        assert_eq!(s.details["scheduled_time"], "2024-01-01T00:00:00Z");
    }
}
