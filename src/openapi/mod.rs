//! artifactd's own OpenAPI document (`GET /api/openapi.json`), generated
//! by utoipa from the descriptions in this module: the operations in
//! [`paths`], the bodies in [`schemas`] (named and shaped as Prefect 3.9.1's
//! models) and the error bodies in [`errors`]. Paths are relative to the
//! `/api` server, as in the reference's document.

pub mod deployments;
pub mod errors;
pub mod flow_run_inputs;
pub mod ui_runs;
pub mod events;
pub mod paths;
pub mod schemas;
pub mod variables;
pub mod states;
pub mod ui_api;

use std::sync::OnceLock;

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "artifactd: the Prefect REST API over SQLite",
        description = "The part of Prefect 3.9.1's REST API that artifactd serves: artifacts, flows, flow runs, task runs, deployments and logs.",
        version = "3.9.1"
    ),
    servers((url = "/api")),
    paths(
        paths::health,
        paths::server_version,
        paths::hello,
        paths::ready,
        paths::read_version,
        paths::read_default_storage,
        paths::create_csrf_token,
        paths::create_artifact,
        paths::read_artifact,
        paths::update_artifact,
        paths::delete_artifact,
        paths::read_latest_artifact,
        paths::read_artifacts,
        paths::read_latest_artifacts,
        paths::count_artifacts,
        paths::count_latest_artifacts,
        paths::create_flow,
        paths::read_flow,
        paths::read_flows,
        paths::count_flows,
        paths::create_flow_run,
        paths::read_flow_run,
        paths::read_flow_runs,
        paths::count_flow_runs,
        paths::set_flow_run_state,
        paths::create_task_run,
        paths::read_task_run,
        paths::read_task_runs,
        paths::count_task_runs,
        paths::set_task_run_state,
        paths::create_deployment,
        paths::read_deployment,
        paths::read_deployments,
        paths::count_deployments,
        paths::create_logs,
        paths::read_logs,
        paths::increment_with_lease
    ),
    components(schemas(
        errors::ErrorDetail,
        errors::ExceptionMessage,
        errors::ValidationError,
        errors::ValidationErrorResponse,
        errors::Unprocessable,
        errors::RunNotFound,
        schemas::ServerDefaultResultStorage,
        schemas::CsrfToken,
        schemas::ArtifactCreate,
        schemas::Artifact,
        schemas::ArtifactUpdate,
        schemas::Body_read_artifacts_artifacts_filter_post,
        schemas::ArtifactSort,
        schemas::ArtifactFilter,
        schemas::Operator,
        schemas::ArtifactFilterId,
        schemas::ArtifactFilterKey,
        schemas::ArtifactFilterFlowRunId,
        schemas::ArtifactFilterTaskRunId,
        schemas::ArtifactFilterType,
        schemas::FlowRunFilter,
        schemas::FlowRunFilterId,
        schemas::FlowRunFilterName,
        schemas::FlowRunFilterTags,
        schemas::FlowRunFilterDeploymentId,
        schemas::FlowRunFilterWorkQueueName,
        schemas::FlowRunFilterState,
        schemas::FlowRunFilterStateType,
        schemas::StateType,
        schemas::FlowRunFilterStateName,
        schemas::FlowRunFilterFlowVersion,
        schemas::FlowRunFilterStartTime,
        schemas::FlowRunFilterEndTime,
        schemas::FlowRunFilterExpectedStartTime,
        schemas::FlowRunFilterNextScheduledStartTime,
        schemas::FlowRunFilterParentFlowRunId,
        schemas::FlowRunFilterParentTaskRunId,
        schemas::FlowRunFilterIdempotencyKey,
        schemas::FlowRunFilterCreatedBy,
        schemas::TaskRunFilter,
        schemas::TaskRunFilterId,
        schemas::TaskRunFilterName,
        schemas::TaskRunFilterTags,
        schemas::TaskRunFilterState,
        schemas::TaskRunFilterStateType,
        schemas::TaskRunFilterStateName,
        schemas::TaskRunFilterStartTime,
        schemas::TaskRunFilterEndTime,
        schemas::TaskRunFilterExpectedStartTime,
        schemas::TaskRunFilterSubFlowRuns,
        schemas::TaskRunFilterFlowRunId,
        schemas::FlowFilter,
        schemas::FlowFilterId,
        schemas::FlowFilterDeployment,
        schemas::FlowFilterName,
        schemas::FlowFilterTags,
        schemas::DeploymentFilter,
        schemas::DeploymentFilterId,
        schemas::DeploymentFilterName,
        schemas::DeploymentOrFlowNameFilter,
        schemas::DeploymentFilterPaused,
        schemas::DeploymentFilterTags,
        schemas::DeploymentFilterWorkQueueName,
        schemas::DeploymentFilterConcurrencyLimit,
        schemas::Body_count_artifacts_artifacts_count_post,
        schemas::Body_read_latest_artifacts_artifacts_latest_filter_post,
        schemas::ArtifactCollectionSort,
        schemas::ArtifactCollectionFilter,
        schemas::ArtifactCollectionFilterLatestId,
        schemas::ArtifactCollectionFilterKey,
        schemas::ArtifactCollectionFilterFlowRunId,
        schemas::ArtifactCollectionFilterTaskRunId,
        schemas::ArtifactCollectionFilterType,
        schemas::ArtifactCollection,
        schemas::Body_count_latest_artifacts_artifacts_latest_count_post,
        schemas::LogCreate,
        schemas::Body_read_logs_logs_filter_post,
        schemas::LogFilter,
        schemas::LogFilterLevel,
        schemas::LogFilterTimestamp,
        schemas::LogFilterFlowRunId,
        schemas::LogFilterTaskRunId,
        schemas::LogFilterTextSearch,
        schemas::LogSort,
        schemas::Log,
        schemas::Body_bulk_increment_active_slots_with_lease_v2_concurrency_limits_increment_with_lease_post,
        schemas::ConcurrencyLeaseHolder,
        schemas::ConcurrencyLimitWithLeaseResponse,
        schemas::MinimalConcurrencyLimitResponse,
        schemas::FlowCreate,
        schemas::Flow,
        schemas::Body_read_flows_flows_filter_post,
        schemas::WorkPoolFilter,
        schemas::WorkPoolFilterId,
        schemas::WorkPoolFilterName,
        schemas::WorkPoolFilterType,
        schemas::FlowSort,
        schemas::Body_count_flows_flows_count_post,
        schemas::FlowRunCreate,
        schemas::StateCreate,
        schemas::StateDetails,
        schemas::FlowRunPolicy,
        schemas::FlowRunResponse,
        schemas::CreatedBy,
        schemas::State,
        schemas::Body_read_flow_runs_flow_runs_filter_post,
        schemas::FlowRunSort,
        schemas::WorkQueueFilter,
        schemas::WorkQueueFilterId,
        schemas::WorkQueueFilterName,
        schemas::Body_count_flow_runs_flow_runs_count_post,
        schemas::TaskRunCreate,
        schemas::TaskRunPolicy,
        schemas::TaskRunResult,
        schemas::FlowRunResult,
        schemas::Parameter,
        schemas::Constant,
        schemas::TaskRun,
        schemas::Body_read_task_runs_task_runs_filter_post,
        schemas::TaskRunSort,
        schemas::Body_count_task_runs_task_runs_count_post,
        schemas::DeploymentCreate,
        schemas::DeploymentScheduleCreate,
        schemas::IntervalScheduleInput,
        schemas::CronSchedule,
        schemas::RRuleSchedule,
        schemas::ConcurrencyOptions,
        schemas::ConcurrencyLimitStrategy,
        schemas::VersionInfo,
        schemas::DeploymentResponse,
        schemas::DeploymentSchedule,
        schemas::IntervalScheduleOutput,
        schemas::GlobalConcurrencyLimitResponse,
        schemas::UpdatedBy,
        schemas::DeploymentStatus,
        schemas::Body_read_deployments_deployments_filter_post,
        schemas::DeploymentSort,
        schemas::Body_count_deployments_deployments_count_post,
        schemas::Body_set_flow_run_state_flow_runs__id__set_state_post,
        schemas::OrchestrationResult,
        schemas::SetStateStatus,
        schemas::StateAcceptDetails,
        schemas::StateWaitDetails,
        schemas::StateRejectDetails,
        schemas::StateAbortDetails,
        schemas::Body_set_task_run_state_task_runs__id__set_state_post
    ))
)]
struct ApiDoc;

