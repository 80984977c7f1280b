//! Reading the audit trail: validated filters, page sizes and the keyset cursor.
//!
//! Every value here is valid by construction, so the event store builds its typed filters
//! from these and never from raw request text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{AuditEvent, Outcome};
use super::value::{Count, Invalid, string_schema};

/// How many events a page holds: 1 to 100, 20 when not given.
pub type PageSize = Count<1, 100, 20>;
/// How many events an export holds at most, when the caller bounds it: 1 to 1,000,000.
pub type ExportLimit = Count<1, 1_000_000, 1_000_000>;

crate::choices! {
    /// How an export is encoded.
    #[derive(Default)]
    pub enum ExportFormat as "ExportFormat", "ndjson: one JSON audit event per line (`application/x-ndjson`); csv: RFC 4180 CSV with a header row (`text/csv; charset=utf-8`)." {
        #[default]
        Ndjson => "ndjson",
        Csv => "csv",
    }
}

/// Declares a filter value: text of 1 to `$max` characters, each admitted by `$allowed`.
macro_rules! filter_text {
    ($(#[$doc:meta])* $ty:ident, $max:literal, $allowed:expr, $words:literal, $pattern:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(String);

        impl $ty {
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                let chars = raw.chars().count();
                let allowed: fn(char) -> bool = $allowed;
                if chars == 0 || chars > $max || !raw.chars().all(allowed) {
                    return Err(Invalid::new($words));
                }
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        crate::string_value!(
            $ty,
            stringify!($ty),
            string_schema($words, Some(1), Some($max), $pattern)
        );
    };
}

filter_text!(
    /// An action to filter by, e.g. `user.updated` (one nobody records matches nothing).
    ActionName,
    64,
    |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.',
    "must be 1 to 64 characters of a-z, 0-9, `_` and `.`",
    Some("^[a-z0-9_.]+$")
);
filter_text!(
    /// A target type to filter by, e.g. `user`.
    TargetTypeName,
    64,
    |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
    "must be 1 to 64 characters of a-z, 0-9 and `_`",
    Some("^[a-z0-9_]+$")
);
filter_text!(
    /// A target id to filter by: any text without control characters (it is only ever
    /// compared as a whole; no stored id holds one, and PostgreSQL's JSON, where the
    /// `audit.exported` event keeps the filters, cannot hold a NUL).
    TargetId,
    128,
    |c| !c.is_control(),
    "must be 1 to 128 characters, none of them a control character",
    Some("^[^\\u0000-\\u001f\\u007f-\\u009f]+$")
);

/// Which audit events to read; every value is valid by its type. Time bounds are inclusive;
/// [`AuditFilter::checked`] states the rule that spans two of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<ActionName>,
    pub target_type: Option<TargetTypeName>,
    pub target_id: Option<TargetId>,
    pub outcome: Option<Outcome>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// The filters that are set, as the metadata of `audit.exported` (times in RFC 3339).
    pub fn described(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut described = serde_json::Map::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                described.insert(key.to_owned(), value.into());
            }
        };
        put("actor_id", self.actor_id.map(|id| id.to_string()));
        put(
            "action",
            self.action.as_ref().map(|a| a.as_str().to_owned()),
        );
        put(
            "target_type",
            self.target_type.as_ref().map(|t| t.as_str().to_owned()),
        );
        put(
            "target_id",
            self.target_id.as_ref().map(|t| t.as_str().to_owned()),
        );
        put("outcome", self.outcome.map(|o| o.as_str().to_owned()));
        put("from", self.from.map(|at| at.to_rfc3339()));
        put("to", self.to.map(|at| at.to_rfc3339()));
        described
    }

    /// `from` must not be after `to` (else the issue is `from`'s). Times are then rounded
    /// inwards to milliseconds (what BSON dates keep): `from` up, `to` down, so no event
    /// outside the asked range is returned.
    pub fn checked(self) -> Result<Self, (&'static str, Invalid)> {
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(("from", Invalid::new("must not be after `to`")));
        }
        Ok(Self {
            from: self.from.map(ceil_to_millis),
            to: self.to.map(floor_to_millis),
            ..self
        })
    }

    /// Everything one user did (their own activity).
    pub fn by_actor(user_id: Uuid) -> Self {
        Self {
            actor_id: Some(user_id),
            ..Self::default()
        }
    }
}

