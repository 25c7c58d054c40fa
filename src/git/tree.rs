//! Raw git tree objects, read without libgit2's tree parser: a history walk
//! compares the same large `services/` folder at every commit, and only the
//! few entries that differ matter.

use std::cmp::Ordering;
use std::collections::HashMap;

use git2::Oid;

/// A tree object's bytes. Looked up once or twice (the untouched-path
/// check), a scan is cheapest; looked up for many names, an index by name
/// is built on the third lookup.
pub(super) struct RawTree {
    pub(super) data: Box<[u8]>,
    lookups: std::cell::Cell<u32>,
    index: std::cell::OnceCell<HashMap<Box<[u8]>, Oid>>,
}

impl RawTree {
    pub(super) fn new(data: Box<[u8]>) -> RawTree {
        RawTree {
            data,
            lookups: Default::default(),
            index: Default::default(),
        }
    }

    pub(super) fn entry(&self, name: &[u8]) -> Option<Oid> {
        let n = self.lookups.get() + 1;
        self.lookups.set(n);
        if n <= 2 {
            return entries(&self.data)
                .find(|e| e.name == name)
                .and_then(|e| Oid::from_bytes(e.id).ok());
        }
        let index = self.index.get_or_init(|| {
            entries(&self.data)
                .filter_map(|e| Some((e.name.into(), Oid::from_bytes(e.id).ok()?)))
                .collect()
        });
        index.get(name).copied()
    }
}

/// One entry of a raw tree: `<mode> <name>\0` and a 20-byte id.
#[derive(Clone, Copy)]
pub(super) struct Entry<'a> {
    pub(super) name: &'a [u8],
    pub(super) id: &'a [u8],
    /// Mode `40000`: git orders a folder's name as if it ended in `/`.
    pub(super) folder: bool,
    /// The whole entry, mode to id: equal bytes, equal entries.
    pub(super) raw: &'a [u8],
}

/// The entries of a raw tree, in the tree's order. Stops at the first
/// malformed entry.
pub(super) fn entries(data: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        // Modes are five or six octal digits (`40000`, `100644`).
        let space = match (data.get(at + 5), data.get(at + 6)) {
            (Some(b' '), _) => at + 5,
            (_, Some(b' ')) => at + 6,
            _ => at + data.get(at..)?.iter().position(|&b| b == b' ')?,
        };
        let start = space + 1;
        let nul = start + data.get(start..)?.iter().position(|&b| b == 0)?;
        let id = data.get(nul + 1..nul + 21)?;
        let entry = Entry {
            name: &data[start..nul],
            id,
            folder: space == at + 5 && data[at] == b'4',
            raw: &data[at..nul + 21],
        };
        at = nul + 21;
        Some(entry)
    })
}

/// Git sorts tree entries by name, a folder's name as if it ended in `/`.
pub(super) fn git_order(a: &Entry, b: &Entry) -> Ordering {
    let common = a.name.len().min(b.name.len());
    match a.name[..common].cmp(&b.name[..common]) {
        Ordering::Equal => {}
        other => return other,
    }
    let next = |e: &Entry| match (e.name.get(common), e.folder) {
        (Some(&byte), _) => Some(byte),
        (None, true) => Some(b'/'),
        (None, false) => None,
    };
    next(a).cmp(&next(b))
}

/// The names of the entries that differ between two raw trees (added,
/// removed, or with another id or mode). Both lists are in git's order, so
/// one merge finds them; equal entries are told apart by their bytes alone.
pub(super) fn changed_names<'a>(a: &'a [u8], b: &'a [u8]) -> Vec<&'a [u8]> {
    let mut xs = entries(a).peekable();
    let mut ys = entries(b).peekable();
    let mut names = Vec::new();
    loop {
        let order = match (xs.peek(), ys.peek()) {
            (None, None) => break,
            (Some(x), Some(y)) if x.raw == y.raw => {
                xs.next();
                ys.next();
                continue;
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => git_order(x, y),
        };
        match order {
            Ordering::Less => names.push(xs.next().expect("peeked").name),
            Ordering::Greater => names.push(ys.next().expect("peeked").name),
            Ordering::Equal => {
                // Same name and kind, another id or mode.
                names.push(xs.next().expect("peeked").name);
                ys.next();
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(entries: &[(&str, &str, u8)]) -> Vec<u8> {
        let mut raw = Vec::new();
        for (mode, name, byte) in entries {
            raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            raw.extend_from_slice(&[*byte; 20]);
        }
        raw
    }

    fn entry(name: &'static str, folder: bool) -> Entry<'static> {
        Entry {
            name: name.as_bytes(),
            id: &[],
            folder,
            raw: &[],
        }
    }

    #[test]
    fn scans_raw_tree_entries() {
        let raw = tree(&[
            ("40000", "cart", 1),
            ("100644", "cart.md", 2),
            ("40000", "taxe", 3),
        ]);
        let find = |data: &[u8], name: &[u8]| {
            entries(data)
                .find(|e| e.name == name)
                .map(|e| Oid::from_bytes(e.id).unwrap())
        };
        assert_eq!(find(&raw, b"taxe"), Oid::from_bytes(&[3; 20]).ok());
        assert_eq!(find(&raw, b"cart"), Oid::from_bytes(&[1; 20]).ok());
        assert_eq!(find(&raw, b"car"), None);
        assert_eq!(find(&raw[..30], b"taxe"), None);
        // Scanned, then indexed: the same answers.
        let tree = RawTree::new(raw.into());
        for _ in 0..4 {
            assert_eq!(tree.entry(b"cart.md"), Oid::from_bytes(&[2; 20]).ok());
            assert_eq!(tree.entry(b"nope"), None);
        }
        assert!(tree.index.get().is_some());
    }

    #[test]
    fn git_orders_folders_as_if_they_ended_in_a_slash() {
        use Ordering::*;
        assert_eq!(git_order(&entry("a", true), &entry("a.b", false)), Greater);
        assert_eq!(git_order(&entry("a", false), &entry("a.b", false)), Less);
        assert_eq!(git_order(&entry("a", true), &entry("a", true)), Equal);
        assert_eq!(git_order(&entry("a", false), &entry("a", true)), Less);
        assert_eq!(git_order(&entry("ab", false), &entry("a", true)), Greater);
    }

    #[test]
    fn finds_added_removed_and_changed_entries() {
        // Git's order: `a.md` before the folder `a` (as if `a/`).
        let a = tree(&[
            ("100644", "a.md", 2),
            ("40000", "a", 1),
            ("40000", "b", 3),
            ("40000", "d", 4),
        ]);
        let b = tree(&[
            ("100644", "a.md", 2),
            ("40000", "a", 1),
            ("40000", "b", 9),
            ("40000", "c", 5),
            ("40000", "d", 4),
        ]);
        assert_eq!(changed_names(&a, &b), vec![&b"b"[..], b"c"]);
        assert_eq!(changed_names(&b, &a), vec![&b"b"[..], b"c"]);
        assert_eq!(changed_names(&a, &a), Vec::<&[u8]>::new());
        let mut all = changed_names(&a, &[]);
        all.sort();
        assert_eq!(all, vec![&b"a"[..], b"a.md", b"b", b"d"]);
    }
}
