//! What the pages read, all through the API's own query code (a filter
//! body parsed by `FilterQuery`, answered by `db::artifacts::filter` /
//! `count`) plus a few lookups by primary key or by the `(key, created)`
//! index. Everything is read before rendering starts.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Map, Value};

use super::respond::{internal, Failure};
use crate::db::{self, runs::Doc};
use crate::schemas::artifact::ArtifactRow;
use crate::schemas::filters::artifacts::Table;
use crate::schemas::query::{parse_count, FilterQuery};
use crate::schemas::resource_query::{Resource, ResourceQuery};

fn sql_failure(e: rusqlite::Error) -> Failure {
    internal(e.to_string())
}

/// A filter the API's parser refused, as sentences (no debug dump).
pub fn bad_request(e: crate::error::ApiError) -> Failure {
    let msg = match &e {
        crate::error::ApiError::Validation { errors, .. } => {
            let parts: Vec<String> = errors.iter().map(|i| i.msg.clone()).collect();
            format!("The filter was not understood: {}.", parts.join("; "))
        }
        other => other.to_string(),
    };
    (StatusCode::BAD_REQUEST, msg)
}

/// One page of artifacts, and how many match in all. A page past the end
/// becomes the last page: `page` says which page was read.
pub struct Found {
    pub rows: Vec<ArtifactRow>,
    /// None when counting would have taken longer than `COUNT_BUDGET`.
    pub total: Option<i64>,
    pub page: i64,
    /// Whether a later page has rows.
    pub more: bool,
}

impl Found {
    pub fn none() -> Found {
        Found { rows: vec![], total: Some(0), page: 1, more: false }
    }

    /// The total, or at least what this page shows.
    pub fn at_least(&self, per: i64) -> i64 {
        self.total.unwrap_or((self.page - 1) * per + self.rows.len() as i64)
    }
}

/// How long a list's count may take. Some filters have no index that
/// answers them at once (keyless artifacts of one type: every keyless
/// artifact is read to count them, 300 ms at 1M artifacts); past the
/// budget the page says "many" and pages on with Older links alone.
const COUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(10);

/// What a page of an uncounted list may take to read (see `query_page`).
const DEEP_PAGE_BUDGET: std::time::Duration = std::time::Duration::from_millis(40);

/// `db::artifacts::count`, given up after `budget` (None).
fn count_within(
    conn: &Connection,
    f: &crate::schemas::query::Families,
    budget: std::time::Duration,
) -> Result<Option<i64>, Failure> {
    within(conn, budget, |c| db::artifacts::count(c, f))
}

/// Runs `read`, interrupted by SQLite once `budget` has passed (None).
fn within<T>(
    conn: &Connection,
    budget: std::time::Duration,
    read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<Option<T>, Failure> {
    let start = std::time::Instant::now();
    conn.progress_handler(1000, Some(move || start.elapsed() > budget)).map_err(sql_failure)?;
    let answer = read(conn);
    // The reader goes back to the pool: never with the handler set.
    conn.progress_handler(0, None::<fn() -> bool>).map_err(sql_failure)?;
    match answer {
        Ok(n) => Ok(Some(n)),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::OperationInterrupted => Ok(None),
        Err(e) => Err(sql_failure(e)),
    }
}

/// Whether a list's total is counted in full (`Exact`: a key's versions,
/// a run's artifacts, each an index range) or within `COUNT_BUDGET`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact,
    Budgeted,
}

pub fn query_page(
    conn: &Connection,
    table: Table,
    families: Map<String, Value>,
    sort: &str,
    (page, per): (i64, i64),
    how: Count,
) -> Result<Found, Failure> {
    let count_body = Some(Value::Object(families.clone()));
    let f = parse_count(table, &count_body).map_err(bad_request)?;
    let total = match how {
        Count::Exact => Some(db::artifacts::count(conn, &f).map_err(sql_failure)?),
        Count::Budgeted => count_within(conn, &f, COUNT_BUDGET)?,
    };
    // Past the end: the last page (a bookmark to page 9 of what is now
    // 3 pages shows page 3, not an empty "page 9 of 3").
    let page = match total {
        Some(t) => page.min(((t + per - 1) / per).max(1)),
        None => page,
    };
    let mut body = families;
    body.insert("sort".into(), json!(sort));
    // Without a total, one row more than the page says whether there is a
    // next page (at the API's largest limit, a full page may have one).
    let limit = (per + 1).min(crate::schemas::query::DEFAULT_LIMIT);
    body.insert("limit".into(), json!(limit));
    body.insert("offset".into(), json!((page - 1) * per));
    let q = FilterQuery::parse(table, &Some(Value::Object(body))).map_err(bad_request)?;
    let mut rows = if total.is_none() && page > 1 {
        // Uncounted, so maybe far past the end: the offset alone could
        // read every matching row. Bounded as the count is.
        within(conn, DEEP_PAGE_BUDGET, |c| db::artifacts::filter(c, &q))?.ok_or_else(|| {
            (StatusCode::SERVICE_UNAVAILABLE, format!("Page {page} of this filter is too deep to read quickly: narrow the filters, or start from page 1."))
        })?
    } else {
        db::artifacts::filter(conn, &q).map_err(sql_failure)?
    };
    let n = rows.len() as i64;
    let more = match total {
        Some(t) => page * per < t,
        None => n > per || (n == per && limit == per),
    };
    rows.truncate(per as usize);
    Ok(Found { rows, total, page, more })
}

