//! The audit events and activity signals the catalogue emits, built from before/after rows.
//! Prices travel as decimal strings with two places ("12.50"), never as floats.

use serde_json::{Value, json};

use super::caller::Caller;
use crate::domain::audit::{AuditEvent, Outcome, Target};
use crate::domain::money::two_places;
use crate::repo::pg::categories::CategoryRecord;
use crate::repo::pg::products::ProductRecord;

/// The fields an event compares, by name.
type Fields = Vec<(&'static str, Value)>;

fn category_fields(category: &CategoryRecord) -> Fields {
    vec![
        ("name", json!(category.name)),
        ("description", json!(category.description)),
    ]
}

fn product_fields(product: &ProductRecord) -> Fields {
    vec![
        ("name", json!(product.name)),
        ("description", json!(product.description)),
        ("sku", json!(product.sku)),
        ("price", json!(two_places(product.price).to_string())),
        ("stock_quantity", json!(product.stock_quantity)),
        ("category_id", json!(product.category_id)),
    ]
}

/// `event` with a `changes` entry for each field whose value differs between `before`
/// (absent: every field was null) and `after` (absent: every field becomes null).
fn with_changes(
    mut event: AuditEvent,
    before: Option<Fields>,
    after: Option<Fields>,
) -> AuditEvent {
    let names: Vec<&str> = before
        .as_ref()
        .or(after.as_ref())
        .map(|fields| fields.iter().map(|(name, _)| *name).collect())
        .unwrap_or_default();
    let value = |fields: &Option<Fields>, wanted: &str| {
        fields
            .as_ref()
            .and_then(|fields| fields.iter().find(|(name, _)| *name == wanted))
            .map_or(Value::Null, |(_, value)| value.clone())
    };
    for name in names {
        let (from, to) = (value(&before, name), value(&after, name));
        if from != to {
            event = event.with_change(name, from, to);
        }
    }
    event
}

fn target(target_type: &str, id: uuid::Uuid) -> Target {
    Target {
        target_type: target_type.to_owned(),
        id: Some(id.to_string()),
    }
}

pub fn category_created(caller: &Caller, created: &CategoryRecord) -> AuditEvent {
    let event = caller.event(
        "category.created",
        Outcome::Success,
        target("category", created.id),
    );
    with_changes(event, None, Some(category_fields(created)))
}

/// `None` when nothing changed.
pub fn category_updated(
    caller: &Caller,
    before: &CategoryRecord,
    after: &CategoryRecord,
) -> Option<AuditEvent> {
    let event = caller.event(
        "category.updated",
        Outcome::Success,
        target("category", after.id),
    );
    let event = with_changes(
        event,
        Some(category_fields(before)),
        Some(category_fields(after)),
    );
    event.changes.is_some().then_some(event)
}

pub fn category_deleted(caller: &Caller, deleted: &CategoryRecord) -> AuditEvent {
    let event = caller.event(
        "category.deleted",
        Outcome::Success,
        target("category", deleted.id),
    );
    with_changes(event, Some(category_fields(deleted)), None)
}

pub fn product_created(caller: &Caller, created: &ProductRecord) -> AuditEvent {
    let event = caller.event(
        "product.created",
        Outcome::Success,
        target("product", created.id),
    );
    with_changes(event, None, Some(product_fields(created)))
        .with_metadata("version", created.version.into())
}

/// `None` when nothing changed.
pub fn product_updated(
    caller: &Caller,
    before: &ProductRecord,
    after: &ProductRecord,
) -> Option<AuditEvent> {
    let event = caller.event(
        "product.updated",
        Outcome::Success,
        target("product", after.id),
    );
    let event = with_changes(
        event,
        Some(product_fields(before)),
        Some(product_fields(after)),
    )
    .with_metadata("version", after.version.into());
    event.changes.is_some().then_some(event)
}

/// The row stays (soft delete), so the event records the flag, not every field.
pub fn product_deleted(caller: &Caller, deleted: &ProductRecord) -> AuditEvent {
    caller
        .event(
            "product.deleted",
            Outcome::Success,
            target("product", deleted.id),
        )
        .with_change("is_active", true.into(), false.into())
        .with_metadata("sku", deleted.sku.clone().into())
        .with_metadata("version", deleted.version.into())
}

pub fn stock_adjusted(
    caller: &Caller,
    adjusted: &ProductRecord,
    delta: i64,
    reason: &str,
) -> AuditEvent {
    caller
        .event(
            "product.stock_adjusted",
            Outcome::Success,
            target("product", adjusted.id),
        )
        .with_change(
            "stock_quantity",
            (adjusted.stock_quantity - delta).into(),
            adjusted.stock_quantity.into(),
        )
        .with_metadata("delta", delta.into())
        .with_metadata("reason", reason.into())
        .with_metadata("version", adjusted.version.into())
}
