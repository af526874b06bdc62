//! The database: one writer thread that owns the only write connection
//! (SQLite allows one writer at a time; queuing writes here instead of in
//! SQLite means no request ever sees "database is locked"), with group
//! commit: writes that queue up while the writer is busy share one COMMIT
//! (one fsync), and none is answered before the COMMIT that holds it. Also a
//! pool of readers that WAL lets run beside it. All SQL lives in this
//! module's files.

pub mod artifacts;
pub mod bulk;
pub mod flow_run_inputs;
pub mod deployments;
pub mod logs;
pub mod related;
pub mod runs;
pub mod run_history;
pub mod variables;
pub mod graph;
pub mod key_search;
pub mod saved_searches;
pub mod states;

use std::path::{Path, PathBuf};
use std::sync::Arc;
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

/// A group never grows past this, so a steady stream of writes still
/// commits regularly.
const MAX_GROUP: usize = 64;

/// Where a write's result goes once the COMMIT holding it has finished.
enum Reply<T> {
    Blocking(std::sync::mpsc::SyncSender<T>),
    Async(tokio::sync::oneshot::Sender<T>),
}

impl<T> Reply<T> {
    fn send(self, v: T) {
        // A caller that went away (a closed connection) needs no answer;
        // its write stands.
        match self {
            Reply::Blocking(s) => {
                let _ = s.send(v);
            }
            Reply::Async(s) => {
                let _ = s.send(v);
            }
        }
    }
}

/// A write's result, held until its group's COMMIT has succeeded or failed.
trait Pending: Send {
    fn finish(self: Box<Self>, commit: &Result<(), String>);
}

/// One write, run by the writer thread inside the open group.
trait WriteJob: Send {
    /// Runs the write in its own savepoint. Returns its pending result, and
    /// true when the group cannot go on safely and must end now.
    fn run(self: Box<Self>, conn: &Connection, clock: &mut Clock) -> (Box<dyn Pending>, bool);
    /// Answers without running (the group's transaction could not begin).
    fn abort(self: Box<Self>, why: String);
}

struct Job<F, T, E> {
    f: F,
    reply: Reply<Result<T, E>>,
}

struct Done<T, E> {
    out: Result<T, E>,
    reply: Reply<Result<T, E>>,
}

impl<T: Send, E: From<anyhow::Error> + Send> Pending for Done<T, E> {
    fn finish(self: Box<Self>, commit: &Result<(), String>) {
        let out = match commit {
            Ok(()) => self.out,
            Err(e) => Err(anyhow::anyhow!("commit failed: {e}").into()),
        };
        self.reply.send(out);
    }
}

impl<F, T, E> WriteJob for Job<F, T, E>
where
    F: FnOnce(&Connection, &mut Clock) -> Result<T, E> + Send,
    T: Send + 'static,
    E: From<rusqlite::Error> + From<anyhow::Error> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection, clock: &mut Clock) -> (Box<dyn Pending>, bool) {
        let Job { f, reply } = *self;
        if let Err(e) = conn.execute_batch("SAVEPOINT write") {
            return (Box::new(Done { out: Err(E::from(e)), reply }), true);
        }
        // Events this write stores are published only if it stands.
        let staged = crate::events::bus::mark();
        // A panic must not take the writer thread (and every later write)
        // with it: it undoes this write and answers an error.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn, clock)))
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the write panicked").into()));
        let closed = match &out {
            Ok(_) => conn.execute_batch("RELEASE write"),
            Err(_) => {
                crate::events::bus::rollback_to(staged);
                conn.execute_batch("ROLLBACK TO write; RELEASE write")
            }
        };
        match closed {
            Ok(()) => (Box::new(Done { out, reply }), false),
            Err(e) => (Box::new(Done { out: Err(E::from(e)), reply }), true),
        }
    }

    fn abort(self: Box<Self>, why: String) {
        self.reply.send(Err(anyhow::anyhow!("cannot begin a write: {why}").into()));
    }
}

type Maintenance = Box<dyn FnOnce(&mut Connection) + Send>;

enum Task {
    Write(Box<dyn WriteJob>),
    /// Runs with no transaction open: the open group commits first.
    Maintain(Maintenance),
}

