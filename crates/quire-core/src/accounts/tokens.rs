//! Signed tokens: HS256 JWTs (access, refresh and page sessions), CSRF tokens, the signing key,
//! and its one-time generation.

use crate::{config::Settings, db::Db, entities::instance_secret};
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::{EntityTrait, Set, sea_query::OnConflict};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const JWT_SECRET_NAME: &str = "jwt_secret";
/// HS256 keys shorter than the hash output weaken it (RFC 7518 §3.2).
const MIN_SECRET_BYTES: usize = 32;
/// Tolerated clock difference between server nodes.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    Access,
    Refresh,
    /// A browser's page session, kept in an HttpOnly cookie; lives as long as a refresh token
    /// and, like every token, dies with its session on logout.
    Page,
}

/// What every Quire token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub user_id: i64,
    /// `None` for operators.
    pub account_id: Option<i64>,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub typ: TokenType,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
}

/// A signed token and the instant it stops being accepted.
#[derive(Debug, Clone)]
pub struct SignedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub jti: String,
}

/// The HS256 key and lifetimes. Debug never prints the key.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Keys the CSRF tokens of page sessions; derived from the signing secret.
    csrf_key: [u8; 32],
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("key", &"[redacted]")
            .field("access_ttl", &self.access_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("jwt_secret must be at least {MIN_SECRET_BYTES} bytes")]
    TooShort,
    #[error("loading the generated jwt secret: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl TokenKeys {
    /// Uses the configured secret, or the one generated on first start and kept in the database
    /// (inserted at most once, so every node and every restart signs with the same key).
    pub async fn load(settings: &Settings, db: &Db) -> Result<Self, KeyError> {
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.expose_secret().as_bytes().to_vec(),
            None => stored_secret(db).await?.into_bytes(),
        };
        Self::from_secret(
            &secret,
            Duration::seconds(i64::try_from(settings.access_token_ttl_seconds).unwrap_or(900)),
            Duration::seconds(
                i64::try_from(settings.refresh_token_ttl_seconds).unwrap_or(1_209_600),
            ),
        )
    }

    pub fn from_secret(
        secret: &[u8],
        access_ttl: Duration,
        refresh_ttl: Duration,
    ) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(KeyError::TooShort);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "iat"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            csrf_key: Sha256::new()
                .chain_update(b"quire csrf key\0")
                .chain_update(secret)
                .finalize()
                .into(),
            access_ttl,
            refresh_ttl,
        })
    }

    pub fn issue(
        &self,
        typ: TokenType,
        user_id: i64,
        account_id: Option<i64>,
        session_id: &str,
    ) -> Result<SignedToken, jsonwebtoken::errors::Error> {
        let now = Utc::now();
        let expires_at = now
            + match typ {
                TokenType::Access => self.access_ttl,
                TokenType::Refresh | TokenType::Page => self.refresh_ttl,
            };
        let claims = Claims {
            user_id,
            account_id,
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
            typ,
            sid: session_id.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(SignedToken {
            token,
            expires_at,
            jti: claims.jti,
        })
    }

    /// The CSRF token of page session `session_id`: an HMAC of the session id, so it needs no
    /// storage, differs per session and dies with it.
    pub fn csrf_token(&self, session_id: &str) -> String {
        hex::encode(self.csrf_mac(session_id).finalize().into_bytes())
    }

    /// Whether `token` is the CSRF token of `session_id` (compared in constant time).
    pub fn verify_csrf(&self, session_id: &str, token: &str) -> bool {
        hex::decode(token).is_ok_and(|bytes| self.csrf_mac(session_id).verify_slice(&bytes).is_ok())
    }

    fn csrf_mac(&self, session_id: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.csrf_key)
            .expect("HMAC takes a key of any length");
        mac.update(session_id.as_bytes());
        mac
    }

    /// Verifies signature, algorithm, expiry and type.
    pub fn verify(&self, token: &str, expected: TokenType) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        if data.claims.typ != expected {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid")]
    Invalid,
}

impl From<TokenError> for crate::Error {
    fn from(err: TokenError) -> Self {
        crate::Error::Unauthenticated(match err {
            TokenError::Expired => "token_expired",
            TokenError::Invalid => "token_invalid",
        })
    }
}

/// SHA-256 (hex) of a token id, as stored for refresh-token families.
pub fn fingerprint(jti: &str) -> String {
    hex::encode(Sha256::digest(jti.as_bytes()))
}

