//! Prices: exact decimals with at most two places, never rounded.

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Numeric;
use poem_openapi::registry::MetaSchema;
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON};
use rust_decimal::Decimal;
use serde_json::Value;

use super::identity::Invalid;

/// What an amount written as text looks like (the OpenAPI document uses this pattern for
/// price bounds in queries).
pub const AMOUNT_PATTERN: &str = r"^0*[0-9]{1,8}(\.[0-9]{1,2}0*)?$";

/// What a product's price written as text looks like: an amount greater than zero.
pub const PRICE_PATTERN: &str =
    r"^(0*[1-9][0-9]{0,7}(\.[0-9]{1,2}0*)?|0+\.(0[1-9]|[1-9][0-9]?)0*)$";

/// The largest price `NUMERIC(10, 2)` holds.
/// 9,999,999,999 cents = 0x2_540B_E3FF: low word 0x540B_E3FF, middle word 2.
pub const MAX_PRICE: Decimal = Decimal::from_parts(0x540B_E3FF, 2, 0, false, 2);

/// A price: `0 <= price <= 99999999.99` with at most two decimal places. `0.1` and `0.10`
/// are the same price; `1.005` is refused rather than rounded. Read from PostgreSQL's
/// `NUMERIC(10, 2)` (whose CHECKs state the same bounds) and written as text with exactly
/// two places, e.g. "12.50".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, FromSqlRow)]
pub struct Price(Decimal);

impl Price {
    pub fn new(value: Decimal) -> Result<Self, Invalid> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Invalid::new("must not be negative"));
        }
        if value.normalize().scale() > 2 {
            return Err(Invalid::new("must have at most two decimal places"));
        }
        if value > MAX_PRICE {
            return Err(Invalid::new("must be at most 99999999.99"));
        }
        let mut exact = value;
        exact.rescale(2);
        Ok(Self(exact))
    }

    /// A product's price: greater than zero (a bound in a query may be zero).
    pub fn positive(self) -> Result<Self, Invalid> {
        if self.0.is_zero() {
            Err(Invalid::new("must be greater than 0"))
        } else {
            Ok(self)
        }
    }

    /// Plain decimal text, exactly what [`AMOUNT_PATTERN`] admits: digits, optionally a point
    /// and digits; leading zeros and trailing fractional zeros are only notation.
    pub fn parse_text(text: &str) -> Result<Self, Invalid> {
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !fraction.is_none_or(digits) {
            return Err(Invalid::new("must be a decimal number such as 12.50"));
        }
        let whole = whole.trim_start_matches('0');
        let fraction = fraction.unwrap_or("").trim_end_matches('0');
        if whole.len() > 8 {
            return Err(Invalid::new("must be at most 99999999.99"));
        }
        if fraction.len() > 2 {
            return Err(Invalid::new("must have at most two decimal places"));
        }
        let cents: i64 = format!("{whole}{fraction:0<2}").parse().unwrap_or(0);
        Self::new(Decimal::new(cents, 2))
    }

    /// A JSON number (a double), read as the shortest decimal that reads back as the same
    /// double: what the client wrote for any price with up to 15 significant digits (`0.10`
    /// is `0.1`). Nothing is rounded: `1.005`, `0.1 + 0.2` (0.30000000000000004) and `1e-308`
    /// have more than two places and are refused.
    pub fn from_json_number(number: f64) -> Result<Self, Invalid> {
        if !number.is_finite() {
            return Err(Invalid::new("must be a decimal number such as 12.50"));
        }
        if number < 0.0 {
            return Err(Invalid::new("must not be negative"));
        }
        if number >= 1e8 {
            return Err(Invalid::new("must be at most 99999999.99"));
        }
        // `Display` for f64 never uses an exponent: this is plain decimal text.
        Self::parse_text(&format!("{}", number.abs()))
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// Always two decimal places, e.g. `"12.50"`: the form audit events and responses use.
    pub fn to_text(self) -> String {
        self.0.to_string()
    }
}

/// What a shown price looks like: exactly two places.
const SHOWN_PRICE_PATTERN: &str = r"^[0-9]{1,8}\.[0-9]{2}$";

impl FromSql<Numeric, Pg> for Price {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let stored = <Decimal as FromSql<Numeric, Pg>>::from_sql(bytes)?;
        Self::new(stored).map_err(|invalid| invalid.0.into_owned().into())
    }
}