/// The writer thread: takes the first waiting write, then every write that
/// queued behind it (up to MAX_GROUP), runs each in its own savepoint inside
/// one transaction, commits once, and only then answers them all. Ends when
/// every `Db` handle is gone.
fn writer_loop(mut conn: Connection, mut clock: Clock, tasks: std::sync::mpsc::Receiver<Task>) {
    let mut next: Option<Task> = None;
    loop {
        let task = match next.take() {
            Some(t) => t,
            None => match tasks.recv() {
                Ok(t) => t,
                Err(_) => return,
            },
        };
        let first = match task {
            Task::Maintain(f) => {
                f(&mut conn);
                continue;
            }
            Task::Write(job) => job,
        };
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            first.abort(e.to_string());
            continue;
        }
        let (done, mut must_end) = first.run(&conn, &mut clock);
        let mut group = vec![done];
        while !must_end && group.len() < MAX_GROUP {
            match tasks.try_recv() {
                Ok(Task::Write(job)) => {
                    let (done, end) = job.run(&conn, &mut clock);
                    group.push(done);
                    must_end = end;
                }
                Ok(maintain) => {
                    next = Some(maintain);
                    break;
                }
                Err(_) => break,
            }
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() && !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        crate::events::bus::after_commit(commit.is_ok());
        for done in group {
            done.finish(&commit);
        }
    }
}

#[derive(Clone)]
pub struct Db {
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// One turn per reader, handed out in arrival order (see `read_turn`).
    read_turns: Arc<tokio::sync::Semaphore>,
    /// Declared before `writer`: the last handle drops its sender first, so
    /// the writer thread sees the channel close before it is joined.
    tasks: std::sync::mpsc::Sender<Task>,
    #[allow(dead_code)] // held for its Drop
    writer: Arc<WriterThread>,
    path: PathBuf,
    /// Opened with `Db::open_read_only`: nothing is ever written, not even
    /// a checkpoint.
    read_only: bool,
    /// Keeps the folder of a `:memory:` database alive as long as the Db.
    _scratch: Option<Arc<tempfile::TempDir>>,
    /// Events as their writes commit (`events::bus`).
    events: tokio::sync::broadcast::Sender<crate::events::bus::Published>,
}

/// Joins the writer thread when the last `Db` handle goes, so that once a
/// `Db` is dropped its connections are closed (and SQLite has removed the
/// `-wal`/`-shm` files it made, if no one else has the database open).
struct WriterThread(std::sync::Mutex<Option<std::thread::JoinHandle<()>>>);

impl Drop for WriterThread {
    fn drop(&mut self) {
        let handle = self.0.get_mut().ok().and_then(|h| h.take());
        if let Some(h) = handle {
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

/// `LIMIT n` for a validated page size. The one number written into SQL
/// rather than bound, and only ever an `i64`: SQLite's planner reads a
/// literal limit when it picks an index walk that can stop early, and a
/// bound one marks the statement to be planned again at every execution
/// (its variable mask), which cost 16% of a filter's CPU.
pub fn limit_sql(limit: i64) -> String {
    format!("LIMIT {limit}")
}

/// The planner may not look at bound values (the query planner stability
/// guarantee): otherwise a `LIKE ?` or a bound `LIMIT` makes SQLite prepare
/// the cached statement again at every execution.
fn plan_without_bound_values(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    plan_without_bound_values(conn)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// The schema version this build's migrations bring a database to.
fn target_schema_version() -> i64 {
    embedded::migrations::runner().get_migrations().iter().map(|m| i64::from(m.version())).max().unwrap_or(0)
}

/// A database whose schema is older than this build's, met where
/// migrations cannot run (`Db::open_read_only`).
#[derive(Debug, thiserror::Error)]
#[error(
    "database {path} has schema version {found} and this artifactd needs {needed}; migrations cannot run \
     on a read-only database: serve or seed it once without --read-only where it is writable"
)]
pub struct OldSchema {
    pub path: String,
    pub found: i64,
    pub needed: i64,
}

/// A database that `Db::open` cannot write (a read-only file, folder or
/// mount, an immutable file).
#[derive(Debug, thiserror::Error)]
#[error(
    "database {path} cannot be written ({why}); check the permissions of the file and its folder, \
     or serve it with --read-only"
)]
pub struct CannotWrite {
    pub path: String,
    pub why: String,
}

