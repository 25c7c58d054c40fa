//! Stage 5, diff: compares a fresh render with what `out/` held before (on
//! disk, or committed at a git revision, `git_tree`) per environment, file
//! by file and service by service (`semantic`). Files are compared as bytes
//! first; only those that differ are diffed line by line. The one `Diff`
//! built here is printed by a `format_*` module; the JSON format serialises
//! it as it is, so its fields are documented in docs/diff.md.

pub mod format_json;
pub mod format_markdown;
pub mod format_patch;
pub mod format_text;
pub mod git_tree;
pub mod mask;
pub mod semantic;
mod var_paths;

use serde::{Serialize, Serializer};
use similar::{Algorithm, DiffTag};

use crate::emit::{Change, ChangeKind, Listing, Tree, compare};
use crate::error::Result;
use crate::pipeline::Compiled;
use crate::render::SnapshotJson;

use git_tree::{Base, Compared};
use mask::Masker;
use semantic::{History, ServiceChange, ValueChange};

/// Lines of context around each change, as `diff -u` has them.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// The revision `out/` was read at; `None` for `out/` on disk.
    pub against: Option<Against>,
    pub environments: Vec<EnvDiff>,
    /// Pins that skip the path to production with `hotfix`, in every
    /// environment compared (the markdown shows those of environments
    /// that change).
    pub hotfixes: Vec<crate::promotion::Hotfix>,
    /// Environments whose change restores exactly what they ran before
    /// their previous change (docs/history.md): the markdown marks them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollbacks: Vec<String>,
    /// `pr-url` of `snapset.kdl`: the markdown links the pull requests
    /// commit subjects name. Not part of the JSON: it is configuration.
    #[serde(skip)]
    pub pr_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Against {
    /// As given to `--against`.
    #[serde(rename = "ref")]
    pub rev: String,
    pub commit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvStatus {
    /// `out/<env>/` did not exist.
    Added,
    /// The environment left snapset.kdl; render deletes its folder.
    Removed,
    Modified,
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvDiff {
    pub name: String,
    pub status: EnvStatus,
    pub old_snapshot: Option<String>,
    pub new_snapshot: Option<String>,
    /// Files whose bytes are the same on both sides.
    pub unchanged_files: usize,
    pub services: Vec<ServiceChange>,
    /// The clusters of an environment declared with clusters (its files
    /// are under `<cluster>/`); left out otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    pub files: Vec<FileDiff>,
    #[serde(skip)]
    masker: Masker,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileDiff {
    /// From the root of the git repository around the workspace (else the
    /// workspace): what `a/` and `b/` of the patch are followed by.
    pub path: String,
    /// Relative to `out/<env>/`.
    pub file: String,
    /// The cluster whose folder holds the file, for an environment on
    /// clusters; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    pub change: ChangeKind,
    /// Not UTF-8 on one side: no hunks.
    pub binary: bool,
    pub added_lines: usize,
    pub removed_lines: usize,
    pub hunks: Vec<Hunk>,
}

/// One `@@ -old_start,old_lines +new_start,new_lines @@` block; the
/// numbers are those of the header (a start is the line before when the
/// range is empty).
#[derive(Debug, Clone, Serialize)]
pub struct Hunk {
    pub old_start: usize,
    pub old_lines: usize,
    pub new_start: usize,
    pub new_lines: usize,
    #[serde(serialize_with = "serialize_lines")]
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// Without the line's `\n`.
    pub text: String,
    /// `false` for a last line without `\n` (`\ No newline at end of file`).
    pub newline: bool,
}

impl LineKind {
    pub fn sign(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Added => '+',
            LineKind::Removed => '-',
        }
    }
}

pub const NO_NEWLINE: &str = "\\ No newline at end of file";

/// Lines as a unified diff writes them: ` text`, `+text`, `-text`, and the
/// `\ No newline at end of file` marker as a line of its own.
fn serialize_lines<S: Serializer>(lines: &[Line], s: S) -> std::result::Result<S::Ok, S::Error> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        out.push(format!("{}{}", line.kind.sign(), line.text));
        if !line.newline {
            out.push(NO_NEWLINE.to_string());
        }
    }
    out.serialize(s)
}

/// Totals over a diff, for summary lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub environments: usize,
    pub changed_environments: usize,
    pub added: usize,
    pub removed: usize,
    pub modified: usize,
    pub unchanged: usize,
}

