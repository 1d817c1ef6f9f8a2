//! The writer task's brief as its form shows and sends it: lists one item a line, the length
//! as typed, the sector chosen under its site's name — turned into the core's `NewTask` and
//! `TaskPatch`, which check every field.

use super::app_lists::{Choice, number, site_names, with_any};
use crate::state::AppState;
use quire_core::{
    Error, ValidationErrors,
    accounts::principal::Tenant,
    entities::task,
    listing::{MAX_PAGE_SIZE, PageRequest},
    planner::stored_json,
    tenancy::sectors::{self, SectorFilter},
    writer::tasks::{NewTask, POINTS_OF_VIEW, TaskPatch},
};
use serde::Deserialize;

/// The brief as the form shows and sends it: lists one item a line, numbers as typed.
#[derive(Deserialize, Default)]
pub(super) struct BriefForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub sector_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub target_keywords: String,
    #[serde(default)]
    pub word_count: String,
    #[serde(default)]
    pub brief: String,
    #[serde(default)]
    pub outline: String,
    #[serde(default)]
    pub tone: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub point_of_view: String,
    #[serde(default)]
    pub notes: String,
}

/// The non-blank lines of a textarea, each trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Keywords one a line or separated by commas.
fn keyword_list(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

impl BriefForm {
    pub(super) fn of_task(task: &task::Model) -> Self {
        Self {
            csrf: String::new(),
            sector_id: task.sector_id.to_string(),
            title: task.title.clone(),
            target_keywords: stored_json::decode(&task.target_keywords).join("\n"),
            word_count: task.word_count.to_string(),
            brief: task.brief.clone(),
            outline: stored_json::decode(&task.outline).join("\n"),
            tone: task.tone.clone(),
            audience: task.audience.clone(),
            language: task.language.clone(),
            point_of_view: task.point_of_view.clone(),
            notes: task.notes.clone(),
        }
    }

    /// The brief fields as the core takes them, or the fields the form itself cannot read.
    pub(super) fn patch(&self) -> Result<TaskPatch, ValidationErrors> {
        let word_count = match self.word_count.trim() {
            "" => None,
            typed => match typed.replace([',', ' ', '_'], "").parse::<i64>() {
                Ok(words) => Some(words),
                Err(_) => {
                    return Err(ValidationErrors::single(
                        "word_count",
                        "Enter the length as a number of words, such as 1500.",
                    ));
                }
            },
        };
        Ok(TaskPatch {
            title: Some(self.title.clone()),
            target_keywords: Some(keyword_list(&self.target_keywords)),
            word_count,
            brief: Some(self.brief.clone()),
            outline: Some(lines(&self.outline)),
            tone: Some(self.tone.clone()),
            audience: Some(self.audience.clone()),
            language: Some(self.language.clone()),
            point_of_view: Some(self.point_of_view.clone()),
            notes: Some(self.notes.clone()),
            status: None,
        })
    }

    /// A new task from scratch in the chosen sector.
    pub(super) fn new_task(&self) -> Result<NewTask, ValidationErrors> {
        let Some(sector_id) = number(&self.sector_id) else {
            return Err(ValidationErrors::single(
                "sector_id",
                "Choose the site and sector this article is for.",
            ));
        };
        let patch = self.patch()?;
        Ok(NewTask {
            idea_id: None,
            sector_id: Some(sector_id),
            site_id: None,
            title: patch.title,
            target_keywords: patch.target_keywords,
            word_count: patch.word_count,
            brief: patch.brief,
            outline: patch.outline,
            tone: patch.tone,
            audience: patch.audience,
            language: patch.language,
            point_of_view: patch.point_of_view,
            notes: patch.notes,
        })
    }
}

/// A site's sectors in the form's sector choice.
pub(super) struct SectorGroup {
    pub site: String,
    pub sectors: Vec<Choice>,
}

pub(super) fn point_of_view_choices(chosen: &str) -> Vec<Choice> {
    let choices = POINTS_OF_VIEW.iter().map(|pov| {
        let selected = chosen.trim().eq_ignore_ascii_case(pov);
        Choice::new(pov, format!("{pov} person"), selected)
    });
    with_any("The writer's choice", choices.collect())
}

/// The member's active sectors under their sites' names, `selected` chosen.
pub(super) async fn sector_groups(
    state: &AppState,
    tenant: &Tenant,
    selected: Option<i64>,
) -> Result<Vec<SectorGroup>, Error> {
    let names = site_names(state, tenant).await?;
    let request = PageRequest::new(Some(1), Some(MAX_PAGE_SIZE))?;
    let filter = SectorFilter {
        is_active: Some(true),
        ..SectorFilter::default()
    };
    let listed = sectors::list(&state.quire.db, tenant, filter, Some("name"), request).await?;
    let mut groups: Vec<(i64, SectorGroup)> = Vec::new();
    for sector in listed.items {
        let choice = Choice::new(sector.id, sector.name, selected == Some(sector.id));
        match groups.iter_mut().find(|(site, _)| *site == sector.site_id) {
            Some((_, group)) => group.sectors.push(choice),
            None => groups.push((
                sector.site_id,
                SectorGroup {
                    site: names.get(&sector.site_id).cloned().unwrap_or_default(),
                    sectors: vec![choice],
                },
            )),
        }
    }
    groups.sort_by_key(|(_, g)| g.site.to_lowercase());
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_read_one_item_a_line() {
        assert_eq!(lines(" Fit \n\n Grip\r\n"), ["Fit", "Grip"]);
        assert_eq!(
            keyword_list("trail shoes, best trail shoes\nshoes for women\n"),
            ["trail shoes", "best trail shoes", "shoes for women"]
        );
    }

    #[test]
    fn the_length_is_read_as_typed_or_refused_in_words() {
        let form = |words: &str| BriefForm {
            word_count: words.to_owned(),
            ..BriefForm::default()
        };
        assert_eq!(form("1,500").patch().expect("read").word_count, Some(1_500));
        assert_eq!(form(" ").patch().expect("read").word_count, None);
        let refused = form("long").patch().expect_err("refused");
        assert!(refused.fields().contains_key("word_count"));
        assert!(
            form("")
                .new_task()
                .expect_err("no sector")
                .fields()
                .contains_key("sector_id")
        );
    }
}