/// Holds an exclusive `flock` on the database's folder while a database is
/// opened and migrated, so that servers starting together on one new file
/// migrate it one after the other instead of racing (each later one finds
/// the schema done). A folder lock, not a lock on the database file: SQLite
/// uses POSIX locks on that file, and closing any other descriptor of it
/// would drop them. Best effort: where the folder cannot be locked (no
/// `flock` on that file system), opening goes on without it.
struct FolderLock(#[allow(dead_code)] Option<std::fs::File>); // held for its lock

fn lock_folder(file: &Path) -> FolderLock {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let Ok(folder) = std::fs::File::open(dir) else {
        return FolderLock(None);
    };
    // Bounded: an opener stuck while holding the lock must not stop every
    // later start; after a minute this one goes on without it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match folder.try_lock() {
            Ok(()) => return FolderLock(Some(folder)),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                tracing::warn!(folder = %dir.display(), error = %e, "cannot lock the database folder; opening without it");
                return FolderLock(None);
            }
        }
    }
}

/// The path as an SQLite URI (`file:` with `%`, `?` and `#` escaped), so
/// query parameters such as `immutable=1` can be added.
fn file_uri(file: &Path) -> String {
    let mut uri = String::from("file:");
    for b in file.to_string_lossy().bytes() {
        match b {
            b'%' | b'?' | b'#' => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(b as char),
        }
    }
    uri
}

