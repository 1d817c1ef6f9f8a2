//! "Generate article" for the writer tasks a member selected: the credit estimate first (the
//! same planning as `/api/v1/writer/content/generate/estimate/`), then one job per task —
//! one task goes to its job's page, several to the jobs list.

use super::{
    app_notice::{Notice, explain, refusal_status},
    member::{AppChrome, MemberPage},
    page::{failure, render},
    session::expired_form,
};
use crate::state::AppState;
use askama::Template;
use axum::{
    Router,
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use quire_core::{
    Error,
    writer::{
        generation::{self, GenerateRequest, MAX_BATCH},
        tasks,
    },
};

pub fn router() -> Router<AppState> {
    Router::new().route("/writer/generate", get(estimate).post(start))
}

#[derive(Template)]
#[template(path = "app/generate.html")]
struct GeneratePage {
    chrome: AppChrome,
    /// The selected tasks: id and title.
    tasks: Vec<(i64, String)>,
    /// What starting reserves, once the selection passed the checks.
    credits: Option<i64>,
    balance: i64,
    enough: bool,
    notice: Option<Notice>,
}

/// The values of `key` in a form or query string, each a task id (others are ignored).
fn ids(encoded: &str, key: &str) -> Vec<i64> {
    form_urlencoded::parse(encoded.as_bytes())
        .filter(|(k, _)| k == key)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

/// The value of `key` in a form.
fn value(encoded: &str, key: &str) -> String {
    form_urlencoded::parse(encoded.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Why a selection cannot be generated before anything is looked up, in words.
fn selection_refusal(count: usize) -> Option<Notice> {
    match count {
        0 => Some(Notice::refused(
            "Select one or more tasks on the writer page first.",
        )),
        n if n > MAX_BATCH => Some(Notice::refused(format!(
            "Select at most {MAX_BATCH} tasks at a time."
        ))),
        _ => None,
    }
}

impl GeneratePage {
    fn new(page: &MemberPage) -> Self {
        Self {
            chrome: page.chrome("writer"),
            tasks: Vec::new(),
            credits: None,
            balance: page.tenant.account.credits,
            enough: false,
            notice: None,
        }
    }

    /// This page answering `error`: its words, or the failure page when it has none.
    fn refused(mut self, error: &Error) -> Response {
        match explain(error) {
            Some(notice) => {
                self.notice = Some(notice);
                render(refusal_status(error), &self)
            }
            None => failure(error),
        }
    }

    /// Fills in the selected tasks' titles and the credits they reserve.
    async fn estimated(
        mut self,
        state: &AppState,
        page: &MemberPage,
        ids: &[i64],
        credits: i64,
    ) -> Result<Self, Error> {
        for id in ids {
            let task = tasks::get(&state.quire.db, &page.tenant, *id).await?;
            if !self.tasks.iter().any(|(seen, _)| seen == id) {
                self.tasks.push((task.id, task.title));
            }
        }
        self.credits = Some(credits);
        self.enough = self.balance >= credits;
        if !self.enough {
            self.notice = explain(&Error::InsufficientCredits {
                required: credits,
                available: self.balance,
            });
        }
        Ok(self)
    }
}

fn request(ids: &[i64]) -> GenerateRequest {
    GenerateRequest {
        task_id: None,
        task_ids: Some(ids.to_vec()),
    }
}

async fn estimate(
    State(state): State<AppState>,
    page: MemberPage,
    RawQuery(query): RawQuery,
) -> Response {
    let ids = ids(query.as_deref().unwrap_or_default(), "task_ids");
    let shown = GeneratePage::new(&page);
    if let Some(notice) = selection_refusal(ids.len()) {
        let refused = GeneratePage {
            notice: Some(notice),
            ..shown
        };
        return render(StatusCode::BAD_REQUEST, &refused);
    }
    let planned = match generation::plan(&state.quire, &page.tenant, &request(&ids)).await {
        Ok(planned) => planned,
        Err(error) => return shown.refused(&error),
    };
    let credits = planned.iter().map(|p| p.credits).sum();
    match shown.estimated(&state, &page, &ids, credits).await {
        Ok(shown) => render(StatusCode::OK, &shown),
        Err(error) => failure(&error),
    }
}

/// Starts the jobs: the form carries its CSRF token and the selected `task_ids`.
async fn start(State(state): State<AppState>, page: MemberPage, body: String) -> Response {
    if !page.csrf_ok(&state, &value(&body, "csrf")) {
        return expired_form();
    }
    let ids = ids(&body, "task_ids");
    let shown = GeneratePage::new(&page);
    if let Some(notice) = selection_refusal(ids.len()) {
        let refused = GeneratePage {
            notice: Some(notice),
            ..shown
        };
        return render(StatusCode::BAD_REQUEST, &refused);
    }
    let quire = &state.quire;
    let planned = match generation::plan(quire, &page.tenant, &request(&ids)).await {
        Ok(planned) => planned,
        Err(error) => return shown.refused(&error),
    };
    let credits = planned.iter().map(|p| p.credits).sum();
    match generation::enqueue(quire, &page.tenant, planned).await {
        Ok(jobs) => match jobs.as_slice() {
            [one] => Redirect::to(&format!("/jobs/{}", one.id)).into_response(),
            _ => Redirect::to("/jobs").into_response(),
        },
        Err(error) => match shown.estimated(&state, &page, &ids, credits).await {
            Ok(shown) => shown.refused(&error),
            Err(error) => failure(&error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selected_ids_are_read_from_repeated_fields() {
        let form = "csrf=a%2Bb&task_ids=3&task_ids=x&task_ids=12&other=4";
        assert_eq!(ids(form, "task_ids"), [3, 12]);
        assert_eq!(value(form, "csrf"), "a+b");
        assert_eq!(value(form, "missing"), "");
    }

    #[test]
    fn empty_and_oversized_selections_are_refused_in_words() {
        assert!(selection_refusal(0).is_some());
        assert!(selection_refusal(1).is_none());
        assert!(selection_refusal(MAX_BATCH).is_none());
        assert!(selection_refusal(MAX_BATCH + 1).is_some());
    }
}
