//! Identity changes, announced by the `identity_change_notifications` triggers at commit.

use uuid::Uuid;

use super::notifications::Channel;
use crate::domain::identity::IdentityChange;

pub const APPLICATION_NAME: &str = "stockroom-identity-listener";
pub const CHANNEL: Channel = Channel {
    name: "stockroom_identity",
    application_name: APPLICATION_NAME,
};

/// A user id, or anything else (`*`: a role changed) meaning everyone.
pub fn parse(payload: &str) -> IdentityChange {
    Uuid::parse_str(payload).map_or(IdentityChange::Everyone, IdentityChange::User)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_user_or_everyone() {
        let id = Uuid::new_v4();
        assert_eq!(parse(&id.to_string()), IdentityChange::User(id));
        assert_eq!(parse("*"), IdentityChange::Everyone);
        assert_eq!(parse("garbage"), IdentityChange::Everyone);
    }
}
