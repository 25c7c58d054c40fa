//! Reading a new version of a snapshot file from the previous one. Along a
//! workspace's history a snapshot file changes a pin or two per commit, and
//! reading a thousand versions of a thousand-service file whole is sixty
//! megabytes of KDL. The text both versions share at the start and at the
//! end is left as read; only the service nodes that overlap the rest are
//! read again, with the same KDL reader, and the others keep their pins
//! (their spans shifted).
//!
//! Splitting is safe at the end of a service node (after its terminator,
//! where the reader stands between two nodes) and before the first one.
//! The piece between two such places is read alone, followed by a sentinel
//! node: if the piece's last node were not properly ended, the sentinel
//! would run into it and the piece would not read. Whatever is not plainly
//! a run of `service` nodes gives up (`None`), and the caller reads the
//! whole file.

use super::decode::{ServicePins, service_pins};

const SENTINEL: &str = "snapset-sentinel";

/// A new version's pins, read incrementally: the pins and the names of the
/// services whose node was read again (the others did not change).
pub struct Reparsed {
    pub pins: Vec<ServicePins>,
    pub changed: Vec<Box<str>>,
}

pub fn reparse(old_text: &str, old: &[ServicePins], new_text: &str) -> Option<Reparsed> {
    let (o, n) = (old_text.as_bytes(), new_text.as_bytes());
    let prefix = o.iter().zip(n).take_while(|(a, b)| a == b).count();
    if prefix == o.len() && prefix == n.len() {
        return Some(Reparsed {
            pins: old.to_vec(),
            changed: Vec::new(),
        });
    }
    let room = o.len().min(n.len()) - prefix;
    let suffix = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    let old_end = o.len() - suffix;
    let first = old.first()?;
    if prefix < first.span.start {
        return None;
    }
    // Where to cut: the last node end at or before the change (or the
    // first node's start), and the first node end at or after it.
    let before = old.partition_point(|s| s.span.end <= prefix);
    let left = match before {
        0 => first.span.start,
        i => old[i - 1].span.end,
    };
    let last = old.partition_point(|s| s.span.end < old_end);
    let right = old.get(last)?.span.end;
    let delta = n.len() as isize - o.len() as isize;
    let new_right = usize::try_from(right as isize + delta).ok()?;
    let piece = new_text.get(left..new_right)?;
    let mut text = String::with_capacity(piece.len() + SENTINEL.len() + 1);
    text.push_str(piece);
    text.push_str(SENTINEL);
    text.push('\n');
    let doc = crate::load::kdl_parse::parse(&text)?;
    let (sentinel, nodes) = doc.nodes.split_last()?;
    if &*sentinel.name != SENTINEL
        || sentinel.span.start != piece.len()
        || !sentinel.arguments.is_empty()
        || !sentinel.properties.is_empty()
        || sentinel.children.is_some()
    {
        return None;
    }
    let mut read = Vec::with_capacity(nodes.len());
    for node in nodes {
        if &*node.name != "service" {
            return None;
        }
        if let Some(mut pins) = service_pins(node) {
            pins.span = pins.span.start + left..pins.span.end + left;
            read.push(pins);
        }
    }
    let replaced = &old[before..=last];
    let mut changed: Vec<Box<str>> = replaced.iter().map(|s| s.name.clone()).collect();
    changed.extend(read.iter().map(|s| s.name.clone()));
    changed.sort_unstable();
    changed.dedup();
    let mut pins = Vec::with_capacity(old.len() + read.len() - replaced.len());
    pins.extend_from_slice(&old[..before]);
    pins.extend(read);
    pins.extend(old[last + 1..].iter().map(|s| {
        let mut s = s.clone();
        s.span = (s.span.start as isize + delta) as usize..(s.span.end as isize + delta) as usize;
        s
    }));
    Some(Reparsed { pins, changed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::decode::pins;

    const OLD: &str = "// release\nsnapshot \"s\" {\n    description \"d\"\n\n    service \"a\" commit=\"aaaaaaa\"\n    // b's comment\n    service \"b\" {\n        track \"x\" commit=\"bbbbbbb\" weight=90\n        track \"y\" commit=\"ccccccc\" weight=10\n    }\n    service \"c\" commit=\"ddddddd\"; service \"d\" commit=\"eeeeeee\"\n}\n";

    /// The incremental read agrees with reading the whole new text, or
    /// gives up; returns whether it read incrementally.
    fn agrees(new: &str) -> bool {
        let old = pins(OLD).unwrap();
        let whole = pins(new);
        match reparse(OLD, &old, new) {
            Some(r) => {
                assert_eq!(Some(r.pins), whole, "{new}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_only_what_changed_and_agrees_with_a_whole_read() {
        assert!(agrees(OLD));
        assert!(agrees(&OLD.replace("aaaaaaa", "fffffff")));
        assert!(agrees(&OLD.replace("ccccccc", "1234567")));
        assert!(agrees(&OLD.replace("eeeeeee", "7654321")));
        assert!(agrees(&OLD.replace("weight=90", "weight=80")));
        assert!(agrees(&OLD.replace("// b's comment\n", "")));
        assert!(agrees(&OLD.replace(
            "    service \"a\"",
            "    service \"new\" commit=\"0000000\"\n    service \"a\""
        )));
        assert!(agrees(
            &OLD.replace("    service \"a\" commit=\"aaaaaaa\"\n", "")
        ));
        assert!(agrees(
            &OLD.replace("service \"c\" commit=\"ddddddd\"; ", "")
        ));
        assert!(agrees(
            &OLD.replace("commit=\"aaaaaaa\"\n", "commit=\"aaaaaaa\" // now\n")
        ));
    }

    #[test]
    fn gives_up_where_a_piece_would_not_read_as_the_whole_does() {
        // The terminator of `a` removed: `a` would swallow `b`.
        assert!(!agrees(
            &OLD.replace("commit=\"aaaaaaa\"\n", "commit=\"aaaaaaa\" ")
        ));
        // A comment opened in the piece and closed after it.
        assert!(!agrees(&OLD.replace("// b's comment", "/* b's comment")));
        // The closing brace, the description, the header.
        assert!(!agrees(&format!("{OLD}// end\n")));
        assert!(!agrees(&OLD.replace("\"d\"\n\n", "\"e\"\n\n")));
        assert!(!agrees(&OLD.replace("\"s\"", "\"t\"")));
        // A node that is no service.
        assert!(!agrees(&OLD.replace(
            "    service \"a\"",
            "    feature \"x\" true\n    service \"a\""
        )));
        // A line continuation at the end of the piece.
        assert!(!agrees(
            &OLD.replace("commit=\"aaaaaaa\"\n", "commit=\"aaaaaaa\" \\\n")
        ));
    }
}
