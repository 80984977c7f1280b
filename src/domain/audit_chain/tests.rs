//! The worked example of docs/AUDIT_INTEGRITY.md: its bytes and hashes were computed apart
//! (Python's `hashlib` over the canonical text below), so this checks the encoder, not itself.

use chrono::{TimeZone, Utc};
use uuid::Uuid;

use super::*;
use crate::domain::audit::{Actor, AuditEvent, Outcome, Target};

const CANONICAL: &str = r#"{"action":"product.updated","actor":{"email":"ada@example.com","ip":"203.0.113.7","user_id":"0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d20"},"changes":{"price":{"from":"12.50","to":"9.99"}},"id":"0193e1c2-8000-7c00-8000-000000000001","metadata":{"note":"café \"quoted\"","stock":7},"occurred_at":"2026-12-02T10:15:30.123Z","outcome":"success","request_id":"req-1","schema_version":1,"seq":1,"target":{"id":"0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d21","type":"product"}}"#;
const CONTENT_HASH: &str = "f6c4b02deb943ac2fc58d071fae330aea03abada972b7d84a4383a10763924d8";
const HASH: &str = "d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b2";

pub(crate) fn example() -> AuditEvent {
    let mut metadata = serde_json::Map::new();
    metadata.insert("stock".into(), 7.into());
    metadata.insert("note".into(), "café \"quoted\"".into());
    AuditEvent {
        id: Uuid::parse_str("0193e1c2-8000-7c00-8000-000000000001").unwrap(),
        occurred_at: Utc.timestamp_millis_opt(1_796_206_530_123).unwrap(),
        action: "product.updated".into(),
        outcome: Outcome::Success,
        actor: Actor {
            user_id: Some(Uuid::parse_str("0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d20").unwrap()),
            email: Some("ada@example.com".into()),
            ip: Some("203.0.113.7".into()),
            user_agent: None,
        },
        target: Target {
            target_type: "product".into(),
            id: Some("0193e1c2-7f00-7b3a-9d2e-3f5a7c9b1d21".into()),
        },
        changes: None,
        request_id: Some("req-1".into()),
        metadata,
        chain: None,
    }
    .with_change("price", "12.50".into(), "9.99".into())
}

#[test]
fn the_worked_example_encodes_and_hashes_as_the_specification_says() {
    let event = example();
    assert_eq!(
        event.occurred_at.to_rfc3339(),
        "2026-12-02T10:15:30.123+00:00"
    );
    assert_eq!(
        String::from_utf8(canonical_bytes(&event, 1)).unwrap(),
        CANONICAL
    );
    let link = ChainLink::new(&event, 1, Digest32::GENESIS);
    assert_eq!(link.content_hash.to_hex(), CONTENT_HASH);
    assert_eq!(link.hash.to_hex(), HASH);
    assert_eq!(link.prev_hash.to_hex(), "0".repeat(64));
}

#[test]
fn every_field_and_the_position_change_the_content_hash() {
    let event = example();
    let base = ChainLink::new(&event, 1, Digest32::GENESIS);
    assert_ne!(
        ChainLink::new(&event, 2, Digest32::GENESIS).content_hash,
        base.content_hash
    );
    let mut changed = event.clone();
    changed.metadata.insert("stock".into(), 8.into());
    assert_ne!(
        ChainLink::new(&changed, 1, Digest32::GENESIS).content_hash,
        base.content_hash
    );
    let mut later = event.clone();
    later.occurred_at += chrono::Duration::milliseconds(1);
    assert_ne!(
        ChainLink::new(&later, 1, Digest32::GENESIS).content_hash,
        base.content_hash
    );
    // Another predecessor changes the link's hash but not the event's own content hash.
    let after = ChainLink::new(&event, 1, base.hash);
    assert_eq!(after.content_hash, base.content_hash);
    assert_ne!(after.hash, base.hash);
}

#[test]
fn keys_sort_by_utf16_code_units_and_controls_escape_in_lowercase() {
    let mut out = Vec::new();
    // U+E000 sorts after U+1F600 in UTF-8 bytes' order reversed: UTF-16 puts the surrogate
    // pair (0xD83D...) first.
    let value = serde_json::json!({ "\u{e000}": 1, "\u{1f600}": 2, "a": "\u{1f}\n/" });
    write_canonical(&value, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"a\":\"\\u001f\\n/\",\"\u{1f600}\":2,\"\u{e000}\":1}"
    );
    assert_eq!(Digest32::from_hex(HASH).unwrap().to_hex(), HASH);
    assert_eq!(Digest32::from_hex("xyz"), None);
}
