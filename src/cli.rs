//! The command line: `serve`, `migrate`, `check-config`, `create-admin`, `audit`.

use clap::{Parser, Subcommand};

pub mod audit;

#[derive(Debug, Parser)]
#[command(
    name = "stockroom",
    version,
    about = "Shop back-office service (PostgreSQL + MongoDB)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations and MongoDB index specs, then serve HTTP until SIGTERM/Ctrl-C.
    Serve,
    /// Apply pending database migrations (or revert the last one) and exit.
    Migrate {
        /// Revert the most recently applied migration instead.
        #[arg(long)]
        revert_last: bool,
    },
    /// Validate the configuration and print it (secrets redacted); exit non-zero when invalid.
    CheckConfig,
    /// Create the first administrator (or give an existing account the admin role).
    /// The password is typed twice at a terminal (not shown), or comes from
    /// STOCKROOM_ADMIN_PASSWORD or the first line of standard input; never from an argument.
    /// Idempotent.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        full_name: String,
    },
    /// The audit trail's integrity (docs/AUDIT_INTEGRITY.md).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain and name its first break. Exit 0: intact; 1: broken; 2: could not
    /// run. On a terminal, shows progress on standard error.
    Verify {
        /// Start at this position (its link to the one before is taken as stored).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..))]
        from: i64,
    },
    /// Print a new signing key: `AUDIT_SIGNING_KEY` (the base64 of a 32-byte Ed25519 seed)
    /// and its public key, for `AUDIT_PREVIOUS_PUBLIC_KEYS` once it is retired. Needs no
    /// configuration and touches no store.
    Keygen,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_subcommand() {
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "serve"]).unwrap().command,
            Command::Serve
        ));
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "migrate", "--revert-last"])
                .unwrap()
                .command,
            Command::Migrate { revert_last: true }
        ));
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "check-config"])
                .unwrap()
                .command,
            Command::CheckConfig
        ));
        assert!(Cli::try_parse_from(["stockroom", "launch"]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "audit", "verify", "--from", "7"])
                .unwrap()
                .command,
            Command::Audit {
                command: AuditCommand::Verify { from: 7 }
            }
        ));
        assert!(Cli::try_parse_from(["stockroom", "audit", "verify", "--from", "0"]).is_err());
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "audit", "keygen"])
                .unwrap()
                .command,
            Command::Audit {
                command: AuditCommand::Keygen
            }
        ));
        assert!(matches!(
            Cli::try_parse_from(["stockroom", "create-admin", "--email", "a@b.io"]).unwrap().command,
            Command::CreateAdmin { email, .. } if email == "a@b.io"
        ));
        assert!(
            Cli::try_parse_from([
                "stockroom",
                "create-admin",
                "--email",
                "a@b.io",
                "--password",
                "x"
            ])
            .is_err()
        );
    }
}
