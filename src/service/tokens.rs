//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::JwtConfig;

/// Clock skew tolerated on `exp`/`nbf`, in seconds.
const LEEWAY_SECS: u64 = 5;
const OPAQUE_TOKEN_BYTES: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// The session: the refresh-token family this token was issued with.
    pub sid: String,
}

/// Whose a valid access token is, and of which session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenOwner {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: u64,
}

pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
    /// How long the refresh token issued beside an access token lasts.
    refresh_ttl: Duration,
}

impl AccessTokens {
    pub fn new(config: &JwtConfig) -> Self {
        // Only HS256 is accepted: `alg: none`, other HMACs and asymmetric algorithms
        // (HS/RS confusion) all fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub", "jti"]);
        // `sid` is not a registered claim: deserialising `Claims` requires it.
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(config.secret.as_bytes()),
            decoding: DecodingKey::from_secret(config.secret.as_bytes()),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
        }
    }

    /// When a refresh token issued now expires.
    pub fn refresh_expiry(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
            + chrono::Duration::from_std(self.refresh_ttl).unwrap_or(chrono::Duration::days(14))
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid) -> anyhow::Result<IssuedToken> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            exp: now + self.ttl.as_secs() as i64,
            iat: now,
            nbf: now,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::new_v4().to_string(),
            sid: session_id.to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl.as_secs(),
        })
    }

    /// The user and session of a valid token; `None` for anything else (forged, expired,
    /// not yet valid, wrong issuer or audience, another algorithm, no session).
    pub fn verify(&self, token: &str) -> Option<TokenOwner> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some(TokenOwner {
            user_id: Uuid::parse_str(&data.claims.sub).ok()?,
            session_id: Uuid::parse_str(&data.claims.sid).ok()?,
        })
    }
}

/// A new opaque token (256 random bits, URL-safe: a refresh token, an export link) and the
/// hash that is stored in its place.
pub fn new_opaque_token() -> anyhow::Result<(String, Vec<u8>)> {
    let mut bytes = [0u8; OPAQUE_TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_opaque_token(&token);
    Ok((token, hash))
}

pub fn hash_opaque_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> JwtConfig {
        JwtConfig {
            secret: "k".repeat(16) + "0123456789abcdef",
            issuer: "stockroom".into(),
            audience: "stockroom-api".into(),
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(3_600),
        }
    }

    #[test]
    fn issued_tokens_verify_to_their_user() {
        let tokens = AccessTokens::new(&config());
        let (user_id, session_id) = (Uuid::new_v4(), Uuid::new_v4());
        let issued = tokens.issue(user_id, session_id).unwrap();
        assert_eq!(issued.expires_in, 900);
        assert_eq!(
            tokens.verify(&issued.token),
            Some(TokenOwner {
                user_id,
                session_id
            })
        );
    }

    #[test]
    fn tokens_for_another_audience_issuer_or_key_are_refused() {
        let user = Uuid::new_v4();
        let issued = AccessTokens::new(&config())
            .issue(user, Uuid::new_v4())
            .unwrap()
            .token;
        let mut other = config();
        other.audience = "other".into();
        assert_eq!(AccessTokens::new(&other).verify(&issued), None);
        let mut other = config();
        other.issuer = "other".into();
        assert_eq!(AccessTokens::new(&other).verify(&issued), None);
        let mut other = config();
        other.secret = "z".repeat(32);
        assert_eq!(AccessTokens::new(&other).verify(&issued), None);
    }

    #[test]
    fn refresh_tokens_are_random_and_only_their_hash_is_kept() {
        let (a, hash_a) = new_opaque_token().unwrap();
        let (b, _) = new_opaque_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits, base64url without padding");
        assert_eq!(hash_a, hash_opaque_token(&a));
        assert_eq!(hash_a.len(), 32);
    }
}
