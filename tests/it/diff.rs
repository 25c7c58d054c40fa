//! `snapset diff` and `snapset changelog` on a fixture release: every
//! format, the patch applied by `git apply` and `patch -p1`, `--against`
//! reading git objects only, and commit walks that move forwards,
//! backwards, sideways, or from a commit the repository lost.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::git_fixture::GitFixture;
use common::workspace::{Shop, TestWorkspace};

/// The fixture's snapshot `s1`: cart, optionally taxe and web, and tower
/// on two weighted tracks.
fn snapshot(cart: &str, taxe: Option<&str>, web: Option<&str>, tower: [(&str, u32); 2]) -> String {
    let mut s = String::from("snapshot \"s1\" {\n");
    s.push_str(&format!(
        "    service \"cart\" commit=\"{}\"\n",
        &cart[..10]
    ));
    if let Some(taxe) = taxe {
        s.push_str(&format!(
            "    service \"taxe\" commit=\"{}\"\n",
            &taxe[..10]
        ));
    }
    if let Some(web) = web {
        s.push_str(&format!("    service \"web\" commit=\"{}\"\n", &web[..10]));
    }
    s.push_str("    service \"tower\" {\n");
    for (track, (commit, weight)) in ["stable", "canary"].iter().zip(tower) {
        s.push_str(&format!(
            "        track \"{track}\" commit=\"{}\" weight={weight}\n",
            &commit[..10]
        ));
    }
    s.push_str("    }\n}\n");
    s
}

fn dev_varset(password: &str) -> String {
    format!(
        "varset \"dev\" {{\n    extends \"base\"\n    namespace \"shop-dev\"\n    service \"cart\" {{\n        env {{\n            DB_PASSWORD \"{password}\"\n        }}\n    }}\n}}\n"
    )
}

/// The shop with a fourth service `web` declared (not yet shipped), tower
/// on stable 90 / canary 10 and a secret in dev, rendered into out/.
fn rendered_shop() -> (TestWorkspace, Shop, String) {
    let (mut ws, shop) = TestWorkspace::shop();
    let web1 = ws.git.commit(
        "web: first page",
        &[("services/web/index.html", "<h1>shop</h1>\n")],
    );
    let kdl = ws.read("snapset.kdl").replace(
        "service \"tower\" path=\"services/tower\" port=9090\n",
        "service \"tower\" path=\"services/tower\" port=9090\nservice \"web\"   path=\"services/web\"   port=8080\n",
    );
    ws.write("snapset.kdl", &kdl);
    ws.write(
        "snapshots/s1.kdl",
        &snapshot(
            &shop.cart1,
            Some(&shop.taxe1),
            None,
            [(&shop.tower1, 90), (&shop.tower2, 10)],
        ),
    );
    ws.write("varsets/dev.kdl", &dev_varset("hunter2-old"));
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (ws, shop, web1)
}

/// The release under review: cart moves forward, taxe leaves, web comes,
/// tower goes to 80/20, and dev's DB_PASSWORD changes.
fn release(ws: &TestWorkspace, shop: &Shop, web1: &str) {
    ws.write(
        "snapshots/s1.kdl",
        &snapshot(
            &shop.cart2,
            None,
            Some(web1),
            [(&shop.tower1, 80), (&shop.tower2, 20)],
        ),
    );
    ws.write("varsets/dev.kdl", &dev_varset("hunter2-new"));
}