impl Db {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date. `:memory:` gives a throwaway database in a
    /// temporary folder, so that readers and the writer share it.
    ///
    /// A database that cannot be written (a read-only file, folder or
    /// mount, an immutable file) is an error here, not a failed write later.
    pub fn open(path: &str) -> anyhow::Result<Db> {
        let (file, scratch) = if path == ":memory:" {
            let dir = tempfile::Builder::new().prefix("artifactd-").tempdir()?;
            (dir.path().join("artifactd.db"), Some(Arc::new(dir)))
        } else {
            (PathBuf::from(path), None)
        };
        let shown = file.display().to_string();
        let lock = lock_folder(&file);
        let mut conn = Connection::open_with_flags(
            &file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database {shown}"))?;
        // Before anything that locks: another process may hold the lock.
        conn.busy_timeout(Duration::from_secs(30))?;
        // SQLite quietly opens a file it may not write read-only.
        let cannot_write =
            |why: &dyn std::fmt::Display| anyhow::Error::new(CannotWrite { path: shown.clone(), why: why.to_string() });
        let failed = |e: rusqlite::Error| match e.sqlite_error_code() {
            Some(
                rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::PermissionDenied,
            ) => cannot_write(&e),
            _ => anyhow::Error::new(e).context(format!("cannot use database {shown}")),
        };
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) {
            return Err(cannot_write(&"the file opens read-only"));
        }
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(failed)?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!("database {shown} cannot use WAL mode (got {mode})");
        }
        configure(&conn)?;
        // A throwaway database ends with the process, a crash included, so
        // its commits need not wait for the disk: no fsync at all (a test
        // suite's resets and writes are then bounded by SQLite, not the
        // disk's flush time).
        if scratch.is_some() {
            conn.pragma_update(None, "synchronous", "OFF")?;
        }
        // A COMMIT that crosses this many WAL pages also checkpoints, and
        // every write queued behind it waits. Half SQLite's default of 1000
        // keeps each wait short: at 1M artifacts, concurrent creates' p99
        // went from about 19 ms to 14 ms for 4% fewer creates per second.
        conn.pragma_update(None, "wal_autocheckpoint", 500)?;
        embedded::migrations::runner()
            .run(&mut conn)
            .with_context(|| format!("cannot migrate database {shown}"))?;
        // The write lock, taken and given back: an up-to-date database has
        // written nothing so far, and must prove it can.
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").map_err(failed)?;
        drop(lock);
        Self::start(conn, file, OpenFlags::empty(), None, false, scratch)
    }

    /// Opens an existing database for reading only (`serve --read-only`,
    /// `export`): nothing is created, migrated or written, not even the
    /// `-wal`/`-shm` files where the folder cannot take them (a database on
    /// a read-only folder or mount is then opened `immutable`). A schema
    /// older than this build's is an [`OldSchema`] error.
    pub fn open_read_only(path: &str) -> anyhow::Result<Db> {
        let file = PathBuf::from(path);
        let shown = file.display().to_string();
        if !file.is_file() {
            anyhow::bail!("database {shown} does not exist (a read-only database is never created)");
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let probe = |uri: &str| -> rusqlite::Result<Connection> {
            let c = Connection::open_with_flags(uri, flags)?;
            c.busy_timeout(Duration::from_secs(30))?;
            c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
            Ok(c)
        };
        let plain = file_uri(&file);
        let (conn, uri) = match probe(&plain) {
            Ok(c) => (c, plain),
            Err(first) => {
                // A WAL database in a folder where the `-shm` cannot be
                // made: read it as immutable, which is right only when no
                // log holds changes the main file lacks.
                let wal = PathBuf::from(format!("{path}-wal"));
                if wal.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                    anyhow::bail!(
                        "cannot read database {shown} ({first}): its write-ahead log {} holds changes and the \
                         folder is read-only; checkpoint it where it is writable first (serve it once and stop it, \
                         or sqlite3 {shown} 'PRAGMA wal_checkpoint(TRUNCATE)')",
                        wal.display()
                    );
                }
                let immutable = format!("{plain}?immutable=1");
                match probe(&immutable) {
                    Ok(c) => (c, immutable),
                    Err(e) => anyhow::bail!("cannot read database {shown}: {e} (first attempt: {first})"),
                }
            }
        };
        let found: Option<i64> = conn
            .query_row("SELECT max(version) FROM refinery_schema_history", [], |r| r.get(0))
            .map_err(|_| anyhow::anyhow!("database {shown} is not an artifactd database (it has no schema history)"))?;
        let needed = target_schema_version();
        let found = found.unwrap_or(0);
        if found < needed {
            return Err(OldSchema { path: shown, found, needed }.into());
        }
        Self::start(conn, PathBuf::from(uri), OpenFlags::SQLITE_OPEN_URI, Some(file), true, None)
    }

    /// Opens the database `serve` was given: read-only with `--read-only`
    /// (except `:memory:`, a throwaway database there is nothing to protect
    /// in, which fixtures may fill), read-write otherwise. Fixtures cannot
    /// be loaded into a database opened read-only: that is an error.
    pub fn open_to_serve(path: &str, read_only: bool, with_fixtures: bool) -> anyhow::Result<Db> {
        if !read_only || path == ":memory:" {
            return Db::open(path);
        }
        if with_fixtures {
            anyhow::bail!(
                "--read-only opens database {path} read-only, so --fixtures cannot be loaded into it: seed it first \
                 (artifactd seed --db {path} FIXTURES), or serve the fixtures from a throwaway database \
                 (--db :memory: --fixtures FIXTURES --read-only)"
            );
        }
        Db::open_read_only(path)
    }

    /// Starts the writer thread on `conn` and the reader pool on `target`
    /// (a path, or a URI with `extra_flags` = URI). `file` is the path to
    /// report when `target` is a URI.
    fn start(
        conn: Connection,
        target: PathBuf,
        extra_flags: OpenFlags,
        file: Option<PathBuf>,
        read_only: bool,
        scratch: Option<Arc<tempfile::TempDir>>,
    ) -> anyhow::Result<Db> {
        let last: Option<String> = conn
            .query_row("SELECT max(created) FROM artifact", [], |r| r.get(0))
            .ok()
            .flatten();
        let last = last
            .and_then(|s| crate::timefmt::parse_stored(&s))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);

        let pool_size = reader_pool_size();
        let manager = SqliteConnectionManager::file(&target)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | extra_flags)
            .with_init(move |c| {
                plan_without_bound_values(c)?;
                c.busy_timeout(Duration::from_secs(30))?;
                c.set_prepared_statement_cache_capacity(64);
                c.execute_batch(&format!("PRAGMA cache_size = -{}", READER_CACHE_BUDGET_KIB / pool_size as i64))?;
                Ok(())
            });
        let readers = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .context("cannot open reader connections")?;
        let (tasks, queue) = std::sync::mpsc::channel();
        let clock = Clock { last };
        let events = crate::events::bus::channel();
        let feed = events.clone();
        let handle = std::thread::Builder::new()
            .name("artifactd-writer".into())
            .spawn(move || {
                crate::events::bus::install(feed);
                writer_loop(conn, clock, queue)
            })
            .context("cannot start the writer thread")?;
        let read_turns = Arc::new(tokio::sync::Semaphore::new(pool_size as usize));
        Ok(Db {
            readers,
            read_turns,
            tasks,
            writer: Arc::new(WriterThread(std::sync::Mutex::new(Some(handle)))),
            path: file.unwrap_or(target),
            read_only,
            _scratch: scratch,
            events,
        })
    }

    /// True when opened with [`Db::open_read_only`].
    /// Subscribes to the events committed from now on.
    pub fn subscribe_events(&self) -> tokio::sync::broadcast::Receiver<crate::events::bus::Published> {
        self.events.subscribe()
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn reader(&self) -> Result<ReadConn, r2d2::Error> {
        self.readers.get()
    }

    /// Waits for a reader to be free, in arrival order. Requests that take
    /// a turn before going to a blocking thread queue first in, first out;
    /// left to the pool, whichever thread wakes first would win, and the
    /// unlucky ones would make the tail latency.
    pub async fn read_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.read_turns.acquire().await.ok()
    }

    /// Runs `f` on the writer inside its own savepoint: its changes stay
    /// when it returns Ok and are undone when it returns Err. Returns only
    /// after the COMMIT that holds them (shared with the writes queued
    /// beside it). Blocking: for threads that may block (the CLI, tests).
    pub fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection, &mut Clock) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + From<anyhow::Error> + Send + 'static,
    {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.submit(Job { f, reply: Reply::Blocking(reply) })?;
        answer.recv().map_err(|_| anyhow::anyhow!("the writer stopped").into()).and_then(|r| r)
    }

    /// `write` for async handlers: the request waits without holding a
    /// thread while the writer runs its group.
    pub async fn write_async<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection, &mut Clock) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + From<anyhow::Error> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(Job { f, reply: Reply::Async(reply) })?;
        answer.await.map_err(|_| anyhow::anyhow!("the writer stopped").into()).and_then(|r| r)
    }

    fn submit<F, T, E>(&self, job: Job<F, T, E>) -> Result<(), E>
    where
        F: FnOnce(&Connection, &mut Clock) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + From<anyhow::Error> + Send + 'static,
    {
        self.tasks
            .send(Task::Write(Box::new(job)))
            .map_err(|_| anyhow::anyhow!("the writer stopped").into())
    }

    /// Runs `f` on the writer connection with no transaction open (any open
    /// group commits first), and waits for it.
    fn maintain<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        self.tasks
            .send(Task::Maintain(Box::new(move |conn| {
                let _ = reply.send(f(conn));
            })))
            .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
        Ok(answer.recv().map_err(|_| anyhow::anyhow!("the writer stopped"))??)
    }

    /// Refreshes the planner's statistics and folds the WAL back into the
    /// main file (used at shutdown and after loading fixtures).
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.maintain(|c| c.execute_batch("PRAGMA analysis_limit = 0; PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);"))
    }

    /// Brings the planner's statistics up to date where they are missing or
    /// stale. Statistics let SQLite choose well (e.g. walk the id index for
    /// `type = 'table' ORDER BY id LIMIT 50` rather than sort every table
    /// artifact). A full analysis (no `analysis_limit`: sampling the first
    /// rows of an index sorted by type misjudges it badly) takes about a
    /// second at a million artifacts, so this runs off the start-up path.
    pub fn optimize(&self) -> anyhow::Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.maintain(|c| c.execute_batch("PRAGMA analysis_limit = 0; PRAGMA optimize = 0x10002;"))
    }

    /// Sets the writer's page cache size.
    pub fn set_cache_size_kib(&self, kib: i64) -> anyhow::Result<()> {
        self.maintain(move |c| c.execute_batch(&format!("PRAGMA cache_size = -{};", kib.max(0))))
    }

    /// Gathers fresh planner statistics (after a bulk load).
    pub fn analyze(&self) -> anyhow::Result<()> {
        self.maintain(|c| c.execute_batch("PRAGMA analysis_limit = 0; ANALYZE;"))
    }
}

