use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use artifactd::cli::{Cli, Command};
use artifactd::db::Db;
use artifactd::startup::{Application, Settings};
use artifactd::{fixtures, pyjson};

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
            let settings = Settings {
                host: a.host,
                port: a.port,
                db: a.db,
                fixtures: a.fixtures,
                body_limit: a.body_limit,
                workers: a.workers,
                ui: !a.no_ui,
                client_timeout: std::time::Duration::from_secs(a.client_timeout),
                body_timeout: std::time::Duration::from_secs(a.body_timeout),
                max_connections: a.max_connections.max(1),
                ws_auth_grace: Settings::default().ws_auth_grace,
                access: artifactd::access::AccessSettings {
                    auth_string: a.auth_string,
                    read_only: a.read_only,
                    cors_origins: a.cors_allowed_origins,
                    cors_methods: a.cors_allowed_methods,
                    cors_headers: a.cors_allowed_headers,
                    forwarded_allow_ips: a.forwarded_allow_ips,
                },
            };
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(&settings)?;
                tracing::info!(
                    "artifactd serving http://{}:{}/api (database {})",
                    settings.host,
                    app.port(),
                    settings.db
                );
                app.run_until_stopped().await
            })
        }
        Command::Import(a) => artifactd::import::run(&a),
        Command::Seed { db, paths } => {
            let db = Db::open(&db)?;
            let report = fixtures::load(&db, &paths)?;
            db.checkpoint()?;
            eprintln!("loaded {report}");
            Ok(())
        }
        Command::Export { db, out } => {
            if db != ":memory:" && !std::path::Path::new(&db).exists() {
                anyhow::bail!("database {db} does not exist");
            }
            let db = Db::open(&db)?;
            let text = pyjson::to_pydantic_json(&fixtures::export(&db)?);
            match out {
                Some(path) => fixtures::write_atomically(&path, &text),
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
    }
}
