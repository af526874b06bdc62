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

/// Starts `artifactd serve` on a free port and waits until it answers.
// The caller owns the child and waits for it (or kills it) when done.
#[allow(clippy::zombie_processes)]
fn serve(db: &std::path::Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = artifactd()
        .args(["serve", "--port", &port.to_string(), "--db"])
        .arg(db)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("server did not start");
}

fn http(port: u16, method: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn sigterm_stops_cleanly_checkpoints_the_wal_and_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let (mut child, port) = serve(&db);
    for i in 0..25 {
        let r = http(port, "POST", "/api/artifacts/", &format!(r#"{{"key": "k", "data": {i}}}"#));
        assert!(r.starts_with("HTTP/1.1 201"), "{r}");
    }
    let st = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
    // The WAL was folded into the database file at shutdown.
    let wal = dir.path().join("a.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
    let (mut child, port) = serve(&db);
    let r = http(port, "POST", "/api/artifacts/count", "{}");
    assert!(r.ends_with("\r\n\r\n25"), "{r}");
    let r = http(port, "GET", "/api/artifacts/k/latest", "");
    assert!(r.contains(r#""data":24"#), "{r}");
    child.kill().unwrap();
    child.wait().unwrap();
}
