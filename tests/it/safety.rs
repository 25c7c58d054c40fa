//! Issue 12: snapset is safe under concurrency, kills and hostile input.
//! Writers running at once (renders, edits, `canary weight`) serialise on the workspace lock
//! and none of their work is lost; what a killed render leaves in `out/`
//! is removed by the next one; a panic still exits 2. The kill test itself
//! is `tests/scripts/kill-render.sh` (CI), the bad inputs are in
//! `tests/it/errors.rs`, random workspaces in `tests/it/random_workspaces.rs`.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::workspace::{Shop, TestWorkspace, redact};

/// The shop with `n` more services (all built from cart's folder) and four
/// environments, so that a render has enough files for two renders to
/// overlap.
fn wide(n: usize) -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    let mut config = ws.read("snapset.kdl");
    let mut pins = String::new();
    for i in 0..n {
        config.push_str(&format!(
            "service \"svc{i}\" path=\"services/cart\" port=8080\n"
        ));
        pins.push_str(&format!(
            "    service \"svc{i}\" commit=\"{}\"\n",
            &shop.cart1[..10]
        ));
    }
    config.push_str("environment \"qa\" snapshot=\"s1\" varset=\"dev\"\n");
    config.push_str("environment \"stage\" snapshot=\"s1\" varset=\"prod\"\n");
    ws.write("snapset.kdl", &config);
    let s1 = ws
        .read("snapshots/s1.kdl")
        .replace("}\n", &format!("{pins}}}\n"));
    ws.write("snapshots/s1.kdl", &s1);
    ws.write("snapshots/s2.kdl", &s1.replace("\"s1\"", "\"s2\""));
    (ws, shop)
}

fn spawn(ws: &TestWorkspace, args: &[&str]) -> Child {
    command(ws, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn snapset")
}

fn command(ws: &TestWorkspace, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snapset"));
    command
        .arg("-C")
        .arg(&ws.root)
        .args(args)
        .env("NO_COLOR", "1")
        .env(
            "GIT_CEILING_DIRECTORIES",
            ws.root
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("/")),
        );
    command
}

