//! Rules both flow-run and task-run policies use: CopyScheduledTime,
//! WaitForScheduledTime, PreventPendingTransitions, RenameReruns.

use serde_json::Value;

use super::states::{detail, detail_time, set_detail, state_name, state_type};
use super::{Ctx, Rule, Types};

/// Scheduled → Pending keeps the scheduled time unless the proposal has
/// its own.
pub struct CopyScheduledTime;

impl Rule for CopyScheduledTime {
    fn initial_types(&self) -> Types {
        Types::Only(&["SCHEDULED"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["PENDING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(initial) = ctx.initial.as_ref() else { return };
        let t = detail(initial, "scheduled_time").cloned().unwrap_or(Value::Null);
        if let Some(p) = ctx.proposed.as_mut() {
            if detail(p, "scheduled_time").is_none() {
                set_detail(p, "scheduled_time", t);
            }
        }
    }
}

/// Starting before the scheduled time answers WAIT with the seconds left,
/// rounded as the reference does (whole seconds plus the rounded fraction).
pub struct WaitForScheduledTime;

/// `floor(delay.total_seconds()) + round(delay.microseconds / 1e6)` on a
/// Python timedelta, whose microseconds part is always in [0, 1e6).
pub fn delay_seconds(micros: i64) -> i64 {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    // Python's round() is round-half-even: 0.5 rounds to 0.
    secs + i64::from(frac > 500_000)
}

impl Rule for WaitForScheduledTime {
    fn initial_types(&self) -> Types {
        Types::Only(&["SCHEDULED", "PENDING"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        if ctx.proposed.is_none() {
            return;
        }
        let Some(at) = ctx.initial.as_ref().and_then(|s| detail_time(s, "scheduled_time")) else { return };
        let micros = (at - ctx.facts.now).num_microseconds().unwrap_or(i64::MAX);
        let d = delay_seconds(micros);
        if d > 0 {
            ctx.delay(d, "Scheduled time is in the future");
        }
    }
}

/// No run goes back to PENDING from PENDING, RUNNING, CANCELLING or
/// CANCELLED (a second worker's submission), except a PENDING state of a
/// new, non-default name (named sub-states).
pub struct PreventPendingTransitions;

impl Rule for PreventPendingTransitions {
    fn initial_types(&self) -> Types {
        Types::Only(&["PENDING", "CANCELLING", "RUNNING", "CANCELLED"])
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["PENDING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let (Some(initial), Some(proposed)) = (ctx.initial.clone(), ctx.proposed.as_mut()) else { return };
        let initial_type = state_type(&initial).unwrap_or("").to_string();
        if initial_type == "PENDING"
            && state_type(proposed) == Some("PENDING")
            && state_name(&initial) != state_name(proposed)
            && state_name(proposed) != Some("Pending")
        {
            for k in ["scheduled_time", "deployment_concurrency_lease_id"] {
                set_detail(proposed, k, detail(&initial, k).cloned().unwrap_or(Value::Null));
            }
            return;
        }
        ctx.abort(format!("This run is in a {initial_type} state and cannot transition to a PENDING state."));
    }
}

/// A run that has run before starts again as "Rerunning", or "Retrying"
/// after AwaitingRetry.
pub struct RenameReruns;

impl Rule for RenameReruns {
    fn initial_types(&self) -> Types {
        Types::All
    }
    fn proposed_types(&self) -> Types {
        Types::Only(&["RUNNING"])
    }
    fn before(&mut self, ctx: &mut Ctx) {
        let Some(initial) = ctx.initial.as_ref() else { return };
        if ctx.proposed.is_none() {
            return;
        }
        let run_count = ctx.run.get("run_count").and_then(Value::as_i64).unwrap_or(0);
        if run_count > 0 {
            let name = if state_name(initial) == Some("AwaitingRetry") { "Retrying" } else { "Rerunning" };
            ctx.rename(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_round_as_python_timedeltas_do() {
        assert_eq!(delay_seconds(3_600_000_000), 3600);
        assert_eq!(delay_seconds(1_600_000), 2);
        assert_eq!(delay_seconds(1_500_000), 1);
        assert_eq!(delay_seconds(400_000), 0);
        // -0.4 s: timedelta(days=-1, seconds=86399, microseconds=600000).
        assert_eq!(delay_seconds(-400_000), 0);
        assert_eq!(delay_seconds(-2_000_000), -2);
    }
}