async fn stored_secret(db: &Db) -> Result<String, sea_orm::DbErr> {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    instance_secret::Entity::insert(instance_secret::ActiveModel {
        name: Set(JWT_SECRET_NAME.to_owned()),
        value: Set(hex::encode(bytes)),
        created_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(instance_secret::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    instance_secret::Entity::find_by_id(JWT_SECRET_NAME.to_owned())
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("jwt secret".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys() -> TokenKeys {
        TokenKeys::from_secret(&[7; 32], Duration::minutes(15), Duration::days(14))
            .expect("valid key")
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let keys = keys();
        let signed = keys
            .issue(TokenType::Access, 42, Some(7), "session-1")
            .expect("signs");
        let claims = keys
            .verify(&signed.token, TokenType::Access)
            .expect("valid");
        assert_eq!(claims.user_id, 42);
        assert_eq!(claims.account_id, Some(7));
        assert_eq!(claims.sid, "session-1");
        assert_eq!(claims.exp - claims.iat, 15 * 60);
    }

    #[test]
    fn a_refresh_token_is_not_an_access_token() {
        let keys = keys();
        let signed = keys.issue(TokenType::Refresh, 1, None, "s").expect("signs");
        assert_eq!(
            keys.verify(&signed.token, TokenType::Access),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn another_key_or_a_changed_payload_is_refused() {
        let keys = keys();
        let other = TokenKeys::from_secret(&[8; 32], Duration::minutes(1), Duration::days(1))
            .expect("valid key");
        let signed = keys.issue(TokenType::Access, 1, None, "s").expect("signs");
        assert_eq!(
            other.verify(&signed.token, TokenType::Access),
            Err(TokenError::Invalid)
        );
        let mut parts: Vec<String> = signed.token.split('.').map(str::to_owned).collect();
        parts[1].insert(3, 'A');
        assert!(keys.verify(&parts.join("."), TokenType::Access).is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(matches!(
            TokenKeys::from_secret(b"short", Duration::minutes(1), Duration::days(1)),
            Err(KeyError::TooShort)
        ));
    }

    #[test]
    fn debug_hides_the_key() {
        assert!(format!("{:?}", keys()).contains("[redacted]"));
    }

    const TYPES: [TokenType; 3] = [TokenType::Access, TokenType::Refresh, TokenType::Page];

    fn token_type() -> impl Strategy<Value = TokenType> {
        proptest::sample::select(TYPES.to_vec())
    }

    fn secret() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), MIN_SECRET_BYTES..=64)
    }

    /// Strings shaped like a JWT: three base64url parts, or a real header with another body.
    fn jwt_like() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,200}",
            "[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{0,120}\\.[A-Za-z0-9_-]{0,60}",
            "[A-Za-z0-9_-]{0,120}".prop_map(|rest| format!("eyJhbGciOiJIUzI1NiJ9.{rest}")),
            "[A-Za-z0-9_-]{0,120}".prop_map(|rest| format!("eyJhbGciOiJub25lIn0.{rest}.")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_strings_never_verify(text in jwt_like(), typ in token_type()) {
            prop_assert!(keys().verify(&text, typ).is_err());
        }

        #[test]
        fn a_token_of_another_key_never_verifies(
            ours in secret(),
            theirs in secret(),
            typ in token_type(),
        ) {
            prop_assume!(ours != theirs);
            let ttl = Duration::minutes(15);
            let ours = TokenKeys::from_secret(&ours, ttl, ttl).expect("long enough");
            let theirs = TokenKeys::from_secret(&theirs, ttl, ttl).expect("long enough");
            let signed = theirs.issue(typ, 1, Some(2), "s").expect("signs");
            prop_assert_eq!(ours.verify(&signed.token, typ), Err(TokenError::Invalid));
        }

        #[test]
        fn any_single_byte_change_is_refused(
            typ in token_type(),
            index in any::<prop::sample::Index>(),
            replacement in proptest::char::range(' ', '~'),
        ) {
            let keys = keys();
            let signed = keys.issue(typ, 42, Some(7), "session").expect("signs");
            let mut bytes = signed.token.into_bytes();
            let at = index.index(bytes.len());
            prop_assume!(bytes[at] != replacement as u8);
            bytes[at] = replacement as u8;
            let changed = String::from_utf8(bytes).expect("ASCII stays UTF-8");
            prop_assert!(keys.verify(&changed, typ).is_err(), "{} verified", changed);
        }

        #[test]
        fn an_expired_token_is_refused(typ in token_type(), seconds_ago in LEEWAY_SECONDS as i64 + 1..100_000) {
            let ttl = Duration::seconds(-seconds_ago);
            let keys = TokenKeys::from_secret(&[7; 32], ttl, ttl).expect("valid key");
            let signed = keys.issue(typ, 1, None, "s").expect("signs");
            prop_assert_eq!(keys.verify(&signed.token, typ), Err(TokenError::Expired));
        }

        #[test]
        fn a_token_is_only_accepted_as_its_own_type(
            issued in token_type(),
            expected in token_type(),
            user_id in any::<i64>(),
            account_id in proptest::option::of(any::<i64>()),
        ) {
            let keys = keys();
            let signed = keys.issue(issued, user_id, account_id, "s").expect("signs");
            let verified = keys.verify(&signed.token, expected);
            if issued == expected {
                let claims = verified.expect("its own type verifies");
                prop_assert_eq!((claims.user_id, claims.account_id, claims.typ), (user_id, account_id, issued));
            } else {
                prop_assert_eq!(verified, Err(TokenError::Invalid));
            }
        }
    }
}
