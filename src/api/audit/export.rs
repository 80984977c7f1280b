//! `GET /audit-events/export`: NDJSON or CSV, encoded while the store is read.
//!
//! The body is a stream: events are encoded in small batches as the MongoDB cursor yields
//! them, so memory stays constant whatever the number of events.

use futures::StreamExt;
use poem::http::{StatusCode, header};
use poem::{Body, IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::ToJSON;

use super::views::AuditEventView;
use crate::domain::audit::AuditEvent;
pub use crate::domain::audit_query::ExportFormat;
use crate::service::audit::AuditEventStream;

/// Events already read are written out in chunks of at most this many.
const CHUNK_EVENTS: usize = 64;

pub const CSV_COLUMNS: [&str; 13] = [
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

impl ExportFormat {
    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    fn encode(self, event: AuditEvent, out: &mut String) {
        match self {
            ExportFormat::Ndjson => {
                // JSON escapes control characters, so one event is always one line.
                out.push_str(&AuditEventView::from(event).to_json_string());
                out.push('\n');
            }
            ExportFormat::Csv => csv_row(&event, out),
        }
    }
}

/// A streamed export, answered with `200`, its content type and a download file name.
pub struct ExportResponse {
    format: ExportFormat,
    body: Body,
}

impl ExportResponse {
    pub fn new(format: ExportFormat, events: AuditEventStream) -> Self {
        let header = match format {
            ExportFormat::Csv => Some(Ok::<_, std::io::Error>(csv_header())),
            ExportFormat::Ndjson => None,
        };
        let rows = events.ready_chunks(CHUNK_EVENTS).map(move |batch| {
            let mut out = String::new();
            for item in batch {
                match item {
                    Ok(event) => format.encode(event, &mut out),
                    Err(err) => {
                        // The status line is long gone: failing the body makes the client
                        // see a broken transfer instead of a silently short file.
                        tracing::error!(error = %err, "audit export interrupted");
                        return Err(std::io::Error::other("audit export interrupted"));
                    }
                }
            }
            Ok(out)
        });
        let stream = futures::stream::iter(header).chain(rows);
        Self {
            format,
            body: Body::from_bytes_stream(stream),
        }
    }
}

impl IntoResponse for ExportResponse {
    fn into_response(self) -> Response {
        Response::builder()
            .status(StatusCode::OK)
            .content_type(self.format.content_type())
            .header(
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"audit-events.{}\"",
                    self.format.as_str()
                ),
            )
            .body(self.body)
    }
}

impl ApiResponse for ExportResponse {
    fn meta() -> MetaResponses {
        let file = || {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                format: Some("binary"),
                ..MetaSchema::new("string")
            }))
        };
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The matching events, newest first, streamed. NDJSON: one \
                    `AuditEventView` per line. CSV: a header row, then one row per event.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: ExportFormat::Ndjson.content_type(),
                        schema: file(),
                    },
                    MetaMediaType {
                        content_type: ExportFormat::Csv.content_type(),
                        schema: file(),
                    },
                ],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_owned(),
                    description: Some(
                        "`attachment; filename=\"audit-events.ndjson\"` or `.csv`".to_owned(),
                    ),
                    required: true,
                    deprecated: false,
                    schema: <String as poem_openapi::types::Type>::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

fn csv_header() -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    out
}

/// One CSV record (RFC 4180, CRLF line ends).
pub fn csv_row(event: &AuditEvent, out: &mut String) {
    let changes = event
        .changes
        .as_ref()
        .map(|changes| serde_json::to_string(changes).unwrap_or_default())
        .unwrap_or_default();
    let metadata = serde_json::to_string(&event.metadata).unwrap_or_default();
    let id = event.id.to_string();
    let occurred_at = event.occurred_at.to_rfc3339();
    let user_id = event.actor.user_id.map(|id| id.to_string());
    let cells: [&str; 13] = [
        &id,
        &occurred_at,
        &event.action,
        event.outcome.as_str(),
        user_id.as_deref().unwrap_or_default(),
        event.actor.email.as_deref().unwrap_or_default(),
        event.actor.ip.as_deref().unwrap_or_default(),
        event.actor.user_agent.as_deref().unwrap_or_default(),
        &event.target.target_type,
        event.target.id.as_deref().unwrap_or_default(),
        event.request_id.as_deref().unwrap_or_default(),
        &changes,
        &metadata,
    ];
    for (index, cell) in cells.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        csv_cell(cell, out);
    }
    out.push_str("\r\n");
}

/// Spreadsheet-safe: a cell that a spreadsheet would read as a formula gets a leading `'`
/// (OWASP CSV injection); then RFC 4180 quoting when the cell holds `,`, `"`, CR or LF.
pub fn csv_cell(value: &str, out: &mut String) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = value.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if guarded {
        out.push('\'');
    }
    if quoted {
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

#[cfg(test)]
mod tests;
