//! The operations artifactd serves, described for the generated document:
//! one function per operation, with no body (the handlers are in
//! `crate::routes`). Keep [`super::ApiDoc`]'s `paths(...)` in step.

use super::errors::{ErrorDetail, RunNotFound, Unprocessable};
use super::schemas::*;

/// The error answers many operations share, each described once.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Malformed {
    /// A malformed request (the API version header, an unreadable body)
    #[response(status = 400, content_type = "application/json")]
    BadRequest(ErrorDetail),
}

#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum TooLarge {
    /// The body is larger than the limit
    #[response(status = 413, content_type = "application/json")]
    PayloadTooLarge(ErrorDetail),
}

#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Invalid {
    /// The request failed validation
    #[response(status = 422, content_type = "application/json")]
    Unprocessable(Unprocessable),
}

#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Missing {
    /// Nothing has that id or key
    #[response(status = 404, content_type = "application/json")]
    NotFound(ErrorDetail),
}

/// The header every route of the reference's API routers reads (the
/// document says what `access::api_version` accepts).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct ApiVersionHeader {
    /// A client's API version, `x.y.z` (three integers), at least 0.8.0
    #[param(rename = "x-prefect-api-version", nullable = false, pattern = r"^([1-9][0-9]{0,3}\.[0-9]{1,4}|0\.([89]|[1-9][0-9]{1,3}))\.[0-9]{1,4}$")]
    x_prefect_api_version: Option<String>,
}

/// Always `true` while the server runs.
#[utoipa::path(
    get,
    path = "/health",
    tag = "Root",
    operation_id = "health_check_health_get",
    responses(
        (status = 200, description = "The server is up", body = bool, content_type = "application/json")
    )
)]
#[allow(dead_code)]
pub fn health() {}

/// The REST API's own version.
#[utoipa::path(
    get,
    path = "/version",
    tag = "Root",
    operation_id = "server_version_version_get",
    responses(
        (status = 200, description = "The API version", body = String, content_type = "application/json")
    )
)]
#[allow(dead_code)]
pub fn server_version() {}

/// A greeting, for testing a connection.
#[utoipa::path(
    get,
    path = "/hello",
    tag = "Root",
    operation_id = "hello_hello_get",
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "A wave", body = String, content_type = "application/json"),
        Malformed
    )
)]
#[allow(dead_code)]
pub fn hello() {}

/// Ready when the database answers (always, while artifactd runs).
#[utoipa::path(
    get,
    path = "/ready",
    tag = "Root",
    operation_id = "perform_readiness_check_ready_get",
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "Ready", body = Object, content_type = "application/json"),
        Malformed
    )
)]
#[allow(dead_code)]
pub fn ready() {}

/// The Prefect version artifactd speaks.
#[utoipa::path(
    get,
    path = "/admin/version",
    tag = "Admin",
    operation_id = "read_version_admin_version_get",
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The version", body = String, content_type = "application/json"),
        Malformed
    )
)]
#[allow(dead_code)]
pub fn read_version() {}

/// No default result storage block is configured.
#[utoipa::path(
    get,
    path = "/admin/storage",
    tag = "Admin",
    operation_id = "read_server_default_result_storage_admin_storage_get",
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The default storage", body = ServerDefaultResultStorage, content_type = "application/json"),
        Malformed
    )
)]
#[allow(dead_code)]
pub fn read_default_storage() {}

/// CSRF protection is off, so no token is ever made.
#[utoipa::path(
    get,
    path = "/csrf-token",
    tag = "Root",
    operation_id = "create_csrf_token_csrf_token_get",
    params(
        ("client" = String, Query),
        ApiVersionHeader
    ),
    responses(
        Malformed,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_csrf_token() {}

/// Create an artifact.
#[utoipa::path(
    post,
    path = "/artifacts/",
    tag = "Artifacts",
    operation_id = "create_artifact_artifacts__post",
    request_body = ArtifactCreate,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "The new artifact", body = Artifact, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_artifact() {}

/// One artifact by id.
#[utoipa::path(
    get,
    path = "/artifacts/{id}",
    tag = "Artifacts",
    operation_id = "read_artifact_artifacts__id__get",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The artifact", body = Artifact, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_artifact() {}

/// Change an artifact's data, description or metadata.
#[utoipa::path(
    patch,
    path = "/artifacts/{id}",
    tag = "Artifacts",
    operation_id = "update_artifact_artifacts__id__patch",
    request_body = ArtifactUpdate,
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 204, description = "Updated"),
        Malformed,
        Missing,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn update_artifact() {}

/// Delete an artifact; the latest of its key moves to the next newest.
#[utoipa::path(
    delete,
    path = "/artifacts/{id}",
    tag = "Artifacts",
    operation_id = "delete_artifact_artifacts__id__delete",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 204, description = "Deleted"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn delete_artifact() {}

