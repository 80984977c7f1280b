//! The catalogue's wire shapes are its records (`ProductRecord`, `CategoryRecord`,
//! `SupplierRecord` in `domain::catalog`); serde writes what the document states.

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use poem_openapi::types::ToJSON;
    use uuid::Uuid;

    use crate::domain::catalog::ProductRecord;
    use crate::domain::money::Price;

    fn product(description: Option<&str>) -> ProductRecord {
        ProductRecord {
            id: Uuid::now_v7(),
            name: "Hammer \"claw\" \u{e9}".into(),
            description: description.map(str::to_owned),
            sku: "HAM-1".into(),
            price: Price::parse_text("12.5").unwrap(),
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
