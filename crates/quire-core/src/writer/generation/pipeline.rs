//! The article pipeline: outline (unless the task has one), each section with the outline and
//! the earlier sections' summaries as context, then the introduction and conclusion, then the
//! title and metadata — many small calls rather than one giant prompt, steered to length by
//! [`Budget`].

use super::budget::{Budget, window};
use crate::{
    Error,
    ai::ChatRequest,
    db::Db,
    entities::task,
    jobs::{
        assistant::{Assistant, json_request},
        worker::JobError,
    },
    planner::stored_json,
    writer::{
        sections,
        versions::{Draft, MAX_META_DESCRIPTION_CHARS, MAX_META_TITLE_CHARS},
    },
};
use serde_json::{Value, json};

/// Every call of the pipeline is priced and logged as this operation.
pub const OPERATION: &str = "generate_article";
/// The most sections an outline may bring.
const MAX_SECTIONS: usize = 12;

/// What the pipeline writes from: the task's brief.
#[derive(Debug, Clone)]
pub struct Brief {
    pub title: String,
    pub keywords: Vec<String>,
    pub outline: Vec<String>,
    pub words: usize,
    pub tone: String,
    pub audience: String,
    pub language: String,
    pub point_of_view: String,
    pub notes: String,
    pub brief: String,
}

impl Brief {
    pub fn of(task: &task::Model) -> Self {
        Self {
            title: task.title.clone(),
            keywords: stored_json::decode(&task.target_keywords),
            outline: stored_json::decode(&task.outline)
                .into_iter()
                .filter(|heading| !is_an_end(heading))
                .take(MAX_SECTIONS)
                .collect(),
            words: usize::try_from(task.word_count.max(100)).unwrap_or(1_500),
            tone: task.tone.clone(),
            audience: task.audience.clone(),
            language: task.language.clone(),
            point_of_view: task.point_of_view.clone(),
            notes: task.notes.clone(),
            brief: task.brief.clone(),
        }
    }

    fn vars(&self, step: &str) -> Value {
        json!({
            "step": step,
            "title": self.title,
            "keywords": self.keywords,
            "tone": self.tone,
            "audience": self.audience,
            "language": self.language,
            "point_of_view": self.point_of_view,
            "notes": self.notes,
            "brief": self.brief,
        })
    }
}

/// The assembled article and how close it came to the target.
#[derive(Debug, Clone)]
pub struct Article {
    pub draft: Draft,
    pub words: usize,
    pub sections: usize,
}

fn with(mut vars: Value, extra: Value) -> Value {
    if let (Some(vars), Some(extra)) = (vars.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            vars.insert(key.clone(), value.clone());
        }
    }
    vars
}

/// Output tokens allowed for `words` words of Markdown inside JSON, with a summary.
fn text_budget(words: usize) -> u32 {
    u32::try_from(words * 2 + 150).unwrap_or(u32::MAX)
}

fn outline_request_vars(brief: &Brief) -> Value {
    with(
        brief.vars("outline"),
        json!({"sections": Budget::sections_for(brief.words)}),
    )
}

fn section_vars(
    brief: &Brief,
    outline: &[String],
    heading: &str,
    words: usize,
    previous: &[String],
) -> Value {
    let (min_words, max_words) = window(words);
    with(
        brief.vars("section"),
        json!({
            "heading": heading,
            "outline": outline,
            "previous": previous,
            "words": words,
            "min_words": min_words,
            "max_words": max_words,
        }),
    )
}

fn ends_vars(brief: &Brief, summaries: &[String], intro: usize, conclusion: usize) -> Value {
    with(
        brief.vars("ends"),
        json!({"summaries": summaries, "intro_words": intro, "conclusion_words": conclusion}),
    )
}

fn meta_vars(brief: &Brief, summaries: &[String]) -> Value {
    with(brief.vars("meta"), json!({"summaries": summaries}))
}

