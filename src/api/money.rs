//! Prices on the wire. Requests may send a decimal string (`"12.50"`, exact) or a JSON
//! number (`12.5`, read as described in [`Price::from_json_number`]); query parameters are
//! decimal text. Responses always send a string with two places.

use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON};
use serde_json::Value;

use crate::domain::money::{AMOUNT_PATTERN, PRICE_PATTERN, Price};

fn text_schema(pattern: &str) -> MetaSchema {
    MetaSchema {
        pattern: Some(pattern.to_owned()),
        example: Some(Value::String("12.50".to_owned())),
        ..MetaSchema::new_with_format("string", "decimal")
    }
}

fn number_schema() -> MetaSchema {
    MetaSchema {
        minimum: Some(0.0),
        exclusive_minimum: Some(true),
        maximum: Some(99_999_999.99),
        multiple_of: Some(0.01),
        ..MetaSchema::new("number")
    }
}

/// A product's price in a request body: decimal string or JSON number, `0.01..=99999999.99`,
/// at most two decimal places (never rounded: `1.005` is 422).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceInput(pub Price);

crate::value_type!(
    PriceInput,
    "price",
    MetaSchema {
        description: Some(
            "A price: a decimal string such as \"12.50\" (exact; preferred) or a JSON \
             number, greater than 0 and at most 99999999.99, with at most two decimal \
             places. More places are refused (422) whatever the JSON type, never \
             rounded; \"0.1\" and 0.10 are the same price.",
        ),
        any_of: vec![
            MetaSchemaRef::Inline(Box::new(text_schema(PRICE_PATTERN))),
            MetaSchemaRef::Inline(Box::new(number_schema())),
        ],
        ..MetaSchema::ANY
    }
);

impl ParseFromJSON for PriceInput {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        let parsed = match value.unwrap_or_default() {
            Value::String(text) => Price::parse_text(&text),
            Value::Number(number) => match number.as_f64() {
                Some(number) => Price::from_json_number(number),
                None => return Err(ParseError::custom("must be a decimal number such as 12.50")),
            },
            other => return Err(ParseError::expected_type(other)),
        };
        parsed
            .and_then(Price::positive)
            .map(Self)
            .map_err(|invalid| ParseError::custom(invalid.0))
    }
}

impl<'de> serde::Deserialize<'de> for PriceInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PriceVisitor;

        impl serde::de::Visitor<'_> for PriceVisitor {
            type Value = Price;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a decimal string such as \"12.50\" or a number")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Price, E> {
                Price::parse_text(text).map_err(E::custom)
            }

            fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Price, E> {
                Price::from_json_number(number).map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Price, E> {
                self.visit_str(&number.to_string())
            }

            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Price, E> {
                self.visit_str(&number.to_string())
            }
        }

        deserializer
            .deserialize_any(PriceVisitor)?
            .positive()
            .map(Self)
            .map_err(serde::de::Error::custom)
    }
}

impl ToJSON for PriceInput {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.to_text()))
    }
}

/// A price bound in a query string: decimal text only, zero allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceParam(pub Price);

crate::value_type!(PriceParam, "price_text", text_schema(AMOUNT_PATTERN));

impl ParseFromParameter for PriceParam {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Price::parse_text(value)
            .map(Self)
            .map_err(|invalid| ParseError::custom(invalid.0))
    }
}
