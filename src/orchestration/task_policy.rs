//! Task-run rules of `CoreTaskPolicy` (what the API's set_state uses),
//! `BackgroundTaskPolicy` (deferred task runs) and `MinimalTaskPolicy`
//! (force). There are no tag concurrency limits, so
//! SecureTaskConcurrencySlots and ReleaseTaskConcurrencySlots do nothing,
//! and no task queue, so EnqueueScheduledTasks has nothing to enqueue.

use serde_json::{json, Value};

use super::common::{CopyScheduledTime, PreventPendingTransitions, RenameReruns, WaitForScheduledTime};
use super::states::{detail, detail_str, detail_true, fresh_copy, new_state, scheduled, set_detail, state_type, truthy};
use super::{Ctx, Rule, TaskPolicy, Types, MAX_CACHE_KEY_LENGTH};

pub fn rules(policy: TaskPolicy) -> Vec<Box<dyn Rule>> {
    match policy {
        TaskPolicy::Core => vec![
            Box::new(CacheRetrieval),
            Box::new(HandleTaskTerminalStateTransitions { original_run_count: None }),
            Box::new(PreventRunningTasksFromStoppedFlows),
            Box::new(CopyScheduledTime),
            Box::new(WaitForScheduledTime),
            Box::new(RetryFailedTasks),
            Box::new(RenameReruns),
            Box::new(UpdateFlowRunTrackerOnTasks),
            Box::new(CacheInsertion),
        ],
        TaskPolicy::Background => vec![
            Box::new(PreventPendingTransitions),
            Box::new(CacheRetrieval),
            Box::new(HandleTaskTerminalStateTransitions { original_run_count: None }),
            Box::new(CopyScheduledTime),
            Box::new(CopyTaskParametersId),
            Box::new(WaitForScheduledTime),
            Box::new(RetryFailedTasks),
            Box::new(RenameReruns),
            Box::new(UpdateFlowRunTrackerOnTasks),
            Box::new(CacheInsertion),
        ],
        TaskPolicy::Minimal => Vec::new(),
    }
}

fn run_count(ctx: &Ctx) -> i64 {
    ctx.run.get("run_count").and_then(Value::as_i64).unwrap_or(0)
}

/// Starting with a cache key of a cached completed state answers that
/// state instead (a fresh copy named "Cached"); `db` finds it.
struct CacheRetrieval;

impl Rule for CacheRetrieval {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(p) = ctx.proposed.as_ref() else { return };
        if !wants_cache(p) {
            return;
        }
        if let Some(cached) = ctx.facts.cached_state.as_ref() {
            let mut s = fresh_copy(cached, ctx.facts.now);
            s.insert("name".into(), json!("Cached"));
            ctx.reject(Some(s), "Retrieved state from cache");
        }
    }
}

/// Whether CacheRetrieval looks the proposal's cache key up.
pub fn wants_cache(proposed: &super::Doc) -> bool {
    state_type(proposed) == Some("RUNNING")
        && detail_str(proposed, "cache_key").is_some_and(|k| !k.is_empty())
        && !detail_true(proposed, "refresh_cache")
}

/// Leaving a terminal state: never to CANCELLING/PAUSED/CRASHED, not away
/// from a completed state with a persisted result; a non-final proposal
/// resets the run count (so retries start over), and starting again during
/// a flow-run retry is "Retrying".
struct HandleTaskTerminalStateTransitions {
    original_run_count: Option<Value>,
}

impl Rule for HandleTaskTerminalStateTransitions {
    fn initial_types(&self) -> Types {
        Types::Terminal
    }
    fn proposed_types(&self) -> Types {
        Types::All
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(initial), Some(proposed)) = (ctx.initial.clone(), ctx.proposed.clone()) else { return };
        self.original_run_count = Some(ctx.run.get("run_count").cloned().unwrap_or(json!(0)));
        let it = state_type(&initial).unwrap_or("");
        let pt = state_type(&proposed).unwrap_or("");
        if matches!(pt, "CANCELLING" | "PAUSED" | "CRASHED") {
            ctx.abort(format!("Run is already {it}."));
            return;
        }
        let data = initial.get("data");
        let persisted = truthy(data) && data.and_then(|d| d.get("type")).and_then(Value::as_str) != Some("unpersisted");
        if it == "COMPLETED" && persisted {
            ctx.reject(None, "This run is already completed.");
            return;
        }
        if !super::states::is_final(&proposed) {
            ctx.run.insert("run_count".into(), json!(0));
        }
        if pt == "RUNNING" && ctx.run.get("flow_run_id").is_some_and(|v| !v.is_null()) {
            if let Some(fr) = ctx.facts.flow_run.as_ref() {
                let tracked = ctx.run.get("flow_run_run_count").and_then(Value::as_i64).unwrap_or(0);
                let flow_count = fr.get("run_count").and_then(Value::as_i64).unwrap_or(0);
                if tracked < flow_count {
                    ctx.rename("Retrying");
                }
            }
        }
    }
    fn cleanup(&mut self, ctx: &mut Ctx) {
        if let Some(n) = self.original_run_count.take() {
            ctx.run.insert("run_count".into(), n);
        }
    }
}

