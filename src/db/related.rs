//! SQL for the rows artifacts point at: flows, deployments, flow runs and
//! task runs. Each row keeps the columns that filters read plus `doc`, the
//! whole object as the API returns it.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};

/// A row ready to store: static column names, bound values.
#[derive(Debug, Clone)]
pub struct RelatedRow {
    pub table: &'static str,
    pub cols: Vec<(&'static str, SqlValue)>,
}

/// Insert or replace by `id` (fixtures are upserts by id).
pub fn upsert(conn: &Connection, row: &RelatedRow) -> rusqlite::Result<()> {
    let names: Vec<&str> = row.cols.iter().map(|(n, _)| *n).collect();
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = names
        .iter()
        .filter(|n| **n != "id")
        .map(|n| format!("{n} = excluded.{n}"))
        .collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
        row.table,
        names.join(", "),
        placeholders.join(", "),
        updates.join(", ")
    );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(row.cols.iter().map(|(_, v)| v)))?;
    Ok(())
}

/// Calls `f` with each stored document of a table, oldest first, while
/// the rows are stepped (export: one row in memory at a time).
pub fn each_doc<E: From<rusqlite::Error>>(
    conn: &Connection,
    table: &'static str,
    mut f: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let sql = format!("SELECT doc FROM {table} ORDER BY created, id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?)?;
    }
    Ok(())
}
