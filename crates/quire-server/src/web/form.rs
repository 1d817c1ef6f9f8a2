//! Form input as the console reads it and answers it: text to a number with a message in
//! words, and field messages as templates show them next to their inputs.

use quire_core::ValidationErrors;
use std::str::FromStr;

/// A form's field messages (the core's or the page's own), by field name.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors(ValidationErrors);

impl FieldErrors {
    /// The messages of `field` as one sentence run; empty when it is fine.
    pub fn of(&self, field: &str) -> String {
        self.0
            .fields()
            .get(field)
            .map(|messages| messages.join(" "))
            .unwrap_or_default()
    }

    /// How many fields need correcting.
    pub fn count(&self) -> usize {
        self.0.fields().len()
    }
}

impl From<ValidationErrors> for FieldErrors {
    fn from(errors: ValidationErrors) -> Self {
        Self(errors)
    }
}

/// `text` as a whole number of type `T`; otherwise `None` and a message on `field`.
pub fn whole<T: FromStr>(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<T> {
    let parsed = text.trim().parse().ok();
    if parsed.is_none() {
        errors.add(field, "Give a whole number.");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_read_or_refused_in_words() {
        let mut errors = ValidationErrors::default();
        assert_eq!(whole::<i32>(&mut errors, "max_sites", " 5 "), Some(5));
        assert_eq!(whole::<i32>(&mut errors, "max_users", "5.5"), None);
        assert_eq!(whole::<i32>(&mut errors, "trial_days", "99999999999"), None);
        let errors = FieldErrors::from(errors);
        assert_eq!(errors.count(), 2);
        assert_eq!(errors.of("max_users"), "Give a whole number.");
        assert_eq!(errors.of("max_sites"), "");
    }
}