impl serde::Serialize for Price {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

crate::value_type!(
    Price,
    "price_text",
    MetaSchema {
        description: Some(
            "A decimal string with exactly two places, e.g. \"12.50\" (exact; never a float).",
        ),
        pattern: Some(SHOWN_PRICE_PATTERN.to_owned()),
        ..MetaSchema::new("string")
    }
);

impl ParseFromJSON for Price {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => {
                Self::parse_text(&text).map_err(|invalid| ParseError::custom(invalid.0))
            }
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for Price {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.to_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> Result<String, Invalid> {
        Price::parse_text(raw).map(Price::to_text)
    }

    #[test]
    fn equal_prices_are_equal_whatever_their_scale() {
        assert_eq!(Price::parse_text("0.1"), Price::parse_text("0.10"));
        assert_eq!(Price::from_json_number(0.10), Price::parse_text("0.1"));
        assert_eq!(text("0.1").unwrap(), "0.10");
        assert_eq!(text("7").unwrap(), "7.00");
        assert_eq!(text("1.500").unwrap(), "1.50");
    }

    #[test]
    fn more_than_two_places_is_refused_not_rounded() {
        assert!(Price::parse_text("1.005").is_err());
        assert!(Price::from_json_number(1.005).is_err());
        assert!(Price::from_json_number(0.001).is_err());
        assert!(text("19.999").is_err());
    }

    #[test]
    fn bounds() {
        assert_eq!(MAX_PRICE.to_string(), "99999999.99");
        assert_eq!(text("0").unwrap(), "0.00");
        assert_eq!(text("99999999.99").unwrap(), "99999999.99");
        assert!(Price::parse_text("100000000").is_err());
        assert!(Price::from_json_number(1e300).is_err());
        assert!(Price::from_json_number(-0.01).is_err());
        assert_eq!(Price::from_json_number(-0.0).unwrap().to_text(), "0.00");
        assert!(Price::from_json_number(f64::NAN).is_err());
    }

    #[test]
    fn only_plain_decimal_text_is_read() {
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e2", " 1", "1 ", "1,5", "0x10", "1.2.3",
        ] {
            assert!(Price::parse_text(bad).is_err(), "{bad:?}");
        }
        assert_eq!(text("0012.5").unwrap(), "12.50");
        assert_eq!(
            text("000000000000000000000000000001.5000000").unwrap(),
            "1.50"
        );
    }

    #[test]
    fn the_documented_patterns_are_the_rules() {
        let amount = regex::Regex::new(AMOUNT_PATTERN).unwrap();
        let price = regex::Regex::new(PRICE_PATTERN).unwrap();
        for raw in [
            "0.00",
            "000.000",
            "0.01",
            "0.5",
            "0.05",
            "0.50",
            "0.500",
            "10",
            "10.00",
            "0",
            "00",
            "7",
            "0.1",
            "0.10",
            "1.500",
            "99999999.99",
            "099999999.99",
            "100000000",
            "1.005",
            "1.",
            ".5",
            "-1",
            "1e2",
            "",
            "12.345",
            "0000000000001.2",
            "1.20000",
        ] {
            let parsed = Price::parse_text(raw);
            assert_eq!(amount.is_match(raw), parsed.is_ok(), "{raw:?}");
            let positive = parsed.and_then(Price::positive);
            assert_eq!(price.is_match(raw), positive.is_ok(), "{raw:?}");
        }
    }

    #[test]
    fn a_number_with_more_places_is_refused_however_near_it_is() {
        for number in [57.0 * 0.01, 0.1 + 0.2, 1e-308, 0.571, 1.0e8] {
            assert!(Price::from_json_number(number).is_err(), "{number}");
        }
    }

    #[test]
    fn a_products_price_is_greater_than_zero() {
        assert!(Price::parse_text("0").unwrap().positive().is_err());
        assert!(Price::parse_text("0.00").unwrap().positive().is_err());
        assert!(Price::parse_text("0.01").unwrap().positive().is_ok());
    }

    #[test]
    fn json_numbers_read_as_written() {
        assert_eq!(Price::from_json_number(19.99).unwrap().to_text(), "19.99");
        assert_eq!(Price::from_json_number(0.07).unwrap().to_text(), "0.07");
        assert_eq!(
            Price::from_json_number(99_999_999.99).unwrap().to_text(),
            "99999999.99"
        );
        assert_eq!(Price::from_json_number(12.0).unwrap().to_text(), "12.00");
    }
}
