//! Bearer forgeries tokens.rs does not try: a signature moved onto an escalated payload,
//! `none` in other letter cases, an empty signature, the refresh token or another scheme
//! in place of the access token, and garbage. All are 401 on a protected operation.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::{Callers, Role, send};
use crate::helpers::TestApp;

const TEST_SECRET: &str = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn decode(part: &str) -> Value {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn escalated_unsigned_and_misplaced_bearer_tokens_are_401() {
    let app = TestApp::spawn().await;
    let callers = Callers::sign_up(&app).await;
    let user = &callers.user;
    let parts: Vec<&str> = user.access_token.split('.').collect();
    let (header, payload, signature) = (parts[0], parts[1], parts[2]);
    let mut escalated = decode(payload);
    escalated["sub"] = json!(callers.admin.id);
    let escalated = b64(escalated.to_string().as_bytes());
    let claims = decode(payload);
    let unsigned = |alg: &str| {
        format!(
            "{}.{}.",
            b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        )
    };
    let empty_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b""),
    )
    .unwrap();
    let mut kid_header = Header::new(Algorithm::HS256);
    kid_header.kid = Some("../../../../dev/null".to_owned());
    let foreign_kid = jsonwebtoken::encode(
        &kid_header,
        &claims,
        &EncodingKey::from_secret(b"attacker-chosen-secret-0123456789abcdef"),
    )
    .unwrap();
    let control = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap();

    let admin_only = "/api/v1/users";
    let forged = [
        (
            "the user's signature on sub = admin",
            format!("{header}.{escalated}.{signature}"),
        ),
        ("alg None", unsigned("None")),
        ("alg NONE", unsigned("NONE")),
        ("HS256 header, no signature", format!("{header}.{payload}.")),
        ("HS256 with an empty key", empty_key),
        ("kid pointing elsewhere", foreign_kid),
        ("the refresh token", user.refresh_token.clone()),
        ("two tokens", format!("{0} {0}", user.access_token)),
        ("10 KB of garbage", "a.".repeat(5_000)),
    ];
    for (what, token) in forged {
        let response = send(
            &app,
            reqwest::Method::GET,
            "/api/v1/users/me",
            Some(&token),
            None,
        )
        .await;
        assert_eq!(response.status(), 401, "{what}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer", "{what}");
        let response = send(&app, reqwest::Method::GET, admin_only, Some(&token), None).await;
        assert_eq!(response.status(), 401, "{what} on {admin_only}");
    }

    // Other schemes, and a header that is not text, are no bearer token at all.
    for value in [
        format!("Basic {}", b64(format!("{}:x", user.email).as_bytes())),
        format!("Token {}", user.access_token),
        format!("Bearer\t{}", user.access_token),
    ] {
        let response = app
            .client
            .get(app.url("/api/v1/users/me"))
            .header("authorization", value.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{value:.20}");
    }
    let opaque = reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap();
    let response = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", opaque)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "non-UTF-8 header");

    // The control: the same claims, properly signed, are accepted.
    let response = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/users/me",
        Some(&control),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = send(
        &app,
        reqwest::Method::GET,
        admin_only,
        callers.token(Role::Admin),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
}
