//! What a client presents to prove who it is: passwords and refresh tokens. Never logged,
//! stored as given or put in an event: their `Debug` and JSON forms are redacted, and only
//! `expose` gives the text (to hash or verify it).

use std::fmt;

use super::value::{Invalid, string_schema};

/// Implements `Debug` (redacted), serde `Deserialize` (through `parse`) and poem-openapi
/// for a secret string type with `fn parse(&str) -> Result<Self, Invalid>`. There is no
/// `Serialize`: a secret is read, never written.
macro_rules! secret_value {
    ($ty:ident, $name:expr, $schema:expr) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let raw = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                Self::parse(&raw).map_err(|invalid| ::serde::de::Error::custom(invalid.0))
            }
        }

        $crate::value_type!($ty, $name, $schema);

        impl ::poem_openapi::types::ParseFromJSON for $ty {
            fn parse_from_json(
                value: Option<::serde_json::Value>,
            ) -> ::poem_openapi::types::ParseResult<Self> {
                match value {
                    Some(::serde_json::Value::String(raw)) => Self::parse(&raw)
                        .map_err(|invalid| ::poem_openapi::types::ParseError::custom(invalid.0)),
                    other => Err(::poem_openapi::types::ParseError::expected_type(
                        other.unwrap_or_default(),
                    )),
                }
            }
        }

        impl ::poem_openapi::types::ToJSON for $ty {
            fn to_json(&self) -> Option<::serde_json::Value> {
                Some(::serde_json::Value::String("<redacted>".to_owned()))
            }
        }
    };
}

/// A new password as typed: 8..=128 characters and not one of the most common passwords
/// (compared ignoring case and surrounding whitespace). Logging in takes any stored
/// password as it is; this is the rule for new ones.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if !(8..=128).contains(&chars) {
            Err(Invalid::new("must be 8 to 128 characters"))
        } else if super::common_passwords::is_common(raw) {
            Err(Invalid::new(
                "is one of the most commonly used passwords; choose another",
            ))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

secret_value!(
    Password,
    "new_password",
    string_schema(
        "A new password: 8 to 128 characters, not one of the 20,000 most common passwords.",
        Some(8),
        Some(128),
        None
    )
);

/// A password as presented to be checked (logging in, confirming a change): any text of
/// 1 to 128 characters.
pub struct PresentedPassword(String);

impl PresentedPassword {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if (1..=128).contains(&raw.chars().count()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("must be 1 to 128 characters"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

secret_value!(
    PresentedPassword,
    "presented_password",
    string_schema("A password, 1 to 128 characters.", Some(1), Some(128), None)
);

/// A refresh token as presented: 1 to 512 characters (the service issues shorter ones, so
/// a longer one is refused before it is hashed).
pub struct PresentedRefreshToken(String);

impl PresentedRefreshToken {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if (1..=512).contains(&raw.len()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("must be 1 to 512 characters"))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

secret_value!(
    PresentedRefreshToken,
    "refresh_token",
    string_schema(
        "A refresh token as issued, 1 to 512 characters.",
        Some(1),
        Some(512),
        None
    )
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_or_json() {
        let password = Password::parse("correct horse battery").unwrap();
        let token = PresentedRefreshToken::parse("abc.def").unwrap();
        let shown = format!("{password:?} {token:?}");
        assert!(
            !shown.contains("horse") && !shown.contains("abc"),
            "{shown}"
        );
        let json = poem_openapi::types::ToJSON::to_json(&password).unwrap();
        assert!(!json.to_string().contains("horse"));
        assert!(PresentedPassword::parse("").is_err());
        assert!(PresentedRefreshToken::parse(&"t".repeat(513)).is_err());
    }
}
