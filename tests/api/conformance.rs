//! Replays the conformance cases recorded from the reference (tests/conformance/).
//!
//! `scripts/record-conformance` seeded a real Prefect 3.9.1 server, snapshot
//! it into `tests/conformance/fixture.json` and recorded its answers to the
//! four artifact read endpoints in `tests/conformance/cases.json`. This test
//! loads the fixture into a fresh artifactd, sends every case's raw body and
//! compares status and JSON body. Rows of a list answer whose sort keys tie
//! may come in any order (SQLite gives no order among them); a tie group cut
//! by the page boundary only has to agree on its sort-key values.

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::spawn_app_with;

const MIN_CASES: usize = 600;

fn conformance_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

struct Case {
    name: String,
    method: String,
    path: String,
    body: String,
    status: u16,
    response: String,
}

fn load_cases() -> Vec<Case> {
    let path = conformance_dir().join("cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let all: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    all.into_iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("case without {k}: {c}")).to_string();
            Case {
                name: s("name"),
                method: s("method"),
                path: s("path"),
                body: s("body"),
                status: c["status"].as_u64().expect("status") as u16,
                response: s("response"),
            }
        })
        .collect()
}

/// A lax reading of a body parameter as a number, the way the reference
/// accepted it when it answered 200 (`5`, `5.0`, `"5"`, `true`).
fn lax_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// The page the request asked for: (sort column, offset, limit).
fn page_of(path: &str, body: &str) -> (&'static str, f64, f64) {
    let req: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let column = match req.get("sort").and_then(Value::as_str) {
        Some("CREATED_DESC") => "created",
        Some("UPDATED_DESC") => "updated",
        Some("KEY_DESC") | Some("KEY_ASC") => "key",
        _ => "id",
    };
    debug_assert!(path.ends_with("/filter"));
    let offset = lax_number(req.get("offset")).unwrap_or(0.0);
    let limit = lax_number(req.get("limit")).unwrap_or(200.0);
    (column, offset, limit)
}

/// Compares two list answers allowing any order among rows whose sort keys
/// tie. `Err` explains the first difference.
fn compare_rows(expected: &[Value], got: &[Value], column: &str, offset: f64, limit: f64) -> Result<(), String> {
    if expected.len() != got.len() {
        return Err(format!("expected {} rows, got {}", expected.len(), got.len()));
    }
    let key = |r: &Value| r.get(column).cloned().unwrap_or(Value::Null);
    for (i, (e, g)) in expected.iter().zip(got).enumerate() {
        if key(e) != key(g) {
            return Err(format!("row {i}: expected {column} {}, got {}", key(e), key(g)));
        }
    }
    let n = expected.len();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && key(&expected[end]) == key(&expected[start]) {
            end += 1;
        }
        // A group touching the page boundary may continue on the
        // neighbouring page: which of its rows land here is unspecified.
        let cut = (start == 0 && offset > 0.0) || (end == n && n as f64 >= limit);
        if !cut {
            let mut unused: Vec<&Value> = got[start..end].iter().collect();
            for e in &expected[start..end] {
                match unused.iter().position(|g| *g == e) {
                    Some(p) => {
                        unused.swap_remove(p);
                    }
                    None => {
                        let id = e.get("id").cloned().unwrap_or(Value::Null);
                        let same_id = got[start..end].iter().find(|g| g.get("id") == e.get("id"));
                        return Err(match same_id {
                            Some(g) => format!("row id {id} (rows {start}..{end}) differs: got {g}"),
                            None => format!("row id {id} missing among rows {start}..{end} ({column} {})", key(e)),
                        });
                    }
                }
            }
        }
        start = end;
    }
    Ok(())
}

fn check(case: &Case, status: u16, text: &str) -> Result<(), String> {
    if status != case.status {
        return Err(format!("status: expected {}, got {status}", case.status));
    }
    let expected: Value = match serde_json::from_str(&case.response) {
        Ok(v) => v,
        Err(_) => {
            return if text == case.response { Ok(()) } else { Err("body differs (not JSON)".into()) };
        }
    };
    let got: Value = serde_json::from_str(text).map_err(|e| format!("answer is not JSON: {e}"))?;
    match (&expected, &got) {
        (Value::Array(e), Value::Array(g)) if status == 200 && case.path.ends_with("/filter") => {
            let (column, offset, limit) = page_of(&case.path, &case.body);
            compare_rows(e, g, column, offset, limit)
        }
        _ if expected == got => Ok(()),
        _ => Err("body differs".into()),
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 3000;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

#[tokio::test]
async fn artifactd_answers_every_recorded_case_as_the_reference_did() {
    let cases = load_cases();
    assert!(cases.len() >= MIN_CASES, "only {} conformance cases (want at least {MIN_CASES})", cases.len());
    let app = spawn_app_with(vec![conformance_dir().join("fixture.json")]).await;

    let mut failures = Vec::new();
    for case in &cases {
        let path = case.path.strip_prefix("/api").unwrap_or(&case.path);
        let reply = app.send(&case.method, path, Some(&case.body)).await;
        if let Err(why) = check(case, reply.status, &reply.text) {
            failures.push(format!(
                "--- {}\n    why:      {why}\n    request:  {} {} {}\n    expected: {} {}\n    got:      {} {}",
                case.name,
                case.method,
                case.path,
                clip(&case.body),
                case.status,
                clip(&case.response),
                reply.status,
                clip(&reply.text),
            ));
        }
    }
    let passed = cases.len() - failures.len();
    for f in &failures {
        eprintln!("{f}");
    }
    eprintln!("conformance: {passed} of {} cases pass, {} fail", cases.len(), failures.len());
    assert!(failures.is_empty(), "{} of {} conformance cases fail (listed above)", failures.len(), cases.len());
}

#[cfg(test)]
mod comparator {
    use serde_json::json;

    use super::compare_rows;

    fn rows() -> Vec<serde_json::Value> {
        vec![
            json!({"id": "3", "key": "b", "data": 1}),
            json!({"id": "2", "key": "a", "data": 2}),
            json!({"id": "1", "key": "a", "data": 3}),
        ]
    }

    #[test]
    fn tied_rows_may_come_in_any_order() {
        let mut got = rows();
        got.swap(1, 2);
        assert!(compare_rows(&rows(), &got, "key", 0.0, 200.0).is_ok());
        assert!(compare_rows(&rows(), &got, "id", 0.0, 200.0).is_err());
    }

    #[test]
    fn a_tie_group_cut_by_the_page_compares_only_its_keys() {
        let expected = rows()[..2].to_vec();
        let got = vec![rows()[0].clone(), rows()[2].clone()];
        assert!(compare_rows(&expected, &got, "key", 0.0, 2.0).is_ok());
        assert!(compare_rows(&expected, &got, "key", 0.0, 3.0).is_err());
        let expected = rows()[1..].to_vec();
        let got = vec![rows()[2].clone(), rows()[2].clone()];
        assert!(compare_rows(&expected, &got, "key", 0.0, 200.0).is_err());
        assert!(compare_rows(&expected[..1], &got[..1], "key", 1.0, 200.0).is_ok());
    }

    #[test]
    fn a_different_row_or_order_of_keys_is_caught() {
        let mut got = rows();
        got[2]["data"] = json!(4);
        assert!(compare_rows(&rows(), &got, "key", 0.0, 200.0).is_err());
        let mut got = rows();
        got.swap(0, 1);
        assert!(compare_rows(&rows(), &got, "key", 0.0, 200.0).is_err());
        assert!(compare_rows(&rows(), &rows()[..2], "key", 0.0, 200.0).is_err());
    }
}
