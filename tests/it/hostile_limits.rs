//! Issue 32, items 5 to 11: what a pull request can commit to fool a
//! review (a reason made of invisible characters), to have `lock` write
//! what a registry forged, or to exhaust the CI runner (links to
//! `/dev/zero` and named pipes in a committed repository, files of
//! thousands of errors or properties, files that parse into gigabytes,
//! `extends` chains that overflow the stack). Each test makes its hostile
//! input itself; each failed on the main branch of the day the issue was
//! filed. The resource tests run the binary under a memory limit and a
//! deadline, so that a regression fails the test instead of hanging it or
//! the machine (no test measures time).

use crate::common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::http_stub::{HttpStub, response};
use common::workspace::{Run, Shop, TestWorkspace};

/// Past this the child is killed and the test fails: far beyond what any
/// of these runs takes in a debug build on a loaded machine (they take
/// well under a second once fixed; the slowest, item 10's, about 20 s).
const DEADLINE: Duration = Duration::from_secs(180);

/// `snapset -C root args…` with at most `mib` of address space (a shell's
/// `ulimit -v`: an allocation past it fails, and the run aborts rather than
/// exhausting the machine) and killed at `DEADLINE`.
fn bounded(root: &Path, args: &[&str], mib: u64) -> Run {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(env!("CARGO_BIN_EXE_snapset"))
        .arg("-C")
        .arg(root)
        .args(args)
        .env("NO_COLOR", "1")
        .env(
            "GIT_CEILING_DIRECTORIES",
            root.parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/")),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run snapset");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("snapset {args:?} did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

/// The error stopped the run before anything was rendered.
fn assert_refused(ws: &TestWorkspace, run: &Run, what: &str) {
    assert_eq!(run.code, 2, "{what}: {}", head(&run.stderr));
    assert!(!ws.path("out").exists(), "{what}: out/ was written");
}

/// The start of a report that may quote a line of megabytes.
fn head(text: &str) -> &str {
    let mut end = text.len().min(2000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

// ---------------------------------------------------------------- item 5

/// Characters that draw nothing: format characters (a zero-width space, a
/// soft hyphen, bidi controls, a tag), a Hangul filler, the blank Braille
/// pattern, a combining grapheme joiner; alone or with spaces.
const INVISIBLE: &[&str] = &[
    "\u{200b}",
    "\u{00ad}\u{2060}\u{feff}",
    " \u{202e}\u{2066} ",
    "\u{e0001}\u{e0041}",
    "\u{3164}\u{115f}",
    "\u{2800}",
    "\u{034f}\u{180e}\u{061c}",
];

#[test]
fn a_reason_of_invisible_characters_is_blank() {
    for reason in INVISIBLE {
        let (ws, shop) = TestWorkspace::shop();
        let snapshot = ws.read("snapshots/s1.kdl").replace(
            &format!("service \"cart\" commit=\"{}\"", &shop.cart1[..10]),
            &format!(
                "service \"cart\" commit=\"{}\" {{\n        hotfix \"{reason}\"\n    }}",
                &shop.cart1[..10]
            ),
        );
        ws.write("snapshots/s1.kdl", &snapshot);
        let run = ws.run(&["render"]);
        assert_refused(&ws, &run, &format!("hotfix {reason:?}"));
        assert!(run.stderr.contains("hotfix reason"), "{}", run.stderr);
        assert!(run.stderr.contains("snapshots/s1.kdl:3:"), "{}", run.stderr);
        assert!(run.stderr.contains("blank"), "{}", run.stderr);
    }
}

#[test]
fn a_freeze_or_rejection_with_an_invisible_reason_is_refused() {
    for reason in INVISIBLE {
        for line in [
            format!("freeze \"prod\" from=\"2026-12-20\" until=\"2027-01-04\" reason=\"{reason}\""),
            format!(
                "reject \"cart\" \"{}\" reason=\"{reason}\"",
                "ab".repeat(20)
            ),
        ] {
            let (ws, _) = TestWorkspace::shop();
            let config = ws.read("snapset.kdl") + &line + "\n";
            ws.write("snapset.kdl", &config);
            let run = ws.run(&["render"]);
            assert_refused(&ws, &run, &line);
            assert!(run.stderr.contains("`reason=`"), "{line}: {}", run.stderr);
            assert!(
                run.stderr.contains("snapset.kdl:10:"),
                "{line}: {}",
                run.stderr
            );
            assert!(run.stderr.contains("blank"), "{line}: {}", run.stderr);
        }
    }
}

#[test]
fn snapset_reject_refuses_an_invisible_reason() {
    let (ws, shop) = TestWorkspace::shop();
    let before = ws.read("snapset.kdl");
    for reason in INVISIBLE {
        let run = ws.run(&["reject", "cart", &shop.cart2, "--reason", reason]);
        assert_eq!(run.code, 2, "{reason:?}: {run:?}");
        assert!(run.stderr.contains("--reason"), "{}", run.stderr);
        assert_eq!(ws.read("snapset.kdl"), before, "{reason:?}");
    }
    let run = ws.run(&["reject", "cart", &shop.cart2, "--reason", "\u{200b}leaks"]);
    assert_eq!(run.code, 0, "a visible word is a reason: {run:?}");
}

// ---------------------------------------------------------------- item 6

/// A registry on 127.0.0.1 whose every answer is `200 OK` with `digest`
/// as `Docker-Content-Digest`, and the shop's images there.
fn registry_answering(digest: &'static str) -> (TestWorkspace, Shop, HttpStub) {
    let stub =
        HttpStub::start(move |_, _| response("200 OK", &[("Docker-Content-Digest", digest)], "{}"));
    let (ws, shop) = TestWorkspace::shop();
    let host = format!("127.0.0.1:{}", stub.port);
    let config = ws
        .read("snapset.kdl")
        .replace("registry.example.com", &host);
    ws.write("snapset.kdl", &config);
    (ws, shop, stub)
}

/// No credentials of the machine running the tests are looked up.
fn no_credentials(ws: &TestWorkspace) -> Vec<(&'static str, String)> {
    let home = ws.root.parent().unwrap().join("home");
    std::fs::create_dir_all(&home).unwrap();
    vec![
        ("HOME", home.display().to_string()),
        ("DOCKER_CONFIG", home.display().to_string()),
        ("REGISTRY_AUTH_FILE", String::new()),
        ("XDG_RUNTIME_DIR", String::new()),
    ]
}

#[test]
fn lock_refuses_a_digest_that_is_not_one() {
    for forged in [
        "sha256:zz\" evil=\"1",
        "sha256:",
        "sha256:ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB",
        "sha256:abababababababababababababababababababababababababababababababab0",
    ] {
        let leaked: &'static str = Box::leak(forged.to_string().into_boxed_str());
        let (ws, _, _stub) = registry_answering(leaked);
        let env = no_credentials(&ws);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let run = ws.run_env(&ws.root, &["lock", "--jobs", "1"], &env);
        assert_eq!(run.code, 2, "{forged}: {run:?}");
        // As one line: the terminal report wraps it.
        let words: Vec<&str> = run
            .stderr
            .split_whitespace()
            .filter(|w| *w != "│")
            .collect();
        assert!(
            words
                .join(" ")
                .contains("which is not sha256: and 64 lower-case hex digits"),
            "{forged}: {}",
            run.stderr
        );
        assert!(!ws.path("snapset.lock").exists(), "{forged}");
        // `images` does not show it as the tag's digest either.
        let images = ws.run_env(&ws.root, &["images", "--format", "json"], &env);
        assert_eq!(images.code, 0, "{forged}: {images:?}");
        assert!(
            images.stdout.contains("\"digest\": null"),
            "{}",
            images.stdout
        );
    }
}

#[test]
fn lock_writes_a_well_formed_digest() {
    let (ws, _, _stub) = registry_answering(
        "sha256:abababababababababababababababababababababababababababababababab",
    );
    let env = no_credentials(&ws);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let run = ws.run_env(&ws.root, &["lock", "--jobs", "1"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(ws.read("snapset.lock").contains(&"ab".repeat(32)));
}

// ---------------------------------------------------------------- item 7

/// The shop with its repository committed inside the workspace, as
/// `demo/shop.git`: what a pull request writes.
fn shop_with_repo_inside() -> TestWorkspace {
    let (ws, _) = TestWorkspace::shop();
    std::fs::create_dir_all(ws.path("demo")).unwrap();
    std::fs::rename(ws.git.path(), ws.path("demo/shop.git")).unwrap();
    let config = ws
        .read("snapset.kdl")
        .replace("repo \"../shop.git\"", "repo \"demo/shop.git\"");
    ws.write("snapset.kdl", &config);
    ws
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success());
}

#[test]
fn a_committed_repository_with_links_or_pipes_is_refused_unread() {
    let ws = shop_with_repo_inside();
    let plain = ws.run(&["check"]);
    assert_eq!(plain.code, 0, "the repository as git made it: {plain:?}");

    type Plant = fn(&Path);
    let cases: &[(&str, Plant)] = &[
        ("shallow", |p| {
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
        ("shallow", |p| mkfifo(p)),
        ("config", |p| {
            std::fs::remove_file(p).unwrap();
            mkfifo(p)
        }),
        ("HEAD", |p| {
            std::fs::remove_file(p).unwrap();
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
        ("packed-refs", |p| {
            std::os::unix::fs::symlink("/dev/urandom", p).unwrap()
        }),
        ("packed-refs", |p| {
            // Sparse: 300 MiB that take no room on disk.
            std::fs::File::create(p)
                .unwrap()
                .set_len(300 << 20)
                .unwrap()
        }),
        ("objects/info/alternates", |p| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink("/dev/zero", p).unwrap()
        }),
        ("objects/ab/cdef0123456789abcdef0123456789abcdef01", |p| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            mkfifo(p)
        }),
        ("refs/heads/evil", |p| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink("/proc/self/environ", p).unwrap()
        }),
    ];
    for (file, plant) in cases {
        let ws = shop_with_repo_inside();
        plant(&ws.path("demo/shop.git").join(file));
        for command in ["check", "render"] {
            let run = bounded(&ws.root, &[command], 4096);
            assert_refused(&ws, &run, file);
            assert!(
                run.stderr
                    .contains(&format!("the repository demo/shop.git holds {file}")),
                "{file}: {}",
                run.stderr
            );
            assert!(
                run.stderr.contains("snapset.kdl:1:6"),
                "{file}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_live_file_that_never_ends_is_cut_short() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let run = bounded(
        &ws.root,
        &["status", "--env", "dev", "--live", "/dev/zero"],
        4096,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("/dev/zero"), "{}", run.stderr);
    assert!(run.stderr.contains("more than 64 MiB"), "{}", run.stderr);
}

// ---------------------------------------------------------------- item 8

#[test]
fn a_file_of_thousands_of_errors_reports_the_first_fifty() {
    let (ws, _) = TestWorkspace::shop();
    // 48 KiB: 24,576 unknown nodes.
    ws.write(
        "snapshots/x.kdl",
        &format!("snapshot \"x\" {{\n{}}}\n", "a\n".repeat(24_576)),
    );
    let run = bounded(&ws.root, &["render"], 4096);
    assert_refused(&ws, &run, "24,576 errors");
    assert!(run.stderr.contains("24576 errors"), "{}", head(&run.stderr));
    assert_eq!(
        run.stderr.matches("unknown node `a` in snapshot").count(),
        50
    );
    assert!(run.stderr.contains("snapshots/x.kdl:2:1"));
    assert!(
        run.stderr.contains("… and 24,526 more errors in this file"),
        "{}",
        head(&run.stderr)
    );
    assert!(run.stderr.contains("snapshots/x.kdl:52:1"));
    // The CI formats too: an annotation per error shown, and the note.
    let github = bounded(&ws.root, &["--message-format", "github", "check"], 4096);
    assert_eq!(github.code, 2, "{}", head(&github.stderr));
    let annotations: Vec<&str> = github
        .stdout
        .lines()
        .chain(github.stderr.lines())
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(annotations.len(), 51, "{annotations:?}");
    assert!(
        annotations[50].contains("24,526 more errors"),
        "{}",
        annotations[50]
    );
}

// ---------------------------------------------------------------- item 9

#[test]
fn a_node_of_two_hundred_thousand_properties_is_read_in_linear_time() {
    let (ws, shop) = TestWorkspace::shop();
    let props: Vec<String> = (0..200_000).map(|i| format!("p{i}=1")).collect();
    ws.write(
        "snapshots/x.kdl",
        &format!(
            "snapshot \"x\" {{\n    service \"cart\" commit=\"{}\" {}\n}}\n",
            &shop.cart1[..10],
            props.join(" ")
        ),
    );
    let run = bounded(&ws.root, &["render"], 4096);
    assert_refused(&ws, &run, "200,000 properties");
    assert!(
        run.stderr.contains("unknown property `p0` on `service`"),
        "{}",
        head(&run.stderr)
    );
    assert!(run.stderr.contains("snapshots/x.kdl:2:"));
}

// ---------------------------------------------------------------- item 10

#[test]
fn a_kdl_file_past_four_mib_is_refused_unparsed() {
    let (ws, _) = TestWorkspace::shop();
    // 5 MiB of numbers: 2.6 million values, which parsed into gigabytes.
    ws.write(
        "snapshots/x.kdl",
        &format!("snapshot \"x\" {}\n", "1 ".repeat(5 << 19)),
    );
    let run = bounded(&ws.root, &["render"], 4096);
    assert_refused(&ws, &run, "5 MiB");
    assert!(
        run.stderr.contains("snapshots/x.kdl"),
        "{}",
        head(&run.stderr)
    );
    assert!(
        run.stderr.contains("is larger than 4 MiB"),
        "{}",
        head(&run.stderr)
    );
}

/// The costliest shape within the limit — two million two-byte nodes,
/// each an error — ends within 1 GB of address space.
#[test]
fn the_costliest_kdl_file_within_the_limit_ends_under_one_gb() {
    let (ws, _) = TestWorkspace::shop();
    let nodes = ((4 << 20) - 32) / 2;
    ws.write(
        "snapshots/x.kdl",
        &format!("snapshot \"x\" {{\n{}\n}}\n", "a;".repeat(nodes)),
    );
    let run = bounded(&ws.root, &["render"], 1024);
    assert_refused(&ws, &run, "4 MiB of nodes");
    assert!(
        run.stderr.contains("snapshots/x.kdl:2:1"),
        "{}",
        head(&run.stderr)
    );
    assert!(run.stderr.contains("more errors in this file"));
}

// ---------------------------------------------------------------- item 11

#[test]
fn a_chain_of_twenty_thousand_varsets_stops_at_its_depth_limit() {
    let (ws, _) = TestWorkspace::shop();
    for i in 0..20_000 {
        ws.write(
            &format!("varsets/v{i}.kdl"),
            &if i < 19_999 {
                format!("varset \"v{i}\" {{ extends \"v{}\"; }}\n", i + 1)
            } else {
                format!("varset \"v{i}\" {{ }}\n")
            },
        );
    }
    let dev = ws
        .read("varsets/dev.kdl")
        .replace("extends \"base\"", "extends \"base\"\n    extends \"v0\"");
    ws.write("varsets/dev.kdl", &dev);
    let run = bounded(&ws.root, &["render"], 4096);
    assert_refused(&ws, &run, "20,000 varsets");
    assert!(
        run.stderr
            .contains("the varsets `dev` stands on are more than 64 deep"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("varsets/v62.kdl:1:24"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("varset number 65 of the chain"));
}
