//! Exporting an article: Markdown as written, or an HTML page rendered with pulldown-cmark and
//! sanitised with ammonia, so no script, event handler or script link survives, whoever wrote
//! the text (the model or the user).

use crate::entities::content;
use pulldown_cmark::{Options, Parser, html};
use serde::Deserialize;
use std::{collections::HashSet, sync::LazyLock};
use utoipa::{IntoParams, ToSchema};

/// The schemes links and images may use; relative links stay too. Everything else
/// (`javascript:`, `data:`, `vbscript:`, …) loses its `href` or `src`.
const URL_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];
/// Every link of an export carries this `rel`.
pub const LINK_REL: &str = "noopener noreferrer nofollow";
/// At most this many sanitiser passes; the ones found to differ settle after two or three.
const MAX_SANITISE_PASSES: usize = 5;
/// The longest file name stem of an export.
const MAX_SLUG_CHARS: usize = 80;

/// `markdown` (an article's file) or `html` (a small web page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Markdown,
    Html,
}

/// The query of an export.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `markdown` (default) or `html`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// A file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// ASCII only: `<slug of the title>.md` or `.html`.
    pub filename: String,
    pub content_type: &'static str,
    pub body: String,
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(URL_SCHEMES))
        .link_rel(Some(LINK_REL))
        .clean_content_tags(HashSet::from([
            "script", "style", "iframe", "noscript", "object", "embed", "template",
        ]))
        // Table column alignment, as pulldown-cmark writes it, and nothing else of `style`.
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .filter_style_properties(HashSet::from(["text-align"]));
    builder
});

/// `markdown` rendered (with tables and strikethrough) and sanitised: only harmless tags and
/// attributes, no `on…` handlers, links and images only to http(s), mailto, tel or relative
/// addresses, and `rel="noopener noreferrer nofollow"` on every link.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut rendered = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    sanitise_html(&rendered)
}

/// `html` with everything [`to_html`] does not allow removed; sanitising the result again
/// changes nothing.
///
/// One pass of ammonia is not always a fixed point: it serialises the tree it built, and some
/// trees (an `<a>` inside an `<a>`, a `<p>` inside a `<p>`, a `&#13;` turned into a raw
/// carriage return) are parsed differently when read again, so a browser would see other
/// HTML than the one checked (ammonia issue #185). Cleaning again until nothing changes
/// gives HTML that reads back as exactly what was checked.
pub fn sanitise_html(html: &str) -> String {
    let mut clean = SANITIZER.clean(html).to_string();
    for _ in 1..MAX_SANITISE_PASSES {
        let again = SANITIZER.clean(&clean).to_string();
        if again == clean {
            break;
        }
        clean = again;
    }
    clean
}

/// The article as Markdown: `# Title`, a blank line, then the body.
pub fn to_markdown(content: &content::Model) -> String {
    let mut text = format!("# {}\n\n{}", content.title, content.body);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// The article as a small HTML page in `language`: `<title>` is the meta title (the title
/// when it is blank), the meta description is the page's description, the title its `<h1>`,
/// then the sanitised body.
pub fn to_html_document(content: &content::Model, language: &str) -> String {
    let page_title = if content.meta_title.trim().is_empty() {
        &content.title
    } else {
        &content.meta_title
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{page_title}</title>\n<meta name=\"description\" content=\"{description}\">\n\
         </head>\n<body>\n<article>\n<h1>{title}</h1>\n{body}</article>\n</body>\n</html>\n",
        lang = escape(language),
        page_title = escape(page_title),
        description = escape(&content.meta_description),
        title = escape(&content.title),
        body = to_html(&content.body),
    )
}

/// The export of `content` in `format`; `language` is its task's.
pub fn render(content: &content::Model, language: &str, format: ExportFormat) -> Exported {
    let stem = slug(&content.title);
    match format {
        ExportFormat::Markdown => Exported {
            filename: format!("{stem}.md"),
            content_type: "text/markdown; charset=utf-8",
            body: to_markdown(content),
        },
        ExportFormat::Html => Exported {
            filename: format!("{stem}.html"),
            content_type: "text/html; charset=utf-8",
            body: to_html_document(content, language),
        },
    }
}

/// A file name stem from `title`: lowercase ASCII letters and digits joined by `-`, at most
/// 80 characters; `article` when nothing is left.
pub fn slug(title: &str) -> String {
    let mut stem = String::new();
    for word in title
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        if stem.len() + word.len() + 1 > MAX_SLUG_CHARS {
            break;
        }
        if !stem.is_empty() {
            stem.push('-');
        }
        stem.push_str(word);
    }
    if stem.is_empty() {
        let first: String = title
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(MAX_SLUG_CHARS)
            .collect();
        stem = if first.is_empty() {
            "article".to_owned()
        } else {
            first
        };
    }
    stem
}

