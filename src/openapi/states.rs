//! The orchestration area's operations: a run's state history, one state
//! by id, and resuming a paused flow run. Merged into the main document by
//! `super::document`.

use utoipa::OpenApi;

use super::errors::ErrorDetail;
use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};
use super::schemas::{OrchestrationResult, State};

#[derive(OpenApi)]
#[openapi(
    paths(read_flow_run_state, read_flow_run_states, read_task_run_state, read_task_run_states, resume_flow_run),
    components(schemas(Body_resume_flow_run_flow_runs__id__resume_post))
)]
pub struct StatesDoc;

/// One flow run state by id.
#[utoipa::path(
    get,
    path = "/flow_run_states/{id}",
    tag = "Flow Run States",
    operation_id = "read_flow_run_state_flow_run_states__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The state", body = State, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_flow_run_state() {}

/// Every state of a flow run, oldest first.
#[utoipa::path(
    get,
    path = "/flow_run_states/",
    tag = "Flow Run States",
    operation_id = "read_flow_run_states_flow_run_states__get",
    params(("flow_run_id" = Uuid, Query), ApiVersionHeader),
    responses(
        (status = 200, description = "The states", body = Vec<State>, content_type = "application/json"),
        Malformed,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_flow_run_states() {}

/// One task run state by id.
#[utoipa::path(
    get,
    path = "/task_run_states/{id}",
    tag = "Task Run States",
    operation_id = "read_task_run_state_task_run_states__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The state", body = State, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_task_run_state() {}

/// Every state of a task run, oldest first.
#[utoipa::path(
    get,
    path = "/task_run_states/",
    tag = "Task Run States",
    operation_id = "read_task_run_states_task_run_states__get",
    params(("task_run_id" = Uuid, Query), ApiVersionHeader),
    responses(
        (status = 200, description = "The states", body = Vec<State>, content_type = "application/json"),
        Malformed,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_task_run_states() {}

/// The body of `POST /flow_runs/{id}/resume`.
#[derive(utoipa::ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_resume_flow_run_flow_runs__id__resume_post {
    pub run_input: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Resume a paused flow run: orchestrated as a proposed Running state (a
/// suspended run: Scheduled "Resuming").
#[utoipa::path(
    post,
    path = "/flow_runs/{id}/resume",
    tag = "Flow Runs",
    operation_id = "resume_flow_run_flow_runs__id__resume_post",
    request_body = Option<Body_resume_flow_run_flow_runs__id__resume_post>,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "No new state (aborted, or rejected with the current state)", body = OrchestrationResult, content_type = "application/json"),
        (status = 201, description = "A new state was created", body = OrchestrationResult, content_type = "application/json"),
        Malformed,
        (status = 404, description = "No flow run has that id", body = ErrorDetail, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn resume_flow_run() {}
