use chrono::TimeZone;

use super::*;

#[test]
fn filter_values_follow_their_character_rules() {
    assert_eq!(
        ActionName::parse("auth.login_failed").unwrap().as_str(),
        "auth.login_failed"
    );
    assert!(TargetTypeName::parse("user_role").is_ok());
    let odd = "any text, even { \"$ne\": 1 }";
    assert_eq!(TargetId::parse(odd).unwrap().as_str(), odd);

    for bad in ["Auth.Login", &"a".repeat(65), "", "user updated"] {
        assert!(ActionName::parse(bad).is_err(), "{bad:?}");
    }
    assert!(TargetTypeName::parse("user.role").is_err());
    assert!(TargetId::parse(&"x".repeat(129)).is_err());
    assert!(TargetId::parse("").is_err());
    for control in ["a\u{0}b", "tab\there", "\u{85}"] {
        assert!(TargetId::parse(control).is_err(), "{control:?}");
    }
    assert!(
        TargetId::parse(&"é".repeat(128)).is_ok(),
        "limits count characters, not bytes"
    );
}

#[test]
fn time_bounds_must_be_ordered_and_are_rounded_inwards_to_milliseconds() {
    let early = Utc.timestamp_opt(1_700_000_000, 1_500_000).unwrap();
    let late = Utc.timestamp_opt(1_700_000_000, 9_999_999).unwrap();
    let between = |from, to| AuditFilter {
        from: Some(from),
        to: Some(to),
        ..AuditFilter::default()
    };
    let reversed = between(late, early).checked().unwrap_err();
    assert_eq!(reversed.0, "from");

    let filter = between(early, late).checked().unwrap();
    assert_eq!(filter.from.unwrap().timestamp_subsec_nanos(), 2_000_000);
    assert_eq!(filter.to.unwrap().timestamp_subsec_nanos(), 9_000_000);
    assert!(
        between(early, early).checked().is_ok(),
        "from == to is a valid (instant) range"
    );
}

#[test]
fn page_sizes_are_1_to_100() {
    assert!(PageSize::parse(0).is_err());
    assert_eq!(PageSize::parse(1).unwrap().as_usize(), 1);
    assert_eq!(PageSize::parse(100).unwrap().as_usize(), 100);
    assert!(PageSize::parse(101).is_err());
    assert_eq!(PageSize::default().as_usize(), 20);
}

#[test]
fn export_limits_are_1_to_a_million() {
    assert!(ExportLimit::parse(0).is_err());
    assert_eq!(ExportLimit::parse(1).unwrap().value(), 1);
    assert_eq!(ExportLimit::parse(1_000_000).unwrap().value(), 1_000_000);
    assert!(ExportLimit::parse(1_000_001).is_err());
}

#[test]
fn cursors_round_trip_and_refuse_edits() {
    let cursor = AuditCursor {
        occurred_at: Utc.timestamp_millis_opt(1_700_000_000_123).unwrap(),
        id: Uuid::now_v7(),
    };
    let encoded = cursor.encode();
    assert!(
        encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(AuditCursor::decode(&encoded), Ok(cursor));

    let mut edited = encoded.clone().into_bytes();
    edited[5] = if edited[5] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap();
    assert!(AuditCursor::decode(&edited).is_err(), "a changed byte");
    assert!(AuditCursor::decode(&encoded[..encoded.len() - 2]).is_err());
    assert!(AuditCursor::decode(&format!("{encoded}AA")).is_err());
    for junk in ["", "not a cursor", "%%%", "AAAA"] {
        assert!(AuditCursor::decode(junk).is_err(), "{junk:?}");
    }
}
