//! Page forms: a core validation error's messages shown next to their fields, the parsing
//! of typed numbers and dates into the core's values, and the query-string helpers of paged lists.

use quire_core::{Error, ValidationErrors};

/// Field messages of a refused form, keyed like the core's field names (empty when fine).
#[derive(Debug, Default)]
pub struct FieldErrors(ValidationErrors);

impl FieldErrors {
    pub fn new(errors: ValidationErrors) -> Self {
        Self(errors)
    }

    /// The messages of `field`, as one sentence run; empty when it has none.
    pub fn of(&self, field: &str) -> String {
        self.0
            .fields()
            .get(field)
            .map(|messages| messages.join(" "))
            .unwrap_or_default()
    }

    /// The messages of fields the form does not show (listed in `shown`), for the notice at
    /// its top.
    pub fn rest(&self, shown: &[&str]) -> String {
        self.0
            .fields()
            .iter()
            .filter(|(field, _)| !shown.contains(&field.as_str()))
            .flat_map(|(_, messages)| messages.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many fields need correcting.
    pub fn count(&self) -> usize {
        self.0.fields().len()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.add(field, message);
    }

    /// `Err` with every message collected so far, when there is one.
    pub fn into_result(self) -> Result<(), Error> {
        self.0.into_result()
    }
}

impl From<ValidationErrors> for FieldErrors {
    fn from(errors: ValidationErrors) -> Self {
        Self(errors)
    }
}

/// `text` as a whole number of type `T`; otherwise `None` and a message on `field`.
pub fn parse_whole<T: std::str::FromStr>(
    errors: &mut ValidationErrors,
    field: &str,
    text: &str,
) -> Option<T> {
    let parsed = text.trim().parse().ok();
    if parsed.is_none() {
        errors.add(field, "Give a whole number.");
    }
    parsed
}

/// `text` as a whole number; a message for `field` otherwise.
pub fn whole(errors: &mut FieldErrors, field: &str, text: &str) -> i64 {
    text.trim().parse().unwrap_or_else(|_| {
        errors.add(field, "Give a whole number.");
        0
    })
}

/// `text` as a whole number, or `None` when left blank.
pub fn optional_whole(errors: &mut FieldErrors, field: &str, text: &str) -> Option<i64> {
    (!text.trim().is_empty()).then(|| whole(errors, field, text))
}

/// A decimal typed by a person (`0.15`, `4`, `-1.5`) in units of 10^-`places`, exactly:
/// `scaled("0.15", 6)` is 150,000. More decimal places than `places`, or anything else that
/// is not a number, is a message for `field`.
pub fn scaled(errors: &mut FieldErrors, field: &str, text: &str, places: u32) -> i64 {
    parse_scaled(text.trim(), places).unwrap_or_else(|| {
        errors.add(
            field,
            format!("Give a number with at most {places} decimal places, e.g. 0.15."),
        );
        0
    })
}

fn parse_scaled(text: &str, places: u32) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (units, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() && fraction.is_empty()
        || !all_digits(units)
        || !all_digits(fraction)
        || fraction.len() > places as usize
    {
        return None;
    }
    let unit = 10_i64.checked_pow(places)?;
    let units: i64 = if units.is_empty() {
        0
    } else {
        units.parse().ok()?
    };
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i64>().ok()? * 10_i64.pow(places - fraction.len() as u32)
    };
    let value = units.checked_mul(unit)?.checked_add(fraction)?;
    Some(if negative { -value } else { value })
}

/// `value` in units of 10^-`places` written as a decimal without trailing zeros:
/// `decimal(150_000, 6)` is `0.15`.
pub fn decimal(value: i64, places: u32) -> String {
    let unit = 10_i64.pow(places);
    let sign = if value < 0 { "-" } else { "" };
    let (whole, fraction) = (
        value.unsigned_abs() / unit as u64,
        value.unsigned_abs() % unit as u64,
    );
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let fraction = format!("{fraction:0width$}", width = places as usize);
    format!("{sign}{whole}.{}", fraction.trim_end_matches('0'))
}

/// A query string of the non-empty `pairs` (for a pager's links, which add `page`).
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(
        pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}

/// `text` as a path segment: `/` and every other reserved character percent-encoded.
pub fn segment(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A date typed in a form's `field` (`YYYY-MM-DD`, as date inputs send it), as the start of
/// that UTC day.
pub fn form_date(
    field: &str,
    text: &str,
) -> Result<chrono::DateTime<chrono::Utc>, ValidationErrors> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| ValidationErrors::single(field, "Give the date as YYYY-MM-DD."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_read_or_refused_in_words() {
        let mut errors = ValidationErrors::default();
        assert_eq!(parse_whole::<i32>(&mut errors, "max_sites", " 5 "), Some(5));
        assert_eq!(parse_whole::<i32>(&mut errors, "max_users", "5.5"), None);
        assert_eq!(
            parse_whole::<i32>(&mut errors, "trial_days", "99999999999"),
            None
        );
        let errors = FieldErrors::from(errors);
        assert_eq!(errors.count(), 2);
        assert_eq!(errors.of("max_users"), "Give a whole number.");
        assert_eq!(errors.of("max_sites"), "");
    }

    #[test]
    fn decimals_scale_exactly_or_are_refused() {
        for (text, value) in [
            ("0.15", 150_000),
            ("4", 4_000_000),
            ("-1.5", -1_500_000),
            (".5", 500_000),
            ("10.", 10_000_000),
            ("0.000001", 1),
        ] {
            assert_eq!(parse_scaled(text, 6), Some(value), "{text}");
        }
        for text in [
            "",
            ".",
            "-",
            "1.2345678",
            "1,5",
            "1e3",
            "abc",
            "99999999999999999",
        ] {
            assert_eq!(parse_scaled(text, 6), None, "{text}");
        }
    }

    #[test]
    fn decimals_print_without_trailing_zeros() {
        assert_eq!(decimal(150_000, 6), "0.15");
        assert_eq!(decimal(4_000, 3), "4");
        assert_eq!(decimal(-1_500, 3), "-1.5");
        assert_eq!(decimal(1, 6), "0.000001");
        for value in [0, 1, 150_000, 4_000_000, 123_456_789] {
            assert_eq!(parse_scaled(&decimal(value, 6), 6), Some(value));
        }
    }

    #[test]
    fn field_messages_are_found_by_field_and_the_rest_collected() {
        let mut errors = FieldErrors::default();
        errors.add("slug", "Taken.");
        errors.add("slug", "Too long.");
        errors.add("industry_id", "No such industry.");
        assert_eq!(errors.of("slug"), "Taken. Too long.");
        assert_eq!(errors.of("name"), "");
        assert_eq!(errors.rest(&["slug", "name"]), "No such industry.");
        assert_eq!(query(&[("a", "x y"), ("b", ""), ("c", "/")]), "a=x+y&c=%2F");
        assert_eq!(segment("openai/gpt-5"), "openai%2Fgpt-5");
        assert_eq!(segment("*"), "*");
    }
}
