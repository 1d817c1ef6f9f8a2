//! Fuzzes token verification: an arbitrary string is never a valid token of any type, and a
//! real token with any one byte changed is refused.
#![no_main]

use chrono::Duration;
use libfuzzer_sys::fuzz_target;
use quire_core::accounts::tokens::{TokenKeys, TokenType};

const TYPES: [TokenType; 3] = [TokenType::Access, TokenType::Refresh, TokenType::Page];

fuzz_target!(|input: (&str, u16, u8)| {
    let (text, index, replacement) = input;
    let keys = TokenKeys::from_secret(&[7; 32], Duration::minutes(15), Duration::days(14))
        .expect("a long enough key");
    for typ in TYPES {
        assert!(
            keys.verify(text, typ).is_err(),
            "{text:?} verified as {typ:?}"
        );
    }
    let typ = TYPES[usize::from(index) % TYPES.len()];
    let token = keys.issue(typ, 1, Some(2), "session").expect("signs").token;
    assert!(keys.verify(&token, typ).is_ok());
    let mut bytes = token.into_bytes();
    let i = usize::from(index) % bytes.len();
    let printable = b' ' + replacement % 95;
    if bytes[i] == printable {
        return;
    }
    bytes[i] = printable;
    let changed = String::from_utf8(bytes).expect("ASCII");
    assert!(keys.verify(&changed, typ).is_err(), "{changed} verified");
});
