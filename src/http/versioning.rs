//! Versioned resources over HTTP: the `ETag` of a version, what an `If-Match` names, and
//! when an `If-None-Match` makes a read 304.

use crate::domain::value::VersionPrecondition;

/// A version's strong entity tag, `"<version>"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// `*`, or the versions among the strong tags listed (weak or non-numeric tags name none).
pub fn parse_if_match(raw: &str) -> VersionPrecondition {
    if raw.trim() == "*" {
        return VersionPrecondition::Any;
    }
    let versions = raw
        .split(',')
        .map(str::trim)
        .filter_map(|tag| tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok())
        .collect();
    VersionPrecondition::OneOf(versions)
}

/// Whether an `If-None-Match` names `current` (a tag as sent in `ETag`): `*`, or a listed
/// tag equal to it by weak comparison (RFC 9110 8.8.3.2: `W/"3"` and `"3"` are the same),
/// so a `GET` answers 304 without a body.
pub fn is_not_modified(if_none_match: Option<&str>, current: &str) -> bool {
    let Some(raw) = if_none_match else {
        return false;
    };
    let opaque = |tag: &str| {
        tag.trim()
            .strip_prefix("W/")
            .unwrap_or(tag.trim())
            .to_owned()
    };
    let current = opaque(current);
    raw.trim() == "*" || raw.split(',').any(|tag| opaque(tag) == current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(is_not_modified(Some("\"3\""), "\"3\""));
        assert!(is_not_modified(Some("W/\"3\""), "\"3\""));
        assert!(is_not_modified(Some("\"1\", W/\"3\""), "\"3\""));
        assert!(is_not_modified(Some("\"ab\""), "W/\"ab\""));
        assert!(is_not_modified(Some("*"), "\"3\""));
        for other in [None, Some("\"4\""), Some(""), Some("3"), Some("\"33\"")] {
            assert!(!is_not_modified(other, "\"3\""), "{other:?}");
        }
    }

    #[test]
    fn if_match_names_versions_strongly() {
        assert_eq!(parse_if_match("*"), VersionPrecondition::Any);
        assert_eq!(parse_if_match("\"3\""), VersionPrecondition::OneOf(vec![3]));
        assert_eq!(
            parse_if_match("\"3\", \"5\""),
            VersionPrecondition::OneOf(vec![3, 5])
        );
        for nothing in ["W/\"3\"", "3", "\"x\"", "", "\"3"] {
            assert_eq!(
                parse_if_match(nothing),
                VersionPrecondition::OneOf(vec![]),
                "{nothing:?}"
            );
        }
    }
}
