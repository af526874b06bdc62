//! Description-only types: what the request and response bodies look like,
//! for the generated document. The wire types (`crate::schemas`) validate
//! `serde_json` values by hand, so these exist only to be described; their
//! names and fields follow Prefect 3.9.1's models.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ServerDefaultResultStorage {
    pub default_result_storage_block_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct CsrfToken {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    pub token: String,
    pub client: String,
    pub expiration: DateTime<Utc>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCreate {
    pub key: Option<String>,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub description: Option<String>,
    pub data: Option<Value>,
    pub metadata_: Option<HashMap<String, String>>,
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Artifact {
    #[schema(required = false)]
    pub id: Uuid,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub key: Option<String>,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub description: Option<String>,
    pub data: Option<Value>,
    pub metadata_: Option<HashMap<String, String>>,
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactUpdate {
    pub data: Option<Value>,
    pub description: Option<String>,
    pub metadata_: Option<HashMap<String, String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_artifacts_artifacts_filter_post {
    #[schema(required = false)]
    pub sort: ArtifactSort,
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    #[schema(required = false)]
    pub artifacts: ArtifactFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ArtifactSort {
    CREATED_DESC,
    UPDATED_DESC,
    ID_DESC,
    KEY_DESC,
    KEY_ASC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<ArtifactFilterId>,
    pub key: Option<ArtifactFilterKey>,
    pub flow_run_id: Option<ArtifactFilterFlowRunId>,
    pub task_run_id: Option<ArtifactFilterTaskRunId>,
    #[schema(rename = "type")]
    pub type_: Option<ArtifactFilterType>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum Operator {
    and_,
    or_,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilterId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilterKey {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
    pub exists_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilterFlowRunId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilterTaskRunId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactFilterType {
    pub any_: Option<Vec<String>>,
    pub not_any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<FlowRunFilterId>,
    pub name: Option<FlowRunFilterName>,
    pub tags: Option<FlowRunFilterTags>,
    pub deployment_id: Option<FlowRunFilterDeploymentId>,
    pub work_queue_name: Option<FlowRunFilterWorkQueueName>,
    pub state: Option<FlowRunFilterState>,
    pub flow_version: Option<FlowRunFilterFlowVersion>,
    pub start_time: Option<FlowRunFilterStartTime>,
    pub end_time: Option<FlowRunFilterEndTime>,
    pub expected_start_time: Option<FlowRunFilterExpectedStartTime>,
    pub next_scheduled_start_time: Option<FlowRunFilterNextScheduledStartTime>,
    pub parent_flow_run_id: Option<FlowRunFilterParentFlowRunId>,
    pub parent_task_run_id: Option<FlowRunFilterParentTaskRunId>,
    pub idempotency_key: Option<FlowRunFilterIdempotencyKey>,
    pub created_by: Option<FlowRunFilterCreatedBy>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterId {
    pub any_: Option<Vec<Uuid>>,
    pub not_any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterName {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterTags {
    #[schema(required = false)]
    pub operator: Operator,
    pub all_: Option<Vec<String>>,
    pub any_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterDeploymentId {
    #[schema(required = false)]
    pub operator: Operator,
    pub any_: Option<Vec<Uuid>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterWorkQueueName {
    #[schema(required = false)]
    pub operator: Operator,
    pub any_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterState {
    #[schema(required = false)]
    pub operator: Operator,
    #[schema(rename = "type")]
    pub type_: Option<FlowRunFilterStateType>,
    pub name: Option<FlowRunFilterStateName>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterStateType {
    pub any_: Option<Vec<StateType>>,
    pub not_any_: Option<Vec<StateType>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum StateType {
    SCHEDULED,
    PENDING,
    RUNNING,
    COMPLETED,
    FAILED,
    CANCELLED,
    CRASHED,
    PAUSED,
    CANCELLING,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterStateName {
    pub any_: Option<Vec<String>>,
    pub not_any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterFlowVersion {
    pub any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterStartTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterEndTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterExpectedStartTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterNextScheduledStartTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterParentFlowRunId {
    #[schema(required = false)]
    pub operator: Operator,
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterParentTaskRunId {
    #[schema(required = false)]
    pub operator: Operator,
    pub any_: Option<Vec<Uuid>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterIdempotencyKey {
    pub any_: Option<Vec<String>>,
    pub not_any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunFilterCreatedBy {
    #[schema(required = false)]
    pub operator: Operator,
    pub id_: Option<Vec<Uuid>>,
    pub type_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<TaskRunFilterId>,
    pub name: Option<TaskRunFilterName>,
    pub tags: Option<TaskRunFilterTags>,
    pub state: Option<TaskRunFilterState>,
    pub start_time: Option<TaskRunFilterStartTime>,
    pub end_time: Option<TaskRunFilterEndTime>,
    pub expected_start_time: Option<TaskRunFilterExpectedStartTime>,
    pub subflow_runs: Option<TaskRunFilterSubFlowRuns>,
    pub flow_run_id: Option<TaskRunFilterFlowRunId>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterName {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterTags {
    #[schema(required = false)]
    pub operator: Operator,
    pub all_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterState {
    #[schema(required = false)]
    pub operator: Operator,
    #[schema(rename = "type")]
    pub type_: Option<TaskRunFilterStateType>,
    pub name: Option<TaskRunFilterStateName>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterStateType {
    pub any_: Option<Vec<StateType>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterStateName {
    pub any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterStartTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterEndTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterExpectedStartTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterSubFlowRuns {
    pub exists_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunFilterFlowRunId {
    #[schema(required = false)]
    pub operator: Operator,
    pub any_: Option<Vec<Uuid>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<FlowFilterId>,
    pub deployment: Option<FlowFilterDeployment>,
    pub name: Option<FlowFilterName>,
    pub tags: Option<FlowFilterTags>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowFilterId {
    pub any_: Option<Vec<Uuid>>,
    pub not_any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowFilterDeployment {
    #[schema(required = false)]
    pub operator: Operator,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowFilterName {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowFilterTags {
    #[schema(required = false)]
    pub operator: Operator,
    pub all_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<DeploymentFilterId>,
    pub name: Option<DeploymentFilterName>,
    pub flow_or_deployment_name: Option<DeploymentOrFlowNameFilter>,
    pub paused: Option<DeploymentFilterPaused>,
    pub tags: Option<DeploymentFilterTags>,
    pub work_queue_name: Option<DeploymentFilterWorkQueueName>,
    pub concurrency_limit: Option<DeploymentFilterConcurrencyLimit>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterId {
    pub any_: Option<Vec<Uuid>>,
    pub not_any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterName {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentOrFlowNameFilter {
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterPaused {
    pub eq_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterTags {
    #[schema(required = false)]
    pub operator: Operator,
    pub all_: Option<Vec<String>>,
    pub any_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterWorkQueueName {
    pub any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFilterConcurrencyLimit {
    pub ge_: Option<i64>,
    pub le_: Option<i64>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_artifacts_artifacts_count_post {
    #[schema(required = false)]
    pub artifacts: ArtifactFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_latest_artifacts_artifacts_latest_filter_post {
    #[schema(required = false)]
    pub sort: ArtifactCollectionSort,
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    #[schema(required = false)]
    pub artifacts: ArtifactCollectionFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ArtifactCollectionSort {
    CREATED_DESC,
    UPDATED_DESC,
    ID_DESC,
    KEY_DESC,
    KEY_ASC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub latest_id: Option<ArtifactCollectionFilterLatestId>,
    pub key: Option<ArtifactCollectionFilterKey>,
    pub flow_run_id: Option<ArtifactCollectionFilterFlowRunId>,
    pub task_run_id: Option<ArtifactCollectionFilterTaskRunId>,
    #[schema(rename = "type")]
    pub type_: Option<ArtifactCollectionFilterType>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilterLatestId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilterKey {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
    pub exists_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilterFlowRunId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilterTaskRunId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollectionFilterType {
    pub any_: Option<Vec<String>>,
    pub not_any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ArtifactCollection {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    pub key: String,
    pub latest_id: Uuid,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub description: Option<String>,
    pub data: Option<Value>,
    pub metadata_: Option<HashMap<String, String>>,
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_latest_artifacts_artifacts_latest_count_post {
    #[schema(required = false)]
    pub artifacts: ArtifactCollectionFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogCreate {
    pub name: String,
    pub level: i64,
    pub message: String,
    pub timestamp: DateTime<Utc>,
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_logs_logs_filter_post {
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    pub logs: Option<LogFilter>,
    #[schema(required = false)]
    pub sort: LogSort,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub level: Option<LogFilterLevel>,
    pub timestamp: Option<LogFilterTimestamp>,
    pub flow_run_id: Option<LogFilterFlowRunId>,
    pub task_run_id: Option<LogFilterTaskRunId>,
    pub text: Option<LogFilterTextSearch>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilterLevel {
    pub ge_: Option<i64>,
    pub le_: Option<i64>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilterTimestamp {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilterFlowRunId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilterTaskRunId {
    pub any_: Option<Vec<Uuid>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct LogFilterTextSearch {
    #[schema(max_length = 200)]
    pub query: String,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum LogSort {
    TIMESTAMP_ASC,
    TIMESTAMP_DESC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Log {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    pub name: String,
    pub level: i64,
    pub message: String,
    pub timestamp: DateTime<Utc>,
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_post {
    #[schema(exclusive_minimum = 0.0)]
    pub slots: i64,
    #[schema(min_items = 1)]
    pub names: Vec<String>,
    #[schema(inline, required = false)]
    pub mode: Body_bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_postMode,
    #[schema(minimum = 60.0, maximum = 86400.0, required = false)]
    pub lease_duration: f64,
    pub holder: Option<ConcurrencyLeaseHolder>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ConcurrencyLeaseHolder {
    #[schema(inline, rename = "type")]
    pub type_: ConcurrencyLeaseHolderType,
    pub id: Uuid,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ConcurrencyLimitWithLeaseResponse {
    pub lease_id: Uuid,
    pub limits: Vec<MinimalConcurrencyLimitResponse>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct MinimalConcurrencyLimitResponse {
    pub id: Uuid,
    pub name: String,
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowCreate {
    #[schema(pattern = "^[^/%&><]+$")]
    pub name: String,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Flow {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    #[schema(pattern = "^[^/%&><]+$")]
    pub name: String,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_flows_flows_filter_post {
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
    #[schema(required = false)]
    pub work_pools: WorkPoolFilter,
    #[schema(required = false)]
    pub sort: FlowSort,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkPoolFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<WorkPoolFilterId>,
    pub name: Option<WorkPoolFilterName>,
    #[schema(rename = "type")]
    pub type_: Option<WorkPoolFilterType>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkPoolFilterId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkPoolFilterName {
    pub any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkPoolFilterType {
    pub any_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum FlowSort {
    CREATED_DESC,
    UPDATED_DESC,
    NAME_ASC,
    NAME_DESC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_flows_flows_count_post {
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
    #[schema(required = false)]
    pub work_pools: WorkPoolFilter,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunCreate {
    pub state: Option<StateCreate>,
    #[schema(required = false)]
    pub name: String,
    pub flow_id: Uuid,
    pub flow_version: Option<String>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    #[schema(required = false)]
    pub context: HashMap<String, Value>,
    pub parent_task_run_id: Option<Uuid>,
    pub infrastructure_document_id: Option<Uuid>,
    #[schema(required = false)]
    pub empirical_policy: FlowRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
    pub idempotency_key: Option<String>,
    pub work_pool_name: Option<String>,
    pub work_queue_name: Option<String>,
    pub job_variables: Option<HashMap<String, Value>>,
    pub deployment_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateCreate {
    #[schema(rename = "type")]
    pub type_: StateType,
    pub name: Option<String>,
    pub message: Option<String>,
    pub data: Option<Value>,
    #[schema(required = false)]
    pub state_details: StateDetails,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateDetails {
    pub flow_run_id: Option<Uuid>,
    pub task_run_id: Option<Uuid>,
    pub child_flow_run_id: Option<Uuid>,
    pub scheduled_time: Option<DateTime<Utc>>,
    pub cache_key: Option<String>,
    pub cache_expiration: Option<DateTime<Utc>>,
    pub deferred: Option<bool>,
    #[schema(required = false)]
    pub untrackable_result: bool,
    pub pause_timeout: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub pause_reschedule: bool,
    pub pause_key: Option<String>,
    pub run_input_keyset: Option<HashMap<String, String>>,
    pub refresh_cache: Option<bool>,
    pub retriable: Option<bool>,
    pub transition_id: Option<Uuid>,
    pub task_parameters_id: Option<Uuid>,
    pub traceparent: Option<String>,
    pub deployment_concurrency_lease_id: Option<Uuid>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunPolicy {
    #[schema(required = false)]
    pub max_retries: i64,
    #[schema(required = false)]
    pub retry_delay_seconds: f64,
    pub retries: Option<i64>,
    pub retry_delay: Option<i64>,
    pub pause_keys: Option<Vec<String>>,
    pub resuming: Option<bool>,
    #[schema(inline)]
    pub retry_type: Option<FlowRunPolicyRetryType>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunResponse {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub name: String,
    pub flow_id: Uuid,
    pub state_id: Option<Uuid>,
    pub deployment_id: Option<Uuid>,
    pub deployment_version: Option<String>,
    pub work_queue_id: Option<Uuid>,
    pub work_queue_name: Option<String>,
    pub flow_version: Option<String>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    pub idempotency_key: Option<String>,
    #[schema(required = false)]
    pub context: HashMap<String, Value>,
    #[schema(required = false)]
    pub empirical_policy: FlowRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    #[schema(required = false)]
    pub labels: HashMap<String, Value>,
    pub parent_task_run_id: Option<Uuid>,
    pub state_type: Option<StateType>,
    pub state_name: Option<String>,
    #[schema(required = false)]
    pub run_count: i64,
    pub expected_start_time: Option<DateTime<Utc>>,
    pub next_scheduled_start_time: Option<DateTime<Utc>>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub total_run_time: f64,
    #[schema(required = false)]
    pub estimated_run_time: f64,
    #[schema(required = false)]
    pub estimated_start_time_delta: f64,
    #[schema(required = false)]
    pub auto_scheduled: bool,
    pub infrastructure_document_id: Option<Uuid>,
    pub infrastructure_pid: Option<String>,
    pub created_by: Option<CreatedBy>,
    pub work_pool_id: Option<Uuid>,
    pub work_pool_name: Option<String>,
    pub state: Option<State>,
    pub job_variables: Option<HashMap<String, Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct CreatedBy {
    pub id: Option<Uuid>,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub display_value: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct State {
    pub id: Uuid,
    #[schema(rename = "type")]
    pub type_: StateType,
    pub name: Option<String>,
    #[schema(required = false)]
    pub timestamp: DateTime<Utc>,
    pub message: Option<String>,
    pub data: Option<Value>,
    #[schema(required = false)]
    pub state_details: StateDetails,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_flow_runs_flow_runs_filter_post {
    #[schema(required = false)]
    pub sort: FlowRunSort,
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum FlowRunSort {
    ID_DESC,
    START_TIME_ASC,
    START_TIME_DESC,
    EXPECTED_START_TIME_ASC,
    EXPECTED_START_TIME_DESC,
    NAME_ASC,
    NAME_DESC,
    NEXT_SCHEDULED_START_TIME_ASC,
    END_TIME_DESC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkQueueFilter {
    #[schema(required = false)]
    pub operator: Operator,
    pub id: Option<WorkQueueFilterId>,
    pub name: Option<WorkQueueFilterName>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkQueueFilterId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct WorkQueueFilterName {
    pub any_: Option<Vec<String>>,
    pub startswith_: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_flow_runs_flow_runs_count_post {
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunCreate {
    pub id: Option<Uuid>,
    pub state: Option<StateCreate>,
    #[schema(required = false)]
    pub name: String,
    pub flow_run_id: Option<Uuid>,
    pub task_key: String,
    pub dynamic_key: String,
    pub cache_key: Option<String>,
    pub cache_expiration: Option<DateTime<Utc>>,
    pub task_version: Option<String>,
    #[schema(required = false)]
    pub empirical_policy: TaskRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
    #[schema(required = false)]
    pub task_inputs: HashMap<String, Vec<Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunPolicy {
    #[schema(required = false)]
    pub max_retries: i64,
    #[schema(required = false)]
    pub retry_delay_seconds: f64,
    pub retries: Option<i64>,
    pub retry_delay: Option<Value>,
    pub retry_jitter_factor: Option<f64>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRunResult {
    #[schema(inline, required = false)]
    pub input_type: TaskRunResultInputType,
    pub id: Uuid,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunResult {
    #[schema(inline, required = false)]
    pub input_type: FlowRunResultInputType,
    pub id: Uuid,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Parameter {
    #[schema(inline, required = false)]
    pub input_type: ParameterInputType,
    pub name: String,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Constant {
    #[schema(inline, required = false)]
    pub input_type: ConstantInputType,
    #[schema(rename = "type")]
    pub type_: String,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct TaskRun {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub name: String,
    pub flow_run_id: Option<Uuid>,
    pub task_key: String,
    pub dynamic_key: String,
    pub cache_key: Option<String>,
    pub cache_expiration: Option<DateTime<Utc>>,
    pub task_version: Option<String>,
    #[schema(required = false)]
    pub empirical_policy: TaskRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
    pub state_id: Option<Uuid>,
    #[schema(required = false)]
    pub task_inputs: HashMap<String, Vec<Value>>,
    pub state_type: Option<StateType>,
    pub state_name: Option<String>,
    #[schema(required = false)]
    pub run_count: i64,
    #[schema(required = false)]
    pub flow_run_run_count: i64,
    pub expected_start_time: Option<DateTime<Utc>>,
    pub next_scheduled_start_time: Option<DateTime<Utc>>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub total_run_time: f64,
    #[schema(required = false)]
    pub estimated_run_time: f64,
    #[schema(required = false)]
    pub estimated_start_time_delta: f64,
    pub state: Option<State>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_task_runs_task_runs_filter_post {
    #[schema(required = false)]
    pub sort: TaskRunSort,
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum TaskRunSort {
    ID_DESC,
    EXPECTED_START_TIME_ASC,
    EXPECTED_START_TIME_DESC,
    NAME_ASC,
    NAME_DESC,
    NEXT_SCHEDULED_START_TIME_ASC,
    END_TIME_DESC,
    DURATION_DESC,
    DURATION_ASC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_task_runs_task_runs_count_post {
    #[schema(required = false)]
    pub flows: FlowFilter,
    #[schema(required = false)]
    pub flow_runs: FlowRunFilter,
    #[schema(required = false)]
    pub task_runs: TaskRunFilter,
    #[schema(required = false)]
    pub deployments: DeploymentFilter,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentCreate {
    pub name: String,
    pub flow_id: Uuid,
    #[schema(required = false)]
    pub paused: bool,
    #[schema(required = false)]
    pub schedules: Vec<DeploymentScheduleCreate>,
    #[schema(exclusive_minimum = 0.0)]
    pub concurrency_limit: Option<i64>,
    pub concurrency_options: Option<ConcurrencyOptions>,
    pub global_concurrency_limit_id: Option<Uuid>,
    #[schema(required = false)]
    pub enforce_parameter_schema: bool,
    pub parameter_openapi_schema: Option<HashMap<String, Value>>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub labels: Option<HashMap<String, Value>>,
    pub pull_steps: Option<Vec<HashMap<String, Value>>>,
    pub work_queue_name: Option<String>,
    pub work_pool_name: Option<String>,
    pub storage_document_id: Option<Uuid>,
    pub infrastructure_document_id: Option<Uuid>,
    pub description: Option<String>,
    pub path: Option<String>,
    pub version: Option<String>,
    pub entrypoint: Option<String>,
    #[schema(required = false)]
    pub job_variables: HashMap<String, Value>,
    pub version_info: Option<VersionInfo>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentScheduleCreate {
    #[schema(required = false)]
    pub active: bool,
    pub schedule: Value,
    #[schema(exclusive_minimum = 0.0)]
    pub max_scheduled_runs: Option<i64>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    pub slug: Option<String>,
    pub replaces: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
#[schema(title = "IntervalSchedule-Input")]
pub struct IntervalScheduleInput {
    pub interval: Value,
    #[schema(required = false)]
    pub anchor_date: DateTime<Utc>,
    pub timezone: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct CronSchedule {
    pub cron: String,
    pub timezone: Option<String>,
    #[schema(required = false)]
    pub day_or: bool,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct RRuleSchedule {
    pub rrule: String,
    #[schema(pattern = "Africa/Abidjan|Africa/Accra|Africa/Addis_Ababa|Africa/Algiers|Africa/Asmara|Africa/Asmera|Africa/Bamako|Africa/Bangui|Africa/Banjul|Africa/Bissau|Africa/Blantyre|Africa/Brazzaville|Africa/Bujumbura|Africa/Cairo|Africa/Casablanca|Africa/Ceuta|Africa/Conakry|Africa/Dakar|Africa/Dar_es_Salaam|Africa/Djibouti|Africa/Douala|Africa/El_Aaiun|Africa/Freetown|Africa/Gaborone|Africa/Harare|Africa/Johannesburg|Africa/Juba|Africa/Kampala|Africa/Khartoum|Africa/Kigali|Africa/Kinshasa|Africa/Lagos|Africa/Libreville|Africa/Lome|Africa/Luanda|Africa/Lubumbashi|Africa/Lusaka|Africa/Malabo|Africa/Maputo|Africa/Maseru|Africa/Mbabane|Africa/Mogadishu|Africa/Monrovia|Africa/Nairobi|Africa/Ndjamena|Africa/Niamey|Africa/Nouakchott|Africa/Ouagadougou|Africa/Porto-Novo|Africa/Sao_Tome|Africa/Timbuktu|Africa/Tripoli|Africa/Tunis|Africa/Windhoek|America/Adak|America/Anchorage|America/Anguilla|America/Antigua|America/Araguaina|America/Argentina/Buenos_Aires|America/Argentina/Catamarca|America/Argentina/ComodRivadavia|America/Argentina/Cordoba|America/Argentina/Jujuy|America/Argentina/La_Rioja|America/Argentina/Mendoza|America/Argentina/Rio_Gallegos|America/Argentina/Salta|America/Argentina/San_Juan|America/Argentina/San_Luis|America/Argentina/Tucuman|America/Argentina/Ushuaia|America/Aruba|America/Asuncion|America/Atikokan|America/Atka|America/Bahia|America/Bahia_Banderas|America/Barbados|America/Belem|America/Belize|America/Blanc-Sablon|America/Boa_Vista|America/Bogota|America/Boise|America/Buenos_Aires|America/Cambridge_Bay|America/Campo_Grande|America/Cancun|America/Caracas|America/Catamarca|America/Cayenne|America/Cayman|America/Chicago|America/Chihuahua|America/Ciudad_Juarez|America/Coral_Harbour|America/Cordoba|America/Costa_Rica|America/Coyhaique|America/Creston|America/Cuiaba|America/Curacao|America/Danmarkshavn|America/Dawson|America/Dawson_Creek|America/Denver|America/Detroit|America/Dominica|America/Edmonton|America/Eirunepe|America/El_Salvador|America/Ensenada|America/Fort_Nelson|America/Fort_Wayne|America/Fortaleza|America/Glace_Bay|America/Godthab|America/Goose_Bay|America/Grand_Turk|America/Grenada|America/Guadeloupe|America/Guatemala|America/Guayaquil|America/Guyana|America/Halifax|America/Havana|America/Hermosillo|America/Indiana/Indianapolis|America/Indiana/Knox|America/Indiana/Marengo|America/Indiana/Petersburg|America/Indiana/Tell_City|America/Indiana/Vevay|America/Indiana/Vincennes|America/Indiana/Winamac|America/Indianapolis|America/Inuvik|America/Iqaluit|America/Jamaica|America/Jujuy|America/Juneau|America/Kentucky/Louisville|America/Kentucky/Monticello|America/Knox_IN|America/Kralendijk|America/La_Paz|America/Lima|America/Los_Angeles|America/Louisville|America/Lower_Princes|America/Maceio|America/Managua|America/Manaus|America/Marigot|America/Martinique|America/Matamoros|America/Mazatlan|America/Mendoza|America/Menominee|America/Merida|America/Metlakatla|America/Mexico_City|America/Miquelon|America/Moncton|America/Monterrey|America/Montevideo|America/Montreal|America/Montserrat|America/Nassau|America/New_York|America/Nipigon|America/Nome|America/Noronha|America/North_Dakota/Beulah|America/North_Dakota/Center|America/North_Dakota/New_Salem|America/Nuuk|America/Ojinaga|America/Panama|America/Pangnirtung|America/Paramaribo|America/Phoenix|America/Port-au-Prince|America/Port_of_Spain|America/Porto_Acre|America/Porto_Velho|America/Puerto_Rico|America/Punta_Arenas|America/Rainy_River|America/Rankin_Inlet|America/Recife|America/Regina|America/Resolute|America/Rio_Branco|America/Rosario|America/Santa_Isabel|America/Santarem|America/Santiago|America/Santo_Domingo|America/Sao_Paulo|America/Scoresbysund|America/Shiprock|America/Sitka|America/St_Barthelemy|America/St_Johns|America/St_Kitts|America/St_Lucia|America/St_Thomas|America/St_Vincent|America/Swift_Current|America/Tegucigalpa|America/Thule|America/Thunder_Bay|America/Tijuana|America/Toronto|America/Tortola|America/Vancouver|America/Virgin|America/Whitehorse|America/Winnipeg|America/Yakutat|America/Yellowknife|Antarctica/Casey|Antarctica/Davis|Antarctica/DumontDUrville|Antarctica/Macquarie|Antarctica/Mawson|Antarctica/McMurdo|Antarctica/Palmer|Antarctica/Rothera|Antarctica/South_Pole|Antarctica/Syowa|Antarctica/Troll|Antarctica/Vostok|Arctic/Longyearbyen|Asia/Aden|Asia/Almaty|Asia/Amman|Asia/Anadyr|Asia/Aqtau|Asia/Aqtobe|Asia/Ashgabat|Asia/Ashkhabad|Asia/Atyrau|Asia/Baghdad|Asia/Bahrain|Asia/Baku|Asia/Bangkok|Asia/Barnaul|Asia/Beirut|Asia/Bishkek|Asia/Brunei|Asia/Calcutta|Asia/Chita|Asia/Choibalsan|Asia/Chongqing|Asia/Chungking|Asia/Colombo|Asia/Dacca|Asia/Damascus|Asia/Dhaka|Asia/Dili|Asia/Dubai|Asia/Dushanbe|Asia/Famagusta|Asia/Gaza|Asia/Harbin|Asia/Hebron|Asia/Ho_Chi_Minh|Asia/Hong_Kong|Asia/Hovd|Asia/Irkutsk|Asia/Istanbul|Asia/Jakarta|Asia/Jayapura|Asia/Jerusalem|Asia/Kabul|Asia/Kamchatka|Asia/Karachi|Asia/Kashgar|Asia/Kathmandu|Asia/Katmandu|Asia/Khandyga|Asia/Kolkata|Asia/Krasnoyarsk|Asia/Kuala_Lumpur|Asia/Kuching|Asia/Kuwait|Asia/Macao|Asia/Macau|Asia/Magadan|Asia/Makassar|Asia/Manila|Asia/Muscat|Asia/Nicosia|Asia/Novokuznetsk|Asia/Novosibirsk|Asia/Omsk|Asia/Oral|Asia/Phnom_Penh|Asia/Pontianak|Asia/Pyongyang|Asia/Qatar|Asia/Qostanay|Asia/Qyzylorda|Asia/Rangoon|Asia/Riyadh|Asia/Saigon|Asia/Sakhalin|Asia/Samarkand|Asia/Seoul|Asia/Shanghai|Asia/Singapore|Asia/Srednekolymsk|Asia/Taipei|Asia/Tashkent|Asia/Tbilisi|Asia/Tehran|Asia/Tel_Aviv|Asia/Thimbu|Asia/Thimphu|Asia/Tokyo|Asia/Tomsk|Asia/Ujung_Pandang|Asia/Ulaanbaatar|Asia/Ulan_Bator|Asia/Urumqi|Asia/Ust-Nera|Asia/Vientiane|Asia/Vladivostok|Asia/Yakutsk|Asia/Yangon|Asia/Yekaterinburg|Asia/Yerevan|Atlantic/Azores|Atlantic/Bermuda|Atlantic/Canary|Atlantic/Cape_Verde|Atlantic/Faeroe|Atlantic/Faroe|Atlantic/Jan_Mayen|Atlantic/Madeira|Atlantic/Reykjavik|Atlantic/South_Georgia|Atlantic/St_Helena|Atlantic/Stanley|Australia/ACT|Australia/Adelaide|Australia/Brisbane|Australia/Broken_Hill|Australia/Canberra|Australia/Currie|Australia/Darwin|Australia/Eucla|Australia/Hobart|Australia/LHI|Australia/Lindeman|Australia/Lord_Howe|Australia/Melbourne|Australia/NSW|Australia/North|Australia/Perth|Australia/Queensland|Australia/South|Australia/Sydney|Australia/Tasmania|Australia/Victoria|Australia/West|Australia/Yancowinna|Brazil/Acre|Brazil/DeNoronha|Brazil/East|Brazil/West|CET|CST6CDT|Canada/Atlantic|Canada/Central|Canada/Eastern|Canada/Mountain|Canada/Newfoundland|Canada/Pacific|Canada/Saskatchewan|Canada/Yukon|Chile/Continental|Chile/EasterIsland|Cuba|EET|EST|EST5EDT|Egypt|Eire|Etc/GMT|Etc/GMT+0|Etc/GMT+1|Etc/GMT+10|Etc/GMT+11|Etc/GMT+12|Etc/GMT+2|Etc/GMT+3|Etc/GMT+4|Etc/GMT+5|Etc/GMT+6|Etc/GMT+7|Etc/GMT+8|Etc/GMT+9|Etc/GMT-0|Etc/GMT-1|Etc/GMT-10|Etc/GMT-11|Etc/GMT-12|Etc/GMT-13|Etc/GMT-14|Etc/GMT-2|Etc/GMT-3|Etc/GMT-4|Etc/GMT-5|Etc/GMT-6|Etc/GMT-7|Etc/GMT-8|Etc/GMT-9|Etc/GMT0|Etc/Greenwich|Etc/UCT|Etc/UTC|Etc/Universal|Etc/Zulu|Europe/Amsterdam|Europe/Andorra|Europe/Astrakhan|Europe/Athens|Europe/Belfast|Europe/Belgrade|Europe/Berlin|Europe/Bratislava|Europe/Brussels|Europe/Bucharest|Europe/Budapest|Europe/Busingen|Europe/Chisinau|Europe/Copenhagen|Europe/Dublin|Europe/Gibraltar|Europe/Guernsey|Europe/Helsinki|Europe/Isle_of_Man|Europe/Istanbul|Europe/Jersey|Europe/Kaliningrad|Europe/Kiev|Europe/Kirov|Europe/Kyiv|Europe/Lisbon|Europe/Ljubljana|Europe/London|Europe/Luxembourg|Europe/Madrid|Europe/Malta|Europe/Mariehamn|Europe/Minsk|Europe/Monaco|Europe/Moscow|Europe/Nicosia|Europe/Oslo|Europe/Paris|Europe/Podgorica|Europe/Prague|Europe/Riga|Europe/Rome|Europe/Samara|Europe/San_Marino|Europe/Sarajevo|Europe/Saratov|Europe/Simferopol|Europe/Skopje|Europe/Sofia|Europe/Stockholm|Europe/Tallinn|Europe/Tirane|Europe/Tiraspol|Europe/Ulyanovsk|Europe/Uzhgorod|Europe/Vaduz|Europe/Vatican|Europe/Vienna|Europe/Vilnius|Europe/Volgograd|Europe/Warsaw|Europe/Zagreb|Europe/Zaporozhye|Europe/Zurich|Factory|GB|GB-Eire|GMT|GMT+0|GMT-0|GMT0|Greenwich|HST|Hongkong|Iceland|Indian/Antananarivo|Indian/Chagos|Indian/Christmas|Indian/Cocos|Indian/Comoro|Indian/Kerguelen|Indian/Mahe|Indian/Maldives|Indian/Mauritius|Indian/Mayotte|Indian/Reunion|Iran|Israel|Jamaica|Japan|Kwajalein|Libya|MET|MST|MST7MDT|Mexico/BajaNorte|Mexico/BajaSur|Mexico/General|NZ|NZ-CHAT|Navajo|PRC|PST8PDT|Pacific/Apia|Pacific/Auckland|Pacific/Bougainville|Pacific/Chatham|Pacific/Chuuk|Pacific/Easter|Pacific/Efate|Pacific/Enderbury|Pacific/Fakaofo|Pacific/Fiji|Pacific/Funafuti|Pacific/Galapagos|Pacific/Gambier|Pacific/Guadalcanal|Pacific/Guam|Pacific/Honolulu|Pacific/Johnston|Pacific/Kanton|Pacific/Kiritimati|Pacific/Kosrae|Pacific/Kwajalein|Pacific/Majuro|Pacific/Marquesas|Pacific/Midway|Pacific/Nauru|Pacific/Niue|Pacific/Norfolk|Pacific/Noumea|Pacific/Pago_Pago|Pacific/Palau|Pacific/Pitcairn|Pacific/Pohnpei|Pacific/Ponape|Pacific/Port_Moresby|Pacific/Rarotonga|Pacific/Saipan|Pacific/Samoa|Pacific/Tahiti|Pacific/Tarawa|Pacific/Tongatapu|Pacific/Truk|Pacific/Wake|Pacific/Wallis|Pacific/Yap|Poland|Portugal|ROC|ROK|Singapore|Turkey|UCT|US/Alaska|US/Aleutian|US/Arizona|US/Central|US/East-Indiana|US/Eastern|US/Hawaii|US/Indiana-Starke|US/Michigan|US/Mountain|US/Pacific|US/Samoa|UTC|Universal|W-SU|WET|Zulu")]
    pub timezone: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct ConcurrencyOptions {
    pub collision_strategy: ConcurrencyLimitStrategy,
    #[schema(minimum = 60.0, maximum = 86400.0)]
    pub grace_period_seconds: Option<i64>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ConcurrencyLimitStrategy {
    ENQUEUE,
    CANCEL_NEW,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VersionInfo {
    #[schema(rename = "type")]
    pub type_: String,
    pub version: String,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentResponse {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    pub name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    pub flow_id: Uuid,
    #[schema(required = false)]
    pub paused: bool,
    #[schema(required = false)]
    pub schedules: Vec<DeploymentSchedule>,
    pub concurrency_limit: Option<i64>,
    pub global_concurrency_limit: Option<GlobalConcurrencyLimitResponse>,
    pub concurrency_options: Option<ConcurrencyOptions>,
    #[schema(required = false)]
    pub job_variables: HashMap<String, Value>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    #[schema(required = false)]
    pub tags: Vec<String>,
    #[schema(required = false)]
    pub labels: HashMap<String, Value>,
    pub work_queue_name: Option<String>,
    pub work_queue_id: Option<Uuid>,
    pub last_polled: Option<DateTime<Utc>>,
    pub parameter_openapi_schema: Option<HashMap<String, Value>>,
    pub path: Option<String>,
    pub pull_steps: Option<Vec<HashMap<String, Value>>>,
    pub entrypoint: Option<String>,
    pub storage_document_id: Option<Uuid>,
    pub infrastructure_document_id: Option<Uuid>,
    pub created_by: Option<CreatedBy>,
    pub updated_by: Option<UpdatedBy>,
    pub work_pool_name: Option<String>,
    pub status: Option<DeploymentStatus>,
    #[schema(required = false)]
    pub enforce_parameter_schema: bool,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentSchedule {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    pub deployment_id: Option<Uuid>,
    pub schedule: Value,
    #[schema(required = false)]
    pub active: bool,
    #[schema(exclusive_minimum = 0.0)]
    pub max_scheduled_runs: Option<i64>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    pub slug: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
#[schema(title = "IntervalSchedule-Output")]
pub struct IntervalScheduleOutput {
    pub interval: f64,
    #[schema(required = false)]
    pub anchor_date: DateTime<Utc>,
    pub timezone: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct GlobalConcurrencyLimitResponse {
    pub id: Uuid,
    #[schema(required = true)]
    pub created: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub updated: Option<DateTime<Utc>>,
    #[schema(required = false)]
    pub active: bool,
    pub name: String,
    pub limit: i64,
    pub active_slots: i64,
    #[schema(required = false)]
    pub slot_decay_per_second: f64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct UpdatedBy {
    pub id: Option<Uuid>,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub display_value: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum DeploymentStatus {
    READY,
    NOT_READY,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_deployments_deployments_filter_post {
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
    #[schema(required = false)]
    pub sort: DeploymentSort,
    /// At most 200 (the reference's default page size limit), refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum DeploymentSort {
    CREATED_DESC,
    UPDATED_DESC,
    NAME_ASC,
    NAME_DESC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_deployments_deployments_count_post {
    pub flows: Option<FlowFilter>,
    pub flow_runs: Option<FlowRunFilter>,
    pub task_runs: Option<TaskRunFilter>,
    pub deployments: Option<DeploymentFilter>,
    pub work_pools: Option<WorkPoolFilter>,
    pub work_pool_queues: Option<WorkQueueFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_set_flow_run_state_flow_runs__id__set_state_post {
    pub state: StateCreate,
    #[schema(required = false)]
    pub force: bool,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct OrchestrationResult {
    #[schema(required = true)]
    pub state: Option<State>,
    pub status: SetStateStatus,
    pub details: Value,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum SetStateStatus {
    ACCEPT,
    REJECT,
    ABORT,
    WAIT,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateAcceptDetails {
    #[schema(inline, rename = "type", required = false)]
    pub type_: StateAcceptDetailsType,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateWaitDetails {
    #[schema(inline, rename = "type", required = false)]
    pub type_: StateWaitDetailsType,
    pub delay_seconds: i64,
    pub reason: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateRejectDetails {
    #[schema(inline, rename = "type", required = false)]
    pub type_: StateRejectDetailsType,
    pub reason: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct StateAbortDetails {
    #[schema(inline, rename = "type", required = false)]
    pub type_: StateAbortDetailsType,
    pub reason: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_set_task_run_state_task_runs__id__set_state_post {
    pub state: StateCreate,
    #[schema(required = false)]
    pub force: bool,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum Body_bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_postMode {
    concurrency,
    rate_limit,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ConcurrencyLeaseHolderType {
    flow_run,
    task_run,
    deployment,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum FlowRunPolicyRetryType {
    in_process,
    reschedule,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum TaskRunResultInputType {
    task_run,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum FlowRunResultInputType {
    flow_run,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ParameterInputType {
    parameter,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum ConstantInputType {
    constant,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum StateAcceptDetailsType {
    accept_details,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum StateWaitDetailsType {
    wait_details,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum StateRejectDetailsType {
    reject_details,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum StateAbortDetailsType {
    abort_details,
}
