//! SQL for `artifact` and `artifact_collection`, keeping the latest-by-key
//! rows in step with every create, update and delete.

use rusqlite::{named_params, params, params_from_iter, Connection, OptionalExtension, Row};

use crate::db::{key_search, Clock};
use crate::schemas::artifact::{ArtifactCreate, ArtifactRow, ArtifactUpdate, RowView};
use crate::schemas::filters::artifacts::Table;
use crate::schemas::query::{Families, FilterQuery, Sort};
use crate::timefmt;

const ARTIFACT_COLS: &str =
    "id, created, updated, key, NULL, type, description, data, metadata_, flow_run_id, task_run_id";
const COLLECTION_COLS: &str = "id, created, updated, key, latest_id, type, description, data, metadata_, flow_run_id, task_run_id";

fn row(r: &Row) -> rusqlite::Result<ArtifactRow> {
    Ok(ArtifactRow {
        id: r.get(0)?,
        created: r.get(1)?,
        updated: r.get(2)?,
        key: r.get(3)?,
        latest_id: r.get(4)?,
        r#type: r.get(5)?,
        description: r.get(6)?,
        data: r.get(7)?,
        metadata: r.get(8)?,
        flow_run_id: r.get(9)?,
        task_run_id: r.get(10)?,
    })
}

/// Inserts an artifact and, when it has a key, makes it the latest of that
/// key. `created` comes from the writer's clock inside the transaction, so
/// the newest commit is always the newest `created`.
pub fn create(conn: &Connection, clock: &mut Clock, a: &ArtifactCreate) -> rusqlite::Result<ArtifactRow> {
    let now = timefmt::to_stored(clock.tick());
    let id = uuid::Uuid::new_v4().to_string();
    let out = ArtifactRow {
        id,
        created: now.clone(),
        updated: now,
        key: a.key.clone(),
        latest_id: None,
        r#type: a.r#type.clone(),
        description: a.description.clone(),
        data: a.data.clone(),
        metadata: a.metadata.clone(),
        flow_run_id: a.flow_run_id.clone(),
        task_run_id: a.task_run_id.clone(),
    };
    insert_artifact(conn, &out)?;
    if let Some(key) = &out.key {
        upsert_collection_latest(conn, &out)?;
        if let Some(c) = read_latest(conn, key)? {
            let action = if c.created == c.updated { "created" } else { "updated" };
            crate::events::emit::artifact_collection(conn, clock, action, &c)?;
        }
    }
    Ok(out)
}

pub fn insert_artifact(conn: &Connection, a: &ArtifactRow) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO artifact (id, created, updated, key, type, description, data, metadata_, flow_run_id, task_run_id)
         VALUES (:id, :created, :updated, :key, :type, :description, :data, :metadata_, :flow_run_id, :task_run_id)
         ON CONFLICT (id) DO UPDATE SET created = excluded.created, updated = excluded.updated,
           key = excluded.key, type = excluded.type, description = excluded.description,
           data = excluded.data, metadata_ = excluded.metadata_,
           flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id",
    )?
    .execute(named_params! {
        ":id": a.id, ":created": a.created, ":updated": a.updated, ":key": a.key,
        ":type": a.r#type, ":description": a.description, ":data": a.data,
        ":metadata_": a.metadata, ":flow_run_id": a.flow_run_id, ":task_run_id": a.task_run_id,
    })?;
    Ok(())
}

