//! Durability under fire, through the real binary: a write storm killed with
//! SIGKILL at a random moment must lose no acknowledged write and leave the
//! latest-by-key rows right; concurrent writers on one key never see
//! "database is locked" and readers always see consistent answers.
//!
//! `ARTIFACTD_CRASH_ROUNDS` sets how many kill/restart rounds run (default 3;
//! e.g. 50 for a long run).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Starts `artifactd serve` on a port of its own choosing (port 0, read
/// back from its log line), so tests running side by side can never meet
/// on one port; the caller owns the child and waits for it (or kills it).
#[allow(clippy::zombie_processes)]
fn serve(db: &std::path::Path) -> (Child, u16) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_artifactd"))
        .args(["serve", "--port", "0", "--db"])
        .arg(db)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads the log until the server says where it listens, then keeps
    // draining it so the pipe never fills.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("serving http://127.0.0.1:").nth(1) {
                let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                let _ = tx.send(port.parse::<u16>().ok());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(port)) => (child, port),
        _ => panic!("server did not start"),
    }
}

/// One HTTP/1.1 request on its own connection: (status, body), or None if
/// the connection failed (the server may have been killed mid-request).
fn http(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status: u16 = out.get(9..12)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Some((status, body))
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
}

/// A small deterministic generator, so a failing round can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[derive(Default)]
struct Ledger {
    /// id -> (key, data) for every create answered 201.
    created: HashMap<String, (String, i64)>,
    /// ids whose delete was answered 204.
    deleted: HashSet<String>,
    /// ids whose delete was sent (answered or cut off by the kill).
    delete_sent: HashSet<String>,
    server_errors: Vec<String>,
}

fn storm(port: u16, stop: Arc<AtomicBool>, ledger: Arc<Mutex<Ledger>>, seed: u64) {
    let mut rng = Lcg(seed);
    let mut mine: Vec<String> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let roll = rng.next() % 10;
        if roll < 7 || mine.is_empty() {
            let key = format!("key-{}", rng.next() % 100);
            let data = (rng.next() % 1_000_000) as i64;
            match http(port, "POST", "/api/artifacts/", &format!(r#"{{"key": "{key}", "data": {data}}}"#)) {
                Some((201, b)) => {
                    let id = json(&b)["id"].as_str().unwrap_or_default().to_string();
                    mine.push(id.clone());
                    ledger.lock().unwrap().created.insert(id, (key, data));
                }
                Some((s, b)) if s >= 500 => ledger.lock().unwrap().server_errors.push(format!("{s} {b}")),
                Some(_) => {}
                None => return,
            }
        } else if roll < 9 {
            let id = &mine[(rng.next() as usize) % mine.len()];
            match http(port, "PATCH", &format!("/api/artifacts/{id}"), r#"{"description": "touched"}"#) {
                Some((s, b)) if s >= 500 => ledger.lock().unwrap().server_errors.push(format!("{s} {b}")),
                None => return,
                _ => {}
            }
        } else {
            let id = mine.swap_remove((rng.next() as usize) % mine.len());
            ledger.lock().unwrap().delete_sent.insert(id.clone());
            match http(port, "DELETE", &format!("/api/artifacts/{id}"), "") {
                Some((204, _)) => {
                    ledger.lock().unwrap().deleted.insert(id);
                }
                Some((s, b)) if s >= 500 => ledger.lock().unwrap().server_errors.push(format!("{s} {b}")),
                None => return,
                _ => {}
            }
        }
    }
}

