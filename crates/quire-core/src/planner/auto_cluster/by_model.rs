//! The `ai` method: the model groups and names the keywords batch by batch; each answer is
//! checked (every keyword once and verbatim, unknown ones dropped), keywords it missed are
//! asked for once more, a merge pass joins clusters of different batches, and whatever the
//! model still left out is grouped locally so every keyword lands in exactly one cluster.

use super::{
    groups::{Group, Lookup, MAX_DESCRIPTION_CHARS, clean_text, name_or},
    local,
};
use crate::{
    Error,
    ai::ChatRequest,
    db::Db,
    jobs::assistant::{Assistant, json_request},
    jobs::worker::JobError,
    planner::clustering::KeywordInput,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

pub const OPERATION: &str = "auto_cluster_ai";
const TEMPLATE: &str = "auto_cluster_ai";
const MERGE_TEMPLATE: &str = "auto_cluster_merge";
/// Keywords per model call: small enough for the answer to echo every keyword reliably.
pub const BATCH_KEYWORDS: usize = 150;
/// Example keywords shown per cluster in the merge pass.
const MERGE_EXAMPLES: usize = 2;

/// What the method produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub groups: Vec<Group>,
    /// Keywords the model left out twice, grouped locally instead.
    pub placed_locally: usize,
}

/// Output tokens allowed for an answer grouping `keywords` keywords: each is echoed once
/// (about 8 tokens with its quotes), plus names and descriptions.
fn answer_budget(keywords: usize) -> u32 {
    u32::try_from(keywords * 12 + 400).unwrap_or(u32::MAX)
}

fn merge_budget(clusters: usize) -> u32 {
    u32::try_from(clusters * 10 + 200).unwrap_or(u32::MAX)
}

fn batch_vars(batch: &[&KeywordInput], existing: &[String]) -> Value {
    json!({
        "keywords": batch.iter().map(|k| k.text.as_str()).collect::<Vec<_>>(),
        "existing": existing,
    })
}

fn merge_vars(clusters: &[(String, Vec<&str>)]) -> Value {
    let listed: Vec<Value> = clusters
        .iter()
        .enumerate()
        .map(
            |(index, (name, examples))| json!({"index": index, "name": name, "examples": examples}),
        )
        .collect();
    json!({ "clusters": listed })
}

/// The calls the method will make for `keywords` when the model answers well: one per batch,
/// and the merge pass (sized as if each batch gave a cluster per four keywords). The
/// estimate reserved before the job runs is priced from these.
pub async fn planned_requests(
    db: &Db,
    keywords: &[KeywordInput],
) -> Result<Vec<ChatRequest>, Error> {
    let mut requests = Vec::new();
    let mut stand_ins = Vec::new();
    for batch in keywords.chunks(BATCH_KEYWORDS) {
        let shown: Vec<&KeywordInput> = batch.iter().collect();
        requests.push(
            json_request(
                Some(db),
                TEMPLATE,
                OPERATION,
                batch_vars(&shown, &[]),
                answer_budget(batch.len()),
            )
            .await?,
        );
        for four in batch.chunks(4) {
            let examples = four.iter().take(MERGE_EXAMPLES).map(|k| k.text.as_str());
            stand_ins.push((four[0].text.clone(), examples.collect()));
        }
    }
    if requests.len() > 1 {
        requests.push(
            json_request(
                Some(db),
                MERGE_TEMPLATE,
                OPERATION,
                merge_vars(&stand_ins),
                merge_budget(stand_ins.len()),
            )
            .await?,
        );
    }
    Ok(requests)
}

/// Groups `keywords` with the model.
pub async fn cluster(
    assistant: &dyn Assistant,
    keywords: &[KeywordInput],
) -> Result<Outcome, JobError> {
    let texts: HashMap<i64, &str> = keywords.iter().map(|k| (k.id, k.text.as_str())).collect();
    let batches: Vec<&[KeywordInput]> = keywords.chunks(BATCH_KEYWORDS).collect();
    let mut outcome = Outcome::default();
    let mut left_out: Vec<KeywordInput> = Vec::new();
    for (n, batch) in batches.iter().enumerate() {
        let percent = 5 + i32::try_from(80 * n / batches.len()).unwrap_or(80);
        assistant
            .progress(
                percent,
                &format!("Grouping batch {} of {}", n + 1, batches.len()),
            )
            .await?;
        let mut taken = HashSet::new();
        let shown: Vec<&KeywordInput> = batch.iter().collect();
        let answer = ask(assistant, &shown, &[]).await?;
        let mut found = read_groups(&answer, &Lookup::new(batch.iter()), &mut taken, &texts);
        let missed: Vec<&KeywordInput> = batch.iter().filter(|k| !taken.contains(&k.id)).collect();
        if !missed.is_empty() {
            let names: Vec<String> = found.iter().map(|g| g.name.clone()).collect();
            let answer = ask(assistant, &missed, &names).await?;
            let repaired = read_groups(
                &answer,
                &Lookup::new(missed.iter().copied()),
                &mut taken,
                &texts,
            );
            join_by_name(&mut found, repaired);
        }
        left_out.extend(batch.iter().filter(|k| !taken.contains(&k.id)).cloned());
        outcome.groups.extend(found);
    }
    if batches.len() > 1 && outcome.groups.len() > 1 {
        assistant
            .progress(85, "Merging clusters across batches")
            .await?;
        let listed: Vec<(String, Vec<&str>)> = outcome
            .groups
            .iter()
            .map(|g| {
                let examples = g.keyword_ids.iter().take(MERGE_EXAMPLES);
                (g.name.clone(), examples.map(|id| texts[id]).collect())
            })
            .collect();
        let db = assistant.prompts_db();
        let request = json_request(
            db,
            MERGE_TEMPLATE,
            OPERATION,
            merge_vars(&listed),
            merge_budget(listed.len()),
        )
        .await?;
        let answer = assistant.ask_json(&request).await?;
        outcome.groups = apply_merges(std::mem::take(&mut outcome.groups), &answer);
    }
    outcome.placed_locally = left_out.len();
    if !left_out.is_empty() {
        outcome.groups.extend(local::group(&left_out));
    }
    Ok(outcome)
}

