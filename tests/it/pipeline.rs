//! The path to production, proven from git (issue 19): an environment with
//! `from=` takes only commits its upstream ran first, as the workspace's
//! own history records it, and with `soak=` for that long in one stretch.
//! Every history here is built in a temp-dir repository with fixed
//! committer times, and "now" is given to the child process only
//! (`SOURCE_DATE_EPOCH`).

use crate::common;

use std::collections::BTreeMap;

use common::git_fixture::GitFixture;
use common::workspace::{Run, Shop, TestWorkspace, redact};

/// 2026-01-01T00:00:00Z.
pub(crate) const T0: i64 = 1_767_225_600;
pub(crate) const H: i64 = 3_600;

const SERVICES: &str = "repo \"../shop.git\"\n\
image \"registry.example.com/shop/{service}:{commit}\"\n\n\
service \"cart\"  path=\"services/cart\"  port=8080\n\
service \"taxe\"  path=\"services/taxe\"  port=8080\n\
service \"tower\" path=\"services/tower\" port=9090\n\n";

/// Before the path to production was declared.
pub(crate) const PLAIN: &str = "environment \"dev\"         snapshot=\"dev\"         varset=\"dev\"\n\
environment \"integration\" snapshot=\"integration\" varset=\"dev\"\n\
environment \"prod\"        snapshot=\"prod\"        varset=\"prod\"\n";

pub(crate) const PATH: &str = "environment \"dev\"         snapshot=\"dev\"         varset=\"dev\"\n\
environment \"integration\" snapshot=\"integration\" varset=\"dev\" from=\"dev\"\n\
environment \"prod\"        snapshot=\"prod\"        varset=\"prod\" from=\"integration\" soak=\"24h\"\n";

/// A workspace in git over the shop's services: every snapshot pins the
/// first commits at T0, snapset.kdl declares the path an hour later.
pub(crate) struct Pipe {
    pub(crate) ws: TestWorkspace,
    pub(crate) shop: Shop,
    pub(crate) git: GitFixture,
    /// Snapshot → service → commit, as written to snapshots/.
    pins: BTreeMap<String, BTreeMap<String, String>>,
}

impl Pipe {
    pub(crate) fn new() -> Pipe {
        Pipe::declaring(PATH)
    }

    /// The shop's history up to the commit (T0 + 1 h) declaring `envs`.
    pub(crate) fn declaring(envs: &str) -> Pipe {
        let (ws, shop) = TestWorkspace::shop();
        ws.remove("snapshots/s1.kdl");
        let git = GitFixture::init(&ws.root);
        let mut p = Pipe {
            ws,
            shop,
            git,
            pins: BTreeMap::new(),
        };
        for snapshot in ["dev", "integration", "prod"] {
            for (service, commit) in [
                ("cart", p.shop.cart1.clone()),
                ("taxe", p.shop.taxe1.clone()),
                ("tower", p.shop.tower1.clone()),
            ] {
                p.set(snapshot, service, &commit);
            }
        }
        p.config(PLAIN);
        p.commit(0, "a workspace");
        p.config(envs);
        p.commit(1, "the path to production");
        p
    }

    /// The history cache snapset keeps for this workspace (in the git
    /// directory, never in the work tree), once written.
    pub(crate) fn history_cache(&self) -> Option<std::path::PathBuf> {
        self.ws.cache_file("history.json")
    }

    pub(crate) fn config(&self, envs: &str) {
        self.ws.write("snapset.kdl", &format!("{SERVICES}{envs}"));
    }

    /// Pins `service` of snapshot `snapshot` at `commit` (on disk).
    pub(crate) fn set(&mut self, snapshot: &str, service: &str, commit: &str) {
        self.pins
            .entry(snapshot.to_string())
            .or_default()
            .insert(service.to_string(), commit[..10].to_string());
        self.write(snapshot);
    }

    fn write(&self, snapshot: &str) {
        let mut text = format!("snapshot \"{snapshot}\" {{\n");
        for (service, commit) in &self.pins[snapshot] {
            text.push_str(&format!("    service \"{service}\" commit=\"{commit}\"\n"));
        }
        text.push_str("}\n");
        self.ws.write(&format!("snapshots/{snapshot}.kdl"), &text);
    }

    /// Commits the work tree at T0 + `hours`.
    pub(crate) fn commit(&mut self, hours: i64, message: &str) -> String {
        self.git.set_time(T0 + hours * H);
        self.git.commit_all(message)
    }

    /// `snapset ARGS` with "now" at T0 + `hours`.
    pub(crate) fn run_at(&self, hours: i64, args: &[&str]) -> Run {
        let now = (T0 + hours * H).to_string();
        self.ws
            .run_env(&self.ws.root, args, &[("SOURCE_DATE_EPOCH", &now)])
    }

    pub(crate) fn check_at(&self, hours: i64) -> Run {
        self.run_at(hours, &["check"])
    }

    fn stderr(&self, run: &Run) -> String {
        redact(&run.stderr, &self.ws)
    }
}

/// A report's words, whatever the lines it was wrapped into: miette wraps
/// long messages at the terminal's width.
pub(crate) fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `run` reported `words` (compared as `flat` text).
#[track_caller]
pub(crate) fn says(run: &Run, words: &str) {
    assert!(
        flat(&run.stderr).contains(&flat(words)),
        "expected {words:?} in:\n{}",
        run.stderr
    );
}

#[track_caller]
pub(crate) fn ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

#[track_caller]
pub(crate) fn fails(run: &Run) {
    assert_eq!(
        run.code, 2,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// Declaring the path keeps what each environment ran before (adoption):
/// the first commits were pinned everywhere in one commit, before `from=`.
#[test]
fn adopting_the_path_keeps_what_environments_ran() {
    let p = Pipe::new();
    ok(&p.check_at(2));
}

/// The issue's "done when": a pull request pins a commit in prod that
/// integration never ran; `check` fails at that line, with the reason.
#[test]
fn an_untested_commit_in_prod_fails_at_its_line() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("prod", "cart", &cart2);
    let run = p.check_at(2);
    fails(&run);
    insta::assert_snapshot!("untested_commit_in_prod", p.stderr(&run));
    // In CI, on the pull request's line.
    let github = p.run_at(2, &["check", "--format", "github"]);
    fails(&github);
    let annotation = github
        .stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("{}", github.stderr));
    assert!(
        annotation.starts_with("::error file=snapshots/prod.kdl,line=2,col=27,")
            && annotation.contains("never pinned in integration"),
        "{annotation}"
    );
    // render and diff enforce it too; render writes nothing.
    fails(&p.run_at(2, &["render"]));
    assert!(!p.ws.path("out").exists(), "out/ untouched");
    fails(&p.run_at(2, &["diff"]));
    // Committed, it fails all the same: the commit is where prod took it.
    p.commit(2, "prod: cart 2");
    let run = p.check_at(3);
    fails(&run);
    says(&run, "never pinned in integration");
}

