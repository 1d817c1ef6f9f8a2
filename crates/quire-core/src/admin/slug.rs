//! Slugs of the rows operators name (plans, industries, industry sectors): 1 to 64 characters
//! of `a-z`, `0-9` and `-`.

use crate::ValidationErrors;

/// The trimmed slug; a field error on `slug` when it breaks the rule.
pub(crate) fn check_slug(errors: &mut ValidationErrors, value: &str) -> String {
    let slug = value.trim().to_owned();
    if slug.is_empty() {
        errors.add("slug", "This field may not be blank.");
    } else if slug.len() > 64 {
        errors.add("slug", "Use at most 64 characters.");
    } else if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        errors.add(
            "slug",
            "Use only lowercase letters a-z, digits and hyphens.",
        );
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(value: &str) -> bool {
        let mut errors = ValidationErrors::default();
        check_slug(&mut errors, value);
        !errors.is_empty()
    }

    #[test]
    fn slugs_are_lowercase_letters_digits_and_hyphens() {
        for good in ["free", "starter-monthly", "plan-2", " agency "] {
            assert!(!refused(good), "{good}");
        }
        for bad in [
            "",
            "  ",
            "Free",
            "starter_monthly",
            "plan 2",
            "café",
            &"a".repeat(65),
        ] {
            assert!(refused(bad), "{bad}");
        }
    }
}
