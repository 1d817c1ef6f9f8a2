//! The built-in provider for running without a model: deterministic drafts, labelled as such.

use super::{AiError, ChatRequest, ChatResponse, Provider, tokens};
use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;

/// First line of every offline text draft, and of the `text` of every offline JSON draft.
pub const OFFLINE_LABEL: &str = "> Offline draft — written without an AI model.";

const NAME: &str = "offline";
const MODEL: &str = "offline-draft";
const MAX_PHRASES: usize = 8;
const MAX_PHRASE_CHARS: usize = 100;
const MAX_KEYWORDS: usize = 8;
const STOPWORDS: &[&str] = &[
    "about", "above", "after", "again", "also", "and", "any", "are", "because", "been", "before",
    "being", "below", "between", "both", "but", "can", "could", "does", "doing", "down", "each",
    "few", "for", "from", "further", "have", "having", "here", "how", "into", "its", "just",
    "more", "most", "must", "only", "other", "over", "own", "same", "should", "some", "such",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "through", "under", "until", "very", "was", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "would", "write", "your", "you",
];

/// Answers every request with a draft assembled from the request alone. It never pretends to
/// be a model: its name is `offline`, its model `offline-draft`, and every answer carries
/// [`OFFLINE_LABEL`] (JSON answers also `"offline_draft": true`). The planner's JSON
/// operations get answers in the shape they ask for, drafted from the request's context
/// (`offline_json.rs`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineProvider;

#[async_trait::async_trait]
impl Provider for OfflineProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn model(&self) -> &str {
        MODEL
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, AiError> {
        let started = Instant::now();
        let draft = Draft::from_request(request);
        let budget = usize::try_from(request.max_output_tokens).unwrap_or(usize::MAX);
        let content = if request.json {
            match super::offline_json::draft(&request.operation, &request.context) {
                Some(structured) => structured.to_string(),
                None => draft.json(budget),
            }
        } else {
            draft.text(budget)
        };
        Ok(ChatResponse {
            input_tokens: tokens::count_tokens(&request.system)
                + tokens::count_tokens(&request.user),
            output_tokens: tokens::count_tokens(&content),
            content,
            provider: NAME,
            model: MODEL.to_owned(),
            latency: started.elapsed(),
            attempts: 1,
        })
    }
}

/// What the draft is built from: the operation and the brief's key phrases and keywords.
struct Draft<'a> {
    operation: &'a str,
    phrases: Vec<String>,
    keywords: Vec<String>,
}

impl<'a> Draft<'a> {
    fn from_request(request: &'a ChatRequest) -> Self {
        Self {
            operation: request.operation.trim(),
            phrases: key_phrases(&request.user),
            keywords: keywords(&request.user),
        }
    }

    /// Markdown without the label.
    fn body(&self) -> String {
        let operation = if self.operation.is_empty() {
            "request"
        } else {
            self.operation
        };
        let topic = self.phrases.first().map_or("the brief", String::as_str);
        let mut body = format!(
            "## {operation}: {topic}\n\n\
             This placeholder was assembled from the request alone so that the workflow can be \
             tried end to end. Configure an AI provider to generate real content.\n"
        );
        if !self.phrases.is_empty() {
            body.push_str("\n### Key points from the brief\n\n");
            for phrase in &self.phrases {
                body.push_str(&format!("- {phrase}\n"));
            }
        }
        if !self.keywords.is_empty() {
            body.push_str(&format!("\n### Keywords\n\n{}\n", self.keywords.join(", ")));
        }
        body
    }

    /// The label, then as much of the body as fits in `budget` tokens.
    fn text(&self, budget: usize) -> String {
        labelled(&self.body(), budget)
    }

    /// `{"offline_draft": true, "operation", "text", "key_phrases", "keywords"}`, the text cut to
    /// keep the whole object near `budget` tokens (the lists go first when it is tight).
    fn json(&self, budget: usize) -> String {
        let object = |text: &str, phrases: &[String], keywords: &[String]| {
            json!({
                "offline_draft": true,
                "operation": self.operation,
                "text": text,
                "key_phrases": phrases,
                "keywords": keywords,
            })
            .to_string()
        };
        let body = self.body();
        let full = object(&labelled(&body, usize::MAX), &self.phrases, &self.keywords);
        if tokens::count_tokens(&full) as usize <= budget {
            return full;
        }
        let overhead = tokens::count_tokens(&object("", &[], &[])) as usize;
        object(&labelled(&body, budget.saturating_sub(overhead)), &[], &[])
    }
}

/// [`OFFLINE_LABEL`], a blank line and the part of `body` that fits in what `budget` leaves.
fn labelled(body: &str, budget: usize) -> String {
    let label = format!("{OFFLINE_LABEL}\n\n");
    let room = budget.saturating_sub(tokens::count_tokens(&label) as usize);
    format!("{label}{}", tokens::truncate_to_tokens(body, room))
        .trim_end()
        .to_owned()
        + "\n"
}

