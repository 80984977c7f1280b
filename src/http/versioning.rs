//! Versioned resources over HTTP: the `ETag` of a version and what an `If-Match` names.

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

#[cfg(test)]
mod tests {
    use super::*;

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
