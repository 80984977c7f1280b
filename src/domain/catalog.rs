//! The catalogue's value rules: names, SKUs, descriptions, stock quantities and adjustments.
//! Each `parse` trims where the rule says so and names the rule it broke.

use chrono::{DateTime, Utc};
use diesel::Queryable;
use uuid::Uuid;

use poem_openapi::Object;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use serde::Serialize;

use super::identity::Invalid;
use super::money::Price;
use super::text::{Line, Text};
use super::value::{integer_schema, rfc3339, string_schema};

/// The largest stock quantity or adjustment accepted; far below `bigint`, so sums of
/// accepted values never overflow.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// A category name: one line of 1 to 100 characters; unique ignoring case.
pub type CategoryName = Line<1, 100>;
/// A category description: free text of at most 1000 characters; blank is none.
pub type CategoryDescription = Text<1000>;
/// A product name: one line of 2 to 200 characters.
pub type ProductName = Line<2, 200>;
/// A product description: free text of at most 2000 characters; blank is none.
pub type ProductDescription = Text<2000>;
/// Why stock was adjusted: one line of 1 to 200 characters.
pub type AdjustmentReason = Line<1, 200>;

const SKU_PATTERN: &str = "^[A-Za-z0-9._-]{1,50}$";

/// A SKU as given (case kept; uniqueness ignores case): 1..=50 of `[A-Za-z0-9._-]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let valid = (1..=50).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "must be 1 to 50 characters of A-Z, a-z, 0-9, '.', '_' or '-'",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

crate::names! {
    targets {
        Category => "category",
        Product => "product",
        Supplier => "supplier",
    }
    actions {
        CategoryCreated => "category.created",
        CategoryUpdated => "category.updated",
        CategoryDeleted => "category.deleted",
        ProductCreated => "product.created",
        ProductUpdated => "product.updated",
        ProductDeleted => "product.deleted",
        ProductStockAdjusted => "product.stock_adjusted",
        SupplierCreated => "supplier.created",
        SupplierUpdated => "supplier.updated",
        SupplierDeleted => "supplier.deleted",
    }
    permissions {
        CategoriesWrite => "categories:write",
        ProductsRead => "products:read",
        ProductsWrite => "products:write",
        ProductsDelete => "products:delete",
        SuppliersWrite => "suppliers:write",
    }
}

crate::string_value!(
    Sku,
    "sku",
    string_schema(
        "1 to 50 of A-Z, a-z, 0-9, '.', '_' and '-'; unique among live products, ignoring case.",
        Some(1),
        Some(50),
        Some(SKU_PATTERN)
    )
);

/// A starting stock quantity: `0..=MAX_STOCK`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StockQuantity(i64);

impl StockQuantity {
    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        if (0..=MAX_STOCK).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Invalid::new("must be between 0 and 1000000000"))
        }
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

crate::integer_value!(
    StockQuantity,
    "stock_quantity",
    integer_schema("A stock quantity, 0 to 1000000000.", 0, MAX_STOCK)
);

/// A stock adjustment: not zero, at most `MAX_STOCK` either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StockDelta(i64);

impl StockDelta {
    pub fn parse(raw: i64) -> Result<Self, Invalid> {
        if raw == 0 {
            Err(Invalid::new("must not be zero"))
        } else if raw.unsigned_abs() > MAX_STOCK.unsigned_abs() {
            Err(Invalid::new("must be between -1000000000 and 1000000000"))
        } else {
            Ok(Self(raw))
        }
    }

    pub fn value(self) -> i64 {
        self.0
    }
}

crate::integer_value!(StockDelta, "stock_delta", {
    // Not zero: one of two ranges (the document's schema format has no `not`).
    let side = |minimum, maximum| {
        MetaSchemaRef::Inline(Box::new(integer_schema(
            "Added to the stock: negative takes away; not zero.",
            minimum,
            maximum,
        )))
    };
    MetaSchema {
        description: Some(
            "Added to the stock: negative takes away. Not zero; at most 1000000000 either way.",
        ),
        one_of: vec![side(-MAX_STOCK, -1), side(1, MAX_STOCK)],
        ..MetaSchema::new("integer")
    }
});

