//! Bank-transfer references: `QR-XXXX-XXXX-C`, Crockford base32 with a Luhn mod 32 check character.
//!
//! The check character is computed here because the `luhn` crates work on decimal digits
//! only; Luhn mod N over the reference's own alphabet catches every single mistyped
//! character and most swapped neighbours, and keeps the reference free of symbols that
//! banks strip from payment descriptions.

use rand::Rng;

/// Crockford's base32: no I, L, O or U, so nothing reads as another character.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PREFIX: &str = "QR";
const BODY_LEN: usize = 8;

/// A new random reference, e.g. `QR-7KD3-M9XQ-K`.
pub fn generate() -> String {
    let mut rng = rand::rng();
    let body: String = (0..BODY_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    let check = check_char(&body).unwrap_or('0');
    format!("{PREFIX}-{}-{}-{check}", &body[..4], &body[4..])
}

/// Whether `input` is a well-formed reference whose check character matches. Spaces, dashes
/// and case are ignored, and the look-alikes O, I and L are read as 0, 1 and 1.
pub fn is_valid(input: &str) -> bool {
    canonical(input).is_some()
}

/// The reference as Quire stores it (`QR-XXXX-XXXX-C`) when `input` is one as a person might
/// type it (any case, spaces or dashes anywhere, O/I/L for 0/1/1); `None` when it is not.
pub fn canonical(input: &str) -> Option<String> {
    let cleaned: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let rest = cleaned.strip_prefix(PREFIX)?;
    if rest.len() != BODY_LEN + 1 || !rest.is_ascii() {
        return None;
    }
    let (body, check) = rest.split_at(BODY_LEN);
    (check_char(body)? == check.chars().next()?)
        .then(|| format!("{PREFIX}-{}-{}-{check}", &body[..4], &body[4..]))
}

fn value(c: char) -> Option<usize> {
    ALPHABET.iter().position(|&a| char::from(a) == c)
}

/// Luhn mod N check character of `body` (every character must be in the alphabet).
fn check_char(body: &str) -> Option<char> {
    let n = ALPHABET.len();
    let mut sum = 0;
    let mut double = true;
    for c in body.chars().rev() {
        let mut addend = value(c)?;
        if double {
            addend *= 2;
            addend = addend / n + addend % n;
        }
        sum += addend;
        double = !double;
    }
    let check = (n - sum % n) % n;
    Some(char::from(ALPHABET[check]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_references_are_valid_and_shaped() {
        for _ in 0..200 {
            let reference = generate();
            assert_eq!(reference.len(), 14, "{reference}");
            assert!(reference.starts_with("QR-"));
            assert!(is_valid(&reference), "{reference}");
        }
    }

    #[test]
    fn typing_variations_are_accepted() {
        let reference = generate();
        assert!(is_valid(&reference.to_lowercase()));
        assert!(is_valid(&reference.replace('-', " ")));
        assert!(is_valid(&reference.replace('-', "")));
        for typed in [
            reference.to_lowercase(),
            reference.replace('-', " "),
            format!("  {} ", reference.replace('-', "")),
            reference.replace('0', "o").replace('1', "l"),
        ] {
            assert_eq!(
                canonical(&typed).as_deref(),
                Some(reference.as_str()),
                "{typed}"
            );
        }
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "",
            "QR",
            "QR-",
            "XX-0000-0000-0",
            "QR-0000-0000-00",
            "QR-ÄÄÄÄ-0000-0",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_single_changed_character_is_detected(position in 0usize..9, replacement in 0usize..32) {
            let reference = generate().replace('-', "");
            let mut chars: Vec<char> = reference.chars().collect();
            let index = 2 + position;
            let new = char::from(ALPHABET[replacement]);
            prop_assume!(chars[index] != new);
            chars[index] = new;
            let changed: String = chars.into_iter().collect();
            prop_assert!(!is_valid(&changed), "{} accepted", changed);
        }

        #[test]
        fn validation_never_panics(input in "\\PC{0,30}") {
            let _ = is_valid(&input);
        }
    }
}
