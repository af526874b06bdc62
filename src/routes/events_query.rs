//! `POST /api/events/filter`, `GET /api/events/filter/next` and
//! `POST /api/events/count-by/{countable}`: stored events read back by
//! `EventFilter`, paged with the reference's page tokens, and counted.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Map, Value};

use super::{body, endpoint, Endpoint, Rule};
use crate::coerce::{self, Problem};
use crate::db::Db;
use crate::error::{ApiError, ApiResult};
use crate::events::filter::{self, EventFilter};
use crate::events::store;
use crate::schemas::validate::{self, Errors, Loc};
use crate::timefmt;

/// `INTERACTIVE_PAGE_SIZE`: the default and the most `limit` may ask.
pub const PAGE_SIZE: i64 = 50;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint(Method::POST, "/events/filter", Rule::READ, read_events),
        endpoint(Method::GET, "/events/filter/next", Rule::READ, read_next_page),
        endpoint(Method::POST, "/events/count-by/{countable}", Rule::READ, count_by),
    ]
}

fn json_response(status: StatusCode, v: &Value) -> HttpResponse {
    HttpResponse::build(status).content_type("application/json").body(crate::pyjson::to_starlette_json(v))
}

fn invalid(errs: Errors, body: &Option<Value>) -> ApiError {
    ApiError::Validation { errors: errs.items, body: body.as_ref().map(crate::pyjson::deep_clone).unwrap_or(Value::Null) }
}

/// A body that is JSON but not an object (an array, a string, a number):
/// FastAPI looks each embedded parameter up in it, fails, and reports every
/// one of them missing, defaults or not. Returns whether it was so.
fn not_an_object(body: &Option<Value>, names: &[&str], errs: &mut Errors) -> bool {
    if body.as_ref().is_none_or(Value::is_object) {
        return false;
    }
    for name in names {
        errs.missing(&validate::key(&validate::body_loc(), name));
    }
    true
}

/// An embedded body parameter: absent or `null` gives its default.
fn param<'a>(body: &'a Option<Value>, name: &str) -> Option<&'a Value> {
    body.as_ref().and_then(Value::as_object).and_then(|o| o.get(name)).filter(|v| !v.is_null())
}

fn parse_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<EventFilter> {
    filter::parse(v, loc, Utc::now(), errs)
}

fn event_page(req: &HttpRequest, events: Vec<Map<String, Value>>, total: i64, token: Option<String>) -> HttpResponse {
    let next = token.map(|t| {
        let outer = base64::engine::general_purpose::STANDARD.encode(t.as_bytes());
        format!("{}api/events/filter/next?page-token={outer}", super::base_url(req))
    });
    json_response(StatusCode::OK, &json!({"events": events, "total": total, "next_page": next}))
}

/// `to_page_token`: None once this page reaches the end.
fn page_token(f: &EventFilter, count: i64, page_size: i64, offset: i64) -> Option<String> {
    if offset + page_size >= count {
        return None;
    }
    let inner = json!({"filter": f.to_json(), "count": count, "page_size": page_size, "offset": offset + page_size});
    Some(base64::engine::general_purpose::STANDARD.encode(crate::pyjson::to_starlette_json(&inner).as_bytes()))
}