/// The reference's upsert: a new key gets a row whose `created` is now; an
/// existing row keeps its `id` and `created` and takes everything else from
/// the new artifact.
fn upsert_collection_latest(conn: &Connection, a: &ArtifactRow) -> rusqlite::Result<()> {
    // Usually a key's new version keeps its type and runs. Setting only the
    // columns that change then leaves the indexes over the others untouched
    // (SQLite rewrites an index entry whenever a SET names one of its
    // columns): concurrent creates at 100k went from about 4,300 to 5,800
    // a second. Otherwise the full upsert below runs.
    let same_shape = conn
        .prepare_cached(
            "UPDATE artifact_collection SET updated = :updated, latest_id = :latest_id,
               description = :description, data = :data, metadata_ = :metadata_
             WHERE key = :key AND type IS :type AND flow_run_id IS :flow_run_id AND task_run_id IS :task_run_id",
        )?
        .execute(named_params! {
            ":updated": a.updated, ":latest_id": a.id, ":description": a.description,
            ":data": a.data, ":metadata_": a.metadata, ":key": a.key, ":type": a.r#type,
            ":flow_run_id": a.flow_run_id, ":task_run_id": a.task_run_id,
        })?;
    if same_shape == 1 {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO artifact_collection (id, created, updated, key, latest_id, type, description, data, metadata_, flow_run_id, task_run_id)
         VALUES (:id, :created, :updated, :key, :latest_id, :type, :description, :data, :metadata_, :flow_run_id, :task_run_id)
         ON CONFLICT (key) DO UPDATE SET updated = excluded.updated, latest_id = excluded.latest_id,
           type = excluded.type, description = excluded.description, data = excluded.data,
           metadata_ = excluded.metadata_, flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id",
    )?
    .execute(named_params! {
        ":id": uuid::Uuid::new_v4().to_string(), ":created": a.created, ":updated": a.updated,
        ":key": a.key, ":latest_id": a.id, ":type": a.r#type, ":description": a.description,
        ":data": a.data, ":metadata_": a.metadata, ":flow_run_id": a.flow_run_id,
        ":task_run_id": a.task_run_id,
    })?;
    Ok(())
}

/// Stores a collection row exactly as given (fixture loading).
pub fn put_collection(conn: &Connection, c: &ArtifactRow) -> rusqlite::Result<()> {
    // A fixture may give a key a new row id: the key is what is unique.
    conn.prepare_cached("DELETE FROM artifact_collection WHERE key = ?1 AND id <> ?2")?
        .execute(params![c.key, c.id])?;
    conn.prepare_cached(
        "INSERT INTO artifact_collection (id, created, updated, key, latest_id, type, description, data, metadata_, flow_run_id, task_run_id)
         VALUES (:id, :created, :updated, :key, :latest_id, :type, :description, :data, :metadata_, :flow_run_id, :task_run_id)
         ON CONFLICT (id) DO UPDATE SET created = excluded.created, updated = excluded.updated,
           key = excluded.key, latest_id = excluded.latest_id, type = excluded.type,
           description = excluded.description, data = excluded.data, metadata_ = excluded.metadata_,
           flow_run_id = excluded.flow_run_id, task_run_id = excluded.task_run_id",
    )?
    .execute(named_params! {
        ":id": c.id, ":created": c.created, ":updated": c.updated, ":key": c.key,
        ":latest_id": c.latest_id, ":type": c.r#type, ":description": c.description,
        ":data": c.data, ":metadata_": c.metadata, ":flow_run_id": c.flow_run_id,
        ":task_run_id": c.task_run_id,
    })?;
    Ok(())
}

