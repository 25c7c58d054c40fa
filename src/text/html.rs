//! HTML escaping for text and attribute values: every string on the page
//! comes from files and commits that anyone in the mono-repo can write.
//! Text shown on the page is also isolated where it `turns`, so that its
//! direction cannot spill onto what follows it.

use std::borrow::Cow;

/// `text` safe inside an element or a double- or single-quoted attribute.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\''))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `text` holds a right-to-left letter or a bidi control, and is
/// then shown isolated (`<bdi>`, by the page's template): an author named
/// `Eve \u{202e}evil` must not reverse the date printed after the name.
/// Left-to-right text, which isolation would not change, stays bare.
pub fn turns(text: &str) -> bool {
    text.chars().any(turning)
}

/// A character that can change the direction of what follows it: a bidi
/// control, or a letter of a right-to-left script.
fn turning(c: char) -> bool {
    matches!(
        c,
        '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{590}'..='\u{8ff}'
            | '\u{fb1d}'..='\u{fdff}'
            | '\u{fe70}'..='\u{feff}'
            | '\u{10800}'..='\u{10fff}'
            | '\u{1e800}'..='\u{1efff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes_only() {
        assert_eq!(escape("cart: fix"), "cart: fix");
        assert_eq!(
            escape(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn finds_what_could_reorder_the_line() {
        assert!(!turns("Fixture <x>"));
        assert!(turns("Eve \u{202e}evil"));
        assert!(turns("שלום"));
        assert!(turns("a\u{2067}b"));
    }
}
