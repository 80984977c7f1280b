//! The audit events and activity signals the catalogue emits, built from before/after rows.
//! Prices travel as decimal strings with two places ("12.50"), never as floats.

use serde_json::json;

use super::caller::Caller;
use crate::domain::audit::{AuditAction, AuditEvent, AuditFields, Outcome, Target, TargetKind};
use crate::repo::pg::categories::CategoryRecord;
use crate::repo::pg::products::ProductRecord;

fn category_fields(category: &CategoryRecord) -> AuditFields {
    vec![
        ("name", json!(category.name)),
        ("description", json!(category.description)),
    ]
}

fn product_fields(product: &ProductRecord) -> AuditFields {
    vec![
        ("name", json!(product.name)),
        ("description", json!(product.description)),
        ("sku", json!(product.sku)),
        ("price", json!(product.price.to_text())),
        ("stock_quantity", json!(product.stock_quantity)),
        ("category_id", json!(product.category_id)),
        ("supplier_id", json!(product.supplier_id)),
    ]
}

pub fn category_created(caller: &Caller, created: &CategoryRecord) -> AuditEvent {
    let event = caller.event(
        AuditAction::CategoryCreated,
        Outcome::Success,
        Target::new(TargetKind::Category, created.id),
    );
    event.with_diff(None, Some(&category_fields(created)))
}

/// `None` when nothing changed.
pub fn category_updated(
    caller: &Caller,
    before: &CategoryRecord,
    after: &CategoryRecord,
) -> Option<AuditEvent> {
    let event = caller.event(
        AuditAction::CategoryUpdated,
        Outcome::Success,
        Target::new(TargetKind::Category, after.id),
    );
    let event = event.with_diff(
        Some(&category_fields(before)),
        Some(&category_fields(after)),
    );
    event.has_changes().then_some(event)
}

pub fn category_deleted(caller: &Caller, deleted: &CategoryRecord) -> AuditEvent {
    let event = caller.event(
        AuditAction::CategoryDeleted,
        Outcome::Success,
        Target::new(TargetKind::Category, deleted.id),
    );
    event.with_diff(Some(&category_fields(deleted)), None)
}

pub fn product_created(caller: &Caller, created: &ProductRecord) -> AuditEvent {
    let event = caller.event(
        AuditAction::ProductCreated,
        Outcome::Success,
        Target::new(TargetKind::Product, created.id),
    );
    event
        .with_diff(None, Some(&product_fields(created)))
        .with_metadata("version", created.version.into())
}

/// `None` when nothing changed.
pub fn product_updated(
    caller: &Caller,
    before: &ProductRecord,
    after: &ProductRecord,
) -> Option<AuditEvent> {
    let event = caller.event(
        AuditAction::ProductUpdated,
        Outcome::Success,
        Target::new(TargetKind::Product, after.id),
    );
    let event = event
        .with_diff(Some(&product_fields(before)), Some(&product_fields(after)))
        .with_metadata("version", after.version.into());
    event.has_changes().then_some(event)
}

/// The row stays (soft delete), so the event records the flag, not every field.
pub fn product_deleted(caller: &Caller, deleted: &ProductRecord) -> AuditEvent {
    caller
        .event(
            AuditAction::ProductDeleted,
            Outcome::Success,
            Target::new(TargetKind::Product, deleted.id),
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
            AuditAction::ProductStockAdjusted,
            Outcome::Success,
            Target::new(TargetKind::Product, adjusted.id),
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
