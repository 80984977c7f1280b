//! `/api/v1/audit-trail/...` and `/api/v1/audit-events/{id}/proof`: the audit chain's
//! integrity (docs/AUDIT_INTEGRITY.md).

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use serde::Serialize;
use uuid::Uuid;

use super::ApiTags;
use super::audit::views::AuditEventView;
use super::permitted::{Permitted, permission};
use crate::domain::audit_checkpoint::{Checkpoint, CheckpointCursor, TrustedKey};
use crate::domain::audit_query::PageSize;
use crate::domain::audit_verify::BreakKind;
use crate::domain::value::rfc3339;
use crate::http::json::Json;
use crate::http::problem::ApiError;
use crate::service::audit_integrity::Verification;
use crate::service::audit_trail::{AuditTrailService, Proof};

crate::choices! {
    /// Whether every position verified was sound.
    pub enum ChainStatus as "ChainStatus", "intact: no break found through verified_through_seq; broken: see first_break." {
        Intact => "intact",
        Broken => "broken",
    }
}

/// The first break a verification found.
#[derive(Debug, Object, Serialize)]
pub struct ChainBreakView {
    pub seq: i64,
    /// The event at that position, when there is one.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    pub kind: BreakKind,
    /// What is wrong, in plain words.
    pub detail: String,
}

/// What a verification found.
#[derive(Debug, Object, Serialize)]
pub struct VerificationView {
    pub status: ChainStatus,
    /// Every position up to this one is checked and sound.
    pub verified_through_seq: i64,
    /// The last position given when the verification started.
    pub head_seq: i64,
    /// Positions given but not delivered to the event store yet: not checked, never a break.
    pub pending: i64,
    #[serde(serialize_with = "rfc3339")]
    pub checked_at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_break: Option<ChainBreakView>,
}

impl From<Verification> for VerificationView {
    fn from(verification: Verification) -> Self {
        Self {
            status: if verification.is_intact() {
                ChainStatus::Intact
            } else {
                ChainStatus::Broken
            },
            verified_through_seq: verification.verified_through_seq,
            head_seq: verification.head_seq,
            pending: verification.pending,
            checked_at: verification.checked_at,
            first_break: verification.first_break.map(|broken| ChainBreakView {
                seq: broken.seq,
                event_id: broken.event_id,
                kind: broken.kind,
                detail: broken.detail,
            }),
        }
    }
}

/// The chain's state at `seq`, signed with Ed25519 (the signed bytes are in
/// docs/AUDIT_INTEGRITY.md).
#[derive(Debug, Object, Serialize)]
pub struct CheckpointView {
    pub seq: i64,
    /// The chain's `hash` at `seq`, lowercase hex.
    pub hash: String,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    /// `ed25519:` and 16 hex digits of SHA-256 of the public key (see `/audit-trail/keys`).
    pub key_id: String,
    /// The 64-byte signature, base64 (standard alphabet, padded).
    pub signature: String,
}

impl From<Checkpoint> for CheckpointView {
    fn from(checkpoint: Checkpoint) -> Self {
        Self {
            seq: checkpoint.seq,
            hash: checkpoint.hash.to_hex(),
            created_at: checkpoint.created_at,
            signature: checkpoint.signature_base64(),
            key_id: checkpoint.key_id,
        }
    }
}

/// Signed checkpoints, newest first.
#[derive(Debug, Object, Serialize)]
pub struct CheckpointPage {
    pub items: Vec<CheckpointView>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Object, Serialize)]
pub struct KeyView {
    pub key_id: String,
    /// Always `ed25519`.
    pub algorithm: String,
    /// The 32-byte public key, base64 (standard alphabet, padded).
    pub public_key: String,
    /// The key new checkpoints are signed with; the others are retired but still trusted.
    pub active: bool,
}

impl From<TrustedKey> for KeyView {
    fn from(key: TrustedKey) -> Self {
        Self {
            public_key: key.public_key_base64(),
            key_id: key.key_id,
            algorithm: "ed25519".to_owned(),
            active: key.active,
        }
    }
}

#[derive(Debug, Object, Serialize)]
pub struct KeyList {
    pub keys: Vec<KeyView>,
}

/// One link after the event, by its hashes.
#[derive(Debug, Object, Serialize)]
pub struct LinkView {
    pub seq: i64,
    pub content_hash: String,
    pub hash: String,
}

