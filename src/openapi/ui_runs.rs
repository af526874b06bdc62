//! The operations Prefect's UI calls for runs and flows: `/paginate`, run
//! history and the `/ui/*` counts, merged into the document by
//! [`super::document`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};
use super::schemas::{
    DeploymentFilter, DeploymentResponse, DeploymentSort, Flow, FlowFilter, FlowRunFilter, FlowRunResponse,
    FlowRunSort, FlowSort, TaskRun, TaskRunFilter, TaskRunSort, WorkPoolFilter, WorkQueueFilter,
};

#[derive(OpenApi)]
#[openapi(
    paths(
        paginate_flows, paginate_flow_runs, paginate_task_runs, paginate_deployments,
        flow_run_history, task_run_history, read_flow_run_history, count_task_runs_by_flow_run,
        read_dashboard_task_run_counts, read_task_run_counts_by_state, read_task_run_with_flow_run_name,
        count_deployments_by_flow, next_runs_by_flow, average_flow_run_lateness, download_logs
    ),
    components(schemas(
        Body_paginate_flows_flows_paginate_post, FlowPaginationResponse,
        Body_paginate_flow_runs_flow_runs_paginate_post, FlowRunPaginationResponse,
        Body_paginate_task_runs_task_runs_paginate_post, TaskRunPaginationResponse,
        Body_paginate_deployments_deployments_paginate_post, DeploymentPaginationResponse,
        Body_flow_run_history_flow_runs_history_post, Body_task_run_history_task_runs_history_post,
        HistoryResponse, HistoryResponseState,
        Body_read_flow_run_history_ui_flow_runs_history_post, SimpleFlowRun,
        Body_count_task_runs_by_flow_run_ui_flow_runs_count_task_runs_post,
        Body_read_dashboard_task_run_counts_ui_task_runs_dashboard_counts_post, TaskRunCount,
        Body_read_task_run_counts_by_state_ui_task_runs_count_post, CountByState,
        Body_count_deployments_by_flow_ui_flows_count_deployments_post,
        Body_next_runs_by_flow_ui_flows_next_runs_post, SimpleNextFlowRun, NextRunsByFlow,
        Body_average_flow_run_lateness_flow_runs_lateness_post
    ))
)]
pub struct UiRunsDoc;

// ---------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_paginate_flows_flows_paginate_post {
    #[schema(minimum = 1, required = false)]
    pub page: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    #[schema(required = false)]
    pub sort: FlowSort,
    /// At most 200, refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_paginate_flow_runs_flow_runs_paginate_post {
    #[schema(required = false)]
    pub sort: FlowRunSort,
    #[schema(minimum = 1, required = false)]
    pub page: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_paginate_task_runs_task_runs_paginate_post {
    #[schema(required = false)]
    pub sort: TaskRunSort,
    #[schema(minimum = 1, required = false)]
    pub page: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_paginate_deployments_deployments_paginate_post {
    #[schema(minimum = 1, required = false)]
    pub page: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
    #[schema(required = false)]
    pub sort: DeploymentSort,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FlowPaginationResponse {
    pub results: Vec<Flow>,
    pub count: i64,
    pub limit: i64,
    pub pages: i64,
    pub page: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FlowRunPaginationResponse {
    pub results: Vec<FlowRunResponse>,
    pub count: i64,
    pub limit: i64,
    pub pages: i64,
    pub page: i64,
}

/// The task runs of a page: `TaskRunResponse`, the task run's id, times,
/// name, keys, state, inputs, policy, tags and run times.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskRunPaginationResponse {
    pub results: Vec<HashMap<String, serde_json::Value>>,
    pub count: i64,
    pub limit: i64,
    pub pages: i64,
    pub page: i64,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeploymentPaginationResponse {
    pub results: Vec<DeploymentResponse>,
    pub count: i64,
    pub limit: i64,
    pub pages: i64,
    pub page: i64,
}

macro_rules! paginate_op {
    ($name:ident, $path:literal, $tag:literal, $op:literal, $body:ty, $resp:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            post,
            path = $path,
            tag = $tag,
            operation_id = $op,
            request_body = $body,
            params(ApiVersionHeader),
            responses(
                (status = 200, description = "The page", body = $resp, content_type = "application/json"),
                Malformed,
                TooLarge,
                Invalid
            )
        )]
        #[allow(dead_code)]
        pub fn $name() {}
    };
}

paginate_op!(paginate_flows, "/flows/paginate", "Flows", "paginate_flows_flows_paginate_post",
    Body_paginate_flows_flows_paginate_post, FlowPaginationResponse, "A page of flows, with the total count and the number of pages.");
paginate_op!(paginate_flow_runs, "/flow_runs/paginate", "Flow Runs", "paginate_flow_runs_flow_runs_paginate_post",
    Body_paginate_flow_runs_flow_runs_paginate_post, FlowRunPaginationResponse, "A page of flow runs, with the total count and the number of pages.");
paginate_op!(paginate_task_runs, "/task_runs/paginate", "Task Runs", "paginate_task_runs_task_runs_paginate_post",
    Body_paginate_task_runs_task_runs_paginate_post, TaskRunPaginationResponse, "A page of task runs, with the total count and the number of pages.");
paginate_op!(paginate_deployments, "/deployments/paginate", "Deployments", "paginate_deployments_deployments_paginate_post",
    Body_paginate_deployments_deployments_paginate_post, DeploymentPaginationResponse, "A page of deployments, with the total count and the number of pages.");

// ---------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_flow_run_history_flow_runs_history_post {
    /// The history's start time.
    pub history_start: DateTime<Utc>,
    /// The history's end time.
    pub history_end: DateTime<Utc>,
    /// The size of each history interval, in seconds. Must be at least 1
    /// second; at most 500 intervals are answered.
    pub history_interval_seconds: f64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_queues: Option<WorkQueueFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_task_run_history_task_runs_history_post {
    pub history_start: DateTime<Utc>,
    pub history_end: DateTime<Utc>,
    pub history_interval_seconds: f64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
}

/// One state's runs in one interval.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HistoryResponseState {
    pub state_type: String,
    pub state_name: String,
    pub count_runs: i64,
    /// Seconds.
    pub sum_estimated_run_time: f64,
    /// Seconds.
    pub sum_estimated_lateness: f64,
}

