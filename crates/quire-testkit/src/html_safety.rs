//! Whether sanitised HTML is harmless: no script, frame, handler, script link or free `style`.

/// The start tags of sanitised HTML, each with its attributes (names lowercased). A
/// sanitiser's serialiser escapes `<` in text and `"` in attribute values, so this small
/// reader is exact for its output (and only for it).
pub fn start_tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') || rest.starts_with('!') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_lowercase();
        rest = &rest[name_end..];
        let mut attributes = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let attr_end = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .unwrap_or(rest.len());
            let attr = rest[..attr_end].to_lowercase();
            rest = &rest[attr_end..];
            let mut value = String::new();
            if let Some(after) = rest.strip_prefix("=\"") {
                let close = after.find('"').unwrap_or(after.len());
                value = after[..close].to_owned();
                rest = &after[(close + 1).min(after.len())..];
            }
            attributes.push((attr, value));
        }
        tags.push((name, attributes));
    }
    tags
}

/// Whether `url` would run script or inline data when followed.
pub fn is_script_url(url: &str) -> bool {
    let squeezed: String = url
        .replace("&amp;", "&")
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|scheme| squeezed.starts_with(scheme))
}

/// The `style` values a sanitiser may keep: a table cell's alignment, as Markdown writes it.
const CELL_ALIGNMENTS: [&str; 3] = ["text-align:left", "text-align:center", "text-align:right"];

/// `Ok` when `html` (a sanitiser's output) holds no `<script>`, `<iframe>`, `<object>`,
/// `<embed>` or `<style>` element, no `on…` attribute, no `javascript:`, `vbscript:` or
/// `data:` link, no `style` but a table cell's alignment, and every link carries `link_rel`;
/// otherwise what was found and where.
pub fn check_harmless(html: &str, link_rel: &str) -> Result<(), String> {
    let lower = html.to_lowercase();
    for element in ["<script", "<iframe"] {
        if lower.contains(element) {
            return Err(format!("{element} in {html}"));
        }
    }
    for (tag, attributes) in start_tags(html) {
        if ["script", "iframe", "object", "embed", "style"].contains(&tag.as_str()) {
            return Err(format!("<{tag}> in {html}"));
        }
        for (name, value) in &attributes {
            if name.starts_with("on") {
                return Err(format!("event handler {name} in {html}"));
            }
            if ["href", "src", "action", "formaction", "xlink:href"].contains(&name.as_str())
                && is_script_url(value)
            {
                return Err(format!("script link {value} in {html}"));
            }
            if name == "style"
                && !(["th", "td"].contains(&tag.as_str())
                    && CELL_ALIGNMENTS.contains(&value.as_str()))
            {
                return Err(format!("style {value:?} on <{tag}> in {html}"));
            }
        }
        if tag == "a"
            && attributes.iter().any(|(name, _)| name == "href")
            && !attributes
                .iter()
                .any(|(name, value)| name == "rel" && value == link_rel)
        {
            return Err(format!("link without rel in {html}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REL: &str = "noopener noreferrer nofollow";

    #[test]
    fn the_checker_catches_what_it_looks_for() {
        for unsafe_html in [
            "<p>x<script>y</script></p>",
            "<img src=\"x\" onerror=\"y\">",
            "<a href=\" JavaScript:y\" rel=\"noopener noreferrer nofollow\">z</a>",
            "<a href=\"data:text/html,x\" rel=\"noopener noreferrer nofollow\">z</a>",
            "<a href=\"https://x.y\">no rel</a>",
            "<iframe src=\"https://x.y\"></iframe>",
            "<p style=\"color:red\">x</p>",
            "<td style=\"background:url(x)\">x</td>",
        ] {
            assert!(check_harmless(unsafe_html, REL).is_err(), "{unsafe_html}");
        }
        for safe_html in [
            "<p>onclick=x javascript:y style=z</p>",
            "<td style=\"text-align:right\">1</td>",
            "<a href=\"/about\" rel=\"noopener noreferrer nofollow\">a</a>",
        ] {
            assert_eq!(check_harmless(safe_html, REL), Ok(()), "{safe_html}");
        }
    }
}
