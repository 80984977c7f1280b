//! Password hashing with argon2id on the blocking pool (never on the async workers).

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};

use crate::domain::identity::Password;

/// OWASP's floor for argon2id: 19 MiB, 2 iterations, 1 lane.
pub const MIN_MEMORY_KIB: u32 = 19_456;
pub const MIN_ITERATIONS: u32 = 2;
pub const MIN_PARALLELISM: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    pub const OWASP_FLOOR: HashCost = HashCost {
        memory_kib: MIN_MEMORY_KIB,
        iterations: MIN_ITERATIONS,
        parallelism: MIN_PARALLELISM,
    };

    /// True when `self` is weaker than `wanted` in any dimension.
    fn weaker_than(&self, wanted: &HashCost) -> bool {
        self.memory_kib < wanted.memory_kib
            || self.iterations < wanted.iterations
            || self.parallelism < wanted.parallelism
    }
}

pub struct Verification {
    pub valid: bool,
    /// A fresh hash with the configured cost, when the stored one was weaker.
    pub upgraded_hash: Option<String>,
}

#[derive(Clone)]
pub struct PasswordHasher {
    cost: HashCost,
    params: Params,
    /// Verified against when the account does not exist, so that costs the same time.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub async fn new(cost: HashCost) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !cost.weaker_than(&HashCost::OWASP_FLOOR),
            "password hash cost is below OWASP's floor"
        );
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let hasher = Self {
            cost,
            params,
            dummy_hash: Arc::from(""),
        };
        let dummy = hasher
            .hash_blocking("not a real password; equalises login timing".to_owned())
            .await?;
        Ok(Self {
            dummy_hash: Arc::from(dummy),
            ..hasher
        })
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    async fn hash_blocking(&self, password: String) -> anyhow::Result<String> {
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || {
            Self::argon2(params)
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
    }

    /// A PHC string (`$argon2id$v=19$m=...`) with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        self.hash_blocking(password.expose().to_owned()).await
    }

    /// Checks `password` against a stored PHC string; a hash weaker than the configured
    /// cost is upgraded when the password is right.
    pub async fn verify(&self, password: &str, stored: &str) -> anyhow::Result<Verification> {
        let password = password.to_owned();
        let stored = stored.to_owned();
        let params = self.params.clone();
        let wanted = self.cost;
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
            let stored_cost = Params::try_from(&parsed)
                .map(|p| HashCost {
                    memory_kib: p.m_cost(),
                    iterations: p.t_cost(),
                    parallelism: p.p_cost(),
                })
                .map_err(|e| anyhow::anyhow!("stored hash parameters: {e}"))?;
            let valid = Self::argon2(Params::try_from(&parsed).unwrap_or(params.clone()))
                .verify_password(password.as_bytes(), &parsed)
                .is_ok();
            let upgraded_hash = if valid
                && (stored_cost.weaker_than(&wanted) || parsed.algorithm.as_str() != "argon2id")
            {
                Some(
                    Self::argon2(params)
                        .hash_password(password.as_bytes())
                        .map(|h| h.to_string())
                        .map_err(|e| anyhow::anyhow!("rehashing: {e}"))?,
                )
            } else {
                None
            };
            Ok(Verification {
                valid,
                upgraded_hash,
            })
        })
        .await?
    }

    /// Spends the time of a real verification, for an account that does not exist.
    pub async fn verify_dummy(&self, password: &str) {
        let _ = self.verify(password, &self.dummy_hash.clone()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_weak_hashes_are_upgraded() {
        let hasher = PasswordHasher::new(HashCost::OWASP_FLOOR).await.unwrap();
        let password = Password::parse("correct horse battery").unwrap();
        let stored = hasher.hash(&password).await.unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(!stored.contains("correct horse"));

        let right = hasher
            .verify("correct horse battery", &stored)
            .await
            .unwrap();
        assert!(right.valid && right.upgraded_hash.is_none());
        let wrong = hasher.verify("wrong horse battery", &stored).await.unwrap();
        assert!(!wrong.valid && wrong.upgraded_hash.is_none());

        let weak_params = Params::new(8_192, 1, 1, None).unwrap();
        let weak = PasswordHasher::argon2(weak_params)
            .hash_password(b"correct horse battery")
            .unwrap()
            .to_string();
        let upgraded = hasher.verify("correct horse battery", &weak).await.unwrap();
        assert!(upgraded.valid);
        let new_hash = upgraded
            .upgraded_hash
            .expect("a weaker stored hash is upgraded");
        assert!(new_hash.contains("m=19456,t=2,p=1"));
        assert!(
            hasher
                .verify("correct horse battery", &new_hash)
                .await
                .unwrap()
                .valid
        );
    }

    #[tokio::test]
    async fn a_cost_below_the_floor_is_refused() {
        let weak = HashCost {
            memory_kib: 4_096,
            iterations: 2,
            parallelism: 1,
        };
        assert!(PasswordHasher::new(weak).await.is_err());
    }
}
