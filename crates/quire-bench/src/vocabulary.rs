//! Deterministic keyword research text: 100,000 distinct keywords, CSV files and an article.

use std::fmt::Write;

const MODIFIERS: [&str; 20] = [
    "best",
    "cheap",
    "buy",
    "review",
    "top",
    "affordable",
    "professional",
    "used",
    "new",
    "small",
    "large",
    "portable",
    "quiet",
    "durable",
    "lightweight",
    "premium",
    "budget",
    "diy",
    "easy",
    "compact",
];
const SUBJECTS: [&str; 40] = [
    "espresso machine",
    "coffee grinder",
    "running shoes",
    "trail shoes",
    "yoga mat",
    "hiking boots",
    "camping tent",
    "sleeping bag",
    "road bike",
    "electric bike",
    "bike helmet",
    "standing desk",
    "office chair",
    "gaming chair",
    "mechanical keyboard",
    "wireless mouse",
    "laptop stand",
    "noise cancelling headphones",
    "bluetooth speaker",
    "smart watch",
    "fitness tracker",
    "air fryer",
    "stand mixer",
    "chef knife",
    "cast iron skillet",
    "rice cooker",
    "robot vacuum",
    "air purifier",
    "dehumidifier",
    "space heater",
    "garden hose",
    "lawn mower",
    "pressure washer",
    "power drill",
    "tool box",
    "dog bed",
    "cat tree",
    "baby stroller",
    "car seat",
    "travel backpack",
];
const AUDIENCES: [&str; 25] = [
    "for beginners",
    "for kids",
    "for seniors",
    "for women",
    "for men",
    "for small spaces",
    "for travel",
    "for students",
    "for professionals",
    "for apartments",
    "under 100",
    "under 50",
    "under 500",
    "2025",
    "near me",
    "with warranty",
    "on sale",
    "for home",
    "for office",
    "for outdoors",
    "for winter",
    "for summer",
    "in stock",
    "for couples",
    "for families",
];
const FORMS: [&str; 5] = ["", " guide", " reviews", " comparison", " tips"];
const INTENTS: [&str; 5] = [
    "informational",
    "commercial",
    "transactional",
    "navigational",
    "",
];

/// How many distinct keywords [`keyword`] makes before it repeats.
pub const DISTINCT: usize = MODIFIERS.len() * SUBJECTS.len() * AUDIENCES.len() * FORMS.len();

/// A term that matches one keyword in [`SUBJECTS`]`.len()`: the search scenarios use it.
pub const SEARCH: &str = "espresso machine";

/// An article outline, also the `##` sections of [`article_body`].
pub const HEADINGS: [&str; 5] = [
    "What to look for",
    "Our top picks",
    "How we tested",
    "Care and maintenance",
    "Frequently asked questions",
];

/// Keyword `n` (modulo [`DISTINCT`]), e.g. "best espresso machine for beginners guide".
pub fn keyword(n: usize) -> String {
    let n = n % DISTINCT;
    let subject = SUBJECTS[n % SUBJECTS.len()];
    let n = n / SUBJECTS.len();
    let modifier = MODIFIERS[n % MODIFIERS.len()];
    let n = n / MODIFIERS.len();
    let audience = AUDIENCES[n % AUDIENCES.len()];
    let form = FORMS[(n / AUDIENCES.len()) % FORMS.len()];
    format!("{modifier} {subject} {audience}{form}")
}

/// A keyword CSV (`keyword,volume,difficulty,intent`) of keywords `offset..offset + rows`;
/// the rows are distinct while `rows` ≤ [`DISTINCT`].
pub fn csv(offset: usize, rows: usize) -> String {
    let mut file = String::with_capacity(rows * 56 + 32);
    file.push_str("keyword,volume,difficulty,intent\n");
    for n in offset..offset + rows {
        let _ = writeln!(
            file,
            "{},{},{},{}",
            keyword(n),
            10 + (n * 7_919) % 50_000,
            n % 101,
            INTENTS[n % INTENTS.len()],
        );
    }
    file
}

/// A Markdown article of [`HEADINGS`] sections, about 600 words.
pub fn article_body(title: &str) -> String {
    let paragraph = "A good choice balances price, build quality and how often you will use it. \
        Read the specifications, compare the warranty, and look for honest reviews from people \
        who used it for months rather than days. Small details such as noise, weight and the \
        cost of spare parts decide whether you keep it or sell it within a year. ";
    let mut body = format!("# {title}\n\n{paragraph}\n");
    for heading in HEADINGS {
        let _ = write!(body, "\n## {heading}\n\n{paragraph}{paragraph}\n");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn keywords_are_distinct_until_they_wrap() {
        let all: HashSet<String> = (0..DISTINCT).map(keyword).collect();
        assert_eq!(all.len(), DISTINCT);
        assert_eq!(keyword(DISTINCT + 7), keyword(7));
    }

    #[test]
    fn the_search_term_is_a_subject() {
        assert!(keyword(0).contains(SEARCH));
    }
}
