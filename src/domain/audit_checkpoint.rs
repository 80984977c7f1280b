//! Signed checkpoints of the audit chain (docs/AUDIT_INTEGRITY.md): `{seq, hash, created_at}`
//! signed with Ed25519, so that the chain's state at `seq` is fixed by someone holding the
//! key, not by whoever can write to the stores.
//!
//! The signed bytes are `"stockroom-audit-checkpoint-v1" || 0x00 || seq (8 bytes, big-endian)
//! || hash (32 bytes) || created_at (milliseconds since the Unix epoch, 8 bytes, big-endian,
//! signed)`. A key is named by `key_id = "ed25519:" + the first 16 hex digits of
//! SHA-256(public key)`; verification trusts only the keys it is configured with.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::audit_chain::{Digest32, sha256};

/// What the signature covers starts with this, so it can never be mistaken for another
/// message signed with the same key.
const SIGNING_CONTEXT: &[u8] = b"stockroom-audit-checkpoint-v1\0";

/// The chain's state at `seq`, signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: Digest32,
    /// At the millisecond (both stores keep no finer).
    pub created_at: DateTime<Utc>,
    pub key_id: String,
    pub signature: [u8; 64],
}

impl Checkpoint {
    pub fn signature_base64(&self) -> String {
        STANDARD.encode(self.signature)
    }
}

/// The bytes a checkpoint's signature is over.
pub fn signing_input(seq: i64, hash: &Digest32, created_at: DateTime<Utc>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SIGNING_CONTEXT.len() + 48);
    bytes.extend_from_slice(SIGNING_CONTEXT);
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&hash.0);
    bytes.extend_from_slice(&created_at.timestamp_millis().to_be_bytes());
    bytes
}

/// `ed25519:` and the first 16 hex digits of SHA-256 of the 32-byte public key.
pub fn key_id(key: &VerifyingKey) -> String {
    format!("ed25519:{}", &sha256(key.as_bytes()).to_hex()[..16])
}

/// Why a checkpoint is not to be trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckpointFault {
    UnknownKey(String),
    BadSignature,
}

impl fmt::Display for CheckpointFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(id) => write!(f, "signed by key {id}, which is not a configured key"),
            Self::BadSignature => f.write_str("its signature does not verify"),
        }
    }
}

/// A public key a verifier trusts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    pub key_id: String,
    pub public_key: VerifyingKey,
    /// The key new checkpoints are signed with (the others are retired).
    pub active: bool,
}

impl TrustedKey {
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key.as_bytes())
    }
}

/// The signing key and the retired public keys still trusted for older checkpoints.
#[derive(Clone)]
pub struct AuditKeys {
    signing: SigningKey,
    trusted: BTreeMap<String, TrustedKey>,
}