/// Derives the collection row of every key that has artifacts but no row,
/// as the fixture format specifies: latest = greatest `created` (ties:
/// greatest id), row `created` = the key's earliest `created`.
pub fn derive_missing_collections(conn: &Connection) -> rusqlite::Result<usize> {
    // A page of keys at a time, in key order (`''` is the least key), so
    // that memory does not grow with the number of keys.
    let page = |first: bool| {
        format!(
            "SELECT DISTINCT key FROM artifact WHERE key {} ?1 \
             AND key NOT IN (SELECT key FROM artifact_collection) ORDER BY key LIMIT 512",
            if first { ">=" } else { ">" }
        )
    };
    let mut n = 0;
    let mut after = String::new();
    loop {
        let keys: Vec<String> = conn
            .prepare_cached(&page(n == 0))?
            .query_map([&after], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(last) = keys.last() else { return Ok(n) };
        after = last.clone();
        for key in &keys {
            conn.prepare_cached(
                "INSERT INTO artifact_collection (id, created, updated, key, latest_id, type, description, data, metadata_, flow_run_id, task_run_id)
                 SELECT ?1, (SELECT min(created) FROM artifact WHERE key = ?2), a.updated, a.key, a.id,
                        a.type, a.description, a.data, a.metadata_, a.flow_run_id, a.task_run_id
                 FROM artifact a WHERE a.key = ?2 ORDER BY a.created DESC, a.id DESC LIMIT 1",
            )?
            .execute(params![uuid::Uuid::new_v4().to_string(), key])?;
        }
        n += keys.len();
    }
}

pub fn read(conn: &Connection, id: &str) -> rusqlite::Result<Option<ArtifactRow>> {
    conn.prepare_cached(&format!("SELECT {ARTIFACT_COLS} FROM artifact WHERE id = ?1"))?
        .query_row([id], row)
        .optional()
}

pub fn read_latest(conn: &Connection, key: &str) -> rusqlite::Result<Option<ArtifactRow>> {
    conn.prepare_cached(&format!("SELECT {COLLECTION_COLS} FROM artifact_collection WHERE key = ?1"))?
        .query_row([key], row)
        .optional()
}

/// PATCH: sets only the fields the client sent and stamps `updated` (to the
/// millisecond, as the reference's SQL `now()` does), on the artifact and on
/// the collection row when this artifact is the latest of its key.
pub fn update(conn: &Connection, clock: &mut Clock, id: &str, u: &ArtifactUpdate) -> rusqlite::Result<bool> {
    let now = timefmt::to_stored_millis(clock.tick());
    let mut total = 0;
    for table in ["artifact", "artifact_collection"] {
        let id_col = if table == "artifact" { "id" } else { "latest_id" };
        let mut sets = vec!["updated = ?1".to_string()];
        let mut vals: Vec<Option<String>> = vec![Some(now.clone()), Some(id.to_string())];
        for (col, field) in [("data", &u.data), ("description", &u.description), ("metadata_", &u.metadata)] {
            if let Some(v) = field {
                vals.push(v.clone());
                sets.push(format!("{col} = ?{}", vals.len()));
            }
        }
        let sql = format!("UPDATE {table} SET {} WHERE {id_col} = ?2", sets.join(", "));
        total += conn.prepare_cached(&sql)?.execute(params_from_iter(vals.iter()))?;
    }
    Ok(total > 0)
}

/// DELETE: when the artifact is the latest of its key, the collection row
/// moves to the next newest artifact of the key (taking its `created` and
/// `updated`, as the reference does) or goes away when none is left.
pub fn delete(conn: &Connection, clock: &mut Clock, id: &str) -> rusqlite::Result<bool> {
    let Some(a) = read(conn, id)? else { return Ok(false) };
    if let Some(key) = &a.key {
        let is_latest: bool = conn
            .prepare_cached("SELECT 1 FROM artifact_collection WHERE key = ?1 AND latest_id = ?2")?
            .exists(params![key, id])?;
        if is_latest {
            let next: Option<ArtifactRow> = conn
                .prepare_cached(&format!(
                    "SELECT {ARTIFACT_COLS} FROM artifact WHERE key = ?1 AND id <> ?2
                     ORDER BY created DESC, id DESC LIMIT 1"
                ))?
                .query_row(params![key, id], row)
                .optional()?;
            match next {
                Some(n) => {
                    conn.prepare_cached(
                        "UPDATE artifact_collection SET latest_id = :latest_id, data = :data,
                           description = :description, type = :type, created = :created,
                           updated = :updated, flow_run_id = :flow_run_id,
                           task_run_id = :task_run_id, metadata_ = :metadata_
                         WHERE key = :key",
                    )?
                    .execute(named_params! {
                        ":latest_id": n.id, ":data": n.data, ":description": n.description,
                        ":type": n.r#type, ":created": n.created, ":updated": n.updated,
                        ":flow_run_id": n.flow_run_id, ":task_run_id": n.task_run_id,
                        ":metadata_": n.metadata, ":key": key,
                    })?;
                    if let Some(c) = read_latest(conn, key)? {
                        crate::events::emit::artifact_collection(conn, clock, "updated", &c)?;
                    }
                }
                None => {
                    if let Some(c) = read_latest(conn, key)? {
                        crate::events::emit::artifact_collection(conn, clock, "deleted", &c)?;
                    }
                    conn.prepare_cached("DELETE FROM artifact_collection WHERE key = ?1 AND latest_id = ?2")?
                        .execute(params![key, id])?;
                }
            }
        }
    }
    let n = conn.prepare_cached("DELETE FROM artifact WHERE id = ?1")?.execute([id])?;
    Ok(n > 0)
}

fn from_table(t: Table) -> (&'static str, &'static str) {
    match t {
        Table::Artifact => (t.name(), ARTIFACT_COLS),
        Table::Collection => (t.name(), COLLECTION_COLS),
    }
}

/// The statement and parameters of a filter query (kept separate so tests
/// can check its query plan).
///
/// A filtered query runs in two steps: the subquery picks the page's rowids
/// reading only what the filter and the sort need, which the covering
/// indexes of V3 hold, and the outer join then reads the full rows of that
/// page alone. In one step, SQLite would read each candidate's whole row
/// (data included) before testing it. `CROSS JOIN` keeps the page as the
/// outer loop, so rows come out in the subquery's order.
pub fn filter_sql(q: &FilterQuery) -> (String, Vec<rusqlite::types::Value>) {
    let (table, cols) = from_table(q.families.table);
    let cols = qualified(table, cols);
    let order = q.sort.order_by(q.families.table);
    let mut params = Vec::new();
    let limit = crate::db::limit_sql(q.limit);
    let sql = match q.families.narrowing() {
        None => format!("SELECT {cols} FROM {table} ORDER BY {order} {limit} OFFSET ?"),
        Some(cond) => {
            params = cond.params;
            format!(
                "SELECT {cols} FROM (SELECT {table}.rowid AS rid FROM {} WHERE {} ORDER BY {order} {limit} OFFSET ?) AS page \
                 CROSS JOIN {table} ON {table}.rowid = page.rid",
                q.families.from_clause(),
                cond.sql,
            )
        }
    };
    params.push(rusqlite::types::Value::Integer(q.offset));
    (sql, params)
}

/// The columns of the outer table that a filter's condition and sort read.
fn walk_columns(q: &FilterQuery) -> Vec<&'static str> {
    let f = &q.families;
    let mut cols = vec![sort_column(q.sort)];
    if let Some(a) = &f.artifacts {
        if a.id.is_some() {
            cols.push(if f.table == Table::Artifact { "id" } else { "latest_id" });
        }
        if a.key.is_some() {
            cols.push("key");
        }
        if a.r#type.is_some() {
            cols.push("type");
        }
        if a.flow_run_id.is_some() {
            cols.push("flow_run_id");
        }
        if a.task_run_id.is_some() {
            cols.push("task_run_id");
        }
    }
    if f.flow_runs.is_some() || f.flows.is_some() || f.deployments.is_some() {
        cols.push("flow_run_id");
    }
    if f.task_runs.is_some() {
        cols.push("task_run_id");
    }
    cols.sort_unstable();
    cols.dedup();
    cols
}