async fn read_events(db: web::Data<Db>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let mut errs = Errors::default();
    if not_an_object(&b, &["filter", "limit"], &mut errs) {
        return Err(invalid(errs, &b));
    }
    let loc = validate::body_loc();
    let f = match param(&b, "filter") {
        Some(v) => parse_filter(v, &validate::key(&loc, "filter"), &mut errs),
        None => Some(EventFilter::default_at(Utc::now())),
    };
    let mut limit = PAGE_SIZE;
    if let Some(v) = param(&b, "limit") {
        match coerce::int(v) {
            Ok(n) if n < 0 => errs.push(&validate::key(&loc, "limit"), v, Problem {
                kind: "greater_than_equal",
                msg: "Input should be greater than or equal to 0".into(),
                ctx: Some(json!({"ge": 0})),
            }),
            Ok(n) if n > PAGE_SIZE => errs.push(&validate::key(&loc, "limit"), v, Problem {
                kind: "less_than_equal",
                msg: format!("Input should be less than or equal to {PAGE_SIZE}"),
                ctx: Some(json!({"le": PAGE_SIZE})),
            }),
            Ok(n) => limit = n,
            Err(p) => errs.push(&validate::key(&loc, "limit"), v, p),
        }
    }
    let f = match f {
        Some(f) if errs.is_empty() => f,
        _ => return Err(invalid(errs, &b)),
    };
    let (events, total, token) = super::read(&db, move |c| {
        let total = store::count(c, &f)?;
        let events = store::read(c, &f, limit as usize, 0)?;
        let token = page_token(&f, total, limit, 0);
        Ok((events, total, token))
    })
    .await?;
    Ok(event_page(&req, events, total, token))
}

fn forbidden() -> HttpResponse {
    json_response(StatusCode::FORBIDDEN, &json!({"detail": "Forbidden"}))
}

