//! `Email`: a syntactically valid address, trimmed and lower-cased (uniqueness ignores case).

use std::fmt;

/// The longest address SMTP can carry.
const MAX_LEN: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let normalised = input.trim().to_lowercase();
        if normalised.is_empty() {
            return Err("Enter an email address.");
        }
        if normalised.len() > MAX_LEN {
            return Err("An email address has at most 254 characters.");
        }
        // email_address implements RFC 5322; we additionally require a dotted domain
        // (no `user@localhost`) and no display name or comments.
        let parsed = email_address::EmailAddress::parse_with_options(
            &normalised,
            email_address::Options::default()
                .with_required_tld()
                .without_display_text(),
        )
        .map_err(|_| "Enter a valid email address.")?;
        if parsed.email() != normalised {
            return Err("Enter a valid email address.");
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
            "Ada <ada@example.com>",
            "ada@@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(input in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&input) {
                let again = Email::parse(email.as_str()).expect("a parsed email parses again");
                prop_assert_eq!(again, email.clone());
                prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
                prop_assert!(email.as_str().len() <= MAX_LEN);
            }
        }

        #[test]
        fn simple_addresses_are_accepted(local in "[a-z0-9]{1,20}", domain in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let input = format!("{local}@{domain}.{tld}");
            let email = Email::parse(&input.to_uppercase()).expect("valid");
            prop_assert_eq!(email.as_str(), input);
        }
    }
}