/// One interval of a run history.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct HistoryResponse {
    pub interval_start: DateTime<Utc>,
    pub interval_end: DateTime<Utc>,
    pub states: Vec<HistoryResponseState>,
}

/// Flow runs expected to start in each interval, by state.
#[utoipa::path(
    post,
    path = "/flow_runs/history",
    tag = "Flow Runs",
    operation_id = "flow_run_history_flow_runs_history_post",
    request_body = Body_flow_run_history_flow_runs_history_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The intervals", body = Vec<HistoryResponse>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn flow_run_history() {}

/// Task runs expected to start in each interval, by state.
#[utoipa::path(
    post,
    path = "/task_runs/history",
    tag = "Task Runs",
    operation_id = "task_run_history_task_runs_history_post",
    request_body = Body_task_run_history_task_runs_history_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The intervals", body = Vec<HistoryResponse>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn task_run_history() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_flow_run_history_ui_flow_runs_history_post {
    #[schema(required = false)]
    pub sort: FlowRunSort,
    #[schema(maximum = 1000, required = false)]
    pub limit: i64,
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
}

/// A flow run as the Runs page's chart draws it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SimpleFlowRun {
    pub id: Uuid,
    pub state_type: String,
    /// The start time, or the expected start time if it has not started.
    pub timestamp: DateTime<Utc>,
    /// The estimated run time, in seconds.
    pub duration: f64,
    /// The estimated lateness, in seconds.
    pub lateness: f64,
}

/// Flow runs for the Runs page's scatter chart.
#[utoipa::path(
    post,
    path = "/ui/flow_runs/history",
    tag = "Flow Runs",
    operation_id = "read_flow_run_history_ui_flow_runs_history_post",
    request_body = Body_read_flow_run_history_ui_flow_runs_history_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The runs", body = Vec<SimpleFlowRun>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_flow_run_history() {}

// ---------------------------------------------------------------------------
// Counts
// ---------------------------------------------------------------------------

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_task_runs_by_flow_run_ui_flow_runs_count_task_runs_post {
    #[schema(max_items = 200)]
    pub flow_run_ids: Vec<Uuid>,
}

/// Task runs per flow run (not counting those that stand for subflow runs).
#[utoipa::path(
    post,
    path = "/ui/flow_runs/count-task-runs",
    tag = "Flow Runs",
    operation_id = "count_task_runs_by_flow_run_ui_flow_runs_count_task_runs_post",
    request_body = Body_count_task_runs_by_flow_run_ui_flow_runs_count_task_runs_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "Count per flow run id", body = HashMap<String, i64>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_task_runs_by_flow_run() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_dashboard_task_run_counts_ui_task_runs_dashboard_counts_post {
    /// Must give `start_time.after_`.
    pub task_runs: TaskRunFilter,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_queues: Option<WorkQueueFilter>,
}

/// Finished task runs in one of the dashboard's 20 time buckets.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskRunCount {
    pub completed: i64,
    pub failed: i64,
}

