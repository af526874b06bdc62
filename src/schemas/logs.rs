//! The body of `POST /api/logs/filter`: `limit` (dependency), `offset`,
//! `logs` (a `LogFilter`) and `sort`, validated in that order.

use serde_json::Value;

use super::filters::operator;
use super::filters::sql::{in_list, Cond};
use super::resource_query::{all_missing, parse_limit, parse_offset, parse_sort};
use super::validate::{self, Errors, Loc, Model};
use crate::coerce::{self, Problem};
use crate::error::ApiError;
use crate::timefmt;

pub const LOG_SORTS: &[&str] = &["TIMESTAMP_ASC", "TIMESTAMP_DESC"];

#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub or: bool,
    pub level_ge: Option<i64>,
    pub level_le: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub flow_run_any: Option<Vec<String>>,
    pub task_run_any: Option<Vec<String>>,
    pub task_run_is_null: Option<bool>,
    pub text: Option<String>,
}

fn text_query(v: &Value) -> Result<String, Problem> {
    let s = coerce::string(v)?;
    if s.chars().count() > 200 {
        return Err(Problem {
            kind: "string_too_long",
            msg: "String should have at most 200 characters".into(),
            ctx: Some(serde_json::json!({ "max_length": 200 })),
        });
    }
    Ok(s)
}

impl LogFilter {
    pub fn parse(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Self> {
        let m = Model::open(v, loc, true, errs)?;
        let before = errs.items.len();
        let mut f = LogFilter { or: operator(&m, errs), ..Default::default() };
        m.opt_model("level", errs, |v, l, e| {
            let m = Model::open(v, l, true, e)?;
            f.level_ge = m.opt("ge_", e, coerce::int);
            f.level_le = m.opt("le_", e, coerce::int);
            m.finish(&["ge_", "le_"], e);
            Some(())
        });
        m.opt_model("timestamp", errs, |v, l, e| {
            let m = Model::open(v, l, true, e)?;
            f.before = m.opt("before_", e, coerce::datetime).map(timefmt::to_stored);
            f.after = m.opt("after_", e, coerce::datetime).map(timefmt::to_stored);
            m.finish(&["before_", "after_"], e);
            Some(())
        });
        m.opt_model("flow_run_id", errs, |v, l, e| {
            let m = Model::open(v, l, true, e)?;
            f.flow_run_any = m.opt_list("any_", e, super::filters::uuid_text);
            m.finish(&["any_"], e);
            Some(())
        });
        m.opt_model("task_run_id", errs, |v, l, e| {
            let m = Model::open(v, l, true, e)?;
            f.task_run_any = m.opt_list("any_", e, super::filters::uuid_text);
            f.task_run_is_null = m.opt("is_null_", e, coerce::boolean);
            m.finish(&["any_", "is_null_"], e);
            Some(())
        });
        m.opt_model("text", errs, |v, l, e| {
            let m = Model::open(v, l, true, e)?;
            match m.raw("query") {
                None => e.items.push(validate::ErrorItem {
                    kind: "missing".into(),
                    loc: validate::key(l, "query"),
                    msg: "Field required".into(),
                    input: v.clone(),
                    ctx: None,
                }),
                // A required `str`: null is a string_type error, not "absent".
                Some(q) => match text_query(q) {
                    Ok(t) => f.text = Some(t),
                    Err(p) => e.push(&validate::key(l, "query"), q, p),
                },
            }
            m.finish(&["query"], e);
            Some(())
        });
        m.finish(&["operator", "level", "timestamp", "flow_run_id", "task_run_id", "text"], errs);
        (errs.items.len() == before).then_some(f)
    }

    pub fn cond(&self) -> Cond {
        let mut parts = Vec::new();
        let mut level = Vec::new();
        if let Some(n) = self.level_ge {
            level.push(Cond::new("log.level >= ?", vec![n.into()]));
        }
        if let Some(n) = self.level_le {
            level.push(Cond::new("log.level <= ?", vec![n.into()]));
        }
        if !level.is_empty() {
            parts.push(Cond::and(level));
        }
        let mut ts = Vec::new();
        if let Some(t) = &self.before {
            ts.push(Cond::new("log.timestamp <= ?", vec![t.clone().into()]));
        }
        if let Some(t) = &self.after {
            ts.push(Cond::new("log.timestamp >= ?", vec![t.clone().into()]));
        }
        if !ts.is_empty() {
            parts.push(Cond::and(ts));
        }
        if let Some(any) = &self.flow_run_any {
            parts.push(in_list("log.flow_run_id", any));
        }
        let mut tr = Vec::new();
        if let Some(any) = &self.task_run_any {
            tr.push(in_list("log.task_run_id", any));
        }
        if let Some(null) = self.task_run_is_null {
            tr.push(Cond::new(if null { "log.task_run_id IS NULL" } else { "log.task_run_id IS NOT NULL" }, vec![]));
        }
        if !tr.is_empty() {
            parts.push(Cond::and(tr));
        }
        if let Some(q) = self.text.as_deref().filter(|q| !q.trim().is_empty()) {
            parts.push(text_cond(q));
        }
        Cond::join(parts, self.or)
    }
}

/// `parse_text_search_query`: words (or "quoted phrases") are OR-ed
/// includes; `-word`/`!word` excludes; `+word` is required.
fn text_cond(q: &str) -> Cond {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    let mut required = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut prefix = None;
        if c == '-' || c == '+' || c == '!' {
            prefix = Some(c);
            chars.next();
        }
        let mut term = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                term.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                term.push(c);
                chars.next();
            }
        }
        if term.is_empty() {
            continue;
        }
        match prefix {
            Some('-') | Some('!') => exclude.push(term),
            Some('+') => required.push(term),
            _ => include.push(term),
        }
    }
    let like = |t: &str, not: bool| {
        let escaped = t.to_lowercase().replace('/', "//").replace('%', "/%").replace('_', "/_");
        Cond::new(
            format!("lower(log.message || ' ' || log.name) {}LIKE ? ESCAPE '/'", if not { "NOT " } else { "" }),
            vec![format!("%{escaped}%").into()],
        )
    };
    let mut parts = Vec::new();
    if !include.is_empty() {
        parts.push(Cond::join(include.iter().map(|t| like(t, false)).collect(), true));
    }
    if !exclude.is_empty() {
        parts.push(Cond::and(exclude.iter().map(|t| like(t, true)).collect()));
    }
    if !required.is_empty() {
        parts.push(Cond::and(required.iter().map(|t| like(t, false)).collect()));
    }
    Cond::and(parts)
}

