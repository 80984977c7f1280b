//! The background verifier: every `AUDIT_VERIFY_INTERVAL_SECONDS` it verifies what is new
//! since the last checkpoint it passed intact (the whole chain on its first run), keeps the
//! result for `GET /audit-trail/verification` and sets `audit_chain_verified_seq` and
//! `audit_chain_broken`. It records no audit event: it would feed itself.

use std::time::Duration;

use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

use crate::service::audit_integrity::{AuditIntegrityService, WalkStart};
use crate::service::audit_trail::LatestVerification;

pub struct BackgroundVerifier {
    pub integrity: AuditIntegrityService,
    pub latest: LatestVerification,
    pub interval: Duration,
}

impl BackgroundVerifier {
    pub async fn run(self, shutdown: CancellationToken) {
        let mut start = WalkStart::At(1);
        loop {
            match self.integrity.verify(start, |_, _| {}).await {
                Ok(verification) => {
                    metrics::gauge!("audit_chain_verified_seq")
                        .set(verification.verified_through_seq as f64);
                    metrics::gauge!("audit_chain_broken").set(if verification.is_intact() {
                        0.0
                    } else {
                        1.0
                    });
                    if let Some(broken) = &verification.first_break {
                        tracing::error!(
                            seq = broken.seq,
                            kind = broken.kind.as_str(),
                            detail = %broken.detail,
                            "the audit chain is broken"
                        );
                    } else if let Some(checkpoint) = &verification.last_checkpoint {
                        start = WalkStart::After {
                            seq: checkpoint.seq,
                            hash: checkpoint.hash,
                        };
                    }
                    self.latest.set(verification);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the audit chain could not be verified; retrying");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = sleep(self.interval) => {}
            }
        }
    }
}
