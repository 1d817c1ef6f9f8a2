//! Passwords: the acceptance rule (length, not a common password) and argon2id hashing.

use argon2::{
    ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, PasswordHash, PasswordVerifier, Version,
    password_hash::{Output, ParamsString, SaltString, rand_core::OsRng},
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
fn params() -> Params {
    Params::new(19_456, 2, 1, None).unwrap_or_default()
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// The bytes argon2's working memory is asked for with: more than glibc's 32 MiB ceiling for
/// its dynamic mmap threshold (mallopt(3), `DEFAULT_MMAP_THRESHOLD_MAX`). glibc raises that
/// threshold to the size of the first large block freed, after which 19 MiB blocks come from
/// the thread's heap and stay resident there (RSS grew by ~60 MiB per hashing thread); a request
/// above the ceiling is always its own mapping, returned to the system when dropped. Only the
/// 19 MiB the hash uses are ever touched.
const WORKING_MEMORY_REQUEST: usize = 33 << 20;

/// argon2id of `password` with `salt` into `out`, in working memory freed when it returns.
fn hash_into(password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let needed = params().block_count();
    let mut blocks =
        Vec::with_capacity(needed.max(WORKING_MEMORY_REQUEST / std::mem::size_of::<Block>()));
    blocks.resize(needed, Block::default());
    hasher().hash_password_into_with_memory(password, salt, out, blocks.as_mut_slice())
}

/// Hashes a password into a PHC string. CPU-bound: run it on the hashing pool.
pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buffer = [0_u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buffer)?;
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(hash_into(password.as_bytes(), salt_bytes, out)?)
    })?;
    Ok(PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches the PHC string (compared in constant time). CPU-bound: run it
/// on the hashing pool. Hashes made with other parameters are checked by the library itself.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let same_parameters = parsed.algorithm == ARGON2ID_IDENT
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(&parsed).is_ok_and(|p| {
            let ours = params();
            (p.m_cost(), p.t_cost(), p.p_cost()) == (ours.m_cost(), ours.t_cost(), ours.p_cost())
        });
    if !same_parameters {
        return Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
    }
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buffer = [0_u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buffer) else {
        return false;
    };
    Output::init_with(expected.len(), |out| {
        Ok(hash_into(password.as_bytes(), salt_bytes, out)?)
    })
    .is_ok_and(|computed| computed == expected)
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

    #[test]
    fn hashes_agree_with_the_library_both_ways() {
        use argon2::PasswordHasher;
        let ours = hash("quiet-harbour-lantern").expect("hashes");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            hasher()
                .verify_password(b"quiet-harbour-lantern", &parsed)
                .is_ok()
        );
        let salt = SaltString::generate(&mut OsRng);
        let theirs = hasher()
            .hash_password(b"quiet-harbour-lantern", &salt)
            .expect("hashes")
            .to_string();
        assert!(verify("quiet-harbour-lantern", &theirs));
        assert!(!verify("quiet-harbour-lanterN", &theirs));
    }

    #[test]
    fn our_own_hashes_take_the_reused_memory_path() {
        let phc = hash("quiet-harbour-lantern").expect("hashes");
        let parsed = PasswordHash::new(&phc).expect("a PHC string");
        let p = Params::try_from(&parsed).expect("params");
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1));
        assert_eq!(
            parsed.hash.expect("output").len(),
            Params::DEFAULT_OUTPUT_LEN
        );
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        use argon2::PasswordHasher;
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 3, 1, None).expect("params"),
        );
        let salt = SaltString::generate(&mut OsRng);
        let phc = old
            .hash_password(b"quiet-harbour-lantern", &salt)
            .expect("hashes")
            .to_string();
        assert!(verify("quiet-harbour-lantern", &phc));
        assert!(!verify("quiet-harbour-lantern!", &phc));
    }

    proptest! {
        #[test]
        fn length_alone_decides_for_uncommon_passwords(input in "[a-z0-9 ]{0,140}") {
            let length = input.chars().count();
            let accepted = Password::parse(&input, None).is_ok();
            if !(MIN_LEN..=MAX_LEN).contains(&length) {
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