/// The models that refuse keys they do not declare (pydantic's
/// `extra="forbid"`: Prefect's action and filter models); the others
/// ignore them. The description types carry no serde attributes, so this
/// is set on the generated schemas.
const CLOSED_MODELS: &[&str] = &[
    "ArtifactCollectionFilter",
    "ArtifactCollectionFilterFlowRunId",
    "ArtifactCollectionFilterKey",
    "ArtifactCollectionFilterLatestId",
    "ArtifactCollectionFilterTaskRunId",
    "ArtifactCollectionFilterType",
    "ArtifactCreate",
    "ArtifactFilter",
    "ArtifactFilterFlowRunId",
    "ArtifactFilterId",
    "ArtifactFilterKey",
    "ArtifactFilterTaskRunId",
    "ArtifactFilterType",
    "ArtifactUpdate",
    "ConcurrencyLeaseHolder",
    "CronSchedule",
    "DeploymentCreate",
    "DeploymentFilter",
    "DeploymentFilterConcurrencyLimit",
    "DeploymentFilterId",
    "DeploymentFilterName",
    "DeploymentFilterPaused",
    "DeploymentFilterTags",
    "DeploymentFilterWorkQueueName",
    "DeploymentOrFlowNameFilter",
    "DeploymentScheduleCreate",
    "FlowCreate",
    "FlowFilter",
    "FlowFilterDeployment",
    "FlowFilterId",
    "FlowFilterName",
    "FlowFilterTags",
    "FlowRunCreate",
    "FlowRunFilter",
    "FlowRunFilterCreatedBy",
    "FlowRunFilterDeploymentId",
    "FlowRunFilterEndTime",
    "FlowRunFilterExpectedStartTime",
    "FlowRunFilterFlowVersion",
    "FlowRunFilterId",
    "FlowRunFilterIdempotencyKey",
    "FlowRunFilterName",
    "FlowRunFilterNextScheduledStartTime",
    "FlowRunFilterParentFlowRunId",
    "FlowRunFilterParentTaskRunId",
    "FlowRunFilterStartTime",
    "FlowRunFilterState",
    "FlowRunFilterStateName",
    "FlowRunFilterStateType",
    "FlowRunFilterTags",
    "FlowRunFilterWorkQueueName",
    "LogCreate",
    "LogFilter",
    "LogFilterFlowRunId",
    "LogFilterLevel",
    "LogFilterTaskRunId",
    "LogFilterTextSearch",
    "LogFilterTimestamp",
    "RRuleSchedule",
    "StateCreate",
    "TaskRunCreate",
    "TaskRunFilter",
    "TaskRunFilterEndTime",
    "TaskRunFilterExpectedStartTime",
    "TaskRunFilterFlowRunId",
    "TaskRunFilterId",
    "TaskRunFilterName",
    "TaskRunFilterStartTime",
    "TaskRunFilterState",
    "TaskRunFilterStateName",
    "TaskRunFilterStateType",
    "TaskRunFilterSubFlowRuns",
    "TaskRunFilterTags",
    "WorkPoolFilter",
    "WorkPoolFilterId",
    "WorkPoolFilterName",
    "WorkPoolFilterType",
    "WorkQueueFilter",
    "WorkQueueFilterId",
    "WorkQueueFilterName",
];

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    use utoipa::openapi::RefOr;
    let mut doc = ApiDoc::openapi();
    // Each area's operations, described in a file of their own.
    doc.merge(variables::VariablesDoc::openapi());
    doc.merge(flow_run_inputs::FlowRunInputsDoc::openapi());
    doc.merge(states::StatesDoc::openapi());
    doc.merge(events::EventsDoc::openapi());
    doc.merge(deployments::document());
    doc.merge(ui_runs::UiRunsDoc::openapi());
    doc.merge(ui_api::UiApiDoc::openapi());
    if let Some(components) = doc.components.as_mut() {
        for name in CLOSED_MODELS.iter().chain(variables::CLOSED_MODELS).chain(events::CLOSED_MODELS) {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(*name) {
                o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
    doc
}

/// The document as served, made once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| document().to_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")))
}

/// Every operation in the document as `(METHOD, path)`, the path relative
/// to `/api` with `{name}` parameters, in the document's order.
pub fn operations() -> Vec<(String, String)> {
    let doc = document();
    let mut out = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        let ops = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, op) in ops {
            if op.is_some() {
                out.push((method.to_string(), path.clone()));
            }
        }
    }
    out
}

