//! What a bearer token must be to count: every forgery is 401.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const TEST_SECRET: &str = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

/// The claims of a token for `user_id` in session `sid`, with `overrides` (null removes).
fn claims(user_id: &str, sid: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": user_id, "exp": now + 600, "iat": now, "nbf": now,
        "iss": "stockroom", "aud": "stockroom-api", "jti": uuid::Uuid::new_v4().to_string(),
        "sid": sid,
    });
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    claims
}

fn sign(algorithm: Algorithm, secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn b64(value: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_expired_and_misaddressed_tokens_are_401() {
    let app = TestApp::spawn().await;
    let user = app.new_user().await;
    let now = chrono::Utc::now().timestamp();
    let sid = crate::sessions::sid_of(&user.access_token);
    let good = sign(
        Algorithm::HS256,
        TEST_SECRET,
        &claims(&user.id, &sid, json!({})),
    );
    assert_eq!(
        app.get_as("/api/v1/users/me", &good).await.status(),
        200,
        "the control token works"
    );

    let (header, payload, signature) = {
        let parts: Vec<&str> = user.access_token.split('.').collect();
        (
            parts[0].to_owned(),
            parts[1].to_owned(),
            parts[2].to_owned(),
        )
    };
    let admin_claims = claims(&uuid::Uuid::new_v4().to_string(), &sid, json!({}));
    let another_session = uuid::Uuid::new_v4().to_string();
    let forgeries = [
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&claims(&user.id, &sid, json!({})))
            ),
        ),
        (
            "HS512 with the right key",
            sign(
                Algorithm::HS512,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({})),
            ),
        ),
        (
            "RS256 header, HMAC body",
            format!(
                "{}.{}.{}",
                b64(&json!({"alg": "RS256", "typ": "JWT"})),
                payload,
                signature
            ),
        ),
        (
            "wrong key",
            sign(
                Algorithm::HS256,
                "another-secret-0123456789abcdefghijklmnop",
                &claims(&user.id, &sid, json!({})),
            ),
        ),
        (
            "expired",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(
                    &user.id,
                    &sid,
                    json!({"exp": now - 120, "iat": now - 1000, "nbf": now - 1000}),
                ),
            ),
        ),
        (
            "not yet valid",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({"nbf": now + 600})),
            ),
        ),
        (
            "wrong audience",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({"aud": "elsewhere"})),
            ),
        ),
        (
            "wrong issuer",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({"iss": "evil"})),
            ),
        ),
        (
            "missing jti",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({"jti": null})),
            ),
        ),
        (
            "missing session",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &sid, json!({"sid": null})),
            ),
        ),
        (
            "a session that is not the user's",
            sign(
                Algorithm::HS256,
                TEST_SECRET,
                &claims(&user.id, &another_session, json!({})),
            ),
        ),
        (
            "tampered payload",
            format!("{header}.{}.{signature}", b64(&admin_claims)),
        ),
        (
            "unknown user",
            sign(Algorithm::HS256, TEST_SECRET, &admin_claims),
        ),
    ];
    for (name, token) in forgeries {
        let response = app.get_as("/api/v1/users/me", &token).await;
        assert_eq!(response.status(), 401, "{name}");
    }
}
