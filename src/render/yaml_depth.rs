//! How deeply a rendered document nests, found before it is parsed. The
//! block-YAML reader recurses once per level of indentation and serde
//! once per level of value, and a template may write a document of any
//! depth (a loop that indents, a value of 50,000 `[`): one 5,000 levels
//! deep overflowed the stack of a render thread. A Kubernetes manifest
//! nests about ten levels; past `MAX_NESTING` the document is refused.

/// The deepest nesting a rendered document may have.
pub const MAX_NESTING: usize = 128;

/// The depth and one-based line of the first place nested deeper than
/// `MAX_NESTING`: block levels (each deeper indentation or `- ` opens one)
/// plus flow brackets outside quoted scalars.
pub fn too_deep(text: &str) -> Option<(usize, usize)> {
    // The indentations of the block levels open at the current line.
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if flow == 0 {
            let indent = line.len() - content.len();
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // `- - a`: each dash opens a level on the same line.
            let mut rest = content;
            let mut at = indent;
            while let Some(after) = rest.strip_prefix("- ") {
                at += 2;
                indents.push(at);
                rest = after.trim_start_matches(' ');
            }
        }
        let deepest;
        (flow, deepest) = flow_depth(content, flow);
        let depth = indents.len() + deepest;
        if depth > MAX_NESTING {
            return Some((depth, n + 1));
        }
    }
    None
}

/// The flow depth (`[`, `{`) after `line`, starting at `depth`, and the
/// deepest within it. Quoted scalars are skipped; brackets inside plain
/// scalars count, which can only make a document look deeper than it is.
fn flow_depth(line: &str, mut depth: usize) -> (usize, usize) {
    let mut deepest = depth;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // `''` inside is an escaped quote: closing and reopening
                // gives the same result.
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                }
            }
            '#' => break,
            _ => {}
        }
    }
    (depth, deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_block_and_flow_nesting() {
        let manifest = "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"a[{\"\nspec:\n  ports:\n    - port: 80\n      name: [x, {y: z}]\n";
        assert_eq!(too_deep(manifest), None);
        let block: String = (0..200)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(too_deep(&block), Some((129, 129)));
        let dashes = format!("a:\n{}b\n", "- ".repeat(200));
        assert!(too_deep(&dashes).is_some());
        let flow = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert!(too_deep(&flow).is_some());
        let quoted = format!("a: \"{}\"\n", "[".repeat(200));
        assert_eq!(too_deep(&quoted), None);
    }
}
