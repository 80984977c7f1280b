//! A field a request may leave out but not clear: absent means "unchanged", a value sets it,
//! and `null` is refused with a field error (poem-openapi's `Option` reads `null` as absent,
//! which silently ignored `{"price": null}`). Fields that can be cleared use `MaybeUndefined`.

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{MaybeUndefined, ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

/// The message a `null` gets, under the field's name.
pub const NOT_NULLABLE: &str = "must not be null: leave the field out to keep its value";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settable<T>(Option<T>);

impl<T> Settable<T> {
    pub fn into_option(self) -> Option<T> {
        self.0
    }

    pub fn as_ref(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<T> From<Settable<T>> for Option<T> {
    fn from(value: Settable<T>) -> Self {
        value.0
    }
}

impl<T: Type> Type for Settable<T> {
    const IS_REQUIRED: bool = false;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("settable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Settable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None => Ok(Self(None)),
            Some(Value::Null) => Err(ParseError::custom(NOT_NULLABLE)),
            Some(value) => T::parse_from_json(Some(value))
                .map(|parsed| Self(Some(parsed)))
                .map_err(ParseError::propagate),
        }
    }
}

impl<T: ToJSON> ToJSON for Settable<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}

/// With `#[serde(default)]` on the field: absent is `Settable(None)`, `null` an error.
impl<T> Default for Settable<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Settable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<T>::deserialize(deserializer)? {
            Some(value) => Ok(Self(Some(value))),
            None => Err(serde::de::Error::custom(NOT_NULLABLE)),
        }
    }
}

/// A field a request may clear: absent means "unchanged" (or none, on creation), `null` (or,
/// where the field says so, an empty string) clears it. The document marks it `nullable`,
/// and only such fields are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearable<T>(MaybeUndefined<T>);

impl<T> Clearable<T> {
    pub fn into_maybe_undefined(self) -> MaybeUndefined<T> {
        self.0
    }

    /// On creation: the value, or none.
    pub fn into_option(self) -> Option<T> {
        self.0.take()
    }
}

impl<T> Default for Clearable<T> {
    fn default() -> Self {
        Self(MaybeUndefined::Undefined)
    }
}

impl<T: Type> Type for Clearable<T> {
    const IS_REQUIRED: bool = false;
    type RawValueType = T::RawValueType;
    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("clearable_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        match T::schema_ref() {
            MetaSchemaRef::Inline(schema) => MetaSchemaRef::Inline(Box::new(MetaSchema {
                nullable: true,
                ..*schema
            })),
            // OpenAPI 3.0 ignores siblings of `$ref`: wrap it.
            reference => MetaSchemaRef::Inline(Box::new(MetaSchema {
                all_of: vec![reference],
                nullable: true,
                ..MetaSchema::ANY
            })),
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.value().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match self.0.value() {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        !self.0.is_value()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Clearable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        MaybeUndefined::parse_from_json(value)
            .map(Self)
            .map_err(ParseError::propagate)
    }
}

impl<T: ToJSON> ToJSON for Clearable<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.to_json()
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Clearable<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        MaybeUndefined::deserialize(deserializer).map(Self)
    }
}
