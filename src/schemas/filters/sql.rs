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

/// Lists up to this long are written as `IN (?, ?, …)`; longer ones travel
/// as one JSON array parameter, so SQLite's limit on parameters never applies.
const INLINE_LIST_MAX: usize = 64;

/// `col IN (…)`. A short list is inlined because SQLite's planner can count
/// `?` placeholders but not the rows of `json_each(?)`: with the count it
/// starts a join from one flow's runs instead of walking every artifact.
pub fn in_list(col: &'static str, items: &[String]) -> Cond {
    list_cond(col, "IN", items)
}

pub fn not_in_list(col: &'static str, items: &[String]) -> Cond {
    list_cond(col, "NOT IN", items)
}

fn list_cond(col: &'static str, op: &'static str, items: &[String]) -> Cond {
    if items.is_empty() || items.len() > INLINE_LIST_MAX {
        return Cond::new(
            format!("{col} {op} (SELECT value FROM json_each(?))"),
            vec![SqlValue::Text(json_array(items))],
        );
    }
    // Padding to a power of two by repeating the last item changes nothing
    // in the answer and keeps the statement cache to seven shapes per list.
    let n = items.len().next_power_of_two();
    let mut params: Vec<SqlValue> = items.iter().map(|s| SqlValue::Text(s.clone())).collect();
    let last = params[params.len() - 1].clone();
    params.resize(n, last);
    Cond::new(format!("{col} {op} ({})", vec!["?"; n].join(", ")), params)
}

/// SQLAlchemy's `ilike` on SQLite, `lower(col) LIKE lower(?)`, with the
/// pattern wrapped in `%…%` and its own `%`/`_` left as wildcards. SQLite's
/// `lower()` and LIKE's case folding both cover ASCII only, so a bare LIKE
/// matches the same rows without copying every value it looks at.
pub fn ilike_contains(col: &'static str, needle: &str) -> Cond {
    Cond::new(
        format!("{col} LIKE ?"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(c: &Cond) -> Vec<String> {
        c.params
            .iter()
            .map(|v| match v {
                SqlValue::Text(s) => s.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn short_lists_are_inlined_and_padded_to_a_power_of_two() {
        let items: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let c = in_list("t.c", &items);
        assert_eq!(c.sql, "t.c IN (?, ?, ?, ?)");
        assert_eq!(texts(&c), ["a", "b", "c", "c"]);
        let c = not_in_list("t.c", &items[..1]);
        assert_eq!(c.sql, "t.c NOT IN (?)");
    }

    #[test]
    fn empty_and_long_lists_travel_as_json() {
        let c = in_list("t.c", &[]);
        assert_eq!(c.sql, "t.c IN (SELECT value FROM json_each(?))");
        assert_eq!(texts(&c), ["[]"]);
        let many: Vec<String> = (0..65).map(|i| i.to_string()).collect();
        let c = in_list("t.c", &many);
        assert_eq!(c.params.len(), 1);
        assert!(c.sql.contains("json_each"));
    }

    #[test]
    fn lists_match_the_same_rows_either_way() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (c TEXT); INSERT INTO t VALUES ('a'), ('b'), (NULL), ('é');").unwrap();
        let rows = |cond: Cond| -> Vec<Option<String>> {
            let mut st = conn.prepare(&format!("SELECT c FROM t WHERE {} ORDER BY c", cond.sql)).unwrap();
            st.query_map(rusqlite::params_from_iter(cond.params.iter()), |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let json_rows = |op: &str, items: &[String]| -> Vec<Option<String>> {
            rows(Cond::new(
                format!("t.c {op} (SELECT value FROM json_each(?))"),
                vec![SqlValue::Text(json_array(items))],
            ))
        };
        for items in [vec![], vec!["a".to_string()], vec!["a".into(), "é".into(), "z".into()]] {
            assert_eq!(rows(in_list("t.c", &items)), json_rows("IN", &items), "{items:?}");
            assert_eq!(rows(not_in_list("t.c", &items)), json_rows("NOT IN", &items), "{items:?}");
        }
    }

    #[test]
    fn bare_like_matches_what_lower_like_lower_matches() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let values = ["Quality", "QUALITY-x", "quality", "Ärger", "ärger", "ÄRGER", "É", "é", "a_b", "a%b", "İ", "ı", ""];
        let needles = ["quality", "QUAL", "ärg", "Ärg", "é", "É", "_", "%", "i", "I", "a_b"];
        for v in values {
            for n in needles {
                let pattern = format!("%{n}%");
                let lowered: bool = conn
                    .query_row("SELECT lower(?1) LIKE lower(?2)", [v, &pattern], |r| r.get(0))
                    .unwrap();
                let c = ilike_contains("x", n);
                let sql = format!("SELECT {}", c.sql.replace("x LIKE", "?1 LIKE").replace("LIKE ?", "LIKE ?2"));
                let bare: bool = conn.query_row(&sql, [v, &pattern], |r| r.get(0)).unwrap();
                assert_eq!(bare, lowered, "{v:?} LIKE {pattern:?}");
            }
        }
    }
}