/// The calls the pipeline makes when every part comes out at its planned length; the
/// estimate reserved before the job runs is priced from these (summaries stood in by
/// sentences of typical length).
pub async fn planned_requests(db: &Db, brief: &Brief) -> Result<Vec<ChatRequest>, Error> {
    let mut requests = Vec::new();
    let outline = if brief.outline.is_empty() {
        requests.push(
            json_request(
                Some(db),
                "article_outline",
                OPERATION,
                outline_request_vars(brief),
                300,
            )
            .await?,
        );
        (1..=Budget::sections_for(brief.words))
            .map(|n| format!("Planned section number {n} of the article"))
            .collect()
    } else {
        brief.outline.clone()
    };
    let budget = Budget::new(brief.words, outline.len());
    let summary = "A one-sentence summary of what this earlier section of the article said.";
    let mut summaries = Vec::new();
    for (done, heading) in outline.iter().enumerate() {
        let words = budget.section_words(done * budget.section_words(0, 0), done);
        requests.push(
            json_request(
                Some(db),
                "article_section",
                OPERATION,
                section_vars(brief, &outline, heading, words, &summaries),
                text_budget(words),
            )
            .await?,
        );
        summaries.push(summary.to_owned());
    }
    let (intro, conclusion) = budget.ends_words(budget.section_words(0, 0) * outline.len());
    requests.push(
        json_request(
            Some(db),
            "article_ends",
            OPERATION,
            ends_vars(brief, &summaries, intro, conclusion),
            text_budget(intro + conclusion),
        )
        .await?,
    );
    requests.push(
        json_request(
            Some(db),
            "article_meta",
            OPERATION,
            meta_vars(brief, &summaries),
            250,
        )
        .await?,
    );
    Ok(requests)
}

async fn ask(
    assistant: &dyn Assistant,
    template: &str,
    vars: Value,
    max_output_tokens: u32,
) -> Result<Value, JobError> {
    let request = json_request(
        assistant.prompts_db(),
        template,
        OPERATION,
        vars,
        max_output_tokens,
    )
    .await?;
    assistant.ask_json(&request).await
}

/// Writes the article for `brief`.
pub async fn write(assistant: &dyn Assistant, brief: &Brief) -> Result<Article, JobError> {
    let outline = if brief.outline.is_empty() {
        assistant.progress(5, "Planning the outline").await?;
        let answer = ask(
            assistant,
            "article_outline",
            outline_request_vars(brief),
            300,
        )
        .await?;
        let outline: Vec<String> = strings(&answer["outline"])
            .into_iter()
            .filter(|heading| !is_an_end(heading))
            .take(MAX_SECTIONS)
            .collect();
        if outline.is_empty() {
            return Err(JobError::Fatal("the model gave no outline".to_owned()));
        }
        outline
    } else {
        brief.outline.clone()
    };

    let budget = Budget::new(brief.words, outline.len());
    let mut written = 0;
    let mut summaries: Vec<String> = Vec::new();
    let mut parts: Vec<(String, String)> = Vec::new();
    for (done, heading) in outline.iter().enumerate() {
        let percent = 10 + i32::try_from(70 * done / outline.len()).unwrap_or(70);
        assistant
            .progress(
                percent,
                &format!(
                    "Writing section {} of {}: {heading}",
                    done + 1,
                    outline.len()
                ),
            )
            .await?;
        let words = budget.section_words(written, done);
        let answer = ask(
            assistant,
            "article_section",
            section_vars(brief, &outline, heading, words, &summaries),
            text_budget(words),
        )
        .await?;
        let text = section_text(&answer["text"], heading);
        if text.is_empty() {
            return Err(JobError::Fatal(format!(
                "the model wrote nothing for the section \"{heading}\""
            )));
        }
        written += usize::try_from(sections::word_count(&text)).unwrap_or(0);
        summaries.push(summary_of(&answer["summary"], &text));
        parts.push((heading.clone(), text));
    }

    assistant
        .progress(85, "Writing the introduction and conclusion")
        .await?;
    let (intro_words, conclusion_words) = budget.ends_words(written);
    let answer = ask(
        assistant,
        "article_ends",
        ends_vars(brief, &summaries, intro_words, conclusion_words),
        text_budget(intro_words + conclusion_words),
    )
    .await?;
    let introduction = markdown(&answer["introduction"]);
    let conclusion = markdown(&answer["conclusion"]);
    if introduction.is_empty() || conclusion.is_empty() {
        return Err(JobError::Fatal(
            "the model left out the introduction or the conclusion".to_owned(),
        ));
    }
    let conclusion_heading = answer["conclusion_heading"]
        .as_str()
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .unwrap_or("Conclusion")
        .to_owned();

    assistant
        .progress(95, "Writing the title and metadata")
        .await?;
    let answer = ask(assistant, "article_meta", meta_vars(brief, &summaries), 250).await?;
    let title = clip_at_word(answer["title"].as_str().unwrap_or_default(), 255);
    let title = if title.is_empty() {
        brief.title.clone()
    } else {
        title
    };
    let meta_title = clip_at_word(
        answer["meta_title"].as_str().unwrap_or(&title),
        MAX_META_TITLE_CHARS,
    );
    let meta_description = clip_at_word(
        answer["meta_description"].as_str().unwrap_or_default(),
        MAX_META_DESCRIPTION_CHARS,
    );

    let mut body = format!("{introduction}\n\n");
    for (heading, text) in &parts {
        body.push_str(&format!("## {heading}\n\n{text}\n\n"));
    }
    body.push_str(&format!("## {conclusion_heading}\n\n{conclusion}\n"));
    let words = usize::try_from(sections::word_count(&body)).unwrap_or(0);
    Ok(Article {
        draft: Draft {
            title,
            meta_title,
            meta_description,
            body,
        },
        words,
        sections: parts.len() + 2,
    })
}

