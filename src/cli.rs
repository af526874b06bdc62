//! The command line: `serve`, `seed`, `export`, `import`, `push`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "artifactd",
    version,
    about = "A local server for Prefect 3 artifacts, over embedded SQLite.",
    long_about = "artifactd answers the Prefect 3 REST API for artifacts (and the flow, flow-run, \
task-run and deployment rows they point at) from one SQLite file. Point a Prefect client at it \
with PREFECT_API_URL=http://127.0.0.1:4200/api."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (loading fixtures first, if given).
    Serve(ServeArgs),
    /// Load fixture files or folders into a database, then exit.
    Seed {
        /// The SQLite database file (created if missing).
        #[arg(long, env = "ARTIFACTD_DB", default_value = "artifactd.db")]
        db: String,
        /// Fixture files, or folders whose *.json files load in name order.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the whole database as one fixture.
    Export {
        /// The SQLite database file.
        #[arg(long, env = "ARTIFACTD_DB", default_value = "artifactd.db")]
        db: String,
        /// Output file; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read a live Prefect 3 server's artifacts (and the runs, flows and
    /// deployments they point at) through its REST API into one fixture.
    Import(crate::import::ImportArgs),
    /// Replay fixtures into a live Prefect 3 server through its REST API
    /// (flows, deployments, flow and task runs, artifacts; ids mapped).
    Push(crate::push::PushArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ARTIFACTD_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "ARTIFACTD_PORT", default_value_t = 4200)]
    pub port: u16,
    /// The SQLite database file; `:memory:` for a throwaway database.
    #[arg(long, env = "ARTIFACTD_DB", default_value = "artifactd.db")]
    pub db: String,
    /// Fixture file or folder to load before listening (repeatable; in the
    /// environment, separate paths with commas).
    #[arg(long = "fixtures", env = "ARTIFACTD_FIXTURES", value_delimiter = ',')]
    pub fixtures: Vec<PathBuf>,
    /// Serve Prefect's own UI (v1 at `/`, v2 at `/v2`) from DIR: the
    /// `prefect` package directory, its `server/` directory, or one UI build
    /// (a directory holding index.html). Without DIR (or with `auto`), from
    /// the prefect package of the `python3` on PATH. The built-in pages then
    /// move to `/artifactd/`. In the environment: a DIR, `auto`/`1`, or
    /// empty/`0` for off.
    #[arg(long, env = "ARTIFACTD_PREFECT_UI", value_name = "DIR", num_args = 0..=1, default_missing_value = "auto")]
    pub prefect_ui: Option<String>,
    /// Do not serve the built-in artifact browser at `/` and `/ui/`.
    #[arg(long, env = "ARTIFACTD_NO_UI")]
    pub no_ui: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ARTIFACTD_BODY_LIMIT", default_value_t = 4 * 1024 * 1024)]
    pub body_limit: usize,
    /// Number of HTTP worker threads (default: one per core).
    #[arg(long, env = "ARTIFACTD_WORKERS")]
    pub workers: Option<usize>,
    /// Require HTTP basic auth with this `user:password` string on every
    /// /api request except GET /api/health, as Prefect's setting of the same
    /// name does (clients send it through PREFECT_API_AUTH_STRING).
    #[arg(long, env = "PREFECT_SERVER_API_AUTH_STRING", hide_env_values = true)]
    pub auth_string: Option<String>,
    /// Seconds a client may take to send a request's head before it is
    /// answered 408 and disconnected.
    #[arg(long, env = "ARTIFACTD_CLIENT_TIMEOUT", default_value_t = 30)]
    pub client_timeout: u64,
    /// Seconds a client may take to send a request's body once its head is
    /// in, before it is answered 408 and disconnected.
    #[arg(long, env = "ARTIFACTD_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Connections served at once; further ones wait to be accepted.
    #[arg(long, env = "ARTIFACTD_MAX_CONNECTIONS", default_value_t = crate::startup::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Proxies whose X-Forwarded-Proto is believed: addresses or networks,
    /// comma-separated, or `*` (uvicorn's setting, as the reference runs).
    #[arg(long, env = "FORWARDED_ALLOW_IPS", default_value = "127.0.0.1")]
    pub forwarded_allow_ips: crate::access::forwarded::TrustedProxies,
    /// Open the database read-only (it may sit on a read-only folder or
    /// mount) and refuse every request that would change data (405). With
    /// `--db :memory:`, fixtures load into the throwaway database first;
    /// with a database file, `--fixtures` is an error (seed it first).
    /// For demos.
    #[arg(long, env = "ARTIFACTD_READ_ONLY")]
    pub read_only: bool,
    /// Add artifactd's own endpoints for test suites: `POST
    /// /api/admin/database/clear` (empty the database, optionally loading
    /// fixture documents), `POST /api/admin/database/load` and `GET
    /// /api/admin/database/export`. Never with `--read-only`.
    #[arg(long, env = "ARTIFACTD_TESTING")]
    pub testing: bool,
    /// CORS allowed origins, comma-separated (`*` for any).
    #[arg(long, env = "PREFECT_SERVER_CORS_ALLOWED_ORIGINS", default_value = "*")]
    pub cors_allowed_origins: String,
    /// CORS allowed methods, comma-separated (`*` for any).
    #[arg(long, env = "PREFECT_SERVER_CORS_ALLOWED_METHODS", default_value = "*")]
    pub cors_allowed_methods: String,
    /// CORS allowed headers, comma-separated (`*` for any).
    #[arg(long, env = "PREFECT_SERVER_CORS_ALLOWED_HEADERS", default_value = "*")]
    pub cors_allowed_headers: String,
}
