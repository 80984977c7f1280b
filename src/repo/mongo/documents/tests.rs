use super::*;
use crate::domain::audit::AuditAction;

fn sample_audit() -> AuditEvent {
    AuditEvent::new(
        AuditAction::ProductUpdated,
        Outcome::Success,
        Actor {
            user_id: Some(Uuid::new_v4()),
            email: Some("m@x.io".into()),
            ip: Some("127.0.0.1".into()),
            user_agent: None,
        },
        Target {
            target_type: "product".into(),
            id: Some("p-1".into()),
        },
    )
    .with_change(
        "price",
        serde_json::json!("1.00"),
        serde_json::json!("2.50"),
    )
    .with_change("stock_quantity", serde_json::json!(3), serde_json::json!(7))
    .with_metadata("reason", serde_json::json!("restock"))
    .with_request_id(Some("req-9".into()))
}

#[test]
fn audit_documents_have_version_1_types_and_round_trip() {
    let event = sample_audit();
    let document = audit_to_document(&event);
    assert!(
        matches!(document.get("_id"), Some(Bson::Binary(b)) if b.subtype == bson::spec::BinarySubtype::Uuid)
    );
    assert_eq!(document.get_i32("schema_version"), Ok(SCHEMA_VERSION));
    assert!(matches!(
        document.get("occurred_at"),
        Some(Bson::DateTime(_))
    ));
    let actor = document.get_document("actor").unwrap();
    assert_eq!(
        actor.get_str("user_id").unwrap(),
        event.actor.user_id.unwrap().to_string(),
        "a user id is its text"
    );
    assert!(
        !actor.contains_key("user_agent"),
        "no value, no field: {actor}"
    );
    assert_eq!(document_to_audit(&document), Some(event));
}

#[test]
fn documents_written_before_version_1_read_the_same() {
    let event = sample_audit();
    let mut legacy = audit_to_document(&event);
    legacy.remove("schema_version");
    let user_id = event.actor.user_id.unwrap();
    legacy.insert(
        "actor",
        doc! { "user_id": bson::Uuid::from(user_id), "email": "m@x.io", "ip": "127.0.0.1", "user_agent": Bson::Null },
    );
    assert_eq!(document_to_audit(&legacy), Some(event.clone()));

    let activity = ActivityEvent::new("product.viewed", Some(user_id), "product", None);
    let mut legacy = activity_to_document(&activity);
    legacy.insert("actor_id", bson::Uuid::from(user_id));
    legacy.insert("subject", doc! { "type": "product", "id": Bson::Null });
    assert_eq!(document_to_activity(&legacy), Some(activity));
}

#[test]
fn activity_documents_keep_subject_and_actor_and_drop_empty_metadata() {
    let actor = Uuid::new_v4();
    let mut event = ActivityEvent::new(
        "product.searched",
        Some(actor),
        "product",
        Some("p-2".into()),
    );
    event.metadata = serde_json::json!({ "q": "drill", "category_id": null, "total": 3 })
        .as_object()
        .cloned()
        .unwrap();
    let document = activity_to_document(&event);
    assert_eq!(
        document.get_document("subject").unwrap().get_str("id"),
        Ok("p-2")
    );
    assert_eq!(document.get_str("actor_id"), Ok(actor.to_string().as_str()));
    assert_eq!(
        document.get_document("metadata").unwrap(),
        &doc! { "q": "drill", "total": 3 }
    );
    let anonymous = activity_to_document(&ActivityEvent::new("auth.login", None, "user", None));
    assert!(!anonymous.contains_key("actor_id"));
}

#[test]
fn a_user_id_filter_matches_both_forms() {
    let id = Uuid::new_v4();
    let filter = user_id_filter(id);
    let values = filter.as_document().unwrap().get_array("$in").unwrap();
    assert_eq!(values[0], Bson::String(id.to_string()));
    assert_eq!(values[1], Bson::Binary(bson::Uuid::from(id).into()));
}
