//! The flow-run input operations, merged into the document by
//! [`super::document`].

use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;
use chrono::{DateTime, Utc};

use super::errors::ErrorDetail;
use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};

#[derive(OpenApi)]
#[openapi(
    paths(create_flow_run_input, filter_flow_run_input, read_flow_run_input, delete_flow_run_input),
    components(schemas(
        Body_create_flow_run_input_flow_runs__id__input_post,
        Body_filter_flow_run_input_flow_runs__id__input_filter_post,
        FlowRunInput
    ))
)]
pub struct FlowRunInputsDoc;

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_create_flow_run_input_flow_runs__id__input_post {
    /// The input key
    pub key: String,
    /// The value of the input
    pub value: String,
    /// The sender of the input
    pub sender: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_filter_flow_run_input_flow_runs__id__input_filter_post {
    /// The input key prefix
    pub prefix: String,
    /// The maximum number of results to return
    #[schema(required = false)]
    pub limit: i64,
    /// Exclude inputs with these keys
    #[schema(required = false)]
    pub exclude_keys: Vec<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct FlowRunInput {
    #[schema(required = false)]
    pub id: Uuid,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub flow_run_id: Uuid,
    pub key: String,
    pub value: String,
    pub sender: Option<String>,
}

/// Keep a key/value input for a flow run.
#[utoipa::path(
    post,
    path = "/flow_runs/{id}/input",
    tag = "Flow Runs",
    operation_id = "create_flow_run_input_flow_runs__id__input_post",
    request_body = Body_create_flow_run_input_flow_runs__id__input_post,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 201, description = "Kept", body = Option<String>, content_type = "application/json"),
        (status = 409, description = "The run has an input of that key", body = ErrorDetail, content_type = "application/json"),
        Malformed,
        Missing,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_flow_run_input() {}

/// A flow run's inputs whose key starts with a prefix, oldest first.
#[utoipa::path(
    post,
    path = "/flow_runs/{id}/input/filter",
    tag = "Flow Runs",
    operation_id = "filter_flow_run_input_flow_runs__id__input_filter_post",
    request_body = Body_filter_flow_run_input_flow_runs__id__input_filter_post,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The inputs", body = Vec<FlowRunInput>, content_type = "application/json"),
        Malformed,
        Missing,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn filter_flow_run_input() {}

/// One input's value, as plain text.
#[utoipa::path(
    get,
    path = "/flow_runs/{id}/input/{key}",
    tag = "Flow Runs",
    operation_id = "read_flow_run_input_flow_runs__id__input__key__get",
    params(("id" = Uuid, Path), ("key" = String, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The value", body = String, content_type = "text/plain"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_flow_run_input() {}

/// Delete one input.
#[utoipa::path(
    delete,
    path = "/flow_runs/{id}/input/{key}",
    tag = "Flow Runs",
    operation_id = "delete_flow_run_input_flow_runs__id__input__key__delete",
    params(("id" = Uuid, Path), ("key" = String, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn delete_flow_run_input() {}
