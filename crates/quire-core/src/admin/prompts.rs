//! Operators' prompt overrides: each built-in template with its override, setting and
//! removing one (checked by rendering it first), and previews of the messages a call sends.
//! The AI core reads the override on every call, so a change applies to the next call on
//! every node.

use crate::{
    Error, ValidationErrors,
    ai::prompts::{self, PromptTemplate, RenderedPrompt},
    audit,
    db::{Db, begin_write},
    entities::prompt_override,
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, ModelTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

/// The longest override accepted.
pub const MAX_TEXT_CHARS: usize = 50_000;

/// One operation's prompt: the built-in template and the operator's override, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub template: &'static PromptTemplate,
    pub stored: Option<prompt_override::Model>,
}

/// Where the previewed template came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromptSource {
    /// The text sent with the preview.
    Given,
    /// The stored override.
    Override,
    /// The built-in template.
    Default,
}

/// What to preview: a template text (else the stored override, else the built-in one) and
/// the variables (else the sample of that operation).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PreviewRequest {
    pub text: Option<String>,
    /// A JSON object of template variables.
    #[schema(value_type = Option<Object>)]
    pub context: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub template_id: String,
    pub source: PromptSource,
    pub context: Value,
    pub rendered: RenderedPrompt,
}

/// The newest built-in template of `operation`; an unknown operation is `NotFound`.
fn template(operation: &str) -> Result<&'static PromptTemplate, Error> {
    prompts::default_template(operation).ok_or(Error::NotFound)
}

/// Every operation with a built-in template (newest version each), with its override.
pub async fn list(db: &Db) -> Result<Vec<Prompt>, Error> {
    let stored = prompt_override::Entity::find()
        .order_by_asc(prompt_override::Column::Operation)
        .all(db)
        .await?;
    let mut operations: Vec<&str> = prompts::templates().iter().map(|t| t.operation).collect();
    operations.sort_unstable();
    operations.dedup();
    operations
        .into_iter()
        .map(|operation| {
            Ok(Prompt {
                template: template(operation)?,
                stored: stored.iter().find(|o| o.operation == operation).cloned(),
            })
        })
        .collect()
}

/// Renders `text` with the operation's sample variables; a template that does not is a 400
/// on `text` with the renderer's message.
fn check_renders(operation: &str, text: &str) -> Result<(), Error> {
    prompts::render_messages(text, &sample_context(operation))
        .map(|_| ())
        .map_err(|e| Error::Validation(ValidationErrors::single("text", e.to_string())))
}

fn override_json(row: &prompt_override::Model) -> Value {
    json!({"operation": row.operation, "text": row.text})
}

fn entry<'a>(
    actor: &'a str,
    action: &'a str,
    before: Option<Value>,
    after: Option<Value>,
) -> audit::Entry<'a> {
    audit::Entry {
        actor,
        action,
        object_type: "prompt_override",
        object_id: None,
        account_id: None,
        before,
        after,
    }
}