impl fmt::Debug for AuditKeys {
    // The seed never reaches a log line, even through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKeys")
            .field("signing", &"<redacted>")
            .field("trusted", &self.trusted.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AuditKeys {
    pub fn new(seed: [u8; 32], previous: Vec<VerifyingKey>) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let mut trusted = BTreeMap::new();
        for public_key in previous {
            let key_id = key_id(&public_key);
            trusted.insert(
                key_id.clone(),
                TrustedKey {
                    key_id,
                    public_key,
                    active: false,
                },
            );
        }
        let public_key = signing.verifying_key();
        let active = key_id(&public_key);
        trusted.insert(
            active.clone(),
            TrustedKey {
                key_id: active,
                public_key,
                active: true,
            },
        );
        Self { signing, trusted }
    }

    /// Reads the base64 of a 32-byte seed (`AUDIT_SIGNING_KEY`).
    pub fn seed_from_base64(text: &str) -> Result<[u8; 32], String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "is not base64 (standard alphabet, padded)".to_owned())?;
        <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            format!(
                "must be the base64 of a 32-byte Ed25519 seed (got {} bytes)",
                bytes.len()
            )
        })
    }

    /// Reads the base64 of a 32-byte public key (`AUDIT_PREVIOUS_PUBLIC_KEYS`).
    pub fn public_key_from_base64(text: &str) -> Result<VerifyingKey, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| format!("`{text}` is not base64 (standard alphabet, padded)"))?;
        let bytes = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| format!("`{text}` is not a 32-byte Ed25519 public key"))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| format!("`{text}` is not a valid Ed25519 public key"))
    }

    /// A fresh seed from the operating system's generator, and its public key, in base64.
    pub fn generate() -> Result<(String, String), getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)?;
        let public = SigningKey::from_bytes(&seed).verifying_key();
        Ok((STANDARD.encode(seed), STANDARD.encode(public.as_bytes())))
    }

    pub fn active_key_id(&self) -> String {
        key_id(&self.signing.verifying_key())
    }

    /// The trusted keys, the active one first.
    pub fn trusted(&self) -> Vec<TrustedKey> {
        let mut keys: Vec<TrustedKey> = self.trusted.values().cloned().collect();
        keys.sort_by_key(|key| !key.active);
        keys
    }

    /// The chain's state at `seq` signed now (at the millisecond).
    pub fn sign(&self, seq: i64, hash: Digest32, now: DateTime<Utc>) -> Checkpoint {
        let created_at = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        let signature = self.signing.sign(&signing_input(seq, &hash, created_at));
        Checkpoint {
            seq,
            hash,
            created_at,
            key_id: self.active_key_id(),
            signature: signature.to_bytes(),
        }
    }

    /// Whether a configured key signed `checkpoint` as it stands.
    pub fn verify(&self, checkpoint: &Checkpoint) -> Result<(), CheckpointFault> {
        let key = self
            .trusted
            .get(&checkpoint.key_id)
            .ok_or_else(|| CheckpointFault::UnknownKey(checkpoint.key_id.clone()))?;
        let message = signing_input(checkpoint.seq, &checkpoint.hash, checkpoint.created_at);
        key.public_key
            .verify(&message, &Signature::from_bytes(&checkpoint.signature))
            .map_err(|_| CheckpointFault::BadSignature)
    }
}

/// When the next checkpoint is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// After this many events since the last checkpoint...
    pub every: i64,
    /// ...or this long after it, whichever comes first, and only when the chain moved.
    pub interval: Duration,
}

impl CheckpointPolicy {
    /// `last`: the latest checkpoint's position and time (`None` before the first).
    pub fn due(
        &self,
        head_seq: i64,
        last: Option<(i64, DateTime<Utc>)>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some((last_seq, last_at)) = last else {
            return head_seq > 0; // the first as soon as there is a chain
        };
        if head_seq <= last_seq {
            return false;
        }
        let interval = chrono::Duration::from_std(self.interval).unwrap_or(chrono::Duration::MAX);
        head_seq - last_seq >= self.every || now - last_at >= interval
    }
}

#[cfg(test)]
mod tests;

/// Where the next page of checkpoints (newest first) starts: below this position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointCursor(pub i64);

const CHECKPOINT_CURSOR_PREFIX: &str = "before-";
const MAX_CHECKPOINT_CURSOR_CHARS: usize = 32;

impl CheckpointCursor {
    pub fn encode(&self) -> String {
        format!("{CHECKPOINT_CURSOR_PREFIX}{}", self.0)
    }

    pub fn decode(raw: &str) -> Result<Self, super::value::Invalid> {
        let malformed = || super::value::Invalid::new("is not a cursor this API issued");
        if raw.len() > MAX_CHECKPOINT_CURSOR_CHARS {
            return Err(malformed());
        }
        let seq: i64 = raw
            .strip_prefix(CHECKPOINT_CURSOR_PREFIX)
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(malformed)?;
        if seq < 1 {
            return Err(malformed());
        }
        Ok(Self(seq))
    }
}

crate::value_type!(
    CheckpointCursor,
    "checkpoint_cursor",
    super::value::string_schema(
        "`next_cursor` of the previous page; a cursor this API did not issue is 422.",
        None,
        Some(MAX_CHECKPOINT_CURSOR_CHARS),
        None,
    )
);

impl poem_openapi::types::ParseFromParameter for CheckpointCursor {
    fn parse_from_parameter(raw: &str) -> poem_openapi::types::ParseResult<Self> {
        Self::decode(raw).map_err(|invalid| poem_openapi::types::ParseError::custom(invalid.0))
    }
}
