//! `pr-url` of `snapset.kdl`: the pull request a commit subject names —
//! `… (#123)` as squash merges write it, `Merge pull request #123 …` as
//! merge commits do — becomes a link on the page and in the pull-request
//! comment. Only the number is taken from the subject: the address is the
//! workspace's, and everything else in the subject stays text, escaped by
//! whoever prints it.

/// A piece of a subject: text, or a pull-request reference (`#123`) with
/// its number.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'s> {
    pub text: &'s str,
    pub number: Option<&'s str>,
}

/// `subject` cut into text and references, in order; their texts put back
/// together are `subject`.
pub fn split(subject: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, len) in references(subject) {
        if at > start {
            parts.push(Part {
                text: &subject[start..at],
                number: None,
            });
        }
        parts.push(Part {
            text: &subject[at..at + len],
            number: Some(&subject[at + 1..at + len]),
        });
        start = at + len;
    }
    if start < subject.len() || parts.is_empty() {
        parts.push(Part {
            text: &subject[start..],
            number: None,
        });
    }
    parts
}

/// Byte offset and length of each `#digits` that is a pull request.
fn references(subject: &str) -> Vec<(usize, usize)> {
    let digits_at = |at: usize| {
        let rest = subject.get(at + 1..).unwrap_or("");
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        // A number GitHub could have given, not a run of digits.
        (subject.as_bytes().get(at) == Some(&b'#') && (1..=9).contains(&n)).then_some(n)
    };
    let mut found = Vec::new();
    const MERGE: &str = "Merge pull request ";
    if subject.starts_with(MERGE)
        && let Some(n) = digits_at(MERGE.len())
        && !subject[MERGE.len() + 1 + n..].starts_with(|c: char| c.is_alphanumeric())
    {
        found.push((MERGE.len(), n + 1));
    }
    for (at, _) in subject.match_indices("(#") {
        if let Some(n) = digits_at(at + 1)
            && subject[at + 2 + n..].starts_with(')')
        {
            found.push((at + 1, n + 1));
        }
    }
    found
}

/// `template` with `{number}` filled in, every character outside a
/// conservative set percent-encoded, so that the address cannot end a
/// markdown link or an HTML attribute early whatever `snapset.kdl` holds.
pub fn url(template: &str, number: &str) -> String {
    let filled = template.replace("{number}", number);
    let mut out = String::with_capacity(filled.len());
    for b in filled.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b':'
            | b'/'
            | b'?'
            | b'#'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'%' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(s: &str) -> Vec<&str> {
        split(s).iter().filter_map(|p| p.number).collect()
    }

    #[test]
    fn finds_squash_and_merge_references_only() {
        assert_eq!(numbers("cart: fix retries (#123)"), ["123"]);
        assert_eq!(numbers("Merge pull request #45 from a/b"), ["45"]);
        assert_eq!(numbers("a (#1) and (#2)"), ["1", "2"]);
        assert!(numbers("fixes #12").is_empty());
        assert!(numbers("(#12a)").is_empty());
        assert!(numbers("(#)").is_empty());
        assert!(numbers("Merge pull request #4x").is_empty());
        assert!(numbers("x Merge pull request #4").is_empty());
        let s = "ünï (#7) ✓";
        let parts = split(s);
        assert_eq!(parts.iter().map(|p| p.text).collect::<String>(), s);
        assert_eq!(parts[1].text, "#7");
        assert_eq!(
            split(""),
            [Part {
                text: "",
                number: None
            }]
        );
    }

    #[test]
    fn addresses_cannot_break_out() {
        assert_eq!(
            url("https://git.example.com/pull/{number}", "12"),
            "https://git.example.com/pull/12"
        );
        assert_eq!(
            url("https://x/{number}) \"<b>`'", "1"),
            "https://x/1%29%20%22%3Cb%3E%60%27"
        );
    }
}
