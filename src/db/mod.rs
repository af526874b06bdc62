//! The database: one writer connection behind a mutex (SQLite allows one
//! writer at a time; queuing writers here instead of in SQLite means no
//! request ever sees "database is locked"), with group commit: writes that
//! queue up behind one another share one COMMIT (one fsync), and none is
//! answered before the COMMIT that holds it. Also a pool of readers that WAL
//! lets run beside it. All SQL lives in this module's files.

pub mod artifacts;
pub mod logs;
pub mod related;
pub mod runs;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

mod embedded {
    refinery::embed_migrations!("migrations");
}

pub type ReadConn = r2d2::PooledConnection<SqliteConnectionManager>;

/// Hands out strictly increasing timestamps to writes, so that within one
/// database `created` order and commit order always agree.
pub struct Clock {
    last: DateTime<Utc>,
}

impl Clock {
    pub fn tick(&mut self) -> DateTime<Utc> {
        let now = Utc::now();
        // Microseconds are the stored precision.
        let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
        let t = if now > self.last { now } else { self.last + chrono::Duration::microseconds(1) };
        self.last = t;
        t
    }
}

pub struct Writer {
    pub conn: Connection,
    pub clock: Clock,
    /// A transaction is open, holding the writes of the current group.
    open: bool,
    /// Writes in the open group.
    in_group: usize,
    /// Counts finished groups; a write waits until it passes its own.
    group: u64,
    /// Whether each recent group committed (the error text if not).
    outcomes: std::collections::VecDeque<(u64, Result<(), String>)>,
}

/// The writer and what write() needs to coordinate group commits.
struct WriteSide {
    writer: Mutex<Writer>,
    committed: Condvar,
    /// Writes waiting for the writer lock: the group stays open for them.
    queued: AtomicUsize,
}

/// A group never grows past this, so a steady stream of writes still
/// commits regularly.
const MAX_GROUP: usize = 64;

impl Writer {
    /// Ends the open group: COMMIT (or ROLLBACK if COMMIT failed) and record
    /// its outcome for the writes waiting on it.
    fn finish_group(&mut self) -> Result<(), String> {
        if !self.open {
            return Ok(());
        }
        let result = self.conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.open = false;
        self.in_group = 0;
        self.outcomes.push_back((self.group, result.clone()));
        while self.outcomes.len() > 64 {
            self.outcomes.pop_front();
        }
        self.group += 1;
        result
    }

    fn outcome(&self, group: u64) -> Result<(), String> {
        self.outcomes
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| Err("commit outcome lost".into()))
    }
}

