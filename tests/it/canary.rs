//! `snapset canary start|weight|promote|abort` (issue 20): a canary's life
//! as edits of one snapshot file. On the example workspace a canary goes
//! start → 25 → 50 → promote (and another start → abort) by commands alone,
//! each step a small diff that renders valid Istio objects and that
//! `diff --format markdown` names in words; on a file written by hand
//! (comments, blank lines, tabs, raw strings, CRLF) every other byte stays;
//! every refusal exits 2 at a file:line and leaves the file as it was.
//! `--with-image` is in tests/it/images.rs (it needs the registry), the
//! concurrent runs in tests/it/safety.rs.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::workspace::{Run, Shop, TestWorkspace, example_outside_git as example};

fn run_at(root: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .arg("-C")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env(
            "GIT_CEILING_DIRECTORIES",
            root.parent().unwrap().parent().unwrap(),
        )
        .output()
        .expect("run snapset");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The lines of `before` → `after`, as a reviewer sees the pull request.
fn line_diff(before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(1)
        .to_string()
}

/// Runs each step on the example workspace and tells the story: the
/// command's output, the snapshot's diff, the step as `diff --format
/// markdown` names it, and the DestinationRule and VirtualService that
/// `render` writes (validated against Istio's CRDs in crds/).
fn story(ws: &Path, snapshot: &str, env: &str, service: &str, steps: &[(&[&str], &str)]) -> String {
    let file = ws.join(format!("snapshots/{snapshot}.kdl"));
    let mut out = String::new();
    for (args, words) in steps {
        let before = std::fs::read_to_string(&file).unwrap();
        let run = run_at(ws, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let after = std::fs::read_to_string(&file).unwrap();
        out.push_str(&format!("$ snapset {}\n{}", args.join(" "), run.stdout));
        out.push_str(&line_diff(&before, &after));
        let markdown = run_at(ws, &["diff", "--env", env, "--format", "markdown"]);
        assert_eq!(markdown.code, 1, "{}", markdown.stderr);
        let line = format!("- {words}\n");
        assert!(
            markdown.stdout.contains(&line),
            "{line} in\n{}",
            markdown.stdout
        );
        out.push_str(&format!("markdown: {line}"));
        let json = run_at(ws, &["diff", "--env", env, "--format", "json"]);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        let step = &value["environments"][0]["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == *service)
            .unwrap()["canary"];
        out.push_str(&format!("json: {step}\n"));
        let render = run_at(ws, &["render"]);
        assert_eq!(render.code, 0, "{}", render.stderr);
        // The example's prod runs on clusters: its first one's folder.
        let folder = match ws.join(format!("out/{env}/snapshot.json")).is_file() {
            true => env.to_string(),
            false => format!("{env}/eu-1"),
        };
        for kind in ["destinationrule", "virtualservice"] {
            let path = ws.join(format!("out/{folder}/{service}/{kind}.yaml"));
            match std::fs::read_to_string(&path) {
                Ok(yaml) => {
                    out.push_str(&format!("--- out/{folder}/{service}/{kind}.yaml\n{yaml}"))
                }
                Err(_) => out.push_str(&format!("--- out/{folder}/{service}/{kind}.yaml: none\n")),
            }
        }
        out.push('\n');
    }
    assert_eq!(run_at(ws, &["render", "--check"]).code, 0);
    out
}

#[test]
fn a_canary_from_start_to_promote_on_the_example_workspace() {
    let (_tmp, ws) = example();
    let told = story(
        &ws,
        "2026-11-20",
        "prod",
        "cart",
        &[
            (
                &["canary", "start", "2026-11-20", "cart"],
                "cart: canary of 9c2cba1a started at 10%",
            ),
            (
                &["canary", "weight", "2026-11-20", "cart", "25"],
                "cart: canary 10% → 25%",
            ),
            (
                &["canary", "weight", "2026-11-20", "cart", "50"],
                "cart: canary 25% → 50%",
            ),
            (
                &["canary", "promote", "2026-11-20", "cart"],
                "cart: canary promoted to 9c2cba1a",
            ),
        ],
    );
    insta::assert_snapshot!("example_start_to_promote", told);
}

#[test]
fn a_canary_from_start_to_abort_on_the_example_workspace_gives_the_file_back() {
    let (_tmp, ws) = example();
    let file = ws.join("snapshots/2026-11-20.kdl");
    let original = std::fs::read_to_string(&file).unwrap();
    let told = story(
        &ws,
        "2026-11-20",
        "prod",
        "catalog",
        &[
            (
                &["canary", "start", "2026-11-20", "catalog", "--weight", "5"],
                "catalog: canary of fb6faf9b started at 5%",
            ),
            (
                &["canary", "abort", "2026-11-20", "catalog"],
                // out/ holds the canary now: the render above wrote it.
                "catalog: canary of fb6faf9b aborted, back to 2cffd385",
            ),
        ],
    );
    insta::assert_snapshot!("example_start_to_abort", told);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
}

/// The release candidate's tower runs stable, canary and an A/B track:
/// the header track stays through weight and promote.
#[test]
fn header_tracks_stay_on_the_example_workspace() {
    let (_tmp, ws) = example();
    let told = story(
        &ws,
        "2026-11-26",
        "dev",
        "tower",
        &[
            (
                &["canary", "weight", "2026-11-26", "tower", "40"],
                "tower: canary 10% → 40%",
            ),
            (
                &["canary", "promote", "2026-11-26", "tower"],
                "tower: canary promoted to 9a4c0645",
            ),
            (
                &["canary", "start", "2026-11-26", "tower", "--weight", "20"],
                "tower: canary of 8f085061 started at 20%",
            ),
        ],
    );
    insta::assert_snapshot!("example_header_tracks", told);
}

/// A snapshot written by hand: block and line comments, tabs, blank
/// lines, odd indentation, a raw string, an A/B track.
const HAND_WRITTEN: &str = "/* s1: a canary's life, by hand. */

snapshot   \"s1\"{
\tdescription    \"week 1\"   // trailing comment

\t// cart: first
\tservice\t\"cart\"    commit=\"{cart}\"   /* inline */ replicas=2   // cart: first


    service \"taxe\"  commit=\"{taxe}\"
        service  \"tower\"   {
\t\ttrack \"stable\" commit=\"{stable}\"     weight=90 // stable
\t  track \"canary\"  commit=r#\"{canary}\"# weight=10


        // A/B: only x-beta requests
        track \"beta\" commit=\"{stable}\" header=\"x-beta\" value=\"1\"
    }
}
";

fn hand_written(shop: &Shop) -> String {
    HAND_WRITTEN
        .replace("{cart}", &shop.cart1[..10])
        .replace("{taxe}", &shop.taxe2[..10])
        .replace("{stable}", &shop.tower1[..7])
        .replace("{canary}", &shop.tower2[..12])
}

/// Hashes as names, so that the snapshots read.
fn named(text: &str, shop: &Shop) -> String {
    let mut text = text.to_string();
    for (name, commit) in [
        ("CART1", &shop.cart1),
        ("CART2", &shop.cart2),
        ("TAXE1", &shop.taxe1),
        ("TAXE2", &shop.taxe2),
        ("TOWER1", &shop.tower1),
        ("TOWER2", &shop.tower2),
    ] {
        for len in [40, 12, 10, 8, 7] {
            text = text.replace(&commit[..len], &format!("{name}_{len}"));
        }
    }
    text
}

fn steps(ws: &TestWorkspace, shop: &Shop, steps: &[&[&str]]) -> String {
    let mut out = String::new();
    for args in steps {
        let run = ws.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(
            ws.run(&["check"]).code,
            0,
            "{args:?} leaves a valid workspace"
        );
        out.push_str(&format!(
            "$ snapset {}\n{}=== snapshots/s1.kdl\n{}\n",
            args.join(" "),
            run.stdout,
            ws.read("snapshots/s1.kdl")
        ));
    }
    named(&out, shop)
}

#[test]
fn every_step_keeps_comments_blank_lines_and_odd_spacing() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write("snapshots/s1.kdl", &hand_written(&shop));
    let told = steps(
        &ws,
        &shop,
        &[
            &["canary", "start", "s1", "cart"],
            &["canary", "weight", "s1", "cart", "25"],
            &["canary", "weight", "s1", "--all", "50"],
            &["canary", "promote", "s1", "tower"],
            &["canary", "abort", "s1", "--all"],
        ],
    );
    insta::assert_snapshot!("hand_written_story", told);
}