/// Whether an outline heading names the introduction or conclusion, which the pipeline
/// writes on its own.
fn is_an_end(heading: &str) -> bool {
    matches!(
        heading.trim().to_lowercase().as_str(),
        "introduction" | "intro" | "conclusion" | "conclusions" | "summary"
    )
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(crate::text::one_line)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Markdown from a model, trimmed.
fn markdown(value: &Value) -> String {
    value.as_str().unwrap_or_default().trim().to_owned()
}

/// A section's text without a heading the model repeated at its top; `##` headings inside
/// become `###` so the section stays one section.
pub fn section_text(value: &Value, heading: &str) -> String {
    let text = markdown(value);
    let mut lines = text.lines().peekable();
    if let Some(first) = lines.peek() {
        let bare = first.trim_start_matches('#').trim();
        if first.starts_with('#') && bare.eq_ignore_ascii_case(heading) {
            lines.next();
        }
    }
    lines
        .map(|line| match line.strip_prefix("## ") {
            Some(rest) => format!("### {rest}"),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

fn summary_of(value: &Value, text: &str) -> String {
    let summary = markdown(value);
    if summary.is_empty() {
        clip_at_word(text, 200)
    } else {
        clip_at_word(&summary, 300)
    }
}

/// `text` cut to at most `max` characters, at a word boundary when there is one.
pub fn clip_at_word(text: &str, max: usize) -> String {
    let text = crate::text::one_line(text);
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(space) if space > max / 2 => cut[..space]
            .trim_end_matches([',', ';', ':', '-'])
            .to_owned(),
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_heading_is_dropped_and_inner_h2_demoted() {
        let text = section_text(
            &json!("## Choosing shoes\n\nIntro.\n\n## Fit\n\nSnug.\n### Deeper"),
            "choosing shoes",
        );
        assert_eq!(text, "Intro.\n\n### Fit\n\nSnug.\n### Deeper");
    }

    #[test]
    fn outlines_lose_the_ends_the_pipeline_writes_itself() {
        assert!(is_an_end(" Introduction "));
        assert!(is_an_end("conclusion"));
        assert!(!is_an_end("Introduction to rye"));
    }

    #[test]
    fn metadata_is_clipped_at_a_word() {
        let clipped = clip_at_word(
            "The complete guide to choosing running shoes for beginners and experts alike",
            60,
        );
        assert!(clipped.chars().count() <= 60, "{clipped}");
        assert_eq!(
            clipped,
            "The complete guide to choosing running shoes for beginners"
        );
        assert_eq!(clip_at_word("short", 60), "short");
    }
}
