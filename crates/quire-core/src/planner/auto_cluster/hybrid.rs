//! The `hybrid` method: local groups first, then the model names, merges and splits them. It
//! sends each group's first keywords only and gets back names and group numbers rather than
//! every keyword, so it uses far fewer tokens than `ai`.

use super::groups::{Group, Lookup, MAX_DESCRIPTION_CHARS, clean_text, name_or};
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

pub const OPERATION: &str = "auto_cluster_hybrid";
const TEMPLATE: &str = "auto_cluster_hybrid";
/// Local groups reviewed per model call.
pub const GROUPS_PER_CALL: usize = 60;
/// Keywords shown per group (highest volume first); only these can be split off.
pub const SHOWN_PER_GROUP: usize = 12;

/// Names, descriptions and group numbers: about 40 tokens per group, plus split keywords.
fn answer_budget(groups: usize) -> u32 {
    u32::try_from(groups * 40 + 300).unwrap_or(u32::MAX)
}

fn vars(chunk: &[Group], texts: &HashMap<i64, &str>) -> Value {
    let listed: Vec<Value> = chunk
        .iter()
        .enumerate()
        .map(|(index, group)| {
            let shown: Vec<&str> = group
                .keyword_ids
                .iter()
                .take(SHOWN_PER_GROUP)
                .map(|id| texts[id])
                .collect();
            json!({
                "index": index,
                "name": group.name,
                "keywords": shown,
                "more": group.keyword_ids.len().saturating_sub(SHOWN_PER_GROUP),
            })
        })
        .collect();
    json!({ "groups": listed })
}

fn text_map(keywords: &[KeywordInput]) -> HashMap<i64, &str> {
    keywords.iter().map(|k| (k.id, k.text.as_str())).collect()
}

/// The calls the method makes for these local groups: one per [`GROUPS_PER_CALL`].
pub async fn planned_requests(
    db: &Db,
    keywords: &[KeywordInput],
    local: &[Group],
) -> Result<Vec<ChatRequest>, Error> {
    let texts = text_map(keywords);
    let mut requests = Vec::new();
    for chunk in local.chunks(GROUPS_PER_CALL) {
        requests.push(
            json_request(
                Some(db),
                TEMPLATE,
                OPERATION,
                vars(chunk, &texts),
                answer_budget(chunk.len()),
            )
            .await?,
        );
    }
    Ok(requests)
}

/// Refines the local groups of `keywords` with the model.
pub async fn refine(
    assistant: &dyn Assistant,
    keywords: &[KeywordInput],
    local: Vec<Group>,
) -> Result<Vec<Group>, JobError> {
    let texts = text_map(keywords);
    let chunks: Vec<&[Group]> = local.chunks(GROUPS_PER_CALL).collect();
    let mut refined = Vec::new();
    for (n, chunk) in chunks.iter().enumerate() {
        let percent = 10 + i32::try_from(80 * n / chunks.len()).unwrap_or(80);
        assistant
            .progress(
                percent,
                &format!("Reviewing groups, part {} of {}", n + 1, chunks.len()),
            )
            .await?;
        let request = json_request(
            assistant.prompts_db(),
            TEMPLATE,
            OPERATION,
            vars(chunk, &texts),
            answer_budget(chunk.len()),
        )
        .await?;
        let answer = assistant.ask_json(&request).await?;
        refined.extend(apply(chunk, &answer, keywords, &texts));
    }
    Ok(refined)
}

