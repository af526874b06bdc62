//! Building and running the HTTP server. `Application::build` binds first
//! and reports the port, so tests can run it on port 0.

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::access::{self, AccessSettings};
use crate::db::Db;
use crate::routes::{self, body::RequestLimits};

/// Well under the usual 1024 open files, leaving room for the database.
pub const DEFAULT_MAX_CONNECTIONS: usize = 768;

#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub db: String,
    pub fixtures: Vec<PathBuf>,
    pub body_limit: usize,
    pub workers: Option<usize>,
    pub access: AccessSettings,
    /// How long a client may take to send a request's head; a slower one is
    /// answered 408 and dropped, so it cannot hold a connection slot.
    pub client_timeout: Duration,
    /// How long a client may take to send a request's body once its head
    /// is in; a stalled one is answered 408 and dropped.
    pub body_timeout: Duration,
    /// How long an events websocket may wait for its auth message.
    pub ws_auth_grace: Duration,
    /// Open connections served at once (the rest wait to be accepted).
    pub max_connections: usize,
    /// Serve the built-in artifact browser at `/` and `/ui/` (`--no-ui`).
    pub ui: bool,
    /// The late-runs service (`PREFECT_SERVER_SERVICES_LATE_RUNS_*`).
    pub late_runs: crate::services::late_runs::LateRunsSettings,
    /// Prefect's own UI (`--prefect-ui`), served at `/` and `/v2`; the
    /// built-in pages then move to `/artifactd/`.
    pub prefect_ui: Option<std::sync::Arc<crate::prefect_ui::PrefectUi>>,
    /// artifactd's own test endpoints (`--testing`): database clear, load
    /// and export under `/api/admin/database/`.
    pub testing: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            host: "127.0.0.1".into(),
            port: 4200,
            db: "artifactd.db".into(),
            fixtures: vec![],
            body_limit: 4 * 1024 * 1024,
            workers: None,
            client_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            ws_auth_grace: Duration::from_secs(10),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            ui: true,
            late_runs: crate::services::late_runs::LateRunsSettings::default(),
            prefect_ui: None,
            testing: false,
            access: AccessSettings {
                cors_origins: "*".into(),
                cors_methods: "*".into(),
                cors_headers: "*".into(),
                ..AccessSettings::default()
            },
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
    /// The background services; they stop when this is dropped.
    services: crate::services::Services,
}

/// Registers the routes and shared state; shared by the server and tests.
pub fn create_app(cfg: &mut web::ServiceConfig, db: Db, limits: RequestLimits, access: AccessSettings, pages: Vec<routes::Endpoint>) {
    cfg.app_data(web::Data::new(db))
        .app_data(web::Data::new(limits))
        .app_data(web::Data::new(access))
        .configure(|c| routes::configure_with_pages(c, pages));
}

/// The pages and the fallback for what lies outside `/api`: the built-in
/// pages at `/` (or under `/artifactd` when Prefect's UI takes `/`), and
/// Prefect's UI files behind every other path.
fn pages_and_fallback(
    builtin: bool,
    prefect_ui: Option<&std::sync::Arc<crate::prefect_ui::PrefectUi>>,
) -> (crate::ui::Mount, Vec<routes::Endpoint>, Option<actix_web::Route>) {
    let mount = match prefect_ui {
        Some(_) => crate::ui::Mount { base: crate::prefect_ui::BUILTIN_BASE.into(), prefect_ui: true },
        None => crate::ui::Mount::default(),
    };
    let mut pages = if builtin { routes::ui::endpoints() } else { Vec::new() };
    for p in &mut pages {
        p.pattern = mount.path(&p.pattern);
    }
    pages.extend(routes::openapi::root_endpoints());
    let fallback = prefect_ui.map(|_| {
        pages.extend(crate::prefect_ui::serve::endpoints(builtin));
        crate::prefect_ui::serve::fallback()
    });
    (mount, pages, fallback)
}

impl Application {
    /// Opens the database, loads fixtures, and binds the listener.
    pub fn build(settings: &Settings) -> anyhow::Result<Application> {
        if settings.testing && settings.access.read_only {
            anyhow::bail!("--testing cannot be combined with --read-only (its endpoints change the database)");
        }
        let db = Db::open_to_serve(&settings.db, settings.access.read_only, !settings.fixtures.is_empty())?;
        if !settings.fixtures.is_empty() {
            let report = crate::fixtures::load(&db, &settings.fixtures)?;
            tracing::info!(%report, "fixtures loaded");
        }
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .with_context(|| format!("cannot listen on {}:{}", settings.host, settings.port))?;
        let port = listener.local_addr()?.port();
        let app_db = db.clone();
        let body = RequestLimits {
            body_limit: settings.body_limit,
            body_timeout: settings.body_timeout,
            ws_auth_grace: settings.ws_auth_grace,
        };
        let access_settings = settings.access.clone();
        let ui = settings.ui;
        let prefect_ui = settings.prefect_ui.clone();
        let testing = settings.testing;
        let workers = settings.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let counter = crate::connections::ConnectionCount::new(settings.max_connections);
        let server = HttpServer::new(move || {
            let acc = access_settings.clone();
            App::new()
                .wrap(access::cors(&acc))
                .wrap_fn(|req, srv| {
                    let method = req.method().clone();
                    let path = req.path().to_string();
                    let start = std::time::Instant::now();
                    let fut = srv.call(req);
                    async move {
                        let res = fut.await;
                        if let Ok(r) = &res {
                            tracing::debug!(%method, %path, status = r.status().as_u16(), elapsed_ms = start.elapsed().as_secs_f64() * 1e3, "request");
                        }
                        res
                    }
                })
                .configure(|c| {
                    let (mount, pages, fallback) = pages_and_fallback(ui, prefect_ui.as_ref());
                    c.app_data(web::Data::new(mount));
                    if let Some(p) = &prefect_ui {
                        c.app_data(web::Data::new(p.clone()));
                    }
                    c.app_data(web::Data::new(app_db.clone()))
                        .app_data(web::Data::new(body))
                        .app_data(web::Data::new(acc.clone()))
                        .configure(|c| routes::configure_app(c, pages, fallback, testing));
                })
        })
        .on_connect(move |_, ext| {
            ext.insert(counter.opened());
        })
        .client_request_timeout(settings.client_timeout)
        .keep_alive(Duration::from_secs(75))
        .shutdown_timeout(30)
        .workers(workers)
        .max_connections(crate::connections::per_worker(settings.max_connections, workers))
        // A client that closes its side is gone (as uvicorn, the reference's
        // server, takes it): actix then drops the request's handler, so a
        // page render stops at its next check instead of running on.
        .h1_allow_half_closed(false)
        .listen(listener)?;
        let server = server.run();
        crate::services::event_retention::start(&db);
        // Statistics for the query planner, gathered once the server is
        // already answering: start-up stays in milliseconds on any size.
        let stats_db = db.clone();
        std::thread::spawn(move || {
            if let Err(e) = stats_db.optimize() {
                tracing::warn!(error = format!("{e:#}"), "could not refresh planner statistics");
            }
        });
        let services = crate::services::start(&db, settings.access.read_only, &settings.late_runs)?;
        Ok(Application { port, server, db, services })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM stop it
    /// gracefully), then folds the WAL into the database file.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await?;
        // The services stop (and finish their pass) before the checkpoint.
        drop(self.services);
        self.db.checkpoint()?;
        Ok(())
    }

    /// The server alone: the background services stop here (tests run a
    /// service's pass themselves, see `services`).
    pub fn into_server(self) -> Server {
        self.server
    }
}
