//! Wire shapes of the catalogue: categories and products, alone and in pages.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Serialize;
use uuid::Uuid;

use crate::domain::catalog::ProductRecord;
use crate::domain::money::two_places;
use crate::domain::value::rfc3339;

/// A live product. Deleted products are never shown (404), so `is_active` is always true
/// here; it exists for clients that keep copies.
#[derive(Debug, Object, Serialize)]
pub struct ProductView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub sku: String,
    /// A decimal string with exactly two places, e.g. "12.50" (exact; never a float).
    #[oai(validator(pattern = r"^[0-9]{1,8}\.[0-9]{2}$"))]
    pub price: String,
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

impl From<ProductRecord> for ProductView {
    fn from(product: ProductRecord) -> Self {
        Self {
            id: product.id,
            name: product.name,
            description: product.description,
            sku: product.sku,
            price: two_places(product.price).to_string(),
            stock_quantity: product.stock_quantity,
            category_id: product.category_id,
            supplier_id: product.supplier_id,
            is_active: product.is_active,
            version: product.version,
            created_at: product.created_at,
            updated_at: product.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;
    use uuid::Uuid;

    use super::*;

    fn product(description: Option<&str>) -> ProductView {
        ProductView {
            id: Uuid::now_v7(),
            name: "Hammer \"claw\" \u{e9}".into(),
            description: description.map(str::to_owned),
            sku: "HAM-1".into(),
            price: "12.50".into(),
            stock_quantity: 7,
            category_id: Some(Uuid::now_v7()),
            supplier_id: None,
            is_active: true,
            version: 3,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn serde_and_poem_openapi_write_the_same_json() {
        for view in [product(None), product(Some("line\nbreak"))] {
            let serde = serde_json::to_value(&view).unwrap();
            assert_eq!(Some(serde), view.to_json());
        }
        let page = super::super::views::Page {
            items: vec![product(None)],
            total: 1,
            skip: 0,
            limit: 20,
        };
        assert_eq!(Some(serde_json::to_value(&page).unwrap()), page.to_json());
        let category = crate::domain::catalog::CategoryRecord {
            id: Uuid::now_v7(),
            name: "Tools".into(),
            description: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert_eq!(
            Some(serde_json::to_value(&category).unwrap()),
            category.to_json()
        );
    }
}
