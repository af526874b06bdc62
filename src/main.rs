use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use artifactd::cli::{Cli, Command};
use artifactd::db::{CannotWrite, Db, NewFiles};
use artifactd::startup::{Application, Settings};
use artifactd::fixtures;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,refinery_core=warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("artifactd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(a) => {
            // Found before anything is opened, so a missing UI fails
            // start-up with one clear line and leaves no files behind.
            let prefect_ui = match a.prefect_ui.as_deref() {
                Some(v) if !artifactd::prefect_ui::is_off(v) => Some(std::sync::Arc::new(artifactd::prefect_ui::PrefectUi::from_arg(v)?)),
                _ => None,
            };
            let settings = Settings {
                prefect_ui,
                host: a.host,
                port: a.port,
                db: a.db,
                fixtures: a.fixtures,
                body_limit: a.body_limit,
                workers: a.workers,
                ui: !a.no_ui,
                testing: a.testing,
                client_timeout: std::time::Duration::from_secs(a.client_timeout),
                body_timeout: std::time::Duration::from_secs(a.body_timeout),
                max_connections: a.max_connections.max(1),
                ws_auth_grace: Settings::default().ws_auth_grace,
                late_runs: artifactd::services::late_runs::LateRunsSettings::from_env()?,
                access: artifactd::access::AccessSettings {
                    auth_string: a.auth_string,
                    read_only: a.read_only,
                    cors_origins: a.cors_allowed_origins,
                    cors_methods: a.cors_allowed_methods,
                    cors_headers: a.cors_allowed_headers,
                    forwarded_allow_ips: a.forwarded_allow_ips,
                },
            };
            // A serve that fails before it listens leaves no database
            // files it created (it has served nothing into them).
            let created = NewFiles::before(&settings.db);
            let listening = std::cell::Cell::new(false);
            let served = actix_web::rt::System::new().block_on(async {
                let app = Application::build(&settings)?;
                listening.set(true);
                tracing::info!(
                    "artifactd serving http://{}:{}/api (database {})",
                    settings.host,
                    app.port(),
                    settings.db
                );
                app.run_until_stopped().await
            });
            if served.is_err() && !listening.get() {
                created.remove();
            }
            served
        }
        Command::Import(a) => artifactd::import::run(&a),
        Command::Push(a) => artifactd::push::run(&a),
        Command::Seed { db, paths } => {
            let created = NewFiles::before(&db);
            let seeded = (|| {
                let db = Db::open(&db)?;
                let report = fixtures::load(&db, &paths)?;
                db.checkpoint()?;
                tracing::debug!("log checkpointed");
                anyhow::Ok(report)
            })();
            match seeded {
                Ok(report) => {
                    created.fold_log(&db);
                    eprintln!("loaded {report}");
                    Ok(())
                }
                Err(e) => {
                    created.remove();
                    Err(e)
                }
            }
        }
        Command::Export { db, out } => {
            if db != ":memory:" && !std::path::Path::new(&db).exists() {
                anyhow::bail!("database {db} does not exist");
            }
            // Opened as `serve` opens it (so an older schema is migrated and
            // the log folded back on closing), or read-only where it cannot
            // be written, so a database on a read-only medium exports too.
            // No one can be writing such a database, so the `-wal`/`-shm` a
            // reader may make beside it (and cannot remove) are removed.
            let created = NewFiles::before(&db);
            let mut read_only = false;
            let exported = (|| {
                let db = match Db::open(&db) {
                    Ok(d) => d,
                    Err(e) if e.is::<CannotWrite>() => {
                        read_only = true;
                        Db::open_read_only(&db)?
                    }
                    Err(e) => return Err(e),
                };
                // Written as it is read: memory stays flat whatever the size.
                match &out {
                    Some(path) => fixtures::export_file(&db, path),
                    None => {
                        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
                        fixtures::export_to(&db, &mut w)?;
                        writeln!(w)?;
                        w.flush()?;
                        Ok(())
                    }
                }
            })();
            if read_only || exported.is_err() {
                created.remove();
            } else {
                created.fold_log(&db);
            }
            exported
        }
    }
}
