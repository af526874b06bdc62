//! The server's decision on a proposed run state, as Prefect 3.9.1's
//! orchestration makes it: a policy's rules run in priority order around
//! the global bookkeeping transforms, and the answer is ACCEPT, REJECT (with
//! another state, or the current one), ABORT or WAIT.
//!
//! Everything here is pure: a run document, its current state, the proposed
//! state and the read-only [`Facts`] the rules need go in; the [`Outcome`]
//! (the answer, the state to store if any, the run document after) comes
//! out. `db::runs` loads the facts and stores the outcome in one
//! transaction.
//!
//! The rule protocol follows the reference's `BaseOrchestrationRule`: a rule
//! fires only if the intended transition `(initial type, proposed type)` is
//! in its FROM/TO sets and no earlier rule has changed the proposed type;
//! once every rule and transform has run, each fired rule (in reverse order)
//! either finalises (`after`), reverts its side effects (`cleanup`, when a
//! later rule changed the transition under it), or does nothing (when its
//! own rejection left a type outside its TO set).

pub mod common;
pub mod flow_policy;
pub mod global;
pub mod states;
pub mod task_policy;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

pub use states::{detail, state_name, state_type};

pub type Doc = Map<String, Value>;

/// Which kind of run a transition is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Flow,
    Task,
}

/// The reference's `SetStateStatus` and its `details` models.
#[derive(Debug, Clone, PartialEq)]
pub enum Details {
    Accept,
    Reject(String),
    Abort(String),
    Wait { delay_seconds: i64, reason: String },
}

impl Details {
    pub fn status(&self) -> &'static str {
        match self {
            Details::Accept => "ACCEPT",
            Details::Reject(_) => "REJECT",
            Details::Abort(_) => "ABORT",
            Details::Wait { .. } => "WAIT",
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Details::Accept => json!({"type": "accept_details"}),
            Details::Reject(r) => json!({"type": "reject_details", "reason": r}),
            Details::Abort(r) => json!({"type": "abort_details", "reason": r}),
            Details::Wait { delay_seconds, reason } => {
                json!({"type": "wait_details", "delay_seconds": delay_seconds, "reason": reason})
            }
        }
    }
}

/// The flow-run policies of the reference: `CoreFlowPolicy` for set_state,
/// `MinimalFlowPolicy` for `force=true` and a run's first state,
/// `MarkLateRunsPolicy` for the late-runs service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowPolicy {
    Core,
    Minimal,
    MarkLate,
}

/// The task-run policies: `CoreTaskPolicy` for set_state, `MinimalTaskPolicy`
/// for `force=true` and a run's first state, `BackgroundTaskPolicy` for any
/// proposed state marked `deferred` (which wins over `force`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskPolicy {
    Core,
    Minimal,
    Background,
}

impl TaskPolicy {
    /// The policy the reference picks for a proposed task-run state.
    pub fn for_proposal(proposed: &Doc, force: bool) -> TaskPolicy {
        if detail(proposed, "deferred").and_then(Value::as_bool) == Some(true) {
            TaskPolicy::Background
        } else if force {
            TaskPolicy::Minimal
        } else {
            TaskPolicy::Core
        }
    }
}

/// The reference's `server.tasks.max_cache_key_length` default.
pub const MAX_CACHE_KEY_LENGTH: usize = 2000;

/// Read-only facts some rules need, loaded by `db` before orchestrating.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The moment of the transition: the proposed state's timestamp.
    pub now: DateTime<Utc>,
    /// Flow runs: false when the run names a deployment that does not exist.
    pub deployment_exists: bool,
    /// Task runs: the enclosing flow run's document, if it has one.
    pub flow_run: Option<Doc>,
    /// Task runs: the newest unexpired cached state for the proposed state's
    /// cache key (looked up only when CacheRetrieval could use it).
    pub cached_state: Option<Doc>,
    /// The request's `X-PREFECT-API-VERSION` (None without one): clients
    /// before 0.8.4 know no pauses, before 0.8.3 retry task runs through
    /// the server.
    pub api_version: Option<(i128, i128, i128)>,
    /// A uniform draw in [0, 1) for the one random rule (task retry jitter).
    pub random_unit: f64,
}

impl Facts {
    pub fn at(now: DateTime<Utc>) -> Facts {
        Facts { now, deployment_exists: true, flow_run: None, cached_state: None, api_version: None, random_unit: 0.5 }
    }

    /// The reference's `api_version is None or api_version >= 0.8.4`.
    pub fn knows_pauses(&self) -> bool {
        self.api_version.is_none_or(|v| v >= (0, 8, 4))
    }