/// A task runs only while its flow run runs; in a paused flow run it waits
/// as Paused "NotReady" with the flow run's pause details.
struct PreventRunningTasksFromStoppedFlows;

const FLOW_MUST_RUN: &str = "The enclosing flow must be running to begin task execution.";

impl Rule for PreventRunningTasksFromStoppedFlows {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(fr) = ctx.facts.flow_run.as_ref() else { return };
        let Some(state) = fr.get("state").and_then(Value::as_object) else {
            ctx.abort(FLOW_MUST_RUN);
            return;
        };
        match state_type(state) {
            Some("PAUSED") => {
                let mut paused = new_state("PAUSED", "NotReady", ctx.facts.now);
                set_detail(&mut paused, "pause_timeout", detail(state, "pause_timeout").cloned().unwrap_or(Value::Null));
                set_detail(&mut paused, "pause_reschedule", json!(detail_true(state, "pause_reschedule")));
                let id = fr.get("id").and_then(Value::as_str).unwrap_or("");
                ctx.reject(
                    Some(paused),
                    format!("The flow is paused, new tasks can execute after resuming flow run: {id}."),
                );
            }
            Some("RUNNING") => {}
            _ => ctx.abort(FLOW_MUST_RUN),
        }
    }
}

/// Failing with retries left (and not marked `retriable: false`) schedules
/// a retry after `retry_delay` (a number, or a list indexed by attempt).
struct RetryFailedTasks;

impl Rule for RetryFailedTasks {
    fn initial_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["FAILED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        if ctx.initial.is_none() {
            return;
        }
        let Some(proposed) = ctx.proposed.clone() else { return };
        let p = ctx.policy();
        let n = run_count(ctx);
        let delay = match p.get("retry_delay") {
            Some(Value::Array(l)) if !l.is_empty() => {
                let i = (n - 1).clamp(0, l.len() as i64 - 1) as usize;
                l.get(i).and_then(Value::as_f64).unwrap_or(0.0)
            }
            Some(v) => v.as_f64().unwrap_or(0.0),
            None => 0.0,
        };
        let jitter = p.get("retry_jitter_factor").and_then(Value::as_f64).filter(|j| *j != 0.0);
        let delay = match jitter {
            Some(j) if delay > 0.0 => clamped_poisson_interval(delay, j, ctx.facts.random_unit),
            _ => delay,
        };
        if detail(&proposed, "retriable").and_then(Value::as_bool) == Some(false) {
            return;
        }
        let Some(retries) = p.get("retries").and_then(Value::as_i64) else { return };
        if n <= retries {
            let Some(at) = super::states::after_seconds(ctx.facts.now, delay) else {
            ctx.abort(super::states::overflow_reason("RetryFailedTasks"));
            return;
        };
            let mut retry = scheduled("AwaitingRetry", at, ctx.facts.now);
            retry.insert("message".into(), proposed.get("message").cloned().unwrap_or(Value::Null));
            retry.insert("data".into(), proposed.get("data").cloned().unwrap_or(Value::Null));
            ctx.reject(Some(retry), "Retrying");
        }
    }
}

/// Prefect's `clamped_poisson_interval`: an exponential variate of mean
/// `average` drawn by inverse CDF from `unit` (uniform in [0, 1)) and
/// bounded so the upper bound is `average * (1 + factor)`.
pub fn clamped_poisson_interval(average: f64, factor: f64, unit: f64) -> f64 {
    if average <= 0.0 || factor <= 0.0 {
        return average.max(0.0);
    }
    let cdf = |x: f64| 1.0 - (-x / average).exp();
    let k = 1.0 + factor;
    let lower_multiple = if k >= 50.0 { 0.0 } else { (2f64.powf(k) / (2f64.powf(k) - 1.0)).max(1e-10).log2() };
    let (lower_rv, upper_rv) = (cdf((average * lower_multiple).max(0.0)), cdf(average * k));
    let u = lower_rv + (upper_rv - lower_rv) * unit.clamp(0.0, 1.0);
    -(1.0 - u).max(1e-10).ln() * average
}

/// Records which flow-run attempt the task run started in.
struct UpdateFlowRunTrackerOnTasks;

impl Rule for UpdateFlowRunTrackerOnTasks {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, _ctx: &mut Ctx) {}
    fn after(&mut self, ctx: &mut Ctx) {
        if ctx.run.get("flow_run_id").is_none_or(Value::is_null) {
            return;
        }
        if let Some(fr) = ctx.facts.flow_run.as_ref() {
            let n = fr.get("run_count").cloned().unwrap_or(json!(0));
            ctx.run.insert("flow_run_run_count".into(), n);
        }
    }
}

/// Completing with a cache key records the state in the cache; a key
/// longer than the limit is refused (the state is kept, the reason says
/// why).
struct CacheInsertion;

