//! The release is made by `.github/workflows/release.yml` and the
//! `Dockerfile`, which this machine cannot run as a whole (no GitHub runner,
//! no container engine). So they are checked like code: the workflow parses
//! and builds the targets docs/ci.md promises, under the names its recipes
//! download; every step's script parses and starts commands a runner has;
//! the steps that only move files (the tag check, archive and checksum,
//! SHA256SUMS, the release notes, the image's binaries) are run here for real
//! on the debug binary; the Dockerfile copies what the workflow unpacks; the
//! crate's version is the one CHANGELOG.md and the recipes pin.
//! (.ci/run also lints both files with action-validator and hadolint.)

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap()
}

fn workflow() -> Value {
    serde_norway::from_str(&read(".github/workflows/release.yml")).expect("release.yml is YAML")
}

/// Every step of every job, as (job, step).
fn steps(workflow: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (job, body) in workflow["jobs"].as_object().expect("jobs") {
        for step in body["steps"].as_array().expect("steps") {
            out.push((job.clone(), step.clone()));
        }
    }
    out
}

/// The script of the step named `name` in `job`.
fn script(workflow: &Value, job: &str, name: &str) -> String {
    steps(workflow)
        .into_iter()
        .find(|(j, step)| j == job && step["name"] == name)
        .and_then(|(_, step)| step["run"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no step {name:?} with a script in job {job}"))
}

/// Runs a step's script as GitHub's `shell: bash` does, in `dir`.
fn run_step(script: &str, dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "step failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_workflow_builds_on_a_tag_the_targets_the_docs_promise() {
    let workflow = workflow();
    assert_eq!(workflow["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let targets: Vec<&str> = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, TARGETS);
    let docs = read("docs/ci.md");
    for target in TARGETS {
        assert!(
            docs.contains(&format!("snapset-X.Y.Z-{target}.tar.gz")),
            "docs/ci.md does not list the {target} archive"
        );
    }
    assert_eq!(
        workflow["jobs"]["release"]["needs"], "build",
        "the release waits for every build"
    );
    assert_eq!(workflow["jobs"]["image"]["needs"], "build");
}

/// Every step either uses a pinned action or runs a script that bash can
/// parse, whose commands exist on GitHub's Ubuntu and macOS runners, and
/// that takes no `${{ }}` expression (values reach scripts through env, so
/// a tag name cannot inject shell).
#[test]
fn every_step_runs_a_command_a_runner_has() {
    const RUNNER: [&str; 22] = [
        "awk",
        "cargo",
        "cat",
        "cd",
        "cp",
        "curl",
        "docker",
        "echo",
        "file",
        "gh",
        "grep",
        "head",
        "mkdir",
        "rustup",
        "sed",
        "sha256sum",
        "shasum",
        "sort",
        "sudo",
        "tar",
        "test",
        "apt-get",
    ];
    const SHELL: [&str; 9] = ["if", "then", "else", "fi", "for", "do", "done", "[", "exit"];
    let workflow = workflow();
    for (job, step) in steps(&workflow) {
        let name = step["name"].as_str().unwrap_or("(unnamed)").to_string();
        match (step["uses"].as_str(), step["run"].as_str()) {
            (Some(uses), None) => {
                let (action, version) = uses.split_once('@').expect("a pinned action");
                assert!(action.split('/').count() == 2, "{job}/{name}: {uses}");
                assert!(
                    version.starts_with('v'),
                    "{job}/{name}: {uses} is not pinned to a version"
                );
            }
            (None, Some(run)) => {
                assert!(
                    !run.contains("${{"),
                    "{job}/{name}: an expression inside a script"
                );
                let out = Command::new("bash")
                    .args(["-n", "-c", run])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{job}/{name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                for command in commands(run) {
                    assert!(
                        RUNNER.contains(&command.as_str())
                            || SHELL.contains(&command.as_str())
                            || command.contains('/')
                            || command.contains('='),
                        "{job}/{name}: `{command}` is not a command of GitHub's runners"
                    );
                }
            }
            _ => panic!("{job}/{name}: a step needs exactly one of uses and run"),
        }
    }
}

#[test]
fn commands_of_a_script_are_found() {
    let script = "version=$(sed -n 's/a b/c/p' Cargo.toml | head -n 1)\n\
                  awk -v v=\"$v\" '\n  /^## / { found = 1; next }\n' CHANGELOG.md > notes.md\n\
                  \"target/$T/snapset\" --version && gh release create x \\\n  --notes y\n\
                  for p in a b; do tar -x; done # a comment\n";
    assert_eq!(
        commands(script),
        [
            "version=",
            "sed",
            "head",
            "awk",
            "target/$T/snapset",
            "gh",
            "for",
            "do",
            "tar",
            "done"
        ]
    );
}

/// The first word of each simple command of a script: quoted text is
/// taken out first (an awk program is not commands), then the script is cut
/// at `|`, `&`, `;`, `$(` and line ends. Good enough for the plain scripts of
/// a workflow (no here-documents, no functions).
fn commands(script: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut chars = script.chars();
    while let Some(c) = chars.next() {
        match c {
            // A single-quoted string is one opaque word.
            '\'' => {
                chars.by_ref().find(|&c| c == '\'');
                plain.push_str("QUOTED");
            }
            // A double-quoted one keeps its text (a path to run) as one word.
            '"' => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    plain.push(if c.is_whitespace() { '_' } else { c });
                }
            }
            '\\' => {
                if let Some(next) = chars.next() {
                    plain.push(if next == '\n' { ' ' } else { next });
                }
            }
            _ => plain.push(c),
        }
    }
    let mut out = Vec::new();
    for line in plain.lines() {
        let line = line.split(" #").next().unwrap_or("");
        if line.trim_start().starts_with('#') {
            continue;
        }
        for part in line.split(['|', ';', '&']).flat_map(|p| p.split("$(")) {
            let part = part.trim_start_matches(['(', ' ', '!']);
            // `do tar …`, `then exit 1`: a keyword, then a command.
            for word in part.split_whitespace() {
                if word.starts_with(')') {
                    break;
                }
                out.push(word.to_string());
                if !matches!(word, "do" | "then" | "else" | "if" | "while" | "until") {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn the_tag_must_be_the_crates_version() {
    let workflow = workflow();
    let step = script(&workflow, "build", "The tag is the crate's version");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(ROOT).join("Cargo.toml"),
        tmp.path().join("Cargo.toml"),
    )
    .unwrap();
    let github_env = tmp.path().join("github_env");
    std::fs::write(&github_env, "").unwrap();
    let env_file = github_env.to_str().unwrap();

    let tag = format!("v{VERSION}");
    ok(&run_step(
        &step,
        tmp.path(),
        &[("GITHUB_REF_NAME", &tag), ("GITHUB_ENV", env_file)],
    ));
    assert_eq!(
        std::fs::read_to_string(&github_env).unwrap(),
        format!("VERSION={VERSION}\n")
    );

    let out = run_step(
        &step,
        tmp.path(),
        &[("GITHUB_REF_NAME", "v9.9.9"), ("GITHUB_ENV", env_file)],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("tag v9.9.9 is not v{VERSION}"))
    );
}

/// Archive and checksum for every target (the debug binary standing in for
/// each), SHA256SUMS over them, the release notes, and the image job's
/// unpacking: the names agree from step to step and with the Dockerfile.
#[test]
fn the_release_steps_agree_on_every_file_name() {
    let workflow = workflow();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    for file in ["README.md", "CHANGELOG.md", "LICENSE-APACHE", "LICENSE-MIT"] {
        std::fs::copy(Path::new(ROOT).join(file), work.join(file)).unwrap();
    }
    let archive = script(&workflow, "build", "Archive and checksum");
    for target in TARGETS {
        let bin = work.join("target").join(target).join("release");
        std::fs::create_dir_all(&bin).unwrap();
        // What the file holds does not matter to these steps; a small one
        // keeps gzip quick.
        std::fs::write(bin.join("snapset"), format!("snapset for {target}\n")).unwrap();
        ok(&run_step(
            &archive,
            work,
            &[("TARGET", target), ("VERSION", VERSION)],
        ));
        for file in [".tar.gz", ".tar.gz.sha256"] {
            assert!(
                work.join(format!("dist/snapset-{VERSION}-{target}{file}"))
                    .is_file()
            );
        }
    }
    // The release job downloads the build artifacts into dist/, flat.
    let dist = work.join("dist");
    for entry in std::fs::read_dir(&dist).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::remove_dir_all(path).unwrap();
        }
    }
    let sums = script(&workflow, "release", "SHA256SUMS");
    ok(&run_step(&sums, &dist, &[]));
    let listed = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert_eq!(listed.lines().count(), TARGETS.len());

    let tag = format!("v{VERSION}");
    let notes = script(&workflow, "release", "Notes from CHANGELOG.md");
    ok(&run_step(&notes, work, &[("GITHUB_REF_NAME", &tag)]));
    let text = std::fs::read_to_string(work.join("notes.md")).unwrap();
    assert!(
        text.contains("### Commands"),
        "the notes of {VERSION}: {text}"
    );
    assert!(!text.contains("## ["), "the notes stop at the next version");

    // The docs' by-hand install: the checksum line of SHA256SUMS checks.
    let target = TARGETS[0];
    let out = Command::new("bash")
        .args(["-eo", "pipefail", "-c"])
        .arg(format!(
            "grep ' snapset-{VERSION}-{target}.tar.gz$' SHA256SUMS | sha256sum --check -"
        ))
        .current_dir(&dist)
        .output()
        .unwrap();
    ok(&out);

    // cargo binstall finds the archive and the binary in it.
    let (url, bin_dir) = binstall();
    let archive_name = url
        .replace("{ repo }/releases/download/v{ version }/", "")
        .replace("{ name }", "snapset")
        .replace("{ version }", VERSION)
        .replace("{ target }", target);
    let listing = Command::new("tar")
        .arg("-tzf")
        .arg(dist.join(&archive_name))
        .output()
        .unwrap();
    let inside = bin_dir
        .replace("{ name }", "snapset")
        .replace("{ version }", VERSION)
        .replace("{ target }", target)
        .replace("{ bin }", "snapset")
        .replace("{ binary-ext }", "");
    assert!(
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .any(|l| l == inside),
        "{inside} in {archive_name}"
    );

    let unpack = script(
        &workflow,
        "image",
        "The static binaries, where the Dockerfile takes them",
    );
    ok(&run_step(&unpack, work, &[("GITHUB_REF_NAME", &tag)]));
    let dockerfile = read("Dockerfile");
    for arch in ["amd64", "arm64"] {
        let copied = work.join(format!("dist/linux-{arch}/snapset"));
        assert!(copied.is_file(), "{} is missing", copied.display());
        let from_dockerfile = dockerfile_copy_source(&dockerfile).replace("${TARGETARCH}", arch);
        assert_eq!(work.join(from_dockerfile), copied);
    }
}

/// `pkg-url` and `bin-dir` of Cargo.toml's `[package.metadata.binstall]`.
fn binstall() -> (String, String) {
    let manifest = read("Cargo.toml");
    let value = |key: &str| {
        manifest
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("Cargo.toml has no binstall {key}"))
            .to_string()
    };
    (value("pkg-url"), value("bin-dir"))
}

/// The `COPY` source of the Dockerfile.
fn dockerfile_copy_source(dockerfile: &str) -> String {
    dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("COPY "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a COPY")
        .to_string()
}

#[test]
fn the_image_holds_the_static_binary_and_nothing_else() {
    let dockerfile = read("Dockerfile");
    let instructions: Vec<&str> = dockerfile
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        instructions,
        [
            "FROM",
            "ARG",
            "COPY",
            "USER",
            "WORKDIR",
            "ENTRYPOINT",
            "CMD"
        ]
    );
    assert!(dockerfile.contains("\nFROM scratch\n"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/snapset\"]"));
    // The build context is only that binary.
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l == "*"));
    assert!(ignore.lines().any(|l| l == "!dist/linux-*/snapset"));
}

#[test]
fn the_recipes_and_the_changelog_name_this_version() {
    let docs = read("docs/ci.md");
    assert!(docs.contains(&format!("SNAPSET_VERSION: \"{VERSION}\"")));
    assert!(docs.contains(&format!(
        "cargo install --locked snapset --version {VERSION}"
    )));
    assert!(docs.contains(&format!("rev: v{VERSION}")));
    assert!(read("CHANGELOG.md").contains(&format!("\n## [{VERSION}]\n")));
    // No recipe compiles snapset from git on every run any more.
    assert!(!docs.contains("cargo install --locked --git"));
}

/// `snapset --version`: the version, and the commit it was built from when
/// built from a git checkout (as this test's binary is).
#[test]
fn version_names_the_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .arg("--version")
        .output()
        .unwrap();
    let printed = ok(&out);
    let head = Command::new("git")
        .args(["log", "-1", "--abbrev=9", "--format=%h %cs"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(printed, format!("snapset {VERSION} ({})\n", head.trim()));
}
