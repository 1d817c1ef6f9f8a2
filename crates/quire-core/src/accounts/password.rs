//! Passwords: the acceptance rule (length, not a common password) and argon2id hashing.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use secrecy::{ExposeSecret, SecretString};
use std::{collections::HashSet, sync::LazyLock};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// The most common passwords of eight characters or more (see `data/README.md`).
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.is_empty())
        .collect()
});

/// A password that meets the rule: 8 to 128 characters, not among the common ones, not the
/// email address. No composition rules (NIST SP 800-63B).
pub struct Password(SecretString);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    pub fn parse(input: &str, email: Option<&str>) -> Result<Self, &'static str> {
        let length = input.chars().count();
        if length < MIN_LEN {
            return Err("Use at least 8 characters.");
        }
        if length > MAX_LEN {
            return Err("Use at most 128 characters.");
        }
        let lowered = input.to_lowercase();
        if is_common(&lowered) {
            return Err("This password is too common; choose one that is harder to guess.");
        }
        if email.is_some_and(|email| {
            lowered == email
                || email
                    .split('@')
                    .next()
                    .is_some_and(|local| lowered == local)
        }) {
            return Err("Do not use your email address as your password.");
        }
        Ok(Self(SecretString::from(input)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

fn is_common(lowered: &str) -> bool {
    COMMON.contains(lowered)
}

/// argon2id with OWASP's parameters: m = 19456 KiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string. CPU-bound: call it on the blocking pool.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string. CPU-bound: call it on the blocking pool.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_common_list_has_at_least_ten_thousand_entries() {
        assert!(COMMON.len() >= 10_000, "{}", COMMON.len());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password",
            "Password1",
            "iloveyou",
            "QWERTYUIOP",
            "12345678",
        ] {
            assert!(Password::parse(common, None).is_err(), "{common}");
        }
    }

    #[test]
    fn short_and_overlong_passwords_are_refused() {
        assert!(Password::parse("k7#Qz!p", None).is_err());
        assert!(Password::parse(&"x".repeat(129), None).is_err());
        assert!(Password::parse(&"ab1".repeat(40), None).is_ok());
    }

    #[test]
    fn the_email_address_is_refused_as_password() {
        let email = "orchid.meadow@example.com";
        assert!(Password::parse("Orchid.Meadow@example.com", Some(email)).is_err());
        assert!(Password::parse("orchid.meadow", Some(email)).is_err());
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("quiet-harbour-lantern").expect("hashes");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("quiet-harbour-lantern", &phc));
        assert!(!verify("quiet-harbour-lanterns", &phc));
        assert!(!verify("quiet-harbour-lantern", "not a phc string"));
    }

    proptest! {
        #[test]
        fn length_alone_decides_for_uncommon_passwords(input in "[a-z0-9 ]{0,140}") {
            let length = input.chars().count();
            let accepted = Password::parse(&input, None).is_ok();
            if length < MIN_LEN || length > MAX_LEN {
                prop_assert!(!accepted);
            } else if !is_common(&input) {
                prop_assert!(accepted);
            }
        }

        #[test]
        fn parsing_never_panics_on_any_text(input in "\\PC{0,200}") {
            let _ = Password::parse(&input, Some("someone@example.com"));
        }
    }
}