#[derive(Debug, Clone)]
pub struct LogQuery {
    pub filter: Option<LogFilter>,
    pub sort: &'static str,
    pub limit: i64,
    pub offset: i64,
}

impl LogQuery {
    pub fn parse(body: &Option<Value>) -> Result<LogQuery, ApiError> {
        let obj = match body {
            None => None,
            Some(Value::Object(o)) => Some(o),
            Some(_) => return Err(all_missing(&["offset", "logs", "sort"], true, body)),
        };
        let get = |name: &str| obj.and_then(|o| o.get(name)).filter(|v| !v.is_null()).cloned();
        let mut errs = Errors::default();
        let limit = parse_limit(get, &mut errs)?;
        let mut q = LogQuery { filter: None, sort: "TIMESTAMP_ASC", limit, offset: 0 };
        if let Some(v) = get("offset") {
            q.offset = parse_offset(&v, &mut errs);
        }
        if let Some(v) = get("logs") {
            q.filter = LogFilter::parse(&v, &validate::key(&validate::body_loc(), "logs"), &mut errs);
        }
        if let Some(v) = get("sort") {
            if let Some(s) = parse_sort(&v, LOG_SORTS, &mut errs) {
                q.sort = s;
            }
        }
        if !errs.is_empty() {
            return Err(ApiError::Validation { errors: errs.items, body: body.clone().unwrap_or(Value::Null) });
        }
        Ok(q)
    }
}