impl Rule for CacheInsertion {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["COMPLETED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(p) = ctx.proposed.clone() else { return };
        if detail_str(&p, "cache_key").is_some_and(|k| k.chars().count() > MAX_CACHE_KEY_LENGTH) {
            ctx.reject(
                Some(p),
                format!("Cache key exceeded maximum allowed length of {MAX_CACHE_KEY_LENGTH} characters."),
            );
        }
    }
    fn after(&mut self, ctx: &mut Ctx) {
        let Some(v) = ctx.proposed.as_ref() else { return };
        if let Some(key) = detail_str(v, "cache_key").filter(|k| !k.is_empty()) {
            ctx.cache = Some((key.to_string(), detail(v, "cache_expiration").cloned()));
        }
    }
}

/// Deferred task runs keep their parameters id from Scheduled to Pending
/// to Running unless the proposal has its own.
struct CopyTaskParametersId;

impl Rule for CopyTaskParametersId {
    fn initial_types(&self) -> Types {
        Types::Only(&["SCHEDULED", "PENDING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["PENDING", "RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(id) = ctx.initial.as_ref().and_then(|s| detail(s, "task_parameters_id")).cloned() else { return };
        if let Some(p) = ctx.proposed.as_mut() {
            if detail(p, "task_parameters_id").is_none() {
                set_detail(p, "task_parameters_id", id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{orchestrate_task, Details, Doc, Facts};
    use super::*;
    use chrono::Utc;

    fn task_in(state: Doc, flow_run: Option<Doc>) -> (Doc, Facts) {
        let t = Utc::now();
        let mut run = Doc::new();
        run.insert("id".into(), json!("t"));
        run.insert("flow_run_id".into(), flow_run.as_ref().map(|f| f["id"].clone()).unwrap_or(Value::Null));
        run.insert("run_count".into(), json!(1));
        run.insert("flow_run_run_count".into(), json!(1));
        run.insert("empirical_policy".into(), json!({"retries": null}));
        run.insert("state".into(), Value::Object(state));
        let mut facts = Facts::at(t);
        facts.flow_run = flow_run;
        (run, facts)
    }

    fn flow_in(kind: &str, run_count: i64) -> Doc {
        let mut fr = Doc::new();
        fr.insert("id".into(), json!("f"));
        fr.insert("run_count".into(), json!(run_count));
        fr.insert("state".into(), Value::Object(new_state(kind, "x", Utc::now())));
        fr
    }

    #[test]
    fn jittered_delays_stay_within_the_clamp() {
        for unit in [0.0, 0.25, 0.5, 0.999_999] {
            let d = clamped_poisson_interval(100.0, 0.5, unit);
            assert!(d > 0.0 && d <= 150.0 + 1e-9, "{unit}: {d}");
        }
        assert!(clamped_poisson_interval(100.0, 0.5, 0.0) < clamped_poisson_interval(100.0, 0.5, 0.9));
        assert_eq!(clamped_poisson_interval(0.0, 0.5, 0.3), 0.0);
    }

    #[test]
    fn a_task_of_a_pending_flow_run_does_not_start() {
        let (run, facts) = task_in(new_state("PENDING", "Pending", Utc::now()), Some(flow_in("PENDING", 0)));
        let out = orchestrate_task(run, new_state("RUNNING", "Running", facts.now), TaskPolicy::Core, &facts);
        assert_eq!(out.details, Details::Abort(FLOW_MUST_RUN.into()));
        assert!(!out.new_state);
    }

    #[test]
    fn restarting_a_failed_task_during_a_flow_retry_is_retrying_and_counts_from_one() {
        let (run, facts) = task_in(new_state("FAILED", "Failed", Utc::now()), Some(flow_in("RUNNING", 2)));
        let out = orchestrate_task(run, new_state("RUNNING", "Running", facts.now), TaskPolicy::Core, &facts);
        assert_eq!(out.details, Details::Accept);
        assert_eq!(out.run["state_name"], json!("Retrying"));
        assert_eq!(out.run["run_count"], json!(1));
        assert_eq!(out.run["flow_run_run_count"], json!(2));
    }

    #[test]
    fn a_cached_state_is_answered_as_cached() {
        let (run, mut facts) = task_in(new_state("PENDING", "Pending", Utc::now()), None);
        let mut cached = new_state("COMPLETED", "Completed", facts.now);
        cached.insert("data".into(), json!({"type": "reference"}));
        facts.cached_state = Some(cached);
        let mut p = new_state("RUNNING", "Running", facts.now);
        set_detail(&mut p, "cache_key", json!("k"));
        assert!(wants_cache(&p));
        let out = orchestrate_task(run, p, TaskPolicy::Core, &facts);
        assert_eq!(out.details, Details::Reject("Retrieved state from cache".into()));
        assert_eq!(out.run["state_name"], json!("Cached"));
        assert_eq!(out.run["state"]["data"], json!({"type": "reference"}));
    }
}