/// The brief's distinct non-empty lines, list and heading markers removed, in order.
fn key_phrases(user: &str) -> Vec<String> {
    let mut phrases: Vec<String> = Vec::new();
    for line in user.lines() {
        let phrase = line
            .trim()
            .trim_start_matches(|c: char| {
                matches!(c, '-' | '*' | '#' | '>' | '•') || c.is_whitespace()
            })
            .trim_end_matches(':')
            .trim();
        if phrase.is_empty() || phrases.iter().any(|seen| seen.eq_ignore_ascii_case(phrase)) {
            continue;
        }
        phrases.push(clip_chars(phrase, MAX_PHRASE_CHARS));
        if phrases.len() == MAX_PHRASES {
            break;
        }
    }
    phrases
}

/// The brief's most frequent words of four letters or more, stopwords left out; ties keep the
/// order of first appearance.
fn keywords(user: &str) -> Vec<String> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    let words = user
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|word| word.trim_matches(|c| c == '\'' || c == '-').to_lowercase())
        .filter(|word| word.chars().count() >= 4 && !STOPWORDS.contains(&word.as_str()));
    for (position, word) in words.enumerate() {
        counts.entry(word).or_insert((0, position)).0 += 1;
    }
    let mut ranked: Vec<(String, (usize, usize))> = counts.into_iter().collect();
    ranked.sort_by(|(_, (a_count, a_first)), (_, (b_count, b_first))| {
        b_count.cmp(a_count).then(a_first.cmp(b_first))
    });
    ranked
        .into_iter()
        .take(MAX_KEYWORDS)
        .map(|(word, _)| word)
        .collect()
}

fn clip_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", text[..end].trim_end()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: bool, max_output_tokens: u32) -> ChatRequest {
        ChatRequest {
            operation: "outline".into(),
            system: "You are an SEO writer. Answer in JSON when asked.".into(),
            user: "Topic: best trail running shoes\n\
                   - Audience: beginner trail runners\n\
                   - Keyword: trail running shoes\n\
                   - Compare cushioning, grip and durability of trail running shoes\n"
                .into(),
            max_output_tokens,
            json,
            context: serde_json::Value::Null,
        }
    }

    #[tokio::test]
    async fn the_same_request_gets_the_same_labelled_text() {
        let provider = OfflineProvider;
        let first = provider
            .complete(&request(false, 500))
            .await
            .expect("draft");
        let second = provider
            .complete(&request(false, 500))
            .await
            .expect("draft");
        assert_eq!(first.content, second.content);
        assert!(
            first.content.starts_with(OFFLINE_LABEL),
            "{}",
            first.content
        );
        assert!(first.content.contains("best trail running shoes"));
        assert!(first.content.contains("Audience: beginner trail runners"));
        assert_eq!(first.provider, "offline");
        assert_eq!(first.model, "offline-draft");
        assert_eq!(provider.name(), "offline");
        assert_eq!(provider.model(), "offline-draft");
        assert_eq!(first.attempts, 1);
    }

    #[tokio::test]
    async fn token_counts_are_those_of_the_prompt_and_the_draft() {
        let req = request(false, 500);
        let response = OfflineProvider.complete(&req).await.expect("draft");
        assert_eq!(
            response.input_tokens,
            tokens::count_tokens(&req.system) + tokens::count_tokens(&req.user)
        );
        assert_eq!(
            response.output_tokens,
            tokens::count_tokens(&response.content)
        );
        assert!(response.output_tokens > 20);
    }

    #[tokio::test]
    async fn json_mode_answers_a_labelled_object() {
        let response = OfflineProvider
            .complete(&request(true, 500))
            .await
            .expect("draft");
        let value: serde_json::Value = serde_json::from_str(&response.content).expect("json");
        assert_eq!(value["offline_draft"], true);
        assert_eq!(value["operation"], "outline");
        let text = value["text"].as_str().expect("text");
        assert!(text.starts_with(OFFLINE_LABEL));
        assert!(text.contains("trail running shoes"));
        assert_eq!(value["key_phrases"][0], "Topic: best trail running shoes");
        assert_eq!(value["keywords"][0], "trail");
        let again = OfflineProvider
            .complete(&request(true, 500))
            .await
            .expect("draft");
        assert_eq!(response.content, again.content);
    }

    #[tokio::test]
    async fn a_small_output_allowance_shortens_the_draft_but_keeps_the_label() {
        for json in [false, true] {
            let full = OfflineProvider
                .complete(&request(json, 4000))
                .await
                .expect("draft");
            let short = OfflineProvider
                .complete(&request(json, 40))
                .await
                .expect("draft");
            assert!(short.output_tokens < full.output_tokens);
            assert!(short.output_tokens <= 45, "{} tokens", short.output_tokens);
            assert!(short.content.contains(OFFLINE_LABEL));
            if json {
                let value: serde_json::Value =
                    serde_json::from_str(&short.content).expect("still json");
                assert_eq!(value["offline_draft"], true);
            }
        }
    }

    #[test]
    fn keywords_rank_by_frequency_then_first_appearance() {
        let words = keywords("Shoes for trail running. Trail shoes need grip; the grip matters.");
        assert_eq!(words[..3], ["shoes", "trail", "grip"]);
        assert!(!words.contains(&"the".to_owned()));
    }

    #[test]
    fn key_phrases_drop_markers_and_duplicates() {
        let phrases = key_phrases("# Title\n\n- one\n* One\n> two:\n");
        assert_eq!(phrases, ["Title", "one", "two"]);
    }
}
