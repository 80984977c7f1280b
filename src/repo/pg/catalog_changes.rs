//! Catalogue changes, announced by the instance that made them: one notification names the
//! products changed since its last one (or says "everything"), so a burst of writes costs one
//! `NOTIFY`, off the writes' own transactions. PostgreSQL serialises the commits of
//! transactions that notify; a trigger per written row would cap the write rate.

use uuid::Uuid;

use super::notifications::{Channel, notify};
use super::{DbError, PgPool};

pub const APPLICATION_NAME: &str = "stockroom-catalog-listener";
pub const CHANNEL: Channel = Channel {
    name: "stockroom_catalog",
    application_name: APPLICATION_NAME,
};
/// Ids per notification: the sender's id and 200 x 37 bytes stay under PostgreSQL's
/// 8,000-byte payload bound.
pub const MAX_IDS_PER_NOTIFICATION: usize = 200;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogChange {
    Products(Vec<Uuid>),
    /// More than one notification can name, or anything the listener cannot read.
    Everything,
}

/// A change as announced: `<sender>:<id>,<id>,...` or `<sender>:*`. The sender (a random id
/// per process) lets an instance skip its own announcements: it forgot before answering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub sender: Option<Uuid>,
    pub change: CatalogChange,
}

impl Announcement {
    fn payload(&self) -> String {
        let sender = self.sender.map(|s| s.to_string()).unwrap_or_default();
        let change = match &self.change {
            CatalogChange::Products(ids) if ids.len() <= MAX_IDS_PER_NOTIFICATION => ids
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(","),
            _ => "*".to_owned(),
        };
        format!("{sender}:{change}")
    }

    /// Anything unreadable means "everything", from nobody known.
    pub fn parse(payload: &str) -> Self {
        let unreadable = Self {
            sender: None,
            change: CatalogChange::Everything,
        };
        let Some((sender, ids)) = payload.split_once(':') else {
            return unreadable;
        };
        let ids = (ids != "*").then(|| {
            ids.split(',')
                .map(Uuid::parse_str)
                .collect::<Result<Vec<_>, _>>()
        });
        match ids {
            Some(Err(_)) => unreadable,
            Some(Ok(ids)) => Self {
                sender: Uuid::parse_str(sender).ok(),
                change: CatalogChange::Products(ids),
            },
            None => Self {
                sender: Uuid::parse_str(sender).ok(),
                change: CatalogChange::Everything,
            },
        }
    }
}

pub async fn announce(pool: &PgPool, announcement: &Announcement) -> Result<(), DbError> {
    notify(pool, CHANNEL, &announcement.payload()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(sender: Uuid, change: CatalogChange) -> Announcement {
        Announcement {
            sender: Some(sender),
            change,
        }
    }

    #[test]
    fn payloads_name_the_sender_and_products_or_everything() {
        let sender = Uuid::new_v4();
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let some = by(sender, CatalogChange::Products(ids));
        assert_eq!(Announcement::parse(&some.payload()), some);
        let all = by(sender, CatalogChange::Everything);
        assert_eq!(Announcement::parse(&all.payload()), all);
        for nonsense in ["nonsense", "", "x:y", ":", "*"] {
            assert_eq!(
                Announcement::parse(nonsense).change,
                CatalogChange::Everything,
                "{nonsense:?}"
            );
        }
        let many = by(
            sender,
            CatalogChange::Products((0..201).map(|_| Uuid::new_v4()).collect()),
        );
        assert!(many.payload().ends_with(":*"));
        let most = by(
            sender,
            CatalogChange::Products((0..200).map(|_| Uuid::new_v4()).collect()),
        );
        assert!(most.payload().len() < 8_000);
    }
}
