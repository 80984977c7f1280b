//! The identity services, built once and shared by the HTTP server and the command line.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::repo::mongo::activity_sink::ActivitySink;
use crate::repo::pg::PgPool;
use crate::service::account::AccountService;
use crate::service::auth::AuthService;
use crate::service::identity_cache::IdentityCache;
use crate::service::passwords::{HashCost, HashQueue, PasswordHasher};
use crate::service::rate_limit::{LimitSettings, RateLimits};
use crate::service::roles::RoleService;
use crate::service::tokens::AccessTokens;
use crate::service::user_admin::AdminUserService;

/// Remembered identities: ~1 KB each; a backstop lifetime behind the notifications.
const IDENTITY_CACHE_CAPACITY: usize = 100_000;
const IDENTITY_CACHE_LIFETIME: Duration = Duration::from_secs(60);

/// The identity services, shared by the HTTP server and the command line.
pub struct Identity {
    pub auth: AuthService,
    pub accounts: AccountService,
    pub users: AdminUserService,
    pub roles: RoleService,
    /// Inert until a listener resumes it (see `worker::listener`).
    pub identities: IdentityCache,
}

impl Identity {
    pub async fn build(
        config: &Config,
        pool: PgPool,
        activity: ActivitySink,
    ) -> anyhow::Result<Self> {
        let cost = HashCost {
            memory_kib: config.password_hash.memory_kib,
            iterations: config.password_hash.iterations,
            parallelism: config.password_hash.parallelism,
        };
        let queue = HashQueue {
            concurrency: config.password_hash.concurrency,
            timeout: config.password_hash.queue_timeout,
        };
        let passwords = PasswordHasher::new(cost, queue).await?;
        let limits = Arc::new(RateLimits::new(
            pool.clone(),
            LimitSettings {
                register_per_address: config.rate_limit_register_per_minute,
                login_per_address: config.rate_limit_login_per_minute,
                login_failures_per_account_and_address: config.rate_limit_login_failures_per_minute,
                password_changes_per_user: config.rate_limit_password_change_per_minute,
            },
        ));
        let identities = IdentityCache::new(IDENTITY_CACHE_CAPACITY, IDENTITY_CACHE_LIFETIME);
        let auth = AuthService::new(
            pool.clone(),
            passwords.clone(),
            Arc::new(AccessTokens::new(&config.jwt)),
            limits.clone(),
            activity,
            identities.clone(),
        );
        Ok(Self {
            users: AdminUserService::new(pool.clone(), auth.clone()),
            roles: RoleService::new(pool.clone(), auth.clone()),
            accounts: AccountService::new(auth.clone()),
            auth,
            identities,
        })
    }
}
