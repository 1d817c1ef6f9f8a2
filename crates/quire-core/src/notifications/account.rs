//! Account-security emails: a password-reset link, the link that confirms a new email
//! address, and the notice to the old address once it changed.

use super::{Email, Mail, render};
use minijinja::context;

/// One account-security email to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountEmail {
    /// Someone asked to reset the password of this address: the link sets a new one.
    PasswordReset { link: String, minutes: i64 },
    /// The user asked to move their sign-in to this (new) address: the link confirms it.
    EmailChange {
        link: String,
        minutes: i64,
        old_email: String,
    },
    /// Sent to the old address: the sign-in moved to `new_email`.
    EmailChanged { new_email: String },
}

impl Mail for AccountEmail {
    fn template_name(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset.txt",
            Self::EmailChange { .. } => "email_change.txt",
            Self::EmailChanged { .. } => "email_changed.txt",
        }
    }

    fn render(&self) -> Result<Email, minijinja::Error> {
        let context = match self {
            Self::PasswordReset { link, minutes } => context! { link, minutes },
            Self::EmailChange {
                link,
                minutes,
                old_email,
            } => context! { link, minutes, old_email },
            Self::EmailChanged { new_email } => context! { new_email },
        };
        render(self.template_name(), context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<AccountEmail> {
        let link = "https://quire.example/reset-password?token=abc123".to_owned();
        vec![
            AccountEmail::PasswordReset {
                link: link.clone(),
                minutes: 30,
            },
            AccountEmail::EmailChange {
                link,
                minutes: 30,
                old_email: "old@example.com".to_owned(),
            },
            AccountEmail::EmailChanged {
                new_email: "new@example.com".to_owned(),
            },
        ]
    }

    #[test]
    fn every_kind_renders_greets_and_signs() {
        for mail in every_kind() {
            let email = mail.render().expect("renders");
            let name = mail.template_name();
            assert!(!email.subject.is_empty(), "{name}");
            assert!(email.body.starts_with("Hello,"), "{name}: {email:?}");
            assert!(
                email.body.ends_with("The Quire team\n"),
                "{name}: {email:?}"
            );
        }
    }

    #[test]
    fn links_and_addresses_are_in_the_body() {
        let emails: Vec<Email> = every_kind()
            .iter()
            .map(|m| m.render().expect("renders"))
            .collect();
        assert!(emails[0].body.contains("?token=abc123"));
        assert!(emails[0].body.contains("30 minutes"));
        assert!(emails[1].body.contains("?token=abc123"));
        assert!(emails[1].body.contains("old@example.com"));
        assert!(emails[2].body.contains("new@example.com"));
    }
}
