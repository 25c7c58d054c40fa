//! The YAML documents of a template's output. A template may write several
//! objects separated by `---`, as Helm charts do; each is read, stamped and
//! checked on its own, and an error in one points at the template's lines
//! after the matching `---`.

/// The YAML documents of a template's output, each with its first line:
/// cut at the `---` (and `...`) lines, which YAML reads as document
/// markers wherever they stand.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    let marked = text.starts_with("---")
        || text.starts_with("...")
        || text.contains("\n---")
        || text.contains("\n...");
    if !marked {
        return vec![(1, text)];
    }
    let mut out = Vec::new();
    let (mut start, mut start_line, mut offset) = (0, 1, 0);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if is_marker(bare) {
            out.push((start_line, &text[start..offset]));
            // `--- # comment`: the rest of the marker's line is the
            // next document's.
            (start, start_line) = match bare.len() > 3 && bare.starts_with("---") {
                true => (offset + 3, n + 1),
                false => (offset + line.len(), n + 2),
            };
        }
        offset += line.len();
    }
    out.push((start_line, &text[start..]));
    out
}

fn is_marker(line: &str) -> bool {
    line == "---" || line == "..." || line.starts_with("--- ") || line.starts_with("---\t")
}

/// Where the template's text for its `index`-th document starts: after
/// its `index`-th marker line. A template that writes its markers in a
/// loop has fewer: then its whole text.
pub fn document_start(text: &str, index: usize) -> usize {
    if index == 0 {
        return 0;
    }
    let mut offset = 0;
    let mut seen = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        if is_marker(line.trim_end()) {
            seen += 1;
            if seen == index {
                return offset;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_marker_lines_only() {
        assert_eq!(documents("a: 1\n"), vec![(1, "a: 1\n")]);
        assert_eq!(
            documents("---\na: 1\n---\nb: |\n  ---\n...\n"),
            vec![(1, ""), (2, "a: 1\n"), (4, "b: |\n  ---\n"), (7, "")]
        );
        assert_eq!(
            documents("a: 1\n--- # two\nb: 2\n"),
            vec![(1, "a: 1\n"), (2, " # two\nb: 2\n")]
        );
        let template = "kind: A\n---\nkind: B\n";
        assert_eq!(document_start(template, 0), 0);
        assert_eq!(&template[document_start(template, 1)..], "kind: B\n");
        assert_eq!(document_start(template, 2), 0);
    }
}
