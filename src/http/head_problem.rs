//! Problem documents for request heads refused before routing: too long a URI (414), too
//! large a head (431) or one that does not parse (400). The request layer answers the first
//! while the head is within hyper's limit; the connection wrapper writes the rest in place
//! of hyper's own empty-bodied answers.

use serde_json::json;

/// The longest request target (path and query) answered; beyond it 414.
pub const MAX_URI_BYTES: usize = 8_192;

/// `(type, title, detail)` of the problem for `status`.
pub fn describe(status: u16, max_header_bytes: usize) -> (&'static str, &'static str, String) {
    match status {
        414 => (
            "/problems/uri-too-long",
            "URI Too Long",
            format!(
                "The request URI is longer than the {MAX_URI_BYTES} bytes this service accepts."
            ),
        ),
        431 => (
            "/problems/request-header-too-large",
            "Request Header Fields Too Large",
            format!(
                "The request line and headers are larger than the {max_header_bytes} bytes \
                 (or the 100 header fields) this service accepts."
            ),
        ),
        _ => (
            "/problems/malformed-request",
            "Bad Request",
            "The request line or a header is not valid HTTP/1.1.".to_owned(),
        ),
    }
}

/// A whole HTTP/1.1 answer for a refused head, closing the connection. hyper reports a head
/// over its size limit as 431; when not even the request line ended within it, the URI is
/// what was too long (414).
pub fn response_bytes(hyper_status: u16, line_complete: bool, max_header_bytes: usize) -> Vec<u8> {
    let status = match hyper_status {
        431 if !line_complete => 414,
        414 | 431 => hyper_status,
        _ => 400,
    };
    let (problem_type, title, detail) = describe(status, max_header_bytes);
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = json!({
        "type": problem_type,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    })
    .to_string();
    metrics::counter!(
        "http_requests_total",
        "method" => "OTHER",
        "route" => "unmatched",
        "status" => status.to_string()
    )
    .increment(1);
    let head = format!(
        "HTTP/1.1 {status} {title}\r\n\
         content-type: application/problem+json\r\n\
         content-length: {}\r\n\
         connection: close\r\n\
         cache-control: no-store\r\n\
         x-content-type-options: nosniff\r\n\
         x-request-id: {request_id}\r\n\r\n",
        body.len()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(bytes: &[u8]) -> (String, serde_json::Value) {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), serde_json::from_str(body).unwrap())
    }

    #[test]
    fn an_unended_request_line_over_the_limit_is_a_long_uri() {
        let (head, body) = split(&response_bytes(431, false, 16_384));
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert_eq!(body["status"], 414);
        assert_eq!(body["type"], "/problems/uri-too-long");
        assert!(head.contains(&format!("content-length: {}", body.to_string().len())));
    }

    #[test]
    fn large_heads_and_malformed_ones_keep_their_status_with_a_problem_body() {
        let (head, body) = split(&response_bytes(431, true, 16_384));
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        assert!(body["detail"].as_str().unwrap().contains("16384 bytes"));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains("connection: close"));
        let (head, body) = split(&response_bytes(400, true, 16_384));
        assert!(head.starts_with("HTTP/1.1 400 Bad Request"), "{head}");
        assert_eq!(body["type"], "/problems/malformed-request");
        assert!(uuid::Uuid::parse_str(body["request_id"].as_str().unwrap()).is_ok());
    }
}