#[test]
fn start_then_abort_gives_back_the_bytes_crlf_included() {
    let (ws, shop) = TestWorkspace::shop();
    for text in [
        ws.read("snapshots/s1.kdl"),
        ws.read("snapshots/s1.kdl").replace('\n', "\r\n"),
        hand_written(&shop).replace('\n', "\r\n"),
    ] {
        ws.write("snapshots/s1.kdl", &text);
        for service in ["cart", "tower"] {
            if service == "tower" && text.contains("canary") {
                continue;
            }
            let started = ws.run(&["canary", "start", "s1", service]);
            assert_eq!(started.code, 0, "{}", started.stderr);
            let edited = ws.read("snapshots/s1.kdl");
            let crlf = edited.matches("\r\n").count();
            let expected = if text.contains('\r') {
                edited.matches('\n').count()
            } else {
                0
            };
            assert_eq!(crlf, expected, "{edited:?}");
            assert_eq!(ws.run(&["canary", "weight", "s1", service, "33"]).code, 0);
            let aborted = ws.run(&["canary", "abort", "s1", service]);
            assert_eq!(aborted.code, 0, "{}", aborted.stderr);
        }
        if !text.contains("/* inline */") {
            assert_eq!(ws.read("snapshots/s1.kdl"), text);
        }
    }
}

