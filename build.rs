//! Stamps `snapset --version` with the commit it was built from, as
//! `cargo --version` does (`snapset 0.1.0 (dc4c121ab 2026-12-02)`), so a bug
//! report names the exact build. Only a build from a git checkout of snapset
//! itself has a commit: the published crate (unpacked by `cargo install`,
//! perhaps inside some other repository) prints the version alone.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let stamp = match commit(&manifest) {
        Some(commit) => format!("{version} ({commit})"),
        None => {
            // No checkout to watch. `cargo package` builds its copy of the
            // crate with the checkout's target directory, sharing this
            // script's output: a path that does not exist makes cargo run the
            // script again on the next build, so the checkout's build gets its
            // commit back.
            println!("cargo:rerun-if-changed=.git");
            version
        }
    };
    println!("cargo:rustc-env=SNAPSET_VERSION={stamp}");
}

/// `<short hash> <commit date>` of HEAD when `dir` is the top of a git work
/// tree, and tells cargo to run this script again when HEAD moves.
fn commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let stamp = git(dir, &["log", "-1", "--abbrev=9", "--format=%h %cs"])?;
    // HEAD names the branch; the branch's ref file (or packed-refs) moves
    // with each commit. A worktree keeps HEAD in its own git dir and the
    // refs in the common one.
    let git_dir = PathBuf::from(git(dir, &["rev-parse", "--absolute-git-dir"])?);
    let common = PathBuf::from(git(
        dir,
        &["rev-parse", "--path-format=absolute", "--git-common-dir"],
    )?);
    let mut watched = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common.join(branch));
    }
    for path in watched {
        // A path that does not exist would make cargo run the script on
        // every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Some(stamp)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}
