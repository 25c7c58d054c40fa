//! Text in a pull-request comment (`diff --format markdown`). A commit
//! subject or a variable name is the pull request's author's: written raw,
//! its line breaks would start headings ("Security review: APPROVED") or
//! horizontal rules, its HTML would add images, its `@name` would notify
//! people and its addresses become links. `text` keeps it on one line and
//! inert; `code` does the same inside a code span, for names and values.

use std::fmt::Write;

use super::{pr_link, terminal};

/// U+2060 WORD JOINER: invisible, and breaks what GitHub would link — an
/// `@mention`, an e-mail address, `https://`, `www.`, `#123`.
const JOINER: char = '\u{2060}';

/// `text` as markdown that shows it as written, on one line: control
/// characters escaped as `\n`, markdown punctuation backslash-escaped, `&`
/// `<` `>` as entities, and mentions, bare addresses and issue references
/// broken by an invisible word joiner.
pub fn text(text: &str) -> String {
    let line = terminal::visible(text);
    escape(line.trim_start_matches(' '), true)
}

/// A commit subject as `text` writes it, except that the pull requests it
/// names (`(#123)`, `Merge pull request #123`) link to `pr_url`.
pub fn subject(subject: &str, pr_url: Option<&str>) -> String {
    let Some(pr_url) = pr_url else {
        return text(subject);
    };
    let line = terminal::visible(subject);
    let line = line.trim_start_matches(' ');
    let mut out = String::with_capacity(line.len() + 40);
    for (i, part) in pr_link::split(line).iter().enumerate() {
        match part.number {
            // Digits only: nothing in the link's text to escape.
            Some(n) => {
                let _ = write!(out, "[#{n}]({})", pr_link::url(pr_url, n));
            }
            None => out.push_str(&escape(part.text, i == 0)),
        }
    }
    out
}

/// `line` (one line already) escaped; `at_start`: it begins the line, so
/// a list marker or a rule at its start is escaped too.
fn escape(line: &str, at_start: bool) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    // A line that starts like a list item, a rule or a setext underline.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let leading = at_start
        && (matches!(chars.first(), Some('-' | '+' | '='))
            || (digits > 0 && matches!(chars.get(digits), Some('.' | ')'))));
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
    fn subjects_link_their_pull_requests_and_nothing_else() {
        let url = Some("https://git.example.com/pull/{number}");
        assert_eq!(
            subject("cart: fix `x` (#12)", url),
            "cart: fix \\`x\\` ([#12](https://git.example.com/pull/12))"
        );
        assert_eq!(
            subject("Merge pull request #7 from eve/x", url),
            "Merge pull request [#7](https://git.example.com/pull/7) from eve/x"
        );
        assert_eq!(subject("- x (#1)", None), text("- x (#1)"));
        // Text around a link stays inert; a hostile subject adds no link.
        assert_eq!(
            subject("<img src=x> [a](javascript:b) (#3)\n# h", url),
            "&lt;img src=x&gt; \\[a\\](javascript:b) ([#3](https://git.example.com/pull/3))\\\\n\\# h"
        );
        assert_eq!(subject("- (#3)", url).get(..2), Some("\\-"));
    }

    #[test]
    fn code_spans_cannot_be_closed() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\n\n# b"), "`a\\n\\n# b`");
    }
}