/// Every refusal: exit 2, the message names the file and line, and the
/// file keeps every byte.
#[test]
fn refusals_exit_2_at_a_line_and_leave_the_file_as_it_was() {
    let (ws, shop) = TestWorkspace::shop();
    let by_hand = hand_written(&shop);
    let plain = ws.read("snapshots/s1.kdl");
    // A third weighted track beside stable and canary.
    let blue = by_hand.replace(
        "weight=90 // stable",
        "weight=80 // stable\n\t\ttrack \"blue\" commit=\"{blue}\" weight=10",
    );
    let blue = blue.replace("{blue}", &shop.tower1[..10]);
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "already a canary",
            &by_hand,
            &["canary", "start", "s1", "tower"],
        ),
        (
            "no canary (weight)",
            &by_hand,
            &["canary", "weight", "s1", "cart", "30"],
        ),
        (
            "no canary (promote)",
            &by_hand,
            &["canary", "promote", "s1", "taxe"],
        ),
        (
            "no canary (abort)",
            &by_hand,
            &["canary", "abort", "s1", "cart"],
        ),
        (
            "no canary at all",
            &plain,
            &["canary", "abort", "s1", "--all"],
        ),
        (
            "weight 0",
            &by_hand,
            &["canary", "weight", "s1", "tower", "0"],
        ),
        (
            "weight 100",
            &by_hand,
            &["canary", "weight", "s1", "--all", "100"],
        ),
        (
            "weight -3",
            &by_hand,
            &["canary", "weight", "s1", "tower", "-3"],
        ),
        (
            "start at 100",
            &by_hand,
            &["canary", "start", "s1", "cart", "--weight", "100"],
        ),
        (
            "other weighted tracks",
            &blue,
            &["canary", "weight", "s1", "tower", "20"],
        ),
        (
            "other weighted tracks (promote all)",
            &blue,
            &["canary", "promote", "s1", "--all"],
        ),
        (
            "nothing newer",
            &by_hand,
            &["canary", "start", "s1", "taxe"],
        ),
        (
            "nothing newer at --to",
            &by_hand,
            &["canary", "start", "s1", "cart", "--to", "HEAD~6"],
        ),
    ];
    let mut told = String::new();
    for (what, text, args) in cases {
        ws.write("snapshots/s1.kdl", text);
        let run = ws.run(args);
        assert_eq!(run.code, 2, "{what}: {run:?}");
        assert!(
            run.stderr.contains("snapshots/s1.kdl:"),
            "{what}: {}",
            run.stderr
        );
        assert_eq!(
            &ws.read("snapshots/s1.kdl"),
            text,
            "{what}: the file is untouched"
        );
        assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
        told.push_str(&format!(
            "## {what}: snapset {}\n{}\n",
            args.join(" "),
            run.stderr
        ));
    }
    insta::assert_snapshot!("refusals", named(&told, &shop));
}

/// An edit whose workspace does not resolve is not written: every track
/// of taxe must contain taxe2 (cart requires it), and the stable track of
/// a canary keeps taxe1.
#[test]
fn an_edit_that_does_not_resolve_is_not_written() {
    let (ws, shop) = TestWorkspace::shop();
    let text = format!(
        "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\" {{\n        requires \"taxe\" since=\"{}\"\n    }}\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
        &shop.cart1[..10],
        &shop.taxe2[..10],
        &shop.taxe1[..10],
        &shop.tower1[..10]
    );
    ws.write("snapshots/s1.kdl", &text);
    let run = ws.run(&["canary", "start", "s1", "taxe"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("was left as it was"), "{}", run.stderr);
    assert!(run.stderr.contains("snapshots/s1.kdl:"), "{}", run.stderr);
    assert_eq!(ws.read("snapshots/s1.kdl"), text);
}

/// Tracks written on one line, `;` between them: the canary joins that
/// line, and leaves it again.
#[test]
fn tracks_on_one_line_stay_on_one_line() {
    let (ws, shop) = TestWorkspace::shop();
    let text = |tracks: &str| {
        format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" {{ {tracks} }}\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
        )
    };
    let (t1, t2) = (&shop.tower1[..10], &shop.tower2[..10]);
    let beta = format!("track \"beta\" commit=\"{t1}\" header=\"x-beta\" value=\"1\";");
    ws.write(
        "snapshots/s1.kdl",
        &text(&format!("track \"stable\" commit=\"{t1}\"; {beta}")),
    );
    assert_eq!(ws.run(&["canary", "start", "s1", "tower"]).code, 0);
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        text(&format!(
            "track \"stable\" commit=\"{t1}\" weight=90; track \"canary\" commit=\"{t2}\" weight=10; {beta}"
        ))
    );
    assert_eq!(ws.run(&["canary", "promote", "s1", "tower"]).code, 0);
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        text(&format!(
            "track \"stable\" commit=\"{t2}\" weight=100; {beta}"
        ))
    );
}
