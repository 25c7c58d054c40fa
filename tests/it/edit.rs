//! `snapset bump`, `snapshot new` and `promote` on fixture workspaces: files
//! full of comments and odd spacing come back byte for byte except the
//! edited value, and an edit that would break the workspace is not written.

use crate::common;

use common::workspace::{Shop, TestWorkspace};

/// A snapshot written by hand: block and line comments, tabs, blank lines,
/// odd indentation, a raw string. `{cart}` and the others are the pins.
const HAND_WRITTEN: &str = "/* s1: the shop's first release.
   Written by hand, with a block comment, tabs and odd spacing. */

snapshot   \"s1\"{
\tdescription    \"week 1\"   // trailing comment

\t// cart: first
\tservice\t\"cart\"    commit=\"{cart}\"   /* inline */ replicas=2   // cart: first


    service \"taxe\"  commit=\"{taxe}\"
        service  \"tower\"   {
\t\ttrack \"stable\" commit=\"{stable}\"     weight=90 // stable
\t  track \"canary\"  commit=r#\"{canary}\"# weight=10
    }
}
";

fn hand_written(cart: &str, taxe: &str, stable: &str, canary: &str) -> String {
    HAND_WRITTEN
        .replace("{cart}", cart)
        .replace("{taxe}", taxe)
        .replace("{stable}", stable)
        .replace("{canary}", canary)
}

fn short(hash: &str) -> &str {
    &hash[..8]
}

/// The shop with s1 as `hand_written` pins it: cart and tower at their
/// first commits, taxe at its newest.
fn shop_by_hand() -> (TestWorkspace, Shop, String) {
    let (ws, shop) = TestWorkspace::shop();
    let text = hand_written(
        &shop.cart1[..10],
        &shop.taxe2,
        &shop.tower1[..7],
        &shop.tower1[..12],
    );
    ws.write("snapshots/s1.kdl", &text);
    (ws, shop, text)
}

