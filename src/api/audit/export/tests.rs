use std::collections::BTreeMap;

use uuid::Uuid;

use super::*;
use crate::domain::audit::{Actor, AuditAction, Outcome, Target};

fn cell(value: &str) -> String {
    let mut out = String::new();
    csv_cell(value, &mut out);
    out
}

#[test]
fn plain_cells_are_written_as_they_are() {
    assert_eq!(cell("user.updated"), "user.updated");
    assert_eq!(cell(""), "");
    assert_eq!(cell("a'b c"), "a'b c");
}

#[test]
fn rfc_4180_quoting_doubles_quotes_and_wraps_separators() {
    assert_eq!(cell("a,b"), "\"a,b\"");
    assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_eq!(cell("two\nlines"), "\"two\nlines\"");
    assert_eq!(cell("cr\rhere"), "\"cr\rhere\"");
}

#[test]
fn formula_starts_get_a_leading_apostrophe() {
    assert_eq!(cell("=1+2"), "'=1+2");
    assert_eq!(cell("+1"), "'+1");
    assert_eq!(cell("-1"), "'-1");
    assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(cell("\tx"), "'\tx");
    assert_eq!(cell("\rx"), "\"'\rx\"", "guarded, then quoted for the CR");
    assert_eq!(
        cell("=HYPERLINK(\"http://x\",\"y\")"),
        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
    );
    assert_eq!(cell("a=b"), "a=b", "only the first character matters");
}

#[test]
fn a_row_has_every_column_with_json_text_for_changes_and_metadata() {
    let mut event = AuditEvent::new(
        AuditAction::UserUpdated,
        Outcome::Success,
        Actor {
            user_id: Some(Uuid::nil()),
            email: Some("=cmd@x.io".into()),
            ip: None,
            user_agent: Some("agent, \"quoted\"".into()),
        },
        Target {
            target_type: "user".into(),
            id: Some("-7".into()),
        },
    )
    .with_change("full_name", "A".into(), "B, \"C\"".into());
    event.metadata = serde_json::Map::new();
    let mut out = String::new();
    csv_row(&event, &mut out);
    assert!(out.ends_with("\r\n"));
    assert!(out.starts_with(&format!(
        "{},{},user.updated,success,",
        event.id,
        event.occurred_at.to_rfc3339()
    )));
    assert!(
        out.contains(",'=cmd@x.io,,\"agent, \"\"quoted\"\"\",user,'-7,,"),
        "{out}"
    );
    let changes: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(r#"{"full_name":{"from":"A","to":"B, \"C\""}}"#).unwrap();
    let expected = cell(&serde_json::to_string(&changes).unwrap());
    assert!(out.ends_with(&format!(",{expected},{{}}\r\n")), "{out}");
    assert_eq!(csv_header(), format!("{}\r\n", CSV_COLUMNS.join(",")));
}