/// Python's lenient `b64decode`: characters outside the alphabet are
/// skipped, the padding must still be right.
fn b64decode(s: &str) -> Option<Vec<u8>> {
    let clean: String = s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

fn query_param(req: &HttpRequest, name: &str) -> Option<String> {
    req.query_string().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
        (k == name).then(|| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// The filter, count, page size and offset a page token holds.
fn from_page_token(token: &str) -> Option<(EventFilter, i64, i64, i64)> {
    let raw = b64decode(token)?;
    let v: Value = crate::pyjson::loads(&raw).ok()?;
    let mut errs = Errors::default();
    let f = filter::parse(v.get("filter")?, &[], Utc::now(), &mut errs).filter(|_| errs.is_empty())?;
    let int = |k: &str| v.get(k).and_then(Value::as_i64);
    let (count, size, offset) = (int("count")?, int("page_size")?, int("offset")?);
    // A token is the client's to send: out-of-range numbers ask for nothing.
    if !(0..=PAGE_SIZE).contains(&size) || offset < 0 || count < 0 {
        return None;
    }
    Some((f, count, size, offset))
}

async fn read_next_page(db: web::Data<Db>, req: HttpRequest) -> ApiResult<HttpResponse> {
    // A `+` is kept as sent: Starlette would read it as a space and break
    // the reference's own links whenever a token holds one.
    let Some(token) = query_param(&req, "page-token") else {
        let mut errs = Errors::default();
        errs.missing(&[Loc::Key("query".into()), Loc::Key("page-token".into())]);
        return Err(invalid(errs, &None));
    };
    let inner = match b64decode(&token).and_then(|b| String::from_utf8(b).ok()) {
        Some(s) if !s.is_empty() => s,
        _ => return Ok(forbidden()),
    };
    let Some((f, count, size, offset)) = from_page_token(&inner) else { return Ok(forbidden()) };
    let page_filter = f.clone();
    let events = super::read(&db, move |c| Ok(store::read(c, &page_filter, size as usize, offset as usize)?)).await?;
    let token = page_token(&f, count, size, offset);
    Ok(event_page(&req, events, count, token))
}

// ---------------------------------------------------------------------------
// Counting
// ---------------------------------------------------------------------------

const COUNTABLES: &[&str] = &["day", "time", "event", "resource"];
const TIME_UNITS: &[&str] = &["week", "day", "hour", "minute", "second"];

fn unit_seconds(unit: &str) -> f64 {
    match unit {
        "week" => 7.0 * 86400.0,
        "day" => 86400.0,
        "hour" => 3600.0,
        "minute" => 60.0,
        _ => 1.0,
    }
}

fn micros(secs: f64) -> Duration {
    Duration::microseconds((secs * 1e6).round() as i64)
}

/// The 2024-04-01 pivot every time bucket counts from.
fn pivot() -> DateTime<Utc> {
    DateTime::from_timestamp(1_711_929_600, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `TimeUnit.validate_buckets`.
fn validate_buckets(since: DateTime<Utc>, until: DateTime<Utc>, delta: Duration) -> Result<(), String> {
    let span = (until - since).num_microseconds().unwrap_or(i64::MAX) as f64;
    let d = delta.num_microseconds().unwrap_or(1).max(1) as f64;
    let buckets = (span / d).ceil();
    if buckets > 1000.0 {
        return Err(format!(
            "The given interval would create {buckets} buckets, which is too many. Please increase the interval or reduce the time range to produce 1000 buckets or fewer."
        ));
    }
    Ok(())
}

/// `end_of_period(now, unit)`.
fn end_of_period(now: DateTime<Utc>, unit: &str) -> DateTime<Utc> {
    use chrono::{Datelike, Timelike};
    let last = Duration::microseconds(1);
    let start_next = match unit {
        "second" => now.with_nanosecond(0).map(|t| t + Duration::seconds(1)),
        "minute" => now.with_nanosecond(0).and_then(|t| t.with_second(0)).map(|t| t + Duration::minutes(1)),
        "hour" => now.with_nanosecond(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_minute(0)).map(|t| t + Duration::hours(1)),
        "day" => now.date_naive().and_hms_opt(0, 0, 0).map(|t| t.and_utc() + Duration::days(1)),
        _ => now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() + Duration::days(7 - i64::from(now.weekday().num_days_from_monday()))),
    };
    start_next.map(|t| t - last).unwrap_or(now)
}

/// Python's `datetime.isoformat()` of a UTC time.
fn isoformat(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    }
}

fn count_json(value: &str, label: &str, count: i64, start: &str, end: &str) -> Value {
    json!({"value": value, "label": label, "count": count, "start_time": start, "end_time": end})
}

async fn count_by(db: web::Data<Db>, path: web::Path<String>, req: HttpRequest, payload: web::Payload) -> ApiResult<HttpResponse> {
    let b = body::read(&req, payload).await?;
    let mut errs = Errors::default();
    let countable_raw = Value::String(path.into_inner());
    let countable = match coerce::enumeration(&countable_raw, COUNTABLES) {
        Ok(c) => Some(c),
        Err(p) => {
            errs.push(&[Loc::Key("path".into()), Loc::Key("countable".into())], &countable_raw, p);
            None
        }
    };
    if not_an_object(&b, &["filter", "time_unit", "time_interval"], &mut errs) {
        return Err(invalid(errs, &b));
    }
    let loc = validate::body_loc();
    let f = match param(&b, "filter") {
        Some(v) => parse_filter(v, &validate::key(&loc, "filter"), &mut errs),
        None => {
            errs.missing(&validate::key(&loc, "filter"));
            None
        }
    };
    let mut unit = "day".to_string();
    if let Some(v) = param(&b, "time_unit") {
        match coerce::enumeration(v, TIME_UNITS) {
            Ok(u) => unit = u,
            Err(p) => errs.push(&validate::key(&loc, "time_unit"), v, p),
        }
    }
    let mut interval = 1.0;
    if let Some(v) = param(&b, "time_interval") {
        match coerce::float(v) {
            Ok(x) if x >= 0.01 => interval = x,
            Ok(_) => errs.push(&validate::key(&loc, "time_interval"), v, Problem {
                kind: "greater_than_equal",
                msg: "Input should be greater than or equal to 0.01".into(),
                ctx: Some(json!({"ge": 0.01})),
            }),
            Err(p) => errs.push(&validate::key(&loc, "time_interval"), v, p),
        }
    }
    let (Some(countable), Some(f)) = (countable, f) else { return Err(invalid(errs, &b)) };
    if !errs.is_empty() {
        return Err(invalid(errs, &b));
    }
    let delta_secs = unit_seconds(&unit) * interval;
    if !delta_secs.is_finite() || delta_secs > 1e11 {
        return Err(ApiError::Unprocessable("The given interval is too large".into()));
    }
    let delta = micros(delta_secs);
    validate_buckets(f.since, f.until, delta).map_err(ApiError::Unprocessable)?;
    // The legacy `day` countable buckets by one day in SQL.
    let bucket = if countable == "day" { 86400.0 } else { delta_secs };
    let rows_filter = f.clone();
    let c = countable.clone();
    let rows = super::read(&db, move |conn| Ok(store::count_by(conn, &rows_filter, &c, bucket)?)).await?;
    let out: Vec<Value> = if matches!(countable.as_str(), "day" | "time") {
        // `process_time_based_counts`: every span from the one holding
        // `since` to the one holding `until` (or the end of this period),
        // with zero counts filled in.
        let now = Utc::now();
        let end = if f.until > now { end_of_period(now, &unit) } else { f.until };
        let dmicros = delta.num_microseconds().unwrap_or(1).max(1);
        let first = ((f.since - pivot()).num_microseconds().unwrap_or(0) as f64 / dmicros as f64).floor() as i64;
        let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>, i64)> = Vec::new();
        let mut start = pivot() + Duration::microseconds(dmicros.saturating_mul(first));
        while start < end && spans.len() <= 1000 {
            let next = start + delta;
            spans.push((start, next - Duration::microseconds(1), 0));
            start = next;
        }
        for r in &rows {
            let Ok(v) = r.value.parse::<f64>() else { continue };
            let i = v as i64 - first;
            if let Some(s) = usize::try_from(i).ok().and_then(|i| spans.get_mut(i)) {
                s.2 = r.count;
            }
        }
        spans
            .iter()
            .enumerate()
            .map(|(i, (s, e, n))| count_json(&i.to_string(), &isoformat(*s), *n, &timefmt::wire_from(*s), &timefmt::wire_from(*e)))
            .collect()
    } else {
        rows.iter()
            .map(|r| count_json(&r.value, &r.label, r.count, &timefmt::to_wire(&r.start_time), &timefmt::to_wire(&r.end_time)))
            .collect()
    };
    Ok(json_response(StatusCode::OK, &Value::Array(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_end_where_the_reference_says() {
        let t = coerce::datetime(&json!("2026-12-02T01:02:03.5Z")).unwrap();
        assert_eq!(timefmt::wire_from(end_of_period(t, "day")), "2026-12-02T23:59:59.999999Z");
        assert_eq!(timefmt::wire_from(end_of_period(t, "hour")), "2026-12-02T01:59:59.999999Z");
        // 2026-12-02 is a Wednesday; the week ends on Sunday.
        assert_eq!(timefmt::wire_from(end_of_period(t, "week")), "2026-12-06T23:59:59.999999Z");
    }

    #[test]
    fn bucket_limits() {
        let t = coerce::datetime(&json!("2026-12-02T00:00:00Z")).unwrap();
        assert!(validate_buckets(t, t + Duration::days(1000), Duration::days(1)).is_ok());
        let e = validate_buckets(t, t + Duration::days(1001), Duration::days(1)).unwrap_err();
        assert!(e.starts_with("The given interval would create 1001 buckets"), "{e}");
    }

    #[test]
    fn page_tokens_round_trip() {
        let f = EventFilter::default_at(Utc::now());
        let t = page_token(&f, 120, 50, 0).unwrap();
        let inner = String::from_utf8(b64decode(&t).unwrap()).unwrap();
        let (g, count, size, offset) = from_page_token(&t).unwrap();
        assert!(inner.contains("\"offset\":50"), "{inner}");
        assert_eq!((count, size, offset), (120, 50, 50));
        assert_eq!(g, f);
        assert!(page_token(&f, 100, 50, 50).is_none());
        assert!(from_page_token("not base64!").is_none());
    }
}