async fn ask(
    assistant: &dyn Assistant,
    shown: &[&KeywordInput],
    existing: &[String],
) -> Result<Value, JobError> {
    let request = json_request(
        assistant.prompts_db(),
        TEMPLATE,
        OPERATION,
        batch_vars(shown, existing),
        answer_budget(shown.len()),
    )
    .await?;
    assistant.ask_json(&request).await
}

/// The answer's clusters with the keywords it may claim; a cluster left empty is dropped.
fn read_groups(
    answer: &Value,
    lookup: &Lookup,
    taken: &mut HashSet<i64>,
    texts: &HashMap<i64, &str>,
) -> Vec<Group> {
    let mut groups = Vec::new();
    for cluster in answer["clusters"].as_array().into_iter().flatten() {
        let keyword_ids = lookup.claim(&cluster["keywords"], taken);
        let Some(first) = keyword_ids.first() else {
            continue;
        };
        groups.push(Group {
            name: name_or(&cluster["name"], texts[first]),
            description: clean_text(&cluster["description"], MAX_DESCRIPTION_CHARS),
            keyword_ids,
        });
    }
    groups
}

/// Adds `more` to `groups`, joining a group of the same name (ignoring case).
fn join_by_name(groups: &mut Vec<Group>, more: Vec<Group>) {
    for group in more {
        let same = groups
            .iter_mut()
            .find(|g| g.name.to_lowercase() == group.name.to_lowercase());
        match same {
            Some(existing) => existing.keyword_ids.extend(group.keyword_ids),
            None => groups.push(group),
        }
    }
}

/// Joins the groups the merge answer lists together; numbers out of range or used twice are
/// ignored, and a merge needs two groups at least.
fn apply_merges(groups: Vec<Group>, answer: &Value) -> Vec<Group> {
    let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    let mut merged = Vec::new();
    for merge in answer["merges"].as_array().into_iter().flatten() {
        let mut indexes: Vec<usize> = Vec::new();
        for index in merge["clusters"].as_array().into_iter().flatten() {
            if let Some(i) = index.as_u64().and_then(|i| usize::try_from(i).ok())
                && slots.get(i).is_some_and(Option::is_some)
                && !indexes.contains(&i)
            {
                indexes.push(i);
            }
        }
        if indexes.len() < 2 {
            continue;
        }
        let mut parts = indexes.iter().filter_map(|&i| slots[i].take());
        let Some(mut first) = parts.next() else {
            continue;
        };
        for part in parts {
            first.keyword_ids.extend(part.keyword_ids);
        }
        first.name = name_or(&merge["name"], &first.name);
        merged.push(first);
    }
    merged.extend(slots.into_iter().flatten());
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, ids: &[i64]) -> Group {
        Group {
            name: name.to_owned(),
            description: String::new(),
            keyword_ids: ids.to_vec(),
        }
    }

    #[test]
    fn merges_join_listed_groups_and_ignore_bad_numbers() {
        let groups = vec![
            group("a", &[1]),
            group("b", &[2]),
            group("c", &[3]),
            group("d", &[4]),
        ];
        let answer = json!({"merges": [
            {"name": "A and C", "clusters": [0, 2, 2, 99]},
            {"name": "reuses A", "clusters": [0, 1]},
            {"name": "alone", "clusters": [3]},
        ]});
        let merged = apply_merges(groups, &answer);
        assert_eq!(merged[0], group("A and C", &[1, 3]));
        assert_eq!(merged.len(), 3);
        let mut all: Vec<i64> = merged.iter().flat_map(|g| g.keyword_ids.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, vec![1, 2, 3, 4]);
    }

    #[test]
    fn repaired_keywords_join_a_group_of_the_same_name() {
        let mut groups = vec![group("Running shoes", &[1])];
        join_by_name(
            &mut groups,
            vec![group("running SHOES", &[2]), group("Socks", &[3])],
        );
        assert_eq!(
            groups,
            vec![group("Running shoes", &[1, 2]), group("Socks", &[3])]
        );
    }
}
