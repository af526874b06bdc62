//! The deployment, flow and flow-run operations of `routes::deployments`,
//! `routes::flows` and `routes::automations`, described for the generated
//! document and merged into it by [`document`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::errors::ErrorDetail;
use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};
use super::schemas::{ConcurrencyOptions, DeploymentResponse, Flow, FlowRunPolicy, FlowRunResponse, StateCreate, VersionInfo};

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentScheduleUpdate {
    pub active: Option<bool>,
    pub schedule: Option<Value>,
    #[schema(exclusive_minimum = 0.0)]
    pub max_scheduled_runs: Option<i64>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    pub slug: Option<String>,
    pub replaces: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentUpdate {
    pub version: Option<String>,
    pub description: Option<String>,
    #[schema(required = false)]
    pub paused: bool,
    #[schema(required = false)]
    pub schedules: Vec<DeploymentScheduleUpdate>,
    #[schema(exclusive_minimum = 0.0)]
    pub concurrency_limit: Option<i64>,
    pub concurrency_options: Option<ConcurrencyOptions>,
    pub global_concurrency_limit_id: Option<Uuid>,
    pub parameters: Option<HashMap<String, Value>>,
    pub parameter_openapi_schema: Option<HashMap<String, Value>>,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub work_queue_name: Option<String>,
    pub work_pool_name: Option<String>,
    pub path: Option<String>,
    pub job_variables: Option<HashMap<String, Value>>,
    pub pull_steps: Option<Vec<HashMap<String, Value>>>,
    pub entrypoint: Option<String>,
    pub storage_document_id: Option<Uuid>,
    pub infrastructure_document_id: Option<Uuid>,
    pub enforce_parameter_schema: Option<bool>,
    pub version_info: Option<VersionInfo>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct DeploymentFlowRunCreate {
    pub state: Option<StateCreate>,
    #[schema(required = false)]
    pub name: String,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    pub enforce_parameter_schema: Option<bool>,
    #[schema(required = false)]
    pub context: HashMap<String, Value>,
    pub infrastructure_document_id: Option<Uuid>,
    #[schema(required = false)]
    pub empirical_policy: FlowRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub idempotency_key: Option<String>,
    pub labels: Option<HashMap<String, Value>>,
    pub parent_task_run_id: Option<Uuid>,
    pub work_queue_name: Option<String>,
    #[schema(required = false)]
    pub job_variables: Option<HashMap<String, Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunUpdate {
    pub name: Option<String>,
    pub flow_version: Option<String>,
    #[schema(required = false)]
    pub parameters: HashMap<String, Value>,
    #[schema(required = false)]
    pub empirical_policy: FlowRunPolicy,
    #[schema(required = false)]
    pub tags: Vec<String>,
    pub infrastructure_pid: Option<String>,
    pub job_variables: Option<HashMap<String, Value>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_get_scheduled_flow_runs_for_deployments_deployments_get_scheduled_flow_runs_post {
    /// The deployment IDs to get scheduled runs for
    pub deployment_ids: Vec<Uuid>,
    /// The maximum time to look for scheduled flow runs
    pub scheduled_before: Option<DateTime<Utc>>,
    /// Defaults to PREFECT_API_DEFAULT_LIMIT if not provided.
    #[schema(required = false, minimum = 0, maximum = 200)]
    pub limit: i64,
}

/// One deployment by the names of its flow and itself.
#[utoipa::path(get, path = "/deployments/name/{flow_name}/{deployment_name}", tag = "Deployments",
    operation_id = "read_deployment_by_name_deployments_name__flow_name___deployment_name__get",
    params(("flow_name" = String, Path), ("deployment_name" = String, Path), ApiVersionHeader),
    responses((status = 200, description = "The deployment", body = DeploymentResponse, content_type = "application/json"), Malformed, Missing))]
#[allow(dead_code)]
pub fn read_deployment_by_name() {}

/// Change the fields given of a deployment.
#[utoipa::path(patch, path = "/deployments/{id}", tag = "Deployments",
    operation_id = "update_deployment_deployments__id__patch", request_body = DeploymentUpdate,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Updated"), Malformed, Missing,
        (status = 409, description = "The parameters fail the enforced schema, or a block it names does not exist", body = ErrorDetail, content_type = "application/json"),
        TooLarge, Invalid))]
#[allow(dead_code)]
pub fn update_deployment() {}

/// Delete a deployment and its runs still scheduled.
#[utoipa::path(delete, path = "/deployments/{id}", tag = "Deployments",
    operation_id = "delete_deployment_deployments__id__delete",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing))]
#[allow(dead_code)]
pub fn delete_deployment() {}

/// Create a flow run of a deployment (Scheduled now unless a state is given).
#[utoipa::path(post, path = "/deployments/{id}/create_flow_run", tag = "Deployments",
    operation_id = "create_flow_run_from_deployment_deployments__id__create_flow_run_post", request_body = DeploymentFlowRunCreate,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 201, description = "The new flow run", body = FlowRunResponse, content_type = "application/json"),
        (status = 200, description = "The run with the same idempotency key", body = FlowRunResponse, content_type = "application/json"),
        (status = 400, description = "A work queue without a work pool, or a bad API version", body = ErrorDetail, content_type = "application/json"),
        Missing,
        (status = 409, description = "The parameters fail the enforced schema, or a block it names does not exist", body = ErrorDetail, content_type = "application/json"),
        TooLarge, Invalid))]