/// dev → integration → prod, each soaked: every step passes only after
/// the one before, and prod only after 24 hours of integration.
#[test]
fn a_commit_soaked_upstream_passes() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    let int = p.commit(3, "integration: cart 2");
    // Uncommitted, prod's pin is measured against now.
    p.set("prod", "cart", &cart2);
    let early = p.check_at(8);
    fails(&early);
    let expected = format!(
        "cart {} is not proven for `prod`: pinned in integration at {} (2026-01-01 03:00 UTC), 5h ago; prod needs 24h",
        &cart2[..8],
        &int[..8]
    );
    says(&early, &expected);
    insta::assert_snapshot!("soaking_in_integration", p.stderr(&early));
    ok(&p.check_at(27));
    // Committed later, prod's take is its commit time: 24 h after.
    p.commit(27, "prod: cart 2");
    ok(&p.check_at(100));
}

/// A commit integration ran for an hour, then replaced, never satisfies
/// `soak="24h"`, however long ago that was.
#[test]
fn a_commit_replaced_after_an_hour_never_soaks() {
    let mut p = Pipe::new();
    let (cart1, cart2) = (p.shop.cart1.clone(), p.shop.cart2.clone());
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.set("integration", "cart", &cart1);
    let back = p.commit(4, "integration: back to cart 1");
    p.set("prod", "cart", &cart2);
    let run = p.check_at(24 * 30);
    fails(&run);
    says(
        &run,
        &format!(
            "for 1h only, replaced at {} (2026-01-01 04:00 UTC); prod needs 24h in one stretch",
            &back[..8]
        ),
    );
    // Two short stretches do not add up either.
    p.set("integration", "cart", &cart2);
    p.commit(5, "integration: cart 2 again");
    p.set("integration", "cart", &cart1);
    p.commit(6, "integration: cart 1 again");
    fails(&p.check_at(24 * 30));
}

/// "Strictly earlier": a snapshot that dev and integration share takes a
/// commit for both in one commit, which proves nothing for integration.
#[test]
fn a_snapshot_shared_with_the_upstream_proves_nothing() {
    let mut p = Pipe::new();
    p.config(&PATH.replace("snapshot=\"integration\"", "snapshot=\"dev\"        "));
    p.commit(2, "integration shares dev's snapshot");
    ok(&p.check_at(3));
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    let both = p.commit(3, "dev and integration: cart 2");
    let run = p.check_at(200);
    fails(&run);
    says(
        &run,
        &format!(
            "pinned in dev in the same change as in integration ({} (2026-01-01 03:00 UTC)): it must run in dev first",
            &both[..8]
        ),
    );
    says(&run, "snapshots/dev.kdl:");
}

/// Renaming a snapshot file (and rebinding the environment to the new
/// name) does not restart the clock of the pins it keeps.
#[test]
fn a_renamed_snapshot_file_keeps_the_clock() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    let text =
        p.ws.read("snapshots/integration.kdl")
            .replace("\"integration\"", "\"rc-1\"");
    p.ws.remove("snapshots/integration.kdl");
    p.ws.write("snapshots/rc-1.kdl", &text);
    p.config(&PATH.replace("snapshot=\"integration\"", "snapshot=\"rc-1\"       "));
    p.commit(20, "integration: the snapshot is rc-1 now");
    p.set("prod", "cart", &cart2);
    ok(&p.check_at(27));
    fails(&p.check_at(26));
}

/// Rebinding an environment to another snapshot: what both pin runs on,
/// what only the new one pins starts then.
#[test]
fn an_environment_rebound_to_another_snapshot() {
    let mut p = Pipe::new();
    let (cart2, taxe2) = (p.shop.cart2.clone(), p.shop.taxe2.clone());
    p.set("dev", "cart", &cart2);
    p.set("dev", "taxe", &taxe2);
    p.commit(2, "dev: cart 2, taxe 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    // `rc` pins cart 2 as integration did, and taxe 2 new to integration.
    p.pins.insert("rc".into(), p.pins["integration"].clone());
    p.set("rc", "taxe", &taxe2);
    p.config(&PATH.replace("snapshot=\"integration\"", "snapshot=\"rc\"         "));
    p.commit(20, "integration: rc");
    p.set("prod", "cart", &cart2);
    ok(&p.check_at(28));
    p.set("prod", "taxe", &taxe2);
    let run = p.check_at(28);
    fails(&run);
    says(&run, "8h ago; prod needs 24h");
    ok(&p.check_at(44));
}

/// An upstream that did not exist in old commits: those commits read (no
/// `staging` there), and prove nothing for it.
#[test]
fn an_upstream_that_did_not_exist_yet() {
    let mut p = Pipe::new();
    let (cart2, tower2) = (p.shop.cart2.clone(), p.shop.tower2.clone());
    p.pins.insert("staging".into(), p.pins["prod"].clone());
    p.set("staging", "cart", &cart2);
    p.config(&format!(
        "{}environment \"staging\" snapshot=\"staging\" varset=\"prod\"\n",
        PATH.replace(
            "from=\"integration\" soak=\"24h\"",
            "from=\"staging\" soak=\"6h\""
        )
    ));
    p.commit(10, "staging, before prod");
    p.set("prod", "cart", &cart2);
    ok(&p.check_at(16));
    fails(&p.check_at(15));
    p.set("prod", "tower", &tower2);
    let run = p.check_at(16);
    fails(&run);
    says(&run, "never pinned in staging");
}

/// `from="a,b"` requires every one of them.
#[test]
fn several_upstreams_each_prove_it() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.config(&PATH.replace(
        "from=\"integration\" soak=\"24h\"",
        "from=\"dev,integration\"",
    ));
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("prod", "cart", &cart2);
    let run = p.check_at(3);
    fails(&run);
    says(&run, "never pinned in integration");
    assert!(
        !flat(&run.stderr).contains("never pinned in dev"),
        "{}",
        run.stderr
    );
}

