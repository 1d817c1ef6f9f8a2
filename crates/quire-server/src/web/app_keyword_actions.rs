//! What the keyword list's selection does: Auto Cluster (the method chosen, then a
//! confirmation step with the core's credit estimate, then the job) and bulk delete (after a
//! confirmation step).

use super::{
    app_confirm::{ConfirmPage, Estimate, id_fields, refused, stopped},
    app_keywords::KeywordsQuery,
    app_lists::{FormFields, link, number, parse_enum},
    app_notice::Notice,
    member::MemberPage,
    page::{failure, render},
    session::expired_form,
};
use crate::state::AppState;
use axum::{
    Form, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use quire_core::{
    Error, ValidationErrors,
    planner::{
        auto_cluster::{self, AutoClusterRequest, Method},
        keywords::{self, BulkDelete},
    },
    tenancy::sectors,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/keywords/selection", post(selection))
        .route("/keywords/auto_cluster", post(start_auto_cluster))
        .route("/keywords/delete", post(bulk_delete))
}

/// The selection form: every ticked keyword, the action's choices, the list to return to.
struct Selection {
    ids: Vec<i64>,
    back: KeywordsQuery,
}

impl Selection {
    fn read(form: &FormFields) -> Self {
        let mut ids = form.ids("ids");
        ids.sort_unstable();
        ids.dedup();
        Self {
            ids,
            back: KeywordsQuery::from_back(form.one("back")),
        }
    }

    fn back_link(&self) -> String {
        link("/keywords", &self.back.list_query())
    }

    /// The hidden fields that carry the selection to the next step.
    fn fields(&self) -> Vec<(String, String)> {
        let mut fields = id_fields(&self.ids);
        fields.push(("back".to_owned(), self.back.list_query()));
        fields
    }
}

async fn selection(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let selection = Selection::read(&form);
    match form.one("action") {
        "auto_cluster" => confirm_auto_cluster(&state, &page, &form, selection).await,
        "delete" => confirm_delete(&page, selection),
        _ => Redirect::to(&selection.back_link()).into_response(),
    }
}

/// The request the form asks for; a missing sector or method is a field error.
fn auto_cluster_request(form: &FormFields, ids: &[i64]) -> Result<AutoClusterRequest, Error> {
    let mut errors = ValidationErrors::default();
    let sector_id = number(form.one("sector_id"));
    if sector_id.is_none() {
        errors.add("sector_id", "Choose the sector of the selected keywords.");
    }
    let method = parse_enum::<Method>(form.one("method"));
    if method.is_none() {
        errors.add("method", "Choose a grouping method: local, hybrid or AI.");
    }
    match (sector_id, method) {
        (Some(sector_id), Some(method)) => Ok(AutoClusterRequest {
            keyword_ids: ids.to_vec(),
            sector_id,
            method,
            recluster: !form.one("recluster").is_empty(),
        }),
        _ => Err(Error::Validation(errors)),
    }
}

fn method_words(method: Method) -> &'static str {
    match method {
        Method::Local => "Quire's own algorithm (no AI model, a flat price per 1,000 keywords)",
        Method::Hybrid => "local groups that the AI model names, merges and splits",
        Method::Ai => "the AI model, which groups and names every keyword",
    }
}

const AUTO_CLUSTER: &str = "Auto Cluster";

/// The run the form asks for as the core plans it, or the refused step saying `what` did not
/// happen.
async fn plan_auto_cluster(
    state: &AppState,
    page: &MemberPage,
    form: &FormFields,
    selection: &Selection,
    what: &str,
) -> Result<(AutoClusterRequest, auto_cluster::Planned), Response> {
    let refuse = |error: Error| {
        let back = selection.back_link();
        refused(page, "keywords", AUTO_CLUSTER, what, &error, None, back)
    };
    let request = auto_cluster_request(form, &selection.ids).map_err(refuse)?;
    match auto_cluster::plan(&state.quire, &page.tenant, request.clone()).await {
        Ok(planned) => Ok((request, planned)),
        Err(error) => Err(refuse(error)),
    }
}

