//! Flow-run rules of `CoreFlowPolicy`, `MinimalFlowPolicy` and
//! `MarkLateRunsPolicy`. artifactd has no concurrency limits, so the
//! concurrency rules reduce to what the reference does with none defined:
//! SecureFlowConcurrencySlots only aborts for a missing deployment,
//! ValidateDeploymentConcurrencyAtRunning only carries the lease id, and the
//! lease-releasing rules do nothing.

use serde_json::{json, Value};

use super::common::{CopyScheduledTime, PreventPendingTransitions, WaitForScheduledTime};
use super::states::{
    detail, detail_str, detail_time, detail_true, has_persisted_result, is_final, new_state, scheduled, set_detail,
    state_name, state_type, truthy,
};
use super::{Ctx, Doc, FlowPolicy, Rule, Types};

pub fn rules(policy: FlowPolicy) -> Vec<Box<dyn Rule>> {
    match policy {
        FlowPolicy::Core => vec![
            Box::new(PreventDuplicateTransitions),
            Box::new(HandleFlowTerminalStateTransitions { original_policy: None }),
            Box::new(EnforceCancellingToCancelledTransition),
            Box::new(BypassCancellingFlowRunsWithNoInfra),
            Box::new(PreventPendingTransitions),
            Box::new(ValidateDeploymentConcurrencyAtRunning),
            Box::new(SecureFlowConcurrencySlots),
            Box::new(EnsureOnlyScheduledFlowsMarkedLate),
            Box::new(HandlePausingFlows { key: None }),
            Box::new(HandleResumingPausedFlows),
            Box::new(CopyScheduledTime),
            Box::new(WaitForScheduledTime),
            Box::new(RetryFailedFlows),
        ],
        FlowPolicy::Minimal => vec![Box::new(PreventResultDataLoss), Box::new(BypassCancellingFlowRunsWithNoInfra)],
        FlowPolicy::MarkLate => vec![Box::new(EnsureOnlyScheduledFlowsMarkedLate)],
    }
}

fn policy_field<'a>(p: &'a Doc, k: &str) -> Option<&'a Value> {
    p.get(k).filter(|v| !v.is_null())
}

/// PreserveDeploymentConcurrencyLeaseId: a proposal without a lease id
/// keeps the current state's.
pub fn preserve_lease_id(ctx: &mut Ctx) {
    let Some(lease) = ctx.initial.as_ref().and_then(|s| detail(s, "deployment_concurrency_lease_id")).cloned() else {
        return;
    };
    if let Some(p) = ctx.proposed.as_mut() {
        if detail(p, "deployment_concurrency_lease_id").is_none() {
            set_detail(p, "deployment_concurrency_lease_id", lease);
        }
    }
}

/// A proposal carrying the current state's `transition_id` is a retried
/// request: answer the current state.
struct PreventDuplicateTransitions;

impl Rule for PreventDuplicateTransitions {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::All
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(i), Some(p)) = (ctx.initial.as_ref(), ctx.proposed.as_ref()) else { return };
        let (a, b) = (detail(i, "transition_id"), detail(p, "transition_id"));
        if a.is_some() && a == b {
            ctx.reject(None, "This run has already made this state transition.");
        }
    }
}

/// Leaving a terminal state: never to CANCELLING/PAUSED/CRASHED, not away
/// from a completed state with a persisted result, not back to SCHEDULED
/// without a deployment; leaving for a non-final state resets the pause
/// bookkeeping (reverted if a later rule changes the transition).
struct HandleFlowTerminalStateTransitions {
    original_policy: Option<Doc>,
}