impl Totals {
    pub fn changed(&self) -> usize {
        self.added + self.removed + self.modified
    }

    /// The totals of one more environment (or diff) counted in.
    pub fn add(&mut self, other: Totals) {
        self.environments += other.environments;
        self.changed_environments += other.changed_environments;
        self.added += other.added;
        self.removed += other.removed;
        self.modified += other.modified;
        self.unchanged += other.unchanged;
    }

    /// `3 files changed (1 added, 2 modified)`.
    pub fn files_phrase(&self) -> String {
        let changed = self.changed();
        let mut parts = Vec::new();
        for (n, what) in [
            (self.added, "added"),
            (self.removed, "removed"),
            (self.modified, "modified"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        format!(
            "{} changed ({})",
            crate::text::words::count(changed, "file", "files"),
            parts.join(", ")
        )
    }
}

impl Diff {
    /// Compares the render in `compiled` with `base`. With `every_env` (no
    /// `--env`), environments that left snapset.kdl but whose folder is
    /// still in `out/` are listed as removed, as `render` deletes them.
    /// `listing` is `out/` listed beforehand, when the base is on disk.
    pub fn build(
        compiled: &Compiled,
        base: &Base,
        listing: &Listing,
        prefix: &str,
        every_env: bool,
        against: Option<Against>,
    ) -> Result<Diff> {
        let mut environments = Vec::new();
        Diff::each_env(compiled, base, listing, prefix, every_env, |env| {
            environments.push(env);
            Ok(())
        })?;
        Ok(Diff {
            against,
            environments,
            hotfixes: compiled.proofs.hotfixes.clone(),
            rollbacks: Vec::new(),
            pr_url: compiled
                .workspace
                .config
                .pr_url
                .as_ref()
                .map(|u| u.value.clone()),
        })
    }

    /// `build`, one environment at a time and in the same order: each
    /// `EnvDiff` goes to `each` before the next is made. A format that writes
    /// environments one after the other keeps one environment's hunks in
    /// memory instead of the whole release's (every commit moved at 1,000
    /// services is some 40,000 lines of hunks).
    pub fn each_env(
        compiled: &Compiled,
        base: &Base,
        listing: &Listing,
        prefix: &str,
        every_env: bool,
        mut each: impl FnMut(EnvDiff) -> Result<()>,
    ) -> Result<()> {
        let mut history = History::new(&compiled.repo);
        let envs: Vec<(&str, &Tree)> = compiled
            .rendered
            .iter()
            .map(|r| (r.name.as_str(), &r.files))
            .collect();
        let compared = base.compare(&envs, listing)?;
        let mut resolved_envs = compiled.release.each_environment();
        for (rendered, compared) in compiled.rendered.iter().zip(compared) {
            // `out/_agent/` (the agent's objects) comes last and belongs to
            // no environment.
            let Some(resolved) = resolved_envs.next() else {
                let old = match compared {
                    Compared::Differs(Some(old)) => old,
                    Compared::Differs(None) => base.read_env(&rendered.name)?,
                    _ => rendered.files.clone(),
                };
                each(agent_diff(&rendered.name, &old, &rendered.files, prefix)?)?;
                continue;
            };
            let Compared::Differs(old) = compared else {
                // Equal bytes: nothing to read back, diff or mask.
                each(EnvDiff {
                    name: rendered.name.clone(),
                    status: EnvStatus::Unchanged,
                    old_snapshot: Some(resolved.snapshot.name.clone()),
                    new_snapshot: Some(resolved.snapshot.name.clone()),
                    unchanged_files: rendered.files.len(),
                    services: Vec::new(),
                    clusters: compiled.release.clusters_of(&rendered.name),
                    files: Vec::new(),
                    masker: Masker::default(),
                })?;
                continue;
            };
            // Read one environment at a time, and dropped after its diff.
            let old = match old {
                Some(old) => old,
                None => base.read_env(&rendered.name)?,
            };
            let new_json = SnapshotJson::new(resolved);
            let mut env = env_diff(
                &rendered.name,
                &old,
                &rendered.files,
                Some(new_json),
                prefix,
                &mut history,
            )?;
            env.set_clusters(compiled.release.clusters_of(&rendered.name));
            drop(old);
            each(env)?;
        }
        if every_env {
            let names: Vec<String> = compiled.rendered.iter().map(|r| r.name.clone()).collect();
            for (name, old) in base.stale_environments(&names)? {
                each(env_diff(
                    &name,
                    &old,
                    &Tree::new(),
                    None,
                    prefix,
                    &mut history,
                )?)?;
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.environments.iter().all(|e| e.files.is_empty())
    }

    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for env in &self.environments {
            t.add(env.totals());
        }
        t
    }

    /// Masks the values of secret-looking variables in the file diffs, for
    /// every format but `patch` (which must apply).
    pub fn mask_files(&mut self) {
        for env in &mut self.environments {
            env.mask_files();
        }
    }
}

impl EnvDiff {
    /// Names the cluster of each file, for an environment on clusters.
    fn set_clusters(&mut self, clusters: Vec<String>) {
        for file in &mut self.files {
            file.cluster = file
                .file
                .split_once('/')
                .map(|(c, _)| c)
                .filter(|c| clusters.iter().any(|k| k == c))
                .map(str::to_string);
        }
        self.clusters = clusters;
    }

    /// `Diff::mask_files`, for one environment.
    pub fn mask_files(&mut self) {
        for file in &mut self.files {
            self.masker.hunks(&mut file.hunks);
        }
    }

    pub fn totals(&self) -> Totals {
        let count = |kind| self.files.iter().filter(|f| f.change == kind).count();
        Totals {
            // `out/_agent/` is a folder of the render, not an environment.
            environments: usize::from(self.name != crate::render::agent::FOLDER),
            changed_environments: usize::from(
                !self.files.is_empty() && self.name != crate::render::agent::FOLDER,
            ),
            added: count(ChangeKind::Added),
            removed: count(ChangeKind::Removed),
            modified: count(ChangeKind::Modified),
            unchanged: self.unchanged_files,
        }
    }
}

/// The `snapshot.json` of an environment's folder: its own, or its first
/// cluster's.
fn snapshot_json(tree: &Tree) -> Option<&Vec<u8>> {
    tree.get("snapshot.json").or_else(|| {
        tree.iter()
            .find(|(k, _)| {
                k.strip_suffix("/snapshot.json")
                    .is_some_and(|c| !c.contains('/'))
            })
            .map(|(_, v)| v)
    })
}

/// The diff of `out/_agent/`: files only, no services or snapshots.
fn agent_diff(name: &str, old: &Tree, new: &Tree, prefix: &str) -> Result<EnvDiff> {
    let mut history_free = env_diff_files(name, old, new, prefix);
    history_free.status = if old.is_empty() {
        EnvStatus::Added
    } else if history_free.files.is_empty() {
        EnvStatus::Unchanged
    } else {
        EnvStatus::Modified
    };
    Ok(history_free)
}

/// The file diffs of a folder, with nothing read from its snapshot.
fn env_diff_files(name: &str, old: &Tree, new: &Tree, prefix: &str) -> EnvDiff {
    let changes = compare(name, new, old);
    let files = file_diffs(name, &changes, old, new, prefix);
    EnvDiff {
        name: name.to_string(),
        status: EnvStatus::Unchanged,
        old_snapshot: None,
        new_snapshot: None,
        unchanged_files: unchanged(&changes, new),
        services: Vec::new(),
        clusters: Vec::new(),
        files,
        masker: Masker::default(),
    }
}

/// The diff of each changed file of folder `name`.
fn file_diffs(
    name: &str,
    changes: &[Change],
    old: &Tree,
    new: &Tree,
    prefix: &str,
) -> Vec<FileDiff> {
    changes
        .iter()
        .map(|c| {
            file_diff(
                format!("{prefix}out/{name}/{}", c.file),
                &c.file,
                c.kind,
                old.get(&c.file),
                new.get(&c.file),
            )
        })
        .collect()
}

/// How many files of `new` the changes leave as they were.
fn unchanged(changes: &[Change], new: &Tree) -> usize {
    new.len()
        - changes
            .iter()
            .filter(|c| c.kind != ChangeKind::Removed)
            .count()
}

/// The clusters of an environment folder, old or new (`<c>/snapshot.json`).
fn cluster_names(old: &Tree, new: &Tree) -> Vec<String> {
    let mut names: Vec<String> = old
        .keys()
        .chain(new.keys())
        .filter_map(|k| k.strip_suffix("/snapshot.json"))
        .filter(|c| !c.contains('/'))
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The services that moved in an environment on clusters: the pins are
/// the same in every cluster, the values may not be. A value change every
/// cluster shares is said once; one that only some clusters have is said
/// per cluster.
fn cluster_changes(
    old: &Tree,
    new: &Tree,
    clusters: &[String],
    history: &mut History,
) -> Result<Vec<ServiceChange>> {
    let read = |tree: &Tree, key: &str| -> Option<SnapshotJson> {
        tree.get(key).and_then(|b| serde_json::from_slice(b).ok())
    };
    let mut merged: Vec<ServiceChange> = Vec::new();
    for cluster in clusters {
        let key = format!("{cluster}/snapshot.json");
        if old.get(&key).is_some() && old.get(&key) == new.get(&key) {
            continue;
        }
        let changes = history.compare(read(old, &key).as_ref(), read(new, &key).as_ref())?;
        for mut change in changes {
            let values = [
                std::mem::take(&mut change.vars),
                std::mem::take(&mut change.env),
                std::mem::take(&mut change.features),
            ];
            let at = match merged.iter().position(|m| m.name == change.name) {
                Some(at) => at,
                None => {
                    merged.push(change);
                    merged.len() - 1
                }
            };
            let into = &mut merged[at];
            for (list, values) in [&mut into.vars, &mut into.env, &mut into.features]
                .into_iter()
                .zip(values)
            {
                list.extend(values.into_iter().map(|mut v| {
                    v.cluster = Some(cluster.clone());
                    v
                }));
            }
        }
    }
    // What every cluster changed alike is one change of the environment.
    for change in &mut merged {
        for list in [&mut change.vars, &mut change.env, &mut change.features] {
            let mut out: Vec<ValueChange> = Vec::new();
            for v in list.drain(..) {
                let same = |o: &ValueChange| {
                    o.name == v.name && o.track == v.track && o.old == v.old && o.new == v.new
                };
                if out.iter().any(|o| same(o) && o.cluster.is_none()) {
                    continue;
                }
                out.push(v);
            }
            for v in out.clone() {
                let alike = out
                    .iter()
                    .filter(|o| {
                        o.name == v.name && o.track == v.track && o.old == v.old && o.new == v.new
                    })
                    .count();
                if alike == clusters.len() && v.cluster.is_some() {
                    out.retain(|o| {
                        !(o.name == v.name
                            && o.track == v.track
                            && o.old == v.old
                            && o.new == v.new)
                    });
                    out.push(ValueChange { cluster: None, ..v });
                }
            }
            out.sort_by(|a, b| {
                (&a.name, &a.track, &a.cluster).cmp(&(&b.name, &b.track, &b.cluster))
            });
            *list = out;
        }
    }
    merged.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(merged)
}

/// The `snapshot.json` of every cluster of an environment on clusters.
fn other_clusters(tree: &Tree) -> Vec<SnapshotJson> {
    tree.iter()
        .filter(|(k, _)| {
            k.strip_suffix("/snapshot.json")
                .is_some_and(|c| !c.contains('/'))
        })
        .filter_map(|(_, v)| serde_json::from_slice(v).ok())
        .collect()
}

fn env_diff(
    name: &str,
    old: &Tree,
    new: &Tree,
    new_json: Option<SnapshotJson>,
    prefix: &str,
    history: &mut History,
) -> Result<EnvDiff> {
    let changes = compare(name, new, old);
    // An environment on clusters has one per cluster, with the same pins:
    // the first one tells which services moved.
    let old_bytes = snapshot_json(old);
    let old_json: Option<SnapshotJson> = old_bytes.and_then(|b| serde_json::from_slice(b).ok());
    let clusters = cluster_names(old, new);
    let services = if !clusters.is_empty() && new_json.is_some() {
        cluster_changes(old, new, &clusters, history)?
    } else if old_bytes.is_some() && old_bytes == snapshot_json(new) {
        Vec::new()
    } else {
        history.compare(old_json.as_ref(), new_json.as_ref())?
    };
    let files = file_diffs(name, &changes, old, new, prefix);
    let status = if new_json.is_none() {
        EnvStatus::Removed
    } else if old.is_empty() {
        EnvStatus::Added
    } else if files.is_empty() {
        EnvStatus::Unchanged
    } else {
        EnvStatus::Modified
    };
    Ok(EnvDiff {
        name: name.to_string(),
        status,
        old_snapshot: old_json.as_ref().map(|s| s.snapshot.clone()),
        new_snapshot: new_json.as_ref().map(|s| s.snapshot.clone()),
        unchanged_files: unchanged(&changes, new),
        services,
        clusters: Vec::new(),
        files,
        // Every cluster's values are masked, not only the first's.
        masker: Masker::new(
            old_json
                .iter()
                .chain(new_json.iter())
                .chain(other_clusters(old).iter())
                .chain(other_clusters(new).iter()),
        ),
    })
}

fn file_diff(
    path: String,
    file: &str,
    change: ChangeKind,
    old: Option<&Vec<u8>>,
    new: Option<&Vec<u8>>,
) -> FileDiff {
    fn text(b: Option<&Vec<u8>>) -> std::result::Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(b.map_or(&[][..], |b| b.as_slice()))
    }
    let (binary, hunks) = match (text(old), text(new)) {
        (Ok(old), Ok(new)) => (false, hunks(old, new)),
        _ => (true, Vec::new()),
    };
    let count = |kind| {
        hunks
            .iter()
            .flat_map(|h| &h.lines)
            .filter(|l| l.kind == kind)
            .count()
    };
    FileDiff {
        path,
        file: file.to_string(),
        cluster: None,
        change,
        binary,
        added_lines: count(LineKind::Added),
        removed_lines: count(LineKind::Removed),
        hunks,
    }
}

/// The hunks between two texts. Lines end at `\n` only, as git and patch
/// read them (a lone `\r` stays inside its line).
fn hunks(old: &str, new: &str) -> Vec<Hunk> {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let new: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = similar::capture_diff_slices(Algorithm::Myers, &old, &new);
    let line = |kind, text: &str| Line {
        kind,
        text: text.strip_suffix('\n').unwrap_or(text).to_string(),
        newline: text.ends_with('\n'),
    };
    similar::group_diff_ops(ops, CONTEXT)
        .into_iter()
        .filter(|group| !group.is_empty())
        .map(|group| {
            let mut lines = Vec::new();
            for op in &group {
                let (tag, o, n) = op.as_tag_tuple();
                let removed = old[o.clone()].iter().map(|t| line(LineKind::Removed, t));
                let added = new[n].iter().map(|t| line(LineKind::Added, t));
                match tag {
                    DiffTag::Equal => {
                        lines.extend(old[o].iter().map(|t| line(LineKind::Context, t)))
                    }
                    DiffTag::Delete => lines.extend(removed),
                    DiffTag::Insert => lines.extend(added),
                    DiffTag::Replace => {
                        lines.extend(removed);
                        lines.extend(added);
                    }
                }
            }
            let (first, last) = (
                group[0].as_tag_tuple(),
                group[group.len() - 1].as_tag_tuple(),
            );
            let (old_from, old_to) = (first.1.start, last.1.end);
            let (new_from, new_to) = (first.2.start, last.2.end);
            let start = |from: usize, len: usize| if len == 0 { from } else { from + 1 };
            Hunk {
                old_start: start(old_from, old_to - old_from),
                old_lines: old_to - old_from,
                new_start: start(new_from, new_to - new_from),
                new_lines: new_to - new_from,
                lines,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch_of(old: &str, new: &str) -> String {
        let mut out = String::new();
        for h in hunks(old, new) {
            out.push_str(&format_patch::hunk_header(&h));
            out.push('\n');
            for l in &h.lines {
                out.push(l.kind.sign());
                out.push_str(&l.text);
                out.push('\n');
                if !l.newline {
                    out.push_str(NO_NEWLINE);
                    out.push('\n');
                }
            }
        }
        out
    }

    #[test]
    fn hunks_match_diff_u() {
        assert_eq!(patch_of("", "a\nb\n"), "@@ -0,0 +1,2 @@\n+a\n+b\n");
        assert_eq!(patch_of("a\n", ""), "@@ -1 +0,0 @@\n-a\n");
        assert_eq!(
            patch_of("a\nb\n", "a\nc"),
            "@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"
        );
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replace("10\n", "ten\n");
        assert_eq!(
            patch_of(&old, &new),
            "@@ -7,7 +7,7 @@\n 7\n 8\n 9\n-10\n+ten\n 11\n 12\n 13\n"
        );
        // A lone \r is not a line end.
        assert_eq!(patch_of("a\rb\n", "a\rc\n"), "@@ -1 +1 @@\n-a\rb\n+a\rc\n");
    }
}
