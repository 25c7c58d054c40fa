//! Editing the workspace's files for `bump`, `snapshot new`, `promote` and
//! `canary`: values are spliced into the source text (nothing is re-printed
//! from a syntax tree), checked by loading and resolving the edited
//! workspace, and written atomically; `prove` judges the path to production
//! of what an edit writes, as `check` will. `newest` (over `git::touched`
//! and `git::Touching`) finds the commits to pin; `tracks` writes a canary's
//! tracks.

mod layout;
pub mod newest;
pub mod prove;
pub mod splice;
pub mod tracks;

use git2::Oid;

use crate::error::{Error, ErrorKind, Result};
use crate::git::Repo;

pub use splice::{FileEdit, Replace, splice};

/// `value` as a KDL string literal, quotes included (`text::kdl::string`:
/// every line break and control character escaped).
pub fn quote(value: &str) -> String {
    crate::text::kdl::string(value)
}

/// The literal that replaces `old` (a string literal as written in the
/// file) with `value`: in the same style when `old` is a raw string
/// (`r"…"`, `r#"…"#`) that can hold `value` unescaped, else quoted. A value
/// with a control character is always quoted, so that it shows escaped.
pub fn literal(old: &str, value: &str) -> String {
    if value.chars().any(crate::text::terminal::is_control) {
        return quote(value);
    }
    if let Some(rest) = old.strip_prefix('r') {
        let hashes = "#".repeat(rest.len() - rest.trim_start_matches('#').len());
        if !value.contains(&format!("\"{hashes}")) {
            return format!("r{hashes}\"{value}\"{hashes}");
        }
    }
    quote(value)
}

/// The shortest hex length snapset writes for a pin.
pub const MIN_PIN_LEN: usize = 10;

/// How to write `oid` in a snapshot: as long as the value it replaces (so a
/// column of pins stays aligned and the diff is one word), at least
/// `MIN_PIN_LEN` digits, and longer when that prefix is ambiguous — the
/// text always resolves back to `oid` through `Repo::resolve_pin`.
pub fn pin_text(repo: &Repo, oid: Oid, old_len: usize) -> String {
    let hex = oid.to_string();
    let mut len = old_len.clamp(MIN_PIN_LEN, hex.len());
    while len < hex.len() && repo.resolve_pin(&hex[..len]) != Ok(oid) {
        len += 1;
    }
    hex[..len].to_string()
}

/// The edited snapshot `name` resolves, and so does every environment
/// bound to it: what an edit proves before it is written.
pub fn resolves(
    ws: &crate::load::Workspace,
    repos: &crate::resolve::Repos,
    name: &str,
) -> Result<()> {
    use crate::resolve::{CommitCache, Resolver};
    let resolver = Resolver::new(ws, repos);
    let envs: Vec<_> = ws
        .config
        .environments
        .iter()
        .filter(|e| e.snapshot.value == name)
        .collect();
    if envs.is_empty() {
        resolver.pin_snapshot(name, None, &mut CommitCache::new(repos))?;
    } else {
        resolver.resolve(&envs)?;
    }
    Ok(())
}

/// A revision the user typed (`--to`), or HEAD.
pub fn resolve_ref(repo: &Repo, reference: &str) -> Result<Oid> {
    repo.resolve_ref(reference).ok_or_else(|| {
        Error::new(ErrorKind::UnknownRevision {
            rev: reference.to_string(),
            repo: repo.phrase(),
        })
    })
}

/// A snapshot name that is also a safe file name: `snapshots/<name>.kdl`
/// stays in `snapshots/` and is not hidden from the loader.
pub fn check_snapshot_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Invalid {
            what: format!("snapshot name `{name}`"),
            expected: "letters, digits, `.`, `_` and `-`, not starting with `.`".into(),
        }))
    }
}

/// "1 commit", "3 commits".
pub fn commits(n: usize) -> String {
    if n == 1 {
        "1 commit".into()
    } else {
        format!("{n} commits")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_kdl_strings() {
        assert_eq!(quote("2026-11-26"), "\"2026-11-26\"");
        assert_eq!(quote("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(quote("\u{1}"), "\"\\u{1}\"");
    }

    #[test]
    fn keeps_raw_strings_raw() {
        assert_eq!(literal("\"abc\"", "def"), "\"def\"");
        assert_eq!(literal("r\"abc\"", "def"), "r\"def\"");
        assert_eq!(literal("r##\"abc\"##", "d\"e"), "r##\"d\"e\"##");
        assert_eq!(literal("r\"abc\"", "d\"e"), "\"d\\\"e\"");
        assert_eq!(literal("r\"abc\"", "d\u{2028}e"), "\"d\\u{2028}e\"");
    }

    /// The loader's spans of string values cover the whole literal, quotes
    /// (and a raw string's `r#`) included, and nothing else: what `bump`
    /// and `promote` replace.
    #[test]
    fn value_spans_cover_the_literal() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("snapshots")).unwrap();
        std::fs::write(
            root.join("snapset.kdl"),
            "service \"cart\" path=\"a\" port=1\nenvironment \"dev\"\tsnapshot=\"s1\" varset=\"v\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("snapshots/s1.kdl"),
            "snapshot   \"s1\"{\n\tservice\t\"cart\" /* c */ commit=\"0123456789\" // x\n  service \"tower\" {\n    track \"a\" commit=r#\"abcdef0\"# weight=100\n  }\n}\n",
        )
        .unwrap();
        let mut sources = crate::error::sources::Sources::default();
        let ws = crate::load::Loader::new(root, &mut sources).load().unwrap();
        let text = |loc: &crate::error::sources::Loc| {
            sources.get(loc.file).text[loc.span.clone()].to_string()
        };
        let s1 = &ws.snapshots["s1"];
        assert_eq!(text(&s1.name.loc), "\"s1\"");
        assert_eq!(text(&s1.services[0].tracks[0].commit.loc), "\"0123456789\"");
        assert_eq!(text(&s1.services[1].tracks[0].commit.loc), "r#\"abcdef0\"#");
        assert_eq!(text(&ws.config.environments[0].snapshot.loc), "\"s1\"");
    }

    #[test]
    fn snapshot_names_are_file_names() {
        for ok in ["2026-11-26", "rc_1.2", "A"] {
            assert!(check_snapshot_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", ".hidden", "a/b", "../x", "a b", "é"] {
            assert!(check_snapshot_name(bad).is_err(), "{bad}");
        }
    }
}