/// The latest artifact of a key.
#[utoipa::path(
    get,
    path = "/artifacts/{key}/latest",
    tag = "Artifacts",
    operation_id = "read_latest_artifact_artifacts__key__latest_get",
    params(
        ("key" = String, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The latest artifact of the key", body = Artifact, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_latest_artifact() {}

/// Artifacts matching the filters, sorted and paged.
#[utoipa::path(
    post,
    path = "/artifacts/filter",
    tag = "Artifacts",
    operation_id = "read_artifacts_artifacts_filter_post",
    request_body = Body_read_artifacts_artifacts_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The artifacts", body = Vec<Artifact>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_artifacts() {}

/// The latest artifact of each key matching the filters.
#[utoipa::path(
    post,
    path = "/artifacts/latest/filter",
    tag = "Artifacts",
    operation_id = "read_latest_artifacts_artifacts_latest_filter_post",
    request_body = Body_read_latest_artifacts_artifacts_latest_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The latest artifacts", body = Vec<ArtifactCollection>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_latest_artifacts() {}

/// How many artifacts match the filters.
#[utoipa::path(
    post,
    path = "/artifacts/count",
    tag = "Artifacts",
    operation_id = "count_artifacts_artifacts_count_post",
    request_body = Body_count_artifacts_artifacts_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_artifacts() {}

/// How many keys' latest artifacts match the filters.
#[utoipa::path(
    post,
    path = "/artifacts/latest/count",
    tag = "Artifacts",
    operation_id = "count_latest_artifacts_artifacts_latest_count_post",
    request_body = Body_count_latest_artifacts_artifacts_latest_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_latest_artifacts() {}

/// Create a flow, or answer the existing one it matches.
#[utoipa::path(
    post,
    path = "/flows/",
    tag = "Flows",
    operation_id = "create_flow_flows__post",
    request_body = FlowCreate,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "The new flow", body = Flow, content_type = "application/json"),
        (status = 200, description = "The existing flow", body = Flow, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_flow() {}

/// One flow by id.
#[utoipa::path(
    get,
    path = "/flows/{id}",
    tag = "Flows",
    operation_id = "read_flow_flows__id__get",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The flow", body = Flow, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_flow() {}

/// Flows matching the filters, sorted and paged.
#[utoipa::path(
    post,
    path = "/flows/filter",
    tag = "Flows",
    operation_id = "read_flows_flows_filter_post",
    request_body = Body_read_flows_flows_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The flows", body = Vec<Flow>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_flows() {}

/// How many flows match the filters.
#[utoipa::path(
    post,
    path = "/flows/count",
    tag = "Flows",
    operation_id = "count_flows_flows_count_post",
    request_body = Body_count_flows_flows_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_flows() {}

/// Create a flow run, or answer the existing one it matches.
#[utoipa::path(
    post,
    path = "/flow_runs/",
    tag = "Flow Runs",
    operation_id = "create_flow_run_flow_runs__post",
    request_body = FlowRunCreate,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "The new flow run", body = FlowRunResponse, content_type = "application/json"),
        (status = 200, description = "The existing flow run", body = FlowRunResponse, content_type = "application/json"),
        Malformed,
        (status = 409, description = "A referenced flow, flow run or task run does not exist", body = ErrorDetail, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_flow_run() {}

/// One flow run by id.
#[utoipa::path(
    get,
    path = "/flow_runs/{id}",
    tag = "Flow Runs",
    operation_id = "read_flow_run_flow_runs__id__get",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The flow run", body = FlowRunResponse, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_flow_run() {}

/// Flow runs matching the filters, sorted and paged.
#[utoipa::path(
    post,
    path = "/flow_runs/filter",
    tag = "Flow Runs",
    operation_id = "read_flow_runs_flow_runs_filter_post",
    request_body = Body_read_flow_runs_flow_runs_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The flow runs", body = Vec<FlowRunResponse>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_flow_runs() {}

/// How many flow runs match the filters.
#[utoipa::path(
    post,
    path = "/flow_runs/count",
    tag = "Flow Runs",
    operation_id = "count_flow_runs_flow_runs_count_post",
    request_body = Body_count_flow_runs_flow_runs_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_flow_runs() {}

/// Propose a state for a flow run; orchestration decides (`force` skips the core rules).
#[utoipa::path(
    post,
    path = "/flow_runs/{id}/set_state",
    tag = "Flow Runs",
    operation_id = "set_flow_run_state_flow_runs__id__set_state_post",
    request_body = Body_set_flow_run_state_flow_runs__id__set_state_post,
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "No new state (aborted, delayed, or rejected with the current state)", body = OrchestrationResult, content_type = "application/json"),
        (status = 201, description = "A new state was created (accepted, or rejected with another state)", body = OrchestrationResult, content_type = "application/json"),
        Malformed,
        (status = 404, description = "Nothing has that id or key", body = RunNotFound, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn set_flow_run_state() {}

/// Create a task run, or answer the existing one it matches.
#[utoipa::path(
    post,
    path = "/task_runs/",
    tag = "Task Runs",
    operation_id = "create_task_run_task_runs__post",
    request_body = TaskRunCreate,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "The new task run", body = TaskRun, content_type = "application/json"),
        (status = 200, description = "The existing task run", body = TaskRun, content_type = "application/json"),
        Malformed,
        (status = 409, description = "A referenced flow, flow run or task run does not exist", body = ErrorDetail, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_task_run() {}

/// One task run by id.
#[utoipa::path(
    get,
    path = "/task_runs/{id}",
    tag = "Task Runs",
    operation_id = "read_task_run_task_runs__id__get",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The task run", body = TaskRun, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_task_run() {}

/// Task runs matching the filters, sorted and paged.
#[utoipa::path(
    post,
    path = "/task_runs/filter",
    tag = "Task Runs",
    operation_id = "read_task_runs_task_runs_filter_post",
    request_body = Body_read_task_runs_task_runs_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The task runs", body = Vec<TaskRun>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_task_runs() {}

/// How many task runs match the filters.
#[utoipa::path(
    post,
    path = "/task_runs/count",
    tag = "Task Runs",
    operation_id = "count_task_runs_task_runs_count_post",
    request_body = Body_count_task_runs_task_runs_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_task_runs() {}

/// Propose a state for a task run; orchestration decides (`force` skips the core rules).
#[utoipa::path(
    post,
    path = "/task_runs/{id}/set_state",
    tag = "Task Runs",
    operation_id = "set_task_run_state_task_runs__id__set_state_post",
    request_body = Body_set_task_run_state_task_runs__id__set_state_post,
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "No new state (aborted, delayed, or rejected with the current state)", body = OrchestrationResult, content_type = "application/json"),
        (status = 201, description = "A new state was created (accepted, or rejected with another state)", body = OrchestrationResult, content_type = "application/json"),
        Malformed,
        (status = 404, description = "Nothing has that id or key", body = RunNotFound, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn set_task_run_state() {}

/// Create a deployment, or answer the existing one it matches.
#[utoipa::path(
    post,
    path = "/deployments/",
    tag = "Deployments",
    operation_id = "create_deployment_deployments__post",
    request_body = DeploymentCreate,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "The new deployment", body = DeploymentResponse, content_type = "application/json"),
        (status = 200, description = "The existing deployment", body = DeploymentResponse, content_type = "application/json"),
        Malformed,
        (status = 404, description = "The work pool or global concurrency limit it names does not exist", body = ErrorDetail, content_type = "application/json"),
        (status = 409, description = "A referenced flow, flow run or task run does not exist", body = ErrorDetail, content_type = "application/json"),
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_deployment() {}

/// One deployment by id.
#[utoipa::path(
    get,
    path = "/deployments/{id}",
    tag = "Deployments",
    operation_id = "read_deployment_deployments__id__get",
    params(
        ("id" = Uuid, Path),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The deployment", body = DeploymentResponse, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_deployment() {}

/// Deployments matching the filters, sorted and paged.
#[utoipa::path(
    post,
    path = "/deployments/filter",
    tag = "Deployments",
    operation_id = "read_deployments_deployments_filter_post",
    request_body = Body_read_deployments_deployments_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The deployments", body = Vec<DeploymentResponse>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_deployments() {}

/// How many deployments match the filters.
#[utoipa::path(
    post,
    path = "/deployments/count",
    tag = "Deployments",
    operation_id = "count_deployments_deployments_count_post",
    request_body = Body_count_deployments_deployments_count_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_deployments() {}

/// Store log lines.
#[utoipa::path(
    post,
    path = "/logs/",
    tag = "Logs",
    operation_id = "create_logs_logs__post",
    request_body = Vec<LogCreate>,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 201, description = "Stored", body = Value, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_logs() {}

/// Log lines matching the filter, sorted and paged.
#[utoipa::path(
    post,
    path = "/logs/filter",
    tag = "Logs",
    operation_id = "read_logs_logs_filter_post",
    request_body = Body_read_logs_logs_filter_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The log lines", body = Vec<Log>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_logs() {}

/// No concurrency limits exist: a lease over none.
#[utoipa::path(
    post,
    path = "/v2/concurrency_limits/increment-with-lease",
    tag = "Concurrency Limits V2",
    operation_id = "bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_post",
    request_body = Body_bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_post,
    params(
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The lease", body = ConcurrencyLimitWithLeaseResponse, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn increment_with_lease() {}
