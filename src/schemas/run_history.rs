//! Bodies of the run history and UI count endpoints: `/flow_runs/history`,
//! `/task_runs/history`, `/ui/flow_runs/history`,
//! `/ui/task_runs/dashboard/counts`, `/ui/task_runs/count` and the id-list
//! bodies of `/ui/flow_runs/count-task-runs` and `/ui/flows/*`. Each is
//! validated as FastAPI does: embedded body parameters in declaration order,
//! then the handler's own checks.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::resource_query::{all_missing, invalid, parse_offset, parse_sort, Resource, ResourceQuery, RunFamilies};
use super::validate::{self, Errors};
use crate::coerce::{self, Problem};
use crate::error::ApiError;

/// The reference returns at most this many intervals, however long the
/// range (`min(ceil(elapsed / interval), 500)`).
pub const MAX_INTERVALS: i64 = 500;

/// `/flow_runs/history` and `/task_runs/history`.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    pub families: RunFamilies,
    pub start: DateTime<Utc>,
    /// The interval in microseconds (Python's `timedelta` resolution).
    pub interval_us: i64,
    /// How many intervals are answered.
    pub count: i64,
}

impl HistoryQuery {
    pub fn parse(resource: Resource, body: &Option<Value>) -> Result<HistoryQuery, ApiError> {
        let families: &[&str] = match resource {
            Resource::FlowRuns => &["flows", "flow_runs", "task_runs", "deployments", "work_pools", "work_queues"],
            _ => &["flows", "flow_runs", "task_runs", "deployments"],
        };
        let mut params = vec!["history_start", "history_end", "history_interval_seconds"];
        params.extend_from_slice(families);
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(all_missing(&params, false, body)),
        };
        let loc = validate::body_loc();
        let mut errs = Errors::default();
        let present = |n: &str| obj.and_then(|o| o.get(n)).filter(|v| !v.is_null());
        let time = |n: &str, errs: &mut Errors| match obj.and_then(|o| o.get(n)) {
            // A required parameter: null is missing too (FastAPI's embedded Body).
            None | Some(Value::Null) => {
                errs.missing(&validate::key(&loc, n));
                None
            }
            Some(v) => match coerce::datetime(v) {
                Ok(t) => Some(t),
                Err(p) => {
                    errs.push(&validate::key(&loc, n), v, p);
                    None
                }
            },
        };
        let start = time("history_start", &mut errs);
        let end = time("history_end", &mut errs);
        let interval = match obj.and_then(|o| o.get("history_interval_seconds")) {
            None | Some(Value::Null) => {
                errs.missing(&validate::key(&loc, "history_interval_seconds"));
                None
            }
            Some(v) => match coerce::float(v) {
                Ok(f) => Some(f),
                Err(p) => {
                    errs.push(&validate::key(&loc, "history_interval_seconds"), v, p);
                    None
                }
            },
        };
        let mut fam = RunFamilies::empty(resource);
        for name in families {
            if let Some(v) = present(name) {
                fam.parse_one(name, v, &mut errs);
            }
        }
        if !errs.is_empty() {
            return Err(invalid(errs, body));
        }
        let (Some(start), Some(end), Some(interval)) = (start, end, interval) else {
            return Err(invalid(errs, body));
        };
        // `timedelta(seconds=...)` rounds to microseconds. The reference
        // fails with a 500 on NaN or beyond timedelta's range; a 422 here.
        if !interval.is_finite() || interval.abs() > 86_399_999_999_999.0 {
            return Err(ApiError::Unprocessable("History interval is out of range.".into()));
        }
        let interval_us = (interval * 1e6).round_ties_even() as i64;
        if interval_us < 1_000_000 {
            return Err(ApiError::Unprocessable("History interval must not be less than 1 second.".into()));
        }
        let count = interval_count(start, end, interval_us);
        Ok(HistoryQuery { families: fam, start, interval_us, count })
    }

    /// Interval `i`'s start and end.
    pub fn interval(&self, i: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |k: i64| self.start + Duration::microseconds(k.saturating_mul(self.interval_us));
        (at(i), at(i + 1))
    }

    /// The end of the last interval: runs expected before it are counted.
    pub fn query_end(&self) -> DateTime<Utc> {
        self.interval(self.count).0
    }
}

/// `min(ceil(elapsed / interval), 500)`, 0 for an empty or reversed range,
/// in whole microseconds as Python's timedelta arithmetic is.
pub fn interval_count(start: DateTime<Utc>, end: DateTime<Utc>, interval_us: i64) -> i64 {
    let elapsed = (end - start).num_microseconds().unwrap_or(if end > start { i64::MAX } else { 0 });
    if elapsed <= 0 || interval_us <= 0 {
        return 0;
    }
    let n = elapsed / interval_us + i64::from(elapsed % interval_us != 0);
    n.min(MAX_INTERVALS)
}

