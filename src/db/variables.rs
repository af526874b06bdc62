//! SQL for `variable`. Answers are written straight from the stored text
//! columns; `value` and `tags` are JSON text already in the wire form.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde_json::Value;

use crate::db::runs::INTEGRITY_CONFLICT;
use crate::db::Clock;
use crate::error::ApiError;
use crate::pyjson;
use crate::schemas::filters::variables::VariableFilter;
use crate::schemas::variables::{VariableCreate, VariableQuery, VariableUpdate};
use crate::timefmt;

const COLS: &str = "id, created, updated, name, value, tags";

/// A variable as the reference answers it, `value` given as JSON text.
fn answer(id: &str, created: &str, updated: &str, name: &str, value: Option<&str>, tags: &str) -> String {
    format!(
        "{{\"id\":\"{id}\",\"created\":\"{}\",\"updated\":\"{}\",\"name\":{},\"value\":{},\"tags\":{tags}}}",
        timefmt::to_wire(created),
        timefmt::to_wire(updated),
        pyjson::to_pydantic_json(&Value::String(name.to_string())),
        value.unwrap_or("null"),
    )
}

fn row_answer(r: &Row) -> rusqlite::Result<String> {
    let value: Option<String> = r.get(4)?;
    Ok(answer(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, &r.get::<_, String>(2)?, &r.get::<_, String>(3)?, value.as_deref(), &r.get::<_, String>(5)?))
}

fn id_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT id FROM variable WHERE name = ?1")?.query_row([name], |r| r.get(0)).optional()
}

/// Python's `repr` of a name that passed validation (letters, digits, `-`,
/// `_`, at most one final newline).
fn py_repr(name: &str) -> String {
    format!("'{}'", name.replace('\n', "\\n"))
}

pub fn create(conn: &Connection, clock: &mut Clock, v: &VariableCreate) -> Result<String, ApiError> {
    if id_by_name(conn, &v.name)?.is_some() {
        return Err(ApiError::Conflict(format!("A variable with the name {} already exists.", py_repr(&v.name))));
    }
    let id = uuid::Uuid::new_v4().to_string();
    // Both stamps are column defaults taken one after the other.
    let created = timefmt::to_stored(clock.tick());
    let updated = timefmt::to_stored(clock.tick());
    conn.prepare_cached("INSERT INTO variable (id, created, updated, name, value, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![id, created, updated, v.name, v.value.stored, v.tags])?;
    variable_event(conn, clock, "created", &id)?;
    Ok(answer(&id, &created, &updated, &v.name, Some(&v.value.echoed), &v.tags))
}

pub fn read(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("SELECT {COLS} FROM variable WHERE id = ?1"))?.query_row([id], row_answer).optional()
}

pub fn read_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("SELECT {COLS} FROM variable WHERE name = ?1"))?.query_row([name], row_answer).optional()
}

/// Which variable a by-id or by-name route means.
#[derive(Debug, Clone)]
pub enum Which {
    Id(String),
    Name(String),
}

fn resolve(conn: &Connection, which: &Which) -> rusqlite::Result<Option<String>> {
    match which {
        Which::Id(id) => conn.prepare_cached("SELECT id FROM variable WHERE id = ?1")?.query_row([id], |r| r.get(0)).optional(),
        Which::Name(name) => id_by_name(conn, name),
    }
}

/// Applies the fields the client sent. `Ok(false)`: no such variable. A
/// null name or tags, or a name another variable has, is the reference's
/// integrity conflict, and changes nothing.
pub fn update(conn: &Connection, clock: &mut Clock, which: &Which, u: &VariableUpdate) -> Result<bool, ApiError> {
    let Some(id) = resolve(conn, which)? else { return Ok(false) };
    let conflict = || ApiError::Conflict(INTEGRITY_CONFLICT.into());
    let mut sets = vec!["updated = ?".to_string()];
    // The reference's SQL `now()` on update: whole milliseconds.
    let mut args = vec![SqlValue::Text(timefmt::to_stored_millis(clock.tick()))];
    if let Some(name) = &u.name {
        let Some(name) = name else { return Err(conflict()) };
        if id_by_name(conn, name)?.is_some_and(|other| other != id) {
            return Err(conflict());
        }
        sets.push("name = ?".into());
        args.push(SqlValue::Text(name.clone()));
    }
    if let Some(value) = &u.value {
        sets.push("value = ?".into());
        args.push(value.stored.clone().map(SqlValue::Text).unwrap_or(SqlValue::Null));
    }
    if let Some(tags) = &u.tags {
        let Some(tags) = tags else { return Err(conflict()) };
        sets.push("tags = ?".into());
        args.push(SqlValue::Text(tags.clone()));
    }
    args.push(SqlValue::Text(id.clone()));
    let sql = format!("UPDATE variable SET {} WHERE id = ?", sets.join(", "));
    conn.prepare(&sql)?.execute(params_from_iter(args.iter()))?;
    variable_event(conn, clock, "updated", &id)?;
    Ok(true)
}

pub fn delete(conn: &Connection, clock: &mut Clock, which: &Which) -> rusqlite::Result<bool> {
    let Some(id) = resolve(conn, which)? else { return Ok(false) };
    variable_event(conn, clock, "deleted", &id)?;
    conn.prepare_cached("DELETE FROM variable WHERE id = ?1")?.execute([id])?;
    Ok(true)
}

/// `prefect.variable.{action}` for the stored row (before a delete).
fn variable_event(conn: &Connection, clock: &mut Clock, action: &str, id: &str) -> rusqlite::Result<()> {
    let row: Option<(String, Option<String>, String)> = conn
        .prepare_cached("SELECT name, value, tags FROM variable WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, value, tags)) = row else { return Ok(()) };
    let parse = |t: Option<&str>| t.and_then(|t| pyjson::loads(t.as_bytes()).ok()).unwrap_or(Value::Null);
    crate::events::emit::variable(conn, clock, action, id, &name, parse(value.as_deref()), parse(Some(&tags)))
}

fn order_by(sort: &str) -> &'static str {
    match sort {
        "CREATED_DESC" => "variable.created DESC",
        "UPDATED_DESC" => "variable.updated DESC",
        "NAME_DESC" => "variable.name DESC",
        _ => "variable.name ASC",
    }
}

fn where_clause(filter: &Option<VariableFilter>) -> (String, Vec<SqlValue>) {
    match filter {
        Some(f) => {
            let c = f.cond();
            (c.sql, c.params)
        }
        None => ("1".into(), vec![]),
    }
}

pub fn filter(conn: &Connection, q: &VariableQuery) -> rusqlite::Result<String> {
    let (cond, mut args) = where_clause(&q.filter);
    let sql = format!(
        "SELECT {COLS} FROM variable WHERE {cond} ORDER BY {} {} OFFSET ?",
        order_by(q.sort),
        crate::db::limit_sql(q.limit)
    );
    args.push(SqlValue::Integer(q.offset));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), row_answer)?;
    let items = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(format!("[{}]", items.join(",")))
}

pub fn count(conn: &Connection, filter: &Option<VariableFilter>) -> rusqlite::Result<i64> {
    let (cond, args) = where_clause(filter);
    conn.prepare_cached(&format!("SELECT count(*) FROM variable WHERE {cond}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))
}