    /// `api_version < 0.8.3`: flow-run retries also reschedule the run's
    /// failed task runs.
    pub fn retries_task_runs(&self) -> bool {
        self.api_version.is_some_and(|v| v < (0, 8, 3))
    }
}

/// What the server decided, and what to store.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub details: Details,
    /// The state answered: the new state when `new_state`, else the run's
    /// current state (None for a run without one).
    pub state: Option<Doc>,
    /// A new state was validated: store it as the run's state and in its
    /// history.
    pub new_state: bool,
    /// The run document after the transition (bookkeeping fields, policy).
    pub run: Doc,
    /// CacheInsertion: `(cache_key, cache_expiration)` to record for the
    /// new state.
    pub cache: Option<(String, Option<Value>)>,
    /// UpdateSubflowParentTask: the state to force onto the subflow's parent
    /// task run.
    pub parent_task_state: Option<Doc>,
    /// RetryFailedFlows for clients before API 0.8.3: the run's failed task
    /// runs are forced to AwaitingRetry at this time, their run count reset.
    pub retry_failed_tasks_at: Option<DateTime<Utc>>,
    /// HandlePausingFlows: flow-run input keys of an earlier attempt, to
    /// delete once the pause is stored.
    pub stale_input_keys: Vec<String>,
}

impl Outcome {
    /// The reference's `OrchestrationResult` body.
    pub fn to_json(&self) -> Value {
        json!({
            "state": self.state.clone().map(Value::Object).unwrap_or(Value::Null),
            "status": self.details.status(),
            "details": self.details.to_json(),
        })
    }
}

/// The state of a transition while rules run.
pub struct Ctx<'a> {
    pub kind: RunKind,
    pub run: Doc,
    pub initial: Option<Doc>,
    pub proposed: Option<Doc>,
    pub details: Details,
    pub facts: &'a Facts,
    pub cache: Option<(String, Option<Value>)>,
    pub parent_task_state: Option<Doc>,
    pub retry_failed_tasks_at: Option<DateTime<Utc>>,
    pub stale_input_keys: Vec<String>,
}

impl Ctx<'_> {
    pub fn initial_type(&self) -> Option<String> {
        self.initial.as_ref().and_then(|s| state_type(s)).map(str::to_string)
    }

    pub fn proposed_type(&self) -> Option<String> {
        self.proposed.as_ref().and_then(|s| state_type(s)).map(str::to_string)
    }

    /// `reject_transition`: `None` answers the current state.
    pub fn reject(&mut self, state: Option<Doc>, reason: impl Into<String>) {
        self.proposed = state;
        self.details = Details::Reject(reason.into());
    }

    pub fn abort(&mut self, reason: impl Into<String>) {
        self.proposed = None;
        self.details = Details::Abort(reason.into());
    }

    pub fn delay(&mut self, delay_seconds: i64, reason: impl Into<String>) {
        self.proposed = None;
        self.details = Details::Wait { delay_seconds, reason: reason.into() };
    }

    pub fn rename(&mut self, name: &str) {
        if let Some(p) = self.proposed.as_mut() {
            p.insert("name".into(), json!(name));
        }
    }

    pub fn policy(&self) -> Doc {
        self.run.get("empirical_policy").and_then(Value::as_object).cloned().unwrap_or_default()
    }

    pub fn set_policy(&mut self, p: Doc) {
        self.run.insert("empirical_policy".into(), Value::Object(p));
    }
}

/// A set of state types a rule governs (`None`, a run without a state, is
/// in `All` and `AllBut`, as in the reference's ALL_ORCHESTRATION_STATES).
#[derive(Debug, Clone, Copy)]
pub enum Types {
    All,
    AllBut(&'static [&'static str]),
    Only(&'static [&'static str]),
    Terminal,
}

impl Types {
    pub fn contains(&self, t: Option<&str>) -> bool {
        match (self, t) {
            (Types::All, _) => true,
            (Types::AllBut(l), Some(t)) => !l.contains(&t),
            (Types::AllBut(_), None) => true,
            (Types::Only(l), Some(t)) => l.contains(&t),
            (Types::Terminal, Some(t)) => crate::schemas::runs::is_final(t),
            (_, None) => false,
        }
    }
}

/// One orchestration rule. `before` may change the proposal through
/// `Ctx::{reject, abort, delay, rename}`; `after` and `cleanup` run once the
/// transition is decided.
pub trait Rule {
    fn initial_types(&self) -> Types;
    fn proposed_types(&self) -> Types;
    fn before(&mut self, ctx: &mut Ctx);
    fn after(&mut self, _ctx: &mut Ctx) {}
    fn cleanup(&mut self, _ctx: &mut Ctx) {}
}

