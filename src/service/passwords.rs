//! Password hashing with argon2id on the blocking pool (never on the async workers), through
//! one bounded queue: at most `concurrency` hashes run at once, so hashing memory stays below
//! `concurrency x memory cost` however many requests arrive; a hash that waits longer than
//! the queue timeout for a slot is refused (503 with `Retry-After`).

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use super::error::{ServiceError, ServiceResult};
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

/// How many hashes may run at once, and how long one may wait for its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashQueue {
    pub concurrency: usize,
    pub timeout: Duration,
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
    slots: Arc<Semaphore>,
    queue_timeout: Duration,
}

impl PasswordHasher {
    pub async fn new(cost: HashCost, queue: HashQueue) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !cost.weaker_than(&HashCost::OWASP_FLOOR),
            "password hash cost is below OWASP's floor"
        );
        anyhow::ensure!(
            queue.concurrency > 0,
            "password hash concurrency must be at least 1"
        );
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let hasher = Self {
            cost,
            params,
            dummy_hash: Arc::from(""),
            slots: Arc::new(Semaphore::new(queue.concurrency)),
            queue_timeout: queue.timeout,
        };
        let dummy = hasher
            .hash_str("not a real password; equalises login timing".to_owned())
            .await?;
        Ok(Self {
            dummy_hash: Arc::from(dummy),
            ..hasher
        })
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Runs `work` on the blocking pool once a slot is free. The slot goes with the work,
    /// so a request that gives up (a client that disconnects) frees it only when the hash
    /// it started has finished: the bound holds for work in flight, not only for waiters.
    async fn in_turn<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> ServiceResult<T> {
        let slot = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ServiceError::Overloaded {
                detail: "Too many password checks are in progress; retry shortly.",
                retry_after_secs: self.queue_timeout.as_secs_f64().ceil().max(1.0) as u64,
            })?
            .map_err(|closed| anyhow::anyhow!("password hash queue: {closed}"))?;
        let outcome = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| anyhow::anyhow!("password hash task: {e}"))??;
        Ok(outcome)
    }

    async fn hash_str(&self, password: String) -> ServiceResult<String> {
        let params = self.params.clone();
        self.in_turn(move || {
            Self::argon2(params)
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await
    }

    /// A PHC string (`$argon2id$v=19$m=...`) with a fresh random salt.
    pub async fn hash(&self, password: &Password) -> ServiceResult<String> {
        self.hash_str(password.expose().to_owned()).await
    }

    /// Checks `password` against a stored PHC string; a hash weaker than the configured
    /// cost is upgraded when the password is right.
    pub async fn verify(&self, password: &str, stored: &str) -> ServiceResult<Verification> {
        let password = password.to_owned();
        let stored = stored.to_owned();
        let params = self.params.clone();
        let wanted = self.cost;
        self.in_turn(move || {
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
        .await
    }

    /// Spends the time of a real verification, for an account that does not exist; refused
    /// like a real one when the queue is full, so the answer does not tell them apart.
    pub async fn verify_dummy(&self, password: &str) -> ServiceResult<()> {
        self.verify(password, &self.dummy_hash.clone())
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOMY: HashQueue = HashQueue {
        concurrency: 2,
        timeout: Duration::from_secs(30),
    };

    async fn hasher_with(queue: HashQueue) -> PasswordHasher {
        PasswordHasher::new(HashCost::OWASP_FLOOR, queue)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_weak_hashes_are_upgraded() {
        let hasher = hasher_with(ROOMY).await;
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
        assert!(PasswordHasher::new(weak, ROOMY).await.is_err());
        let no_slots = HashQueue {
            concurrency: 0,
            ..ROOMY
        };
        assert!(
            PasswordHasher::new(HashCost::OWASP_FLOOR, no_slots)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_hash_that_waits_past_the_queue_timeout_is_refused_with_a_retry_after() {
        let hasher = hasher_with(HashQueue {
            concurrency: 1,
            timeout: Duration::from_millis(1_200),
        })
        .await;
        let busy = hasher.slots.clone().acquire_owned().await.unwrap();
        let started = tokio::time::Instant::now();
        let refused = hasher.verify_dummy("anything at all").await;
        assert!(
            matches!(
                refused,
                Err(ServiceError::Overloaded {
                    retry_after_secs: 2,
                    ..
                })
            ),
            "{refused:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(1_200));
        let password = Password::parse("correct horse battery").unwrap();
        assert!(matches!(
            hasher.hash(&password).await,
            Err(ServiceError::Overloaded { .. })
        ));

        drop(busy);
        assert!(hasher.hash(&password).await.is_ok(), "a free slot serves");
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_the_concurrency() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let hasher = hasher_with(HashQueue {
            concurrency: 2,
            timeout: Duration::from_secs(60),
        })
        .await;
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let work = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            hasher.in_turn(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            })
        });
        let results = futures::future::join_all(work).await;
        assert!(results.iter().all(Result::is_ok));
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
        assert_eq!(hasher.slots.available_permits(), 2, "every slot came back");
    }

    #[tokio::test]
    async fn a_caller_that_gives_up_frees_its_slot_only_when_its_hash_is_done() {
        let hasher = hasher_with(HashQueue {
            concurrency: 1,
            timeout: Duration::from_secs(60),
        })
        .await;
        let password = Password::parse("correct horse battery").unwrap();
        let abandoned = tokio::time::timeout(Duration::from_millis(1), hasher.hash(&password));
        assert!(abandoned.await.is_err(), "the caller gave up first");
        assert_eq!(
            hasher.slots.available_permits(),
            0,
            "the hash it started still holds the slot"
        );
        let next = hasher.hash(&password).await;
        assert!(next.is_ok());
        assert_eq!(hasher.slots.available_permits(), 1);
    }
}
