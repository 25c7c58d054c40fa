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

/// Reads `new_text`, the next version of `old_text`, into `pins` (the
/// pins of `old_text`, in file order), in place: only the service nodes
/// that overlap the change are read again. Returns the names of those
/// services (the others did not change), or `None`, leaving `pins` as they
/// were, when the change is not plainly within service nodes.
pub fn reparse(
    old_text: &str,
    pins: &mut Vec<ServicePins>,
    new_text: &str,
) -> Option<Vec<Box<str>>> {
    let (o, n) = (old_text.as_bytes(), new_text.as_bytes());
    let prefix = common_prefix(o, n);
    if prefix == o.len() && prefix == n.len() {
        return Some(Vec::new());
    }
    let room = o.len().min(n.len()) - prefix;
    let suffix = common_suffix(&o[prefix..], &n[prefix..], room);
    let old_end = o.len() - suffix;
    let first = pins.first()?;
    if prefix < first.span.start {
        return None;
    }
    // Where to cut: the last node end at or before the change (or the
    // first node's start), and the first node end at or after it.
    let before = pins.partition_point(|s| s.span.end <= prefix);
    let left = match before {
        0 => first.span.start,
        i => pins[i - 1].span.end,
    };
    let last = pins.partition_point(|s| s.span.end < old_end);
    let right = pins.get(last)?.span.end;
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
        if let Some(mut service) = service_pins(node) {
            service.span = service.span.start + left..service.span.end + left;
            read.push(service);
        }
    }
    let mut changed: Vec<Box<str>> = pins[before..=last].iter().map(|s| s.name.clone()).collect();
    changed.extend(read.iter().map(|s| s.name.clone()));
    changed.sort_unstable();
    changed.dedup();
    let moved = before + read.len();
    pins.splice(before..=last, read);
    for s in &mut pins[moved..] {
        s.span = (s.span.start as isize + delta) as usize..(s.span.end as isize + delta) as usize;
    }
    Some(changed)
}

/// How many bytes `a` and `b` share at their start, compared a block at a
/// time (the versions of a snapshot file are tens of kilobytes alike).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 64 <= n && a[i..i + 64] == b[i..i + 64] {
        i += 64;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// How many bytes (at most `room`) `a` and `b` share at their end.
fn common_suffix(a: &[u8], b: &[u8], room: usize) -> usize {
    let (la, lb) = (a.len(), b.len());
    let mut i = 0;
    while i + 64 <= room && a[la - i - 64..la - i] == b[lb - i - 64..lb - i] {
        i += 64;
    }
    while i < room && a[la - i - 1] == b[lb - i - 1] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotion::history::decode::pins;

    const OLD: &str = "// release\nsnapshot \"s\" {\n    description \"d\"\n\n    service \"a\" commit=\"aaaaaaa\"\n    // b's comment\n    service \"b\" {\n        track \"x\" commit=\"bbbbbbb\" weight=90\n        track \"y\" commit=\"ccccccc\" weight=10\n    }\n    service \"c\" commit=\"ddddddd\"; service \"d\" commit=\"eeeeeee\"\n}\n";

    /// The incremental read agrees with reading the whole new text, or
    /// gives up; returns whether it read incrementally.
    fn agrees(new: &str) -> bool {
        let mut old = pins(OLD).unwrap();
        let kept = old.clone();
        let whole = pins(new);
        match reparse(OLD, &mut old, new) {
            Some(_) => {
                assert_eq!(Some(old), whole, "{new}");
                true
            }
            None => {
                assert_eq!(old, kept, "left as it was");
                false
            }
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

    /// Random edits of a generated snapshot, as a history makes them (and
    /// some it does not): every incremental read agrees with a whole read.
    #[test]
    fn random_edits_agree_with_whole_reads() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let line = |i: usize, c: usize| match i % 7 {
            0 => format!(
                "    service \"s{i}\" {{\n        track \"a\" commit=\"{c:07x}\" weight=90\n        track \"b\" commit=\"{:07x}\" weight=10\n    }}\n",
                c + 1
            ),
            1 => format!("    service \"s{i}\" commit=\"{c:07x}\" // s{i}\n"),
            2 => format!("    // about s{i}\n    service \"s{i}\" commit=\"{c:07x}\"\n"),
            _ => format!("    service \"s{i}\" commit=\"{c:07x}\"\n"),
        };
        let mut lines: Vec<String> = (0..40).map(|i| line(i, 0x1000000 + i)).collect();
        let text = |lines: &[String]| {
            format!(
                "snapshot \"r\" {{\n    description \"x\"\n{}}}\n",
                lines.concat()
            )
        };
        let mut old_text = text(&lines);
        let mut old = pins(&old_text).unwrap();
        let (mut incremental, mut whole) = (0, 0);
        for _ in 0..2_000 {
            let i = next(lines.len());
            match next(10) {
                0 if lines.len() > 1 => {
                    lines.remove(i);
                }
                1 => lines.insert(i, line(next(1000) + 100, next(1 << 24) + 0x1000000)),
                2 => lines[i] = lines[i].replace("\n", " \n"),
                3 => lines[i] = format!("    /- service \"gone\" commit=\"1234567\"\n{}", lines[i]),
                _ => lines[i] = line(i, next(1 << 24) + 0x1000000),
            }
            let new_text = text(&lines);
            let expected = pins(&new_text);
            let mut read = old.clone();
            match reparse(&old_text, &mut read, &new_text) {
                Some(changed) => {
                    incremental += 1;
                    assert_eq!(Some(&read), expected.as_ref(), "{new_text}");
                    // Every service whose pins differ is among those read again.
                    let texts = |p: &[ServicePins], name: &str| -> Vec<Box<str>> {
                        p.iter()
                            .filter(|s| &*s.name == name)
                            .flat_map(|s| s.texts.clone())
                            .collect()
                    };
                    for s in old.iter().chain(&read) {
                        if texts(&old, &s.name) != texts(&read, &s.name) {
                            assert!(changed.contains(&s.name), "{} in {new_text}", s.name);
                        }
                    }
                }
                None => whole += 1,
            }
            old = expected.unwrap();
            old_text = new_text;
        }
        assert!(
            incremental > whole * 10,
            "{incremental} incremental, {whole} whole"
        );
    }
}
