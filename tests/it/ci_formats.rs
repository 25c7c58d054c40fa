//! `--message-format github|gitlab` (and `--format github` on `check` and
//! `render`): every error and warning also as a GitHub workflow command on
//! stderr, or in a GitLab Code Quality report, with paths from the
//! repository root.

use crate::common;

use common::git_fixture::GitFixture;
use common::workspace::TestWorkspace;

/// The workflow commands among stderr's lines.
fn commands(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| l.starts_with("::"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The shop with cart pinned to a commit that does not touch its path (a
/// warning).
fn with_warning() -> TestWorkspace {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &shop.docs[..10],
            &shop.taxe1[..10],
            &shop.tower1[..10]
        ),
    );
    ws
}

/// The shop with two mistakes in two files: a KDL syntax error (knus's
/// own diagnostic) and an unknown node (snapset's).
fn with_errors() -> TestWorkspace {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev\"\n    vars { replicas 2 \n",
    );
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    extends \"base\"\n    varz { replicas \"100%\"; }\n}\n",
    );
    ws
}

/// A mistake in snapset.kdl, which stops the load before the varsets.
fn with_config_error() -> TestWorkspace {
    let (ws, _) = TestWorkspace::shop();
    let config = ws.read("snapset.kdl").replace("port=9090", "prot=9090");
    ws.write("snapset.kdl", &config);
    ws
}

#[test]
fn github_annotations_for_warnings() {
    let ws = with_warning();
    let run = ws.run(&["check", "--format", "github"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("github_warning", commands(&run.stderr));
    // The human report is still there, and stdout holds only the result.
    assert!(run.stderr.contains("changes nothing under services/cart"));
    assert!(!run.stdout.contains("::"));
    // The same through the global flag, on render --check and diff.
    let render = ws.run(&["render", "--check", "--format", "github"]);
    assert_eq!(commands(&render.stderr), commands(&run.stderr));
    let diff = ws.run(&["--message-format", "github", "diff", "--format", "markdown"]);
    assert_eq!(commands(&diff.stderr), commands(&run.stderr));
    assert!(!diff.stdout.contains("::"), "the markdown stays clean");
}

#[test]
fn github_annotations_for_errors() {
    let ws = with_errors();
    let run = ws.run(&["check", "--format", "github"]);
    assert_eq!(run.code, 2, "{run:?}");
    insta::assert_snapshot!("github_errors", commands(&run.stderr));
    // Without the flag: no workflow commands.
    assert_eq!(commands(&ws.run(&["check"]).stderr), "");
}

/// In a git repository, paths start at its root: `ws/snapset.kdl`.
#[test]
fn github_paths_from_the_repository_root() {
    let ws = with_config_error();
    let top = ws.root.parent().unwrap();
    let mut repo = GitFixture::init(top);
    repo.commit("readme", &[("README.md", "x\n")]);
    let run = ws.run(&["check", "--message-format", "github"]);
    assert_eq!(run.code, 2);
    let lines = commands(&run.stderr);
    assert!(
        lines.starts_with("::error file=ws/snapset.kdl,line=6,col=39,"),
        "{lines}"
    );
    assert!(
        lines.ends_with(
            "title=snapset::unknown property `prot` on `service` (help: did you mean `port`?)\n"
        ),
        "{lines}"
    );
}

#[test]
fn gitlab_code_quality_report() {
    let ws = with_errors();
    let report = ws
        .root
        .parent()
        .unwrap()
        .join("gl-code-quality-report.json");
    let report_arg = report.to_str().unwrap();
    let run = ws.run(&[
        "check",
        "--message-format",
        "gitlab",
        "--report",
        report_arg,
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    let text = std::fs::read_to_string(&report).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_json_snapshot!("gitlab_errors", json);
    // The same problems give the same fingerprints on the next pipeline.
    ws.run(&[
        "check",
        "--message-format",
        "gitlab",
        "--report",
        report_arg,
    ]);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), text);

    // Warnings only: exit 0, and the report lists them; none: an empty list.
    let ws = with_warning();
    let run = ws.run(&["check", "--format", "gitlab", "--report", "-"]);
    assert_eq!(run.code, 0, "{run:?}");
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout[run.stdout.find('[').unwrap()..]).unwrap();
    assert_eq!(json[0]["severity"], "minor");
    assert_eq!(json[0]["location"]["path"], "snapshots/s1.kdl");
    let (clean, _) = TestWorkspace::shop();
    let run = clean.run(&["check", "--format", "gitlab", "--report", report_arg]);
    assert_eq!(run.code, 0);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "[]\n");
}

#[test]
fn gitlab_needs_a_report_file() {
    let (ws, _) = TestWorkspace::shop();
    let run = ws.run(&["check", "--message-format", "gitlab"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--report FILE"), "{}", run.stderr);
}