/// Merge commits: only the first-parent chain counts. Integration ran
/// cart 2 for days on a branch; on the main line it arrives with the
/// merge, an hour before prod takes it.
#[test]
fn only_the_first_parent_chain_counts() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    let main = p.git.head();
    p.git.branch("qa", &main);
    p.git.checkout_branch("qa");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2, on a branch");
    p.git.checkout_branch("main");
    p.set("integration", "cart", &cart2);
    p.git.set_time(T0 + 100 * H);
    p.git.merge_all("merge qa", "qa");
    p.set("prod", "cart", &cart2);
    let run = p.check_at(101);
    fails(&run);
    says(&run, "1h ago; prod needs 24h");
    ok(&p.check_at(124));
}

/// Changing how a pin is written (a prefix, then the full hash) does not
/// restart its clock.
#[test]
fn rewriting_a_pin_keeps_its_clock() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    let full =
        p.ws.read("snapshots/integration.kdl")
            .replace(&cart2[..10], &cart2.to_uppercase());
    p.ws.write("snapshots/integration.kdl", &full);
    p.commit(10, "integration: the full hash");
    p.set("prod", "cart", &cart2);
    ok(&p.check_at(27));
}

/// Raising `soak=` later does not fail what prod took under the old rule.
#[test]
fn a_pin_is_judged_by_the_rule_it_was_taken_under() {
    let mut p = Pipe::declaring(&PATH.replace("soak=\"24h\"", "soak=\"6h\""));
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.set("prod", "cart", &cart2);
    p.commit(10, "prod: cart 2 after 7 h");
    ok(&p.check_at(11));
    p.config(PATH);
    p.commit(12, "prod: 24 h from now on");
    ok(&p.check_at(13));
    // A new take is judged by the new rule.
    let taxe2 = p.shop.taxe2.clone();
    p.set("dev", "taxe", &taxe2);
    p.commit(14, "dev: taxe 2");
    p.set("integration", "taxe", &taxe2);
    p.commit(15, "integration: taxe 2");
    p.set("prod", "taxe", &taxe2);
    fails(&p.check_at(22));
}

/// A freeze window blocks what prod takes while it is open, a hotfix
/// passes it with a warning, and a window that has ended blocks nothing.
#[test]
fn freeze_windows() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.config(&format!(
        "{PATH}freeze \"prod\" from=\"2026-01-02T12:00Z\" until=\"2026-01-04T00:00Z\" reason=\"inventory days\"\n"
    ));
    p.commit(4, "freeze");
    p.set("prod", "cart", &cart2);
    let run = p.check_at(40);
    fails(&run);
    says(
        &run,
        &format!(
            "`prod` took cart {} during a freeze (2026-01-02 12:00 UTC to 2026-01-04 00:00 UTC): inventory days",
            &cart2[..8]
        ),
    );
    // Before the window opens, and once it has ended.
    ok(&p.check_at(35));
    ok(&p.check_at(72));
    // Committed inside the window: blocked for good, unless hotfix.
    p.commit(40, "prod: cart 2 in the freeze");
    fails(&p.check_at(100));
    let text = p.ws.read("snapshots/prod.kdl").replace(
        &format!("commit=\"{}\"\n", &cart2[..10]),
        &format!(
            "commit=\"{}\" {{\n        hotfix \"the checkout is broken\"\n    }}\n",
            &cart2[..10]
        ),
    );
    p.ws.write("snapshots/prod.kdl", &text);
    let run = p.check_at(100);
    ok(&run);
    says(&run, "hotfix in `prod`: cart");
    says(&run, "the checkout is broken");
}

