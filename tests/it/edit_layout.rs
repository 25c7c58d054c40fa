//! Edits keep `snapset fmt`'s layout: every edit command run on a
//! workspace that `fmt --check` passes, in KDL 1.0 and in 2.0, leaves it
//! passing (the new or changed node written as `fmt` writes it, the columns
//! of its run lined up again), and `canary start` then `canary abort` gives
//! the file back byte for byte. Files `fmt` would change keep their own
//! layout (edit_syntax.rs).

use crate::common;

use common::git_fixture::GitFixture;
use common::workspace::{Run, Shop, TestWorkspace};

/// The standard shop with comments at the ends of lines and a snapshot
/// that does not pin `tower` yet (`bump` adds it), laid out by `fmt` in
/// KDL `version`.
fn formatted(version: &str) -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "// the first release\nsnapshot \"s1\" {{\n    service \"cart\" commit=\"{}\" // cart: first\n    service \"taxe\"   commit=\"{}\"\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
        ),
    );
    ok(&ws.run(&["fmt", "--kdl-version", version]));
    fmt_clean(&ws, "set up");
    (ws, shop)
}

fn ok(run: &Run) {
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// `fmt --check` passes after `step`.
fn fmt_clean(ws: &TestWorkspace, step: &str) {
    let check = ws.run(&["fmt", "--check"]);
    assert_eq!(
        check.code,
        0,
        "after {step}, fmt would change {}\n{}\n{}",
        check.stdout,
        ws.read("snapset.kdl"),
        ws.read("snapshots/s1.kdl"),
    );
}

/// Runs `args`, which must succeed and keep the workspace formatted.
fn edit(ws: &TestWorkspace, args: &[&str]) {
    ok(&ws.run(args));
    fmt_clean(ws, &args.join(" "));
}

fn every_edit_keeps_the_layout(version: &str) {
    let (ws, shop) = formatted(version);
    // `bump` adds a pin (a new line of the run), then moves one.
    edit(&ws, &["bump", "s1", "tower", "--to", &shop.tower1]);
    edit(&ws, &["bump", "s1", "taxe"]);
    // A canary turns a line of an aligned run into a block, and back.
    let before = ws.read("snapshots/s1.kdl");
    edit(&ws, &["canary", "start", "s1", "tower", "--weight", "20"]);
    edit(&ws, &["canary", "weight", "s1", "tower", "30"]);
    edit(&ws, &["canary", "abort", "s1", "tower"]);
    assert_eq!(ws.read("snapshots/s1.kdl"), before, "start then abort");
    edit(&ws, &["canary", "start", "s1", "cart"]);
    edit(&ws, &["canary", "promote", "s1", "cart"]);
    // New snapshot files, then environments bound to them: a longer name
    // widens the column of `snapshot=`.
    edit(&ws, &["snapshot", "new", "s2"]);
    edit(&ws, &["snapshot", "new", "release-2", "--from", "s1"]);
    let mut git = GitFixture::init(&ws.root);
    git.set_time(1_767_225_600);
    git.commit_all("s1 everywhere");
    edit(&ws, &["promote", "release-2", "--env", "dev"]);
    edit(&ws, &["promote", "s2", "--env", "prod"]);
    git.set_time(1_767_229_200);
    git.commit_all("new snapshots");
    edit(&ws, &["rollback", "--env", "prod"]);
    // Rejects: the first starts a run, the second lines up with it.
    edit(
        &ws,
        &[
            "reject",
            "tower",
            &shop.tower1,
            "--reason",
            "leaks \"memory\"",
        ],
    );
    edit(&ws, &["reject", "cart", &shop.cart1, "--reason", "slow"]);
    let config = ws.read("snapset.kdl");
    let want = format!(
        "reject \"tower\" \"{}\" reason=\"leaks \\\"memory\\\"\"\nreject \"cart\"  \"{}\" reason=\"slow\"\n",
        shop.tower1, shop.cart1
    );
    assert!(config.ends_with(&want), "{config}");
}

#[test]
fn every_edit_keeps_a_kdl_1_file_formatted() {
    every_edit_keeps_the_layout("1");
}

#[test]
fn every_edit_keeps_a_kdl_2_file_formatted() {
    every_edit_keeps_the_layout("2");
}

/// On a formatted file, a canary's start leaves the `commit=` column of the
/// run to the service's neighbours (they keep their bytes), and its abort
/// puts the service back in it: exactly the file that was there.
#[test]
fn canary_start_then_abort_gives_a_formatted_file_back() {
    for version in ["1", "2"] {
        let (ws, _) = formatted(version);
        ok(&ws.run(&["bump", "s1", "tower"]));
        let before = ws.read("snapshots/s1.kdl");
        assert!(before.contains("service \"cart\"  commit="), "{before}");
        ok(&ws.run(&["canary", "start", "s1", "cart", "--weight", "10"]));
        let started = ws.read("snapshots/s1.kdl");
        assert!(
            started.contains("    service \"taxe\"  commit=")
                && started.contains("    service \"cart\" {\n        track \"stable\" commit="),
            "{started}"
        );
        ok(&ws.run(&["canary", "abort", "s1", "cart"]));
        assert_eq!(ws.read("snapshots/s1.kdl"), before, "KDL {version}");
    }
}
