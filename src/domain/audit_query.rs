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
use super::identity::Invalid;

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;
/// The most events one export may be limited to; without a limit it holds every match.
pub const MAX_EXPORT_LIMIT: u32 = 1_000_000;
pub const MAX_ACTION_CHARS: usize = 64;
pub const MAX_TARGET_TYPE_CHARS: usize = 64;
pub const MAX_TARGET_ID_CHARS: usize = 128;

/// The filter parameters as the client sent them (ids and times already typed).
#[derive(Debug, Clone, Default)]
pub struct AuditFilterInput {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Which audit events to read. Time bounds are inclusive and at millisecond precision
/// (what BSON dates keep): `from` is rounded up, `to` down, so no event outside the asked
/// range is returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    actor_id: Option<Uuid>,
    action: Option<String>,
    target_type: Option<String>,
    target_id: Option<String>,
    outcome: Option<Outcome>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// Validates every parameter; the error lists each one at fault.
    pub fn parse(input: AuditFilterInput) -> Result<Self, Vec<(&'static str, Invalid)>> {
        let mut issues = Vec::new();
        let mut check = |field, value: Option<String>, rule: fn(&str) -> Result<(), Invalid>| {
            value.and_then(|v| match rule(&v) {
                Ok(()) => Some(v),
                Err(invalid) => {
                    issues.push((field, invalid));
                    None
                }
            })
        };
        let action = check("action", input.action, check_action);
        let target_type = check("target_type", input.target_type, check_target_type);
        let target_id = check("target_id", input.target_id, check_target_id);
        if let (Some(from), Some(to)) = (input.from, input.to)
            && from > to
        {
            issues.push(("from", Invalid::new("must not be after `to`")));
        }
        if !issues.is_empty() {
            return Err(issues);
        }
        Ok(Self {
            actor_id: input.actor_id,
            action,
            target_type,
            target_id,
            outcome: input.outcome,
            from: input.from.map(ceil_to_millis),
            to: input.to.map(floor_to_millis),
        })
    }

    /// Everything one user did (their own activity).
    pub fn by_actor(user_id: Uuid) -> Self {
        Self {
            actor_id: Some(user_id),
            ..Self::default()
        }
    }

    pub fn actor_id(&self) -> Option<Uuid> {
        self.actor_id
    }
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }
    pub fn target_type(&self) -> Option<&str> {
        self.target_type.as_deref()
    }
    pub fn target_id(&self) -> Option<&str> {
        self.target_id.as_deref()
    }
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }
    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.from
    }
    pub fn to(&self) -> Option<DateTime<Utc>> {
        self.to
    }
}

fn check_token(
    raw: &str,
    max: usize,
    allowed: fn(char) -> bool,
    message: &'static str,
) -> Result<(), Invalid> {
    let chars = raw.chars().count();
    if chars == 0 || chars > max || !raw.chars().all(allowed) {
        return Err(Invalid::new(message));
    }
    Ok(())
}

fn check_action(raw: &str) -> Result<(), Invalid> {
    check_token(
        raw,
        MAX_ACTION_CHARS,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.',
        "must be 1 to 64 characters of a-z, 0-9, `_` and `.`",
    )
}

fn check_target_type(raw: &str) -> Result<(), Invalid> {
    check_token(
        raw,
        MAX_TARGET_TYPE_CHARS,
        |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
        "must be 1 to 64 characters of a-z, 0-9 and `_`",
    )
}

fn check_target_id(raw: &str) -> Result<(), Invalid> {
    check_token(
        raw,
        MAX_TARGET_ID_CHARS,
        |_| true,
        "must be 1 to 128 characters",
    )
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

/// How many events a page holds: 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub fn parse(raw: u32) -> Result<Self, Invalid> {
        if (1..=MAX_PAGE_SIZE).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Invalid::new("must be between 1 and 100"))
        }
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// How many events an export holds at most, when the caller bounds it: 1 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimit(u32);

impl ExportLimit {
    pub fn parse(raw: u32) -> Result<Self, Invalid> {
        if (1..=MAX_EXPORT_LIMIT).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(Invalid::new("must be between 1 and 1000000"))
        }
    }

    pub fn get(self) -> u32 {
        self.0
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