#[derive(Clone)]
pub struct Db {
    readers: r2d2::Pool<SqliteConnectionManager>,
    side: Arc<WriteSide>,
    path: PathBuf,
    /// Keeps the folder of a `:memory:` database alive as long as the Db.
    _scratch: Option<Arc<tempfile::TempDir>>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. `:memory:` gives a throwaway database in a
    /// temporary folder, so that readers and the writer share it.
    pub fn open(path: &str) -> anyhow::Result<Db> {
        let (file, scratch) = if path == ":memory:" {
            let dir = tempfile::Builder::new().prefix("artifactd-").tempdir()?;
            (dir.path().join("artifactd.db"), Some(Arc::new(dir)))
        } else {
            (PathBuf::from(path), None)
        };
        let conn = Connection::open_with_flags(
            &file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database {}", file.display()))?;
        let mut conn = conn;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .with_context(|| format!("cannot use database {}", file.display()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!("database {} cannot use WAL mode (got {mode})", file.display());
        }
        configure(&conn)?;
        embedded::migrations::runner()
            .run(&mut conn)
            .with_context(|| format!("cannot migrate database {}", file.display()))?;
        let last: Option<String> = conn
            .query_row("SELECT max(created) FROM artifact", [], |r| r.get(0))
            .ok()
            .flatten();
        let last = last
            .and_then(|s| crate::timefmt::parse_stored(&s))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);

        let manager = SqliteConnectionManager::file(&file)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(Duration::from_secs(30))?;
                c.set_prepared_statement_cache_capacity(64);
                Ok(())
            });
        let readers = r2d2::Pool::builder()
            .max_size(reader_pool_size())
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .context("cannot open reader connections")?;
        Ok(Db {
            readers,
            side: Arc::new(WriteSide {
                writer: Mutex::new(Writer {
                    conn,
                    clock: Clock { last },
                    open: false,
                    in_group: 0,
                    group: 0,
                    outcomes: Default::default(),
                }),
                committed: Condvar::new(),
                queued: AtomicUsize::new(0),
            }),
            path: file,
            _scratch: scratch,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn reader(&self) -> Result<ReadConn, r2d2::Error> {
        self.readers.get()
    }

    /// Runs `f` on the writer inside its own savepoint: its changes stay
    /// when it returns Ok and are undone when it returns Err. Returns only
    /// after the COMMIT that holds them (shared with the writes queued
    /// behind it). Blocking: call from `web::block`.
    pub fn write<T, E>(&self, f: impl FnOnce(&Connection, &mut Clock) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<anyhow::Error>,
    {
        let side = &*self.side;
        side.queued.fetch_add(1, Ordering::SeqCst);
        let locked = side.writer.lock();
        side.queued.fetch_sub(1, Ordering::SeqCst);
        let mut w = locked.map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        if !w.open {
            w.conn.execute_batch("BEGIN IMMEDIATE")?;
            w.open = true;
        }
        if let Err(e) = w.conn.execute_batch("SAVEPOINT write") {
            let _ = w.finish_group();
            side.committed.notify_all();
            return Err(e.into());
        }
        let wr = &mut *w;
        let out = f(&wr.conn, &mut wr.clock);
        let closed = match &out {
            Ok(_) => w.conn.execute_batch("RELEASE write"),
            Err(_) => w.conn.execute_batch("ROLLBACK TO write; RELEASE write"),
        };
        if let Err(e) = closed {
            // The group cannot go on safely: end it now.
            let _ = w.finish_group();
            side.committed.notify_all();
            return Err(e.into());
        }
        w.in_group += 1;
        let mine = w.group;
        if side.queued.load(Ordering::SeqCst) == 0 || w.in_group >= MAX_GROUP {
            // Nobody is about to join: this write closes the group.
            let committed = w.finish_group();
            side.committed.notify_all();
            committed.map_err(|e| anyhow::anyhow!("commit failed: {e}"))?;
            return out;
        }
        // A queued write will join this group and close it; wait for that.
        while w.group == mine {
            w = side
                .committed
                .wait(w)
                .map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        }
        w.outcome(mine).map_err(|e| anyhow::anyhow!("commit failed: {e}"))?;
        out
    }

    /// Locks the writer for maintenance, first committing any open group.
    fn writer_idle(&self) -> anyhow::Result<std::sync::MutexGuard<'_, Writer>> {
        let mut w = self.side.writer.lock().map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        if w.open {
            let r = w.finish_group();
            self.side.committed.notify_all();
            r.map_err(|e| anyhow::anyhow!("commit failed: {e}"))?;
        }
        Ok(w)
    }

    /// Refreshes the planner's statistics and folds the WAL back into the
    /// main file (used at shutdown and after loading fixtures).
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        let guard = self.writer_idle()?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 0; PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Brings the planner's statistics up to date where they are missing or
    /// stale. Statistics let SQLite choose well (e.g. walk the id index for
    /// `type = 'table' ORDER BY id LIMIT 50` rather than sort every table
    /// artifact). A full analysis (no `analysis_limit`: sampling the first
    /// rows of an index sorted by type misjudges it badly) takes about a
    /// second at a million artifacts, so this runs off the start-up path.
    pub fn optimize(&self) -> anyhow::Result<()> {
        let guard = self.writer_idle()?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002;")?;
        Ok(())
    }

    /// Sets the writer's page cache size.
    pub fn set_cache_size_kib(&self, kib: i64) -> anyhow::Result<()> {
        let guard = self.writer_idle()?;
        guard.conn.execute_batch(&format!("PRAGMA cache_size = -{};", kib.max(0)))?;
        Ok(())
    }

    /// Gathers fresh planner statistics (after a bulk load).
    pub fn analyze(&self) -> anyhow::Result<()> {
        let guard = self.writer_idle()?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 0; ANALYZE;")?;
        Ok(())
    }
}

fn reader_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u32;
    (cores * 2).clamp(2, 16)
}
