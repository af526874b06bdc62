//! The command line, run as a user runs it: the built binary.

use std::process::Command;

fn artifactd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_artifactd"))
}

const FIXTURE: &str = r#"{
  "flows": [{"id": "6a7c0000-0000-4000-8000-000000000001", "created": "2024-05-01T10:00:00Z", "updated": "2024-05-01T10:00:00Z", "name": "reports", "tags": [], "labels": {}}],
  "artifacts": [
    {"id": "6a7c0000-0000-4000-8000-0000000000a1", "created": "2024-05-01T10:00:01Z", "updated": "2024-05-01T10:00:01Z", "key": "weekly", "type": "table", "data": [{"a": 1}]},
    {"id": "6a7c0000-0000-4000-8000-0000000000a2", "created": "2024-05-01T10:00:02Z", "updated": "2024-05-01T10:00:02Z", "key": "weekly", "type": "table", "data": [{"a": 2}]}
  ]
}"#;

#[test]
fn seed_then_export_then_seed_again_gives_the_same_export() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("in.json");
    std::fs::write(&fixture, FIXTURE).unwrap();
    let db1 = dir.path().join("one.db");
    let out1 = dir.path().join("one.json");
    let st = artifactd().args(["seed", "--db"]).arg(&db1).arg(&fixture).status().unwrap();
    assert!(st.success());
    let st = artifactd().args(["export", "--db"]).arg(&db1).arg("--out").arg(&out1).status().unwrap();
    assert!(st.success());
    let db2 = dir.path().join("two.db");
    let out2 = dir.path().join("two.json");
    assert!(artifactd().args(["seed", "--db"]).arg(&db2).arg(&out1).status().unwrap().success());
    assert!(artifactd().args(["export", "--db"]).arg(&db2).arg("--out").arg(&out2).status().unwrap().success());
    let a = std::fs::read_to_string(&out1).unwrap();
    assert_eq!(a, std::fs::read_to_string(&out2).unwrap());
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["artifacts"].as_array().unwrap().len(), 2);
    assert_eq!(v["artifact_collections"][0]["latest_id"], "6a7c0000-0000-4000-8000-0000000000a2");
    assert_eq!(v["flows"][0]["name"], "reports");
}

#[test]
fn a_bad_fixture_is_one_line_naming_the_place_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("bad.json");
    std::fs::write(&fixture, r#"{"artifacts": [{"key": "ok"}, {"data": 1, "metadata_": {"a": 5}}]}"#).unwrap();
    let out = artifactd().args(["seed", "--db"]).arg(dir.path().join("x.db")).arg(&fixture).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("bad.json") && last.contains("artifacts[1].metadata_.a"), "{err}");
}

#[test]
fn serve_refuses_a_port_in_use_and_an_unwritable_database() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = artifactd().args(["serve", "--db", ":memory:", "--port", &port]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen"));
    let out = artifactd().args(["serve", "--db", "/proc/no/such/dir/x.db", "--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot open database"));
}
