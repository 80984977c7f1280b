//! The one-off commands' start-up: `create-admin` and `audit verify`.

use anyhow::Context;

use super::Identity;
use crate::config::Config;
use crate::repo::mongo::{self, AuditChainRepo, AuditCheckpointStore, EventStore};
use crate::repo::pg::{self, PgPool, PoolSettings};
use crate::service::audit_integrity::AuditIntegrityService;
use crate::service::auth::Provisioned;
use crate::service::error::ServiceError;
use crate::worker::activity::activity_pipeline;

/// `stockroom create-admin`: migrations, then the idempotent provisioning (recorded with
/// actor "system"; the relay of a running server delivers the event).
pub async fn create_admin(
    config: Config,
    email: &str,
    password: &str,
    full_name: &str,
) -> anyhow::Result<Provisioned> {
    pg::run_pending_migrations(&config.database_url)
        .await
        .context("applying database migrations")?;
    let (pool, mongo_client, events) = command_line_stores(&config).await?;
    let (activity, writer) = activity_pipeline(events, &config.activity);
    drop(writer);
    let identity = Identity::build(&config, pool, activity).await?;
    let provisioned = identity
        .auth
        .provision_admin(email, password, full_name)
        .await;
    drop(identity);
    mongo::shutdown(mongo_client, config.shutdown_timeout).await;
    provisioned.map_err(|err| match err {
        ServiceError::Validation(issues) => {
            let problems: Vec<String> = issues
                .iter()
                .map(|i| format!("{} {}", i.field, i.message))
                .collect();
            anyhow::anyhow!("invalid input: {}", problems.join("; "))
        }
        other => anyhow::Error::new(other),
    })
}

/// The verifier of the audit chain, for the command line (no migrations run: it only reads).
pub async fn audit_integrity(
    config: &Config,
) -> anyhow::Result<(AuditIntegrityService, mongodb::Client)> {
    let (pool, mongo_client, events) = command_line_stores(config).await?;
    Ok((
        AuditIntegrityService::new(
            pool,
            AuditChainRepo::new(&events),
            AuditCheckpointStore::new(&events),
            config.audit.keys.clone(),
        ),
        mongo_client,
    ))
}

/// The stores a one-off command uses: a pool of two connections and the event store (the
/// client is returned to be shut down when the command is done).
async fn command_line_stores(
    config: &Config,
) -> anyhow::Result<(PgPool, mongodb::Client, EventStore)> {
    let settings = PoolSettings {
        max_size: 2,
        wait_timeout: config.database_pool_timeout,
        statement_timeout: config.database_statement_timeout,
    };
    let pool = pg::build_pool(&config.database_url, &settings)?;
    let mongo_client = mongo::connect(&config.mongodb_url, config.mongodb_timeout).await?;
    let events = EventStore::new(mongo_client.database(&config.mongodb_database));
    Ok((pool, mongo_client, events))
}