/// The dashboard's task run counts: 20 buckets from `start_time.after_`
/// to `start_time.before_` (or now).
#[utoipa::path(
    post,
    path = "/ui/task_runs/dashboard/counts",
    tag = "Task Runs",
    operation_id = "read_dashboard_task_run_counts_ui_task_runs_dashboard_counts_post",
    request_body = Body_read_dashboard_task_run_counts_ui_task_runs_dashboard_counts_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The buckets", body = Vec<TaskRunCount>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_dashboard_task_run_counts() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_task_run_counts_by_state_ui_task_runs_count_post {
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
}

#[derive(ToSchema)]
#[allow(non_snake_case, dead_code)]
pub struct CountByState {
    pub COMPLETED: i64,
    pub PENDING: i64,
    pub RUNNING: i64,
    pub FAILED: i64,
    pub CANCELLED: i64,
    pub CRASHED: i64,
    pub PAUSED: i64,
    pub CANCELLING: i64,
    pub SCHEDULED: i64,
}

/// Task runs per state type.
#[utoipa::path(
    post,
    path = "/ui/task_runs/count",
    tag = "Task Runs",
    operation_id = "read_task_run_counts_by_state_ui_task_runs_count_post",
    request_body = Body_read_task_run_counts_by_state_ui_task_runs_count_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The counts", body = CountByState, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_task_run_counts_by_state() {}

/// A task run, with the name of its flow run (`flow_run_name`, null when
/// it has none) after its fields: the reference's `UITaskRun`.
#[utoipa::path(
    get,
    path = "/ui/task_runs/{id}",
    tag = "Task Runs",
    operation_id = "read_task_run_with_flow_run_name_ui_task_runs__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The task run and its flow run's name", body = TaskRun, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_task_run_with_flow_run_name() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_deployments_by_flow_ui_flows_count_deployments_post {
    #[schema(max_items = 200)]
    pub flow_ids: Vec<Uuid>,
}

/// Deployments per flow.
#[utoipa::path(
    post,
    path = "/ui/flows/count-deployments",
    tag = "Flows",
    operation_id = "count_deployments_by_flow_ui_flows_count_deployments_post",
    request_body = Body_count_deployments_by_flow_ui_flows_count_deployments_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "Count per flow id", body = HashMap<String, i64>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_deployments_by_flow() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_next_runs_by_flow_ui_flows_next_runs_post {
    #[schema(max_items = 200)]
    pub flow_ids: Vec<Uuid>,
}

/// A flow's next scheduled run.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SimpleNextFlowRun {
    pub id: Uuid,
    pub flow_id: Uuid,
    pub name: String,
    pub state_name: String,
    pub state_type: String,
    pub next_scheduled_start_time: DateTime<Utc>,
}

/// Each asked flow's id, to its next scheduled run or null (written by
/// hand: utoipa's derive cannot put an optional model in a map).
pub struct NextRunsByFlow;

impl utoipa::PartialSchema for NextRunsByFlow {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, Type};
        use utoipa::openapi::{Ref, RefOr};
        let run_or_null = OneOfBuilder::new()
            .item(Ref::from_schema_name("SimpleNextFlowRun"))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build();
        let map = ObjectBuilder::new()
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(Schema::OneOf(run_or_null)))))
            .build();
        RefOr::T(Schema::Object(map))
    }
}

impl ToSchema for NextRunsByFlow {}

/// Each flow's next scheduled run (null when it has none).
#[utoipa::path(
    post,
    path = "/ui/flows/next-runs",
    tag = "Flows",
    operation_id = "next_runs_by_flow_ui_flows_next_runs_post",
    request_body = Body_next_runs_by_flow_ui_flows_next_runs_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "Next run per flow id", body = NextRunsByFlow, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn next_runs_by_flow() {}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_average_flow_run_lateness_flow_runs_lateness_post {
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
}

/// The matching flow runs' average lateness in (whole) seconds, null when
/// none match.
#[utoipa::path(
    post,
    path = "/flow_runs/lateness",
    tag = "Flow Runs",
    operation_id = "average_flow_run_lateness_flow_runs_lateness_post",
    request_body = Body_average_flow_run_lateness_flow_runs_lateness_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "Seconds", body = Option<f64>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn average_flow_run_lateness() {}

/// A flow run's logs as CSV (timestamp, level, flow_run_id, task_run_id,
/// message), oldest first.
#[utoipa::path(
    get,
    path = "/flow_runs/{id}/logs/download",
    tag = "Flow Runs",
    operation_id = "download_logs_flow_runs__id__logs_download_get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The logs", body = String, content_type = "text/csv; charset=utf-8"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn download_logs() {}
