//! Per-client rate limits (governor, GCRA), per instance. A limit of 0 turns it off.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ServiceError;

struct Limit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    fn per_minute(count: u32) -> Option<Self> {
        NonZeroU32::new(count).map(|n| Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            clock: DefaultClock::default(),
        })
    }

    fn check(&self, key: &K) -> Result<(), ServiceError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ServiceError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

pub struct RateLimits {
    register: Option<Limit<IpAddr>>,
    login_by_ip: Option<Limit<IpAddr>>,
    login_by_email: Option<Limit<String>>,
}

impl RateLimits {
    pub fn new(register_per_minute: u32, login_per_minute: u32) -> Self {
        Self {
            register: Limit::per_minute(register_per_minute),
            login_by_ip: Limit::per_minute(login_per_minute),
            login_by_email: Limit::per_minute(login_per_minute),
        }
    }

    pub fn check_register(&self, ip: Option<IpAddr>) -> Result<(), ServiceError> {
        match (&self.register, ip) {
            (Some(limit), Some(ip)) => limit.check(&ip),
            _ => Ok(()),
        }
    }

    /// Login attempts count against the client address and against the (normalised)
    /// email, so neither one address nor a botnet can guess one account's password fast.
    pub fn check_login(&self, ip: Option<IpAddr>, email: &str) -> Result<(), ServiceError> {
        if let (Some(limit), Some(ip)) = (&self.login_by_ip, ip) {
            limit.check(&ip)?;
        }
        if let Some(limit) = &self.login_by_email {
            limit.check(&email.to_owned())?;
        }
        Ok(())
    }

    /// Drops the state of keys that are back to full capacity (bounded memory).
    pub fn forget_idle(&self) {
        if let Some(limit) = &self.register {
            limit.forget_idle();
        }
        if let Some(limit) = &self.login_by_ip {
            limit.forget_idle();
        }
        if let Some(limit) = &self.login_by_email {
            limit.forget_idle();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_applies_per_key_with_a_retry_after() {
        let limits = RateLimits::new(2, 0);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limits.check_register(Some(a)).is_ok());
        assert!(limits.check_register(Some(a)).is_ok());
        match limits.check_register(Some(a)) {
            Err(ServiceError::RateLimited { retry_after_secs }) => {
                assert!((1..=60).contains(&retry_after_secs))
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        assert!(
            limits.check_register(Some(b)).is_ok(),
            "another address has its own budget"
        );
        for _ in 0..100 {
            assert!(
                limits.check_login(Some(a), "x@example.com").is_ok(),
                "0 turns the limit off"
            );
        }
    }

    #[test]
    fn login_is_limited_per_email_across_addresses() {
        let limits = RateLimits::new(0, 3);
        for i in 0..3 {
            let ip: IpAddr = format!("10.0.1.{i}").parse().unwrap();
            assert!(limits.check_login(Some(ip), "victim@example.com").is_ok());
        }
        let fresh: IpAddr = "10.0.2.1".parse().unwrap();
        assert!(matches!(
            limits.check_login(Some(fresh), "victim@example.com"),
            Err(ServiceError::RateLimited { .. })
        ));
        assert!(limits.check_login(Some(fresh), "other@example.com").is_ok());
    }
}
