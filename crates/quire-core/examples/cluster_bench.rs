//! Times local keyword clustering on synthetic keyword research (10,000 and 100,000 keywords
//! by default) and prints the peak resident memory after each run.
//!
//! `cargo run --release -p quire-core --example cluster_bench [--threshold=T] [sizes…]`
//!
//! The keywords combine topic words, facets, modifiers, audiences and synonyms with a seeded
//! RNG, so every run sees the same input. Peak RSS is the process's high-water mark (VmHWM),
//! input included, so each figure also covers the runs before it. The ARI against the
//! generating topics is a sanity check, not a quality figure: the topics are random subject ×
//! object pairs, many one word apart, so the labels are only a rough truth.

use quire_core::planner::clustering::{KeywordInput, Options, adjusted_rand_index, cluster};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::error::Error;
use std::time::Instant;

const SUBJECTS: &[&[&str]] = &[
    &["running"],
    &["trail running"],
    &["hiking"],
    &["yoga"],
    &["coffee"],
    &["espresso"],
    &["dog", "puppy"],
    &["cat", "kitten"],
    &["kitchen"],
    &["bathroom"],
    &["garden"],
    &["car", "auto", "vehicle"],
    &["home", "house"],
    &["travel"],
    &["wedding"],
    &["baby"],
    &["gaming"],
    &["office"],
    &["camping"],
    &["fishing"],
    &["golf"],
    &["tennis"],
    &["ski"],
    &["cycling"],
    &["bike", "bicycle"],
    &["electric bike", "e bike", "ebike"],
    &["solar"],
    &["water"],
    &["air"],
    &["wood"],
    &["leather"],
    &["wireless"],
    &["bluetooth"],
    &["smart"],
    &["vegan"],
    &["keto"],
    &["protein"],
    &["organic"],
    &["vintage"],
    &["patio"],
    &["pool"],
    &["boat"],
    &["motorcycle"],
    &["truck"],
    &["laptop"],
    &["phone", "smartphone"],
    &["tv", "television"],
    &["sofa", "couch"],
    &["bed"],
    &["mattress"],
    &["pillow"],
    &["lamp"],
    &["window"],
    &["roof"],
    &["deck"],
    &["fence"],
    &["lawn"],
    &["pet"],
    &["horse"],
    &["aquarium"],
    &["bird"],
    &["wine"],
    &["beer"],
    &["tea"],
    &["bread"],
    &["pizza"],
    &["pasta"],
    &["chicken"],
    &["salmon"],
    &["steak"],
    &["cake"],
    &["cookie"],
    &["chocolate"],
    &["skin care"],
    &["hair"],
    &["nail"],
    &["makeup"],
    &["perfume"],
    &["jewelry"],
    &["guitar"],
    &["piano"],
    &["drum"],
    &["photo", "picture"],
    &["video"],
    &["drone"],
    &["printer"],
    &["router"],
];

const OBJECTS: &[&[&str]] = &[
    &["shoes", "sneakers"],
    &["boots"],
    &["watch"],
    &["mat"],
    &["machine", "maker"],
    &["grinder"],
    &["food"],
    &["training"],
    &["insurance"],
    &["remodel", "renovation"],
    &["lights"],
    &["chair"],
    &["desk"],
    &["table"],
    &["backpack"],
    &["tent"],
    &["jacket"],
    &["headphones"],
    &["speaker"],
    &["camera"],
    &["lawyer", "attorney"],
    &["recipe"],
    &["classes", "lessons"],
    &["bag"],
    &["bottle"],
    &["filter"],
    &["heater"],
    &["pump"],
    &["panels"],
    &["cleaner"],
    &["charger"],
    &["case"],
    &["rack"],
    &["stand"],
    &["cover"],
    &["toys"],
    &["collar"],
    &["repair", "fix"],
    &["cleaning"],
    &["storage"],
    &["organizer"],
    &["kit"],
    &["set"],
    &["accessories"],
    &["parts"],
    &["rental"],
    &["installation"],
    &["service"],
    &["subscription"],
    &["app"],
    &["software"],
    &["course"],
    &["book"],
    &["magazine"],
    &["festival"],
    &["tour"],
    &["club"],
];

const FACETS: &[&str] = &[
    "waterproof",
    "lightweight",
    "wide",
    "small",
    "large",
    "portable",
    "stainless steel",
    "foldable",
    "adjustable",
    "heated",
    "insulated",
    "compact",
    "heavy duty",
    "quiet",
    "rechargeable",
    "ceramic",
    "bamboo",
    "glass",
    "metal",
    "plastic",
    "cotton",
    "wool",
    "silicone",
    "memory foam",
    "4k",
    "wifi",
    "usb c",
    "12v",
    "24 inch",
    "king size",
    "twin",
    "queen",
    "round",
    "square",
    "black",
    "white",
    "blue",
    "pink",
    "red",
    "green",
    "grey",
    "gold",
    "silver",
    "custom",
    "personalized",
    "handmade",
    "luxury",
    "commercial",
    "industrial",
    "professional",
    "mini",
    "xl",
    "double",
    "single",
    "automatic",
    "manual",
    "digital",
    "analog",
    "vintage style",
    "modern",
    "rustic",
    "minimalist",
    "ergonomic",
    "non toxic",
    "eco friendly",
    "recycled",
    "gluten free",
    "sugar free",
    "low carb",
    "high protein",
    "dairy free",
    "spicy",
    "sweet",
    "frozen",
    "fresh",
    "dried",
    "raw",
    "used",
    "refurbished",
    "second hand",
    "wholesale",
    "bulk",
    "replacement",
    "spare",
    "outdoor",
    "indoor",
    "wall mounted",
    "ceiling",
    "floor",
    "under sink",
    "countertop",
    "built in",
    "freestanding",
    "cordless",
    "corded",
    "solar powered",
    "battery powered",
];

