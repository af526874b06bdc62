//! Bulk loading into an empty database: the secondary indexes are dropped
//! for the load and built again at its end, from the sorted rows, which is
//! several times faster than growing each one entry by entry in random
//! order. Everything here runs inside the load's own transaction, so a
//! failed load rolls the indexes back with the rows.

use rusqlite::Connection;

/// An index dropped for a bulk load, with the SQL that recreates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedIndex {
    pub name: String,
    pub sql: String,
}

/// The ordinary tables that hold data: not SQLite's own, not the migration
/// history, and neither a virtual table nor its shadow tables (an index
/// such as FTS5 keeps rows of its own, its configuration, even when empty,
/// and is written through its table's triggers, never directly).
pub fn data_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    conn.prepare(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'refinery_%' ORDER BY name",
    )?
    .query_map([], |r| r.get(0))?
    .collect()
}

/// A table name from the schema, quoted for SQL text.
pub fn quoted(table: &str) -> String {
    format!("\"{}\"", table.replace('"', "\"\""))
}

/// True when no data table has a row.
pub fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    for t in data_tables(conn)? {
        // Names come from the schema itself, never from a request.
        let any: bool = conn.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {})", quoted(&t)), [], |r| r.get(0))?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Drops every index made by `CREATE INDEX` that is not unique, and returns
/// them in schema order. Unique indexes stay: they enforce what a load must
/// refuse (two flows of one name) and answer the load's own look-ups (the
/// latest row of a key); the primary keys stay for the upserts by id.
pub fn drop_secondary_indexes(conn: &Connection) -> rusqlite::Result<Vec<SavedIndex>> {
    let saved: Vec<SavedIndex> = conn
        .prepare(
            "SELECT s.name, s.sql FROM sqlite_schema AS t, pragma_index_list(t.name) AS il \
             JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = il.name \
             WHERE t.type = 'table' AND il.\"unique\" = 0 AND il.origin = 'c' AND s.sql IS NOT NULL \
             ORDER BY s.rowid",
        )?
        .query_map([], |r| Ok(SavedIndex { name: r.get(0)?, sql: r.get(1)? }))?
        .collect::<rusqlite::Result<_>>()?;
    for ix in &saved {
        conn.execute_batch(&format!("DROP INDEX {}", quoted(&ix.name)))?;
    }
    Ok(saved)
}

/// Builds the indexes [`drop_secondary_indexes`] dropped, from their own SQL.
pub fn recreate_indexes(conn: &Connection, saved: &[SavedIndex]) -> rusqlite::Result<()> {
    for ix in saved {
        conn.execute_batch(&ix.sql)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(conn: &Connection) -> Vec<(String, String, Option<String>)> {
        conn.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn dropping_keeps_unique_and_primary_indexes_and_recreating_restores_the_schema() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (id TEXT PRIMARY KEY, name TEXT, n INTEGER);
             CREATE UNIQUE INDEX uq_t__name ON t (name);
             CREATE INDEX ix_t__n ON t (n DESC);
             CREATE INDEX ix_t__partial ON t (name) WHERE n > 1;
             CREATE VIRTUAL TABLE t_search USING fts5(name, content = '');",
        )
        .unwrap();
        assert!(is_empty(&conn).unwrap(), "an empty FTS5 index's own rows do not count");
        assert_eq!(data_tables(&conn).unwrap(), ["t"]);
        let before = schema(&conn);
        let saved = drop_secondary_indexes(&conn).unwrap();
        assert_eq!(saved.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["ix_t__n", "ix_t__partial"]);
        let names: Vec<String> = schema(&conn).into_iter().map(|(_, n, _)| n).collect();
        assert!(names.contains(&"uq_t__name".to_string()) && names.contains(&"sqlite_autoindex_t_1".to_string()));
        conn.execute("INSERT INTO t VALUES ('a', 'x', 2)", []).unwrap();
        assert!(!is_empty(&conn).unwrap());
        recreate_indexes(&conn, &saved).unwrap();
        assert_eq!(schema(&conn), before);
    }
}