fn sort_column(s: Sort) -> &'static str {
    match s {
        Sort::CreatedDesc => "created",
        Sort::UpdatedDesc => "updated",
        Sort::IdDesc => "id",
        Sort::KeyDesc | Sort::KeyAsc => "key",
    }
}

/// The columns an index walked in this sort order holds besides the sort
/// column (V3, V12), so a walk that needs only these reads no row. `None`:
/// the order's index is narrow, but the rows lie in that order (artifact
/// rows are written in time order), so reading them is sequential.
fn walk_index_columns(t: Table, s: Sort) -> Option<&'static [&'static str]> {
    const FILTER: &[&str] = &["key", "type", "flow_run_id", "task_run_id"];
    match (t, s) {
        (Table::Artifact, Sort::CreatedDesc | Sort::UpdatedDesc) => None,
        _ => Some(FILTER),
    }
}

/// A bounded first try for a filtered page: the first entries of the sort
/// order's index (a few times the page), filtered, as the page. When the
/// filter matches often, this fills the page after reading a few thousand
/// index entries, however many rows match in all; SQLite's planner does not
/// weigh the LIMIT, and for a filter that matches a tenth of a million
/// artifacts it reads every match and sorts them (hundreds of ms). When the
/// page is not filled, the full query answers (`filter_sql`). Either gives
/// the first rows of the same order. None when the first try cannot help:
/// no filter, an empty page, a list of ids or keys (a handful of rows the
/// full query finds at once), or columns the order's index does not hold.
pub fn walk_sql(q: &FilterQuery) -> Option<(String, Vec<rusqlite::types::Value>)> {
    let cond = q.families.narrowing()?;
    if q.limit <= 0 {
        return None;
    }
    if let Some(a) = &q.families.artifacts {
        let listed = |f: &Option<crate::schemas::filters::artifacts::IdAny>| f.as_ref().is_some_and(|x| x.any_.is_some());
        let keys = a.key.as_ref().is_some_and(|k| k.any_.is_some());
        if !a.or && (listed(&a.id) || listed(&a.flow_run_id) || listed(&a.task_run_id) || keys) {
            return None;
        }
    }
    // Likewise a list of flows, deployments, runs or task runs by id or
    // name, or a key substring: a few hundred rows, found from their
    // indexes (q3: one flow's runs). Only the choice of statement depends
    // on this, never the answer.
    const FEW: [&str; 12] = [
        "flow.id IN (", "flow.name IN (", "deployment.id IN (", "deployment.name IN (", "flow_run.id IN (",
        "flow_run.name IN (", "flow_run.parent_task_run_id IN (", "flow_run.idempotency_key IN (",
        "task_run.id IN (", "task_run.flow_run_id IN (", "artifact.key LIKE", "artifact_collection.key LIKE",
    ];
    if FEW.iter().any(|f| cond.sql.contains(f)) {
        return None;
    }
    let t = q.families.table;
    let needed = walk_columns(q);
    let sort_col = sort_column(q.sort);
    if let Some(held) = walk_index_columns(t, q.sort) {
        if !needed.iter().all(|c| *c == sort_col || held.contains(c)) {
            return None;
        }
    }
    let table = t.name();
    let (_, cols) = from_table(t);
    let cols = qualified(table, cols);
    let order = q.sort.order_by(t);
    let from = q.families.from_clause();
    let joins = from.strip_prefix(table).unwrap_or("");
    // A deep page (any offset a client sends) gets no first try: it could
    // never fill within the budget. Saturating: no offset overflows.
    let depth = q.offset.saturating_add(q.limit);
    if depth > 2_500 {
        return None;
    }
    let budget = depth.saturating_mul(8).clamp(1000, 20_000);
    // The first `budget` entries in sort order, named as the table so the
    // condition's column names resolve to them; a LIMIT keeps SQLite from
    // merging this into the outer query or pushing the filter into it.
    let walk = format!(
        "SELECT {table}.rowid AS rid, {} FROM {table} ORDER BY {order} {}",
        needed.join(", "),
        crate::db::limit_sql(budget)
    );
    let mut params = cond.params;
    params.push(rusqlite::types::Value::Integer(q.offset));
    let limit = crate::db::limit_sql(q.limit);
    let sql = format!(
        "SELECT {cols} FROM (SELECT {table}.rid AS rid FROM ({walk}) AS {table}{joins} WHERE {} ORDER BY {order} {limit} OFFSET ?) AS page \
         CROSS JOIN {table} ON {table}.rowid = page.rid",
        cond.sql,
    );
    Some((sql, params))
}

