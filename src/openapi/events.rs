//! The events operations (`/events/filter`, `/events/filter/next`,
//! `/events/count-by/{countable}`), merged into the main document. The
//! websockets `/events/in` and `/events/out` are not operations of the
//! document, as in the reference's.

#![allow(non_camel_case_types, dead_code)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};
use uuid::Uuid;

use super::paths::{ApiVersionHeader, Invalid, Malformed, TooLarge};

#[derive(OpenApi)]
#[openapi(
    paths(read_events, read_account_events_page, count_account_events),
    components(schemas(
        Body_read_events_events_filter_post,
        Body_count_account_events_events_count_by__countable__post,
        EventFilter,
        EventOccurredFilter,
        EventNameFilter,
        EventResourceFilter,
        EventRelatedFilter,
        EventAnyResourceFilter,
        EventIDFilter,
        EventTextFilter,
        EventOrder,
        EventPage,
        ReceivedEvent,
        EventCount,
        Countable,
        TimeUnit
    ))
)]
pub struct EventsDoc;

/// The models of this family that refuse keys they do not declare.
pub const CLOSED_MODELS: &[&str] = &[
    "EventFilter",
    "EventOccurredFilter",
    "EventNameFilter",
    "EventResourceFilter",
    "EventRelatedFilter",
    "EventAnyResourceFilter",
    "EventIDFilter",
    "EventTextFilter",
];

#[derive(ToSchema)]
pub struct EventOccurredFilter {
    /// Only include events after this time (inclusive); 180 days before the start of today by default
    #[schema(required = false)]
    pub since: DateTime<Utc>,
    /// Only include events prior to this time (inclusive); now by default
    #[schema(required = false)]
    pub until: DateTime<Utc>,
}

#[derive(ToSchema)]
pub struct EventNameFilter {
    pub prefix: Option<Vec<String>>,
    pub exclude_prefix: Option<Vec<String>>,
    pub name: Option<Vec<String>>,
    pub exclude_name: Option<Vec<String>>,
}

#[derive(ToSchema)]
pub struct EventResourceFilter {
    pub id: Option<Vec<String>>,
    pub id_prefix: Option<Vec<String>>,
    /// Label -> glob pattern(s); `!` negates
    #[schema(value_type = Option<Object>)]
    pub labels: Option<Value>,
    #[schema(required = false)]
    pub distinct: bool,
}

#[derive(ToSchema)]
pub struct EventRelatedFilter {
    pub id: Option<Vec<String>>,
    pub role: Option<Vec<String>>,
    pub resources_in_roles: Option<Vec<(String, String)>>,
    /// Label -> glob pattern(s); `!` negates
    #[schema(value_type = Option<Object>)]
    pub labels: Option<Value>,
}

#[derive(ToSchema)]
pub struct EventAnyResourceFilter {
    pub id: Option<Vec<String>>,
    pub id_prefix: Option<Vec<String>>,
    /// Label -> glob pattern(s); `!` negates
    #[schema(value_type = Option<Object>)]
    pub labels: Option<Value>,
}

#[derive(ToSchema)]
pub struct EventIDFilter {
    pub id: Option<Vec<Uuid>>,
}

#[derive(ToSchema)]
pub struct EventTextFilter {
    /// Terms OR'd; `-`/`!` excludes, `+` requires, "quoted phrases"
    #[schema(max_length = 200)]
    pub query: String,
}

#[derive(ToSchema)]
pub enum EventOrder {
    ASC,
    DESC,
}

#[derive(ToSchema)]
pub struct EventFilter {
    #[schema(required = false)]
    pub occurred: EventOccurredFilter,
    pub event: Option<EventNameFilter>,
    pub resource: Option<EventResourceFilter>,
    /// One filter or a list of them (ANDed)
    #[schema(value_type = Option<Object>)]
    pub related: Option<Value>,
    /// One filter or a list of them (ANDed)
    #[schema(value_type = Option<Object>)]
    pub any_resource: Option<Value>,
    #[schema(required = false)]
    pub id: EventIDFilter,
    pub text: Option<EventTextFilter>,
    #[schema(required = false)]
    pub order: EventOrder,
}

#[derive(ToSchema)]
pub struct Body_read_events_events_filter_post {
    pub filter: Option<EventFilter>,
    /// At most 50
    #[schema(minimum = 0, maximum = 50, required = false)]
    pub limit: i64,
}

#[derive(ToSchema)]
pub enum TimeUnit {
    week,
    day,
    hour,
    minute,
    second,
}

#[derive(ToSchema)]
pub enum Countable {
    day,
    time,
    event,
    resource,
}

#[derive(ToSchema)]
pub struct Body_count_account_events_events_count_by__countable__post {
    pub filter: EventFilter,
    #[schema(required = false)]
    pub time_unit: TimeUnit,
    #[schema(minimum = 0.01, required = false)]
    pub time_interval: f64,
}

#[derive(ToSchema)]
pub struct ReceivedEvent {
    pub occurred: DateTime<Utc>,
    pub event: String,
    pub resource: HashMap<String, String>,
    pub related: Vec<HashMap<String, String>>,
    #[schema(value_type = Object)]
    pub payload: Value,
    pub id: Uuid,
    pub follows: Option<Uuid>,
    pub received: DateTime<Utc>,
}

#[derive(ToSchema)]
pub struct EventPage {
    pub events: Vec<ReceivedEvent>,
    pub total: i64,
    /// The URL of the next page, if there are more
    pub next_page: Option<String>,
}

#[derive(ToSchema)]
pub struct EventCount {
    pub value: String,
    pub label: String,
    pub count: i64,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

/// The first page of stored events matching the filter, newest first by default.
#[utoipa::path(
    post,
    path = "/events/filter",
    tag = "Events",
    operation_id = "read_events_events_filter_post",
    request_body = Body_read_events_events_filter_post,
    params(ApiVersionHeader),
    responses(
        (status = 200, description = "One page of events", body = EventPage, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
pub fn read_events() {}

/// The next page of a previous events query.
#[utoipa::path(
    get,
    path = "/events/filter/next",
    tag = "Events",
    operation_id = "read_account_events_page_events_filter_next_get",
    params(
        ("page-token" = String, Query, description = "The token from the previous page's `next_page`"),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "One page of events", body = EventPage, content_type = "application/json"),
        (status = 403, description = "The token is not a page token", body = super::errors::ErrorDetail, content_type = "application/json"),
        Malformed,
        Invalid
    )
)]
pub fn read_account_events_page() {}

/// Counts of matching events by day, time bucket, event name or resource.
#[utoipa::path(
    post,
    path = "/events/count-by/{countable}",
    tag = "Events",
    operation_id = "count_account_events_events_count_by__countable__post",
    request_body = Body_count_account_events_events_count_by__countable__post,
    params(
        ("countable" = Countable, Path, description = "What to count by"),
        ApiVersionHeader
    ),
    responses(
        (status = 200, description = "The counts", body = Vec<EventCount>, content_type = "application/json"),
        Malformed,
        TooLarge,
        Invalid
    )
)]
pub fn count_account_events() {}
