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

/// The names in a folder, sorted.
fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Runs the command to its end, or kills it and fails after 60 s (a serve
/// that should have refused to start must not hang the test).
fn finish(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..2400 {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    panic!("still running after 60 s: {}", String::from_utf8_lossy(&out.stderr));
}

/// The last line of stderr, which must be the command's one-line error.
fn error_line(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "expected a failure: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = err.lines().last().unwrap_or_default().to_string();
    assert!(last.starts_with("artifactd: "), "{err}");
    last
}

const GOOD: &str = r#"{"artifacts": [{"id": "6a7c0000-0000-4000-8000-0000000000b1", "created": "2024-05-01T10:00:01Z", "key": "kept", "type": "table", "data": [1]}]}"#;

#[test]
fn a_failed_seed_or_serve_leaves_no_new_file_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("misspelled.json"), r#"{"flows": [{"name": "f"}], "artifact": [{"key": "a"}]}"#).unwrap();
    std::fs::write(d.join("badfield.json"), r#"{"artifacts": [{"key": "Not A Key"}]}"#).unwrap();
    std::fs::write(d.join("good.json"), GOOD).unwrap();
    let before = listing(d);
    let db = d.join("new.db");

    let last = error_line(&finish(artifactd().args(["seed", "--db"]).arg(&db).arg(d.join("misspelled.json"))));
    assert!(last.contains(r#"unknown top-level key "artifact""#), "{last}");
    assert!(last.contains("allowed: flows, deployments, flow_runs, task_runs, artifacts, artifact_collections"), "{last}");
    assert_eq!(listing(d), before);

    error_line(&finish(artifactd().args(["seed", "--db"]).arg(&db).arg(d.join("badfield.json"))));
    assert_eq!(listing(d), before);
    error_line(&finish(artifactd().args(["seed", "--db"]).arg(&db).arg(d.join("absent.json"))));
    assert_eq!(listing(d), before);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let last = error_line(&finish(
        artifactd().args(["serve", "--port", &port, "--fixtures"]).arg(d.join("good.json")).arg("--db").arg(&db),
    ));
    assert!(last.contains("cannot listen"), "{last}");
    assert_eq!(listing(d), before);
    error_line(&finish(
        artifactd().args(["serve", "--port", "0", "--fixtures"]).arg(d.join("misspelled.json")).arg("--db").arg(&db),
    ));
    assert_eq!(listing(d), before);
    error_line(&finish(artifactd().args(["serve", "--port", "0", "--db"]).arg(d.join("no-such-dir/x.db"))));
    assert_eq!(listing(d), before);

    // A database that was there keeps its files, and its content.
    assert!(finish(artifactd().args(["seed", "--db"]).arg(&db).arg(d.join("good.json"))).status.success());
    let files = listing(d);
    let export = || finish(artifactd().args(["export", "--db"]).arg(&db)).stdout;
    let content = export();
    error_line(&finish(artifactd().args(["seed", "--db"]).arg(&db).arg(d.join("misspelled.json"))));
    assert_eq!(listing(d), files);
    assert_eq!(export(), content);
    assert_eq!(listing(d), files, "export leaves no file behind either");
}

/// Makes `paths` unwritable even for root (`chattr +i`) and undoes it on
/// drop; without chattr, mode 444/555 where that binds (not root).
struct Unwritable(Vec<std::path::PathBuf>);

impl Unwritable {
    /// None when no way to make a file unwritable works here (root on a
    /// file system or in a container without `chattr +i`).
    fn new(paths: &[std::path::PathBuf]) -> Option<Unwritable> {
        let immutable = Command::new("chattr").arg("+i").args(paths).status().is_ok_and(|s| s.success());
        if immutable {
            return Some(Unwritable(paths.to_vec()));
        }
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if root {
            eprintln!("SKIPPED: running as root where chattr +i is not available, so no file can be made unwritable");
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        for p in paths {
            let mode = if p.is_dir() { 0o555 } else { 0o444 };
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        Some(Unwritable(vec![]))
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let _ = Command::new("chattr").arg("-i").args(&self.0).status();
        }
        use std::os::unix::fs::PermissionsExt;
        for p in &self.0 {
            let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn an_unwritable_database_is_a_one_line_error_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let (fixture, db) = (dir.path().join("good.json"), dir.path().join("x.db"));
    std::fs::write(&fixture, GOOD).unwrap();
    assert!(finish(artifactd().args(["seed", "--db"]).arg(&db).arg(&fixture)).status.success());
    let bytes = std::fs::read(&db).unwrap();
    let exported = finish(artifactd().args(["export", "--db"]).arg(&db)).stdout;
    let files = listing(dir.path());
    let Some(_guard) = Unwritable::new(std::slice::from_ref(&db)) else { return };
    let out = finish(artifactd().args(["export", "--db"]).arg(&db));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.stdout, exported, "an unwritable database still exports");
    assert_eq!(listing(dir.path()), files, "and export leaves no -wal/-shm beside it");
    let last = error_line(&finish(artifactd().args(["seed", "--db"]).arg(&db).arg(&fixture)));
    assert!(last.contains("cannot be written"), "{last}");
    let last = error_line(&finish(artifactd().args(["serve", "--port", "0", "--db"]).arg(&db)));
    assert!(last.contains("cannot be written") && last.contains("--read-only"), "{last}");
    assert_eq!(std::fs::read(&db).unwrap(), bytes);
}

/// Starts `serve` with `args` and waits for it to answer health, or fails.
#[allow(clippy::zombie_processes)]
fn serve_with(args: &[&std::ffi::OsStr]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = artifactd()
        .args(["serve", "--port", &port.to_string()])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("serve exited with {status}: {err}");
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    child.kill().unwrap();
    panic!("server did not start in 30 s");
}

fn stop(mut child: std::process::Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn read_only_serves_a_wal_database_on_a_read_only_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (fixture, ro) = (dir.path().join("good.json"), dir.path().join("ro"));
    std::fs::write(&fixture, GOOD).unwrap();
    std::fs::create_dir(&ro).unwrap();
    let db = ro.join("demo.db");
    assert!(finish(artifactd().args(["seed", "--db"]).arg(&db).arg(&fixture)).status.success());
    let mode = rusqlite::Connection::open(&db).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0));
    assert_eq!(mode.unwrap(), "wal");
    let exported = finish(artifactd().args(["export", "--db"]).arg(&db)).stdout;
    let files = listing(&ro);
    let Some(_guard) = Unwritable::new(&[db.clone(), ro.clone()]) else { return };

    let (child, port) = serve_with(&["--read-only".as_ref(), "--db".as_ref(), db.as_os_str()]);
    let r = http(port, "POST", "/api/artifacts/latest/filter", "{}");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains(r#""key":"kept""#), "{r}");
    let r = http(port, "GET", "/api/artifacts/6a7c0000-0000-4000-8000-0000000000b1", "");
    assert!(r.starts_with("HTTP/1.1 200") && r.contains(r#""data":[1]"#), "{r}");
    let r = http(port, "POST", "/api/artifacts/", r#"{"key": "new"}"#);
    assert!(r.starts_with("HTTP/1.1 405"), "{r}");
    stop(child);
    assert_eq!(listing(&ro), files);
    assert_eq!(finish(artifactd().args(["export", "--db"]).arg(&db)).stdout, exported, "export reads it too");

    let last = error_line(&finish(artifactd().args(["serve", "--port", "0", "--db"]).arg(&db)));
    assert!(last.contains("cannot be written"), "{last}");
    let last = error_line(&finish(
        artifactd().args(["serve", "--port", "0", "--read-only", "--fixtures"]).arg(&fixture).arg("--db").arg(&db),
    ));
    assert!(last.contains("--fixtures cannot be loaded") && last.contains("--db :memory:"), "{last}");
}

#[test]
fn read_only_refuses_an_older_schema_and_a_missing_database_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let (fixture, db) = (dir.path().join("good.json"), dir.path().join("old.db"));
    std::fs::write(&fixture, GOOD).unwrap();
    assert!(finish(artifactd().args(["seed", "--db"]).arg(&db).arg(&fixture)).status.success());
    // As a release with only V1 and V2 would have left it (the history).
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM refinery_schema_history WHERE version > 2", []).unwrap();
    drop(conn);
    let last = error_line(&finish(artifactd().args(["serve", "--port", "0", "--read-only", "--db"]).arg(&db)));
    assert!(last.contains("schema version 2") && last.contains("migrations cannot run"), "{last}");
    let missing = dir.path().join("missing.db");
    let last = error_line(&finish(artifactd().args(["serve", "--port", "0", "--read-only", "--db"]).arg(&missing)));
    assert!(last.contains("does not exist"), "{last}");
    assert!(!missing.exists());
}

#[test]
fn eight_servers_starting_together_on_one_new_file_all_come_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let starting: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || serve_with(&["--db".as_ref(), db.as_os_str()]))
        })
        .collect();
    let servers: Vec<_> = starting.into_iter().map(|t| t.join().expect("every server comes up")).collect();
    for (i, (_, port)) in servers.iter().enumerate() {
        let r = http(*port, "POST", "/api/artifacts/", &format!(r#"{{"key": "k", "data": {i}}}"#));
        assert!(r.starts_with("HTTP/1.1 201"), "{r}");
    }
    let r = http(servers[0].1, "POST", "/api/artifacts/count", "{}");
    assert!(r.ends_with("\r\n\r\n8"), "{r}");
    for (child, _) in servers {
        stop(child);
    }
}

#[test]
fn prefect_ui_without_a_prefect_on_path_fails_start_up_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // No python3 at all on PATH.
    let out = artifactd().args(["serve", "--db", ":memory:", "--port", "0", "--prefect-ui"]).env("PATH", dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no python3 on PATH") && err.contains("--prefect-ui DIR"), "{err}");
    // A python3 without the prefect package (this one exits as find_spec's
    // None makes the probe exit).
    let fake = dir.path().join("python3");
    std::fs::write(&fake, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = artifactd()
        .args(["serve", "--db", ":memory:", "--port", "0"])
        .env("PATH", dir.path())
        .env("ARTIFACTD_PREFECT_UI", "auto")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no prefect package") && err.contains("--prefect-ui DIR"), "{err}");
    // A directory that holds no build.
    let out = artifactd().args(["serve", "--db", ":memory:", "--port", "0", "--prefect-ui"]).arg(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Prefect UI build in"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn push_argument_errors_are_one_line_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing is ever reached, since each of
    // these fails before the first request.
    let to = "http://127.0.0.1:9";
    let no_fixture = finish(artifactd().args(["push", "--to", to]).env_remove("PREFECT_API_URL"));
    assert!(!no_fixture.status.success());
    let err = String::from_utf8_lossy(&no_fixture.stderr);
    assert!(err.contains("required") && err.contains("<PATHS>"), "{err}");

    let missing = dir.path().join("missing.json");
    let out = finish(artifactd().args(["push", "--to", to]).arg(&missing));
    assert_eq!(error_line(&out), format!("artifactd: fixture {} does not exist", missing.display()));

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"artifacts": [{"key": "ok"}, {"data": 1, "metadata_": {"a": 5}}]}"#).unwrap();
    let line = error_line(&finish(artifactd().args(["push", "--to", to]).arg(&bad)));
    assert!(line.contains("bad.json") && line.contains("artifacts[1].metadata_.a"), "{line}");
    assert!(!line.contains("cannot reach"), "{line}");

    let line = error_line(&finish(artifactd().args(["push", "--to", "ftp://h"]).arg(&bad)));
    assert_eq!(line, r#"artifactd: --to "ftp://h" is not an http(s) URL"#);
}

/// A fixture over the bulk-load threshold (1 MB): runs with states,
/// artifacts over keys that all have their latest row (so nothing is
/// derived, and two loads agree byte for byte), and `tail` spliced in as
/// the last artifact.
fn big_fixture(tail: &str) -> String {
    let mut runs = Vec::new();
    let mut arts = Vec::new();
    let mut colls = Vec::new();
    let data = format!("[{}]", (0..40).map(|i| format!("{{\"x\":{i},\"s\":\"é☃{i}\"}}")).collect::<Vec<_>>().join(","));
    for i in 0..1500 {
        let t = format!("2024-05-01T10:{:02}:{:02}.{i:06}Z", (i / 60) % 60, i % 60);
        let run = format!("6a7c0000-0000-4000-9000-{i:012}");
        if i % 10 == 0 {
            runs.push(format!(
                r#"{{"id":"{run}","created":"{t}","updated":"{t}","name":"run-{i}","flow_id":"6a7c0000-0000-4000-8000-000000000001","state":{{"id":"6a7c0000-0000-4000-b000-{i:012}","type":"COMPLETED","name":"Completed","timestamp":"{t}"}}}}"#
            ));
        }
        let id = format!("6a7c0000-0000-4000-a000-{i:012}");
        arts.push(format!(
            r#"{{"id":"{id}","created":"{t}","updated":"{t}","key":"key-{}","type":"table","data":{data},"flow_run_id":"{run}"}}"#,
            i % 100
        ));
        if i >= 1400 {
            colls.push(format!(
                r#"{{"id":"6a7c0000-0000-4000-c000-{i:012}","created":"{t}","updated":"{t}","key":"key-{}","latest_id":"{id}","type":"table","data":{data}}}"#,
                i % 100
            ));
        }
    }
    arts.push(tail.to_string());
    arts.retain(|a| !a.is_empty());
    let f = format!(
        r#"{{"flows":[{BIG_FLOW}],"flow_runs":[{}],"artifacts":[{}],"artifact_collections":[{}]}}"#,
        runs.join(","),
        arts.join(","),
        colls.join(",")
    );
    assert!(f.len() > 1 << 20, "over the bulk threshold: {}", f.len());
    f
}

fn schema_of(db: &std::path::Path) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name")
        .unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn seed_ok(db: &std::path::Path, fixture: &std::path::Path) {
    let out = artifactd().args(["seed", "--db"]).arg(db).arg(fixture).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn export_of(db: &std::path::Path, out: &std::path::Path) -> String {
    let st = artifactd().args(["export", "--db"]).arg(db).arg("--out").arg(out).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    std::fs::read_to_string(out).unwrap()
}

const BIG_FLOW: &str = r#"{"id":"6a7c0000-0000-4000-8000-000000000001","created":"2024-05-01T10:00:00Z","updated":"2024-05-01T10:00:00Z","name":"reports"}"#;

#[test]
fn a_bulk_seed_into_an_empty_file_and_an_upsert_seed_export_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("big.json").tap_write(&big_fixture(""));
    // Into a new file: the bulk path (indexes built at the end).
    let bulk = dir.path().join("bulk.db");
    seed_ok(&bulk, &fixture);
    // Into a file that already holds the same flow: the upsert path.
    let upsert = dir.path().join("upsert.db");
    seed_ok(&upsert, &dir.path().join("flow.json").tap_write(&format!(r#"{{"flows":[{BIG_FLOW}]}}"#)));
    seed_ok(&upsert, &fixture);
    let b = export_of(&bulk, &dir.path().join("bulk.json"));
    assert_eq!(b, export_of(&upsert, &dir.path().join("upsert.json")));
    assert!(b.contains("key-7") && b.contains("é☃") && b.contains("6a7c0000-0000-4000-b000-000000000010"));
    assert_eq!(schema_of(&bulk), schema_of(&upsert), "every index and trigger is back after a bulk load");
    // The like_ index holds the same keys and trigrams either way.
    let index_of = |db: &std::path::Path| -> Vec<(String, i64)> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT k.key, (SELECT count(*) FROM artifact_key_trigram t WHERE t.key_id = k.id) \
                 FROM artifact_key k ORDER BY k.key",
            )
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    let keys = index_of(&bulk);
    assert!(keys.len() >= 100 && keys.iter().all(|(_, n)| *n > 0), "{keys:?}");
    assert_eq!(keys, index_of(&upsert));
}

#[test]
fn a_failed_bulk_seed_leaves_an_empty_database_empty_with_every_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    seed_ok(&db, &dir.path().join("nothing.json").tap_write("{}"));
    let before = schema_of(&db);
    let fixture = dir.path().join("bad.json").tap_write(&big_fixture(r#"{"key": "Not A Key"}"#));
    let out = artifactd().args(["seed", "--db"]).arg(&db).arg(&fixture).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.json: artifacts[1500].key"), "{err}");
    assert_eq!(schema_of(&db), before);
    let conn = rusqlite::Connection::open(&db).unwrap();
    for t in ["flow", "flow_run", "artifact", "artifact_collection", "flow_run_state"] {
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0, "{t}");
    }
}

/// Writes `text` to the path and gives the path back.
trait TapWrite {
    fn tap_write(self, text: &str) -> std::path::PathBuf;
}

impl TapWrite for std::path::PathBuf {
    fn tap_write(self, text: &str) -> std::path::PathBuf {
        std::fs::write(&self, text).unwrap();
        self
    }
}
