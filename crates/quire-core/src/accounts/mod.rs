//! Users, accounts and sessions: sign-up, login, tokens, the gates, and operators.

pub mod deletion;
pub mod email;
pub mod email_change;
pub mod export;
pub mod gates;
pub mod hashing;
pub mod operators;
pub mod password;
pub mod password_change;
pub mod password_reset;
pub mod principal;
pub mod register;
pub mod sessions;
pub mod throttle;
pub mod tokens;