impl Rule for HandleFlowTerminalStateTransitions {
    fn initial_types(&self) -> Types {
        Types::Terminal
    }
    fn proposed_types(&self) -> Types {
        Types::All
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(initial), Some(proposed)) = (ctx.initial.clone(), ctx.proposed.clone()) else { return };
        self.original_policy = Some(ctx.policy());
        let it = state_type(&initial).unwrap_or("");
        let pt = state_type(&proposed).unwrap_or("");
        if matches!(pt, "CANCELLING" | "PAUSED" | "CRASHED") {
            ctx.abort(format!("Run is already in terminal state {it}."));
            return;
        }
        let completed = it == "COMPLETED";
        let persisted = truthy(initial.get("data")) && has_persisted_result(initial.get("data"));
        if completed && !is_final(&proposed) && persisted {
            ctx.reject(None, "Run is already COMPLETED.");
            return;
        }
        if completed && pt == "COMPLETED" && persisted && !has_persisted_result(proposed.get("data")) {
            ctx.reject(None, OVERWRITE_REASON);
            return;
        }
        if pt == "SCHEDULED" && ctx.run.get("deployment_id").is_none_or(Value::is_null) {
            ctx.abort("Cannot reschedule a run without an associated deployment.");
            return;
        }
        if !is_final(&proposed) && ctx.facts.knows_pauses() {
            let mut p = ctx.policy();
            p.insert("resuming".into(), json!(false));
            p.insert("pause_keys".into(), json!([]));
            let retry_type = if pt == "SCHEDULED" { json!("reschedule") } else { Value::Null };
            p.insert("retry_type".into(), retry_type);
            ctx.set_policy(p);
        }
    }
    fn cleanup(&mut self, ctx: &mut Ctx) {
        if let Some(p) = self.original_policy.take() {
            ctx.set_policy(p);
        }
    }
}

const OVERWRITE_REASON: &str =
    "Cannot overwrite a COMPLETED state that carries persisted result data with one that does not.";

/// The forced-transition guard: a completed state with a persisted result
/// is not replaced by a completed state without one.
struct PreventResultDataLoss;

impl Rule for PreventResultDataLoss {
    fn initial_types(&self) -> Types {
        Types::Terminal
    }
    fn proposed_types(&self) -> Types {
        Types::Terminal
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(i), Some(p)) = (ctx.initial.as_ref(), ctx.proposed.as_ref()) else { return };
        if state_type(i) == Some("COMPLETED")
            && state_type(p) == Some("COMPLETED")
            && truthy(i.get("data"))
            && has_persisted_result(i.get("data"))
            && !has_persisted_result(p.get("data"))
        {
            ctx.reject(None, OVERWRITE_REASON);
        }
    }
}

/// CANCELLING leads only to CANCELLED.
struct EnforceCancellingToCancelledTransition;

