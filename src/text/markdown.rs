//! Text in a pull-request comment (`diff --format markdown`). A commit
//! subject or a variable name is the pull request's author's: written raw,
//! its line breaks would start headings ("Security review: APPROVED") or
//! horizontal rules, its HTML would add images, its `@name` would notify
//! people and its addresses become links. `text` keeps it on one line and
//! inert; `code` does the same inside a code span, for names and values.

use super::terminal;

/// U+2060 WORD JOINER: invisible, and breaks what GitHub would link — an
/// `@mention`, an e-mail address, `https://`, `www.`, `#123`.
const JOINER: char = '\u{2060}';

/// `text` as markdown that shows it as written, on one line: control
/// characters escaped as `\n`, markdown punctuation backslash-escaped, `&`
/// `<` `>` as entities, and mentions, bare addresses and issue references
/// broken by an invisible word joiner.
pub fn text(text: &str) -> String {
    let line = terminal::visible(text);
    let line = line.trim_start_matches(' ');
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    // A line that starts like a list item, a rule or a setext underline.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let leading = matches!(chars.first(), Some('-' | '+' | '='))
        || (digits > 0 && matches!(chars.get(digits), Some('.' | ')')));
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '#' => {
                out.push_str("\\#");
                if next.is_some_and(|n| n.is_ascii_alphanumeric()) {
                    out.push(JOINER);
                }
            }
            '@' => {
                out.push('@');
                out.push(JOINER);
            }
            ':' if chars.get(i + 1..i + 3) == Some(&['/', '/']) => {
                out.push(':');
                out.push(JOINER);
            }
            '.' if i >= 3
                && chars[i - 3..i]
                    .iter()
                    .collect::<String>()
                    .eq_ignore_ascii_case("www") =>
            {
                out.push(JOINER);
                out.push('.');
            }
            c if leading && i == digits => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` in an inline code span that nothing in it can close: one line
/// (control characters escaped), a run of backticks longer than any in the
/// text, and `|` escaped so that it stays inside a table cell. Nothing in
/// a code span is a mention, a link or HTML.
pub fn code(text: &str) -> String {
    let line = terminal::visible(text);
    let longest = line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    let pad = if line.starts_with('`') || line.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", line.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_one_inert_line() {
        assert_eq!(text("cart: fix retries"), "cart: fix retries");
        assert_eq!(
            text("x\r# Security review: APPROVED"),
            "x\\\\r\\# Security review: APPROVED"
        );
        assert_eq!(
            text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
        assert_eq!(text("---"), "\\---");
        assert_eq!(text("1. not a list"), "1\\. not a list");
        assert_eq!(text("cc @octocat"), "cc @\u{2060}octocat");
        assert_eq!(
            text("see https://evil.example and WWW.evil.example"),
            "see https:\u{2060}//evil.example and WWW\u{2060}.evil.example"
        );
        assert_eq!(text("fixes #12"), "fixes \\#\u{2060}12");
        assert_eq!(
            text("`a` **b** [c](d) ![e](f) $x$ | ~g~ _h_"),
            "\\`a\\` \\*\\*b\\*\\* \\[c\\](d) \\!\\[e\\](f) \\$x\\$ \\| \\~g\\~ \\_h\\_"
        );
        for c in ['\n', '\r', '\u{85}', '\u{c}', '\u{2028}', '\u{2029}'] {
            assert!(!text(&format!("a{c}b")).contains(c));
        }
    }

    #[test]
    fn code_spans_cannot_be_closed() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\n\n# b"), "`a\\n\\n# b`");
    }
}
