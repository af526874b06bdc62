//! A list page's query string: read, checked (a bad value is a sentence
//! for the page, never a debug dump), and turned into an API filter body
//! or back into links.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

pub const PER_PAGE: i64 = 24;
pub const MAX_PER: i64 = 200;
/// Beyond this a page number is refused (its offset would overflow).
const MAX_PAGE: i64 = 1 << 40;
pub const STATE_TYPES: &[&str] =
    &["COMPLETED", "FAILED", "RUNNING", "PENDING", "SCHEDULED", "CANCELLED", "CANCELLING", "CRASHED", "PAUSED"];
pub const ARTIFACT_TYPES: &[&str] = &["markdown", "table", "link", "image", "progress", "result"];

#[derive(Debug, Clone, Default)]
pub struct Params {
    pub keyless: bool,
    pub q: Option<String>,
    pub flow: Option<String>,
    pub state: Option<String>,
    pub r#type: Option<String>,
    pub page: i64,
    pub per: i64,
    /// The first table row to show on an artifact page (0-based).
    pub rows_from: usize,
    /// What was wrong with the query string, one sentence each.
    pub problems: Vec<String>,
}

impl Params {
    pub fn from(mut m: HashMap<String, String>) -> Params {
        let mut take = |k: &str| m.remove(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let page = match take("page") {
            None => 1,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..MAX_PAGE).contains(&n) => n,
                _ => {
                    problems.push(format!("The page number {v:?} is not a whole number of 1 or more; showing page 1."));
                    1
                }
            },
        };
        let per = match take("per") {
            None => PER_PAGE,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => n.clamp(1, MAX_PER),
                Err(_) => {
                    problems.push(format!("{v:?} is not a number of artifacts per page; showing {PER_PAGE}."));
                    PER_PAGE
                }
            },
        };
        let rows_from = take("rows").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        let state = take("state").map(|s| s.to_ascii_uppercase());
        let state = match state {
            Some(s) if !STATE_TYPES.contains(&s.as_str()) => {
                problems.push(format!("There is no flow run state {s:?}: choose one of {}.", STATE_TYPES.join(", ")));
                None
            }
            s => s,
        };
        let kind = match take("type") {
            Some(t) if !ARTIFACT_TYPES.contains(&t.as_str()) => {
                problems.push(format!("There is no artifact type {t:?}: choose one of {}.", ARTIFACT_TYPES.join(", ")));
                None
            }
            t => t,
        };
        Params {
            keyless: take("tab").as_deref() == Some("keyless"),
            q: take("q"),
            flow: take("flow"),
            state,
            r#type: kind,
            page,
            per,
            rows_from,
            problems,
        }
    }

    /// Whether any filter narrows the list.
    pub fn filtered(&self) -> bool {
        self.q.is_some() || self.flow.is_some() || self.state.is_some() || self.r#type.is_some()
    }

    /// The filter families of the index page, as an API request body.
    pub fn families(&self) -> Map<String, Value> {
        let mut body = Map::new();
        let mut art = Map::new();
        if self.keyless {
            art.insert("key".into(), json!({ "exists_": false }));
        } else if let Some(q) = &self.q {
            art.insert("key".into(), json!({ "like_": q }));
        }
        if let Some(t) = &self.r#type {
            art.insert("type".into(), json!({ "any_": [t] }));
        }
        if !art.is_empty() {
            body.insert("artifacts".into(), Value::Object(art));
        }
        if let Some(f) = &self.flow {
            body.insert("flows".into(), json!({ "name": { "any_": [f] } }));
        }
        if let Some(s) = &self.state {
            body.insert("flow_runs".into(), json!({ "state": { "type": { "any_": [s] } } }));
        }
        body
    }

    /// This page's query string at another page number, on `path`.
    pub fn link(&self, path: &str, page: i64) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        if self.keyless {
            parts.push(("tab", "keyless".into()));
        }
        for (k, v) in [("q", &self.q), ("flow", &self.flow), ("state", &self.state), ("type", &self.r#type)] {
            if let Some(v) = v {
                parts.push((k, v.clone()));
            }
        }
        if self.per != PER_PAGE {
            parts.push(("per", self.per.to_string()));
        }
        if page > 1 {
            parts.push(("page", page.to_string()));
        }
        with_query(path, &parts)
    }
}

/// `path?k=v&...`, each value percent-encoded.
pub fn with_query(path: &str, parts: &[(&str, String)]) -> String {
    if parts.is_empty() {
        return path.to_string();
    }
    let qs: Vec<String> = parts.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
    format!("{path}?{}", qs.join("&"))
}

pub fn url_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Params {
        Params::from(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn bad_values_become_sentences_and_are_dropped() {
        let x = p(&[("state", "bogus"), ("type", "nope"), ("page", "x"), ("per", "many")]);
        assert_eq!((x.state, x.r#type, x.page, x.per), (None, None, 1, PER_PAGE));
        assert_eq!(x.problems.len(), 4, "{:?}", x.problems);
        assert!(x.problems[0].contains("\"x\""));
        assert!(x.problems.iter().any(|s| s.starts_with("There is no flow run state \"BOGUS\"")));
        let ok = p(&[("state", "failed"), ("type", "table"), ("page", "3"), ("per", "999")]);
        assert!(ok.problems.is_empty());
        assert_eq!((ok.state.as_deref(), ok.page, ok.per), (Some("FAILED"), 3, MAX_PER));
        assert_eq!(p(&[("page", "0")]).problems.len(), 1);
    }

    #[test]
    fn links_keep_the_filters() {
        let x = p(&[("q", "a b&c"), ("tab", "keyless"), ("per", "3")]);
        assert_eq!(x.link("/", 2), "/?tab=keyless&q=a%20b%26c&per=3&page=2");
        assert_eq!(p(&[]).link("/x/", 1), "/x/");
    }
}