crate::choices! {
    /// The orders `GET /products` offers; ties are broken by id so pages never overlap.
    #[derive(Default)]
    pub enum ProductSort as "ProductSort", "A list order; `-` means descending. Ties are broken by id." {
        #[default]
        NameAsc => "name",
        NameDesc => "-name",
        PriceAsc => "price",
        PriceDesc => "-price",
        CreatedAtAsc => "created_at",
        CreatedAtDesc => "-created_at",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_follow_the_pattern() {
        for good in ["A", "abc-123_X.9", &"z".repeat(50)] {
            assert!(Sku::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "ä", "a/b", "a%", &"z".repeat(51), "a\0"] {
            assert!(Sku::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sort_names_round_trip() {
        for &name in ProductSort::NAMES {
            assert_eq!(ProductSort::parse(name).unwrap().as_str(), name);
        }
        assert!(ProductSort::parse("stock").is_err());
        assert!(ProductSort::parse("Name").is_err());
    }

    #[test]
    fn stock_rules() {
        assert!(StockQuantity::parse(0).is_ok());
        assert!(StockQuantity::parse(-1).is_err());
        assert!(StockQuantity::parse(MAX_STOCK + 1).is_err());
        assert!(StockDelta::parse(0).is_err());
        assert!(StockDelta::parse(-MAX_STOCK).is_ok());
        assert!(StockDelta::parse(i64::MIN).is_err());
        assert_eq!(
            AdjustmentReason::parse(" restock ").unwrap().as_str(),
            "restock"
        );
        assert!(AdjustmentReason::parse(&"r".repeat(201)).is_err());
    }
}

/// A category as it is stored and shown. Fields in the repository's column order.
#[derive(Debug, Clone, PartialEq, Queryable, Object, Serialize)]
#[oai(rename = "CategoryView")]
pub struct CategoryRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// A live product, as it is stored and shown: deleted products stay in the table for the
/// audit trail but are never shown (404), so `is_active` is always true here; it exists for
/// clients that keep copies. Fields in the repository's column order (`Queryable` is
/// positional).
#[derive(Debug, Clone, PartialEq, Queryable, Object, Serialize)]
#[oai(rename = "ProductView")]
pub struct ProductRecord {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sku: String,
    pub price: Price,
    pub stock_quantity: i64,
    /// Always set on a live product.
    pub category_id: Option<Uuid>,
    /// The supplier the product comes from, when one is named.
    pub supplier_id: Option<Uuid>,
    pub is_active: bool,
    /// Bumped by every change; the `ETag` of single-product responses is `"<version>"`.
    pub version: i64,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

/// A supplier's name: one line of 1 to 200 characters; unique among live suppliers,
/// ignoring case.
pub type SupplierName = super::text::Line<1, 200>;
/// A supplier's phone number as given: one line of at most 50 characters.
pub type SupplierPhone = super::text::Line<1, 50>;
/// Notes on a supplier: free text of at most 2000 characters.
pub type SupplierNotes = super::text::Text<2000>;

/// A supplier the shop buys from, as it is stored and shown (live rows, unless a list asks
/// for deleted ones). Fields in the repository's column order.
#[derive(Debug, Clone, PartialEq, Queryable, Object, Serialize)]
#[oai(rename = "SupplierView")]
pub struct SupplierRecord {
    pub id: Uuid,
    pub name: String,
    pub contact_email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    /// `false` once deleted (only lists asking for `is_active=false` show those).
    pub is_active: bool,
    /// Bumped by every change; the `ETag` of single-supplier responses is `"<version>"`.
    pub version: i64,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}