fn qualified(table: &str, cols: &str) -> String {
    cols.split(", ")
        .map(|c| if c == "NULL" { "NULL".to_string() } else { format!("{table}.{c}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Steps a page's statement, giving each row to `each`; returns the rows.
fn each_row(
    conn: &Connection,
    sql: &str,
    params: &[rusqlite::types::Value],
    mut each: impl FnMut(&Row) -> rusqlite::Result<()>,
) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        each(r)?;
        n += 1;
    }
    Ok(n)
}

/// Runs a filter: the bounded first try when there is one and it fills the
/// page, else the full query. `each` adds a row to what `init` started.
fn run_filter<T>(
    conn: &Connection,
    q: &FilterQuery,
    init: impl Fn() -> T,
    mut each: impl FnMut(&mut T, &Row) -> rusqlite::Result<()>,
) -> rusqlite::Result<T> {
    if let Some((sql, params)) = walk_sql(q) {
        let mut acc = init();
        if each_row(conn, &sql, &params, |r| each(&mut acc, r))? == q.limit {
            return Ok(acc);
        }
    }
    let (sql, params) = filter_sql(q);
    let mut acc = init();
    each_row(conn, &sql, &params, |r| each(&mut acc, r))?;
    Ok(acc)
}

/// The filter's answer as the JSON array the API sends, written while the
/// rows are stepped.
pub fn filter_json(conn: &Connection, q: &FilterQuery) -> rusqlite::Result<String> {
    with_key_search(conn, &q.families, key_search::Use::Page { depth: q.offset.saturating_add(q.limit) }, |narrowed| match narrowed {
        None => filter_json_of(conn, q),
        Some(families) => filter_json_of(conn, &FilterQuery { families, ..q.clone() }),
    })
}

fn filter_json_of(conn: &Connection, q: &FilterQuery) -> rusqlite::Result<String> {
    let with_latest_id = q.families.table == Table::Collection;
    let mut out = run_filter(
        conn,
        q,
        || String::with_capacity(64 + q.limit.clamp(0, 200) as usize * 512),
        |out, r| {
            out.push(if out.is_empty() { '[' } else { ',' });
            view(r)?.write_json(out, with_latest_id);
            Ok(())
        },
    )?;
    if out.is_empty() {
        out.push('[');
    }
    out.push(']');
    Ok(out)
}

fn view<'r>(r: &'r Row) -> rusqlite::Result<RowView<'r>> {
    let text = |i: usize| r.get_ref(i).and_then(|v| v.as_str_or_null().map_err(rusqlite::Error::from));
    let required = |i: usize| r.get_ref(i).and_then(|v| v.as_str().map_err(rusqlite::Error::from));
    Ok(RowView {
        id: required(0)?,
        created: required(1)?,
        updated: required(2)?,
        key: text(3)?,
        latest_id: text(4)?,
        r#type: text(5)?,
        description: text(6)?,
        data: text(7)?,
        metadata: text(8)?,
        flow_run_id: text(9)?,
        task_run_id: text(10)?,
    })
}