#[test]
fn bump_rewrites_one_value_and_keeps_every_other_byte() {
    let (ws, shop, _) = shop_by_hand();
    let run = ws.run(&["bump", "s1", "cart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The pin keeps its length (10); everything else is as written.
    let expected = hand_written(
        &shop.cart2[..10],
        &shop.taxe2,
        &shop.tower1[..7],
        &shop.tower1[..12],
    );
    assert_eq!(ws.read("snapshots/s1.kdl"), expected);
    assert_eq!(
        run.stdout,
        format!(
            "cart: {} → {} (1 commit)\n  {} cart: compute taxes through taxe\n\
             note: the comment on line 8 names the old commit; snapset leaves comments as written\n",
            short(&shop.cart1),
            short(&shop.cart2),
            short(&shop.cart2)
        )
    );
    assert_eq!(ws.run(&["check"]).code, 0);
}

#[test]
fn bump_keeps_crlf_line_ends() {
    let (ws, shop) = TestWorkspace::shop();
    let crlf = |cart: &str| {
        hand_written(cart, &shop.taxe2, &shop.tower1[..7], &shop.tower1[..12]).replace('\n', "\r\n")
    };
    ws.write("snapshots/s1.kdl", &crlf(&shop.cart1[..10]));
    let run = ws.run(&["bump", "s1", "cart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ws.read("snapshots/s1.kdl"), crlf(&shop.cart2[..10]));
}

#[test]
fn bump_all_moves_what_is_behind_and_says_what_is_not() {
    let (ws, shop, _) = shop_by_hand();
    // Make one tower track already newest too.
    ws.write(
        "snapshots/s1.kdl",
        &hand_written(
            &shop.cart1[..10],
            &shop.taxe2,
            &shop.tower2[..7],
            &shop.tower1[..12],
        ),
    );
    let run = ws.run(&["bump", "s1", "--all"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A 40-digit pin stays 40, a 7-digit one would grow to 10, a raw string stays raw.
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        hand_written(
            &shop.cart2[..10],
            &shop.taxe2,
            &shop.tower2[..7],
            &shop.tower2[..12]
        )
    );
    assert_eq!(
        run.stdout,
        format!(
            "cart: {c1} → {c2} (1 commit)\n  {c2} cart: compute taxes through taxe\n\
             taxe: already at the newest commit touching services/taxe\n\
             tower/stable: already at the newest commit touching services/tower\n\
             tower/canary: {t1} → {t2} (1 commit)\n  {t2} tower: new routing\n\
             note: the comment on line 8 names the old commit; snapset leaves comments as written\n",
            c1 = short(&shop.cart1),
            c2 = short(&shop.cart2),
            t1 = short(&shop.tower1),
            t2 = short(&shop.tower2),
        )
    );
    // Nothing left to bump: the file is not rewritten.
    let before = std::fs::metadata(ws.path("snapshots/s1.kdl"))
        .unwrap()
        .modified()
        .unwrap();
    let again = ws.run(&["bump", "s1", "--all"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stdout.contains('→'), "{}", again.stdout);
    let after = std::fs::metadata(ws.path("snapshots/s1.kdl"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn bump_a_short_pin_grows_to_ten_digits() {
    let (ws, shop, _) = shop_by_hand();
    let run = ws.run(&["bump", "s1", "tower", "--track", "stable"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Only the stable track moves.
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        hand_written(
            &shop.cart1[..10],
            &shop.taxe2,
            &shop.tower2[..10],
            &shop.tower1[..12]
        )
    );
    assert!(run.stdout.starts_with("tower/stable: "), "{}", run.stdout);
}

#[test]
fn bump_to_a_branch_a_tag_and_back_to_head() {
    let (mut ws, shop, _) = shop_by_hand();
    let g = &mut ws.git;
    g.tag("v0", &shop.docs);
    g.branch("hotfix", &shop.tower2);
    g.checkout_branch("hotfix");
    let hotfix = g.commit(
        "cart: hotfix",
        &[("services/cart/main.go", "package cart // hotfix\n")],
    );
    g.checkout_branch("main");
    let cart3 = g.commit(
        "cart: three",
        &[("services/cart/main.go", "package cart // 3\n")],
    );
    g.commit("docs: more", &[("README.md", "shop, more\n")]);

    let run = ws.run(&["bump", "s1", "cart", "--to", "hotfix"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "cart: {} → {} (2 commits)\n  {} cart: hotfix\n  {} cart: compute taxes through taxe\n",
            short(&shop.cart1),
            short(&hotfix),
            short(&hotfix),
            short(&shop.cart2)
        )),
        "{}",
        run.stdout
    );
    assert!(
        ws.read("snapshots/s1.kdl")
            .contains(&format!("commit=\"{}\"", &hotfix[..10]))
    );

    // HEAD (main) has a newer cart commit that does not contain the hotfix.
    let run = ws.run(&["bump", "s1", "cart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "cart: {} → {} (diverged: adds 1 commit, drops 1 commit; the old pin is not reachable from HEAD)\n  + {} cart: three\n  - {} cart: hotfix\n",
            short(&hotfix),
            short(&cart3),
            short(&cart3),
            short(&hotfix)
        )),
        "{}",
        run.stdout
    );

    // A tag before cart's second commit: back to the first.
    let run = ws.run(&["bump", "s1", "cart", "--to", "v0"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "cart: {} → {} (back: drops 2 commits; the old pin is not reachable from v0)\n  - {} cart: three\n  - {} cart: compute taxes through taxe\n",
            short(&cart3),
            short(&shop.cart1),
            short(&cart3),
            short(&shop.cart2)
        )),
        "{}",
        run.stdout
    );
    assert!(
        ws.read("snapshots/s1.kdl")
            .contains(&format!("commit=\"{}\"", &shop.cart1[..10]))
    );

    // A hash works as a ref too.
    let run = ws.run(&["bump", "s1", "cart", "--to", &shop.cart2[..12]]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        ws.read("snapshots/s1.kdl")
            .contains(&format!("commit=\"{}\"", &shop.cart2[..10]))
    );
}

#[test]
fn bump_replaces_a_pin_that_is_not_in_the_repository() {
    let (ws, shop, text) = shop_by_hand();
    ws.write(
        "snapshots/s1.kdl",
        &text.replace(&shop.cart1[..10], "deadbeef00"),
    );
    let run = ws.run(&["bump", "s1", "cart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "cart: deadbeef00 → {} (the old pin is not a commit of ../shop.git)\n",
            short(&shop.cart2)
        )
    );
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        text.replace(&shop.cart1[..10], &shop.cart2[..10])
    );
}

#[test]
fn bump_refuses_unknown_names_with_exit_2_and_writes_nothing() {
    let (ws, _, text) = shop_by_hand();
    let cases: &[(&[&str], &str)] = &[
        (&["bump", "s2", "cart"], "unknown snapshot `s2`"),
        (&["bump", "s1", "crt"], "unknown service `crt`"),
        (
            &["bump", "s1", "tower", "--track", "canry"],
            "did you mean `canary`?",
        ),
        (
            &["bump", "s1", "cart", "--to", "nope"],
            "unknown revision `nope` in the repository ../shop.git",
        ),
    ];
    for (args, message) in cases {
        let run = ws.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(ws.read("snapshots/s1.kdl"), text);
    }
    // A service declared in snapset.kdl but not pinned by the snapshot.
    ws.write(
        "snapshots/s1.kdl",
        &text.replace("    service \"taxe\"", "    // service \"taxe\""),
    );
    // With `--track`, it is not added (`values::bump_adds_the_pin_of_an_undeployed_service`
    // adds it without).
    let run = ws.run(&["bump", "s1", "taxe", "--track", "canary"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("service `taxe` is not in snapshot `s1`"),
        "{}",
        run.stderr
    );
    // No commit touches the path.
    ws.write(
        "snapset.kdl",
        &ws.read("snapset.kdl")
            .replace("services/tower", "services/nowhere"),
    );
    let run = ws.run(&["bump", "s1", "--all"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "no commit reachable from HEAD in the repository ../shop.git touches services/nowhere"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn bump_that_would_break_the_workspace_leaves_the_file_as_it_was() {
    let (mut ws, shop, _) = shop_by_hand();
    ws.git.tag("v0", &shop.docs);
    // cart needs taxe's second commit; going back to v0 would break it.
    let text = hand_written(
        &shop.cart1[..10],
        &shop.taxe2,
        &shop.tower1[..7],
        &shop.tower1[..12],
    )
    .replace(
        "replicas=2   // cart: first",
        &format!(
            "replicas=2 {{\n        requires \"taxe\" since=\"{}\"\n    }}",
            &shop.taxe2[..10]
        ),
    );
    ws.write("snapshots/s1.kdl", &text);
    assert_eq!(ws.run(&["check"]).code, 0);
    let run = ws.run(&["bump", "s1", "taxe", "--to", "v0"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("snapshots/s1.kdl was left as it was"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("`cart` requires `taxe`"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    assert_eq!(ws.read("snapshots/s1.kdl"), text);
    let leftovers: Vec<String> = ws.tree("snapshots").into_keys().collect();
    assert_eq!(leftovers, ["s1.kdl"]);
}

#[test]
fn snapshot_new_from_head_pins_every_service_at_its_newest_commit() {
    let (ws, shop) = TestWorkspace::shop();
    let run = ws.run(&["snapshot", "new", "2026-01-02"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        ws.read("snapshots/2026-01-02.kdl"),
        format!(
            "// Started by `snapset snapshot new` from the newest commit of each service\n\
             // on HEAD ({}) of ../shop.git. Move a service with `snapset bump 2026-01-02 SERVICE`.\n\
             snapshot \"2026-01-02\" {{\n\
             \x20   service \"cart\"  commit=\"{}\"   // cart: compute taxes through taxe\n\
             \x20   service \"taxe\"  commit=\"{}\"   // taxe: add /v2/rates\n\
             \x20   service \"tower\" commit=\"{}\"   // tower: new routing\n\
             }}\n",
            short(&shop.tower2),
            &shop.cart2[..10],
            &shop.taxe2[..10],
            &shop.tower2[..10]
        )
    );
    assert!(
        run.stdout
            .starts_with("created snapshots/2026-01-02.kdl: 3 services"),
        "{}",
        run.stdout
    );
    // Ready to be bumped: nothing is behind.
    let bump = ws.run(&["bump", "2026-01-02", "--all"]);
    assert_eq!(bump.code, 0, "{}", bump.stderr);
    assert_eq!(
        bump.stdout.matches("already at the newest commit").count(),
        3
    );
    assert_eq!(ws.run(&["check"]).code, 0);
}

#[test]
fn snapshot_new_from_another_keeps_its_text_and_changes_the_name() {
    let (ws, _, text) = shop_by_hand();
    let run = ws.run(&["snapshot", "new", "s2", "--from", "s1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The header comment described s1; the copy says where it comes from.
    let body = &text[text.find("snapshot   ").unwrap()..];
    assert_eq!(
        ws.read("snapshots/s2.kdl"),
        format!(
            "// Started by `snapset snapshot new s2 --from s1`: a copy of snapshots/s1.kdl\n\
             // (pins, comments and layout). Move a service with `snapset bump s2 SERVICE`.\n{}",
            body.replace("snapshot   \"s1\"{", "snapshot   \"s2\"{")
        )
    );
    assert_eq!(ws.read("snapshots/s1.kdl"), text);

    let refused: &[(&[&str], &str)] = &[
        (
            &["snapshot", "new", "s2"],
            "snapshots/s2.kdl already exists",
        ),
        (
            &["snapshot", "new", "s3", "--from", "s9"],
            "unknown snapshot `s9`",
        ),
        (
            &["snapshot", "new", "../s3"],
            "invalid snapshot name `../s3`",
        ),
        (&["snapshot", "new", ".s3"], "invalid snapshot name `.s3`"),
        (&["snapshot", "new", ""], "invalid snapshot name ``"),
    ];
    for (args, message) in refused {
        let run = ws.run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    let names: Vec<String> = ws.tree("snapshots").into_keys().collect();
    assert_eq!(names, ["s1.kdl", "s2.kdl"]);
}

#[test]
fn promote_changes_one_value_of_snapset_kdl() {
    let (ws, shop) = TestWorkspace::shop();
    let config = format!(
        "// The shop.\n{}",
        ws.read("snapset.kdl").replace(
            "environment \"prod\" snapshot=\"s1\"",
            "environment \"prod\"\tsnapshot=\"s1\"    /* was s0 */",
        )
    );
    ws.write("snapset.kdl", &config);
    ws.write(
        "snapshots/s2.kdl",
        &format!(
            "snapshot \"s2\" {{\n    service \"cart\" commit=\"{}\"\n}}\n",
            &shop.cart2[..10]
        ),
    );
    let run = ws.run(&["promote", "s2", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        ws.read("snapset.kdl"),
        config.replace("\tsnapshot=\"s1\"", "\tsnapshot=\"s2\"")
    );
    assert!(
        run.stdout
            .starts_with("prod: snapshot s1 → s2 (snapset.kdl:10:"),
        "{}",
        run.stdout
    );

    let again = ws.run(&["promote", "s2", "--env", "prod"]);
    assert_eq!(again.code, 0);
    assert_eq!(again.stdout, "prod: already bound to snapshot s2\n");
}

/// Issue 28: promoting a snapshot that moves one commit changes that
/// service's files and snapshot.json, not every object of the environment
/// (each carried the snapshot's name).
#[test]
fn a_promote_changes_only_what_moved() {
    let (ws, shop) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let before = ws.tree("out/prod");
    ws.write(
        "snapshots/s2.kdl",
        &ws.read("snapshots/s1.kdl")
            .replace("snapshot \"s1\"", "snapshot \"s2\"")
            .replace(&shop.cart1[..10], &shop.cart2[..10]),
    );
    let run = ws.run(&["promote", "s2", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ws.run(&["render"]).code, 0);
    let after = ws.tree("out/prod");
    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(*bytes))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(changed, ["cart/deployment.yaml", "snapshot.json"]);
}

#[test]
fn promote_refuses_what_does_not_exist_or_resolve() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "snapshots/broken.kdl",
        "snapshot \"broken\" {\n    service \"cart\" commit=\"deadbeefde\"\n}\n",
    );
    let config = ws.read("snapset.kdl");
    let cases: &[(&[&str], &str)] = &[
        (&["promote", "s9", "--env", "prod"], "unknown snapshot `s9`"),
        (&["promote", "s1", "--env", "prd"], "did you mean `prod`?"),
        (
            &["promote", "broken", "--env", "prod"],
            "snapset.kdl was left as it was",
        ),
    ];
    for (args, message) in cases {
        let run = ws.run(args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(ws.read("snapset.kdl"), config);
    }
    let run = ws.run(&["promote", "broken", "--env", "prod"]);
    assert!(
        run.stderr
            .contains("commit `deadbeefde` is not in the repository"),
        "{}",
        run.stderr
    );
}

/// A canary pinned on a branch of its own is not pulled back onto HEAD's
/// history by a bump of every track: it stays, with a warning at its pin;
/// naming the track still moves it.
#[test]
fn bump_all_leaves_a_canary_that_lives_on_a_branch() {
    let (mut ws, shop, _) = shop_by_hand();
    let g = &mut ws.git;
    g.branch("canary", &shop.tower1);
    g.checkout_branch("canary");
    let canary = g.commit(
        "tower: try the new router",
        &[("services/tower/main.go", "package tower // canary\n")],
    );
    g.checkout_branch("main");
    let text = hand_written(
        &shop.cart2[..10],
        &shop.taxe2,
        &shop.tower1[..7],
        &canary[..12],
    );
    ws.write("snapshots/s1.kdl", &text);

    let run = ws.run(&["bump", "s1", "--all"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // stable moves to HEAD's newest tower commit (a 7-digit pin grows to
    // 10); the canary stays.
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        hand_written(
            &shop.cart2[..10],
            &shop.taxe2,
            &shop.tower2[..10],
            &canary[..12]
        )
    );
    assert!(!run.stdout.contains("tower/canary:"), "{}", run.stdout);
    insta::assert_snapshot!(
        "bump_all_leaves_a_canary_on_its_branch",
        common::workspace::redact(&run.stderr, &ws)
    );
    // The same without --all, for every track of tower.
    ws.write("snapshots/s1.kdl", &text);
    let run = ws.run(&["bump", "s1", "tower"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("tower/canary stays at"),
        "{}",
        run.stderr
    );
    assert!(ws.read("snapshots/s1.kdl").contains(&canary[..12]));
    // Naming the track moves it, as asked.
    let run = ws.run(&["bump", "s1", "tower", "--track", "canary"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ws.read("snapshots/s1.kdl").contains(&canary[..12]));
    assert!(
        run.stdout.contains("not reachable from HEAD"),
        "{}",
        run.stdout
    );
}
