//! SQL fragments with their bound parameters. Column and table names are
//! `&'static str` chosen by code; every user value is a `?` parameter.

use rusqlite::types::Value as SqlValue;

#[derive(Debug, Clone, Default)]
pub struct Cond {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

impl Cond {
    pub fn new(sql: impl Into<String>, params: Vec<SqlValue>) -> Self {
        Cond { sql: sql.into(), params }
    }

    pub fn truth() -> Self {
        Cond::new("1", vec![])
    }

    /// Joins conditions; an empty list is TRUE for either operator, as the
    /// reference's `as_sql_filter` returns `sa.true()` when it has nothing.
    pub fn join(conds: Vec<Cond>, or: bool) -> Cond {
        match conds.len() {
            0 => Cond::truth(),
            1 => conds.into_iter().next().unwrap_or_default(),
            _ => {
                let sep = if or { " OR " } else { " AND " };
                let mut sql = String::from("(");
                let mut params = Vec::new();
                for (i, c) in conds.into_iter().enumerate() {
                    if i > 0 {
                        sql.push_str(sep);
                    }
                    sql.push('(');
                    sql.push_str(&c.sql);
                    sql.push(')');
                    params.extend(c.params);
                }
                sql.push(')');
                Cond { sql, params }
            }
        }
    }

    pub fn and(conds: Vec<Cond>) -> Cond {
        Cond::join(conds, false)
    }
}

/// `col IN (…)` over a list of any length: the list travels as one JSON
/// array parameter, so SQLite's limit on parameters never applies.
pub fn in_list(col: &'static str, items: &[String]) -> Cond {
    Cond::new(
        format!("{col} IN (SELECT value FROM json_each(?))"),
        vec![SqlValue::Text(json_array(items))],
    )
}

pub fn not_in_list(col: &'static str, items: &[String]) -> Cond {
    Cond::new(
        format!("{col} NOT IN (SELECT value FROM json_each(?))"),
        vec![SqlValue::Text(json_array(items))],
    )
}

/// SQLAlchemy's `ilike` on SQLite: `lower(col) LIKE lower(?)`, with the
/// pattern wrapped in `%…%` and its own `%`/`_` left as wildcards.
pub fn ilike_contains(col: &'static str, needle: &str) -> Cond {
    Cond::new(
        format!("lower({col}) LIKE lower(?)"),
        vec![SqlValue::Text(format!("%{needle}%"))],
    )
}

pub fn is_null(col: &'static str, null: bool) -> Cond {
    Cond::new(
        if null { format!("{col} IS NULL") } else { format!("{col} IS NOT NULL") },
        vec![],
    )
}

pub fn json_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}
