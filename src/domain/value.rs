//! How a domain value states itself: one `parse` that says in words what it admits, and from
//! it the serde and poem-openapi implementations every layer uses. A rule is written once,
//! in its type; the JSON body, query parameters, the served document and the error messages
//! all come from there.

use std::borrow::Cow;

/// A value that failed validation: which rule, in words for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Cow<'static, str>);

impl Invalid {
    pub fn new(rule: impl Into<Cow<'static, str>>) -> Self {
        Self(rule.into())
    }

    pub fn rule(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The part of poem-openapi's `Type` that says a value is its own raw value (one element).
#[doc(hidden)]
#[macro_export]
macro_rules! raw_is_self {
    () => {
        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    };
}

/// Implements poem-openapi's `Type` for a value type: its name and its schema, inline (the
/// part every value macro here shares).
#[doc(hidden)]
#[macro_export]
macro_rules! value_type {
    ($ty:ident $(<$(const $param:ident: $pty:ty),+>)?, $name:expr, $schema:expr) => {
        impl $(<$(const $param: $pty),+>)? ::poem_openapi::types::Type for $ty $(<$($param),+>)? {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::from($name)
            }

            fn schema_ref() -> ::poem_openapi::registry::MetaSchemaRef {
                ::poem_openapi::registry::MetaSchemaRef::Inline(Box::new($schema))
            }

            $crate::raw_is_self!();
        }
    };
}

/// Implements serde (`Deserialize` through `parse`, `Serialize` as its plain form) and
/// poem-openapi (`Type` with `$schema`, JSON and query parameter parsing) for a value type
/// written as a plain `$raw` (text or a number): what [`string_value!`] and
/// [`integer_value!`] share. `$plain` is the value's plain form, `$from_raw` and
/// `$from_parameter` its parse from a deserialised `$raw` and from a parameter's text.
#[doc(hidden)]
#[macro_export]
macro_rules! plain_value {
    (
        $ty:ident $(<$(const $param:ident: $pty:ty),+>)?, $name:expr, $schema:expr,
        raw: $raw:ty,
        plain: |$value:ident| $plain:expr,
        from_raw: |$raw_value:ident| $from_raw:expr,
        from_parameter: |$text:ident| $from_parameter:expr $(,)?
    ) => {
        impl $(<$(const $param: $pty),+>)? ::serde::Serialize for $ty $(<$($param),+>)? {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let $value = self;
                ::serde::Serialize::serialize(&$plain, serializer)
            }
        }

        impl<'de, $($(const $param: $pty),+)?> ::serde::Deserialize<'de> for $ty $(<$($param),+>)? {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let $raw_value = <$raw as ::serde::Deserialize>::deserialize(deserializer)?;
                $from_raw.map_err(|invalid| ::serde::de::Error::custom(invalid.0))
            }
        }

        $crate::value_type!($ty $(<$(const $param: $pty),+>)?, $name, $schema);

        impl $(<$(const $param: $pty),+>)? ::poem_openapi::types::ParseFromJSON for $ty $(<$($param),+>)? {
            fn parse_from_json(value: Option<::serde_json::Value>) -> ::poem_openapi::types::ParseResult<Self> {
                let value = value.unwrap_or_default();
                match <$raw as ::serde::Deserialize>::deserialize(&value) {
                    Ok($raw_value) => $from_raw
                        .map_err(|invalid| ::poem_openapi::types::ParseError::custom(invalid.0)),
                    Err(_) => Err(::poem_openapi::types::ParseError::expected_type(value)),
                }
            }
        }

        impl $(<$(const $param: $pty),+>)? ::poem_openapi::types::ParseFromParameter for $ty $(<$($param),+>)? {
            fn parse_from_parameter($text: &str) -> ::poem_openapi::types::ParseResult<Self> {
                $from_parameter.map_err(|invalid| ::poem_openapi::types::ParseError::custom(invalid.0))
            }
        }

        impl $(<$(const $param: $pty),+>)? ::poem_openapi::types::ToJSON for $ty $(<$($param),+>)? {
            fn to_json(&self) -> Option<::serde_json::Value> {
                let $value = self;
                Some(::serde_json::Value::from($plain))
            }
        }
    };
}

/// [`plain_value!`] for a string value type with `fn parse(&str) -> Result<Self, Invalid>`
/// and `fn as_str(&self) -> &str`.
#[macro_export]
macro_rules! string_value {
    ($ty:ident $(<$(const $param:ident: $pty:ty),+>)?, $name:expr, $schema:expr) => {
        $crate::plain_value!(
            $ty $(<$(const $param: $pty),+>)?, $name, $schema,
            raw: ::std::borrow::Cow<'_, str>,
            plain: |value| value.as_str(),
            from_raw: |raw| Self::parse(&raw),
            from_parameter: |text| Self::parse(text),
        );
    };
}

/// [`plain_value!`] for an integer value type with `fn parse(i64) -> Result<Self, Invalid>`
/// and `fn value(self) -> i64`.
#[macro_export]
macro_rules! integer_value {
    ($ty:ident $(<$(const $param:ident: $pty:ty),+>)?, $name:expr, $schema:expr) => {
        $crate::plain_value!(
            $ty $(<$(const $param: $pty),+>)?, $name, $schema,
            raw: i64,
            plain: |value| value.value(),
            from_raw: |raw| Self::parse(raw),
            // Text that is no number breaks the rule as the farthest number would: the
            // answer states the rule either way.
            from_parameter: |text| Self::parse(text.parse::<i64>().unwrap_or(i64::MIN)),
        );
    };
}