/// Check: the event's fields hash to its `content_hash`; `hash = SHA-256(prev_hash ||
/// content_hash)`; each link's `hash = SHA-256(previous hash || its content_hash)` at
/// consecutive positions; the last one's `hash` is the checkpoint's; the checkpoint's
/// signature verifies under a public key you trust.
#[derive(Debug, Object, Serialize)]
pub struct ProofView {
    pub event: AuditEventView,
    pub chain: Vec<LinkView>,
    pub checkpoint: CheckpointView,
}

impl From<Proof> for ProofView {
    fn from(proof: Proof) -> Self {
        Self {
            event: proof.event.into(),
            chain: proof
                .chain
                .into_iter()
                .map(|link| LinkView {
                    seq: link.seq,
                    content_hash: link.content_hash.to_hex(),
                    hash: link.hash.to_hex(),
                })
                .collect(),
            checkpoint: proof.checkpoint.into(),
        }
    }
}

pub struct AuditTrailApi {
    pub trail: AuditTrailService,
}

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Audit")]
impl AuditTrailApi {
    /// The audit chain's verification.
    ///
    /// Needs `audit:read`. By default the background verifier's latest result (it runs every
    /// `AUDIT_VERIFY_INTERVAL_SECONDS`, checking what is new since the last checkpoint it
    /// passed). `full=true` verifies the whole chain now, within the audit query time limit
    /// (503 when it does not finish: `stockroom audit verify` has no limit; 503 with
    /// `Retry-After` while another one runs on the same instance), and is recorded as
    /// `audit.verified`.
    #[oai(
        path = "/audit-trail/verification",
        method = "get",
        operation_id = "get_audit_verification"
    )]
    async fn verification(
        &self,
        auth: Permitted<permission::AuditRead>,
        /// Verify the whole chain now instead of answering the latest result.
        #[oai(default)]
        full: Query<bool>,
    ) -> Result<Json<VerificationView>, ApiError> {
        let verification = self.trail.verification(&auth.0, full.0).await?;
        Ok(Json(verification.into()))
    }

    /// Signed checkpoints, newest first.
    ///
    /// Needs `audit:read`. Pass `next_cursor` back as `cursor` until it is null.
    #[oai(
        path = "/audit-trail/checkpoints",
        method = "get",
        operation_id = "list_audit_checkpoints"
    )]
    async fn checkpoints(
        &self,
        auth: Permitted<permission::AuditRead>,
        /// Page size, 1 to 100.
        #[oai(default)]
        limit: Query<PageSize>,
        cursor: Query<Option<CheckpointCursor>>,
    ) -> Result<Json<CheckpointPage>, ApiError> {
        let (items, next) = self.trail.checkpoints(&auth.0, limit.0, cursor.0).await?;
        Ok(Json(CheckpointPage {
            items: items.into_iter().map(Into::into).collect(),
            next_cursor: next.map(|cursor| cursor.encode()),
        }))
    }

    /// The public keys checkpoints are verified with.
    ///
    /// Needs `audit:read`. The active key signs new checkpoints; retired keys
    /// (`AUDIT_PREVIOUS_PUBLIC_KEYS`) still verify older ones. Trust a key you got from
    /// somewhere other than this answer too: a verifier trusts only keys it is given.
    #[oai(
        path = "/audit-trail/keys",
        method = "get",
        operation_id = "list_audit_keys"
    )]
    async fn keys(
        &self,
        auth: Permitted<permission::AuditRead>,
    ) -> Result<Json<KeyList>, ApiError> {
        let keys = self.trail.keys(&auth.0).await?;
        Ok(Json(KeyList {
            keys: keys.into_iter().map(Into::into).collect(),
        }))
    }

    /// What an offline client needs to check that one event is in the signed history.
    ///
    /// Needs `audit:read`. The event, each following link `{seq, content_hash, hash}` up to
    /// the first signed checkpoint at or after it, and that checkpoint. 409 with
    /// `Retry-After` while no checkpoint covers the event yet (or, without it, for an event
    /// stored before the chain started); 404 for an unknown id.
    #[oai(
        path = "/audit-events/:id/proof",
        method = "get",
        operation_id = "get_audit_event_proof"
    )]
    async fn proof(
        &self,
        auth: Permitted<permission::AuditRead>,
        id: Path<Uuid>,
    ) -> Result<Json<ProofView>, ApiError> {
        let proof = self.trail.proof(&auth.0, id.0).await?;
        Ok(Json(proof.into()))
    }
}
