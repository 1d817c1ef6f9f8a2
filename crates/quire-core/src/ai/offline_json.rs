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
    let capitalised = capitalise(topic);
    let drafted: Vec<Value> = (0..count)
        .map(|n| {
            let index = usize::try_from(n).unwrap_or(0);
            let (pattern, content_type, structure) = IDEA_SHAPES[index % IDEA_SHAPES.len()];
            let mut title = pattern.replace("{topic}", &capitalised);
            if index >= IDEA_SHAPES.len() {
                title.push_str(&format!(" (part {})", index / IDEA_SHAPES.len() + 1));
            }
            let mut outline = vec!["Introduction".to_owned(), format!("What {topic} means")];
            outline.extend(keywords.iter().skip(1).take(4).map(|k| capitalise(k)));
            outline.push("Frequently asked questions".to_owned());
            outline.push("Conclusion".to_owned());
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
            assert!(idea["outline"].as_array().is_some_and(|o| o.len() >= 4));
        }
    }

    #[test]
    fn other_operations_have_no_structured_draft() {
        assert!(draft("outline", &json!({})).is_none());
    }
}