/// `hotfix` exempts a pin with a warning quoting the reason, and
/// `diff --format markdown` shows it to reviewers.
#[test]
fn a_hotfix_passes_with_a_warning() {
    let mut p = Pipe::new();
    ok(&p.run_at(2, &["render"]));
    p.commit(2, "rendered");
    let tower2 = p.shop.tower2.clone();
    p.ws.write(
        "snapshots/prod.kdl",
        &format!(
            "snapshot \"prod\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\" {{\n        hotfix \"tower 1 drops requests (INC-42); reviewed by ops\"\n    }}\n}}\n",
            &p.shop.cart1[..10],
            &p.shop.taxe1[..10],
            &tower2[..10]
        ),
    );
    let run = p.check_at(3);
    ok(&run);
    insta::assert_snapshot!("hotfix_warning", p.stderr(&run));
    let md = p.run_at(3, &["diff", "--format", "markdown"]);
    assert_eq!(md.code, 1, "{}", md.stderr);
    insta::assert_snapshot!(
        "hotfix_markdown",
        md.stdout.split("#### Manifests").next().unwrap()
    );
    let json = p.run_at(3, &["diff", "--format", "json", "--env", "prod"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["hotfixes"][0]["service"], "tower", "{value}");
    assert_eq!(
        value["hotfixes"][0]["skipped"], "never pinned in integration",
        "{value}"
    );
    // Committed, and rendered: the hotfix stays a warning.
    ok(&p.run_at(3, &["render"]));
    p.commit(3, "prod: tower 2, hotfix");
    let run = p.check_at(4);
    ok(&run);
    says(&run, "INC-42");
}

/// A rejected commit pinned by a track fails in every environment that
/// runs it, and no hotfix overrides a rejection.
#[test]
fn a_rejected_commit_fails_in_every_environment() {
    let p = Pipe::new();
    let (tower1, tower2) = (p.shop.tower1.clone(), p.shop.tower2.clone());
    let shared = format!(
        "snapshot \"dev\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" {{\n        hotfix \"does not help\"\n        track \"stable\" commit=\"{}\" weight=90\n        track \"canary\" commit=\"{}\" weight=10\n    }}\n}}\n",
        &p.shop.cart1[..10],
        &p.shop.taxe1[..10],
        &tower1[..10],
        &tower2[..10]
    );
    p.ws.write("snapshots/dev.kdl", &shared);
    p.config(&format!(
        "{}reject \"tower\" \"{tower2}\" reason=\"corrupts the routing table\"\n",
        PATH.replace("snapshot=\"prod\"       ", "snapshot=\"dev\"        ")
    ));
    for env in ["dev", "prod"] {
        let run = p.run_at(2, &["check", "--env", env]);
        fails(&run);
        says(
            &run,
            &format!(
                "tower {} is rejected: corrupts the routing table",
                &tower2[..8]
            ),
        );
        says(&run, "snapshots/dev.kdl:7:");
    }
    insta::assert_snapshot!(
        "rejected_track",
        p.stderr(&p.run_at(2, &["check", "--env", "dev"]))
    );
}

/// `from=` in a workspace outside git is an error at that line.
#[test]
fn from_outside_git_is_an_error_at_that_line() {
    let (ws, _shop) = TestWorkspace::shop();
    ws.write(
        "snapset.kdl",
        &ws.read("snapset.kdl").replace(
            "environment \"prod\" snapshot=\"s1\" varset=\"prod\"",
            "environment \"prod\" snapshot=\"s1\" varset=\"prod\" from=\"dev\"",
        ),
    );
    let run = ws.run(&["check"]);
    fails(&run);
    insta::assert_snapshot!("from_outside_git", redact(&run.stderr, &ws));
    ok(&ws.run(&["check", "--env", "dev"]));
}

/// A shallow or blob-less clone of the workspace repository cannot prove
/// anything: the error says how to fetch the history.
#[test]
fn a_shallow_or_blobless_clone_says_how_to_fetch() {
    let p = Pipe::new();
    let tmp = p.ws.root.parent().unwrap();
    for (name, flags) in [
        ("shallow", vec!["--depth", "1"]),
        ("blobless", vec!["--filter=blob:none"]),
    ] {
        let clone = tmp.join(name);
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "uploadpack.allowFilter=true",
                "clone",
                "--quiet",
                "--no-local",
            ])
            .args(&flags)
            .arg(format!("file://{}", p.ws.root.display()))
            .arg(&clone)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = p.ws.run_in(&clone, &["check"]);
        fails(&run);
        says(&run, "fetch-depth: 0");
        says(&run, "GIT_DEPTH: 0");
        says(
            &run,
            if name == "shallow" {
                "a shallow clone"
            } else {
                "blob-less"
            },
        );
    }
}

/// What history taught is cached per workspace commit; the answers do not
/// change with the cache, after new commits, or with a broken cache file.
#[test]
fn the_history_cache_changes_no_answer() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.set("prod", "cart", &cart2);
    let first = p.check_at(8);
    fails(&first);
    let cache = p.history_cache().expect("written in the git directory");
    let again = p.check_at(8);
    assert_eq!((again.code, &again.stderr), (first.code, &first.stderr));
    // New commits extend the cache; the answer is a fresh read's.
    p.set("integration", "cart", &p.shop.cart1.clone());
    p.commit(5, "integration: back to cart 1");
    let extended = p.check_at(30);
    std::fs::remove_file(&cache).unwrap();
    let fresh = p.check_at(30);
    fails(&fresh);
    assert_eq!(
        (extended.code, &extended.stderr),
        (fresh.code, &fresh.stderr)
    );
    let _ = p.check_at(30);
    std::fs::write(&cache, "{ not json").unwrap();
    let broken = p.check_at(30);
    assert_eq!((broken.code, &broken.stderr), (fresh.code, &fresh.stderr));
}

/// Old files that do not read, or lack things, prove nothing and break
/// nothing.
#[test]
fn old_files_that_do_not_read_are_tolerated() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    let good = p.ws.read("snapshots/integration.kdl");
    p.ws.write("snapshots/integration.kdl", "snapshot \"integration\" {\n");
    p.commit(4, "integration: broken");
    p.ws.write("snapshots/integration.kdl", &good);
    p.commit(5, "integration: fixed");
    p.set("prod", "cart", &cart2);
    // The broken commit ended integration's stretch: 19 h, not 24.
    let run = p.check_at(24);
    fails(&run);
    says(&run, "19h ago; prod needs 24h");
    ok(&p.check_at(29));
}

/// Bad input in snapset.kdl: each an error at its line.
#[test]
fn bad_declarations_are_errors_at_their_line() {
    let p = Pipe::new();
    for (bad, name) in [
        (PATH.replace("soak=\"24h\"", "soak=\"1 day\""), "bad_soak"),
        (
            PATH.replace("from=\"integration\"", "from=\"integratoin\""),
            "unknown_upstream",
        ),
        (PATH.replace("from=\"dev\"", "from=\"prod\""), "from_cycle"),
        (
            format!(
                "{PATH}freeze \"prod\" from=\"2026-12-20\" until=\"2026-12-01\" reason=\"x\"\n"
            ),
            "freeze_backwards",
        ),
        (
            format!("{PATH}reject \"cart\" \"0123456789\" reason=\"\"\n"),
            "reject_blank_reason",
        ),
    ] {
        p.config(&bad);
        let run = p.check_at(2);
        fails(&run);
        insta::assert_snapshot!(name, p.stderr(&run));
    }
}