#[test]
fn nothing_to_diff_exits_0() {
    let (ws, _, _) = rendered_shop();
    let run = ws.run(&["diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "no changes: 2 environments (22 files) as in out/ on disk\n"
    );
    for format in ["patch", "markdown", "json"] {
        assert_eq!(ws.run(&["diff", "--format", format]).code, 0, "{format}");
    }
    assert_eq!(ws.run(&["diff", "--format", "patch"]).stdout, "");
}

#[test]
fn every_format_on_a_release() {
    let (ws, shop, web1) = rendered_shop();
    release(&ws, &shop, &web1);
    for format in ["text", "patch", "markdown", "json"] {
        let run = ws.run(&["diff", "--env", "dev", "--format", format]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        // taxe leaves the snapshot but not snapset.kdl: the one warning.
        assert_eq!(
            run.stderr.matches('⚠').count(),
            1,
            "{format}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("`taxe` is not deployed in dev"),
            "{format}: {}",
            run.stderr
        );
        // The secret shows in the patch only, which must apply.
        assert_eq!(
            run.stdout.contains("hunter2"),
            format == "patch",
            "{format}"
        );
        insta::assert_snapshot!(format!("release_{format}"), run.stdout);
    }
    let json: serde_json::Value =
        serde_json::from_str(&ws.run(&["diff", "--env", "dev", "--format", "json"]).stdout)
            .unwrap();
    let env = &json["environments"][0];
    let services: Vec<(&str, &str)> = env["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["change"].as_str().unwrap()))
        .collect();
    assert_eq!(
        services,
        [
            ("cart", "modified"),
            ("taxe", "removed"),
            ("tower", "modified"),
            ("web", "added")
        ]
    );
    let cart = &env["services"][0];
    assert_eq!(cart["tracks"][0]["direction"], "forward");
    assert_eq!(cart["tracks"][0]["ahead"], 4);
    // Of taxe1, tower1, docs and cart2, only cart2 touches services/cart.
    assert_eq!(
        cart["tracks"][0]["commits"][0]["subject"],
        "cart: compute taxes through taxe"
    );
    assert_eq!(cart["tracks"][0]["commits"].as_array().unwrap().len(), 1);
    assert_eq!(
        cart["env"][0],
        serde_json::json!({"name": "DB_PASSWORD", "old": "••••", "new": "••••", "masked": true})
    );
}

#[test]
fn the_text_format_is_plain_without_a_terminal() {
    let (ws, shop, web1) = rendered_shop();
    release(&ws, &shop, &web1);
    let run = ws.run(&["diff"]);
    assert_eq!(run.code, 1);
    assert!(!run.stdout.contains('\x1b'));
    assert!(
        run.stdout
            .ends_with("in 2 of 2 environments against out/ on disk; 10 unchanged\n"),
        "{}",
        run.stdout
    );
}

/// Every file under `dir`, by path.
fn tree(dir: &Path) -> Files {
    snapset::emit::read_tree(dir).unwrap()
}

#[test]
fn the_patch_applies_with_git_apply_and_patch_and_gives_the_render() {
    let (ws, shop, web1) = rendered_shop();
    // An environment that leaves snapset.kdl is deleted by the patch too.
    let kdl = ws.read("snapset.kdl");
    ws.write(
        "snapset.kdl",
        &format!("{kdl}environment \"qa\" snapshot=\"s1\" varset=\"dev\"\n"),
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write("snapset.kdl", &kdl);
    // A file without a final newline, and one render does not write.
    std::fs::write(ws.path("out/prod/cart/service.yaml"), "no newline").unwrap();
    std::fs::write(ws.path("out/dev/stray.txt"), "left over\n").unwrap();
    release(&ws, &shop, &web1);

    let run = ws.run(&["diff", "--format", "patch"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("deleted file mode 100644\n--- a/out/qa/snapshot.json\n")
    );
    assert!(
        run.stdout
            .contains("new file mode 100644\n--- /dev/null\n+++ b/out/dev/web/deployment.yaml\n")
    );
    assert!(
        run.stdout
            .contains("-no newline\n\\ No newline at end of file\n")
    );
    let patch = ws.root.parent().unwrap().join("release.patch");
    std::fs::write(&patch, &run.stdout).unwrap();

    // patch -p1 on a copy of out/.
    let copy = ws.root.parent().unwrap().join("copy");
    copy_dir(&ws.path("out"), &copy.join("out"));
    let patched = Command::new("patch")
        .args(["-p1", "-s", "-E", "-d"])
        .arg(&copy)
        .arg("-i")
        .arg(&patch)
        .output()
        .expect("run patch");
    assert!(
        patched.status.success(),
        "{}",
        String::from_utf8_lossy(&patched.stdout)
    );

    // git apply in the workspace (not a repository: git apply acts as patch).
    let applied = Command::new("git")
        .args(["apply", "--verbose"])
        .arg(&patch)
        .current_dir(&ws.root)
        .output()
        .expect("run git apply");
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    let after_apply = tree(&ws.path("out"));

    let render = ws.run(&["render"]);
    assert_eq!(render.code, 0);
    assert!(
        render.stdout.ends_with(": 0 changed\n"),
        "{}",
        render.stdout
    );
    assert_same(
        &after_apply,
        &tree(&ws.path("out")),
        "git apply gives what render writes",
    );
    assert_same(
        &tree(&copy.join("out")),
        &tree(&ws.path("out")),
        "patch -p1 gives what render writes",
    );
    assert_eq!(ws.run(&["diff"]).code, 0);
}

type Files = std::collections::BTreeMap<String, Vec<u8>>;

/// Two trees are equal; otherwise, the paths that differ.
fn assert_same(a: &Files, b: &Files, what: &str) {
    let differ: Vec<&String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .collect();
    assert!(differ.is_empty(), "{what}: {differ:?} differ");
}

fn copy_dir(from: &Path, to: &Path) {
    for (file, bytes) in tree(from) {
        let path = to.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

#[test]
fn against_reads_out_at_a_ref_from_git_objects_only() {
    let (ws, shop, web1) = rendered_shop();
    // The repository is the folder above the workspace: paths start with ws/.
    let top = ws.root.parent().unwrap().to_path_buf();
    std::fs::write(top.join(".gitignore"), "shop.git/\n").unwrap();
    let mut repo = GitFixture::init(&top);
    let base = repo.commit_all("render s1");
    release(&ws, &shop, &web1);
    assert_eq!(ws.run(&["render"]).code, 0);
    // A change in the work tree that the committed tree does not have.
    std::fs::write(ws.path("out/dev/extra.txt"), "work tree only\n").unwrap();

    let status = |dir: &Path| {
        Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(dir)
            .output()
            .unwrap()
            .stdout
    };
    // (git status may refresh the index: ask it before taking the picture.)
    let status_before = status(&top);
    let before = tree(&top);

    let run = ws.run(&["diff", "--against", "HEAD", "--format", "patch"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "diff --git a/ws/out/dev/cart/deployment.yaml b/ws/out/dev/cart/deployment.yaml\n"
        ),
        "{}",
        run.stdout
    );
    // The old side is the commit's out/, not the folder on disk.
    assert!(!run.stdout.contains("extra.txt"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("deleted file mode 100644\n--- a/ws/out/dev/taxe/deployment.yaml\n")
    );
    assert_eq!(ws.run(&["diff"]).code, 1, "on disk, only extra.txt differs");
    let json = ws.run(&[
        "diff",
        "--against",
        "main",
        "--env",
        "prod",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 1);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        json["against"],
        serde_json::json!({"ref": "main", "commit": base})
    );

    assert_same(
        &tree(&top),
        &before,
        "the work tree, the index and the refs stay as they were",
    );
    assert_eq!(status(&top), status_before);

    let unknown = ws.run(&["diff", "--against", "no-such-branch"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown revision `no-such-branch`"),
        "{}",
        unknown.stderr
    );
    let changelog = ws.run(&["changelog", "--env", "dev", "--against", &base[..8]]);
    assert_eq!(changelog.code, 0, "{}", changelog.stderr);
    assert!(
        changelog.stdout.contains(&format!(
            "    + {} cart: compute taxes through taxe\n",
            &shop.cart2[..8]
        )),
        "{}",
        changelog.stdout
    );
}

#[test]
fn against_needs_a_repository() {
    let (ws, _, _) = rendered_shop();
    let run = ws.run(&["diff", "--against", "HEAD"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not in a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn changelog_lists_the_commits_that_touch_each_service() {
    let (mut ws, shop, _) = rendered_shop();
    // A tower experiment off tower1, never merged.
    ws.git.branch("experiment", &shop.tower1);
    ws.git.checkout_branch("experiment");
    let exp = ws.git.commit(
        "tower: sticky sessions",
        &[("services/tower/main.go", "package tower // exp\n")],
    );
    ws.git.checkout_branch("main");
    // cart forward, taxe forward, tower canary sideways.
    ws.write(
        "snapshots/s1.kdl",
        &snapshot(
            &shop.cart2,
            Some(&shop.taxe2),
            None,
            [(&shop.tower1, 90), (&exp, 10)],
        ),
    );
    let run = ws.run(&["changelog", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("changelog_forward_and_sideways", run.stdout);

    // Back: out/ now holds the new state, the snapshot goes back to the old one.
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write(
        "snapshots/s1.kdl",
        &snapshot(
            &shop.cart1,
            Some(&shop.taxe1),
            None,
            [(&shop.tower1, 90), (&shop.tower2, 10)],
        ),
    );
    let run = ws.run(&["changelog", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("changelog_backwards", run.stdout);

    // out/ from a history the repository no longer has.
    let json = ws
        .read("out/dev/snapshot.json")
        .replace(&shop.cart2, "0123456789abcdef0123456789abcdef01234567");
    ws.write("out/dev/snapshot.json", &json);
    let run = ws.run(&["changelog", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("~ cart: 01234567 → "), "{}", run.stdout);
    assert!(
        run.stdout.contains("01234567 is not in the repository"),
        "{}",
        run.stdout
    );
    assert_eq!(ws.run(&["diff", "--env", "dev"]).code, 1);
}

/// The "done when", on a copy of the example workspace at the
/// project root: one commit changed in a snapshot gives a diff (exit 1)
/// whose patch `git apply` takes and whose markdown tells why.
#[test]
fn example_workspace_one_commit_changed() {
    // Outside git, the copy has no history to prove its path to production.
    let (tmp, ws) = common::workspace::example_outside_git();
    let snapset = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
            .arg("-C")
            .arg(&ws)
            .args(args)
            .env("NO_COLOR", "1")
            .env("GIT_CEILING_DIRECTORIES", tmp.path().parent().unwrap())
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
        )
    };
    assert_eq!(snapset(&["diff"]).0, 0, "the committed out/ is up to date");

    // prod's cart: "persist carts in postgres" → "compute taxes through taxe".
    let path = ws.join("snapshots/2026-11-20.kdl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("commit=\"35377a2b6e\"", "commit=\"b4f1222f8e\""),
    )
    .unwrap();

    let (code, markdown) = snapset(&["diff", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(
        markdown.contains(
            "| `cart` | stable | `35377a2b` → `b4f1222f` | 7 commits ahead, 1 in `services/cart` |"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("  - `b4f1222f` cart: compute taxes through taxe\n"),
        "{markdown}"
    );

    let (code, patch) = snapset(&["diff", "--format", "patch"]);
    assert_eq!(code, 1);
    let file = tmp.path().join("release.patch");
    std::fs::write(&file, patch).unwrap();
    let applied = Command::new("git")
        .arg("apply")
        .arg(&file)
        .current_dir(&ws)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(
        snapset(&["render", "--check"]).0,
        0,
        "the patch gives what render writes"
    );
}