fn floor_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

fn ceil_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let floored = floor_to_millis(t);
    if floored == t {
        return t;
    }
    DateTime::from_timestamp_millis(t.timestamp_millis().saturating_add(1)).unwrap_or(floored)
}

crate::choices! {
    /// Which way a list of audit events runs.
    #[derive(Default)]
    pub enum AuditOrder as "AuditOrder", "Newest first (desc, the default) or oldest first (asc: a target's history, \"who changed this price, and when?\"). By `occurred_at`, then `id`; a cursor continues in the order it is passed with." {
        #[default]
        Desc => "desc",
        Asc => "asc",
    }
}

/// A position in the trail's order (`occurred_at` desc, then id desc): the next page starts
/// strictly after it, so events inserted meanwhile never shift a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: Uuid,
}

const CURSOR_VERSION: u8 = 1;
const CURSOR_BODY_LEN: usize = 1 + 8 + 16;
const CURSOR_CHECK_LEN: usize = 4;
/// Longer than any cursor this API issues (39 characters), so junk is refused unread.
const MAX_CURSOR_CHARS: usize = 64;

impl AuditCursor {
    pub fn after(event: &AuditEvent) -> Self {
        Self {
            occurred_at: event.occurred_at,
            id: event.id,
        }
    }

    /// base64url of version, epoch millis, id and a checksum. The checksum catches edited
    /// or truncated cursors; a cursor grants nothing (filters and permissions apply as
    /// always), so a forged one only chooses where a page starts, as `to` already can.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(CURSOR_BODY_LEN + CURSOR_CHECK_LEN);
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&self.occurred_at.timestamp_millis().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        let check = checksum(&bytes);
        bytes.extend_from_slice(&check);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(raw: &str) -> Result<Self, Invalid> {
        let malformed = || Invalid::new("is not a cursor this API issued");
        if raw.len() > MAX_CURSOR_CHARS {
            return Err(malformed());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| malformed())?;
        if bytes.len() != CURSOR_BODY_LEN + CURSOR_CHECK_LEN || bytes[0] != CURSOR_VERSION {
            return Err(malformed());
        }
        let (body, check) = bytes.split_at(CURSOR_BODY_LEN);
        if checksum(body) != check {
            return Err(malformed());
        }
        let millis = i64::from_be_bytes(body[1..9].try_into().map_err(|_| malformed())?);
        let occurred_at = DateTime::from_timestamp_millis(millis).ok_or_else(malformed)?;
        let id = Uuid::from_slice(&body[9..]).map_err(|_| malformed())?;
        Ok(Self { occurred_at, id })
    }
}

crate::value_type!(
    AuditCursor,
    "cursor",
    string_schema(
        "`next_cursor` of the previous page; a cursor this API did not issue is 422.",
        None,
        Some(MAX_CURSOR_CHARS),
        None,
    )
);

impl poem_openapi::types::ParseFromParameter for AuditCursor {
    fn parse_from_parameter(raw: &str) -> poem_openapi::types::ParseResult<Self> {
        Self::decode(raw).map_err(|invalid| poem_openapi::types::ParseError::custom(invalid.0))
    }
}

fn checksum(body: &[u8]) -> [u8; CURSOR_CHECK_LEN] {
    let digest = Sha256::new()
        .chain_update(b"stockroom.audit-cursor.v1")
        .chain_update(body)
        .finalize();
    let mut check = [0; CURSOR_CHECK_LEN];
    check.copy_from_slice(&digest[..CURSOR_CHECK_LEN]);
    check
}

/// One page of the trail, newest first; `next` is set when more events follow.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next: Option<AuditCursor>,
}

#[cfg(test)]
mod tests;
