//! The operations Prefect's UI calls beyond artifacts and runs: admin
//! settings, the flow run graph, saved searches, work pools and queues,
//! collections and parameter validation, merged into the document by
//! [`super::document`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::errors::{ErrorDetail, RunNotFound};
use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};
use super::schemas::{StateType, WorkPoolFilter, WorkQueueFilter};

#[derive(OpenApi)]
#[openapi(
    paths(
        read_settings,
        read_flow_run_graph_v2,
        create_saved_search,
        read_saved_search,
        read_saved_searches,
        delete_saved_search,
        read_work_pools,
        count_work_pools,
        read_work_pool,
        read_pool_work_queues,
        read_pool_work_queue,
        read_workers,
        read_work_queues,
        read_work_queue,
        read_work_queue_by_name,
        read_view_content,
        validate_obj
    ),
    components(schemas(
        Graph,
        Node,
        Edge,
        GraphArtifact,
        GraphState,
        SavedSearch,
        SavedSearchCreate,
        SavedSearchFilter,
        Body_read_saved_searches_saved_searches_filter_post,
        Body_read_work_pools_work_pools_filter_post,
        Body_count_work_pools_work_pools_count_post,
        Body_read_work_queues_work_pools__work_pool_name__queues_filter_post,
        Body_read_workers_work_pools__work_pool_name__workers_filter_post,
        Body_read_work_queues_work_queues_filter_post,
        WorkerFilter,
        WorkerFilterStatus,
        WorkerFilterLastHeartbeatTime,
        WorkerStatus,
        Body_validate_obj_ui_schemas_validate_post,
        SchemaValuesValidationResponse
    ))
)]
pub struct UiApiDoc;

