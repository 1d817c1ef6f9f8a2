//! Fuzzes the `Stripe-Signature` check: an arbitrary header never verifies, a signed one does,
//! and changing any byte of a signed header or its body fails (but the case of a hex letter).
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use quire_core::billing::stripe_signature::{sign, verify};

const SECRET: &str = "whsec_fuzz";
const T: i64 = 1_700_000_000;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds % 100_000_000_000, 0).unwrap_or_default()
}

fuzz_target!(|input: (&[u8], &[u8], i64, u16, u8)| {
    let (header, body, now, index, flip) = input;
    assert!(verify(Some(header), body, SECRET, at(now)).is_err());

    let signed = sign(SECRET, T, body);
    assert_eq!(verify(Some(signed.as_bytes()), body, SECRET, at(T)), Ok(()));
    if flip == 0 {
        return;
    }
    let mut changed = signed.clone().into_bytes();
    let i = usize::from(index) % changed.len();
    changed[i] ^= flip;
    let in_signature = signed.find(",v1=").is_some_and(|v1| i > v1 + 3);
    let case_only = in_signature && changed.to_ascii_lowercase() == signed.as_bytes();
    assert_eq!(
        verify(Some(&changed), body, SECRET, at(T)).is_ok(),
        case_only
    );
    if !body.is_empty() {
        let mut changed = body.to_vec();
        let i = usize::from(index) % changed.len();
        changed[i] ^= flip;
        assert!(verify(Some(signed.as_bytes()), &changed, SECRET, at(T)).is_err());
    }
});
