//! The audit chain (docs/AUDIT_INTEGRITY.md): every audit event has a position `seq`
//! (1, 2, 3, ...), `content_hash = SHA-256(canonical bytes of the event)` and
//! `hash = SHA-256(prev_hash || content_hash)`, the first `prev_hash` being 32 zero bytes.
//!
//! The canonical bytes are the RFC 8785 (JCS) serialisation of the event as the API gives
//! it, without the three hashes: keys sorted by their UTF-16 code units, no whitespace,
//! strings escaped as JSON requires and no more, and the time as
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`. Audit events hold integers and strings only (money is a
//! decimal string), so numbers are written as integers.

use std::fmt;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::audit::AuditEvent;

/// The `schema_version` of chained events, part of their canonical bytes.
pub const CHAIN_SCHEMA_VERSION: i64 = 1;

/// A SHA-256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// The `prev_hash` of the first event.
    pub const GENESIS: Self = Self([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An event's place in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainLink {
    pub seq: i64,
    pub prev_hash: Digest32,
    pub content_hash: Digest32,
    pub hash: Digest32,
}

impl ChainLink {
    /// The link of `event` at `seq`, after the event whose hash is `prev_hash`.
    pub fn new(event: &AuditEvent, seq: i64, prev_hash: Digest32) -> Self {
        let content_hash = sha256(&canonical_bytes(event, seq));
        Self {
            seq,
            prev_hash,
            content_hash,
            hash: link_hash(&prev_hash, &content_hash),
        }
    }
}

pub fn sha256(bytes: &[u8]) -> Digest32 {
    Digest32(Sha256::digest(bytes).into())
}

/// `SHA-256(prev_hash || content_hash)`: 64 bytes in, so a proof can carry hashes alone.
pub fn link_hash(prev_hash: &Digest32, content_hash: &Digest32) -> Digest32 {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.0);
    hasher.update(content_hash.0);
    Digest32(hasher.finalize().into())
}

/// The JSON object the canonical bytes serialise: the event's API fields and `seq`.
pub fn canonical_value(event: &AuditEvent, seq: i64) -> Value {
    let mut actor = Map::new();
    let known = [
        ("user_id", event.actor.user_id.map(|id| id.to_string())),
        ("email", event.actor.email.clone()),
        ("ip", event.actor.ip.clone()),
        ("user_agent", event.actor.user_agent.clone()),
    ];
    for (key, value) in known {
        if let Some(value) = value {
            actor.insert(key.to_owned(), Value::String(value));
        }
    }
    let mut target = Map::new();
    target.insert("type".into(), event.target.target_type.clone().into());
    if let Some(id) = &event.target.id {
        target.insert("id".into(), id.clone().into());
    }
    let mut object = json!({
        "id": event.id.to_string(),
        "seq": seq,
        "schema_version": CHAIN_SCHEMA_VERSION,
        "occurred_at": event.occurred_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        "action": event.action,
        "outcome": event.outcome.as_str(),
        "actor": actor,
        "target": target,
        "request_id": event.request_id,
        "metadata": event.metadata,
    });
    if let Some(changes) = &event.changes {
        object["changes"] = serde_json::to_value(changes).unwrap_or(Value::Null);
    }
    object
}

/// RFC 8785 bytes of the canonical object.
pub fn canonical_bytes(event: &AuditEvent, seq: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    write_canonical(&canonical_value(event, seq), &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // RFC 8785 3.2.3: by UTF-16 code units (the same as bytes for ASCII keys).
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::String(text) => write_string(text, out),
        // Null, booleans and integers print as JCS wants them.
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

/// serde_json escapes exactly what RFC 8785 does (`"`, `\`, controls; `\u00xx` in lowercase).
fn write_string(text: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(Value::String(text.to_owned()).to_string().as_bytes());
}

#[cfg(test)]
mod tests;
