//! `GET /audit-events/export`: streamed NDJSON and spreadsheet-safe CSV.

use std::collections::HashSet;

use bson::doc;
use serde_json::{Value, json};
use stockroom::domain::audit::AuditEvent;

use super::support::{all_pages, crafted, invalid_fields, newest_first, record, wait_listed};
use crate::helpers::{TestApp, eventually};

const COLUMNS: [&str; 13] = [
    "id",
    "occurred_at",
    "action",
    "outcome",
    "actor_user_id",
    "actor_email",
    "actor_ip",
    "actor_user_agent",
    "target_type",
    "target_id",
    "request_id",
    "changes",
    "metadata",
];

/// A strict RFC 4180 reader: quoted fields with doubled quotes, CRLF after every record.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut was_quoted) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => (quoted, was_quoted) = (true, true),
            ',' => {
                record.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {
                chars.next();
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                was_quoted = false;
            }
            '"' | '\r' | '\n' => panic!("bare {c:?} outside quotes in {text:?}"),
            _ if was_quoted => panic!("text after a closing quote in {text:?}"),
            _ => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "the file ends with CRLF"
    );
    records
}

async fn export(app: &TestApp, token: &str, query: &str) -> (String, String, String) {
    let response = app
        .get_as(&format!("/api/v1/audit-events/export?{query}"), token)
        .await;
    assert_eq!(response.status(), 200, "{query}");
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (content_type, disposition, response.text().await.unwrap())
}