/// What the run will do, in words: how many of the selected keywords it groups, where, how.
async fn auto_cluster_text(
    state: &AppState,
    page: &MemberPage,
    request: &AutoClusterRequest,
    planned: &auto_cluster::Planned,
    selected: usize,
) -> Result<String, Error> {
    let sector = sectors::get(&state.quire.db, &page.tenant, request.sector_id).await?;
    let grouped = planned.keywords();
    let left = if grouped < selected {
        format!(
            " The other {} selected keywords are already in a cluster or archived, and stay \
             as they are.",
            selected - grouped
        )
    } else {
        String::new()
    };
    Ok(format!(
        "Group {grouped} keywords of the sector {} with {}.{left}",
        sector.name,
        method_words(request.method)
    ))
}

async fn confirm_auto_cluster(
    state: &AppState,
    page: &MemberPage,
    form: &FormFields,
    selection: Selection,
) -> Response {
    let what = "These keywords could not be grouped.";
    let (request, planned) = match plan_auto_cluster(state, page, form, &selection, what).await {
        Ok(planned) => planned,
        Err(refused) => return refused,
    };
    let text = match auto_cluster_text(state, page, &request, &planned, selection.ids.len()).await {
        Ok(text) => text,
        Err(error) => return failure(&error),
    };
    let mut fields = selection.fields();
    fields.push(("sector_id".to_owned(), request.sector_id.to_string()));
    fields.push(("method".to_owned(), form.one("method").trim().to_owned()));
    if request.recluster {
        fields.push(("recluster".to_owned(), "on".to_owned()));
    }
    render(
        StatusCode::OK,
        &ConfirmPage {
            chrome: page.chrome("keywords"),
            heading: AUTO_CLUSTER,
            text,
            estimate: Some(Estimate::of(page, planned.credits)),
            notice: None,
            action: Some("/keywords/auto_cluster"),
            fields,
            button: "Start Auto Cluster",
            danger: false,
            back: selection.back_link(),
        },
    )
}

/// Plans the run again (the selection may have changed), reserves its credits and queues it;
/// then the job's page shows its progress.
async fn start_auto_cluster(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let selection = Selection::read(&form);
    let what = "Auto Cluster did not start.";
    let planned = match plan_auto_cluster(&state, &page, &form, &selection, what).await {
        Ok((_, planned)) => planned,
        Err(refused) => return refused,
    };
    let estimate = Estimate::of(&page, planned.credits);
    match auto_cluster::enqueue(&state.quire, &page.tenant, planned).await {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(error) => {
            let back = selection.back_link();
            refused(
                &page,
                "keywords",
                AUTO_CLUSTER,
                what,
                &error,
                Some(estimate),
                back,
            )
        }
    }
}

const DELETE: &str = "Delete keywords";

fn confirm_delete(page: &MemberPage, selection: Selection) -> Response {
    let back = selection.back_link();
    if selection.ids.is_empty() {
        let notice = Notice::refused("Tick the keywords to delete first.");
        let text = "Nothing is selected.".to_owned();
        let step = stopped(page, "keywords", DELETE, text, notice, back);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &step);
    }
    render(
        StatusCode::OK,
        &ConfirmPage {
            chrome: page.chrome("keywords"),
            heading: DELETE,
            text: format!(
                "Delete the {} selected keywords? This cannot be undone; the clusters they are \
                 in keep their other keywords.",
                selection.ids.len()
            ),
            estimate: None,
            notice: None,
            action: Some("/keywords/delete"),
            fields: selection.fields(),
            button: "Delete them",
            danger: true,
            back,
        },
    )
}

async fn bulk_delete(
    State(state): State<AppState>,
    page: MemberPage,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(form) = FormFields::checked(&state, &page, pairs) else {
        return expired_form();
    };
    let selection = Selection::read(&form);
    let input = BulkDelete {
        ids: selection.ids.clone(),
    };
    match keywords::bulk_delete(&state.quire.db, &page.tenant, input).await {
        Ok(deleted) => {
            Redirect::to(&selection.back.after("deleted", deleted, None)).into_response()
        }
        Err(error) => {
            let (what, back) = ("Nothing was deleted.", selection.back_link());
            refused(&page, "keywords", DELETE, what, &error, None, back)
        }
    }
}