/// Kills the server when dropped, so a failed assertion leaves nothing running.
struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn check_database(db: &std::path::Path, ledger: &Ledger) {
    let (child, port) = serve(db);
    let server = Server(child);
    // Every acknowledged create that was not acknowledged deleted is there, with its data.
    for (id, (key, data)) in &ledger.created {
        let (status, body) = http(port, "GET", &format!("/api/artifacts/{id}"), "").expect("server answers");
        if ledger.deleted.contains(id) {
            assert_eq!(status, 404, "acknowledged delete of {id} was lost");
        } else if ledger.delete_sent.contains(id) {
            // A delete cut off by the kill may or may not have committed.
            assert!(status == 200 || status == 404);
        } else {
            assert_eq!(status, 200, "acknowledged create of {id} was lost");
            let v = json(&body);
            assert_eq!(v["data"], serde_json::json!(data));
            assert_eq!(v["key"], serde_json::json!(key));
        }
    }
    drop(server);
    // Latest-by-key rows name each key's newest artifact; no orphan rows.
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let wrong: i64 = conn
        .query_row(
            "SELECT count(*) FROM artifact_collection c WHERE c.latest_id IS NOT
               (SELECT a.id FROM artifact a WHERE a.key = c.key ORDER BY a.created DESC, a.id DESC LIMIT 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(wrong, 0, "collection rows that do not name their key's newest artifact");
    let missing: i64 = conn
        .query_row(
            "SELECT count(DISTINCT key) FROM artifact WHERE key IS NOT NULL AND key NOT IN (SELECT key FROM artifact_collection)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0, "keys with artifacts but no collection row");
    let dupes: i64 = conn
        .query_row("SELECT count(*) - count(DISTINCT key) FROM artifact_collection", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dupes, 0);
}

#[test]
fn sigkill_during_a_write_storm_loses_no_acknowledged_write() {
    let rounds: u64 = std::env::var("ARTIFACTD_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("storm.db");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Lcg(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    for round in 0..rounds {
        let (mut child, port) = serve(&db);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..16)
            .map(|i| {
                let (stop, ledger) = (stop.clone(), ledger.clone());
                let seed = rng.next() ^ (i as u64) ^ (round << 32);
                std::thread::spawn(move || storm(port, stop, ledger, seed))
            })
            .collect();
        let kill_after = Duration::from_millis(200 + rng.next() % 1200);
        std::thread::sleep(kill_after);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
        let l = ledger.lock().unwrap();
        assert!(l.server_errors.is_empty(), "5xx during the storm: {:?}", &l.server_errors[..l.server_errors.len().min(5)]);
        eprintln!("round {round}: killed after {kill_after:?}; {} acknowledged creates, {} deletes so far", l.created.len(), l.deleted.len());
        check_database(&db, &l);
    }
}

#[test]
fn concurrent_writers_on_one_key_and_readers_see_consistent_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hot.db");
    let (mut child, port) = serve(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers: Vec<_> = (0..12)
        .map(|i| {
            let errors = errors.clone();
            std::thread::spawn(move || {
                for n in 0..40 {
                    match http(port, "POST", "/api/artifacts/", &format!(r#"{{"key": "hot", "data": {}}}"#, i * 1000 + n)) {
                        Some((201, _)) => {}
                        other => errors.lock().unwrap().push(format!("create: {other:?}")),
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, errors) = (stop.clone(), errors.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let Some((200, rows)) = http(port, "POST", "/api/artifacts/latest/filter", r#"{"artifacts": {"key": {"any_": ["hot"]}}}"#) else {
                        errors.lock().unwrap().push("latest/filter failed".into());
                        continue;
                    };
                    let rows = json(&rows);
                    let Some(row) = rows.get(0) else { continue };
                    // The collection row must name the key's newest artifact at
                    // this moment or a newer one (it is read after).
                    let Some((200, newest)) = http(port, "POST", "/api/artifacts/filter", r#"{"artifacts": {"key": {"any_": ["hot"]}}, "sort": "CREATED_DESC", "limit": 1}"#) else { continue };
                    let newest = json(&newest);
                    if row["updated"].as_str() > newest[0]["created"].as_str() {
                        errors.lock().unwrap().push(format!("collection ahead of artifacts: {row} vs {newest}"));
                    }
                    let total = http(port, "POST", "/api/artifacts/count", "{}").map(|(_, b)| b);
                    let keyed = http(port, "POST", "/api/artifacts/count", r#"{"artifacts": {"key": {"exists_": true}}}"#).map(|(_, b)| b);
                    if let (Some(t), Some(k)) = (total, keyed) {
                        if k.parse::<i64>().unwrap_or(-1) > t.parse::<i64>().unwrap_or(-1) + 1000 {
                            errors.lock().unwrap().push("inconsistent counts".into());
                        }
                    }
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let errors = errors.lock().unwrap();
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(5)]);
    let (_, rows) = http(port, "POST", "/api/artifacts/latest/filter", "{}").unwrap();
    let (_, newest) = http(port, "POST", "/api/artifacts/filter", r#"{"sort": "CREATED_DESC", "limit": 1}"#).unwrap();
    let rows = json(&rows);
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["latest_id"], json(&newest)[0]["id"]);
    assert_eq!(http(port, "POST", "/api/artifacts/count", "{}").unwrap().1, "480");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `artifactd export` against a database a running server is writing to
/// reads one transaction: every export is consistent in itself.
#[test]
fn export_while_the_server_writes_is_a_consistent_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let (child, port) = serve(&db);
    let server = Server(child);
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let (stop, ledger) = (stop.clone(), ledger.clone());
            std::thread::spawn(move || storm(port, stop, ledger, 77 + i))
        })
        .collect();
    for _ in 0..8 {
        std::thread::sleep(Duration::from_millis(100));
        let out = Command::new(env!("CARGO_BIN_EXE_artifactd")).args(["export", "--db"]).arg(&db).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v = json(&String::from_utf8_lossy(&out.stdout));
        let arts = v["artifacts"].as_array().unwrap();
        let mut newest: HashMap<&str, (&str, &str)> = HashMap::new();
        for a in arts {
            if let (Some(k), Some(c), Some(id)) = (a["key"].as_str(), a["created"].as_str(), a["id"].as_str()) {
                let e = newest.entry(k).or_insert((c, id));
                if (c, id) > *e {
                    *e = (c, id);
                }
            }
        }
        let colls = v["artifact_collections"].as_array().unwrap();
        assert_eq!(colls.len(), newest.len(), "one collection row per key in the snapshot");
        for c in colls {
            let k = c["key"].as_str().unwrap();
            assert_eq!(Some(c["latest_id"].as_str().unwrap()), newest.get(k).map(|e| e.1), "key {k}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    drop(server);
}

/// SIGTERM while 16 clients write: in-flight requests finish, the process
/// exits 0, and every acknowledged write is there after a restart.
#[test]
fn sigterm_under_load_exits_cleanly_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("term.db");
    let (mut child, port) = serve(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let writers: Vec<_> = (0..16)
        .map(|i| {
            let (stop, ledger) = (stop.clone(), ledger.clone());
            std::thread::spawn(move || storm(port, stop, ledger, 1000 + i))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));
    let st = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let status = child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    assert!(status.success(), "exit status {status:?}");
    let l = ledger.lock().unwrap();
    assert!(l.server_errors.is_empty(), "{:?}", &l.server_errors[..l.server_errors.len().min(5)]);
    assert!(!l.created.is_empty());
    check_database(&db, &l);
}
