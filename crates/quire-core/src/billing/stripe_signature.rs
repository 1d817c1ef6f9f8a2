//! Verifies and produces Stripe's `Stripe-Signature` webhook header (HMAC-SHA256, 300 s tolerance).
//!
//! The header reads `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`. Stripe signs
//! `"{t}.{raw body}"` with the endpoint's signing secret; any one `v1` that matches is enough
//! (Stripe sends several while a secret is being rolled). Other schemes (`v0`) and unknown keys
//! are ignored, whitespace around items is allowed, and the comparison is constant-time.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed timestamp may lie from now, in either direction.
pub const TOLERANCE_SECONDS: i64 = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the Stripe-Signature header has no v1 signature")]
    NoV1,
    #[error("the Stripe-Signature timestamp is more than {TOLERANCE_SECONDS} seconds old")]
    TooOld,
    #[error(
        "the Stripe-Signature timestamp is more than {TOLERANCE_SECONDS} seconds in the future"
    )]
    InFuture,
    #[error("no v1 signature matches the body")]
    Mismatch,
}

/// Checks `header` (the raw `Stripe-Signature` value, `None` when absent) against `body` as
/// received, byte for byte. The signature is checked before the timestamp, as Stripe's own
/// libraries do.
pub fn verify(
    header: Option<&[u8]>,
    body: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let header = std::str::from_utf8(header)
        .map_err(|_| SignatureError::Malformed("the header is not text"))?;
    if header.trim().is_empty() {
        return Err(SignatureError::Missing);
    }
    let parsed = Parsed::parse(header)?;
    if parsed.v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    let mac = signed_mac(secret, parsed.timestamp_text, body);
    let matches = parsed.v1.iter().any(|candidate| {
        // A v1 that is not hex simply does not match; another v1 may still do.
        hex::decode(candidate).is_ok_and(|tag| mac.clone().verify_slice(&tag).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    let age = now.timestamp().saturating_sub(parsed.timestamp);
    if age > TOLERANCE_SECONDS {
        return Err(SignatureError::TooOld);
    }
    if age < -TOLERANCE_SECONDS {
        return Err(SignatureError::InFuture);
    }
    Ok(())
}

/// A valid `Stripe-Signature` value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = signed_mac(secret, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

fn signed_mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

struct Parsed<'a> {
    /// The timestamp exactly as sent: it is what Stripe signed.
    timestamp_text: &'a str,
    timestamp: i64,
    v1: Vec<&'a str>,
}

impl<'a> Parsed<'a> {
    fn parse(header: &'a str) -> Result<Self, SignatureError> {
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in header.split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let (key, value) = item
                .split_once('=')
                .ok_or(SignatureError::Malformed("an item has no `=`"))?;
            match key.trim() {
                "t" => {
                    if timestamp.is_some() {
                        return Err(SignatureError::Malformed("the timestamp appears twice"));
                    }
                    let text = value.trim();
                    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(SignatureError::Malformed("the timestamp is not a number"));
                    }
                    let seconds = text
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed("the timestamp is out of range"))?;
                    timestamp = Some((text, seconds));
                }
                "v1" => v1.push(value.trim()),
                _ => {}
            }
        }
        let (timestamp_text, timestamp) =
            timestamp.ok_or(SignatureError::Malformed("the timestamp `t=` is missing"))?;
        Ok(Self {
            timestamp_text,
            timestamp,
            v1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    /// `hmac.new(b"whsec_test_secret", b'1700000000.{"id":"evt_1","type":"invoice.paid"}',
    /// hashlib.sha256).hexdigest()` in Python.
    const KNOWN_V1: &str = "46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595";
    const T: i64 = 1_700_000_000;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("valid timestamp")
    }

    fn check(header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
        verify(Some(header.as_bytes()), body, SECRET, at(now))
    }

    #[test]
    fn a_known_vector_verifies_and_sign_reproduces_it() {
        let header = format!("t={T},v1={KNOWN_V1}");
        assert_eq!(check(&header, BODY, T), Ok(()));
        assert_eq!(sign(SECRET, T, BODY), header);
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let header = format!("t={T},v1={}", KNOWN_V1.to_uppercase());
        assert_eq!(check(&header, BODY, T), Ok(()));
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = sign(SECRET, T, BODY);
        let tampered = br#"{"id":"evt_2","type":"invoice.paid"}"#;
        assert_eq!(check(&header, tampered, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let header = sign("whsec_other", T, BODY);
        assert_eq!(check(&header, BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_changed_timestamp_is_refused() {
        let header = format!("t={},v1={KNOWN_V1}", T + 1);
        assert_eq!(check(&header, BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_one_matching_v1_is_enough() {
        let wrong = "0".repeat(64);
        let header = format!("t={T},v1={wrong},v1=not-hex,v1={KNOWN_V1},v0={wrong}");
        assert_eq!(check(&header, BODY, T), Ok(()));
        let header = format!("t={T},v1={wrong},v1=abcd");
        assert_eq!(check(&header, BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn whitespace_and_item_order_do_not_matter() {
        let header = format!("  v0=ignored ,  v1 = {KNOWN_V1} ,\tt = {T} , ");
        assert_eq!(check(&header, BODY, T), Ok(()));
    }

    #[test]
    fn a_v0_alone_is_not_enough() {
        let header = format!("t={T},v0={KNOWN_V1}");
        assert_eq!(check(&header, BODY, T), Err(SignatureError::NoV1));
    }

    #[test]
    fn the_timestamp_may_be_off_by_the_tolerance_and_no_more() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(check(&header, BODY, T + TOLERANCE_SECONDS), Ok(()));
        assert_eq!(check(&header, BODY, T - TOLERANCE_SECONDS), Ok(()));
        assert_eq!(
            check(&header, BODY, T + TOLERANCE_SECONDS + 1),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            check(&header, BODY, T - TOLERANCE_SECONDS - 1),
            Err(SignatureError::InFuture)
        );
    }

    #[test]
    fn a_forged_signature_is_refused_before_the_timestamp_is_judged() {
        let header = format!("t={T},v1={}", "0".repeat(64));
        assert_eq!(
            check(&header, BODY, T + 10_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_and_malformed_headers_are_named() {
        assert_eq!(
            verify(None, BODY, SECRET, at(T)),
            Err(SignatureError::Missing)
        );
        assert_eq!(check("  ", BODY, T), Err(SignatureError::Missing));
        assert_eq!(
            verify(Some(&[0xff, 0xfe]), BODY, SECRET, at(T)),
            Err(SignatureError::Malformed("the header is not text"))
        );
        for header in [
            format!("v1={KNOWN_V1}"),
            format!("t=,v1={KNOWN_V1}"),
            format!("t=-5,v1={KNOWN_V1}"),
            format!("t=12a,v1={KNOWN_V1}"),
            format!("t=99999999999999999999,v1={KNOWN_V1}"),
            format!("t={T},t={T},v1={KNOWN_V1}"),
            format!("t={T},v1{KNOWN_V1}"),
        ] {
            assert!(
                matches!(check(&header, BODY, T), Err(SignatureError::Malformed(_))),
                "{header}"
            );
        }
        assert_eq!(check(&format!("t={T}"), BODY, T), Err(SignatureError::NoV1));
    }

    proptest! {
        #[test]
        fn what_sign_produces_always_verifies(
            secret in ".{0,40}",
            body in proptest::collection::vec(any::<u8>(), 0..256),
            timestamp in 0i64..4_000_000_000,
            drift in -TOLERANCE_SECONDS..=TOLERANCE_SECONDS,
        ) {
            let header = sign(&secret, timestamp, &body);
            prop_assert_eq!(
                verify(Some(header.as_bytes()), &body, &secret, at(timestamp + drift)),
                Ok(())
            );
        }

        #[test]
        fn any_single_byte_change_of_the_body_fails(
            body in proptest::collection::vec(any::<u8>(), 1..256),
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let header = sign(SECRET, T, &body);
            let mut changed = body.clone();
            let i = index.index(changed.len());
            changed[i] ^= flip;
            prop_assert_eq!(
                verify(Some(header.as_bytes()), &changed, SECRET, at(T)),
                Err(SignatureError::Mismatch)
            );
        }

        #[test]
        fn arbitrary_headers_never_verify(
            header in proptest::collection::vec(any::<u8>(), 0..200),
            text in "[tv01=, \t0-9a-f]{0,120}",
            forged in "[0-9a-fA-F]{64}",
            now in any::<i64>(),
        ) {
            let now = DateTime::from_timestamp(now % 100_000_000_000, 0).unwrap_or_default();
            prop_assert!(verify(Some(&header), BODY, SECRET, now).is_err());
            prop_assert!(verify(Some(text.as_bytes()), BODY, SECRET, now).is_err());
            let shaped = format!("t={},v1={forged}", now.timestamp());
            prop_assert!(verify(Some(shaped.as_bytes()), BODY, SECRET, now).is_err());
        }

        /// Every byte of a signed header counts, except the case of the signature's hex
        /// letters (hex is read in either case, as Stripe's libraries do).
        #[test]
        fn any_single_byte_change_of_the_header_fails(
            body in proptest::collection::vec(any::<u8>(), 0..64),
            timestamp in 0i64..4_000_000_000,
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let header = sign(SECRET, timestamp, &body);
            let mut changed = header.clone().into_bytes();
            let i = index.index(changed.len());
            changed[i] ^= flip;
            let result = verify(Some(&changed), &body, SECRET, at(timestamp));
            let only_case = changed.to_ascii_lowercase() == header.as_bytes()
                && header.find(",v1=").is_some_and(|v1| i > v1 + 3);
            if only_case {
                prop_assert_eq!(result, Ok(()));
            } else {
                prop_assert!(result.is_err(), "{:?} verified", String::from_utf8_lossy(&changed));
            }
        }

        #[test]
        fn timestamps_outside_the_tolerance_fail(
            body in proptest::collection::vec(any::<u8>(), 0..64),
            timestamp in 0i64..4_000_000_000,
            beyond in 1i64..10_000_000,
            late in any::<bool>(),
        ) {
            let header = sign(SECRET, timestamp, &body);
            let (now, expected) = if late {
                (timestamp + TOLERANCE_SECONDS + beyond, SignatureError::TooOld)
            } else {
                (timestamp - TOLERANCE_SECONDS - beyond, SignatureError::InFuture)
            };
            prop_assert_eq!(
                verify(Some(header.as_bytes()), &body, SECRET, at(now)),
                Err(expected)
            );
        }
    }
}
