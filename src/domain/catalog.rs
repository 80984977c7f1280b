//! The catalogue's value rules: names, SKUs, descriptions, stock quantities and adjustments.
//! Each `parse` trims where the rule says so and names the rule it broke.

use chrono::{DateTime, Utc};
use diesel::Queryable;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::identity::Invalid;
use super::text::{line, optional_text};

/// The largest stock quantity or adjustment accepted; far below `bigint`, so sums of
/// accepted values never overflow.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// A category name: 1..=100 characters after trimming; unique ignoring case.
pub fn category_name(raw: &str) -> Result<String, Invalid> {
    line(raw, 1..=100, "must be 1 to 100 characters after trimming")
}

/// A category description: at most 1000 characters; empty means none.
pub fn category_description(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text(raw, 1000, "must be at most 1000 characters")
}

/// A product name: 2..=200 characters after trimming.
pub fn product_name(raw: &str) -> Result<String, Invalid> {
    line(raw, 2..=200, "must be 2 to 200 characters after trimming")
}

/// A product description: at most 2000 characters; empty means none.
pub fn product_description(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    optional_text(raw, 2000, "must be at most 2000 characters")
}

/// A SKU as given (case kept; uniqueness ignores case): 1..=50 of `[A-Za-z0-9._-]`.
pub fn sku(raw: &str) -> Result<String, Invalid> {
    let valid = (1..=50).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "must be 1 to 50 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
        ))
    }
}

/// A starting stock quantity: `0..=MAX_STOCK`.
pub fn stock_quantity(raw: i64) -> Result<i64, Invalid> {
    if (0..=MAX_STOCK).contains(&raw) {
        Ok(raw)
    } else {
        Err(Invalid::new("must be between 0 and 1000000000"))
    }
}

/// A stock adjustment: non-zero, at most `MAX_STOCK` either way.
pub fn stock_delta(raw: i64) -> Result<i64, Invalid> {
    if raw == 0 {
        Err(Invalid::new("must not be zero"))
    } else if raw.unsigned_abs() > MAX_STOCK.unsigned_abs() {
        Err(Invalid::new("must be between -1000000000 and 1000000000"))
    } else {
        Ok(raw)
    }
}

/// Why stock was adjusted: 1..=200 characters after trimming.
pub fn adjustment_reason(raw: &str) -> Result<String, Invalid> {
    line(raw, 1..=200, "must be 1 to 200 characters after trimming")
}

/// The orders `GET /products` offers; ties are broken by id so pages never overlap.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProductSort {
    #[default]
    NameAsc,
    NameDesc,
    PriceAsc,
    PriceDesc,
    CreatedAtAsc,
    CreatedAtDesc,
}

impl ProductSort {
    pub const NAMES: [&'static str; 6] = [
        "name",
        "-name",
        "price",
        "-price",
        "created_at",
        "-created_at",
    ];

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ok(match raw {
            "name" => Self::NameAsc,
            "-name" => Self::NameDesc,
            "price" => Self::PriceAsc,
            "-price" => Self::PriceDesc,
            "created_at" => Self::CreatedAtAsc,
            "-created_at" => Self::CreatedAtDesc,
            _ => {
                return Err(Invalid::new(
                    "must be one of name, -name, price, -price, created_at, -created_at",
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::PriceAsc => "price",
            Self::PriceDesc => "-price",
            Self::CreatedAtAsc => "created_at",
            Self::CreatedAtDesc => "-created_at",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded_in_characters() {
        assert_eq!(product_name("  Hammer ").unwrap(), "Hammer");
        assert!(product_name(" a ").is_err());
        assert!(product_name(&"é".repeat(200)).is_ok());
        assert!(product_name(&"é".repeat(201)).is_err());
        assert_eq!(category_name("Tools").unwrap(), "Tools");
        assert!(category_name("   ").is_err());
        assert!(category_name(&"x".repeat(101)).is_err());
        assert!(category_name("a\0b").is_err());
    }

    #[test]
    fn descriptions_allow_line_breaks_but_no_other_controls() {
        assert_eq!(product_description(Some("  ")).unwrap(), None);
        assert_eq!(product_description(None).unwrap(), None);
        assert_eq!(
            product_description(Some("line\nnext\tcol"))
                .unwrap()
                .as_deref(),
            Some("line\nnext\tcol")
        );
        assert!(product_description(Some("nul\0")).is_err());
        assert!(product_description(Some(&"d".repeat(2001))).is_err());
        assert!(category_description(Some(&"d".repeat(1001))).is_err());
    }

    #[test]
    fn skus_follow_the_pattern() {
        for good in ["A", "abc-123_X.9", &"z".repeat(50)] {
            assert!(sku(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "ä", "a/b", "a%", &"z".repeat(51), "a\0"] {
            assert!(sku(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sort_names_round_trip() {
        for name in ProductSort::NAMES {
            assert_eq!(ProductSort::parse(name).unwrap().as_str(), name);
        }
        assert!(ProductSort::parse("stock").is_err());
        assert!(ProductSort::parse("Name").is_err());
    }

    #[test]
    fn stock_rules() {
        assert!(stock_quantity(0).is_ok());
        assert!(stock_quantity(-1).is_err());
        assert!(stock_quantity(MAX_STOCK + 1).is_err());
        assert!(stock_delta(0).is_err());
        assert!(stock_delta(-MAX_STOCK).is_ok());
        assert!(stock_delta(i64::MIN).is_err());
        assert_eq!(adjustment_reason(" restock ").unwrap(), "restock");
        assert!(adjustment_reason(&"r".repeat(201)).is_err());
    }
}

/// A category as it is stored and shown. Fields in the repository's column order.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct CategoryRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A product as it is stored and shown (live rows only: a deleted one is kept in the table
/// for the audit trail). Fields in the repository's column order (`Queryable` is positional).
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct ProductRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sku: String,
    pub price: Decimal,
    pub stock_quantity: i64,
    pub category_id: Option<Uuid>,
    pub supplier_id: Option<Uuid>,
    pub is_active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A supplier's name: one line of 1 to 200 characters; unique among live suppliers,
/// ignoring case.
pub type SupplierName = super::text::Line<1, 200>;
/// A supplier's phone number as given: one line of at most 50 characters.
pub type SupplierPhone = super::text::Line<1, 50>;
/// Notes on a supplier: free text of at most 2000 characters.
pub type SupplierNotes = super::text::Text<2000>;

/// A supplier as it is stored and shown (live rows, unless a list asks for deleted ones).
/// Fields in the repository's column order.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct SupplierRecord {
    pub id: Uuid,
    pub name: String,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub is_active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