/// `/docs`: the operations as one offline page (no script, nothing
/// fetched), each with its summary, and a link to the full document.
pub fn docs_html() -> &'static str {
    static HTML: OnceLock<String> = OnceLock::new();
    HTML.get_or_init(|| {
        let doc = document();
        let mut rows = String::new();
        for (path, item) in doc.paths.paths.iter() {
            let ops = [("GET", &item.get), ("PUT", &item.put), ("POST", &item.post), ("DELETE", &item.delete), ("PATCH", &item.patch)];
            for (method, op) in ops {
                if let Some(op) = op {
                    let summary = op.summary.as_deref().or(op.description.as_deref()).unwrap_or("");
                    rows.push_str(&format!(
                        "<tr><td><code>{method}</code></td><td><code>/api{}</code></td><td>{}</td></tr>\n",
                        escape(path),
                        escape(summary)
                    ));
                }
            }
        }
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>artifactd API</title>\n\
             <style>body{{font-family:sans-serif;margin:2em}}td{{padding:.2em .8em;vertical-align:top}}</style></head>\n\
             <body><h1>artifactd API</h1>\n<p>The OpenAPI document: <a href=\"/api/openapi.json\">/api/openapi.json</a>. \
             Request and response bodies are Prefect 3.9.1's, by the same names.</p>\n<table>\n{rows}</table></body></html>\n"
        )
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
