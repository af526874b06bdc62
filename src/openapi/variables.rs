//! The variable operations, with their bodies, merged into the document by [`super::document`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::errors::ErrorDetail;
use super::paths::{ApiVersionHeader, Invalid, Malformed, Missing, TooLarge};

#[derive(OpenApi)]
#[openapi(
    paths(
        create_variable,
        read_variable,
        read_variable_by_name,
        read_variables,
        count_variables,
        update_variable,
        update_variable_by_name,
        delete_variable,
        delete_variable_by_name
    ),
    components(schemas(
        VariableCreate,
        Variable,
        VariableUpdate,
        Body_read_variables_variables_filter_post,
        Body_count_variables_variables_count_post,
        VariableFilter,
        VariableFilterId,
        VariableFilterName,
        VariableFilterTags,
        VariableSort
    ))
)]
pub struct VariablesDoc;

/// Models that refuse keys they do not declare.
pub const CLOSED_MODELS: &[&str] =
    &["VariableCreate", "VariableUpdate", "VariableFilter", "VariableFilterId", "VariableFilterName", "VariableFilterTags"];

/// Any JSON value orjson can write in at most 5,000 bytes.
#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableCreate {
    /// Lowercase letters, digits, `-` and `_`; at most 255 characters
    #[schema(max_length = 255)]
    pub name: String,
    pub value: Option<Value>,
    #[schema(required = false)]
    pub tags: Vec<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Variable {
    #[schema(required = false)]
    pub id: Uuid,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    #[schema(max_length = 255)]
    pub name: String,
    pub value: Option<Value>,
    #[schema(required = false)]
    pub tags: Vec<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableUpdate {
    #[schema(max_length = 255)]
    pub name: Option<String>,
    pub value: Option<Value>,
    pub tags: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableFilterId {
    pub any_: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableFilterName {
    pub any_: Option<Vec<String>>,
    pub like_: Option<String>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableFilterTags {
    #[schema(required = false)]
    pub operator: super::schemas::Operator,
    pub all_: Option<Vec<String>>,
    pub is_null_: Option<bool>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct VariableFilter {
    #[schema(required = false)]
    pub operator: super::schemas::Operator,
    pub id: Option<VariableFilterId>,
    pub name: Option<VariableFilterName>,
    pub tags: Option<VariableFilterTags>,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub enum VariableSort {
    CREATED_DESC,
    UPDATED_DESC,
    NAME_DESC,
    NAME_ASC,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_read_variables_variables_filter_post {
    #[schema(minimum = 0.0, required = false)]
    pub offset: i64,
    #[schema(required = false)]
    pub variables: Option<VariableFilter>,
    #[schema(required = false)]
    pub sort: VariableSort,
    /// At most 200, refused above.
    #[schema(minimum = 0, maximum = 200, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
#[allow(non_camel_case_types, dead_code)]
pub struct Body_count_variables_variables_count_post {
    #[schema(required = false)]
    pub variables: Option<VariableFilter>,
}

/// Create a variable; names are unique.
#[utoipa::path(
    post,
    path = "/variables/",
    tag = "Variables",
    operation_id = "create_variable_variables__post",
    request_body = VariableCreate,
    params(ApiVersionHeader),
    responses(
        (status = 201, description = "The variable", body = Variable, content_type = "application/json"),
        (status = 409, description = "A variable of that name exists", body = ErrorDetail, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn create_variable() {}

/// One variable by id.
#[utoipa::path(
    get,
    path = "/variables/{id}",
    tag = "Variables",
    operation_id = "read_variable_variables__id__get",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The variable", body = Variable, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_variable() {}

/// One variable by name.
#[utoipa::path(
    get,
    path = "/variables/name/{name}",
    tag = "Variables",
    operation_id = "read_variable_by_name_variables_name__name__get",
    params(("name" = String, Path), ApiVersionHeader),
    responses(
        (status = 200, description = "The variable", body = Variable, content_type = "application/json"),
        Malformed,
        Missing
    )
)]
#[allow(dead_code)]
pub fn read_variable_by_name() {}

/// Variables matching a filter, a page at a time (by name unless sorted otherwise).
#[utoipa::path(
    post,
    path = "/variables/filter",
    tag = "Variables",
    operation_id = "read_variables_variables_filter_post",
    request_body = Body_read_variables_variables_filter_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The variables", body = Vec<Variable>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn read_variables() {}

/// How many variables match a filter.
#[utoipa::path(
    post,
    path = "/variables/count",
    tag = "Variables",
    operation_id = "count_variables_variables_count_post",
    request_body = Body_count_variables_variables_count_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "The count", body = i64, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn count_variables() {}

/// Change the fields sent of a variable, by id.
#[utoipa::path(
    patch,
    path = "/variables/{id}",
    tag = "Variables",
    operation_id = "update_variable_variables__id__patch",
    request_body = VariableUpdate,
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses(
        (status = 204, description = "Updated"),
        (status = 409, description = "The name is taken, or a null name or tags", body = ErrorDetail, content_type = "application/json"),
        Malformed,
        Missing,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn update_variable() {}

/// Change the fields sent of a variable, by name.
#[utoipa::path(
    patch,
    path = "/variables/name/{name}",
    tag = "Variables",
    operation_id = "update_variable_by_name_variables_name__name__patch",
    request_body = VariableUpdate,
    params(("name" = String, Path), ApiVersionHeader),
    responses(
        (status = 204, description = "Updated"),
        (status = 409, description = "The name is taken, or a null name or tags", body = ErrorDetail, content_type = "application/json"),
        Malformed,
        Missing,
        TooLarge,
        Invalid
    )
)]
#[allow(dead_code)]
pub fn update_variable_by_name() {}

/// Delete a variable by id.
#[utoipa::path(
    delete,
    path = "/variables/{id}",
    tag = "Variables",
    operation_id = "delete_variable_variables__id__delete",
    params(("id" = Uuid, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn delete_variable() {}

/// Delete a variable by name.
#[utoipa::path(
    delete,
    path = "/variables/name/{name}",
    tag = "Variables",
    operation_id = "delete_variable_by_name_variables_name__name__delete",
    params(("name" = String, Path), ApiVersionHeader),
    responses((status = 204, description = "Deleted"), Malformed, Missing)
)]
#[allow(dead_code)]
pub fn delete_variable_by_name() {}
