//! The bodies of the work pool, work queue and worker read endpoints,
//! validated as Prefect 3.9.1 validates them. artifactd stores none of
//! these objects, so a valid body only ever selects nothing; the filters are
//! still checked field for field so a bad one gets the reference's 422.

use serde_json::Value;

use super::filters::common::{read, Kind};
use super::filters::operator;
use super::resource_query::{all_missing, parse_limit, parse_offset};
use super::validate::{self, Errors, Loc, Model};
use crate::coerce;
use crate::error::ApiError;

/// One embedded body parameter, in the order FastAPI reports its errors
/// (the `limit` dependency first, then the endpoint's own parameters).
#[derive(Clone, Copy)]
pub enum Param {
    Limit,
    Offset,
    /// A filter model under its body key.
    Filter(&'static str, fn(&Value, &[Loc], &mut Errors) -> Option<()>),
}

impl Param {
    fn name(&self) -> &'static str {
        match self {
            Param::Limit => "limit",
            Param::Offset => "offset",
            Param::Filter(n, _) => n,
        }
    }
}

/// `POST /work_pools/filter`.
pub const WORK_POOLS_FILTER: &[Param] = &[Param::Limit, Param::Filter("work_pools", work_pool_filter), Param::Offset];
/// `POST /work_pools/count`.
pub const WORK_POOLS_COUNT: &[Param] = &[Param::Filter("work_pools", work_pool_filter)];
/// `POST /work_pools/{name}/queues/filter`.
pub const POOL_QUEUES_FILTER: &[Param] = &[Param::Filter("work_queues", work_queue_filter), Param::Limit, Param::Offset];
/// `POST /work_pools/{name}/workers/filter`.
pub const WORKERS_FILTER: &[Param] = &[Param::Filter("workers", worker_filter), Param::Limit, Param::Offset];
/// `POST /work_queues/filter`.
pub const WORK_QUEUES_FILTER: &[Param] = &[Param::Limit, Param::Offset, Param::Filter("work_queues", work_queue_filter)];

/// The paging a valid body asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

/// Validates a body of embedded parameters; `Ok` means the reference would
/// run the query, with this paging.
pub fn validate_body(params: &[Param], body: &Option<Value>) -> Result<Paging, ApiError> {
    let obj = match body {
        None => None,
        Some(Value::Object(o)) => Some(o),
        Some(_) => {
            let with_limit = params.iter().any(|p| matches!(p, Param::Limit));
            let names: Vec<&str> = params.iter().filter(|p| !matches!(p, Param::Limit)).map(Param::name).collect();
            return Err(all_missing(&names, with_limit, body));
        }
    };
    let get = |name: &str| obj.and_then(|o| o.get(name)).filter(|v| !v.is_null()).cloned();
    let mut errs = Errors::default();
    let mut paging = Paging { limit: super::query::DEFAULT_LIMIT, offset: 0 };
    for p in params {
        match p {
            Param::Limit => {
                paging.limit = parse_limit(get, &mut errs)?;
            }
            Param::Offset => {
                if let Some(v) = get("offset") {
                    // No work pool exists, so no SQL ever sees the offset:
                    // an integer beyond 64 bits is valid here, as in the
                    // reference (which then answers its 404 or `[]`).
                    paging.offset = match super::query::offset_value(&v) {
                        Err(p) if p.kind == "less_than_equal" => i64::MAX,
                        _ => parse_offset(&v, &mut errs),
                    };
                }
            }
            Param::Filter(name, f) => {
                if let Some(v) = get(name) {
                    f(&v, &validate::key(&validate::body_loc(), name), &mut errs);
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(paging)
    } else {
        Err(ApiError::Validation { errors: errs.items, body: body.clone().unwrap_or(Value::Null) })
    }
}

/// A family model: `operator`, then nested leaf models, extras forbidden.
fn family(v: &Value, loc: &[Loc], errs: &mut Errors, leaves: &[(&'static str, &[(&'static str, Kind)])]) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    operator(&m, errs);
    for (name, fields) in leaves {
        m.opt_model(name, errs, |v, loc, errs| read(v, loc, errs, false, fields).map(|_| ()));
    }
    let mut declared = vec!["operator"];
    declared.extend(leaves.iter().map(|(n, _)| *n));
    m.finish(&declared, errs);
    (errs.items.len() == before).then_some(())
}

fn work_pool_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    family(v, loc, errs, &[("id", &[("any_", Kind::Uuids)]), ("name", &[("any_", Kind::Strs)]), ("type", &[("any_", Kind::Strs)])])
}

fn work_queue_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    family(v, loc, errs, &[("id", &[("any_", Kind::Uuids)]), ("name", &[("any_", Kind::Strs), ("startswith_", Kind::Strs)])])
}

const WORKER_STATUSES: &[&str] = &["ONLINE", "OFFLINE"];

/// `WorkerFilter`: `last_heartbeat_time` (times) and `status` (lists of
/// `WorkerStatus`, which the shared leaf reader has no kind for).
fn worker_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<()> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    operator(&m, errs);
    m.opt_model("last_heartbeat_time", errs, |v, loc, errs| {
        read(v, loc, errs, false, &[("before_", Kind::Time), ("after_", Kind::Time)]).map(|_| ())
    });
    m.opt_model("status", errs, |v, loc, errs| {
        let s = Model::open(v, loc, true, errs)?;
        let status = |v: &Value| coerce::enumeration(v, WORKER_STATUSES);
        s.opt_list("any_", errs, status);
        s.opt_list("not_any_", errs, status);
        s.finish(&["any_", "not_any_"], errs);
        Some(())
    });
    m.finish(&["operator", "last_heartbeat_time", "status"], errs);
    (errs.items.len() == before).then_some(())
}

