//! Token counting with a real tokenizer (tiktoken's o200k_base, embedded, works offline).

use super::ChatRequest;
use tiktoken_rs::{CoreBPE, o200k_base_singleton};

/// Tokens the chat format adds around each message (role and separators).
const PER_MESSAGE_OVERHEAD: i64 = 3;
/// Tokens that prime the assistant's reply.
const REPLY_PRIMING: i64 = 3;

fn tokenizer() -> &'static CoreBPE {
    o200k_base_singleton()
}

/// Tokens in `text`; special-token markers in it count as plain text.
pub fn count_tokens(text: &str) -> i64 {
    i64::try_from(tokenizer().count_ordinary(text)).unwrap_or(i64::MAX)
}

/// Upper estimate of a call's tokens before it is made: the system and user messages with the
/// chat format's overhead, plus every output token the request allows.
pub fn estimate_request_tokens(request: &ChatRequest) -> i64 {
    let messages = [&request.system, &request.user]
        .into_iter()
        .map(|text| count_tokens(text) + PER_MESSAGE_OVERHEAD)
        .sum::<i64>();
    messages + REPLY_PRIMING + i64::from(request.max_output_tokens)
}

/// The longest prefix of `text` that fits in `max_tokens`, cut on a character boundary.
pub fn truncate_to_tokens(text: &str, max_tokens: usize) -> &str {
    let tokens = tokenizer().encode_ordinary(text);
    if tokens.len() <= max_tokens {
        return text;
    }
    // Ordinary tokens decode to consecutive byte spans of `text`, so the decoded prefix's length
    // is a byte offset into it.
    let mut end = match tokenizer().decode_bytes(&tokens[..max_tokens]) {
        Ok(bytes) => bytes.len().min(text.len()),
        Err(_) => 0,
    };
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(system: &str, user: &str, max_output_tokens: u32) -> ChatRequest {
        ChatRequest {
            operation: "smoke_test".into(),
            system: system.into(),
            user: user.into(),
            max_output_tokens,
            json: false,
            context: serde_json::Value::Null,
        }
    }

    #[test]
    fn hello_world_is_two_tokens() {
        assert_eq!(count_tokens("hello world"), 2);
        assert_eq!(count_tokens(""), 0);
    }

    #[test]
    fn special_token_markers_count_as_text() {
        assert!(count_tokens("<|endoftext|>") > 1);
    }

    #[test]
    fn a_longer_text_has_more_tokens_than_words_divided_by_two() {
        let text = "Search engine optimisation is the practice of improving a page so that \
                    search engines rank it higher for the queries its readers type.";
        let words = text.split_whitespace().count() as i64;
        let tokens = count_tokens(text);
        assert!(
            tokens >= words / 2 && tokens <= words * 2,
            "{tokens} tokens"
        );
    }

    #[test]
    fn the_estimate_adds_the_chat_overhead_and_the_output_allowance() {
        let estimate = estimate_request_tokens(&request("hello world", "hello world", 100));
        assert_eq!(estimate, 2 + 3 + 2 + 3 + 3 + 100);
    }

    #[test]
    fn truncation_keeps_a_prefix_within_the_budget() {
        let text = "one two three four five six seven eight nine ten";
        assert_eq!(truncate_to_tokens(text, 100), text);
        let cut = truncate_to_tokens(text, 3);
        assert_eq!(cut, "one two three");
        assert_eq!(truncate_to_tokens(text, 0), "");
    }

    #[test]
    fn truncation_never_splits_a_character() {
        let text = "żółć 🦀🦀🦀 naïve café ✓✓✓ 漢字かな交じり文";
        for budget in 0..=count_tokens(text) as usize {
            let cut = truncate_to_tokens(text, budget);
            assert!(text.starts_with(cut));
            assert!(
                count_tokens(cut) <= budget as i64,
                "budget {budget}: {cut:?}"
            );
        }
    }
}