/// `snapset ready`: what each environment with `from=` can take now.
#[test]
fn ready_says_what_each_environment_can_take() {
    let mut p = Pipe::new();
    let (cart2, taxe2, tower2) = (
        p.shop.cart2.clone(),
        p.shop.taxe2.clone(),
        p.shop.tower2.clone(),
    );
    p.set("dev", "cart", &cart2);
    p.set("dev", "taxe", &taxe2);
    p.set("dev", "tower", &tower2);
    p.commit(2, "dev: cart 2, taxe 2, tower 2");
    p.set("integration", "cart", &cart2);
    p.set("integration", "taxe", &taxe2);
    p.set("integration", "tower", &tower2);
    p.commit(3, "integration: cart 2, taxe 2, tower 2");
    p.set("dev", "tower", &p.shop.tower1.clone());
    p.commit(3, "dev: tower back to 1");
    // cart 2 needs taxe 2, which prod does not run.
    let text = p.ws.read("snapshots/integration.kdl").replace(
        &format!("commit=\"{}\"\n    service \"taxe\"", &cart2[..10]),
        &format!(
            "commit=\"{}\" {{\n        requires \"taxe\" since=\"{}\"\n    }}\n    service \"taxe\"",
            &cart2[..10],
            &taxe2[..10]
        ),
    );
    p.ws.write("snapshots/integration.kdl", &text);
    p.commit(4, "integration: cart 2 requires taxe 2");
    let run = p.run_at(10, &["ready"]);
    ok(&run);
    insta::assert_snapshot!("ready_table", &run.stdout);
    let json = p.run_at(10, &["ready", "--env", "prod", "--format", "json"]);
    ok(&json);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let envs = value["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 1, "{value}");
    assert_eq!(envs[0]["name"], "prod");
    assert_eq!(envs[0]["soak_seconds"], 86_400);
    let rows = envs[0]["candidates"].as_array().unwrap();
    let row = |service: &str| {
        rows.iter()
            .find(|r| r["service"] == service)
            .unwrap_or_else(|| panic!("{service} in {value}"))
    };
    assert_eq!(row("cart")["state"], "blocked");
    assert_eq!(row("tower")["state"], "soaking");
    assert_eq!(row("tower")["left_seconds"], 17 * 3_600);
    assert_eq!(row("tower")["commit"], tower2.as_str());
    assert_eq!(row("tower")["current"][0], p.shop.tower1.as_str());
    assert_eq!(row("tower")["since"], "2026-01-01T03:00:00+00:00");
    // A day later tower is ready; a rejected commit is never offered.
    p.config(&format!(
        "{PATH}reject \"tower\" \"{}\" reason=\"leaks\"\n",
        &tower2[..10]
    ));
    let later = p.run_at(30, &["ready", "--env", "prod"]);
    ok(&later);
    assert!(!later.stdout.contains("tower"), "{}", later.stdout);
    p.config(PATH);
    let later = p.run_at(30, &["ready", "--env", "prod"]);
    assert!(
        flat(&later.stdout).contains("tower 54df2c05"),
        "{}",
        later.stdout
    );
    assert!(later.stdout.contains(" ready\n"), "{}", later.stdout);
    // In a freeze window: frozen until it ends.
    p.config(&format!(
        "{PATH}freeze \"prod\" from=\"2026-01-01\" until=\"2026-01-03T00:00Z\" reason=\"year start\"\n"
    ));
    let frozen = p.run_at(30, &["ready", "--env", "prod"]);
    assert!(
        frozen
            .stdout
            .contains("frozen until 2026-01-03 00:00 UTC (year start)"),
        "{}",
        frozen.stdout
    );
    // Without any from=, there is nothing to say.
    p.config(PLAIN);
    let plain = p.run_at(30, &["ready"]);
    ok(&plain);
    assert!(
        plain.stdout.contains("no environment has from="),
        "{}",
        plain.stdout
    );
}

/// `ready` names the upstream's track when it runs a service on several:
/// two rows "tower" with different commits read as a duplicate.
#[test]
fn ready_names_the_track_of_a_multi_track_upstream() {
    let mut p = Pipe::new();
    let (tower1, tower2) = (p.shop.tower1.clone(), p.shop.tower2.clone());
    let text = p.ws.read("snapshots/integration.kdl").replace(
        &format!("    service \"tower\" commit=\"{}\"\n", &tower1[..10]),
        &format!(
            "    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=90\n        track \"canary\" commit=\"{}\" weight=10\n    }}\n",
            &tower1[..10],
            &tower2[..10]
        ),
    );
    p.ws.write("snapshots/integration.kdl", &text);
    p.set("dev", "tower", &tower2);
    p.commit(2, "dev: tower 2; integration: tower 2 on a canary");
    let run = p.run_at(40, &["ready", "--env", "prod"]);
    ok(&run);
    assert!(
        flat(&run.stdout).contains(&format!("tower (canary) {} {}", &tower1[..8], &tower2[..8])),
        "{}",
        run.stdout
    );
    let json = p.run_at(40, &["ready", "--env", "prod", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = value["environments"][0]["candidates"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{value}");
    assert_eq!(rows[0]["track"], "canary", "{value}");
    // A single-track service has no track in the JSON.
    let dev = p.run_at(40, &["ready", "--env", "integration", "--format", "json"]);
    assert!(!dev.stdout.contains("\"track\""), "{}", dev.stdout);
    // The page marks prod's cell in the canary's row only.
    let page = p.ws.path("page.html");
    ok(&p.run_at(40, &["report", "-o", page.to_str().unwrap()]));
    let html = std::fs::read_to_string(&page).unwrap();
    let mark = format!(
        "<div class=\"mark mark-ready\">↑ {} (canary) from integration: ready</div>",
        &tower2[..8]
    );
    assert_eq!(html.matches(&mark).count(), 1, "{html}");
}

/// `promote` refuses (exit 2, nothing written) while a pin of the snapshot
/// is not proven for the environment, listing each; `--force` writes.
#[test]
fn promote_refuses_what_is_not_proven() {
    let mut p = Pipe::new();
    let (cart2, taxe2) = (p.shop.cart2.clone(), p.shop.taxe2.clone());
    p.set("dev", "cart", &cart2);
    p.set("dev", "taxe", &taxe2);
    p.commit(2, "dev: cart 2, taxe 2");
    p.set("integration", "cart", &cart2);
    p.set("integration", "taxe", &taxe2);
    p.commit(3, "integration: cart 2, taxe 2");
    let before = p.ws.read("snapset.kdl");
    let refused = p.run_at(10, &["promote", "integration", "--env", "prod"]);
    fails(&refused);
    insta::assert_snapshot!("promote_refused", p.stderr(&refused));
    assert_eq!(p.ws.read("snapset.kdl"), before, "nothing written");
    let forced = p.run_at(10, &["promote", "integration", "--env", "prod", "--force"]);
    ok(&forced);
    says(&forced, "not proven for `prod`");
    assert!(
        forced.stdout.contains("anyway (--force)"),
        "{}",
        forced.stdout
    );
    assert_ne!(p.ws.read("snapset.kdl"), before);
    fails(&p.check_at(10));
    p.ws.write("snapset.kdl", &before);
    let done = p.run_at(28, &["promote", "integration", "--env", "prod"]);
    ok(&done);
    ok(&p.check_at(28));
}

/// `snapset reject` writes the line; every snapshot pinning the commit
/// fails at its line; `bump` passes over it; a second reject changes
/// nothing; a bad one leaves snapset.kdl byte for byte.
#[test]
fn reject_records_the_commit_and_bump_skips_it() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    let before = p.ws.read("snapset.kdl");
    let run = p.run_at(
        3,
        &[
            "reject",
            "cart",
            &cart2[..9],
            "--reason",
            "loses carts \"sometimes\"",
        ],
    );
    ok(&run);
    assert!(run.stdout.contains("snapshots/dev.kdl:"), "{}", run.stdout);
    let after = p.ws.read("snapset.kdl");
    assert_eq!(
        after,
        format!("{before}\nreject \"cart\" \"{cart2}\" reason=\"loses carts \\\"sometimes\\\"\"\n")
    );
    let check = p.check_at(3);
    fails(&check);
    says(&check, "is rejected: loses carts \"sometimes\"");
    let again = p.run_at(3, &["reject", "cart", &cart2, "--reason", "again"]);
    ok(&again);
    assert!(
        again.stdout.contains("already rejected"),
        "{}",
        again.stdout
    );
    assert_eq!(p.ws.read("snapset.kdl"), after);
    let taxe2 = p.shop.taxe2.clone();
    ok(&p.run_at(3, &["reject", "taxe", &taxe2, "--reason", "slow"]));
    let two = p.ws.read("snapset.kdl");
    assert!(
        two.ends_with(
            &format!("reason=\"sometimes\\\"\"\nreject \"taxe\" \"{taxe2}\" reason=\"slow\"\n")
                .replace("reason=\"sometimes", "reason=\"loses carts \\\"sometimes")
        ),
        "{two}"
    );
    // bump takes the newest commit that is not rejected: cart 1.
    let bump = p.run_at(3, &["bump", "dev", "cart"]);
    ok(&bump);
    assert!(
        bump.stdout.contains("skipped 1 newer commit:")
            && bump.stdout.contains(&format!("{} ", &cart2[..8]))
            && bump
                .stdout
                .contains("(rejected: loses carts \"sometimes\")"),
        "{}",
        bump.stdout
    );
    assert!(p.ws.read("snapshots/dev.kdl").contains(&p.shop.cart1[..10]));
    ok(&p.check_at(3));
    for bad in [
        vec!["reject", "kart", &cart2[..10], "--reason", "x"],
        vec!["reject", "cart", "0000000000", "--reason", "x"],
        vec!["reject", "cart", &cart2[..10], "--reason", "  "],
    ] {
        let run = p.run_at(3, &bad);
        fails(&run);
        assert_eq!(p.ws.read("snapset.kdl"), two);
    }
}

/// The release page marks what prod could take, and its hotfixes.
#[test]
fn the_release_page_marks_the_path() {
    let mut p = Pipe::new();
    let (cart2, tower2) = (p.shop.cart2.clone(), p.shop.tower2.clone());
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    p.ws.write(
        "snapshots/prod.kdl",
        &format!(
            "snapshot \"prod\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\" {{\n        hotfix \"<b>INC-9</b>\"\n    }}\n}}\n",
            &p.shop.cart1[..10],
            &p.shop.taxe1[..10],
            &tower2[..10]
        ),
    );
    let page = p.ws.path("page.html");
    let run = p.run_at(10, &["report", "-o", page.to_str().unwrap()]);
    ok(&run);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&format!(
            "<div class=\"mark mark-soaking\">↑ {} from integration: soaking (17h left)</div>",
            &cart2[..8]
        )),
        "{html}"
    );
    // Integration runs what dev runs: nothing to mark there.
    assert!(!html.contains("from dev:"), "{html}");
    assert!(
        html.contains(
            "<div class=\"mark mark-hotfix\" title=\"never pinned in integration\">hotfix: &lt;b&gt;INC-9&lt;/b&gt;</div>"
        ),
        "{html}"
    );
}

/// A workspace in a folder of its repository: the history of that folder
/// is read, the rest of the repository ignored.
#[test]
fn a_workspace_in_a_folder_of_its_repository() {
    let (ws, shop) = TestWorkspace::shop();
    let mut git = GitFixture::init(&ws.root);
    let config = format!("{SERVICES}{PLAIN}").replace("\"../shop.git\"", "\"../../shop.git\"");
    let snapshot = |name: &str, cart: &str| {
        format!(
            "snapshot \"{name}\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &cart[..10],
            &shop.taxe1[..10],
            &shop.tower1[..10]
        )
    };
    for rel in [
        "snapset.kdl",
        "snapshots/s1.kdl",
        "varsets/base.kdl",
        "varsets/dev.kdl",
        "varsets/prod.kdl",
    ] {
        let text = ws.read(rel);
        ws.remove(rel);
        ws.write(&format!("deploy/{rel}"), &text);
    }
    ws.remove("deploy/snapshots/s1.kdl");
    ws.write("deploy/snapset.kdl", &config);
    for env in ["dev", "integration", "prod"] {
        ws.write(
            &format!("deploy/snapshots/{env}.kdl"),
            &snapshot(env, &shop.cart1),
        );
    }
    ws.write("README.md", "the shop's deployment\n");
    git.set_time(T0);
    git.commit_all("a workspace in deploy/");
    ws.write(
        "deploy/snapset.kdl",
        &format!("{SERVICES}{PATH}").replace("\"../shop.git\"", "\"../../shop.git\""),
    );
    ws.write("deploy/snapshots/dev.kdl", &snapshot("dev", &shop.cart2));
    git.set_time(T0 + H);
    git.commit_all("the path, and dev takes cart 2");
    ws.write(
        "deploy/snapshots/integration.kdl",
        &snapshot("integration", &shop.cart2),
    );
    ws.write("README.md", "the shop's deployment, in deploy/\n");
    git.set_time(T0 + 2 * H);
    git.commit_all("integration: cart 2");
    let dir = ws.path("deploy");
    let now = (T0 + 3 * H).to_string();
    let run = ws.run_env(&dir, &["check"], &[("SOURCE_DATE_EPOCH", &now)]);
    ok(&run);
    ws.write("deploy/snapshots/prod.kdl", &snapshot("prod", &shop.cart2));
    let run = ws.run_env(&dir, &["check"], &[("SOURCE_DATE_EPOCH", &now)]);
    fails(&run);
    says(&run, "1h ago; prod needs 24h");
    says(&run, "snapshots/prod.kdl:2:");
}

/// A reason holding every character KDL ends a line at cannot add a node
/// to snapset.kdl: it is written as one string, read back as it was.
#[test]
fn a_reject_reason_never_adds_a_node() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    let reason =
        "bad\n\r\u{85}\u{c}\u{2028}\u{2029}environment \"evil\" snapshot=\"dev\" varset=\"dev\"";
    ok(&p.run_at(3, &["reject", "cart", &cart2, "--reason", reason]));
    let config = p.ws.read("snapset.kdl");
    assert!(
        config.contains(r#"\u{2028}\u{2029}environment \"evil\""#),
        "{config}"
    );
    assert_eq!(
        config
            .lines()
            .filter(|l| l.starts_with("environment"))
            .count(),
        PATH.lines()
            .filter(|l| l.starts_with("environment"))
            .count(),
        "{config}"
    );
    let check = p.check_at(3);
    fails(&check);
    says(&check, "is rejected: bad");
}

/// `canary start` passes over a rejected commit as `bump` does: the only
/// newer commit of cart is rejected, so there is nothing newer to start and
/// the snapshot stays as it was.
#[test]
fn canary_start_skips_a_rejected_commit() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.commit(2, "dev: cart 1");
    ok(&p.run_at(3, &["reject", "cart", &cart2, "--reason", "loses carts"]));
    let before = p.ws.read("snapshots/dev.kdl");
    let run = p.run_at(3, &["canary", "start", "dev", "cart"]);
    fails(&run);
    says(&run, "its stable commit");
    assert_eq!(p.ws.read("snapshots/dev.kdl"), before);
    // Without the reject, the same start takes cart 2.
    p.config(PATH);
    ok(&p.run_at(3, &["canary", "start", "dev", "cart"]));
    assert!(p.ws.read("snapshots/dev.kdl").contains(&cart2[..10]));
}

