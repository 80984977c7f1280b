use super::*;

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap()
}

fn keys(seed: u8) -> AuditKeys {
    AuditKeys::new([seed; 32], Vec::new())
}

#[test]
fn a_checkpoint_verifies_with_its_key_and_not_once_altered() {
    let keys = keys(7);
    let checkpoint = keys.sign(42, Digest32([9; 32]), at(1_780_000_000_123));
    assert_eq!(keys.verify(&checkpoint), Ok(()));
    let mut moved = checkpoint.clone();
    moved.seq = 41;
    assert_eq!(keys.verify(&moved), Err(CheckpointFault::BadSignature));
    let mut rehashed = checkpoint.clone();
    rehashed.hash.0[31] ^= 1;
    assert_eq!(keys.verify(&rehashed), Err(CheckpointFault::BadSignature));
    let mut redated = checkpoint.clone();
    redated.created_at = at(1_780_000_000_124);
    assert_eq!(keys.verify(&redated), Err(CheckpointFault::BadSignature));
}

#[test]
fn another_key_is_unknown_unless_configured_as_a_previous_one() {
    let old = keys(1);
    let checkpoint = old.sign(5, Digest32([3; 32]), at(0));
    let new = keys(2);
    assert_eq!(
        new.verify(&checkpoint),
        Err(CheckpointFault::UnknownKey(old.active_key_id()))
    );
    let old_public = old.trusted()[0].public_key;
    let rotated = AuditKeys::new([2; 32], vec![old_public]);
    assert_eq!(rotated.verify(&checkpoint), Ok(()));
    let listed = rotated.trusted();
    assert_eq!(listed.len(), 2);
    assert!(listed[0].active && !listed[1].active);
    assert_eq!(listed[1].key_id, old.active_key_id());
}

#[test]
fn a_forged_signature_under_the_right_key_id_fails() {
    let keys = keys(4);
    let mut forged = keys.sign(8, Digest32([1; 32]), at(5));
    forged.signature = [0x55; 64];
    assert_eq!(keys.verify(&forged), Err(CheckpointFault::BadSignature));
}

#[test]
fn signing_drops_sub_millisecond_precision() {
    let keys = keys(4);
    let now = DateTime::from_timestamp(1_780_000_000, 123_456_789).unwrap();
    let checkpoint = keys.sign(1, Digest32::GENESIS, now);
    assert_eq!(checkpoint.created_at, at(1_780_000_000_123));
    assert_eq!(keys.verify(&checkpoint), Ok(()));
}

/// The worked example of docs/AUDIT_INTEGRITY.md, which tools/audit-verify checks too.
#[test]
fn the_documented_test_vector() {
    let keys = AuditKeys::new([0x01; 32], Vec::new());
    let hash =
        Digest32::from_hex("d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b2")
            .unwrap();
    let checkpoint = keys.sign(1, hash, at(1_780_000_000_000));
    assert_eq!(
        hex::encode(signing_input(1, &hash, at(1_780_000_000_000))),
        "73746f636b726f6f6d2d61756469742d636865636b706f696e742d7631000000000000000001d3f6ac1edaa417cef3f96b9a556dfc3d704808633547b4ab7997620d748b69b20000019e70448800"
    );
    assert_eq!(keys.active_key_id(), "ed25519:34750f98bd59fcfc");
    assert_eq!(
        checkpoint.signature_base64(),
        "jau+tjNpry32JVrd8Nl4Y/KZWdQjxcpNVZd31u6G3EXuvFbGG4OnSKnbFELMOsKquX9IsX4hltY1S9Wh8Q5HAA=="
    );
    assert_eq!(
        keys.trusted()[0].public_key_base64(),
        "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
    );
}

#[test]
fn seeds_and_public_keys_are_read_strictly() {
    let (seed, public) = AuditKeys::generate().unwrap();
    let seed = AuditKeys::seed_from_base64(&seed).unwrap();
    let key = AuditKeys::public_key_from_base64(&public).unwrap();
    assert_eq!(
        AuditKeys::new(seed, Vec::new()).trusted()[0].public_key,
        key
    );
    assert!(AuditKeys::seed_from_base64("not base64!").is_err());
    assert!(
        AuditKeys::seed_from_base64("AAAA")
            .unwrap_err()
            .contains("got 3 bytes")
    );
    assert!(AuditKeys::public_key_from_base64("AAAA").is_err());
    let debug = format!("{:?}", AuditKeys::new(seed, Vec::new()));
    assert!(debug.contains("<redacted>"));
    assert!(!debug.contains(&hex::encode(seed)));
}

#[test]
fn a_checkpoint_is_due_after_every_events_or_interval_and_only_when_the_chain_moved() {
    let policy = CheckpointPolicy {
        every: 1_000,
        interval: Duration::from_secs(60),
    };
    let last = Some((2_000, at(0)));
    assert!(
        !policy.due(2_000, last, at(3_600_000)),
        "the chain did not move"
    );
    assert!(!policy.due(2_999, last, at(59_999)));
    assert!(policy.due(3_000, last, at(1)));
    assert!(policy.due(2_001, last, at(60_000)));
    assert!(policy.due(1, None, at(0)), "the first one at once");
    assert!(!policy.due(0, None, at(0)));
}
