//! Checks shared by the planner's request bodies: lists of ids (merge, move, send) and
//! required text fields.

use crate::{Error, ValidationErrors};

/// `ids` without repeats, in first-seen order; a 400 on `field` when the list is empty or
/// longer than `max`.
pub fn checked(field: &str, ids: &[i64], max: usize) -> Result<Vec<i64>, Error> {
    if ids.is_empty() {
        return Err(Error::Validation(ValidationErrors::single(
            field,
            "Give at least one id.",
        )));
    }
    if ids.len() > max {
        return Err(Error::Validation(ValidationErrors::single(
            field,
            format!("Give at most {max} ids at once."),
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

/// Adds to `errors` on `field` a message naming the ids that cannot be used, e.g.
/// `"No such keyword: 4, 9."`; nothing when `ids` is empty.
pub fn refuse(errors: &mut ValidationErrors, field: &str, what: &str, ids: &[i64]) {
    if ids.is_empty() {
        return;
    }
    let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
    errors.add(field, format!("{what}: {}.", listed.join(", ")));
}

/// The trimmed `value`, which must hold 1 to `max` characters.
pub fn required_text(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    max: usize,
) -> String {
    let text = value.trim().to_owned();
    if text.is_empty() {
        errors.add(field, "This field may not be blank.");
    } else if text.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_dropped_and_bounds_enforced() {
        assert_eq!(checked("ids", &[3, 1, 3, 2, 1], 10).expect("ok"), [3, 1, 2]);
        assert!(checked("ids", &[], 10).is_err());
        assert!(checked("ids", &[1, 2, 3], 2).is_err());
        let mut errors = ValidationErrors::default();
        refuse(&mut errors, "ids", "No such idea", &[]);
        assert!(errors.is_empty());
        refuse(&mut errors, "ids", "No such idea", &[4, 9]);
        assert_eq!(errors.fields()["ids"], ["No such idea: 4, 9."]);
    }

    #[test]
    fn text_is_trimmed_bounded_and_clipped_by_characters() {
        let mut errors = ValidationErrors::default();
        assert_eq!(required_text(&mut errors, "name", "  Été  ", 3), "Été");
        assert!(errors.is_empty());
        required_text(&mut errors, "name", "   ", 3);
        required_text(&mut errors, "title", "abcd", 3);
        assert_eq!(errors.fields().len(), 2);
    }
}
