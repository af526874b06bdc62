//! The database: one writer connection behind a mutex (SQLite allows one
//! writer at a time; queuing writers here instead of in SQLite means no
//! request ever sees "database is locked"), and a pool of readers that WAL
//! lets run beside it. All SQL lives in this module's files.

pub mod artifacts;
pub mod logs;
pub mod related;
pub mod runs;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

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
}

#[derive(Clone)]
pub struct Db {
    readers: r2d2::Pool<SqliteConnectionManager>,
    writer: Arc<Mutex<Writer>>,
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
            writer: Arc::new(Mutex::new(Writer { conn, clock: Clock { last } })),
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

    /// Runs `f` in one IMMEDIATE transaction on the writer; commits when it
    /// returns Ok, rolls back otherwise. Blocking: call from `web::block`.
    pub fn write<T, E>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction, &mut Clock) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error> + From<anyhow::Error>,
    {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        let w = &mut *guard;
        let tx = w.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx, &mut w.clock)?;
        tx.commit()?;
        Ok(out)
    }

    /// Refreshes the planner's statistics and folds the WAL back into the
    /// main file (used at shutdown and after loading fixtures).
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        let guard = self.writer.lock().map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 400; PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Brings the planner's statistics up to date where they are missing or
    /// stale. Statistics let SQLite choose well (e.g. walk the id index for
    /// `type = 'table' ORDER BY id LIMIT 50` rather than sort every table
    /// artifact); the analysis limit keeps this to a fraction of a second
    /// even at a million artifacts. Run off the start-up path.
    pub fn optimize(&self) -> anyhow::Result<()> {
        let guard = self.writer.lock().map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 400; PRAGMA optimize = 0x10002;")?;
        Ok(())
    }

    /// Sets the writer's page cache size.
    pub fn set_cache_size_kib(&self, kib: i64) -> anyhow::Result<()> {
        let guard = self.writer.lock().map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        guard.conn.execute_batch(&format!("PRAGMA cache_size = -{};", kib.max(0)))?;
        Ok(())
    }

    /// Gathers fresh planner statistics (after a bulk load).
    pub fn analyze(&self) -> anyhow::Result<()> {
        let guard = self.writer.lock().map_err(|_| anyhow::anyhow!("writer lock poisoned"))?;
        guard.conn.execute_batch("PRAGMA analysis_limit = 400; ANALYZE;")?;
        Ok(())
    }
}

fn reader_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u32;
    (cores * 2).clamp(2, 16)
}