const PREFIXES: &[&str] = &[
    "best",
    "top",
    "cheap",
    "affordable",
    "budget",
    "buy",
    "how to choose",
    "how to clean",
    "how to use",
    "what is the best",
    "where to buy",
    "top rated",
    "cheapest",
    "free",
    "diy",
    "how much is a",
    "easy",
    "new",
];

const SUFFIXES: &[&str] = &[
    "near me",
    "2026",
    "2025",
    "reviews",
    "review",
    "for sale",
    "online",
    "price",
    "cost",
    "deals",
    "guide",
    "ideas",
    "tips",
    "for beginners",
    "comparison",
    "reddit",
    "uk",
    "amazon",
    "brands",
    "sale",
    "coupon",
    "vs",
    "alternatives",
    "problems",
    "size chart",
];

const AUDIENCES: &[&str] = &[
    "for women",
    "for men",
    "for kids",
    "womens",
    "mens",
    "for seniors",
    "for adults",
    "for small spaces",
    "for home",
    "for travel",
    "for beginners",
    "for professionals",
];

struct Generated {
    keywords: Vec<KeywordInput>,
    topics: Vec<usize>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut options = Options::default();
    let mut sizes: Vec<usize> = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.strip_prefix("--threshold=") {
            Some(threshold) => options.threshold = threshold.parse()?,
            None => sizes.push(arg.parse()?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    for size in sizes {
        let generated = generate(size, 2026);
        let started = Instant::now();
        let clusters = cluster(&generated.keywords, &options);
        let elapsed = started.elapsed();
        let mut predicted = vec![0; generated.keywords.len()];
        for (c, cluster) in clusters.iter().enumerate() {
            for &id in &cluster.keyword_ids {
                predicted[id as usize] = c;
            }
        }
        println!(
            "{size:>7} keywords: {:>7.3} s, {:>6} clusters, peak RSS {:>6.1} MiB, \
             ARI vs generator {:.3}",
            elapsed.as_secs_f64(),
            clusters.len(),
            peak_rss_kib()? as f64 / 1024.0,
            adjusted_rand_index(&generated.topics, &predicted),
        );
    }
    Ok(())
}

/// `count` distinct keywords over about `count / 20` topics of varied size.
fn generate(count: usize, seed: u64) -> Generated {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut topics: Vec<(usize, usize, Vec<&str>)> = Vec::new();
    let mut seen_topics = HashSet::new();
    // About 20 keywords a topic, using at most 60% of the subject × object pairs.
    let wanted = count
        .div_ceil(20)
        .min(SUBJECTS.len() * OBJECTS.len() * 3 / 5);
    while topics.len() < wanted {
        let subject = rng.random_range(0..SUBJECTS.len());
        let object = rng.random_range(0..OBJECTS.len());
        if SUBJECTS[subject][0] == OBJECTS[object][0] || !seen_topics.insert((subject, object)) {
            continue;
        }
        let facets = (0..rng.random_range(2..7))
            .filter_map(|_| FACETS.choose(&mut rng).copied())
            .collect();
        topics.push((subject, object, facets));
    }
    let mut texts = HashSet::new();
    let mut generated = Generated {
        keywords: Vec::with_capacity(count),
        topics: Vec::with_capacity(count),
    };
    while generated.keywords.len() < count {
        // Skewed towards the first topics, as real research has a few big themes.
        let topic =
            ((rng.random::<f64>().powi(2) * topics.len() as f64) as usize).min(topics.len() - 1);
        let (subject, object, facets) = &topics[topic];
        let mut words: Vec<&str> = Vec::new();
        if rng.random_bool(0.35) {
            words.extend(PREFIXES.choose(&mut rng));
        }
        if rng.random_bool(0.45) {
            words.extend(facets.choose(&mut rng));
        }
        words.extend(SUBJECTS[*subject].choose(&mut rng));
        words.extend(OBJECTS[*object].choose(&mut rng));
        if rng.random_bool(0.2) {
            words.extend(AUDIENCES.choose(&mut rng));
        }
        if rng.random_bool(0.4) {
            words.extend(SUFFIXES.choose(&mut rng));
        }
        let text = words.join(" ");
        if texts.insert(text.clone()) {
            generated.keywords.push(KeywordInput {
                id: generated.keywords.len() as i64,
                text,
                volume: 10 * rng.random_range(1..=1_000) * rng.random_range(1..=10),
            });
            generated.topics.push(topic);
        }
    }
    generated
}

/// The process's peak resident set size (VmHWM), in KiB.
fn peak_rss_kib() -> Result<u64, Box<dyn Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("empty VmHWM")?
        .parse()?)
}