/// The snapset.kdl lines a report quotes (`  9 │ environment …`) that are
/// not lines of the file on disk.
fn lines_not_on_disk(report: &str, on_disk: &str) -> Vec<String> {
    let mut in_config = false;
    let mut out = Vec::new();
    for line in report.lines() {
        if line.contains("╭─[") {
            in_config = line.contains("╭─[snapset.kdl:");
            continue;
        }
        let Some((number, text)) = line.split_once(" │ ") else {
            continue;
        };
        if in_config
            && number.trim().parse::<usize>().is_ok()
            && !on_disk.lines().any(|l| l == text)
        {
            out.push(text.to_string());
        }
    }
    out
}

/// Issue 28: a promote refused for a rejected commit says the commit is
/// rejected, quoting the reason, and suggests `bump` or another snapshot,
/// not waiting; every line of snapset.kdl it shows is the file on disk.
#[test]
fn promote_refused_for_a_rejected_commit_says_so() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.config(&format!(
        "{PATH}reject \"cart\" \"{}\" reason=\"loses carts\"\n",
        &cart2[..10]
    ));
    p.commit(3, "reject cart 2");
    let before = p.ws.read("snapset.kdl");
    let refused = p.run_at(30, &["promote", "dev", "--env", "integration"]);
    fails(&refused);
    says(
        &refused,
        &format!(
            "`integration` cannot take snapshot `dev`: it pins cart {} (rejected: loses carts)",
            &cart2[..8]
        ),
    );
    says(&refused, "`snapset bump dev cart`");
    assert!(!flat(&refused.stderr).contains("wait until they are proven"));
    assert_eq!(p.ws.read("snapset.kdl"), before, "nothing written");
    assert_eq!(
        lines_not_on_disk(&refused.stderr, &before),
        Vec::<String>::new(),
        "{}",
        refused.stderr
    );
    insta::assert_snapshot!(p.stderr(&refused));
    // Refused where the environment has no rule too: a rejection holds
    // everywhere.
    p.config(&format!(
        "{PLAIN}reject \"cart\" \"{}\" reason=\"loses carts\"\n",
        &cart2[..10]
    ));
    let plain = p.run_at(30, &["promote", "dev", "--env", "prod"]);
    fails(&plain);
    says(&plain, "(rejected: loses carts)");
}

