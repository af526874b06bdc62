//! `EventFilter` as the reference validates it (every model forbids extra
//! fields), its SQL over `events`/`event_resources` (the reference's
//! `build_where_clauses` on SQLite, including SQLite's case-insensitive
//! LIKE), its in-memory test for the live feed (`EventFilter.includes`, which
//! ignores `related` as the reference's does) and its JSON dump for page
//! tokens.

use chrono::{DateTime, Duration, Utc};
use rusqlite::types::Value as SqlValue;
use serde_json::{json, Map, Value};

use crate::coerce::{self, Problem};
use crate::schemas::validate::{self, Errors, Loc, Model};
use crate::timefmt;

use super::schema::Doc;

/// `ResourceSpecification`: label -> accepted glob patterns (a single
/// string is a one-item list). Keeps whether each was a string, for dumps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Labels(pub Vec<(String, Vec<String>, bool)>);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameFilter {
    pub prefix: Option<Vec<String>>,
    pub exclude_prefix: Option<Vec<String>>,
    pub name: Option<Vec<String>>,
    pub exclude_name: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceFilter {
    pub id: Option<Vec<String>>,
    pub id_prefix: Option<Vec<String>>,
    pub labels: Option<Labels>,
    pub distinct: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelatedFilter {
    pub id: Option<Vec<String>>,
    pub role: Option<Vec<String>>,
    pub resources_in_roles: Option<Vec<(String, String)>>,
    pub labels: Option<Labels>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnyResourceFilter {
    pub id: Option<Vec<String>>,
    pub id_prefix: Option<Vec<String>>,
    pub labels: Option<Labels>,
}

/// One filter field that is `Optional[Union[F, list[F]]]`.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn items(&self) -> &[T] {
        match self {
            OneOrMany::One(t) => std::slice::from_ref(t),
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventFilter {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub event: Option<NameFilter>,
    pub resource: Option<ResourceFilter>,
    pub related: Option<OneOrMany<RelatedFilter>>,
    pub any_resource: Option<OneOrMany<AnyResourceFilter>>,
    pub id: Option<Vec<String>>,
    pub text: Option<String>,
    pub desc: bool,
}

fn start_of_day(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_hms_opt(0, 0, 0).map(|n| n.and_utc()).unwrap_or(t)
}

impl EventFilter {
    /// `EventFilter()`: the last 180 days (from the start of today) up to now.
    pub fn default_at(now: DateTime<Utc>) -> EventFilter {
        // Python datetimes hold microseconds.
        let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
        EventFilter {
            since: start_of_day(now) - Duration::days(180),
            until: now,
            event: None,
            resource: None,
            related: None,
            any_resource: None,
            id: None,
            text: None,
            desc: true,
        }
    }

    /// `occurred.clamp(max)`: looks back no further than `max` from now.
    pub fn clamp(&mut self, now: DateTime<Utc>, max: Duration) {
        self.since = self.since.max(now - max);
    }

    /// `logical_limit`: with ids asked for, no more rows than ids.
    pub fn logical_limit(&self) -> Option<usize> {
        self.id.as_ref().filter(|ids| !ids.is_empty()).map(Vec::len)
    }

    pub fn distinct(&self) -> bool {
        self.resource.as_ref().is_some_and(|r| r.distinct)
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

fn strs(m: &Model, name: &str, errs: &mut Errors) -> Option<Vec<String>> {
    m.opt_list(name, errs, coerce::string)
}

fn labels(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<Labels> {
    let Value::Object(obj) = v else {
        errs.push(loc, v, Problem { kind: "dict_type", msg: "Input should be a valid dictionary".into(), ctx: None });
        return None;
    };
    let before = errs.items.len();
    let mut out = Vec::new();
    for (k, item) in obj {
        let l = validate::key(loc, k);
        match item {
            Value::String(s) => out.push((k.clone(), vec![s.clone()], true)),
            Value::Array(_) => {
                if let Some(items) = validate::list(item, &l, errs, coerce::string) {
                    out.push((k.clone(), items, false));
                }
            }
            other => {
                errs.push(&validate::key(&l, "str"), other, Problem { kind: "string_type", msg: "Input should be a valid string".into(), ctx: None });
                errs.push(&validate::key(&l, "list[str]"), other, Problem { kind: "list_type", msg: "Input should be a valid list".into(), ctx: None });
            }
        }
    }
    (errs.items.len() == before).then_some(Labels(out))
}

fn name_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<NameFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let f = NameFilter {
        prefix: strs(&m, "prefix", errs),
        exclude_prefix: strs(&m, "exclude_prefix", errs),
        name: strs(&m, "name", errs),
        exclude_name: strs(&m, "exclude_name", errs),
    };
    m.finish(&["prefix", "exclude_prefix", "name", "exclude_name"], errs);
    Some(f)
}

fn resource_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<ResourceFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let f = ResourceFilter {
        id: strs(&m, "id", errs),
        id_prefix: strs(&m, "id_prefix", errs),
        labels: m.opt_model("labels", errs, labels),
        distinct: match m.raw("distinct") {
            None => false,
            Some(d) => match coerce::boolean(d) {
                Ok(b) => b,
                Err(p) => {
                    errs.push(&validate::key(loc, "distinct"), d, p);
                    false
                }
            },
        },
    };
    m.finish(&["id", "id_prefix", "labels", "distinct"], errs);
    Some(f)
}

fn pair(v: &Value) -> Result<(String, String), Problem> {
    match v {
        Value::Array(a) if a.len() == 2 => Ok((coerce::string(&a[0])?, coerce::string(&a[1])?)),
        Value::Array(a) => Err(Problem {
            kind: if a.len() < 2 { "missing" } else { "too_long" },
            msg: if a.len() < 2 { "Field required".into() } else { format!("Tuple should have at most 2 items after validation, not {}", a.len()) },
            ctx: None,
        }),
        _ => Err(Problem { kind: "tuple_type", msg: "Input should be a valid tuple".into(), ctx: None }),
    }
}

fn related_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<RelatedFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let f = RelatedFilter {
        id: strs(&m, "id", errs),
        role: strs(&m, "role", errs),
        resources_in_roles: m.opt_list("resources_in_roles", errs, pair),
        labels: m.opt_model("labels", errs, labels),
    };
    m.finish(&["id", "role", "resources_in_roles", "labels"], errs);
    Some(f)
}

fn any_resource_filter(v: &Value, loc: &[Loc], errs: &mut Errors) -> Option<AnyResourceFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let f = AnyResourceFilter {
        id: strs(&m, "id", errs),
        id_prefix: strs(&m, "id_prefix", errs),
        labels: m.opt_model("labels", errs, labels),
    };
    m.finish(&["id", "id_prefix", "labels"], errs);
    Some(f)
}

fn one_or_many<T>(
    v: &Value,
    loc: &[Loc],
    errs: &mut Errors,
    f: impl Fn(&Value, &[Loc], &mut Errors) -> Option<T>,
) -> Option<OneOrMany<T>> {
    match v {
        Value::Array(items) => {
            let before = errs.items.len();
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let mut l = loc.to_vec();
                l.push(Loc::Index(i));
                if let Some(t) = f(item, &l, errs) {
                    out.push(t);
                }
            }
            (errs.items.len() == before).then_some(OneOrMany::Many(out))
        }
        other => f(other, loc, errs).map(OneOrMany::One),
    }
}

fn datetime_field(m: &Model, name: &str, default: DateTime<Utc>, errs: &mut Errors) -> DateTime<Utc> {
    match m.raw(name) {
        None => default,
        Some(v) => match coerce::datetime(v) {
            Ok(t) => t,
            Err(p) => {
                errs.push(&validate::key(m.loc(), name), v, p);
                default
            }
        },
    }
}

/// Reads an `EventFilter` at `loc`; `now` gives the defaults of `occurred`.
pub fn parse(v: &Value, loc: &[Loc], now: DateTime<Utc>, errs: &mut Errors) -> Option<EventFilter> {
    let m = Model::open(v, loc, true, errs)?;
    let before = errs.items.len();
    let mut f = EventFilter::default_at(now);
    if let Some(o) = m.raw("occurred") {
        let l = validate::key(loc, "occurred");
        if let Some(om) = Model::open(o, &l, true, errs) {
            f.since = datetime_field(&om, "since", f.since, errs);
            f.until = datetime_field(&om, "until", f.until, errs);
            om.finish(&["since", "until"], errs);
        }
    }
    f.event = m.opt_model("event", errs, name_filter);
    f.resource = m.opt_model("resource", errs, resource_filter);
    f.related = m.opt_model("related", errs, |v, l, e| one_or_many(v, l, e, related_filter));
    f.any_resource = m.opt_model("any_resource", errs, |v, l, e| one_or_many(v, l, e, any_resource_filter));
    if let Some(idv) = m.raw("id") {
        let l = validate::key(loc, "id");
        if let Some(im) = Model::open(idv, &l, true, errs) {
            f.id = im.opt_list("id", errs, |v| coerce::uuid(v).map(|u| u.hyphenated().to_string()));
            im.finish(&["id"], errs);
        }
    }
    if let Some(tv) = m.raw("text") {
        if !tv.is_null() {
            let l = validate::key(loc, "text");
            if let Some(tm) = Model::open(tv, &l, true, errs) {
                match tm.raw("query") {
                    // pydantic's `missing` echoes the model's input.
                    None => errs.push(&validate::key(&l, "query"), tv, Problem { kind: "missing", msg: "Field required".into(), ctx: None }),
                    Some(q) => match coerce::string(q) {
                        Ok(s) if s.chars().count() > 200 => errs.push(
                            &validate::key(&l, "query"),
                            q,
                            Problem {
                                kind: "string_too_long",
                                msg: "String should have at most 200 characters".into(),
                                ctx: Some(json!({"max_length": 200})),
                            },
                        ),
                        Ok(s) => f.text = Some(s),
                        Err(p) => errs.push(&validate::key(&l, "query"), q, p),
                    },
                }
                tm.finish(&["query"], errs);
            }
        }
    }
    if let Some(o) = m.raw("order") {
        match coerce::enumeration(o, &["ASC", "DESC"]) {
            Ok(s) => f.desc = s == "DESC",
            Err(p) => errs.push(&validate::key(loc, "order"), o, p),
        }
    }
    m.finish(&["occurred", "event", "resource", "related", "any_resource", "id", "text", "order"], errs);
    (errs.items.len() == before).then_some(f)
}

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

/// A WHERE clause over `events e`, with its bound parameters.
pub struct Where {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// `_is_like_match_expression`: a glob (`*`, `?`, `!` negates) as LIKE.
fn like_match(col: &str, pattern: &str, params: &mut Vec<SqlValue>) -> String {
    let (neg, p) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let mut t = String::new();
    for c in p.chars() {
        match c {
            '*' => t.push('%'),
            '?' => t.push('_'),
            '\\' => t.push_str("\\\\"),
            '%' => t.push_str("\\%"),
            '_' => t.push_str("\\_"),
            c => t.push(c),
        }
    }
    params.push(SqlValue::Text(t));
    let e = format!("{col} LIKE ? ESCAPE '\\'");
    if neg {
        format!("NOT ({e})")
    } else {
        e
    }
}

/// SQLAlchemy's `startswith` (no escaping of the prefix, as the reference).
fn starts_with(col: &str, prefix: &str, params: &mut Vec<SqlValue>) -> String {
    params.push(text(prefix));
    format!("{col} LIKE (? || '%')")
}

fn or(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "0".into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

fn and(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "1".into()
    } else {
        format!("({})", parts.join(" AND "))
    }
}

fn non_empty(v: &Option<Vec<String>>) -> Option<&Vec<String>> {
    v.as_ref().filter(|v| !v.is_empty())
}

/// The label conditions on `event_resources er` (id and, when `roles`, the
/// role are columns there; other labels are read from its JSON).
fn label_conds(l: &Labels, roles: bool, params: &mut Vec<SqlValue>) -> Vec<String> {
    let mut out = Vec::new();
    let get = |k: &str| l.0.iter().find(|(n, _, _)| n == k);
    if let Some((_, ids, _)) = get("prefect.resource.id") {
        // `pop` gives [] for an empty value: no condition.
        let ids: Vec<&String> = if ids.len() == 1 && ids[0].is_empty() { vec![] } else { ids.iter().collect() };
        if !ids.is_empty() {
            out.push(or(ids.iter().map(|p| like_match("er.resource_id", p, params)).collect()));
        }
    }
    if roles {
        if let Some((_, rs, _)) = get("prefect.resource.role") {
            let rs: Vec<&String> = if rs.len() == 1 && rs[0].is_empty() { vec![] } else { rs.iter().collect() };
            if !rs.is_empty() {
                for r in &rs {
                    params.push(text(r));
                }
                out.push(format!("er.resource_role IN ({})", placeholders(rs.len())));
            }
        }
    }
    for (k, vals, _) in &l.0 {
        if k == "prefect.resource.id" || (roles && k == "prefect.resource.role") {
            continue;
        }
        if vals.is_empty() {
            out.push("0".into());
            continue;
        }
        let mut parts = Vec::new();
        for v in vals {
            params.push(text(k));
            let col = "(SELECT value FROM json_each(er.resource) WHERE key = ?)";
            parts.push(like_match(col, v, params));
        }
        out.push(or(parts));
    }
    out
}

impl EventFilter {
    fn scoped(&self, conds: Vec<String>, cond_params: Vec<SqlValue>, params: &mut Vec<SqlValue>) -> String {
        params.push(text(&timefmt::to_stored(self.since)));
        params.push(text(&timefmt::to_stored(self.until)));
        params.extend(cond_params);
        format!(
            "e.id IN (SELECT er.event_id FROM event_resources er WHERE er.occurred >= ? AND er.occurred <= ? AND {})",
            and(conds)
        )
    }

    pub fn where_clause(&self) -> Where {
        let mut p: Vec<SqlValue> = Vec::new();
        let mut w: Vec<String> = vec!["e.occurred >= ?".into(), "e.occurred <= ?".into()];
        p.push(text(&timefmt::to_stored(self.since)));
        p.push(text(&timefmt::to_stored(self.until)));
        if let Some(ev) = &self.event {
            if let Some(pre) = non_empty(&ev.prefix) {
                w.push(or(pre.iter().map(|x| starts_with("e.event", x, &mut p)).collect()));
            }
            if let Some(pre) = non_empty(&ev.exclude_prefix) {
                for x in pre {
                    let c = starts_with("e.event", x, &mut p);
                    w.push(format!("NOT ({c})"));
                }
            }
            if let Some(n) = non_empty(&ev.name) {
                p.extend(n.iter().map(|x| text(x)));
                w.push(format!("e.event IN ({})", placeholders(n.len())));
            }
            if let Some(n) = non_empty(&ev.exclude_name) {
                p.extend(n.iter().map(|x| text(x)));
                w.push(format!("e.event NOT IN ({})", placeholders(n.len())));
            }
        }
        if let Some(r) = &self.resource {
            if let Some(ids) = non_empty(&r.id) {
                p.extend(ids.iter().map(|x| text(x)));
                w.push(format!("e.resource_id IN ({})", placeholders(ids.len())));
            }
            if let Some(pre) = non_empty(&r.id_prefix) {
                w.push(or(pre.iter().map(|x| starts_with("e.resource_id", x, &mut p)).collect()));
            }
            if let Some(l) = r.labels.as_ref().filter(|l| !l.0.is_empty()) {
                let mut cp = Vec::new();
                let mut conds = vec!["er.resource_role = ''".to_string()];
                conds.extend(label_conds(l, false, &mut cp));
                w.push(self.scoped(conds, cp, &mut p));
            }
        }
        if let Some(rel) = &self.related {
            for r in rel.items() {
                let mut cp = Vec::new();
                let mut conds = Vec::new();
                if let Some(ids) = non_empty(&r.id) {
                    cp.extend(ids.iter().map(|x| text(x)));
                    conds.push(format!("er.resource_id IN ({})", placeholders(ids.len())));
                }
                if let Some(roles) = non_empty(&r.role) {
                    cp.extend(roles.iter().map(|x| text(x)));
                    conds.push(format!("er.resource_role IN ({})", placeholders(roles.len())));
                }
                if let Some(pairs) = r.resources_in_roles.as_ref().filter(|v| !v.is_empty()) {
                    let mut parts = Vec::new();
                    for (id, role) in pairs {
                        cp.push(text(id));
                        cp.push(text(role));
                        parts.push("(er.resource_id = ? AND er.resource_role = ?)".to_string());
                    }
                    conds.push(or(parts));
                }
                if let Some(l) = r.labels.as_ref().filter(|l| !l.0.is_empty()) {
                    conds.push(and(label_conds(l, true, &mut cp)));
                }
                if !conds.is_empty() {
                    if non_empty(&r.role).is_none() {
                        conds.push("er.resource_role != ''".into());
                    }
                    w.push(self.scoped(conds, cp, &mut p));
                }
            }
        }
        if let Some(any) = &self.any_resource {
            for a in any.items() {
                let mut cp = Vec::new();
                let mut conds = Vec::new();
                if let Some(ids) = non_empty(&a.id) {
                    cp.extend(ids.iter().map(|x| text(x)));
                    conds.push(format!("er.resource_id IN ({})", placeholders(ids.len())));
                }
                if let Some(pre) = non_empty(&a.id_prefix) {
                    conds.push(or(pre.iter().map(|x| starts_with("er.resource_id", x, &mut cp)).collect()));
                }
                if let Some(l) = a.labels.as_ref().filter(|l| !l.0.is_empty()) {
                    conds.push(and(label_conds(l, true, &mut cp)));
                }
                if !conds.is_empty() {
                    w.push(self.scoped(conds, cp, &mut p));
                }
            }
        }
        if let Some(ids) = non_empty(&self.id) {
            p.extend(ids.iter().map(|x| text(x)));
            w.push(format!("e.id IN ({})", placeholders(ids.len())));
        }
        if let Some(q) = self.text.as_deref().filter(|q| !q.trim().is_empty()) {
            let parsed = parse_text_query(q);
            let field = "lower(e.event || ' ' || e.resource || ' ' || e.related || ' ' || e.payload)";
            let contains = |term: &str, p: &mut Vec<SqlValue>| {
                let mut esc = String::new();
                for c in term.to_lowercase().chars() {
                    if matches!(c, '/' | '%' | '_') {
                        esc.push('/');
                    }
                    esc.push(c);
                }
                p.push(SqlValue::Text(esc));
                format!("{field} LIKE ('%' || ? || '%') ESCAPE '/'")
            };
            if !parsed.include.is_empty() {
                let parts = parsed.include.iter().map(|t| contains(t, &mut p)).collect();
                w.push(or(parts));
            }
            if !parsed.exclude.is_empty() {
                let parts = parsed.exclude.iter().map(|t| format!("NOT ({})", contains(t, &mut p))).collect();
                w.push(and(parts));
            }
            if !parsed.required.is_empty() {
                let parts = parsed.required.iter().map(|t| contains(t, &mut p)).collect();
                w.push(and(parts));
            }
        }
        Where { sql: w.join(" AND "), params: p }
    }
}

// ---------------------------------------------------------------------------
// Text search queries
// ---------------------------------------------------------------------------

#[derive(Debug, Default, PartialEq)]
pub struct TextQuery {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub required: Vec<String>,
}

fn unescape_phrase(p: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < p.len() {
        if p[i] == '\\' && i + 1 < p.len() {
            match p[i + 1] {
                '"' => {
                    out.push('"');
                    i += 2;
                }
                '\\' => {
                    out.push('\\');
                    i += 2;
                }
                _ => {
                    out.push('\\');
                    i += 1;
                }
            }
        } else {
            out.push(p[i]);
            i += 1;
        }
    }
    out
}

/// The reference's text search syntax: terms OR'd, `-`/`!` excludes, `+`
/// requires, `"quoted phrases"` with `\"` escapes.
pub fn parse_text_query(q: &str) -> TextQuery {
    let c: Vec<char> = q.chars().collect();
    let mut out = TextQuery::default();
    let mut i = 0;
    let put = |prefix: Option<char>, term: String, out: &mut TextQuery| match prefix {
        Some('-') | Some('!') => out.exclude.push(term),
        Some('+') => out.required.push(term),
        _ => out.include.push(term),
    };
    while i < c.len() {
        if c[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut prefix = None;
        if matches!(c[i], '-' | '!' | '+') {
            let pc = c[i];
            i += 1;
            if i < c.len() && !c[i].is_whitespace() {
                prefix = Some(pc);
            } else {
                continue;
            }
        }
        if i < c.len() && c[i] == '"' {
            i += 1;
            let start = i;
            while i < c.len() {
                if c[i] == '\\' && i + 1 < c.len() {
                    i += 2;
                } else if c[i] == '"' {
                    break;
                } else {
                    i += 1;
                }
            }
            let end = i.min(c.len());
            let phrase = unescape_phrase(&c[start..end]);
            if i < c.len() {
                i += 1;
            }
            if !phrase.trim().is_empty() {
                put(prefix, phrase, &mut out);
            }
            continue;
        }
        let start = i;
        while i < c.len() && !c[i].is_whitespace() && c[i] != '"' {
            i += 1;
        }
        if i > start {
            put(prefix, c[start..i].iter().collect(), &mut out);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// In-memory matching (the live feed)
// ---------------------------------------------------------------------------

/// `fnmatch.fnmatchcase` for `*`, `?` and `[...]` sets.
pub fn glob(pattern: &str, value: &str) -> bool {
    fn go(p: &[char], v: &[char]) -> bool {
        match p.first() {
            None => v.is_empty(),
            Some('*') => (0..=v.len()).any(|i| go(&p[1..], &v[i..])),
            Some('?') => !v.is_empty() && go(&p[1..], &v[1..]),
            Some('[') => {
                let Some(close) = p.iter().skip(2).position(|&c| c == ']').map(|i| i + 2) else {
                    return v.first() == Some(&'[') && go(&p[1..], &v[1..]);
                };
                let Some(&ch) = v.first() else { return false };
                let set = &p[1..close];
                let (neg, set) = match set.first() {
                    Some('!') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= ch && ch <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == ch;
                        i += 1;
                    }
                }
                hit != neg && go(&p[close + 1..], &v[1..])
            }
            Some(&c) => v.first() == Some(&c) && go(&p[1..], &v[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    // Patterns are client-sized; a pathological one is cut off rather
    // than allowed to run unbounded (backtracking on many stars).
    if p.iter().filter(|&&c| c == '*').count() > 16 {
        return false;
    }
    go(&p, &v)
}

fn spec_matches(l: &Labels, resource: &Map<String, Value>) -> bool {
    l.0.iter().all(|(label, expected, _)| {
        let value = resource.get(label).and_then(Value::as_str);
        expected.iter().any(|e| match value {
            None => false,
            Some(v) => match e.strip_prefix('!') {
                Some(rest) => !glob(rest, v),
                None => glob(e, v),
            },
        })
    })
}

fn rid(r: &Map<String, Value>) -> &str {
    r.get("prefect.resource.id").and_then(Value::as_str).unwrap_or("")
}

impl EventFilter {
    /// `EventFilter.includes(event)` for a ReceivedEvent doc.
    pub fn includes(&self, e: &Doc) -> bool {
        let occurred = e.get("occurred").and_then(|v| coerce::datetime(v).ok());
        match occurred {
            Some(t) if self.since <= t && t <= self.until => {}
            _ => return false,
        }
        let name = e.get("event").and_then(Value::as_str).unwrap_or("");
        let empty = Map::new();
        let resource = e.get("resource").and_then(Value::as_object).unwrap_or(&empty);
        if let Some(ev) = &self.event {
            if let Some(pre) = non_empty(&ev.prefix) {
                if !pre.iter().any(|p| name.starts_with(p.as_str())) {
                    return false;
                }
            }
            if let Some(pre) = non_empty(&ev.exclude_prefix) {
                if pre.iter().any(|p| name.starts_with(p.as_str())) {
                    return false;
                }
            }
            if let Some(n) = non_empty(&ev.name) {
                if !n.iter().any(|x| x == name) {
                    return false;
                }
            }
            if let Some(n) = non_empty(&ev.exclude_name) {
                if n.iter().any(|x| x == name) {
                    return false;
                }
            }
        }
        if let Some(r) = &self.resource {
            if let Some(ids) = non_empty(&r.id) {
                if !ids.iter().any(|x| x == rid(resource)) {
                    return false;
                }
            }
            if let Some(pre) = non_empty(&r.id_prefix) {
                if !pre.iter().any(|x| rid(resource).starts_with(x.as_str())) {
                    return false;
                }
            }
            if let Some(l) = r.labels.as_ref().filter(|l| !l.0.is_empty()) {
                if !spec_matches(l, resource) {
                    return false;
                }
            }
        }
        if let Some(any) = &self.any_resource {
            let mut all: Vec<&Map<String, Value>> = vec![resource];
            if let Some(Value::Array(rel)) = e.get("related") {
                all.extend(rel.iter().filter_map(Value::as_object));
            }
            for a in any.items() {
                let one = |r: &Map<String, Value>| {
                    non_empty(&a.id).is_none_or(|ids| ids.iter().any(|x| x == rid(r)))
                        && non_empty(&a.id_prefix).is_none_or(|p| p.iter().any(|x| rid(r).starts_with(x.as_str())))
                        && a.labels.as_ref().filter(|l| !l.0.is_empty()).is_none_or(|l| spec_matches(l, r))
                };
                if !all.iter().any(|r| one(r)) {
                    return false;
                }
            }
        }
        if let Some(ids) = non_empty(&self.id) {
            let id = e.get("id").and_then(Value::as_str).unwrap_or("");
            if !ids.iter().any(|x| x == id) {
                return false;
            }
        }
        if let Some(q) = self.text.as_deref() {
            let parsed = parse_text_query(q);
            let mut parts: Vec<String> = vec![name.to_string()];
            parts.extend(resource.values().filter_map(Value::as_str).map(str::to_string));
            if let Some(Value::Array(rel)) = e.get("related") {
                for r in rel.iter().filter_map(Value::as_object) {
                    parts.extend(r.values().filter_map(Value::as_str).map(str::to_string));
                }
            }
            parts.push(e.get("payload").map(|p| p.to_string()).unwrap_or_default());
            let hay = parts.join(" ").to_lowercase();
            let has = |t: &String| hay.contains(&t.to_lowercase());
            if !parsed.include.is_empty() && !parsed.include.iter().any(has) {
                return false;
            }
            if parsed.exclude.iter().any(has) {
                return false;
            }
            if !parsed.required.iter().all(has) {
                return false;
            }
        }
        true
    }
}

// ---------------------------------------------------------------------------
// Dump (`model_dump(mode="json")`), for page tokens
// ---------------------------------------------------------------------------

fn opt_list(v: &Option<Vec<String>>) -> Value {
    match v {
        None => Value::Null,
        Some(v) => json!(v),
    }
}

fn labels_json(l: &Option<Labels>) -> Value {
    match l {
        None => Value::Null,
        Some(l) => {
            let mut m = Map::new();
            for (k, v, single) in &l.0 {
                m.insert(k.clone(), if *single { json!(v.first()) } else { json!(v) });
            }
            Value::Object(m)
        }
    }
}

fn many<T>(v: &Option<OneOrMany<T>>, f: impl Fn(&T) -> Value) -> Value {
    match v {
        None => Value::Null,
        Some(OneOrMany::One(t)) => f(t),
        Some(OneOrMany::Many(ts)) => Value::Array(ts.iter().map(f).collect()),
    }
}

impl EventFilter {
    pub fn to_json(&self) -> Value {
        json!({
            "occurred": {"since": timefmt::wire_from(self.since), "until": timefmt::wire_from(self.until)},
            "event": self.event.as_ref().map(|e| json!({
                "prefix": opt_list(&e.prefix), "exclude_prefix": opt_list(&e.exclude_prefix),
                "name": opt_list(&e.name), "exclude_name": opt_list(&e.exclude_name),
            })),
            "resource": self.resource.as_ref().map(|r| json!({
                "id": opt_list(&r.id), "id_prefix": opt_list(&r.id_prefix),
                "labels": labels_json(&r.labels), "distinct": r.distinct,
            })),
            "related": many(&self.related, |r| json!({
                "id": opt_list(&r.id), "role": opt_list(&r.role),
                "resources_in_roles": r.resources_in_roles.as_ref().map(|p| p.iter().map(|(a, b)| json!([a, b])).collect::<Vec<_>>()),
                "labels": labels_json(&r.labels),
            })),
            "any_resource": many(&self.any_resource, |a| json!({
                "id": opt_list(&a.id), "id_prefix": opt_list(&a.id_prefix), "labels": labels_json(&a.labels),
            })),
            "id": {"id": opt_list(&self.id)},
            "text": self.text.as_ref().map(|q| json!({"query": q})),
            "order": if self.desc { "DESC" } else { "ASC" },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        coerce::datetime(&json!("2026-12-02T01:00:00Z")).unwrap()
    }

    fn p(v: Value) -> Result<EventFilter, Errors> {
        let mut errs = Errors::default();
        match parse(&v, &[Loc::Key("body".into()), Loc::Key("filter".into())], now(), &mut errs) {
            Some(f) if errs.is_empty() => Ok(f),
            _ => Err(errs),
        }
    }

    #[test]
    fn defaults() {
        let f = p(json!({})).unwrap();
        assert_eq!(timefmt::wire_from(f.since), "2026-06-05T00:00:00Z");
        assert_eq!(f.until, now());
        assert!(f.desc);
    }

    #[test]
    fn extra_fields_and_bad_types_are_422s() {
        let e = p(json!({"nope": 1, "event": {"prefix": "x"}, "order": "UP"})).unwrap_err();
        let locs: Vec<String> = e.items.iter().map(|i| format!("{:?}", i.loc)).collect();
        assert_eq!(e.items.len(), 3, "{locs:?}");
        assert_eq!(e.items[0].kind, "list_type");
        assert_eq!(e.items[1].kind, "enum");
        assert_eq!(e.items[2].kind, "extra_forbidden");
        let e = p(json!({"text": {"query": "x".repeat(201)}})).unwrap_err();
        assert_eq!(e.items[0].kind, "string_too_long");
    }

    #[test]
    fn round_trips_through_its_dump() {
        let f = p(json!({
            "occurred": {"since": "2026-12-01T00:00:00Z"},
            "event": {"prefix": ["prefect.flow-run."]},
            "resource": {"labels": {"prefect.resource.name": ["a*", "!b"], "x": "y"}, "distinct": true},
            "related": [{"role": ["flow"]}],
            "any_resource": {"id": ["a"]},
            "id": {"id": ["0193A5B2-0000-7000-8000-000000000000"]},
            "text": {"query": "hello -bye"},
            "order": "ASC"
        }))
        .unwrap();
        assert_eq!(f.id.as_ref().unwrap()[0], "0193a5b2-0000-7000-8000-000000000000");
        let again = p(f.to_json()).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn globs() {
        assert!(glob("prefect.flow-run.*", "prefect.flow-run.abc"));
        assert!(!glob("prefect.flow-run.*", "prefect.flow.abc"));
        assert!(glob("a?c", "abc"));
        assert!(glob("[ab]c", "bc"));
        assert!(!glob("[!ab]c", "bc"));
        assert!(!glob("ABC", "abc"));
    }

    #[test]
    fn text_queries() {
        let q = parse_text_query(r#"error -debug +"conn \"x\"" ! lone"#);
        assert_eq!(q.include, ["error", "lone"]);
        assert_eq!(q.exclude, ["debug"]);
        assert_eq!(q.required, [r#"conn "x""#]);
    }

    #[test]
    fn includes_as_the_reference() {
        let ev: Doc = serde_json::from_value(json!({
            "occurred": "2026-12-02T00:30:00Z", "event": "prefect.flow-run.Completed",
            "resource": {"prefect.resource.id": "prefect.flow-run.1", "prefect.resource.name": "nice-cat"},
            "related": [{"prefect.resource.id": "prefect.flow.2", "prefect.resource.role": "flow"}],
            "payload": {"a": "b"}, "id": "0193a5b2-0000-7000-8000-000000000000", "follows": null,
            "received": "2026-12-02T00:30:00Z"
        }))
        .unwrap();
        assert!(p(json!({"event": {"prefix": ["prefect.flow-run"]}})).unwrap().includes(&ev));
        assert!(!p(json!({"event": {"exclude_prefix": ["prefect.flow-run"]}})).unwrap().includes(&ev));
        assert!(p(json!({"resource": {"id": ["prefect.flow-run.1"]}})).unwrap().includes(&ev));
        assert!(!p(json!({"resource": {"id": ["prefect.flow-run.2"]}})).unwrap().includes(&ev));
        assert!(p(json!({"resource": {"labels": {"prefect.resource.name": "nice-*"}}})).unwrap().includes(&ev));
        assert!(p(json!({"any_resource": {"id": ["prefect.flow.2"]}})).unwrap().includes(&ev));
        assert!(!p(json!({"any_resource": {"id": ["prefect.flow.3"]}})).unwrap().includes(&ev));
        // The reference's related filter has no in-memory test: it passes all.
        assert!(p(json!({"related": {"id": ["nothing"]}})).unwrap().includes(&ev));
        assert!(!p(json!({"occurred": {"until": "2026-12-02T00:00:00Z"}})).unwrap().includes(&ev));
        assert!(p(json!({"text": {"query": "nice -zebra"}})).unwrap().includes(&ev));
        assert!(!p(json!({"text": {"query": "zebra"}})).unwrap().includes(&ev));
    }
}
