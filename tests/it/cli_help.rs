//! The command line's own help: examples under every subcommand, the guide
//! of `snapset` alone, shell completion scripts (static syntax and dynamic
//! names), and man pages that `man` renders.

use crate::common;

use std::process::Command;

use common::workspace::TestWorkspace;

fn snapset(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_snapset"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run snapset")
}

/// Every subcommand path: `render`, `snapshot new`, ...
fn paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands() {
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_string());
        out.push(path.clone());
        paths(sub, &path, out);
    }
}

#[test]
fn every_subcommand_has_examples() {
    let mut all = Vec::new();
    paths(&snapset::cli::command(), &[], &mut all);
    assert!(all.len() > 10);
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = snapset(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Examples:\n  snapset"),
            "`snapset {}` has no examples:\n{text}",
            path.join(" ")
        );
    }
}

#[test]
fn snapset_alone_prints_the_guide() {
    let out = snapset(&[]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!("guide", text);
    // A subcommand missing its own subcommand is clap's usual error.
    let out = snapset(&["snapshot"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("A workspace is"));
}

#[test]
fn completion_scripts() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = snapset(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("SNAPSET_COMPLETE"), "{shell}: {script}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapset.bash");
    std::fs::write(&file, snapset(&["completions", "bash"]).stdout).unwrap();
    let check = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// What the bash script asks when <TAB> is pressed after `words`.
fn complete(words: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .arg("--")
        .args(words)
        .env("SNAPSET_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .output()
        .expect("run snapset");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // Flags are offered too; the names are what this test is about.
        .filter(|c| !c.starts_with('-'))
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_names_come_from_the_workspace() {
    let (ws, _) = TestWorkspace::shop();
    let root = ws.root.to_str().unwrap();
    assert_eq!(
        complete(&["snapset", "-C", root, "render", "--env", ""]),
        ["dev", "prod"]
    );
    assert_eq!(complete(&["snapset", "-C", root, "bump", ""]), ["s1"]);
    assert_eq!(
        complete(&["snapset", "-C", root, "bump", "s1", "t"]),
        ["taxe", "tower"]
    );
    assert_eq!(
        complete(&["snapset", "-C", root, "bump", "s1", "cart", "--track", ""]),
        ["stable"]
    );
    assert!(complete(&["snapset", "ren"]).contains(&"render".to_string()));
    // The clusters of the environments (issue 31).
    let config = ws.read("snapset.kdl").replace(
        "environment \"prod\" snapshot=\"s1\" varset=\"prod\"",
        "environment \"prod\" snapshot=\"s1\" varset=\"prod\" {\n    cluster \"us-1\" varset=\"prod\"\n    cluster \"eu-1\" varset=\"prod\"\n}",
    );
    ws.write("snapset.kdl", &config);
    assert_eq!(
        complete(&[
            "snapset",
            "-C",
            root,
            "explain",
            "--env",
            "prod",
            "--cluster",
            ""
        ]),
        ["eu-1", "us-1"]
    );
    // `canary`'s subcommands complete snapshots and services like `bump`.
    for sub in ["start", "weight", "promote", "abort"] {
        assert_eq!(
            complete(&["snapset", "-C", root, "canary", sub, ""]),
            ["s1"],
            "{sub}"
        );
        assert_eq!(
            complete(&["snapset", "-C", root, "canary", sub, "s1", "t"]),
            ["taxe", "tower"],
            "{sub}"
        );
    }
}

/// `man` is needed here, never skipped: ./test installs it (man-db).
fn man() -> &'static str {
    let found = Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`man` is missing: run ./test, which installs it, or `apt-get install -y --no-install-recommends man-db`"
    );
    "man"
}

#[test]
fn man_pages_render() {
    let man = man();
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("snapset.1");
    let out = snapset(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&top, &out.stdout).unwrap();
    let pages = dir.path().join("man1");
    let out = snapset(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for (page, expect) in [
        (top.clone(), "snapset init"),
        (pages.join("snapset-render.1"), "--check"),
        (pages.join("snapset-snapshot-new.1"), "--from"),
    ] {
        let shown = Command::new(man)
            .arg("-l")
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .expect("man");
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            shown.status.success(),
            "{}",
            String::from_utf8_lossy(&shown.stderr)
        );
        assert!(text.contains(expect), "{}: {text}", page.display());
        assert!(text.contains("Examples:"), "{}: {text}", page.display());
    }
}

/// Help is written for users: no issue numbers of snapset's own tracker,
/// and every argument and option says what it is.
#[test]
fn every_help_text_speaks_to_users() {
    let mut all = vec![Vec::new()];
    paths(&snapset::cli::command(), &[], &mut all);
    for path in &all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let text = String::from_utf8_lossy(&snapset(&args).stdout).into_owned();
        let numbered = text
            .match_indices('#')
            .any(|(at, _)| text[at + 1..].starts_with(|c: char| c.is_ascii_digit()));
        assert!(
            !text.to_lowercase().contains("issue") && !numbered,
            "`snapset {}` --help names an issue:\n{text}",
            path.join(" ")
        );
    }
    fn documented(cmd: &clap::Command, path: &str) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            assert!(
                arg.get_help().is_some() || arg.get_long_help().is_some(),
                "`snapset {path}`: {id} has no help text"
            );
        }
        for sub in cmd.get_subcommands() {
            documented(sub, format!("{path} {}", sub.get_name()).trim());
        }
    }
    documented(&snapset::cli::command(), "");
    let explain = String::from_utf8_lossy(&snapset(&["explain", "--help"]).stdout).into_owned();
    assert!(
        explain.contains("<SERVICE>  A service of the environment's snapshot"),
        "{explain}"
    );
    assert!(explain.contains("--env <E>  "), "{explain}");
}

/// `templates show` prints a built-in template as shipped, to start one's
/// own from; `templates list` says what renders in a workspace.
#[test]
fn templates_show_prints_a_built_in_and_list_names_every_template() {
    let out = snapset(&["templates", "show", "track/deployment"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        include_str!("../../src/render/templates/track/deployment.yaml.j2")
    );
    let out = snapset(&["templates", "show", "virtualservice"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        include_str!("../../src/render/templates/service/virtualservice.yaml.j2")
    );
    let out = snapset(&["templates", "show", "deploymnt"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown built-in template `deploymnt`"),
        "{err}"
    );
    assert!(err.contains("did you mean `deployment`?"), "{err}");

    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "templates/track/deployment.yaml.j2",
        include_str!("../../src/render/templates/track/deployment.yaml.j2"),
    );
    ws.write("templates/service/configmap.yaml.j2", "");
    ws.write("templates/worker/track/cronjob.yaml.j2", "");
    let run = ws.run(&["templates", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("templates_list", run.stdout);
}