/// One node's link to another.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Edge {
    pub id: Uuid,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GraphArtifact {
    pub id: Uuid,
    pub created: DateTime<Utc>,
    pub key: Option<String>,
    #[schema(rename = "type")]
    pub type_: Option<String>,
    pub is_latest: bool,
    /// A progress artifact's value; null for every other type.
    pub data: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GraphState {
    pub id: Uuid,
    pub timestamp: DateTime<Utc>,
    #[schema(rename = "type")]
    pub type_: StateType,
    pub name: String,
}

/// A task run or subflow run of the graph.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Node {
    /// `flow-run` or `task-run`
    #[schema(pattern = "^(flow-run|task-run)$")]
    pub kind: String,
    pub id: Uuid,
    pub label: String,
    pub state_type: StateType,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    /// One entry per edge row, so an id may repeat (as in the reference).
    pub parents: Vec<Edge>,
    pub children: Vec<Edge>,
    pub encapsulating: Vec<Edge>,
    pub artifacts: Vec<GraphArtifact>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Graph {
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub root_node_ids: Vec<Uuid>,
    /// `[id, node]` pairs, by start and end time.
    pub nodes: Vec<Vec<Value>>,
    pub artifacts: Vec<GraphArtifact>,
    pub states: Vec<GraphState>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SavedSearchFilter {
    pub object: String,
    pub property: String,
    #[schema(rename = "type")]
    pub type_: String,
    pub operation: String,
    pub value: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SavedSearch {
    pub id: Uuid,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub name: String,
    pub filters: Vec<SavedSearchFilter>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SavedSearchCreate {
    pub name: String,
    #[schema(required = false)]
    pub filters: Vec<SavedSearchFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_saved_searches_saved_searches_filter_post {
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_work_pools_work_pools_filter_post {
    pub work_pools: Option<WorkPoolFilter>,
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_work_pools_work_pools_count_post {
    pub work_pools: Option<WorkPoolFilter>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_work_queues_work_pools__work_pool_name__queues_filter_post {
    pub work_queues: Option<WorkQueueFilter>,
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_work_queues_work_queues_filter_post {
    pub work_queues: Option<WorkQueueFilter>,
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum WorkerStatus {
    ONLINE,
    OFFLINE,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WorkerFilterStatus {
    pub any_: Option<Vec<WorkerStatus>>,
    pub not_any_: Option<Vec<WorkerStatus>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WorkerFilterLastHeartbeatTime {
    pub before_: Option<DateTime<Utc>>,
    pub after_: Option<DateTime<Utc>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WorkerFilter {
    /// `and_` (default) or `or_`
    #[schema(required = false)]
    pub operator: String,
    pub last_heartbeat_time: Option<WorkerFilterLastHeartbeatTime>,
    pub status: Option<WorkerFilterStatus>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_workers_work_pools__work_pool_name__workers_filter_post {
    pub workers: Option<WorkerFilter>,
    #[schema(minimum = 0, required = false)]
    pub offset: i64,
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_validate_obj_ui_schemas_validate_post {
    #[schema(value_type = Object)]
    pub schema: Value,
    #[schema(value_type = Object)]
    pub values: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SchemaValuesValidationResponse {
    /// Messages, and `{"property"|"index", "errors"}` trees below them.
    pub errors: Vec<Value>,
    pub valid: bool,
}

/// The reference's settings object, secrets shown as `**********`, with
/// the values that describe artifactd (its address, CORS lists, whether
/// Prefect's UI is served) and Prefect's defaults elsewhere.
#[utoipa::path(
    get,
    path = "/admin/settings",
    tag = "Admin",
    operation_id = "read_settings_admin_settings_get",
    params(ApiVersionHeader),
    responses((status = 200, description = "The settings", body = Object, content_type = "application/json"), Malformed)
)]
#[allow(dead_code)]
pub fn read_settings() {}

/// The graph of a flow run's task runs and subflow runs.
#[utoipa::path(
    get,
    path = "/flow_runs/{id}/graph-v2",
    tag = "Flow Runs",
    operation_id = "read_flow_run_graph_v2_flow_runs__id__graph_v2_get",
    params(
        ("id" = Uuid, Path),
        ("since" = Option<DateTime<Utc>>, Query, description = "Only include runs that start or end after this time."),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The graph", body = Graph, content_type = "application/json"),
        (status = 400, description = "More nodes than the limit, or a malformed request", body = ErrorDetail, content_type = "application/json"),
        (status = 404, description = "No flow run has the id (`exception_message`), or the id is not a UUID, so no route matches (`detail`)", body = RunNotFound, content_type = "application/json"),
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_flow_run_graph_v2() {}

/// Create a saved search, or replace the filters of the one with its name.
#[utoipa::path(
    put,
    path = "/saved_searches/",
    tag = "SavedSearches",
    operation_id = "create_saved_search_saved_searches__put",
    request_body = SavedSearchCreate,
    params(ApiVersionHeader),
    responses(
        (status = 201, description = "Created", body = SavedSearch, content_type = "application/json"),
        (status = 200, description = "Its filters replaced", body = SavedSearch, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_saved_search() {}

/// A saved search by id.
#[utoipa::path(
    get,
    path = "/saved_searches/{id}",
    tag = "SavedSearches",
    operation_id = "read_saved_search_saved_searches__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 200, description = "The saved search", body = SavedSearch, content_type = "application/json"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_saved_search() {}

/// Saved searches by name.
#[utoipa::path(
    post,
    path = "/saved_searches/filter",
    tag = "SavedSearches",
    operation_id = "read_saved_searches_saved_searches_filter_post",
    request_body = Body_read_saved_searches_saved_searches_filter_post,
    params(ApiVersionHeader),
    responses((status = 200, description = "A page of them", body = Vec<SavedSearch>, content_type = "application/json"), Malformed, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn read_saved_searches() {}

/// Delete a saved search.
#[utoipa::path(
    delete,
    path = "/saved_searches/{id}",
    tag = "SavedSearches",
    operation_id = "delete_saved_search_saved_searches__id__delete",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn delete_saved_search() {}

/// Work pools: artifactd has none, so a valid body gets `[]`.
#[utoipa::path(
    post,
    path = "/work_pools/filter",
    tag = "Work Pools",
    operation_id = "read_work_pools_work_pools_filter_post",
    request_body = Body_read_work_pools_work_pools_filter_post,
    params(ApiVersionHeader),
    responses((status = 200, description = "No work pools", body = Vec<Object>, content_type = "application/json"), Malformed, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn read_work_pools() {}

/// The number of work pools: 0.
#[utoipa::path(
    post,
    path = "/work_pools/count",
    tag = "Work Pools",
    operation_id = "count_work_pools_work_pools_count_post",
    request_body = Body_count_work_pools_work_pools_count_post,
    params(ApiVersionHeader),
    responses((status = 200, description = "0", body = i64, content_type = "application/json"), Malformed, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn count_work_pools() {}

/// A work pool by name: never found.
#[utoipa::path(
    get,
    path = "/work_pools/{name}",
    tag = "Work Pools",
    operation_id = "read_work_pool_work_pools__name__get",
    params(("name" = String, Path), ApiVersionHeader),
    responses(Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_work_pool() {}

/// A work pool's queues: the pool is never found (after the body is validated).
#[utoipa::path(
    post,
    path = "/work_pools/{work_pool_name}/queues/filter",
    tag = "Work Pools",
    operation_id = "read_work_queues_work_pools__work_pool_name__queues_filter_post",
    request_body = Body_read_work_queues_work_pools__work_pool_name__queues_filter_post,
    params(("work_pool_name" = String, Path), ApiVersionHeader),
    responses(Malformed, Missing, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn read_pool_work_queues() {}

/// A work pool's queue by name: never found.
#[utoipa::path(
    get,
    path = "/work_pools/{work_pool_name}/queues/{name}",
    tag = "Work Pools",
    operation_id = "read_work_queue_work_pools__work_pool_name__queues__name__get",
    params(("work_pool_name" = String, Path), ("name" = String, Path), ApiVersionHeader),
    responses(Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_pool_work_queue() {}

/// A work pool's workers: the pool is never found (after the body is validated).
#[utoipa::path(
    post,
    path = "/work_pools/{work_pool_name}/workers/filter",
    tag = "Work Pools",
    operation_id = "read_workers_work_pools__work_pool_name__workers_filter_post",
    request_body = Body_read_workers_work_pools__work_pool_name__workers_filter_post,
    params(("work_pool_name" = String, Path), ApiVersionHeader),
    responses(Malformed, Missing, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn read_workers() {}

/// Work queues: none, so a valid body gets `[]`.
#[utoipa::path(
    post,
    path = "/work_queues/filter",
    tag = "Work Queues",
    operation_id = "read_work_queues_work_queues_filter_post",
    request_body = Body_read_work_queues_work_queues_filter_post,
    params(ApiVersionHeader),
    responses((status = 200, description = "No work queues", body = Vec<Object>, content_type = "application/json"), Malformed, TooLarge, Invalid)
)]
#[allow(dead_code)]
pub fn read_work_queues() {}

/// A work queue by id: never found.
#[utoipa::path(
    get,
    path = "/work_queues/{id}",
    tag = "Work Queues",
    operation_id = "read_work_queue_work_queues__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_work_queue() {}

/// A work queue by name: never found.
#[utoipa::path(
    get,
    path = "/work_queues/name/{name}",
    tag = "Work Queues",
    operation_id = "read_work_queue_by_name_work_queues_name__name__get",
    params(("name" = String, Path), ApiVersionHeader),
    responses(Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_work_queue_by_name() {}

/// A view of Prefect's integration registry. artifactd never fetches it:
/// a known view is empty (`{}`), an unknown one is not found.
#[utoipa::path(
    get,
    path = "/collections/views/{view}",
    tag = "Collections",
    operation_id = "read_view_content_collections_views__view__get",
    params(("view" = String, Path), ApiVersionHeader),
    responses((status = 200, description = "The view", body = Object, content_type = "application/json"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn read_view_content() {}

/// Check parameter values (after resolving `__prefect_kind` placeholders)
/// against a JSON schema.
#[utoipa::path(
    post,
    path = "/ui/schemas/validate",
    tag = "UI",
    operation_id = "validate_obj_ui_schemas_validate_post",
    request_body = Body_validate_obj_ui_schemas_validate_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The errors, if any", body = SchemaValuesValidationResponse, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn validate_obj() {}
