//! `GET /flow_runs/{id}/logs/download`: a flow run's logs as CSV, oldest
//! first, streamed a page of logs at a time as the reference does (so a run
//! with millions of logs never sits in memory at once).

use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use chrono::Timelike;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use rusqlite::Connection;

use super::{endpoint, Endpoint, Rule, UUID_PATH};
use crate::db::{self, Db};
use crate::error::{ApiError, ApiResult};
use crate::schemas::resource_query::Resource;
use crate::timefmt;

/// The reference reads (and writes) 1000 logs at a time.
const PAGE: i64 = 1000;

pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, format!("/flow_runs/{{id:{UUID_PATH}}}/logs/download"), Rule::READ, download)]
}

/// What Python's `urllib.parse.quote(s, safe="")` leaves as is.
const QUOTED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'_').remove(b'.').remove(b'-').remove(b'~');

/// One field as Python's `csv` writer (QUOTE_MINIMAL) writes it.
fn csv_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A stored timestamp as Python's `str(datetime)`: a space, microseconds
/// only when there are some, and `+00:00`.
fn python_time(stored: &str) -> String {
    match timefmt::parse_stored(stored) {
        Some(t) if t.nanosecond() / 1000 == 0 => t.format("%Y-%m-%d %H:%M:%S+00:00").to_string(),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string(),
        None => stored.to_string(),
    }
}

/// One page of the run's logs as CSV rows; empty when there are no more.
fn page(conn: &Connection, flow_run_id: &str, offset: i64) -> rusqlite::Result<String> {
    let mut stmt = conn.prepare_cached(
        "SELECT timestamp, level, flow_run_id, task_run_id, message FROM log WHERE flow_run_id = ?1 \
         ORDER BY timestamp ASC LIMIT ?2 OFFSET ?3",
    )?;
    let mut rows = stmt.query(rusqlite::params![flow_run_id, PAGE, offset])?;
    let mut out = String::new();
    while let Some(r) = rows.next()? {
        csv_field(&mut out, &python_time(&r.get::<_, String>(0)?));
        out.push(',');
        out.push_str(&r.get::<_, i64>(1)?.to_string());
        out.push(',');
        csv_field(&mut out, &r.get::<_, Option<String>>(2)?.unwrap_or_default());
        out.push(',');
        csv_field(&mut out, &r.get::<_, Option<String>>(3)?.unwrap_or_default());
        out.push(',');
        csv_field(&mut out, &r.get::<_, String>(4)?);
        out.push_str("\r\n");
    }
    Ok(out)
}

async fn download(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = super::path_id(&id);
    let run_id = id.clone();
    let run = super::read(&db, move |c| Ok(db::runs::read(c, Resource::FlowRuns, &run_id)?)).await?;
    let run = run.ok_or_else(|| ApiError::not_found("Flow run not found"))?;
    let name = run.get("name").and_then(|v| v.as_str()).unwrap_or("None");
    let filename = utf8_percent_encode(&format!("{name}-logs.csv"), QUOTED).to_string();
    let header = "timestamp,level,flow_run_id,task_run_id,message\r\n".to_string();
    // None: the header is still to be sent; then the offset of the next page.
    let pages = futures_util::stream::unfold(Some(None::<i64>), move |state| {
        let db = db.clone();
        let id = id.clone();
        let header = header.clone();
        async move {
            let offset = match state? {
                None => return Some((Ok(web::Bytes::from(header)), Some(Some(0)))),
                Some(o) => o,
            };
            let chunk = super::read(&db, move |c| Ok(page(c, &id, offset)?)).await;
            match chunk {
                Ok(text) if text.is_empty() => None,
                Ok(text) => Some((Ok(web::Bytes::from(text)), Some(Some(offset + PAGE)))),
                // The status has gone out; stop the body there.
                Err(e) => Some((Err(e), None)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"flow-run-logs.csv\"; filename*=UTF-8''{filename}"),
        ))
        .streaming(pages))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_pythons_csv_writer_does() {
        let mut s = String::new();
        csv_field(&mut s, "has, comma \"q\"\nnewline");
        assert_eq!(s, "\"has, comma \"\"q\"\"\nnewline\"");
        let mut s = String::new();
        csv_field(&mut s, "plain text");
        assert_eq!(s, "plain text");
    }

    #[test]
    fn times_are_written_as_python_str_does() {
        assert_eq!(python_time("2024-01-01T00:20:00.000000Z"), "2024-01-01 00:20:00+00:00");
        assert_eq!(python_time("2024-01-01T00:20:09.123456Z"), "2024-01-01 00:20:09.123456+00:00");
    }
}