/// The files of the database at `path` (the file, its `-wal`, `-shm` and
/// `-journal`) that did not exist when [`NewFiles::before`] looked: a
/// command that fails removes them with [`NewFiles::remove`], so it leaves
/// nothing behind that was not there before it ran.
pub struct NewFiles(Vec<PathBuf>);

impl NewFiles {
    pub fn before(path: &str) -> NewFiles {
        if path == ":memory:" {
            return NewFiles(vec![]);
        }
        let files = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{path}{suffix}")))
            .filter(|f| f.symlink_metadata().is_err())
            .collect();
        NewFiles(files)
    }

    /// Has SQLite fold back and remove the `-wal`/`-shm` among these files
    /// (a command that read the database successfully keeps the database):
    /// the last connection to close does that, and a reader connection
    /// that the pool was still opening in the background may have closed
    /// after the writer. SQLite itself keeps them while any other
    /// connection, of any process, has the database open, so this is safe
    /// beside a running server.
    pub fn fold_log(&self, path: &str) {
        let side = |f: &PathBuf| f.as_os_str().len() > path.len();
        for _ in 0..20 {
            if !self.0.iter().any(|f| side(f) && f.exists()) {
                return;
            }
            match Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE) {
                Ok(c) => drop(c.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))),
                Err(_) => return,
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Removes those of the files that exist now. Call it only once every
    /// `Db` on the database has been dropped.
    pub fn remove(&self) {
        // The side files first: a `-wal` without its database would be
        // taken for another database's log.
        for f in self.0.iter().rev() {
            if f.symlink_metadata().is_ok() {
                if let Err(e) = std::fs::remove_file(f) {
                    tracing::warn!(file = %f.display(), error = %e, "cannot remove a file this run created");
                }
            }
        }
    }
}