/// `/ui/flow_runs/history`: `sort` (default EXPECTED_START_TIME_DESC),
/// `limit: int = Body(1000, le=1000)` (a plain parameter, not the limit
/// dependency), `offset`, then the families.
pub fn parse_simple_history(body: &Option<Value>) -> Result<ResourceQuery, ApiError> {
    const PARAMS: &[&str] =
        &["sort", "limit", "offset", "flows", "flow_runs", "task_runs", "deployments", "work_pools"];
    let obj = match body {
        None => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => return Err(all_missing(PARAMS, false, body)),
    };
    let mut errs = Errors::default();
    let mut q = ResourceQuery {
        families: RunFamilies::empty(Resource::FlowRuns),
        sort: "EXPECTED_START_TIME_DESC",
        limit: 1000,
        offset: 0,
    };
    for name in PARAMS {
        let Some(v) = obj.and_then(|o| o.get(*name)).filter(|v| !v.is_null()) else { continue };
        match *name {
            "sort" => {
                if let Some(s) = parse_sort(v, Resource::FlowRuns.sorts(), &mut errs) {
                    q.sort = s;
                }
            }
            "limit" => match coerce::int(v) {
                Ok(n) if n > 1000 => errs.push(
                    &validate::key(&validate::body_loc(), "limit"),
                    v,
                    Problem {
                        kind: "less_than_equal",
                        msg: "Input should be less than or equal to 1000".into(),
                        ctx: Some(json!({ "le": 1000 })),
                    },
                ),
                // No lower bound there: SQLite reads a negative LIMIT as
                // none, which the upper bound caps here.
                Ok(n) if n < 0 => q.limit = 1000,
                Ok(n) => q.limit = n,
                Err(p) => errs.push(&validate::key(&validate::body_loc(), "limit"), v, p),
            },
            "offset" => q.offset = parse_offset(v, &mut errs),
            family => q.families.parse_one(family, v, &mut errs),
        }
    }
    if !errs.is_empty() {
        return Err(invalid(errs, body));
    }
    Ok(q)
}

/// `/ui/task_runs/count`: the task run families, no paging.
pub fn parse_task_run_count(body: &Option<Value>) -> Result<RunFamilies, ApiError> {
    const PARAMS: &[&str] = &["flows", "flow_runs", "task_runs", "deployments"];
    parse_families(Resource::TaskRuns, PARAMS, body)
}

fn parse_families(resource: Resource, params: &[&str], body: &Option<Value>) -> Result<RunFamilies, ApiError> {
    let obj = match body {
        None => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => return Err(all_missing(params, false, body)),
    };
    let mut errs = Errors::default();
    let mut fam = RunFamilies::empty(resource);
    for name in params {
        if let Some(v) = obj.and_then(|o| o.get(*name)).filter(|v| !v.is_null()) {
            fam.parse_one(name, v, &mut errs);
        }
    }
    if !errs.is_empty() {
        return Err(invalid(errs, body));
    }
    Ok(fam)
}

/// `/ui/task_runs/dashboard/counts`.
#[derive(Debug, Clone)]
pub struct DashboardCounts {
    /// The families with the task run state filter replaced by "terminal".
    pub families: RunFamilies,
    /// `start_time.after_`, truncated to the minute.
    pub start: DateTime<Utc>,
    /// The end of `start_time.before_`'s minute (or now's).
    pub end: DateTime<Utc>,
}

/// The reference always answers this many buckets.
pub const DASHBOARD_BUCKETS: i64 = 20;

impl DashboardCounts {
    pub fn parse(body: &Option<Value>, now: DateTime<Utc>) -> Result<DashboardCounts, ApiError> {
        const PARAMS: &[&str] = &["task_runs", "flows", "flow_runs", "deployments", "work_pools", "work_queues"];
        // `task_runs` is required: missing (or null) is a validation error.
        let obj = match body {
            Some(Value::Object(o)) => Some(o),
            None => None,
            Some(_) => return Err(all_missing(PARAMS, false, body)),
        };
        let task_runs = obj.and_then(|o| o.get("task_runs")).filter(|v| !v.is_null());
        if task_runs.is_none() {
            // Validate the rest too, so every error is reported at once.
            let mut errs = Errors::default();
            errs.missing(&validate::key(&validate::body_loc(), "task_runs"));
            let mut fam = RunFamilies::empty(Resource::TaskRuns);
            for name in &PARAMS[1..] {
                if let Some(v) = obj.and_then(|o| o.get(*name)).filter(|v| !v.is_null()) {
                    fam.parse_one(name, v, &mut errs);
                }
            }
            return Err(invalid(errs, body));
        }
        parse_families(Resource::TaskRuns, PARAMS, body)?;
        let start_time = task_runs.and_then(|t| t.get("start_time")).filter(|v| !v.is_null());
        let bound = |n: &str| start_time.and_then(|s| s.get(n)).filter(|v| !v.is_null()).and_then(|v| coerce::datetime(v).ok());
        let Some(after) = bound("after_") else {
            return Err(ApiError::Unprocessable("task_runs.start_time.after_ is required".into()));
        };
        // The handler replaces any state filter with "a terminal state".
        let mut replaced = body.clone().unwrap_or(Value::Null);
        if let Some(t) = replaced.get_mut("task_runs").and_then(Value::as_object_mut) {
            t.insert("state".into(), json!({ "type": { "any_": ["COMPLETED", "CANCELLED", "FAILED", "CRASHED"] } }));
        }
        let families = parse_families(Resource::TaskRuns, PARAMS, &Some(replaced))?;
        let start = truncate_to_minute(after);
        let end = end_of_minute(bound("before_").unwrap_or(now));
        Ok(DashboardCounts { families, start, end })
    }