fn ndjson(text: &str) -> Vec<Value> {
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_hold_every_matching_event_as_ndjson_and_spreadsheet_safe_csv() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let user = app.new_user().await;
    let name = "=HYPERLINK(\"http://evil.example\",\"click\"), now";
    let patched = app
        .send_as(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            &user.access_token,
            Some(&json!({ "full_name": name })),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let failed = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "=cmd|' /C calc'!A0")
        .json(&json!({ "email": user.email, "password": "not the password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let query = format!("actor_id={}", user.id);
    wait_listed(&app, &admin.access_token, &query, 4).await;
    let listed = all_pages(&app, &admin.access_token, "/api/v1/audit-events", &query).await;
    assert_eq!(listed.len(), 4);

    let (content_type, disposition, text) =
        export(&app, &admin.access_token, &format!("format=ndjson&{query}")).await;
    assert_eq!(content_type, "application/x-ndjson");
    assert_eq!(disposition, "attachment; filename=\"audit-events.ndjson\"");
    assert_eq!(
        ndjson(&text),
        listed,
        "the same events, shape and order as the list"
    );
    let (default_type, _, _) = export(&app, &admin.access_token, &query).await;
    assert_eq!(
        default_type, "application/x-ndjson",
        "ndjson is the default"
    );

    let (content_type, disposition, text) =
        export(&app, &admin.access_token, &format!("format=csv&{query}")).await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert_eq!(disposition, "attachment; filename=\"audit-events.csv\"");
    let records = parse_csv(&text);
    assert_eq!(records[0], COLUMNS);
    let rows = &records[1..];
    assert_eq!(rows.len(), listed.len());
    for (row, event) in rows.iter().zip(&listed) {
        assert_eq!(row.len(), COLUMNS.len());
        assert_eq!(row[0], event["id"].as_str().unwrap());
        assert_eq!(row[1], event["occurred_at"].as_str().unwrap());
        assert_eq!(row[2], event["action"].as_str().unwrap());
        assert_eq!(row[4], user.id);
        let metadata: Value = serde_json::from_str(&row[12]).unwrap();
        assert_eq!(metadata, event["metadata"]);
    }
    let row = |action: &str| rows.iter().find(|r| r[2] == action).unwrap();
    assert_eq!(
        row("auth.login_failed")[7],
        "'=cmd|' /C calc'!A0",
        "formula guarded"
    );
    let changes: Value = serde_json::from_str(&row("user.updated")[11]).unwrap();
    assert_eq!(changes["full_name"]["to"], name);
    assert!(
        text.contains("\"{\"\"full_name\"\":"),
        "JSON text is quoted with its quotes doubled"
    );
    assert_eq!(row("user.registered")[3], "success");
    assert_eq!(
        row("auth.login_succeeded")[11],
        "",
        "no changes: empty cell"
    );

    let (_, _, empty) = export(&app, &admin.access_token, "action=nothing.here").await;
    assert_eq!(empty, "");
    let (_, _, header_only) =
        export(&app, &admin.access_token, "format=csv&action=nothing.here").await;
    assert_eq!(parse_csv(&header_only), vec![COLUMNS.to_vec()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_free_text_cell_is_guarded_against_formulas() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let mut event = crafted("test.exported", "export", "-2+3");
    event.actor.email = Some("+1@example.com".into());
    event.actor.ip = Some("@10.0.0.1".into());
    event.actor.user_agent = Some("\tTabbed, \"quoted\"".into());
    event.request_id = Some("@req".into());
    event.metadata.insert(
        "note".into(),
        json!("line one\r\nline two, \"quoted\" =1+1"),
    );
    record(&app, std::slice::from_ref(&event)).await;
    wait_listed(&app, &admin.access_token, "target_type=export", 1).await;

    let (_, _, text) = export(&app, &admin.access_token, "format=csv&target_type=export").await;
    let records = parse_csv(&text);
    assert_eq!(records.len(), 2);
    let row = &records[1];
    assert_eq!(row[5], "'+1@example.com");
    assert_eq!(row[6], "'@10.0.0.1");
    assert_eq!(row[7], "'\tTabbed, \"quoted\"");
    assert_eq!(row[9], "'-2+3");
    assert_eq!(row[10], "'@req");
    let metadata: Value = serde_json::from_str(&row[12]).unwrap();
    assert_eq!(metadata["note"], "line one\r\nline two, \"quoted\" =1+1");
    for cell in row {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} could run as a formula"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_export_is_streamed_whole_and_in_order() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let events: Vec<AuditEvent> = (0..600)
        .map(|n| crafted("test.bulk", "bulk", &n.to_string()))
        .collect();
    record(&app, &events).await;
    let collection = app
        .mongo
        .database()
        .await
        .collection::<bson::Document>("audit_events");
    eventually(
        "600 bulk events stored",
        std::time::Duration::from_secs(30),
        || {
            let collection = collection.clone();
            async move {
                let stored = collection
                    .count_documents(doc! { "target.type": "bulk" })
                    .await
                    .unwrap();
                (stored == 600).then_some(())
            }
        },
    )
    .await;

    let response = app
        .get_as(
            "/api/v1/audit-events/export?target_type=bulk",
            &admin.access_token,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().get("content-length").is_none(),
        "streamed (chunked), not buffered"
    );
    let lines = ndjson(&response.text().await.unwrap());
    let ids: Vec<String> = lines
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 600);
    assert_eq!(ids, newest_first(&events));

    let (_, _, csv) = export(
        &app,
        &admin.access_token,
        "format=csv&target_type=bulk&action=test.bulk",
    )
    .await;
    assert_eq!(parse_csv(&csv).len(), 601, "a header and 600 rows");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limit_exports_the_newest_events_only_and_is_bounded() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let events: Vec<AuditEvent> = (0..7)
        .map(|n| crafted("test.limited", "limited", &n.to_string()))
        .collect();
    record(&app, &events).await;
    wait_listed(&app, &admin.access_token, "target_type=limited", 7).await;
    let newest = newest_first(&events);

    let (_, _, text) = export(&app, &admin.access_token, "target_type=limited&limit=5").await;
    let ids: Vec<String> = ndjson(&text)
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, newest[..5], "the five newest, newest first");
    let (_, _, csv) = export(
        &app,
        &admin.access_token,
        "format=csv&target_type=limited&limit=5",
    )
    .await;
    assert_eq!(parse_csv(&csv).len(), 6, "a header and five rows");
    let (_, _, all) = export(
        &app,
        &admin.access_token,
        "target_type=limited&limit=1000000",
    )
    .await;
    assert_eq!(ndjson(&all).len(), 7, "a limit above the count exports all");

    for query in ["limit=0", "limit=1000001", "limit=-1", "limit=five"] {
        let response = app
            .get_as(
                &format!("/api/v1/audit-events/export?{query}"),
                &admin.access_token,
            )
            .await;
        assert_eq!(invalid_fields(response).await, ["limit"], "{query}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_export_is_itself_an_audit_event_with_its_filters() {
    let app = TestApp::spawn().await;
    let admin = app.new_admin().await;
    let from = "2026-01-01T00:00:00Z";
    export(
        &app,
        &admin.access_token,
        &format!("format=csv&action=user.updated&from={from}&limit=5"),
    )
    .await;
    let query = format!("action=audit.exported&actor_id={}", admin.id);
    wait_listed(&app, &admin.access_token, &query, 1).await;
    let listed = all_pages(&app, &admin.access_token, "/api/v1/audit-events", &query).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let event = &listed[0];
    assert_eq!(event["target"]["type"], "audit_trail");
    assert_eq!(
        event["metadata"],
        json!({
            "filters": { "action": "user.updated", "from": "2026-01-01T00:00:00+00:00" },
            "format": "csv",
            "limit": 5,
        })
    );
}
