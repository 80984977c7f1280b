//! Per-client rate limits (GCRA), kept in PostgreSQL so every instance draws on the same
//! budget: three instances behind one address give a client what one would. A limit of 0
//! turns it off.
//!
//! Login is limited twice (OWASP's authentication cheat sheet): every attempt counts against
//! the client address, and failures count against the account *from that address*, so a
//! guesser is stopped while a correct password from an address that has not been failing
//! is never refused because others failed.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use uuid::Uuid;

use super::error::{ServiceError, ServiceResult};
use crate::repo::pg::rate_limits::{Budget, Decision, Rate};
use crate::repo::pg::{PgPool, PgRateLimitRepo};

const PERIOD: Duration = Duration::from_secs(60);

/// `count` requests per minute: a burst of `count`, then one more every 60/`count` seconds.
fn per_minute(count: u32) -> Option<Rate> {
    (count > 0).then(|| {
        let interval = PERIOD / count;
        Rate {
            interval,
            tolerance: PERIOD - interval,
        }
    })
}

/// The key of a client address. An IPv6 host commonly holds a whole /64, so it counts as
/// one client there (otherwise it could mint keys, and budgets, without end); an
/// IPv4-mapped IPv6 address is its IPv4 address.
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !u128::from(u64::MAX);
            format!("{}/64", Ipv6Addr::from(network))
        }
    }
}

/// Refusals, as the client is told them.
fn refuse(decision: Decision) -> ServiceResult<()> {
    match decision {
        Decision::Allowed => Ok(()),
        Decision::Limited { retry_after } => Err(ServiceError::RateLimited {
            retry_after_secs: retry_after.as_secs_f64().ceil().max(1.0) as u64,
        }),
    }
}

/// The limits, per minute (0 = off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitSettings {
    pub register_per_address: u32,
    pub login_per_address: u32,
    pub login_failures_per_account_and_address: u32,
    pub password_changes_per_user: u32,
}

pub struct RateLimits {
    pool: PgPool,
    store: PgRateLimitRepo,
    register: Option<Rate>,
    login: Option<Rate>,
    login_failures: Option<Rate>,
    password_change: Option<Rate>,
}

impl RateLimits {
    pub fn new(pool: PgPool, settings: LimitSettings) -> Self {
        Self {
            pool,
            store: PgRateLimitRepo,
            register: per_minute(settings.register_per_address),
            login: per_minute(settings.login_per_address),
            login_failures: per_minute(settings.login_failures_per_account_and_address),
            password_change: per_minute(settings.password_changes_per_user),
        }
    }

    async fn take(&self, name: &'static str, rate: Option<Rate>, key: &str) -> ServiceResult<()> {
        match rate {
            Some(rate) => refuse(
                self.store
                    .take(&self.pool, Budget { name, key, rate })
                    .await?,
            ),
            None => Ok(()),
        }
    }

    pub async fn check_register(&self, ip: Option<IpAddr>) -> ServiceResult<()> {
        match ip {
            Some(ip) => self.take("register", self.register, &address_key(ip)).await,
            None => Ok(()),
        }
    }

    /// Before a login's password is checked: the attempt uses the address's budget, and
    /// is refused (without using anything) while this account has failed too often from
    /// this address.
    pub async fn check_login(&self, ip: Option<IpAddr>, email: &str) -> ServiceResult<()> {
        if let Some(ip) = ip {
            self.take("login", self.login, &address_key(ip)).await?;
        }
        match self.login_failures {
            Some(rate) => {
                let key = &account_and_address(email, ip);
                let budget = Budget {
                    name: "login_failure",
                    key,
                    rate,
                };
                refuse(self.store.peek(&self.pool, budget).await?)
            }
            None => Ok(()),
        }
    }

    /// After a login failed (unknown email, wrong password or deactivated account alike).
    pub async fn login_failed(&self, ip: Option<IpAddr>, email: &str) -> ServiceResult<()> {
        if let Some(rate) = self.login_failures {
            let key = &account_and_address(email, ip);
            let budget = Budget {
                name: "login_failure",
                key,
                rate,
            };
            self.store.charge(&self.pool, budget).await?;
        }
        Ok(())
    }

    /// Every password change attempt of a user, wherever it comes from.
    pub async fn check_password_change(&self, user_id: Uuid) -> ServiceResult<()> {
        self.take(
            "password_change",
            self.password_change,
            &user_id.to_string(),
        )
        .await
    }
}

/// The (normalised) email and the client address; no address (never the case behind a TCP
/// listener) is a key of its own.
fn account_and_address(email: &str, ip: Option<IpAddr>) -> String {
    let address = ip.map_or_else(|| "unknown".to_owned(), address_key);
    format!("{email} {address}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_minute_is_a_burst_of_the_count_then_one_per_share_of_the_minute() {
        assert_eq!(per_minute(0), None);
        assert_eq!(
            per_minute(10),
            Some(Rate {
                interval: Duration::from_secs(6),
                tolerance: Duration::from_secs(54),
            })
        );
        assert_eq!(
            per_minute(1),
            Some(Rate {
                interval: Duration::from_secs(60),
                tolerance: Duration::ZERO,
            })
        );
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64_and_an_ipv4_client_its_address() {
        let key = |raw: &str| address_key(raw.parse().unwrap());
        assert_eq!(key("203.0.113.9"), "203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::1"), "::/64");
    }

    #[test]
    fn failures_are_keyed_per_account_and_address() {
        let a: IpAddr = "203.0.113.9".parse().unwrap();
        let b: IpAddr = "203.0.113.10".parse().unwrap();
        assert_ne!(
            account_and_address("v@example.com", Some(a)),
            account_and_address("v@example.com", Some(b))
        );
        assert_ne!(
            account_and_address("v@example.com", Some(a)),
            account_and_address("w@example.com", Some(a))
        );
    }

    #[test]
    fn a_refusal_tells_whole_seconds_never_zero() {
        let wait = |ms| {
            refuse(Decision::Limited {
                retry_after: Duration::from_millis(ms),
            })
        };
        assert!(matches!(
            wait(1),
            Err(ServiceError::RateLimited {
                retry_after_secs: 1
            })
        ));
        assert!(matches!(
            wait(5_001),
            Err(ServiceError::RateLimited {
                retry_after_secs: 6
            })
        ));
        assert!(refuse(Decision::Allowed).is_ok());
    }
}