/// Issue 28: a refused promote shows snapset.kdl as it is on disk, not
/// as the refused edit would have made it.
#[test]
fn a_refused_promote_shows_the_file_on_disk() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    let before = p.ws.read("snapset.kdl");
    let refused = p.run_at(10, &["promote", "integration", "--env", "prod"]);
    fails(&refused);
    says(&refused, "wait until they are proven");
    assert!(
        refused.stderr.contains("╭─[snapset.kdl:"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        lines_not_on_disk(&refused.stderr, &before),
        Vec::<String>::new(),
        "{}",
        refused.stderr
    );
}

/// Issue 28: `bump` after a reject of the pinned commit goes back, and
/// says it is because the old pin is rejected (it is reachable); when every
/// commit touching the path is rejected, it says so, not "no commit
/// touches".
#[test]
fn bump_names_the_reject_as_the_reason() {
    let mut p = Pipe::new();
    let (cart1, cart2) = (p.shop.cart1.clone(), p.shop.cart2.clone());
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    ok(&p.run_at(3, &["reject", "cart", &cart2, "--reason", "loses carts"]));
    let bump = p.run_at(3, &["bump", "dev", "cart"]);
    ok(&bump);
    assert!(
        bump.stdout.contains(&format!(
            "cart: {} → {} (back: drops 1 commit; the old pin is rejected: loses carts)",
            &cart2[..8],
            &cart1[..8]
        )),
        "{}",
        bump.stdout
    );
    assert!(!bump.stdout.contains("not reachable"), "{}", bump.stdout);
    ok(&p.run_at(3, &["reject", "cart", &cart1, "--reason", "also"]));
    let none = p.run_at(3, &["bump", "dev", "cart"]);
    fails(&none);
    says(
        &none,
        "that touches services/cart (the path of `cart`) is rejected",
    );
    assert!(
        !none.stderr.contains("no commit reachable"),
        "{}",
        none.stderr
    );
}

