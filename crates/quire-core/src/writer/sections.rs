//! An article's sections: the lead before the first `##` heading, then each `##` section (with
//! its `###` subsections). Headings are found with a Markdown parser, so `##` inside code is
//! not one; ids stay the same across edits for every heading that survives.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use utoipa::ToSchema;

/// One section as stored with the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Section {
    /// Stable across edits and rewrites while the heading stays.
    pub id: String,
    /// The `##` heading's text; empty for the lead (the text before the first heading).
    pub heading: String,
    /// 0-based position in the article.
    pub order: i32,
}

/// Where a section sits in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `None` for the lead.
    pub heading: Option<String>,
    /// Byte range in the body, heading line included.
    pub range: Range<usize>,
}

/// The body's parts in order; a blank lead is left out.
pub fn parts(body: &str) -> Vec<Part> {
    let mut starts: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            }) => current = Some((range.start, String::new())),
            Event::End(TagEnd::Heading(HeadingLevel::H2)) => {
                if let Some((start, text)) = current.take() {
                    starts.push((start, crate::text::one_line(&text)));
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, heading)) = current.as_mut() {
                    heading.push_str(&text);
                }
            }
            _ => {}
        }
    }
    let mut parts = Vec::new();
    let first = starts.first().map_or(body.len(), |(start, _)| *start);
    if !body[..first].trim().is_empty() {
        parts.push(Part {
            heading: None,
            range: 0..first,
        });
    }
    for (n, (start, heading)) in starts.iter().enumerate() {
        let end = starts.get(n + 1).map_or(body.len(), |(next, _)| *next);
        parts.push(Part {
            heading: Some(heading.clone()),
            range: *start..end,
        });
    }
    parts
}

/// A new section id.
pub fn new_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("s{}", &id[..10])
}

/// The sections of `body`, keeping the id of each `previous` section whose heading is still
/// there (the lead keeps the lead's); new headings get new ids.
pub fn derive(body: &str, previous: &[Section]) -> Vec<Section> {
    let mut unused: Vec<&Section> = previous.iter().collect();
    parts(body)
        .into_iter()
        .zip(0..)
        .map(|(part, order)| {
            let heading = part.heading.unwrap_or_default();
            let id = match unused.iter().position(|s| s.heading == heading) {
                Some(at) => unused.remove(at).id.clone(),
                None => new_id(),
            };
            Section { id, heading, order }
        })
        .collect()
}

/// Where section `id` sits in `body` (its position in `sections` is its part).
pub fn range_of(body: &str, sections: &[Section], id: &str) -> Option<Range<usize>> {
    let at = sections.iter().position(|s| s.id == id)?;
    parts(body).into_iter().nth(at).map(|part| part.range)
}

/// `body` with section `id` replaced by `markdown` (heading included), or `None` when there is
/// no such section.
pub fn replace(body: &str, sections: &[Section], id: &str, markdown: &str) -> Option<String> {
    let range = range_of(body, sections, id)?;
    let mut text = markdown.trim_end().to_owned();
    text.push_str("\n\n");
    let mut out = String::with_capacity(body.len() + text.len());
    out.push_str(&body[..range.start]);
    out.push_str(&text);
    out.push_str(body[range.end..].trim_start_matches('\n'));
    Some(out.trim_end().to_owned() + "\n")
}

/// Words a reader sees: the text of the rendered Markdown, split on whitespace.
pub fn word_count(markdown: &str) -> i32 {
    let mut count = 0_usize;
    for event in Parser::new(markdown) {
        if let Event::Text(text) | Event::Code(text) = event {
            count += text.split_whitespace().count();
        }
    }
    i32::try_from(count).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "Lead paragraph here.\n\n## First part\n\nOne two three.\n\n\
                        ```\n## not a heading\n```\n\n### A subsection\n\nFour.\n\n\
                        ## Second `part`\n\nFive six.\n";

    #[test]
    fn parts_follow_the_level_two_headings_only() {
        let found = parts(BODY);
        let headings: Vec<Option<&str>> = found.iter().map(|p| p.heading.as_deref()).collect();
        assert_eq!(
            headings,
            vec![None, Some("First part"), Some("Second part")]
        );
        assert!(BODY[found[1].range.clone()].contains("## not a heading"));
        assert!(BODY[found[1].range.clone()].contains("### A subsection"));
        assert_eq!(found[2].range.end, BODY.len());
        assert!(
            parts("## Only\n\ntext")
                .first()
                .is_some_and(|p| p.heading.is_some())
        );
    }

    #[test]
    fn ids_survive_edits_for_headings_that_stay() {
        let first = derive(BODY, &[]);
        assert_eq!(first.len(), 3);
        assert_eq!(first[0].heading, "");
        let edited = BODY.replace("## First part", "## Renamed part") + "\n## Third\n\nSeven.\n";
        let second = derive(&edited, &first);
        assert_eq!(second[0].id, first[0].id, "the lead keeps its id");
        assert_ne!(
            second[1].id, first[1].id,
            "a renamed heading is a new section"
        );
        assert_eq!(second[2].id, first[2].id);
        assert_eq!(second[2].order, 2);
        assert_eq!(second.len(), 4);
    }

    #[test]
    fn one_section_is_replaced_and_the_rest_kept() {
        let sections = derive(BODY, &[]);
        let replaced = replace(
            BODY,
            &sections,
            &sections[2].id,
            "## Second part\n\nNew words.",
        )
        .expect("a section");
        assert!(replaced.contains("New words."));
        assert!(!replaced.contains("Five six."));
        assert!(replaced.starts_with("Lead paragraph here."));
        assert!(replaced.contains("One two three."));
        assert_eq!(derive(&replaced, &sections)[2].id, sections[2].id);
        assert!(replace(BODY, &sections, "missing", "x").is_none());
    }

    #[test]
    fn words_are_counted_without_markup() {
        assert_eq!(
            word_count("## Two words\n\n**Bold** and [a link](https://x.y) `code`"),
            7
        );
        assert_eq!(word_count(""), 0);
    }
}