/// The answer applied to one chunk of groups: keywords named in a cluster leave their group
/// first (splits), then listed groups join their cluster (merges, renames); groups the answer
/// does not mention keep their local name with whatever is left of them.
fn apply(
    chunk: &[Group],
    answer: &Value,
    keywords: &[KeywordInput],
    texts: &HashMap<i64, &str>,
) -> Vec<Group> {
    let shown: HashSet<i64> = chunk
        .iter()
        .flat_map(|g| g.keyword_ids.iter().take(SHOWN_PER_GROUP).copied())
        .collect();
    let lookup = Lookup::new(keywords.iter().filter(|k| shown.contains(&k.id)));
    let clusters: Vec<&Value> = answer["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let mut taken = HashSet::new();
    let mut ids: Vec<Vec<i64>> = clusters
        .iter()
        .map(|c| lookup.claim(&c["keywords"], &mut taken))
        .collect();
    let mut used = vec![false; chunk.len()];
    let mut first_group: Vec<Option<usize>> = vec![None; clusters.len()];
    for (c, cluster) in clusters.iter().enumerate() {
        for index in cluster["groups"].as_array().into_iter().flatten() {
            let Some(g) = index.as_u64().and_then(|i| usize::try_from(i).ok()) else {
                continue;
            };
            if g >= chunk.len() || used[g] {
                continue;
            }
            used[g] = true;
            first_group[c].get_or_insert(g);
            ids[c].extend(chunk[g].keyword_ids.iter().filter(|id| taken.insert(**id)));
        }
    }
    let mut out = Vec::new();
    for ((cluster, keyword_ids), first) in clusters.iter().zip(ids).zip(first_group) {
        let Some(top) = keyword_ids.first() else {
            continue;
        };
        let fallback = first.map_or(texts[top], |g| chunk[g].name.as_str());
        out.push(Group {
            name: name_or(&cluster["name"], fallback),
            description: clean_text(&cluster["description"], MAX_DESCRIPTION_CHARS),
            keyword_ids,
        });
    }
    for (group, _) in chunk.iter().zip(&used).filter(|(_, used)| !**used) {
        let rest: Vec<i64> = group
            .keyword_ids
            .iter()
            .copied()
            .filter(|id| !taken.contains(id))
            .collect();
        if !rest.is_empty() {
            out.push(Group {
                keyword_ids: rest,
                ..group.clone()
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(id: i64, text: &str) -> KeywordInput {
        KeywordInput {
            id,
            text: text.to_owned(),
            volume: 0,
        }
    }

    fn group(name: &str, ids: &[i64]) -> Group {
        Group {
            name: name.to_owned(),
            description: "local".to_owned(),
            keyword_ids: ids.to_vec(),
        }
    }

    #[test]
    fn the_model_renames_merges_and_splits_and_nothing_is_lost_or_doubled() {
        let keywords = [
            keyword(1, "running shoes"),
            keyword(2, "running trainers"),
            keyword(3, "trail running shoes"),
            keyword(4, "running socks"),
            keyword(5, "marathon training plan"),
        ];
        let texts = text_map(&keywords);
        let chunk = [
            group("running shoes", &[1, 3, 4]),
            group("running trainers", &[2]),
            group("marathon", &[5]),
        ];
        let answer = json!({"clusters": [
            {"name": "Running shoes", "description": "Shoes.", "groups": [0, 1, 7]},
            {"name": "Running socks", "description": "Socks.", "groups": [], "keywords": ["running socks", "invented"]},
            {"name": "Twice", "groups": [0]},
        ]});
        let out = apply(&chunk, &answer, &keywords, &texts);
        assert_eq!(
            out,
            vec![
                Group {
                    name: "Running shoes".into(),
                    description: "Shoes.".into(),
                    keyword_ids: vec![1, 3, 2]
                },
                Group {
                    name: "Running socks".into(),
                    description: "Socks.".into(),
                    keyword_ids: vec![4]
                },
                group("marathon", &[5]),
            ]
        );
    }

    #[test]
    fn an_empty_answer_keeps_the_local_groups() {
        let keywords = [keyword(1, "a b"), keyword(2, "c d")];
        let chunk = [group("a", &[1]), group("c", &[2])];
        let out = apply(&chunk, &json!({}), &keywords, &text_map(&keywords));
        assert_eq!(out, chunk.to_vec());
    }
}
