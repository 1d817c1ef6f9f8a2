//! The step before a planner action runs: what it will do (and, for an AI operation, the
//! credits it holds), one button to go ahead, one link back; or, refused, the reason in words.

use super::{
    app_notice::{Notice, explain, refusal_status},
    member::{AppChrome, MemberPage},
    page::{failure, render},
};
use askama::Template;
use axum::response::Response;
use quire_core::Error;

/// What an AI operation would reserve, shown before it starts.
pub struct Estimate {
    pub credits: i64,
    pub available: i64,
}

impl Estimate {
    /// `credits` against the member's balance.
    pub fn of(page: &MemberPage, credits: i64) -> Self {
        Self {
            credits,
            available: page.tenant.account.credits,
        }
    }

    pub fn enough(&self) -> bool {
        self.available >= self.credits
    }
}

/// The step before an action runs: what it will do (and what it costs), one button to go
/// ahead, one link back. A refused request shows its notice and no button.
#[derive(Template)]
#[template(path = "app/confirm.html")]
pub struct ConfirmPage {
    pub chrome: AppChrome,
    pub heading: &'static str,
    pub text: String,
    pub estimate: Option<Estimate>,
    pub notice: Option<Notice>,
    /// Where the button posts, with its hidden fields; `None` when it cannot go ahead.
    pub action: Option<&'static str>,
    pub fields: Vec<(String, String)>,
    pub button: &'static str,
    pub danger: bool,
    pub back: String,
}

/// The step of area `area` (the menu's) when `notice` stops it: `text` says what did not
/// happen, no button, the way `back`.
pub fn stopped(
    page: &MemberPage,
    area: &'static str,
    heading: &'static str,
    text: String,
    notice: Notice,
    back: String,
) -> ConfirmPage {
    ConfirmPage {
        chrome: page.chrome(area),
        heading,
        text,
        estimate: None,
        notice: Some(notice),
        action: None,
        fields: Vec::new(),
        button: "",
        danger: false,
        back,
    }
}

/// The step when the core refused the action: [`stopped`] with the refusal in words, the
/// estimate when there is one; the failure page for an unexpected error.
pub fn refused(
    page: &MemberPage,
    area: &'static str,
    heading: &'static str,
    text: &str,
    error: &Error,
    estimate: Option<Estimate>,
    back: String,
) -> Response {
    let Some(notice) = explain(error) else {
        return failure(error);
    };
    let mut step = stopped(page, area, heading, text.to_owned(), notice, back);
    step.estimate = estimate;
    render(refusal_status(error), &step)
}

/// The hidden fields that carry the ids of a selection to the next step.
pub fn id_fields(ids: &[i64]) -> Vec<(String, String)> {
    ids.iter()
        .map(|id| ("ids".to_owned(), id.to_string()))
        .collect()
}