pub fn flow_names(conn: &Connection) -> Vec<String> {
    let body = Some(json!({ "sort": "NAME_ASC", "limit": 200 }));
    let Ok(q) = ResourceQuery::parse(Resource::Flows, &body) else { return vec![] };
    db::runs::filter(conn, &q)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|d| d.get("name").and_then(Value::as_str).map(String::from))
        .collect()
}

/// Whether the database holds any artifact at all (for the empty state).
pub fn any_artifact(conn: &Connection) -> Result<bool, Failure> {
    conn.prepare_cached("SELECT 1 FROM artifact LIMIT 1").and_then(|mut s| s.exists([])).map_err(sql_failure)
}

/// The flows, flow runs and task runs a page's artifacts point at, read
/// with the artifacts so that rendering needs no database.
#[derive(Default)]
pub struct Related {
    docs: HashMap<(u8, String), Option<Doc>>,
}

fn resource_tag(r: Resource) -> u8 {
    match r {
        Resource::Flows => 0,
        Resource::FlowRuns => 1,
        Resource::TaskRuns => 2,
        Resource::Deployments => 3,
    }
}

impl Related {
    pub fn load(conn: &Connection, rows: &[ArtifactRow]) -> Self {
        let mut rel = Related::default();
        for a in rows {
            if let Some(id) = &a.flow_run_id {
                rel.flow_run_and_flow(conn, id);
            }
            if let Some(id) = &a.task_run_id {
                rel.fetch(conn, Resource::TaskRuns, id);
            }
        }
        rel
    }

    pub fn flow_run_and_flow(&mut self, conn: &Connection, id: &str) {
        let flow_id = self
            .fetch(conn, Resource::FlowRuns, id)
            .and_then(|run| run.get("flow_id"))
            .and_then(Value::as_str)
            .map(String::from);
        if let Some(flow_id) = flow_id {
            self.fetch(conn, Resource::Flows, &flow_id);
        }
    }

    pub fn fetch(&mut self, conn: &Connection, r: Resource, id: &str) -> Option<&Doc> {
        self.docs
            .entry((resource_tag(r), id.to_string()))
            .or_insert_with(|| db::runs::read(conn, r, id).ok().flatten())
            .as_ref()
    }

    pub fn get(&self, r: Resource, id: &str) -> Option<&Doc> {
        self.docs.get(&(resource_tag(r), id.to_string())).and_then(Option::as_ref)
    }

    /// The flow a flow run belongs to.
    pub fn flow_of(&self, run: &Doc) -> Option<&Doc> {
        run.get("flow_id").and_then(Value::as_str).and_then(|id| self.get(Resource::Flows, id))
    }
}

pub fn str_of<'a>(d: &'a Doc, k: &str) -> &'a str {
    d.get(k).and_then(Value::as_str).unwrap_or("")
}

/// What a home card says about its key's versions: the latest version's
/// own times (a collection row's `created` is the key's first creation)
/// and how many versions there are.
#[derive(Debug, Clone)]
pub struct Latest {
    pub created: String,
    pub updated: String,
    pub versions: i64,
}

pub fn latest_of(conn: &Connection, rows: &[ArtifactRow]) -> Result<HashMap<String, Latest>, Failure> {
    let mut out = HashMap::new();
    let mut times = conn.prepare_cached("SELECT created, updated FROM artifact WHERE id = ?1").map_err(sql_failure)?;
    let mut count = conn.prepare_cached("SELECT count(*) FROM artifact WHERE key = ?1").map_err(sql_failure)?;
    for r in rows {
        let (Some(id), Some(key)) = (&r.latest_id, &r.key) else { continue };
        let t: Option<(String, String)> =
            times.query_row([id], |x| Ok((x.get(0)?, x.get(1)?))).optional().map_err(sql_failure)?;
        let versions: i64 = count.query_row([key], |x| x.get(0)).map_err(sql_failure)?;
        let (created, updated) = t.unwrap_or_else(|| (r.created.clone(), r.updated.clone()));
        out.insert(id.clone(), Latest { created, updated, versions });
    }
    Ok(out)
}

