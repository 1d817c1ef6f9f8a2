//! Fuzzes the Markdown export and its sanitiser: whatever the text (raw HTML included), the
//! HTML holds no script, frame, handler, script link or free `style`, and sanitising it again
//! changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::writer::export::{LINK_REL, sanitise_html, to_html};
use quire_testkit::html_safety::check_harmless;

fuzz_target!(|text: &str| {
    let rendered = to_html(text);
    if let Err(found) = check_harmless(&rendered, LINK_REL) {
        panic!("{found}");
    }
    assert_eq!(sanitise_html(&rendered), rendered, "rendered from {text:?}");
    let cleaned = sanitise_html(text);
    if let Err(found) = check_harmless(&cleaned, LINK_REL) {
        panic!("{found}");
    }
    assert_eq!(sanitise_html(&cleaned), cleaned, "cleaned from {text:?}");
});