/// The page cache all readers share between them. Each reader has its own
/// cache, so the budget is split: at a million artifacts a join like "one
/// flow's completed runs" touches about 5 MB of index pages, and misses
/// below that cost it three times as much. 32 MB keeps the server's peak RSS
/// under 64 MB there.
const READER_CACHE_BUDGET_KIB: i64 = 32 * 1024;

/// One reader per core: reads are CPU-bound, and fewer readers mean a
/// bigger cache each from the same budget.
fn reader_pool_size() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u32;
    cores.clamp(2, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(db: &Db) -> i64 {
        db.reader().unwrap().query_row("SELECT count(*) FROM flow", [], |r| r.get(0)).unwrap()
    }

    fn insert(conn: &Connection, name: &str) -> rusqlite::Result<usize> {
        conn.execute("INSERT INTO flow (id, created, updated, name) VALUES (?1, 'x', 'x', ?1)", [name])
    }

    #[test]
    fn a_panicking_write_is_undone_and_the_writer_goes_on() {
        let db = Db::open(":memory:").unwrap();
        let r: anyhow::Result<()> = db.write(|c, _| {
            insert(c, "before-panic")?;
            panic!("boom");
        });
        assert!(r.unwrap_err().to_string().contains("panicked"));
        db.write(|c, _| -> anyhow::Result<_> { Ok(insert(c, "after")?) }).unwrap();
        assert_eq!(count(&db), 1, "only the write after the panic stands");
    }

    #[test]
    fn concurrent_writes_all_commit_and_a_failed_one_leaves_nothing() {
        let db = Db::open(":memory:").unwrap();
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let name = format!("f-{t}-{i}");
                        let fail = i % 10 == 0;
                        let r: anyhow::Result<()> = db.write(move |c, _| {
                            insert(c, &name)?;
                            if fail {
                                anyhow::bail!("refused");
                            }
                            Ok(())
                        });
                        assert_eq!(r.is_err(), fail);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(count(&db), 16 * 45);
    }

    #[test]
    fn a_database_from_before_the_filter_indexes_upgrades_with_its_rows() {
        // A file as the first release left it (V1 and V2 only), with rows.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            embedded::migrations::runner()
                .set_target(refinery::Target::Version(2))
                .run(&mut conn)
                .unwrap();
            conn.execute_batch(
                "INSERT INTO flow (id, created, updated, name) VALUES ('f1', 'x', 'x', 'etl');
                 INSERT INTO flow_run (id, created, updated, name, flow_id, state_type)
                   VALUES ('r1', 'x', 'x', 'run', 'f1', 'COMPLETED');
                 INSERT INTO artifact (id, created, updated, key, type, data, flow_run_id)
                   VALUES ('a1', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', 'k', 'table', '1', 'r1');
                 INSERT INTO artifact_collection (id, created, updated, key, latest_id, type, data, flow_run_id)
                   VALUES ('c1', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', 'k', 'a1', 'table', '1', 'r1');",
            )
            .unwrap();
        }
        let db = Db::open(path.to_str().unwrap()).unwrap();
        let conn = db.reader().unwrap();
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_artifact_collection__%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for name in ["id_filter", "type_id_key", "flow_run_id_updated", "type"] {
            assert!(indexes.contains(&format!("ix_artifact_collection__{name}")), "{indexes:?}");
        }
        assert!(!indexes.contains(&"ix_artifact_collection__flow_run_id".to_string()), "replaced by V3");
        let body = serde_json::json!({"flows": {"name": {"any_": ["etl"]}}, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}});
        let q = crate::schemas::query::FilterQuery::parse(crate::schemas::filters::artifacts::Table::Collection, &Some(body)).unwrap();
        let rows = artifacts::filter(&conn, &q).unwrap();
        assert_eq!(rows.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["c1"]);
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
    }

    #[test]
    fn servers_opening_one_new_file_together_all_succeed() {
        // Without the folder lock two openers raced to switch the new file
        // to WAL and to apply V1, and some failed ("database is locked",
        // "table ... already exists").
        for round in 0..4 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("new-{round}.db"));
            let barrier = Arc::new(std::sync::Barrier::new(8));
            let threads: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Db::open(path.to_str().unwrap_or_default()).map(|db| count(&db)).map_err(|e| format!("{e:#}"))
                    })
                })
                .collect();
            for t in threads {
                assert_eq!(t.join().unwrap(), Ok(0));
            }
        }
    }

    #[test]
    fn read_only_opens_create_and_migrate_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.db");
        let err = Db::open_read_only(missing.to_str().unwrap()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("does not exist"), "{err}");
        assert!(!missing.exists());

        let old = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&old).unwrap();
            embedded::migrations::runner().set_target(refinery::Target::Version(2)).run(&mut conn).unwrap();
        }
        let err = Db::open_read_only(old.to_str().unwrap()).err().unwrap();
        let old_schema = err.downcast_ref::<OldSchema>().unwrap();
        assert_eq!((old_schema.found, old_schema.needed), (2, target_schema_version()));
        assert!(err.to_string().contains("without --read-only"), "{err}");

        let current = dir.path().join("current.db");
        let db = Db::open(current.to_str().unwrap()).unwrap();
        db.write(|c, _| -> anyhow::Result<_> { Ok(insert(c, "kept")?) }).unwrap();
        db.checkpoint().unwrap();
        drop(db);
        let before = std::fs::read(&current).unwrap();
        let db = Db::open_read_only(current.to_str().unwrap()).unwrap();
        assert!(db.is_read_only());
        assert_eq!(count(&db), 1);
        let refused: anyhow::Result<usize> = db.write(|c, _| Ok(insert(c, "refused")?));
        assert!(refused.is_err());
        db.checkpoint().unwrap();
        drop(db);
        assert_eq!(std::fs::read(&current).unwrap(), before, "the file is byte for byte the same");

        let err = Db::open_to_serve(current.to_str().unwrap(), true, true).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("--fixtures cannot be loaded"), "{err}");
        assert!(Db::open_to_serve(":memory:", true, true).is_ok(), "a throwaway database takes fixtures");
    }

    #[test]
    fn file_uris_escape_what_sqlite_would_read_as_query_or_fragment() {
        assert_eq!(file_uri(Path::new("/a b/x%?#.db")), "file:/a b/x%25%3F%23.db");
    }

    #[test]
    fn async_and_blocking_writes_share_the_writer() {
        let db = Db::open(":memory:").unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let r: anyhow::Result<usize> = db.write_async(|c, _| Ok(insert(c, "async")?)).await;
            assert_eq!(r.unwrap(), 1);
        });
        db.write(|c, _| -> anyhow::Result<_> { Ok(insert(c, "blocking")?) }).unwrap();
        db.checkpoint().unwrap();
        assert_eq!(count(&db), 2);
    }
}