/// Where one artifact sits among its key's versions, ordered by creation
/// (ties by id, as "latest" is decided).
#[derive(Debug, Clone)]
pub struct Position {
    pub number: i64,
    pub of: i64,
    pub newer: Option<String>,
    pub older: Option<String>,
}

pub fn position(conn: &Connection, a: &ArtifactRow) -> Result<Option<Position>, Failure> {
    let Some(key) = &a.key else { return Ok(None) };
    let one = |sql: &str| -> Result<Option<String>, Failure> {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.query_row(rusqlite::params![key, a.created, a.id], |r| r.get(0)).optional())
            .map_err(sql_failure)
    };
    let count = |sql: &str| -> Result<i64, Failure> {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.query_row(rusqlite::params![key, a.created, a.id], |r| r.get(0)))
            .map_err(sql_failure)
    };
    // `created <= ?2` first, so the (key, created) index bounds the scan.
    let number = count(
        "SELECT count(*) FROM artifact WHERE key = ?1 AND created <= ?2 AND (created < ?2 OR id <= ?3)",
    )?;
    let of: i64 = conn
        .prepare_cached("SELECT count(*) FROM artifact WHERE key = ?1")
        .and_then(|mut s| s.query_row([key], |r| r.get(0)))
        .map_err(sql_failure)?;
    let newer = one(
        "SELECT id FROM artifact WHERE key = ?1 AND created >= ?2 AND (created > ?2 OR id > ?3)
         ORDER BY created, id LIMIT 1",
    )?;
    let older = one(
        "SELECT id FROM artifact WHERE key = ?1 AND created <= ?2 AND (created < ?2 OR id < ?3)
         ORDER BY created DESC, id DESC LIMIT 1",
    )?;
    Ok(Some(Position { number, of, newer, older }))
}

/// A run page: the run (when the database has it) and the page of its
/// artifacts, keyless ones too.
pub struct RunPage {
    pub run: Option<Doc>,
    pub found: Found,
    pub related: Related,
}

pub fn run_page(conn: &Connection, r: Resource, id: &str, page: i64, per: i64) -> Result<RunPage, Failure> {
    let field = if r == Resource::TaskRuns { "task_run_id" } else { "flow_run_id" };
    let families = json!({ "artifacts": { field: { "any_": [id] } } });
    let Value::Object(families) = families else { return Err(internal("filter body".into())) };
    let found = query_page(conn, Table::Artifact, families, "CREATED_DESC", (page, per), Count::Exact)?;
    let mut related = Related::load(conn, &found.rows);
    let run = related.fetch(conn, r, id).cloned();
    if run.is_none() && found.rows.is_empty() {
        let what = if r == Resource::TaskRuns { "task run" } else { "flow run" };
        return Err((StatusCode::NOT_FOUND, format!("No {what} {id} and no artifact of one.")));
    }
    // A task run's flow run and flow, for its heading.
    if let Some(fr) = run.as_ref().and_then(|d| d.get("flow_run_id")).and_then(Value::as_str) {
        related.flow_run_and_flow(conn, fr);
    }
    Ok(RunPage { run, found, related })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_past_its_budget_gives_up_and_leaves_the_reader_as_it_was() {
        let db = crate::db::Db::open(":memory:").expect("db");
        db.write(|c, _| -> anyhow::Result<()> {
            Ok(c.execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO artifact (id, created, updated, key, type) SELECT printf('%08d', i), '2024-01-01', '2024-01-01', NULL, 'markdown' FROM n",
            )?)
        })
        .expect("rows");
        let conn = db.reader().expect("reader");
        let body = Some(json!({ "artifacts": { "key": { "exists_": false }, "type": { "any_": ["markdown"] } } }));
        let f = parse_count(Table::Artifact, &body).expect("filter");
        assert_eq!(count_within(&conn, &f, std::time::Duration::ZERO).ok(), Some(None), "gave up");
        assert_eq!(count_within(&conn, &f, std::time::Duration::from_secs(60)).ok(), Some(Some(20000)));
        // No handler left behind: an ordinary count on the same reader.
        assert_eq!(db::artifacts::count(&conn, &f).ok(), Some(20000));
        assert_eq!(within(&conn, std::time::Duration::ZERO, |c| db::artifacts::count(c, &f)).ok(), Some(None));
        let page = query_page(&conn, Table::Artifact, Map::new(), "CREATED_DESC", (3, 7), Count::Budgeted).expect("page");
        assert_eq!((page.rows.len(), page.total, page.more), (7, Some(20000), true));
    }
}