fn finish(child: Child, what: &str) {
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: stdout {}\nstderr {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The entries of out/ a render must never leave.
fn leftovers(ws: &TestWorkspace) -> Vec<String> {
    std::fs::read_dir(ws.path("out"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// `n` renders started together after a change to the base varset, against
/// one render of the same change in a twin workspace.
fn renders_at_once(n: usize) {
    let (ws, _) = wide(40);
    let (twin, _) = wide(40);
    for w in [&ws, &twin] {
        assert_eq!(w.run(&["render"]).code, 0);
        let base = w.read("varsets/base.kdl").replace("\"info\"", "\"debug\"");
        w.write("varsets/base.kdl", &base);
    }
    let children: Vec<Child> = (0..n).map(|_| spawn(&ws, &["render"])).collect();
    for (i, child) in children.into_iter().enumerate() {
        finish(child, &format!("render {i} of {n}"));
    }
    assert_eq!(twin.run(&["render"]).code, 0);
    let (got, want) = (ws.tree("out"), twin.tree("out"));
    assert_eq!(got.len(), want.len());
    assert!(got == want, "out/ differs from a single render's");
    assert!(leftovers(&ws).is_empty(), "{:?}", leftovers(&ws));
    assert!(String::from_utf8_lossy(&got["dev/cart/deployment.yaml"]).contains("\"debug\""));
}

/// Finding 1: two renders started together after a change to a base
/// varset: one failed (`Directory not empty`) and environments were left
/// with a third of their files.
#[test]
fn two_renders_started_together_after_a_base_varset_change() {
    renders_at_once(2);
}

#[test]
fn four_renders_started_together_after_a_base_varset_change() {
    renders_at_once(4);
}

/// Finding 2: after a kill, `out/.snapset-env0.new` survived the next
/// successful render and `render --check` said up to date.
#[test]
fn a_staging_folder_left_by_a_killed_render_survived_the_next_render() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let clean = ws.tree("out");
    // What a kill leaves: a half-written staging folder, an old tree that
    // was swapped out and not yet deleted (or moved aside by the fallback).
    ws.write(
        "out/.snapset-dev.new/cart/deployment.yaml",
        "apiVersion: ap",
    );
    ws.write("out/.snapset-prod.new/kustomization.yaml", "old\n");
    ws.write("out/.snapset-prod.old/kustomization.yaml", "old\n");
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    insta::assert_snapshot!("leftovers_check", check.stdout);
    // Rendering another environment removes them too.
    let render = ws.run(&["render", "--env", "dev"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    insta::assert_snapshot!("leftovers_render", render.stdout);
    assert!(leftovers(&ws).is_empty(), "{:?}", leftovers(&ws));
    assert_eq!(ws.tree("out"), clean);
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}

/// Finding 3: a snapshot of 50,000 nested `a {` blocks overflowed the
/// stack (SIGABRT). Also reached through knus (an invalid file) and in a
/// varset.
#[test]
fn a_snapshot_of_50000_nested_blocks_overflowed_the_stack() {
    let (ws, _) = TestWorkspace::shop();
    let deep = "a {".repeat(50_000) + &"}".repeat(50_000);
    for (file, text) in [
        (
            "snapshots/s1.kdl",
            format!("snapshot \"s1\" {{\n{deep}\n}}\n"),
        ),
        (
            "snapshots/s1.kdl",
            format!("snapshot \"s1\" {{\n\"\\q\" {deep}\n}}\n"),
        ),
        (
            "varsets/dev.kdl",
            format!("varset \"dev\" {{\n{deep}\n}}\n"),
        ),
    ] {
        let before = ws.read(file);
        ws.write(file, &text);
        for command in ["check", "render"] {
            let run = ws.run(&[command]);
            assert_eq!(run.code, 2, "{command} {file}: {}", run.stderr);
            assert!(
                run.stderr
                    .contains("nests blocks more than 128 levels deep")
                    && run.stderr.contains(&format!("[{file}:2:")),
                "{}",
                run.stderr
            );
        }
        ws.write(file, &before);
    }
}

/// Holds the workspace lock as another snapset would, with `pid` in the
/// file; released when dropped (the file is only ever closed).
struct Holder(#[allow(dead_code)] std::fs::File);

fn hold(ws: &TestWorkspace, pid: &str) -> Holder {
    std::fs::create_dir_all(ws.path(".snapset")).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(ws.path(".snapset/lock"))
        .unwrap();
    // SAFETY: a valid open descriptor.
    assert_eq!(unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) }, 0);
    file.write_all(pid.as_bytes()).unwrap();
    Holder(file)
}

#[test]
fn a_writer_waits_for_the_lock_and_says_so_once() {
    let (ws, _) = TestWorkspace::shop();
    let holder = hold(&ws, "4242\n");
    let mut child = spawn(&ws, &["render"]);
    let pid = child.id();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "waiting for another snapset (pid 4242) to finish\n");
    assert!(
        ws.tree("out").is_empty(),
        "nothing is written while waiting"
    );
    drop(holder);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(rest, "", "said once");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!ws.tree("out").is_empty());
    // The holder's pid, for the next one that waits.
    assert_eq!(ws.read(".snapset/lock"), format!("{pid}\n"));
}

#[test]
fn readers_take_no_lock() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let _holder = hold(&ws, "4242\n");
    for (args, code) in [
        (vec!["check"], 0),
        (vec!["render", "--check"], 0),
        (vec!["diff"], 0),
        (vec!["changelog", "--env", "dev"], 0),
        (vec!["explain", "--env", "dev", "cart", "replicas"], 0),
    ] {
        let run = ws.run(&args);
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("waiting"), "{args:?}");
    }
    for args in [
        vec!["render"],
        vec!["bump", "s1", "cart"],
        vec!["promote", "s1", "--env", "dev"],
        vec!["snapshot", "new", "s9"],
    ] {
        let mut with = vec!["--no-wait"];
        with.extend(&args);
        let run = ws.run(&with);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("(pid 4242)"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

/// A lock file whose holder died is no lock: the kernel released it.
#[test]
fn a_lock_file_of_a_dead_process_never_blocks() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(".snapset/lock", "999999\n");
    let run = ws.run(&["--no-wait", "render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut killed = spawn(&ws, &["render"]);
    killed.kill().unwrap();
    killed.wait().unwrap();
    let run = ws.run(&["--no-wait", "render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// Eight edits of two files at once, with renders among them: every edit
/// lands, none fails, and the renders succeed.
#[test]
fn concurrent_bumps_and_promotes_all_land() {
    let (ws, shop) = wide(4);
    let mut children = Vec::new();
    for env in ["dev", "prod", "qa", "stage"] {
        children.push((
            format!("promote {env}"),
            spawn(&ws, &["promote", "s2", "--env", env]),
        ));
    }
    for service in ["svc0", "svc1", "svc2", "svc3"] {
        children.push((
            format!("bump {service}"),
            spawn(&ws, &["bump", "s1", service]),
        ));
    }
    children.push(("render".into(), spawn(&ws, &["render"])));
    children.push(("render".into(), spawn(&ws, &["render"])));
    for (what, child) in children {
        finish(child, &what);
    }
    let config = ws.read("snapset.kdl");
    assert_eq!(config.matches("snapshot=\"s2\"").count(), 4, "{config}");
    let s1 = ws.read("snapshots/s1.kdl");
    for service in ["svc0", "svc1", "svc2", "svc3"] {
        let line = format!("service \"{service}\" commit=\"{}\"", &shop.cart2[..10]);
        assert!(s1.contains(&line), "{line} in\n{s1}");
    }
    // The renders saw whole files: a last render brings out/ to the final
    // state, and the workspace is consistent.
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}

/// Eight `canary weight` runs at once, each on its own service of one
/// snapshot file, with renders among them: every weight lands.
#[test]
fn concurrent_canary_weights_lose_no_edit() {
    let (ws, shop) = wide(8);
    for i in 0..8 {
        let run = ws.run(&["canary", "start", "s1", &format!("svc{i}")]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let mut children = Vec::new();
    for i in 0..8 {
        let (service, weight) = (format!("svc{i}"), (10 + 5 * i).to_string());
        children.push((
            format!("canary weight {service} {weight}"),
            spawn(&ws, &["canary", "weight", "s1", &service, &weight]),
        ));
    }
    children.push(("render".into(), spawn(&ws, &["render"])));
    children.push(("render".into(), spawn(&ws, &["render"])));
    for (what, child) in children {
        finish(child, &what);
    }
    let s1 = ws.read("snapshots/s1.kdl");
    for i in 0..8 {
        let block = format!(
            "    service \"svc{i}\" {{\n        track \"stable\" commit=\"{}\" weight={}\n        track \"canary\" commit=\"{}\" weight={}\n    }}\n",
            &shop.cart1[..10],
            90 - 5 * i,
            &shop.cart2[..10],
            10 + 5 * i
        );
        assert!(s1.contains(&block), "{block} in\n{s1}");
    }
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}

#[test]
fn a_panic_exits_2_with_a_message() {
    let (ws, _) = TestWorkspace::shop();
    let out = command(&ws, &["check"])
        .env("SNAPSET_TEST_PANIC", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    insta::assert_snapshot!(redact(&stderr, &ws));
}

/// Whether this test process runs as root, where permissions do not stop
/// reads or writes: the read-only cases then run snapset as `nobody`.
fn is_root() -> bool {
    // SAFETY: no arguments, no failure.
    unsafe { libc::geteuid() == 0 }
}

/// Runs snapset as user `nobody` (65534) when the tests run as root, with
/// a HOME whose git configuration trusts repositories of other owners.
fn run_as_nobody(ws: &TestWorkspace, args: &[&str]) -> common::workspace::Run {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let tmp = ws.root.parent().unwrap();
    std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = tmp.join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".gitconfig"), "[safe]\n\tdirectory = *\n").unwrap();
    let mut command = command(ws, args);
    command.env("HOME", &home);
    if is_root() {
        command.uid(65534).gid(65534);
    }
    let out = command.output().unwrap();
    common::workspace::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A read-only checkout: writers fail on the lock, naming it; readers
/// work as before.
#[test]
fn writers_fail_and_readers_work_in_a_read_only_checkout() {
    use std::os::unix::fs::PermissionsExt;
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    std::fs::remove_dir_all(ws.path(".snapset")).unwrap();
    let before: BTreeMap<String, Vec<u8>> = ws.tree("");
    if !is_root() {
        std::fs::set_permissions(&ws.root, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    for args in [vec!["check"], vec!["render", "--check"], vec!["diff"]] {
        let run = run_as_nobody(&ws, &args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    }
    let run = run_as_nobody(&ws, &["render"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    insta::assert_snapshot!(redact(&run.stderr, &ws));
    let run = run_as_nobody(&ws, &["bump", "s1", "cart"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot lock the workspace"),
        "{}",
        run.stderr
    );
    std::fs::set_permissions(&ws.root, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(ws.tree(""), before, "nothing was written");
}
