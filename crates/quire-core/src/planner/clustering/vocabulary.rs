//! The word lists: stop words, SEO modifiers, phrases and synonyms for common variants.

/// How much a modifier counts next to a topic word of the same rarity.
pub(super) const MODIFIER_WEIGHT: f64 = 0.12;

/// Words that carry no topic at all; dropped before weighting.
pub(super) const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "between", "both", "but", "by", "can", "cant", "could", "did", "do",
    "does", "doesnt", "dont", "during", "each", "else", "every", "for", "from", "get", "gets",
    "getting", "got", "had", "has", "have", "he", "her", "here", "him", "his", "i", "if", "im",
    "in", "into", "is", "isnt", "it", "its", "ive", "just", "me", "more", "most", "much", "my",
    "need", "no", "not", "of", "off", "on", "or", "other", "our", "out", "over", "own", "per", "s",
    "same", "she", "should", "so", "some", "such", "t", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "through", "to", "too", "under", "up", "us",
    "very", "was", "we", "were", "will", "with", "without", "would", "you", "your",
];

/// Words that say how someone searches rather than what for: weighted down strongly.
pub(super) const MODIFIERS: &[&str] = &[
    // Quality and ranking.
    "best",
    "top",
    "good",
    "great",
    "better",
    "rated",
    "rating",
    "review",
    "recommended",
    "popular",
    "worth",
    "pros",
    "cons",
    "ultimate",
    "new",
    "latest",
    "official",
    // Price.
    "cheap",
    "cost",
    "deal",
    "discount",
    "coupon",
    "sale",
    "buy",
    "free",
    "shop",
    // Place.
    "near",
    "nearby",
    "local",
    "online",
    // Questions and formats.
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "vs",
    "guide",
    "tips",
    "ideas",
    "example",
    "list",
    "meaning",
    "definition",
    "tutorial",
    "checklist",
    "reddit",
    "compare",
    "comparison",
    "alternative",
    "type",
    // Audience and difficulty.
    "beginner",
    "easy",
    "simple",
    "quick",
    "men",
    "women",
    "kid",
    "adult",
    "senior",
];

/// Multi-word variants read as one word.
pub(super) const PHRASES: &[(&[&str], &str)] = &[
    (&["how", "long"], "howlong"),
    (&["how", "much"], "howmuch"),
    (&["how", "many"], "howmany"),
    (&["how", "often"], "howoften"),
    (&["e", "bike"], "ebike"),
    (&["electric", "bike"], "ebike"),
    (&["electric", "bicycle"], "ebike"),
    (&["t", "shirt"], "tshirt"),
    (&["tee", "shirt"], "tshirt"),
    (&["wi", "fi"], "wifi"),
    (&["cell", "phone"], "phone"),
    (&["mobile", "phone"], "phone"),
];

/// Common variants and the word they stand for (compared after stemming).
pub(super) const SYNONYMS: &[(&str, &str)] = &[
    ("auto", "car"),
    ("automobile", "car"),
    ("vehicle", "car"),
    ("affordable", "cheap"),
    ("budget", "cheap"),
    ("inexpensive", "cheap"),
    ("cheapest", "cheap"),
    ("purchase", "buy"),
    ("attorney", "lawyer"),
    ("solicitor", "lawyer"),
    ("physician", "doctor"),
    ("dr", "doctor"),
    ("veterinarian", "vet"),
    ("television", "tv"),
    ("smartphone", "phone"),
    ("cellphone", "phone"),
    ("couch", "sofa"),
    ("child", "kid"),
    ("children", "kid"),
    ("bicycle", "bike"),
    ("refrigerator", "fridge"),
    ("film", "movie"),
    ("house", "home"),
    ("fix", "repair"),
    ("price", "cost"),
    ("pricing", "cost"),
    ("versus", "vs"),
    ("sneaker", "shoe"),
    ("picture", "photo"),
    ("pic", "photo"),
    ("photograph", "photo"),
    ("woman", "women"),
    ("womens", "women"),
    ("lady", "women"),
    ("ladies", "women"),
    ("man", "men"),
    ("mens", "men"),
    ("renovation", "remodel"),
    ("renovate", "remodel"),
    ("newbie", "beginner"),
    ("novice", "beginner"),
    ("maker", "machine"),
    ("lesson", "class"),
    ("lose", "loss"),
    ("rent", "rental"),
    ("reviewed", "review"),
];

/// A year such as 2026: searched as a freshness modifier.
pub(super) fn is_year(word: &str) -> bool {
    word.len() == 4
        && word.bytes().all(|b| b.is_ascii_digit())
        && (word.starts_with("19") || word.starts_with("20"))
}