    /// Each bucket's length in seconds (`(end - start) / 20`).
    pub fn bucket_seconds(&self) -> f64 {
        let us = (self.end - self.start).num_microseconds().unwrap_or(i64::MAX) as f64;
        // timedelta / 20 rounds to microseconds.
        (us / DASHBOARD_BUCKETS as f64).round_ties_even() / 1e6
    }
}

fn truncate_to_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(0).and_then(|t| t.with_second(0)).unwrap_or(t)
}

/// Pendulum's `end_of("minute")`: the minute's last microsecond.
fn end_of_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    truncate_to_minute(t) + Duration::microseconds(59_999_999)
}

/// An embedded `list[UUID]` body parameter with `max_length=200`
/// (`flow_run_ids`, `flow_ids`), in the stored text form.
pub fn parse_id_list(body: &Option<Value>, name: &str) -> Result<Vec<String>, ApiError> {
    let loc = validate::key(&validate::body_loc(), name);
    let mut errs = Errors::default();
    let v = match body {
        // An embedded body parameter given as null is missing to FastAPI.
        Some(Value::Object(o)) => o.get(name).filter(|v| !v.is_null()),
        _ => None,
    };
    let Some(v) = v else {
        errs.missing(&loc);
        return Err(invalid(errs, body));
    };
    let ids = validate::list(v, &loc, &mut errs, super::filters::uuid_text);
    if let Some(ids) = &ids {
        if ids.len() > 200 {
            errs.push(
                &loc,
                v,
                Problem {
                    kind: "too_long",
                    msg: format!("List should have at most 200 items after validation, not {}", ids.len()),
                    ctx: Some(json!({ "field_type": "List", "max_length": 200, "actual_length": ids.len() })),
                },
            );
        }
    }
    match ids {
        Some(ids) if errs.is_empty() => Ok(ids),
        _ => Err(invalid(errs, body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn interval_count_rounds_up_and_caps_at_500() {
        let s = t("2024-01-01T00:00:00Z");
        assert_eq!(interval_count(s, t("2024-01-01T01:00:00Z"), 600_000_000), 6);
        assert_eq!(interval_count(s, t("2024-01-01T01:00:00.000001Z"), 600_000_000), 7);
        assert_eq!(interval_count(s, s, 600_000_000), 0);
        assert_eq!(interval_count(t("2024-01-02T00:00:00Z"), s, 1_000_000), 0);
        assert_eq!(interval_count(s, t("2025-01-01T00:00:00Z"), 1_000_000), MAX_INTERVALS);
    }

    #[test]
    fn dashboard_window_is_whole_minutes() {
        let now = t("2024-01-01T12:34:56.789Z");
        let body = Some(json!({"task_runs": {"start_time": {"after_": "2024-01-01T12:00:30Z"}}}));
        let d = DashboardCounts::parse(&body, now).map_err(|e| e.to_string()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.start, t("2024-01-01T12:00:00Z"));
        assert_eq!(d.end, t("2024-01-01T12:34:59.999999Z"));
        // 2099.999999 s / 20, to the microsecond as Python's timedelta divides.
        assert_eq!(d.bucket_seconds(), 105.0);
    }

    #[test]
    fn dashboard_counts_need_a_start() {
        let body = Some(json!({"task_runs": {}}));
        assert!(matches!(DashboardCounts::parse(&body, Utc::now()), Err(ApiError::Unprocessable(_))));
        assert!(matches!(DashboardCounts::parse(&Some(json!({})), Utc::now()), Err(ApiError::Validation { .. })));
    }

    #[test]
    fn id_lists_are_bounded() {
        let ids: Vec<String> = (0..201).map(|_| uuid::Uuid::new_v4().to_string()).collect();
        assert!(parse_id_list(&Some(json!({"flow_ids": ids})), "flow_ids").is_err());
        assert_eq!(parse_id_list(&Some(json!({"flow_ids": []})), "flow_ids").map(|v| v.len()).ok(), Some(0));
    }
}
