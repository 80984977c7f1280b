use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use stockroom::cli::{AuditCommand, Cli, Command};
use stockroom::config::{Config, LogFormat};
use stockroom::repo::pg;
use stockroom::service::auth::Provisioned;
use stockroom::startup::{Application, create_admin, shutdown_signal};
use stockroom::telemetry;

/// mimalloc instead of glibc malloc: allocation was ~15% of the service's CPU under load
/// (scripts/bench.sh with perf), and glibc kept argon2id's 19 MiB buffers in per-thread arenas
/// (resident memory reached ~345 MB after 16 concurrent logins). mimalloc serves such sizes
/// from segments it returns to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async_main())
}

async fn async_main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Audit {
        command: AuditCommand::Keygen,
    } = cli.command
    {
        return stockroom::cli::audit::keygen();
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("stockroom: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init_tracing(config.log_format);
    if let Command::Audit {
        command: AuditCommand::Verify { from },
    } = cli.command
    {
        return ExitCode::from(stockroom::cli::audit::verify(&config, from).await as u8);
    }
    match run(cli.command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.is::<InputError>() => {
            eprintln!("stockroom: {err}");
            ExitCode::from(2)
        }
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "stockroom failed");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            let app = Application::build(config).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate { revert_last: false } => {
            let applied = pg::run_pending_migrations(&config.database_url).await?;
            println!("applied {} migration(s): {applied:?}", applied.len());
            Ok(())
        }
        Command::Migrate { revert_last: true } => {
            let reverted = pg::revert_last_migration(&config.database_url).await?;
            println!("reverted migration {reverted}");
            Ok(())
        }
        Command::CreateAdmin { email, full_name } => {
            let password = admin_password(&email)?;
            match create_admin(config, &email, &password, &full_name).await? {
                Provisioned::Created(id) => println!("created admin {email} ({id})"),
                Provisioned::Promoted(id) => {
                    println!("gave the admin role to the existing account {email} ({id})")
                }
                Provisioned::AlreadyAdmin(id) => {
                    println!("{email} ({id}) is already an admin; nothing changed")
                }
            }
            Ok(())
        }
        Command::Audit { .. } => unreachable!("answered before `run`"),
        Command::CheckConfig => {
            println!("configuration OK");
            println!("  bind address:        {}", config.bind_addr);
            println!("  MongoDB database:    {}", config.mongodb_database);
            println!("  database pool size:  {}", config.database_pool_size);
            println!(
                "  JWT issuer/audience: {} / {}",
                config.jwt.issuer, config.jwt.audience
            );
            println!(
                "  log format:          {}",
                if config.log_format == LogFormat::Json {
                    "json"
                } else {
                    "pretty"
                }
            );
            Ok(())
        }
    }
}

/// Input the command line refuses before doing anything: said in one plain line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct InputError(&'static str);

/// The admin password: `STOCKROOM_ADMIN_PASSWORD`; at a terminal, typed twice without being
/// shown; otherwise the first line of standard input (for scripts).
fn admin_password(email: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("STOCKROOM_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let password = if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if password != again {
            return Err(InputError("the two passwords do not match; nothing was changed").into());
        }
        password
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err(InputError(
            "no password: type one at the prompt, set STOCKROOM_ADMIN_PASSWORD or pipe it on \
             standard input",
        )
        .into());
    }
    Ok(password)
}
