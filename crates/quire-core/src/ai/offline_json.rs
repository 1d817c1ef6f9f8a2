//! The offline provider's answers to the planner's JSON operations, drafted from the facts the
//! prompt was written from (`ChatRequest::context`), in the shape the operation asks for and
//! marked `"offline_draft": true` with the offline label in what people read.

use super::offline::OFFLINE_LABEL;
use crate::planner::clustering::{self, KeywordInput, Options};
use serde_json::{Value, json};

/// The draft for `operation`, or `None` when the operation has no structured draft.
pub(super) fn draft(operation: &str, context: &Value) -> Option<Value> {
    match operation {
        "auto_cluster_ai" if context.get("clusters").is_some() => {
            Some(json!({"offline_draft": true, "merges": []}))
        }
        "auto_cluster_ai" => Some(clusters(context)),
        // The local groups stand as they are.
        "auto_cluster_hybrid" => Some(json!({"offline_draft": true, "clusters": []})),
        "generate_ideas" => Some(ideas(context)),
        "generate_article" | "regenerate_section" => article_step(context),
        _ => None,
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The keywords grouped by Quire's local algorithm.
fn clusters(context: &Value) -> Value {
    let texts = strings(&context["keywords"]);
    let inputs: Vec<KeywordInput> = texts
        .iter()
        .zip(0_i64..)
        .map(|(text, id)| KeywordInput {
            id,
            text: (*text).to_owned(),
            volume: 0,
        })
        .collect();
    let found: Vec<Value> = clustering::cluster(&inputs, &Options::default())
        .into_iter()
        .map(|cluster| {
            let members: Vec<&str> = cluster
                .keyword_ids
                .iter()
                .filter_map(|id| usize::try_from(*id).ok().and_then(|i| texts.get(i)))
                .copied()
                .collect();
            json!({
                "name": cluster.name,
                "description": format!("{OFFLINE_LABEL} Grouped by shared words."),
                "keywords": members,
            })
        })
        .collect();
    json!({"offline_draft": true, "clusters": found})
}

/// Title pattern, content type and structure of the drafted ideas, in turn.
const IDEA_SHAPES: &[(&str, &str, &str)] = &[
    (
        "{topic}: the complete guide",
        "guide",
        "comprehensive guide",
    ),
    ("How to choose {topic}", "how_to", "step-by-step"),
    ("7 things to know about {topic}", "listicle", "list"),
    (
        "{topic} compared: options and trade-offs",
        "comparison",
        "comparison",
    ),
    ("{topic} explained", "article", "problem-solution"),
    ("{topic}: an honest review", "review", "pros and cons"),
];

/// `count` ideas built from the cluster's name and keywords.
fn ideas(context: &Value) -> Value {
    let keywords = strings(&context["keywords"]);
    let cluster = context["cluster"].as_str().unwrap_or("this topic");
    let topic = keywords.first().copied().unwrap_or(cluster);
    let count = context["count"].as_u64().unwrap_or(3).clamp(1, 20);
    let drafted: Vec<Value> = (0..count)
        .map(|n| {
            let index = usize::try_from(n).unwrap_or(0);
            let (pattern, content_type, structure) = IDEA_SHAPES[index % IDEA_SHAPES.len()];
            let mut title = capitalise(&pattern.replace("{topic}", topic));
            if index >= IDEA_SHAPES.len() {
                title.push_str(&format!(" (part {})", index / IDEA_SHAPES.len() + 1));
            }
            let mut outline = vec![capitalise(&format!("What {topic} means"))];
            outline.extend(keywords.iter().skip(1).take(4).map(|k| capitalise(k)));
            outline.push("Frequently asked questions".to_owned());
            json!({
                "title": title,
                "description": format!(
                    "{OFFLINE_LABEL} A {} for people searching \"{topic}\", built from the \
                     cluster \"{cluster}\".",
                    content_type.replace('_', "-")
                ),
                "outline": outline,
                "content_type": content_type,
                "content_structure": structure,
                "target_keywords": keywords.iter().take(4).collect::<Vec<_>>(),
                "estimated_words": 1500,
            })
        })
        .collect();
    json!({"offline_draft": true, "ideas": drafted})
}

/// One step of the article pipeline (`context.step`), at the length it asks for.
fn article_step(context: &Value) -> Option<Value> {
    let title = context["title"].as_str().unwrap_or("this article");
    let keywords = strings(&context["keywords"]);
    let topic = keywords.first().copied().unwrap_or(title);
    let words = |key: &str| {
        context[key]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(150)
    };
    let answer = match context["step"].as_str()? {
        "outline" => {
            let count = words("sections").clamp(1, 12);
            let mut outline: Vec<String> = keywords.iter().skip(1).map(|k| capitalise(k)).collect();
            for generic in [
                format!("What {topic} means"),
                format!("How {topic} works"),
                "Choosing well".to_owned(),
                "Common mistakes".to_owned(),
                "Getting started".to_owned(),
                "Frequently asked questions".to_owned(),
            ] {
                outline.push(generic);
            }
            outline.truncate(count);
            json!({"outline": outline})
        }
        "section" => {
            let heading = context["heading"].as_str().unwrap_or("This section");
            json!({
                "text": filler(heading, topic, words("words")),
                "summary": format!("Covers {heading}."),
            })
        }
        "ends" => json!({
            "introduction": format!(
                "{OFFLINE_LABEL}\n\n{}",
                filler(title, topic, words("intro_words"))
            ),
            "conclusion": filler("the key points", topic, words("conclusion_words")),
        }),
        "meta" => json!({
            "title": title,
            "meta_title": format!("Offline draft: {title}"),
            "meta_description": format!(
                "Offline draft written without an AI model: {title}. Configure an AI provider \
                 for real content."
            ),
        }),
        "regenerate" => {
            let heading = context["heading"].as_str().unwrap_or("This section");
            let instructions = context["instructions"].as_str().unwrap_or_default();
            let note = if instructions.is_empty() {
                "*Offline draft rewrite.*".to_owned()
            } else {
                format!("*Offline draft rewrite, asked: {instructions}*")
            };
            json!({"text": format!("{note}\n\n{}", filler(heading, topic, words("words")))})
        }
        _ => return None,
    };
    let mut answer = answer;
    answer["offline_draft"] = json!(true);
    Some(answer)
}

/// Placeholder prose of about `words` words about `heading` and `topic`, in paragraphs.
fn filler(heading: &str, topic: &str, words: usize) -> String {
    let sentences = [
        format!("This part of the draft is about {heading}."),
        format!(
            "It was assembled without an AI model, so it only marks where writing about {topic} goes."
        ),
        "A real draft would explain the idea, give an example and say what to do next.".to_owned(),
        format!("Readers looking for {topic} want clear answers they can act on."),
        "Replace this text, or configure an AI provider and generate the article again.".to_owned(),
    ];
    let mut text = String::new();
    let mut count = 0;
    let mut n = 0;
    while count < words {
        let sentence = &sentences[n % sentences.len()];
        count += sentence.split_whitespace().count();
        text.push_str(sentence);
        n += 1;
        text.push_str(if n % 4 == 0 { "\n\n" } else { " " });
    }
    text.trim().to_owned()
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clustering_drafts_place_every_keyword_once() {
        let keywords = [
            "running shoes",
            "best running shoes",
            "sourdough starter",
            "sourdough starter recipe",
        ];
        let answer = draft(
            "auto_cluster_ai",
            &json!({"keywords": keywords, "existing": []}),
        )
        .expect("a draft");
        assert_eq!(answer["offline_draft"], true);
        let mut placed: Vec<&str> = answer["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .flat_map(|c| strings(&c["keywords"]))
            .collect();
        placed.sort_unstable();
        let mut expected = keywords.to_vec();
        expected.sort_unstable();
        assert_eq!(placed, expected);
        assert_eq!(answer["clusters"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn idea_drafts_are_labelled_and_complete() {
        let answer = draft(
            "generate_ideas",
            &json!({"cluster": "Sourdough", "keywords": ["sourdough starter", "feeding a starter"], "count": 8}),
        )
        .expect("a draft");
        let ideas = answer["ideas"].as_array().expect("ideas");
        assert_eq!(ideas.len(), 8);
        assert_eq!(ideas[0]["title"], "Sourdough starter: the complete guide");
        assert!(
            ideas[7]["title"]
                .as_str()
                .is_some_and(|t| t.ends_with("(part 2)"))
        );
        for idea in ideas {
            assert!(
                idea["description"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(OFFLINE_LABEL))
            );
            assert!(idea["outline"].as_array().is_some_and(|o| o.len() >= 3));
        }
    }

    #[test]
    fn article_steps_are_drafted_at_the_length_asked() {
        let section = draft(
            "generate_article",
            &json!({"step": "section", "heading": "Fit", "title": "Shoes", "keywords": ["running shoes"], "words": 200}),
        )
        .expect("a draft");
        let words = section["text"]
            .as_str()
            .expect("text")
            .split_whitespace()
            .count();
        assert!((200..230).contains(&words), "{words}");
        let ends = draft(
            "generate_article",
            &json!({"step": "ends", "title": "Shoes", "intro_words": 80, "conclusion_words": 70}),
        )
        .expect("a draft");
        assert!(
            ends["introduction"]
                .as_str()
                .is_some_and(|t| t.starts_with(OFFLINE_LABEL))
        );
        let outline = draft(
            "generate_article",
            &json!({"step": "outline", "title": "Shoes", "sections": 4}),
        )
        .expect("a draft");
        assert_eq!(outline["outline"].as_array().map(Vec::len), Some(4));
    }

    #[test]
    fn other_operations_have_no_structured_draft() {
        assert!(draft("outline", &json!({})).is_none());
    }
}