/// Stores `text` as the operation's prompt, replacing any earlier override. It must render
/// with the operation's sample variables (which hold every variable Quire passes).
pub async fn set_override(
    db: &Db,
    actor: &str,
    operation: &str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Prompt, Error> {
    let template = template(operation)?;
    if text.trim().is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::Validation(ValidationErrors::single(
            "text",
            format!("Give the template: 1 to {MAX_TEXT_CHARS} characters."),
        )));
    }
    check_renders(operation, text)?;
    let txn = begin_write(db).await?;
    let current = prompt_override::Entity::find_by_id(operation.to_owned())
        .one(&txn)
        .await?;
    let before = current.as_ref().map(override_json);
    let saved = match current {
        Some(row) => {
            let mut row = row.into_active_model();
            row.text = Set(text.to_owned());
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            prompt_override::ActiveModel {
                operation: Set(operation.to_owned()),
                text: Set(text.to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    audit::record(
        &txn,
        entry(
            actor,
            "ai.prompt.updated",
            before,
            Some(override_json(&saved)),
        ),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Prompt {
        template,
        stored: Some(saved),
    })
}

/// Removes the operation's override: the built-in template applies again. `NotFound` when
/// there is none.
pub async fn remove_override(
    db: &Db,
    actor: &str,
    operation: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    template(operation)?;
    let txn = begin_write(db).await?;
    let current = prompt_override::Entity::find_by_id(operation.to_owned())
        .one(&txn)
        .await?
        .ok_or(Error::NotFound)?;
    let before = override_json(&current);
    current.delete(&txn).await?;
    audit::record(
        &txn,
        entry(actor, "ai.prompt.reset", Some(before), None),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The messages a call of `operation` would send, rendered as the AI core renders them.
pub async fn preview(db: &Db, operation: &str, request: PreviewRequest) -> Result<Preview, Error> {
    let template = template(operation)?;
    let context = match request.context {
        Some(context) if context.is_object() => context,
        Some(_) => {
            return Err(Error::Validation(ValidationErrors::single(
                "context",
                "Give the template's variables as a JSON object.",
            )));
        }
        None => sample_context(operation),
    };
    let (source, text) = match request.text {
        Some(text) => (PromptSource::Given, text),
        None => match prompt_override::Entity::find_by_id(operation.to_owned())
            .one(db)
            .await?
        {
            Some(stored) => (PromptSource::Override, stored.text),
            None => (PromptSource::Default, template.text.to_owned()),
        },
    };
    let rendered = prompts::render_messages(&text, &context).map_err(|e| {
        let field = if source == PromptSource::Given {
            "text"
        } else {
            "context"
        };
        Error::Validation(ValidationErrors::single(field, e.to_string()))
    })?;
    Ok(Preview {
        template_id: template.id(),
        source,
        context,
        rendered,
    })
}

/// Variables shaped like the ones Quire passes each template, every one of them present.
pub fn sample_context(operation: &str) -> Value {
    let brief = |step: &str| {
        json!({
            "step": step,
            "title": "How to choose running shoes",
            "keywords": ["running shoes", "best running shoes", "running shoes for beginners"],
            "tone": "friendly",
            "audience": "new runners",
            "language": "English",
            "point_of_view": "second",
            "notes": "Mention trying shoes on in the afternoon.",
            "brief": "A practical guide for someone buying their first pair.",
        })
    };
    let with = |mut base: Value, extra: Value| {
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    };
    let outline = json!([
        "Know your feet",
        "Cushioning and support",
        "Trying shoes on"
    ]);
    let summaries = json!([
        "Feet differ in arch and width; a wet footprint shows yours.",
        "More cushioning suits long runs; support matters for flat feet.",
        "Try shoes late in the day with the socks you run in."
    ]);
    match operation {
        "smoke_test" => json!({"product": "Quire", "name": "Ada", "language": "French"}),
        "auto_cluster_ai" => json!({
            "keywords": ["running shoes", "best running shoes", "sourdough starter", "sourdough starter recipe"],
            "existing": ["Trail running gear"],
        }),
        "auto_cluster_merge" => json!({"clusters": [
            {"index": 0, "name": "Running shoes", "examples": ["running shoes", "best running shoes"]},
            {"index": 1, "name": "Shoes for running", "examples": ["running shoes for women"]},
            {"index": 2, "name": "Sourdough starter", "examples": ["sourdough starter recipe"]},
        ]}),
        "auto_cluster_hybrid" => json!({"groups": [
            {"index": 0, "name": "running shoes", "keywords": ["running shoes", "best running shoes"], "more": 3},
            {"index": 1, "name": "sourdough", "keywords": ["sourdough starter", "sourdough starter recipe"], "more": 0},
        ]}),
        "generate_ideas" => json!({
            "cluster": "Running shoes",
            "description": "Choosing and caring for running shoes.",
            "keywords": ["running shoes", "best running shoes", "running shoes for beginners"],
            "count": 3,
            "site": "Ada's Running Blog",
            "sector": "Running",
        }),
        "article_outline" => with(brief("outline"), json!({"sections": 5})),
        "article_section" => with(
            brief("section"),
            json!({
                "heading": "Cushioning and support",
                "outline": outline,
                "previous": ["Feet differ in arch and width; a wet footprint shows yours."],
                "words": 300,
                "min_words": 240,
                "max_words": 360,
            }),
        ),
        "article_ends" => with(
            brief("ends"),
            json!({"summaries": summaries, "intro_words": 120, "conclusion_words": 90}),
        ),
        "article_meta" => with(brief("meta"), json!({"summaries": summaries})),
        "regenerate_section" => json!({
            "step": "regenerate",
            "title": "How to choose running shoes",
            "heading": "Cushioning and support",
            "instructions": "Make it shorter and add an example.",
            "words": 200,
            "outline": outline,
            "before": "…a wet footprint shows the shape of your arch.",
            "after": "## Trying shoes on\n\nGo to the shop late in the day…",
            "current": "Cushioning protects your joints on long runs…",
            "tone": "friendly",
            "language": "English",
        }),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_renders_with_its_sample() {
        for template in prompts::templates() {
            let rendered = template
                .render(None, &sample_context(template.operation))
                .unwrap_or_else(|e| panic!("{}: {e}", template.id()));
            assert!(!rendered.user.is_empty(), "{}", template.id());
        }
    }

    #[test]
    fn an_override_that_does_not_render_is_refused_with_the_reason() {
        for text in [
            "=== user ===\n{% if %}",
            "=== user ===\nHello {{ nobody }}",
            "no markers",
        ] {
            match check_renders("smoke_test", text) {
                Err(Error::Validation(errors)) => assert!(errors.fields().contains_key("text")),
                other => panic!("{text:?}: {other:?}"),
            }
        }
        assert!(check_renders("smoke_test", "=== user ===\nHi {{ name }}").is_ok());
    }
}