#[allow(dead_code)]
pub fn create_flow_run_from_deployment() {}

/// Scheduled runs of the deployments, soonest first: what a runner polls.
#[utoipa::path(post, path = "/deployments/get_scheduled_flow_runs", tag = "Deployments",
    operation_id = "get_scheduled_flow_runs_for_deployments_deployments_get_scheduled_flow_runs_post",
    request_body = Body_get_scheduled_flow_runs_for_deployments_deployments_get_scheduled_flow_runs_post,
    params(ApiVersionHeader),
    responses((status = 200, description = "The runs", body = Vec<FlowRunResponse>, content_type = "application/json"), Malformed, TooLarge, Invalid))]
#[allow(dead_code)]
pub fn get_scheduled_flow_runs_for_deployments() {}

/// Pause a deployment (its auto-scheduled runs are deleted).
#[utoipa::path(post, path = "/deployments/{id}/pause_deployment", tag = "Deployments",
    operation_id = "pause_deployment_deployments__id__pause_deployment_post",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 200, description = "Paused", body = Option<bool>, content_type = "application/json"), Malformed, Missing))]
#[allow(dead_code)]
pub fn pause_deployment() {}

/// Resume a paused deployment.
#[utoipa::path(post, path = "/deployments/{id}/resume_deployment", tag = "Deployments",
    operation_id = "resume_deployment_deployments__id__resume_deployment_post",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 200, description = "Resumed", body = Option<bool>, content_type = "application/json"), Malformed, Missing))]
#[allow(dead_code)]
pub fn resume_deployment() {}

/// One flow by name.
#[utoipa::path(get, path = "/flows/name/{name}", tag = "Flows",
    operation_id = "read_flow_by_name_flows_name__name__get",
    params(("name" = String, Path), ApiVersionHeader),
    responses((status = 200, description = "The flow", body = Flow, content_type = "application/json"), Malformed, Missing))]
#[allow(dead_code)]
pub fn read_flow_by_name() {}

/// Delete a flow with its deployments and runs.
#[utoipa::path(delete, path = "/flows/{id}", tag = "Flows",
    operation_id = "delete_flow_flows__id__delete",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing))]
#[allow(dead_code)]
pub fn delete_flow() {}

/// Change the fields given of a flow run.
#[utoipa::path(patch, path = "/flow_runs/{id}", tag = "Flow Runs",
    operation_id = "update_flow_run_flow_runs__id__patch", request_body = FlowRunUpdate,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Updated"),
        (status = 400, description = "Job variables cannot change now", body = ErrorDetail, content_type = "application/json"),
        Missing, TooLarge, Invalid))]
#[allow(dead_code)]
pub fn update_flow_run() {}

/// Delete a flow run with its task runs and logs.
#[utoipa::path(delete, path = "/flow_runs/{id}", tag = "Flow Runs",
    operation_id = "delete_flow_run_flow_runs__id__delete",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing))]
#[allow(dead_code)]
pub fn delete_flow_run() {}

/// Delete the automations a resource owns (artifactd keeps none).
#[utoipa::path(delete, path = "/automations/owned-by/{resource_id}", tag = "Automations",
    operation_id = "delete_automations_owned_by_resource_automations_owned_by__resource_id__delete",
    params(("resource_id" = String, Path), ApiVersionHeader),
    responses((status = 202, description = "Accepted", body = Option<bool>, content_type = "application/json"), Malformed))]
#[allow(dead_code)]
pub fn delete_automations_owned_by_resource() {}

/// The automations related to a resource (artifactd keeps none: `[]`).
#[utoipa::path(get, path = "/automations/related-to/{resource_id}", tag = "Automations",
    operation_id = "read_automations_related_to_resource_automations_related_to__resource_id__get",
    params(("resource_id" = String, Path), ApiVersionHeader),
    responses((status = 200, description = "None", body = Vec<Value>, content_type = "application/json"), Malformed))]
#[allow(dead_code)]
pub fn read_automations_related_to_resource() {}

#[derive(OpenApi)]
#[openapi(
    paths(
        read_deployment_by_name,
        update_deployment,
        delete_deployment,
        create_flow_run_from_deployment,
        get_scheduled_flow_runs_for_deployments,
        pause_deployment,
        resume_deployment,
        read_flow_by_name,
        delete_flow,
        update_flow_run,
        delete_flow_run,
        delete_automations_owned_by_resource,
        read_automations_related_to_resource
    ),
    components(schemas(
        DeploymentScheduleUpdate,
        DeploymentUpdate,
        DeploymentFlowRunCreate,
        FlowRunUpdate,
        Body_get_scheduled_flow_runs_for_deployments_deployments_get_scheduled_flow_runs_post
    ))
)]
struct DeploymentsDoc;

/// The models here that refuse undeclared keys (Prefect's action models).
const CLOSED: &[&str] = &["DeploymentScheduleUpdate", "DeploymentUpdate", "DeploymentFlowRunCreate", "FlowRunUpdate"];

/// This part of the document, closed models marked.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::RefOr;
    let mut doc = DeploymentsDoc::openapi();
    if let Some(components) = doc.components.as_mut() {
        for name in CLOSED {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(*name) {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
    doc
}