/// `text` safe inside an HTML element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::enums::ContentStatus;
    use proptest::prelude::*;
    use quire_testkit::html_safety::check_harmless;

    fn assert_harmless(html: &str) -> Result<(), TestCaseError> {
        check_harmless(html, LINK_REL).map_err(TestCaseError::fail)
    }

    const HOSTILE: &str = "Intro <script>alert('x')</script> text.\n\n\
        <img src=x onerror=\"alert(1)\"> <IMG SRC=\"jav&#x09;ascript:alert(2)\">\n\n\
        [click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) \
        [vb](vbscript:msgbox(1))\n\n\
        <a href=\"JaVaScRiPt:alert(3)\" onclick=\"steal()\">mixed</a>\n\n\
        <iframe src=\"https://evil.example\">inside</iframe>\n\n\
        <svg onload=alert(4)><a xlink:href=\"javascript:alert(5)\">svg</a></svg>\n\n\
        <div style=\"background:url(javascript:alert(6))\" onmouseover=\"x()\">styled</div>\n\n\
        ![pic](javascript:alert(7))\n";

    #[test]
    fn hostile_markdown_loses_scripts_handlers_and_script_links() {
        let html = to_html(HOSTILE);
        assert_harmless(&html).expect("harmless");
        for gone in [
            "alert('x')",
            "onerror",
            "onclick",
            "onload",
            "onmouseover",
            "javascript",
            "vbscript",
            "data:",
            "evil.example",
            "style=",
            "<svg",
        ] {
            assert!(
                !html.to_lowercase().contains(gone),
                "{gone} survived: {html}"
            );
        }
        assert!(html.contains("mixed"), "link text stays: {html}");
        assert!(html.contains("Intro"), "{html}");
    }

    /// Regression: one ammonia pass left an `<a>` inside an `<a>`, which reads back as two
    /// links side by side (found by `sanitising_again_changes_nothing`); the others are
    /// ammonia issue #185's.
    #[test]
    fn sanitised_html_reads_back_as_itself() {
        for html in [
            "<a href=\"java\nscript:alert(1)\"><table><a href=\"https://x.y\">t</a><tr><td>c",
            "<a><table><a>",
            "<h1><a><h6></a></h6>",
            "<p><svg><foreignobject><p>",
            "&#13;x",
        ] {
            let once = sanitise_html(html);
            assert_eq!(sanitise_html(&once), once, "{html}");
            let rendered = to_html(html);
            assert_eq!(sanitise_html(&rendered), rendered, "{html}");
        }
    }

    #[test]
    fn markdown_renders_with_tables_strikethrough_and_safe_links() {
        let html = to_html(
            "## Heading\n\n**bold** ~~gone~~ [site](https://example.com/a?b=1&c=2)\n\n\
             | a | b |\n|:--|--:|\n| 1 | 2 |\n\n![alt](https://example.com/i.png)\n",
        );
        assert!(html.contains("<h2>Heading</h2>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\">site</a>"
            ),
            "{html}"
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(
            html.contains("<th style=\"text-align:left\">a</th>"),
            "{html}"
        );
        assert!(
            html.contains("<td style=\"text-align:right\">2</td>"),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"https://example.com/i.png\" alt=\"alt\">"),
            "{html}"
        );
        assert!(to_html("[rel](/about)").contains("href=\"/about\""));
    }

    fn article(
        title: &str,
        meta_title: &str,
        meta_description: &str,
        body: &str,
    ) -> content::Model {
        let now = chrono::Utc::now();
        content::Model {
            id: 1,
            account_id: 1,
            site_id: 1,
            sector_id: 1,
            task_id: 1,
            title: title.to_owned(),
            meta_title: meta_title.to_owned(),
            meta_description: meta_description.to_owned(),
            body: body.to_owned(),
            sections: "[]".to_owned(),
            word_count: 0,
            version: 1,
            status: ContentStatus::Draft,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn the_page_escapes_its_title_and_description() {
        let content = article(
            "Tom & Jerry </title><script>x()</script>",
            "",
            "\"><script>alert(1)</script>",
            "Body <script>y()</script> text.",
        );
        let page = to_html_document(&content, "en\"><script>");
        assert!(!page.to_lowercase().contains("<script"), "{page}");
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en&quot;&gt;&lt;script&gt;\">"));
        assert!(page.contains(
            "<title>Tom &amp; Jerry &lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;</title>"
        ));
        assert!(page.contains(
            "<meta name=\"description\" content=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">"
        ));
        assert!(page.contains("<p>Body  text.</p>"), "{page}");
        let titled = to_html_document(&article("Long title", "Short", "d", "b"), "fr");
        assert!(titled.contains("<title>Short</title>"));
        assert!(titled.contains("<h1>Long title</h1>"));
    }

    #[test]
    fn exports_are_named_after_the_title() {
        let content = article("Été: 10 Tips for \"Safe\" Hiking!", "", "", "Words.");
        let markdown = render(&content, "en", ExportFormat::Markdown);
        assert_eq!(markdown.filename, "t-10-tips-for-safe-hiking.md");
        assert_eq!(markdown.content_type, "text/markdown; charset=utf-8");
        assert_eq!(
            markdown.body,
            "# Été: 10 Tips for \"Safe\" Hiking!\n\nWords.\n"
        );
        let html = render(&content, "en", ExportFormat::Html);
        assert_eq!(html.filename, "t-10-tips-for-safe-hiking.html");
        assert_eq!(html.content_type, "text/html; charset=utf-8");
        assert_eq!(slug("¿¡!?"), "article");
        assert_eq!(slug(&"word ".repeat(40)).len(), 79);
        assert_eq!(slug(&"x".repeat(200)).len(), MAX_SLUG_CHARS);
    }

    fn hostile_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("<script>alert(1)</script>".to_owned()),
            Just("<scr<script>ipt>".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
            Just("[x](javascript:alert(1))".to_owned()),
            Just("[x](  JaVaScRiPt:alert(1))".to_owned()),
            Just("<a href=\"java\nscript:alert(1)\">".to_owned()),
            Just("<a href='JaVaScRiPt:alert(1)' onmouseover=x>".to_owned()),
            Just("![i](data:image/svg+xml,<svg onload=alert(1)>)".to_owned()),
            Just("<iframe src=javascript:alert(1)>".to_owned()),
            Just("<svg><script>alert(1)</script></svg>".to_owned()),
            Just("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>".to_owned()),
            Just("<a href=\"&#106;avascript:alert(1)\">".to_owned()),
            Just("<div onclick=\"x\" style=\"x:expression(alert(1))\">".to_owned()),
            Just("\n\n| a | b |\n|---|---|\n| <b onclick=x>1</b> | 2 |\n".to_owned()),
            Just("<p style=\"color:red\">".to_owned()),
            Just("<td style=\"text-align:left;background:url(x)\">".to_owned()),
            Just("\n\n| a | b |\n|:-:|--:|\n| 1 | 2 |\n".to_owned()),
            Just("<table><a href=\"https://x.y\">t</a><tr><td>c".to_owned()),
            Just("<a href=\"/a\"><a href=\"/b\">".to_owned()),
            Just("<p><div><p>".to_owned()),
            Just("<h1><a><h6></a></h6>".to_owned()),
            Just("<p><svg><foreignobject><p>".to_owned()),
            Just("&#13;&#65279;".to_owned()),
            Just("<form action=\"javascript:x\"><button formaction=\"javascript:y\">".to_owned()),
            Just("`<script>`".to_owned()),
            Just("\n```\n<script>\n```\n".to_owned()),
            Just("\"".to_owned()),
            Just("'".to_owned()),
            Just(">".to_owned()),
            Just("<".to_owned()),
            Just("\n".to_owned()),
            "[<>\"'=/ a-zA-Z:()\\[\\]!#*`\n-]{0,12}",
            "\\PC{0,12}",
        ]
    }

    proptest! {
        #[test]
        fn no_input_renders_to_script(markdown in "\\PC{0,300}") {
            assert_harmless(&to_html(&markdown))?;
        }

        #[test]
        fn no_mix_of_hostile_pieces_renders_to_script(
            pieces in proptest::collection::vec(hostile_piece(), 0..16)
        ) {
            assert_harmless(&to_html(&pieces.concat()))?;
        }

        #[test]
        fn raw_html_is_sanitised_to_harmless_html(
            pieces in proptest::collection::vec(hostile_piece(), 0..16)
        ) {
            assert_harmless(&sanitise_html(&pieces.concat()))?;
        }

        #[test]
        fn sanitising_again_changes_nothing(
            pieces in proptest::collection::vec(hostile_piece(), 0..16)
        ) {
            let text = pieces.concat();
            let rendered = to_html(&text);
            prop_assert_eq!(sanitise_html(&rendered), rendered);
            let cleaned = sanitise_html(&text);
            prop_assert_eq!(sanitise_html(&cleaned), cleaned);
        }
    }
}