impl Rule for EnforceCancellingToCancelledTransition {
    fn initial_types(&self) -> Types {
        Types::Only(&["CANCELLING"])
    }
    fn proposed_types(&self) -> Types {
        Types::AllBut(&["CANCELLED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        ctx.reject(None, "Cannot transition flows that are cancelling to a state other than Cancelled.");
    }
}

/// Cancelling a run with no infrastructure (scheduled without a process id,
/// resuming, or suspended) goes straight to CANCELLED.
struct BypassCancellingFlowRunsWithNoInfra;

impl Rule for BypassCancellingFlowRunsWithNoInfra {
    fn initial_types(&self) -> Types {
        Types::Only(&["SCHEDULED", "PAUSED"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["CANCELLING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(initial) = ctx.initial.clone() else { return };
        if ctx.proposed.is_none() {
            return;
        }
        let no_pid = ctx.run.get("infrastructure_pid").is_none_or(|v| !truthy(Some(v)));
        let t = ctx.facts.now;
        if (state_type(&initial) == Some("SCHEDULED") && no_pid) || state_name(&initial) == Some("Resuming") {
            ctx.reject(Some(new_state("CANCELLED", "Cancelled", t)), "Scheduled flow run has no infrastructure to terminate.");
        } else if state_type(&initial) == Some("PAUSED") && detail_true(&initial, "pause_reschedule") {
            ctx.reject(Some(new_state("CANCELLED", "Cancelled", t)), "Suspended flow run has no infrastructure to terminate.");
        }
    }
}

/// PENDING → RUNNING carries the current lease id (there are no limits to
/// validate it against).
struct ValidateDeploymentConcurrencyAtRunning;

impl Rule for ValidateDeploymentConcurrencyAtRunning {
    fn initial_types(&self) -> Types {
        Types::Only(&["PENDING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(initial) = ctx.initial.as_ref() else { return };
        let lease = detail(initial, "deployment_concurrency_lease_id").cloned().unwrap_or(Value::Null);
        if let Some(p) = ctx.proposed.as_mut() {
            set_detail(p, "deployment_concurrency_lease_id", lease);
        }
    }
}

/// Deployment concurrency at submission: with no limits defined only a
/// missing deployment matters.
struct SecureFlowConcurrencySlots;

impl Rule for SecureFlowConcurrencySlots {
    fn initial_types(&self) -> Types {
        Types::AllBut(&["PENDING", "RUNNING", "CANCELLING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["PENDING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        if ctx.run.get("deployment_id").is_none_or(Value::is_null) || ctx.proposed.is_none() {
            return;
        }
        if !ctx.facts.deployment_exists {
            ctx.abort("Deployment not found.");
        }
    }
}

/// Only a SCHEDULED run not already Late may be marked Late.
struct EnsureOnlyScheduledFlowsMarkedLate;

impl Rule for EnsureOnlyScheduledFlowsMarkedLate {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["SCHEDULED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(i), Some(p)) = (ctx.initial.as_ref(), ctx.proposed.as_ref()) else { return };
        if state_type(p) == Some("SCHEDULED") && state_name(p) == Some("Late") {
            if state_type(i) != Some("SCHEDULED") {
                ctx.reject(None, "Only scheduled flows can be marked late.");
            } else if state_name(i) == Some("Late") {
                ctx.reject(None, "This flow run is already marked late.");
            }
        }
    }
}

/// Pausing: only a running flow, each pause key once; a rescheduling
/// pause (suspend) needs a deployment and no parent task. The key (a new
/// uuid when none is given) joins `pause_keys` once decided.
struct HandlePausingFlows {
    key: Option<String>,
}

impl Rule for HandlePausingFlows {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["PAUSED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(proposed) = ctx.proposed.clone() else { return };
        let verb = if state_name(&proposed) == Some("Suspended") { "suspend" } else { "pause" };
        let Some(initial) = ctx.initial.as_ref() else {
            ctx.abort(format!("Cannot {verb} flows with no state."));
            return;
        };
        if state_type(initial) != Some("RUNNING") {
            ctx.reject(None, format!("Cannot {verb} flows that are not currently running."));
            return;
        }
        let key = detail_str(&proposed, "pause_key").map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.key = Some(key.clone());
        let fired = ctx
            .policy()
            .get("pause_keys")
            .and_then(Value::as_array)
            .is_some_and(|keys| keys.iter().any(|k| k.as_str() == Some(key.as_str())));
        if fired {
            ctx.reject(None, format!("This {verb} has already fired."));
            return;
        }
        if detail_true(&proposed, "pause_reschedule") {
            if ctx.run.get("parent_task_run_id").is_some_and(|v| !v.is_null()) {
                ctx.abort(format!("Cannot {verb} subflows."));
            } else if ctx.run.get("deployment_id").is_none_or(Value::is_null) {
                ctx.abort(format!("Cannot {verb} flows without a deployment."));
            }
        }
    }
    fn after(&mut self, ctx: &mut Ctx) {
        let Some(key) = self.key.take() else { return };
        // This pause key has not fired on this attempt: inputs under the
        // new state's keyset belong to an earlier one and must not be reused.
        if let Some(keyset) = ctx.proposed.as_ref().and_then(|s| super::detail(s, "run_input_keyset")).and_then(Value::as_object) {
            ctx.stale_input_keys = keyset.values().filter_map(Value::as_str).map(str::to_string).collect();
        }
        let mut p = ctx.policy();
        let mut keys = p.get("pause_keys").and_then(Value::as_array).cloned().unwrap_or_default();
        if !keys.iter().any(|k| k.as_str() == Some(key.as_str())) {
            keys.push(json!(key));
        }
        p.insert("pause_keys".into(), Value::Array(keys));
        ctx.set_policy(p);
    }
}

/// Leaving PAUSED: only to RUNNING, SCHEDULED, CANCELLING or a final state;
/// a suspended run needs a deployment; past the pause timeout the run
/// fails instead (cancelling still goes through). Marks the run resuming,
/// or resets the pause bookkeeping when a blocking pause is rescheduled.
struct HandleResumingPausedFlows;

impl Rule for HandleResumingPausedFlows {
    fn initial_types(&self) -> Types {
        Types::Only(&["PAUSED"])
    }
    fn proposed_types(&self) -> Types {
        Types::All
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(initial), Some(proposed)) = (ctx.initial.clone(), ctx.proposed.clone()) else { return };
        let pt = state_type(&proposed).unwrap_or("");
        if !(matches!(pt, "RUNNING" | "SCHEDULED" | "CANCELLING") || is_final(&proposed)) {
            let it = state_type(&initial).unwrap_or("");
            ctx.reject(None, format!("This run cannot transition to the StateType.{pt} state from the StateType.{it} state."));
            return;
        }
        let verb = if state_name(&proposed) == Some("Suspended") { "suspend" } else { "pause" };
        let display = match state_name(&proposed) {
            Some(n) if !n.is_empty() => n.to_lowercase(),
            _ => pt.to_lowercase(),
        };
        if detail_true(&initial, "pause_reschedule") && ctx.run.get("deployment_id").is_none_or(Value::is_null) {
            ctx.reject(None, format!("Cannot reschedule a {display} flow run without a deployment."));
            return;
        }
        if pt == "CANCELLING" {
            return;
        }
        if let Some(timeout) = detail_time(&initial, "pause_timeout") {
            if timeout < ctx.facts.now {
                let mut failed = new_state("FAILED", "Failed", ctx.facts.now);
                failed.insert("message".into(), json!(format!("The flow was {display} and never resumed.")));
                ctx.reject(Some(failed), format!("The flow run {verb} has timed out and can no longer resume."));
            }
        }
    }
    fn after(&mut self, ctx: &mut Ctx) {
        let Some(initial) = ctx.initial.as_ref() else { return };
        let mut p = ctx.policy();
        let validated_scheduled = match &ctx.proposed {
            Some(s) => state_type(s) == Some("SCHEDULED"),
            // Rejected without a state: the validated state is the current one.
            None => state_type(initial) == Some("SCHEDULED"),
        };
        if !detail_true(initial, "pause_reschedule") && validated_scheduled && ctx.facts.knows_pauses() {
            p.insert("resuming".into(), json!(false));
            p.insert("pause_keys".into(), json!([]));
            p.insert("retry_type".into(), json!("reschedule"));
        } else {
            p.insert("resuming".into(), json!(true));
        }
        ctx.set_policy(p);
    }
}

/// Failing with retries left schedules a retry (AwaitingRetry after
/// `retry_delay` seconds) instead, resetting the pause bookkeeping (clients
/// from API 0.8.4) or also rescheduling the failed task runs (before
/// 0.8.3); with none left the retry type is cleared.
struct RetryFailedFlows;

impl Rule for RetryFailedFlows {
    fn initial_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["FAILED"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(initial), Some(proposed)) = (ctx.initial.clone(), ctx.proposed.clone()) else { return };
        let mut p = ctx.policy();
        let run_count = ctx.run.get("run_count").and_then(Value::as_i64).unwrap_or(0);
        let retries = policy_field(&p, "retries").and_then(Value::as_i64);
        match retries {
            Some(r) if run_count <= r => {}
            _ => {
                p.insert("retry_type".into(), Value::Null);
                ctx.set_policy(p);
                return;
            }
        }
        let delay = policy_field(&p, "retry_delay").and_then(Value::as_f64).unwrap_or(0.0);
        let Some(at) = super::states::after_seconds(ctx.facts.now, delay) else {
            ctx.abort(super::states::overflow_reason("RetryFailedFlows"));
            return;
        };
        if ctx.facts.retries_task_runs() {
            ctx.retry_failed_tasks_at = Some(at);
        }
        if ctx.facts.knows_pauses() {
            p.insert("resuming".into(), json!(false));
            p.insert("pause_keys".into(), json!([]));
            p.insert("retry_type".into(), json!("in_process"));
            ctx.set_policy(p);
        }
        let mut retry = scheduled("AwaitingRetry", at, ctx.facts.now);
        retry.insert("message".into(), proposed.get("message").cloned().unwrap_or(Value::Null));
        retry.insert("data".into(), proposed.get("data").cloned().unwrap_or(Value::Null));
        let lease = detail(&initial, "deployment_concurrency_lease_id").cloned().unwrap_or(Value::Null);
        set_detail(&mut retry, "deployment_concurrency_lease_id", lease);
        ctx.reject(Some(retry), "Retrying");
    }
}

#[cfg(test)]
mod tests {
    use super::super::{orchestrate_flow, Details, Facts};
    use super::*;
    use chrono::Utc;

    fn run_in(state: Doc, policy: Value) -> Doc {
        let mut run = Doc::new();
        run.insert("id".into(), json!("r"));
        run.insert("run_count".into(), json!(1));
        run.insert("empirical_policy".into(), policy);
        run.insert("state".into(), Value::Object(state));
        run
    }

    #[test]
    fn a_failure_with_retries_left_becomes_awaiting_retry() {
        let t = Utc::now();
        let run = run_in(new_state("RUNNING", "Running", t), json!({"retries": 1, "retry_delay": 0, "pause_keys": ["k"]}));
        let out = orchestrate_flow(run, new_state("FAILED", "Failed", t), FlowPolicy::Core, &Facts::at(t));
        assert_eq!(out.details, Details::Reject("Retrying".into()));
        let s = out.state.unwrap_or_default();
        assert_eq!((state_type(&s), state_name(&s)), (Some("SCHEDULED"), Some("AwaitingRetry")));
        assert_eq!(out.run["empirical_policy"]["retry_type"], json!("in_process"));
        assert_eq!(out.run["empirical_policy"]["pause_keys"], json!([]));
    }

    #[test]
    fn force_skips_retries() {
        let t = Utc::now();
        let run = run_in(new_state("RUNNING", "Running", t), json!({"retries": 1}));
        let out = orchestrate_flow(run, new_state("FAILED", "Failed", t), FlowPolicy::Minimal, &Facts::at(t));
        assert_eq!(out.details, Details::Accept);
        assert_eq!(out.run["state_type"], json!("FAILED"));
    }

    #[test]
    fn a_rejected_pause_adds_no_key_and_a_second_pause_with_a_key_is_refused() {
        let t = Utc::now();
        let mut paused = new_state("PAUSED", "Paused", t);
        set_detail(&mut paused, "pause_key", json!("k"));
        let out = orchestrate_flow(run_in(new_state("PENDING", "Pending", t), json!({"pause_keys": []})), paused.clone(), FlowPolicy::Core, &Facts::at(t));
        assert_eq!(out.details, Details::Reject("Cannot pause flows that are not currently running.".into()));
        assert_eq!(out.run["empirical_policy"]["pause_keys"], json!([]));
        let out = orchestrate_flow(run_in(new_state("RUNNING", "Running", t), json!({"pause_keys": ["k"]})), paused, FlowPolicy::Core, &Facts::at(t));
        assert_eq!(out.details, Details::Reject("This pause has already fired.".into()));
        assert!(!out.new_state);
    }

    #[test]
    fn a_terminal_rule_reverts_its_policy_reset_when_a_later_rule_aborts() {
        let t = Utc::now();
        let run = run_in(new_state("CANCELLED", "Cancelled", t), json!({"pause_keys": ["k"], "retry_type": "x"}));
        let out = orchestrate_flow(run, new_state("PENDING", "Pending", t), FlowPolicy::Core, &Facts::at(t));
        assert!(matches!(out.details, Details::Abort(_)));
        assert_eq!(out.run["empirical_policy"], json!({"pause_keys": ["k"], "retry_type": "x"}));
    }
}
