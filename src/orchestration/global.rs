//! The reference's global policies (`GlobalFlowPolicy`, `GlobalTaskPolicy`):
//! bookkeeping transforms that run on every transition that still has a
//! proposed state, whatever the policy and `force`. SetRunStateType/Name/
//! Timestamp, SetStartTime, SetEndTime, IncrementRunTime,
//! SetExpectedStartTime, SetNextScheduledStartTime, UpdateStateDetails,
//! UpdateSubflowStateDetails, Increment{Flow,Task}RunCount,
//! RemoveResumingIndicator; after validation, UpdateSubflowParentTask.
//! (EnsureFlowRunStateTimestampIsUnique needs nothing here: the writer's
//! clock never repeats a timestamp.)

use serde_json::{json, Value};

use super::states::{detail, is_final, state_type};
use super::{Ctx, Doc, RunKind};
use crate::schemas::runs::{float_value, parse_time};

fn is_null(doc: &Doc, k: &str) -> bool {
    doc.get(k).is_none_or(Value::is_null)
}

pub fn before(ctx: &mut Ctx) {
    let Some(mut proposed) = ctx.proposed.take() else { return };
    let new_type = state_type(&proposed).unwrap_or("").to_string();
    let ts = proposed.get("timestamp").cloned().unwrap_or(Value::Null);
    let run = &mut ctx.run;
    run.insert("state_type".into(), json!(new_type));
    run.insert("state_name".into(), proposed.get("name").cloned().unwrap_or(Value::Null));
    // SetStartTime
    if new_type == "RUNNING" && is_null(run, "start_time") {
        run.insert("start_time".into(), ts.clone());
    }
    // SetEndTime
    let initial_final = ctx.initial.as_ref().is_some_and(is_final);
    let proposed_final = crate::schemas::runs::is_final(&new_type);
    if initial_final && !proposed_final {
        run.insert("end_time".into(), Value::Null);
    }
    if proposed_final && is_null(run, "end_time") {
        if is_null(run, "start_time") {
            run.insert("start_time".into(), ts.clone());
        }
        run.insert("end_time".into(), ts.clone());
    }
    // IncrementRunTime
    if let Some(initial) = ctx.initial.as_ref().filter(|s| state_type(s) == Some("RUNNING")) {
        let prev = initial.get("timestamp").and_then(parse_time);
        let cur = parse_time(&ts);
        if let (Some(prev), Some(cur)) = (prev, cur) {
            let total = run.get("total_run_time").and_then(Value::as_f64).unwrap_or(0.0);
            let micros = (total * 1e6).round() as i64 + (cur - prev).num_microseconds().unwrap_or(0);
            run.insert("total_run_time".into(), float_value(micros as f64 / 1e6));
        }
    }
    let scheduled_time = detail(&proposed, "scheduled_time").cloned().unwrap_or(Value::Null);
    // SetExpectedStartTime
    if is_null(run, "expected_start_time") {
        let v = if new_type == "SCHEDULED" { scheduled_time.clone() } else { ts.clone() };
        run.insert("expected_start_time".into(), v);
    }
    // SetNextScheduledStartTime
    if ctx.initial.as_ref().and_then(|s| state_type(s)) == Some("SCHEDULED") {
        run.insert("next_scheduled_start_time".into(), Value::Null);
    }
    if new_type == "SCHEDULED" {
        run.insert("next_scheduled_start_time".into(), scheduled_time);
    }
    // UpdateStateDetails, UpdateSubflowStateDetails
    let id = run.get("id").cloned().unwrap_or(Value::Null);
    match ctx.kind {
        RunKind::Flow => {
            super::states::set_detail(&mut proposed, "flow_run_id", id);
            if let Some(p) = run.get("parent_task_run_id").filter(|p| !p.is_null()).cloned() {
                super::states::set_detail(&mut proposed, "task_run_id", p);
            }
        }
        RunKind::Task => {
            let fr = run.get("flow_run_id").cloned().unwrap_or(Value::Null);
            super::states::set_detail(&mut proposed, "flow_run_id", fr);
            super::states::set_detail(&mut proposed, "task_run_id", id);
        }
    }
    let resuming = run
        .get("empirical_policy")
        .and_then(|p| p.get("resuming"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Increment{Flow,Task}RunCount: a flow run resuming from a pause goes
    // on with the same attempt (for clients that know pauses).
    let knows_pauses = ctx.facts.knows_pauses();
    if new_type == "RUNNING" && !(ctx.kind == RunKind::Flow && resuming && knows_pauses) {
        let n = run.get("run_count").and_then(Value::as_i64).unwrap_or(0);
        run.insert("run_count".into(), json!(n + 1));
    }
    // RemoveResumingIndicator
    if ctx.kind == RunKind::Flow && knows_pauses && resuming && (new_type == "RUNNING" || proposed_final) {
        if let Some(Value::Object(p)) = run.get_mut("empirical_policy") {
            p.insert("resuming".into(), Value::Bool(false));
        }
    }
    ctx.proposed = Some(proposed);
}

/// UpdateSubflowParentTask: a subflow's parent task run follows the
/// subflow's new state (forced; `db` gives it its own id and timestamp).
pub fn after(ctx: &mut Ctx, validated: Option<&Doc>) {
    if ctx.kind != RunKind::Flow || ctx.proposed.is_none() {
        return;
    }
    if is_null(&ctx.run, "parent_task_run_id") {
        return;
    }
    if let Some(v) = validated {
        let mut copy = v.clone();
        let id = ctx.run.get("id").cloned().unwrap_or(Value::Null);
        super::states::set_detail(&mut copy, "child_flow_run_id", id);
        ctx.parent_task_state = Some(copy);
    }
}

#[cfg(test)]
mod tests {
    use super::super::states::new_state;
    use super::super::{orchestrate_flow, orchestrate_task, Facts, FlowPolicy, TaskPolicy};
    use super::*;
    use chrono::{Duration, Utc};

    fn run_in(state: Option<Doc>) -> Doc {
        let mut run = Doc::new();
        run.insert("id".into(), json!("r1"));
        run.insert("run_count".into(), json!(0));
        run.insert("total_run_time".into(), json!(0.0));
        run.insert("empirical_policy".into(), json!({"resuming": false, "pause_keys": []}));
        if let Some(s) = state {
            run.insert("state".into(), Value::Object(s));
        }
        run
    }

    #[test]
    fn running_sets_start_time_and_counts_a_run() {
        let t = Utc::now();
        let out = orchestrate_flow(run_in(Some(new_state("PENDING", "Pending", t))), new_state("RUNNING", "Running", t + Duration::seconds(1)), FlowPolicy::Minimal, &Facts::at(t));
        assert!(out.new_state);
        assert_eq!(out.run["run_count"], json!(1));
        assert_eq!(out.run["start_time"], out.run["state"]["timestamp"]);
        assert_eq!(out.run["state"]["state_details"]["flow_run_id"], json!("r1"));
    }

    #[test]
    fn leaving_running_adds_the_time_spent() {
        let t = Utc::now();
        let running = new_state("RUNNING", "Running", t);
        let out = orchestrate_task(run_in(Some(running)), new_state("COMPLETED", "Completed", t + Duration::milliseconds(1500)), TaskPolicy::Minimal, &Facts::at(t));
        assert_eq!(out.run["total_run_time"], json!(1.5));
        assert_eq!(out.run["end_time"], out.run["state"]["timestamp"]);
        assert_eq!(out.run["state"]["state_details"]["task_run_id"], json!("r1"));
    }

    #[test]
    fn a_resuming_flow_run_keeps_its_run_count() {
        let t = Utc::now();
        let mut run = run_in(Some(new_state("PAUSED", "Paused", t)));
        run.insert("run_count".into(), json!(1));
        run.insert("empirical_policy".into(), json!({"resuming": true, "pause_keys": []}));
        let out = orchestrate_flow(run, new_state("RUNNING", "Running", t), FlowPolicy::Minimal, &Facts::at(t));
        assert_eq!(out.run["run_count"], json!(1));
        assert_eq!(out.run["empirical_policy"]["resuming"], json!(false));
    }
}