pub fn filter(conn: &Connection, q: &FilterQuery) -> rusqlite::Result<Vec<ArtifactRow>> {
    with_key_search(conn, &q.families, key_search::Use::Page { depth: q.offset.saturating_add(q.limit) }, |narrowed| {
        let narrowed = narrowed.map(|families| FilterQuery { families, ..q.clone() });
        run_filter(conn, narrowed.as_ref().unwrap_or(q), Vec::new, |out, r| {
            out.push(row(r)?);
            Ok(())
        })
    })
}

/// Runs `f` on the filter with its key `like_` narrowed by the trigram
/// index (`db::key_search`), in one read transaction so the candidate
/// keys and the answer come from the same snapshot. `f` gets the
/// narrowed filter, or `None` when there is nothing to narrow.
fn with_key_search<T>(
    conn: &Connection,
    families: &Families,
    r#use: key_search::Use,
    f: impl FnOnce(Option<Families>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    if !key_search::wants(families) {
        return f(None);
    }
    let tx = if conn.is_autocommit() { Some(conn.unchecked_transaction()?) } else { None };
    let mut narrowed = families.clone();
    key_search::resolve(conn, &mut narrowed, r#use)?;
    let out = f(Some(narrowed))?;
    if let Some(tx) = tx {
        tx.commit()?;
    }
    Ok(out)
}

/// The statement and parameters of a count (kept separate so tests can
/// check its query plan).
pub fn count_sql(f: &Families) -> (String, Vec<rusqlite::types::Value>) {
    let (table, _) = from_table(f.table);
    // Without a filter, a bare count(*) lets SQLite use its b-tree count.
    let Some(cond) = f.narrowing() else {
        return (format!("SELECT count(*) FROM {table}"), Vec::new());
    };
    // count(*), not count(id) (id is never NULL): SQLite may then count
    // the entries of the narrowest index that answers the filter.
    (format!("SELECT count(*) FROM {} WHERE {}", f.from_clause(), cond.sql), cond.params)
}

pub fn count(conn: &Connection, f: &Families) -> rusqlite::Result<i64> {
    with_key_search(conn, f, key_search::Use::Count { all_versions: f.table == Table::Artifact }, |narrowed| count_of(conn, narrowed.as_ref().unwrap_or(f)))
}

fn count_of(conn: &Connection, f: &Families) -> rusqlite::Result<i64> {
    let (sql, params) = count_sql(f);
    conn.prepare_cached(&sql)?
        .query_row(params_from_iter(params.iter()), |r| r.get(0))
}

/// Calls `f` with every row of a table in a stable order while the rows
/// are stepped (export: one row in memory at a time).
pub fn each<E: From<rusqlite::Error>>(conn: &Connection, t: Table, mut f: impl FnMut(RowView<'_>) -> Result<(), E>) -> Result<(), E> {
    let (table, cols) = from_table(t);
    let mut stmt = conn.prepare(&format!("SELECT {cols} FROM {table} ORDER BY created, id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(view(r)?)?;
    }
    Ok(())
}