/// Runs `rules` around the global transforms and validates the result.
fn decide(mut ctx: Ctx, rules: Vec<Box<dyn Rule>>) -> Outcome {
    let from = ctx.initial_type();
    let to = ctx.proposed_type();
    let mut fired: Vec<(Box<dyn Rule>, Option<String>)> = Vec::new();
    for mut rule in rules {
        if !rule.initial_types().contains(from.as_deref()) || !rule.proposed_types().contains(to.as_deref()) {
            continue;
        }
        // Invalid on entry: an earlier rule changed the transition.
        if ctx.proposed_type() != to {
            continue;
        }
        rule.before(&mut ctx);
        let own_to = ctx.proposed_type();
        fired.push((rule, own_to));
    }
    global::before(&mut ctx);
    // Validation: the proposed state (if any) becomes the run's state.
    let new_state = ctx.proposed.is_some();
    let state = match ctx.proposed.clone() {
        Some(s) => {
            ctx.run.insert("state_id".into(), s.get("id").cloned().unwrap_or(Value::Null));
            ctx.run.insert("state".into(), Value::Object(s.clone()));
            Some(s)
        }
        None => ctx.initial.clone(),
    };
    global::after(&mut ctx, state.as_ref());
    let now_to = ctx.proposed_type();
    while let Some((mut rule, own_to)) = fired.pop() {
        if !rule.proposed_types().contains(own_to.as_deref()) {
            continue;
        }
        if own_to != now_to {
            rule.cleanup(&mut ctx);
        } else {
            rule.after(&mut ctx);
        }
    }
    Outcome {
        details: ctx.details,
        state,
        new_state,
        run: ctx.run,
        cache: ctx.cache,
        parent_task_state: ctx.parent_task_state,
        retry_failed_tasks_at: ctx.retry_failed_tasks_at,
        stale_input_keys: ctx.stale_input_keys,
    }
}

fn context<'a>(kind: RunKind, run: Doc, mut proposed: Doc, facts: &'a Facts) -> Ctx<'a> {
    states::default_scheduled_time(&mut proposed);
    let initial = run.get("state").and_then(Value::as_object).cloned();
    Ctx {
        kind,
        run,
        initial,
        proposed: Some(proposed),
        details: Details::Accept,
        facts,
        cache: None,
        parent_task_state: None,
        retry_failed_tasks_at: None,
        stale_input_keys: Vec::new(),
    }
}

/// The decision on `proposed` for the flow run `run` (its current state is
/// `run["state"]`).
pub fn orchestrate_flow(run: Doc, proposed: Doc, policy: FlowPolicy, facts: &Facts) -> Outcome {
    let mut ctx = context(RunKind::Flow, run, proposed, facts);
    // PreserveDeploymentConcurrencyLeaseId: a universal transform at the
    // head of the core and minimal policies.
    if policy != FlowPolicy::MarkLate {
        flow_policy::preserve_lease_id(&mut ctx);
    }
    decide(ctx, flow_policy::rules(policy))
}

/// The decision on `proposed` for the task run `run`.
pub fn orchestrate_task(run: Doc, proposed: Doc, policy: TaskPolicy, facts: &Facts) -> Outcome {
    let ctx = context(RunKind::Task, run, proposed, facts);
    decide(ctx, task_policy::rules(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_sets_treat_a_missing_state_as_the_reference_does() {
        assert!(Types::All.contains(None));
        assert!(Types::AllBut(&["CANCELLED"]).contains(None));
        assert!(!Types::AllBut(&["CANCELLED"]).contains(Some("CANCELLED")));
        assert!(!Types::Terminal.contains(None));
        assert!(Types::Terminal.contains(Some("CRASHED")));
        assert!(!Types::Only(&["RUNNING"]).contains(Some("PENDING")));
    }

    #[test]
    fn details_serialise_in_the_reference_field_order() {
        let w = Details::Wait { delay_seconds: 3, reason: "r".into() }.to_json();
        let keys: Vec<&String> = w.as_object().map(|m| m.keys().collect()).unwrap_or_default();
        assert_eq!(keys, ["type", "delay_seconds", "reason"]);
        assert_eq!(Details::Abort("x".into()).status(), "ABORT");
    }

    #[test]
    fn deferred_proposals_take_the_background_policy_even_when_forced() {
        let mut s = states::new_state("PENDING", "Pending", Utc::now());
        assert_eq!(TaskPolicy::for_proposal(&s, true), TaskPolicy::Minimal);
        states::set_detail(&mut s, "deferred", json!(true));
        assert_eq!(TaskPolicy::for_proposal(&s, true), TaskPolicy::Background);
    }
}