/// Issue 28: an environment that shares its upstream's snapshot took each
/// pin in the same change: `check` refuses them, so `ready` must not say
/// "nothing to take" but show each as blocked with the same reason.
#[test]
fn ready_agrees_with_check_on_a_shared_snapshot() {
    let mut p = Pipe::new();
    p.config(&PATH.replace("snapshot=\"integration\"", "snapshot=\"dev\"        "));
    p.commit(2, "integration shares dev's snapshot");
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(3, "dev and integration: cart 2");
    fails(&p.check_at(30));
    let ready = p.run_at(30, &["ready", "--env", "integration"]);
    ok(&ready);
    assert!(
        !ready.stdout.contains("nothing to take"),
        "{}",
        ready.stdout
    );
    assert!(ready.stdout.contains(&cart2[..8]), "{}", ready.stdout);
    assert!(
        flat(&ready.stdout).contains("blocked: pinned already, and `check` refuses it: pinned in dev in the same change as in integration"),
        "{}",
        ready.stdout
    );
    // With a hotfix, `check` passes it: so does `ready`.
    let text = p.ws.read("snapshots/dev.kdl").replace(
        &format!("commit=\"{}\"\n", &cart2[..10]),
        &format!(
            "commit=\"{}\" {{\n        hotfix \"INC-1\"\n    }}\n",
            &cart2[..10]
        ),
    );
    p.ws.write("snapshots/dev.kdl", &text);
    ok(&p.check_at(30));
    let hotfixed = p.run_at(30, &["ready", "--env", "integration"]);
    assert!(
        hotfixed.stdout.contains("nothing to take"),
        "{}",
        hotfixed.stdout
    );
}

/// The reasons of a refused run, each as its flat first line (`× …`):
/// what `check` and `promote` say of a pin, without the file they point at.
fn reasons(run: &Run) -> Vec<String> {
    run.stderr
        .split("\n\n")
        .filter(|block| block.contains('×') && !block.contains("cannot take"))
        .map(|block| {
            let head: String = block
                .lines()
                .take_while(|l| !l.contains("╭─["))
                .collect::<Vec<_>>()
                .join(" ");
            flat(&head)
        })
        .collect()
}

/// `canary start`, `canary weight`, `bump` and `snapshot new` judge the
/// pins they write as `promote` does: on prod (from=integration, soak=24h)
/// a pin integration ran for 7 hours is refused with promote's reason and
/// nothing is written; `--force` writes it with the reasons as warnings,
/// and `check` then fails. Before, each wrote the pin and exited 0.
#[test]
fn edits_judge_the_pins_they_write_as_promote_does() {
    let mut p = Pipe::new();
    let cart2 = p.shop.cart2.clone();
    p.set("dev", "cart", &cart2);
    p.commit(2, "dev: cart 2");
    p.set("integration", "cart", &cart2);
    p.commit(3, "integration: cart 2");
    // What promote says of cart 2 in prod, with integration's snapshot.
    let promote = p.run_at(10, &["promote", "integration", "--env", "prod"]);
    fails(&promote);
    let promote_reasons = reasons(&promote);
    assert_eq!(promote_reasons.len(), 1, "{}", promote.stderr);
    assert!(
        promote_reasons[0].contains("7h ago; prod needs 24h"),
        "{promote_reasons:?}"
    );

    let before = p.ws.read("snapshots/prod.kdl");
    let mut refusals = String::new();
    for args in [
        &["canary", "start", "prod", "cart"][..],
        &["bump", "prod", "cart"][..],
    ] {
        let run = p.run_at(10, args);
        fails(&run);
        assert_eq!(reasons(&run), promote_reasons, "{}", run.stderr);
        assert_eq!(p.ws.read("snapshots/prod.kdl"), before, "nothing written");
        refusals.push_str(&format!(
            "$ snapset {}\n{}\n",
            args.join(" "),
            p.stderr(&run)
        ));
    }
    insta::assert_snapshot!("edits_refused", refusals);

    // --force writes it, says that check fails, and check fails.
    let forced = p.run_at(10, &["canary", "start", "prod", "cart", "--force"]);
    ok(&forced);
    assert!(
        forced.stdout.contains("written anyway (--force)"),
        "{}",
        forced.stdout
    );
    says(&forced, "7h ago; prod needs 24h");
    assert!(p.ws.read("snapshots/prod.kdl").contains(&cart2[..10]));
    fails(&p.check_at(10));

    // The canary's weight moves only with --force while its pin is unproven.
    let with_canary = p.ws.read("snapshots/prod.kdl");
    let weight = p.run_at(10, &["canary", "weight", "prod", "cart", "50"]);
    fails(&weight);
    assert_eq!(reasons(&weight), promote_reasons, "{}", weight.stderr);
    assert_eq!(p.ws.read("snapshots/prod.kdl"), with_canary);
    ok(&p.run_at(10, &["canary", "weight", "prod", "cart", "50", "--force"]));
    assert_ne!(p.ws.read("snapshots/prod.kdl"), with_canary);

    // bump --force, from the snapshot as it was.
    p.ws.write("snapshots/prod.kdl", &before);
    let bumped = p.run_at(10, &["bump", "prod", "cart", "--force"]);
    ok(&bumped);
    assert!(
        bumped.stdout.contains("written anyway (--force)"),
        "{}",
        bumped.stdout
    );
    fails(&p.check_at(10));

    // A day later the same edits pass without --force.
    p.ws.write("snapshots/prod.kdl", &before);
    ok(&p.run_at(28, &["bump", "prod", "cart"]));
    ok(&p.check_at(28));
}

/// `snapshot new` for an environment already bound to the new name: the
/// newest commits it pins are judged for that environment.
#[test]
fn snapshot_new_judges_the_environment_bound_to_it() {
    let mut p = Pipe::new();
    p.config(&PATH.replace("snapshot=\"prod\"", "snapshot=\"next\""));
    p.commit(2, "prod: takes the next snapshot");
    let refused = p.run_at(3, &["snapshot", "new", "next"]);
    fails(&refused);
    says(
        &refused,
        "`snapset snapshot new` would leave snapshot `next` with pins that `prod` cannot take yet",
    );
    says(&refused, "never pinned in integration");
    assert!(!p.ws.path("snapshots/next.kdl").exists(), "nothing written");
    let forced = p.run_at(3, &["snapshot", "new", "next", "--force"]);
    ok(&forced);
    assert!(
        forced.stdout.contains("written anyway (--force)"),
        "{}",
        forced.stdout
    );
    assert!(p.ws.path("snapshots/next.kdl").exists());
    fails(&p.check_at(3));
}
