//! Per-request values reachable from anywhere in the request's task (problem documents,
//! audit events) without threading them through every signature.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub async fn with_request_id<F: Future>(request_id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(request_id, fut).await
}

/// A client-supplied request id is echoed only when it is short and plain; anything else
/// (log injection, huge headers) is replaced by a generated one.
pub fn accept_request_id(incoming: Option<&str>) -> String {
    match incoming {
        Some(id)
            if !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_echoed_and_hostile_ones_replaced() {
        assert_eq!(accept_request_id(Some("abc-123_x.y:z")), "abc-123_x.y:z");
        for hostile in ["", "a b", "line\nbreak", &"x".repeat(129), "<script>"] {
            let id = accept_request_id(Some(hostile));
            assert_ne!(id, hostile);
            assert!(uuid::Uuid::parse_str(&id).is_ok());
        }
        assert!(uuid::Uuid::parse_str(&accept_request_id(None)).is_ok());
    }

    #[tokio::test]
    async fn request_id_is_visible_inside_the_scope_only() {
        assert_eq!(current_request_id(), None);
        let seen = with_request_id("r-1".into(), async { current_request_id() }).await;
        assert_eq!(seen.as_deref(), Some("r-1"));
    }
}
