use chrono::TimeZone;

use super::*;

fn fields(result: Result<AuditFilter, Vec<(&'static str, Invalid)>>) -> Vec<&'static str> {
    result.unwrap_err().into_iter().map(|(f, _)| f).collect()
}

#[test]
fn filter_values_follow_their_character_rules() {
    let ok = AuditFilter::parse(AuditFilterInput {
        action: Some("auth.login_failed".into()),
        target_type: Some("user_role".into()),
        target_id: Some("any text, even { \"$ne\": 1 }".into()),
        ..AuditFilterInput::default()
    })
    .unwrap();
    assert_eq!(ok.action(), Some("auth.login_failed"));
    assert_eq!(ok.target_id(), Some("any text, even { \"$ne\": 1 }"));

    for (input, field) in [
        (
            AuditFilterInput {
                action: Some("Auth.Login".into()),
                ..Default::default()
            },
            "action",
        ),
        (
            AuditFilterInput {
                action: Some("a".repeat(65)),
                ..Default::default()
            },
            "action",
        ),
        (
            AuditFilterInput {
                action: Some(String::new()),
                ..Default::default()
            },
            "action",
        ),
        (
            AuditFilterInput {
                target_type: Some("user.role".into()),
                ..Default::default()
            },
            "target_type",
        ),
        (
            AuditFilterInput {
                target_id: Some("x".repeat(129)),
                ..Default::default()
            },
            "target_id",
        ),
    ] {
        assert_eq!(fields(AuditFilter::parse(input)), vec![field]);
    }
    assert_eq!(
        AuditFilter::parse(AuditFilterInput {
            target_id: Some("é".repeat(128)),
            ..Default::default()
        })
        .map(|f| f.target_id().map(|s| s.chars().count())),
        Ok(Some(128)),
        "limits count characters, not bytes"
    );
}

#[test]
fn time_bounds_must_be_ordered_and_are_rounded_inwards_to_milliseconds() {
    let early = Utc.timestamp_opt(1_700_000_000, 1_500_000).unwrap();
    let late = Utc.timestamp_opt(1_700_000_000, 9_999_999).unwrap();
    let reversed = AuditFilter::parse(AuditFilterInput {
        from: Some(late),
        to: Some(early),
        ..Default::default()
    });
    assert_eq!(fields(reversed), vec!["from"]);

    let filter = AuditFilter::parse(AuditFilterInput {
        from: Some(early),
        to: Some(late),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(filter.from().unwrap().timestamp_subsec_nanos(), 2_000_000);
    assert_eq!(filter.to().unwrap().timestamp_subsec_nanos(), 9_000_000);
    let same = AuditFilter::parse(AuditFilterInput {
        from: Some(early),
        to: Some(early),
        ..Default::default()
    });
    assert!(same.is_ok(), "from == to is a valid (instant) range");
}

#[test]
fn page_sizes_are_1_to_100() {
    assert!(PageSize::parse(0).is_err());
    assert_eq!(PageSize::parse(1).unwrap().get(), 1);
    assert_eq!(PageSize::parse(100).unwrap().get(), 100);
    assert!(PageSize::parse(101).is_err());
}

#[test]
fn export_limits_are_1_to_a_million() {
    assert!(ExportLimit::parse(0).is_err());
    assert_eq!(ExportLimit::parse(1).unwrap().get(), 1);
    assert_eq!(ExportLimit::parse(1_000_000).unwrap().get(), 1_000_000);
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