/// A whole number from `MIN` to `MAX`, `DEFAULT` when a parameter is left out: page sizes and
/// limits, each stated by its bounds alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count<const MIN: i64, const MAX: i64, const DEFAULT: i64>(i64);

impl<const MIN: i64, const MAX: i64, const DEFAULT: i64> Count<MIN, MAX, DEFAULT> {
    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        if (MIN..=MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Invalid::new(format!(
                "must be a whole number from {MIN} to {MAX}"
            )))
        }
    }

    pub fn value(self) -> i64 {
        self.0
    }

    /// The count as a length (it is never negative).
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(0)
    }
}

impl<const MIN: i64, const MAX: i64, const DEFAULT: i64> Default for Count<MIN, MAX, DEFAULT> {
    fn default() -> Self {
        Self(DEFAULT)
    }
}

integer_value!(
    Count<const MIN: i64, const MAX: i64, const DEFAULT: i64>,
    "count",
    integer_schema("A whole number within the bounds stated.", MIN, MAX)
);

/// Declares an enum of named choices: `parse` admits exactly the names and, refusing,
/// lists them all; the schema lists them too, and [`string_value!`] does the rest. Outer
/// attributes (a doc comment, `#[derive(Default)]`) and variant attributes pass through.
#[macro_export]
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $ty:ident as $schema_name:literal, $description:literal {
            $($(#[$variant_meta:meta])* $variant:ident => $name:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $ty {
            $($(#[$variant_meta])* $variant),+
        }

        impl $ty {
            /// Every choice's name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::domain::value::Invalid> {
                match raw {
                    $($name => Ok(Self::$variant),)+
                    _ => Err($crate::domain::value::Invalid::new(format!(
                        "must be one of: {}",
                        Self::NAMES.join(", ")
                    ))),
                }
            }
        }

        $crate::string_value!($ty, $schema_name, $crate::domain::value::choice_schema($description, $ty::NAMES));
    };
}

/// A string schema admitting exactly `names`.
pub fn choice_schema(
    description: &'static str,
    names: &[&str],
) -> poem_openapi::registry::MetaSchema {
    poem_openapi::registry::MetaSchema {
        description: Some(description),
        enum_items: names
            .iter()
            .map(|name| serde_json::Value::from(*name))
            .collect(),
        ..poem_openapi::registry::MetaSchema::new("string")
    }
}

/// An integer schema of `minimum..=maximum`, described in words.
pub fn integer_schema(
    description: &'static str,
    minimum: i64,
    maximum: i64,
) -> poem_openapi::registry::MetaSchema {
    poem_openapi::registry::MetaSchema {
        description: Some(description),
        format: Some("int64"),
        minimum: Some(minimum as f64),
        maximum: Some(maximum as f64),
        ..poem_openapi::registry::MetaSchema::new("integer")
    }
}

/// A JSON array of at most `MAX` values: the bound is read, checked and documented here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtMost<T, const MAX: usize>(pub Vec<T>);

impl<'de, T: serde::Deserialize<'de>, const MAX: usize> serde::Deserialize<'de> for AtMost<T, MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        if items.len() > MAX {
            return Err(serde::de::Error::custom(format!(
                "must have at most {MAX} items"
            )));
        }
        Ok(Self(items))
    }
}

impl<T: poem_openapi::types::Type, const MAX: usize> poem_openapi::types::Type for AtMost<T, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("[{}]", T::name()))
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                items: Some(Box::new(T::schema_ref())),
                max_items: Some(MAX),
                ..poem_openapi::registry::MetaSchema::new("array")
            },
        ))
    }

    fn register(registry: &mut poem_openapi::registry::Registry) {
        T::register(registry);
    }

    crate::raw_is_self!();
}

impl<T: poem_openapi::types::ParseFromJSON, const MAX: usize> poem_openapi::types::ParseFromJSON
    for AtMost<T, MAX>
{
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        let items =
            Vec::<T>::parse_from_json(value).map_err(poem_openapi::types::ParseError::propagate)?;
        if items.len() > MAX {
            return Err(poem_openapi::types::ParseError::custom(format!(
                "must have at most {MAX} items"
            )));
        }
        Ok(Self(items))
    }
}

impl<T: poem_openapi::types::ToJSON, const MAX: usize> poem_openapi::types::ToJSON
    for AtMost<T, MAX>
{
    fn to_json(&self) -> Option<serde_json::Value> {
        self.0.to_json()
    }
}

/// A string schema with a description in words (and, where a conformance tool needs to
/// tell valid values apart, the pattern that admits exactly what `parse` does).
pub fn string_schema(
    description: &'static str,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pattern: Option<&'static str>,
) -> poem_openapi::registry::MetaSchema {
    poem_openapi::registry::MetaSchema {
        description: Some(description),
        min_length,
        max_length,
        pattern: pattern.map(str::to_owned),
        ..poem_openapi::registry::MetaSchema::new("string")
    }
}

/// Date-times as poem-openapi writes them (`to_rfc3339`), so both paths agree.
pub fn rfc3339<S: serde::Serializer>(
    at: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339())
}

/// As [`rfc3339`], for a date-time that may be absent (`null`).
pub fn rfc3339_or_null<S: serde::Serializer>(
    at: &Option<chrono::DateTime<chrono::Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => rfc3339(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// What an `If-Match` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionPrecondition {
    /// `*`: any current version.
    Any,
    /// One of these versions (an empty list, from tags that are not versions, never matches).
    OneOf(Vec<i64>),
}

impl VersionPrecondition {
    pub fn admits(&self, version: i64) -> bool {
        match self {
            Self::Any => true,
            Self::OneOf(versions) => versions.contains(&version),
        }
    }
}
