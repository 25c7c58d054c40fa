//! Issue 24: snapset runs in CI on pull requests, so every file of a pull
//! request — a snapshot, a template, a symbolic link, a commit subject, an
//! author's name — is the attacker's. Each test makes its hostile input
//! itself and reproduces one finding of the security sweep; each failed on
//! the main branch of the day the issue was filed.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::git_fixture::GitFixture;
use common::http_stub::{HttpStub, response};
use common::workspace::{Run, Shop, TestWorkspace};

/// What no output may ever show: it is only in files outside the workspace
/// (and in the child's environment).
const SECRET: &str = "hunter2";

/// Runs `snapset -C root args...` with extra environment variables on the child.
fn run_with(root: &Path, args: &[&str], env: &[(&str, String)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
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
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run snapset");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ---------------------------------------------------------------- item 1

/// A file outside the workspace whose text each reader would quote in its
/// error: a KDL syntax error, an unknown KDL node, YAML, a Jinja expression.
fn secret_file(ws: &TestWorkspace) -> PathBuf {
    let path = ws.root.parent().unwrap().join("secret.txt");
    std::fs::write(
        &path,
        format!("TOKEN={SECRET}\n{SECRET} {{ }}\nkind: {SECRET}\n{{{{ {SECRET} }}}}\n"),
    )
    .unwrap();
    path
}

/// `check` in every message format: each must exit 2, name `link`, and
/// show no byte of the target.
fn assert_refused_everywhere(ws: &TestWorkspace, link: &str, env: &[(&str, String)]) {
    for format in [
        &[][..],
        &["--message-format", "github"],
        &["--message-format", "gitlab", "--report", "-"],
    ] {
        let mut args: Vec<&str> = format.to_vec();
        args.push("check");
        let run = run_with(&ws.root, &args, env);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert_eq!(run.code, 2, "{link} {format:?}: {run:?}");
        assert!(
            !all.contains(SECRET),
            "{link} {format:?} printed the target:\n{all}"
        );
        assert!(
            all.contains(link),
            "{link} {format:?} does not name the link:\n{all}"
        );
        assert!(
            all.contains("outside the workspace"),
            "{link} {format:?}:\n{all}"
        );
    }
}

#[test]
fn a_workspace_file_linked_out_of_the_workspace_is_refused_unread() {
    for link in [
        "snapshots/env.kdl",
        "varsets/x.kdl",
        "templates/service/x.yaml.j2",
        "templates/_x.j2",
        "crds/x.yaml",
        "snapset.lock",
        "snapset.kdl",
    ] {
        let (ws, _) = TestWorkspace::shop();
        let secret = secret_file(&ws);
        if ws.path(link).exists() {
            ws.remove(link);
        }
        std::fs::create_dir_all(ws.path(link).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&secret, ws.path(link)).unwrap();
        assert_refused_everywhere(&ws, link, &[]);
    }
}

#[test]
fn a_folder_linked_out_of_the_workspace_is_refused_unread() {
    for (folder, file) in [
        ("snapshots", "evil.kdl"),
        ("varsets", "evil.kdl"),
        ("crds", "evil.yaml"),
        ("templates/service", "evil.yaml.j2"),
        ("templates", "_evil.j2"),
    ] {
        let (ws, _) = TestWorkspace::shop();
        let outside = ws.root.parent().unwrap().join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::copy(secret_file(&ws), outside.join(file)).unwrap();
        if ws.path(folder).exists() {
            for (rel, bytes) in ws.tree(folder) {
                let to = outside.join(&rel);
                std::fs::create_dir_all(to.parent().unwrap()).unwrap();
                std::fs::write(to, bytes).unwrap();
            }
            std::fs::remove_dir_all(ws.path(folder)).unwrap();
        }
        std::fs::create_dir_all(ws.path(folder).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&outside, ws.path(folder)).unwrap();
        assert_refused_everywhere(&ws, folder, &[]);
    }
}

/// The sweep's own reproduction: the CI runner's environment.
#[test]
fn a_snapshot_linked_to_the_process_environment_shows_none_of_it() {
    let (ws, _) = TestWorkspace::shop();
    std::os::unix::fs::symlink("/proc/self/environ", ws.path("snapshots/env.kdl")).unwrap();
    assert_refused_everywhere(
        &ws,
        "snapshots/env.kdl",
        &[("CI_TOKEN", SECRET.to_string())],
    );
}

/// A link that stays inside the workspace is an ordinary file.
#[test]
fn a_link_inside_the_workspace_is_followed() {
    let (ws, _) = TestWorkspace::shop();
    let text = ws.read("varsets/prod.kdl");
    ws.remove("varsets/prod.kdl");
    ws.write("common/prod.kdl", &text);
    std::os::unix::fs::symlink("../common/prod.kdl", ws.path("varsets/prod.kdl")).unwrap();
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 0, "{check:?}");
}

/// `.snapset/` is written by every writer: linked out of the workspace, it
/// would have snapset create and truncate files elsewhere.
#[test]
fn a_cache_folder_linked_out_of_the_workspace_is_never_written() {
    let (ws, _) = TestWorkspace::shop();
    let outside = ws.root.parent().unwrap().join("victim");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("lock"), "precious\n").unwrap();
    std::os::unix::fs::symlink(&outside, ws.path(".snapset")).unwrap();
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 2, "{render:?}");
    assert!(render.stderr.contains(".snapset"), "{}", render.stderr);
    assert!(
        render.stderr.contains("outside the workspace"),
        "{}",
        render.stderr
    );
    let names: Vec<_> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["lock"]);
    assert_eq!(
        std::fs::read_to_string(outside.join("lock")).unwrap(),
        "precious\n"
    );
    assert!(!ws.path("out").exists());
}

/// The lock file in `.snapset/` and the cache files as links: the lock
/// would have written its pid over the target, the caches been read from
/// it or written through it.
#[test]
fn links_inside_the_cache_folder_are_not_followed() {
    let (ws, _) = TestWorkspace::shop();
    let victim = ws.root.parent().unwrap().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::create_dir_all(ws.path(".snapset")).unwrap();
    std::os::unix::fs::symlink(&victim, ws.path(".snapset/lock")).unwrap();
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 2, "{render:?}");
    assert!(render.stderr.contains(".snapset/lock"), "{}", render.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");

    std::fs::remove_file(ws.path(".snapset/lock")).unwrap();
    for cache in ["touched", "images"] {
        std::os::unix::fs::symlink(&victim, ws.path(&format!(".snapset/{cache}"))).unwrap();
    }
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 0, "{render:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // The caches themselves (outside the work tree) as links.
    let touched = ws.cache_file("touched").expect("written by the render");
    for cache in ["touched", "images", "history.json"] {
        let file = touched.with_file_name(cache);
        let _ = std::fs::remove_file(&file);
        std::os::unix::fs::symlink(&victim, &file).unwrap();
    }
    std::fs::remove_dir_all(ws.path("out")).unwrap();
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 0, "{render:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

/// `out/` is committed too: `diff` printed a linked file's target as the
/// old side of the diff, and `render` wrote into a linked `out/`.
#[test]
fn links_in_out_are_never_read_through() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let secret = secret_file(&ws);
    ws.remove("out/dev/cart/deployment.yaml");
    std::os::unix::fs::symlink(&secret, ws.path("out/dev/cart/deployment.yaml")).unwrap();
    for format in ["text", "patch", "markdown", "json"] {
        let diff = ws.run(&["diff", "--format", format]);
        let all = format!("{}{}", diff.stdout, diff.stderr);
        assert_eq!(diff.code, 2, "{format}: {diff:?}");
        assert!(!all.contains(SECRET), "{format}: {all}");
        assert!(
            all.contains("out/dev/cart/deployment.yaml"),
            "{format}: {all}"
        );
    }
    // render replaces the link with the rendered file.
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(!check.stdout.contains(SECRET));
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/dev/cart/deployment.yaml").is_symlink());
    assert!(std::fs::read_to_string(&secret).unwrap().contains(SECRET));

    // A whole environment linked elsewhere.
    let outside = ws.root.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(outside.join("cart")).unwrap();
    std::fs::copy(&secret, outside.join("cart/deployment.yaml")).unwrap();
    std::fs::remove_dir_all(ws.path("out/prod")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.path("out/prod")).unwrap();
    let diff = ws.run(&["diff"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(!diff.stdout.contains(SECRET) && !diff.stderr.contains(SECRET));
    assert!(diff.stderr.contains("out/prod"), "{}", diff.stderr);

    // out/ itself linked out of the workspace: nothing is written there.
    let (ws, _) = TestWorkspace::shop();
    let outside = ws.root.parent().unwrap().join("other-out");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, ws.path("out")).unwrap();
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 2, "{render:?}");
    assert!(
        render.stderr.contains("outside the workspace"),
        "{}",
        render.stderr
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

/// An edit (`bump`, `promote`) writes through a link inside the workspace,
/// never through one that leads out of it.
#[test]
fn an_edit_never_writes_out_of_the_workspace() {
    let (ws, shop) = TestWorkspace::shop();
    let outside = ws.root.parent().unwrap().join("s1.kdl");
    std::fs::write(&outside, ws.read("snapshots/s1.kdl")).unwrap();
    ws.remove("snapshots/s1.kdl");
    std::os::unix::fs::symlink(&outside, ws.path("snapshots/s1.kdl")).unwrap();
    let before = std::fs::read_to_string(&outside).unwrap();
    let bump = ws.run(&["bump", "s1", "cart"]);
    assert_eq!(bump.code, 2, "{bump:?}");
    assert!(bump.stderr.contains("snapshots/s1.kdl"), "{}", bump.stderr);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), before);
    assert!(!before.contains(&shop.cart2[..10]));

    // `snapshot new` into a snapshots/ folder linked elsewhere.
    let (ws, _) = TestWorkspace::shop();
    let outside = ws.root.parent().unwrap().join("snaps");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::rename(ws.path("snapshots/s1.kdl"), outside.join("s1.kdl")).unwrap();
    std::fs::remove_dir(ws.path("snapshots")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.path("snapshots")).unwrap();
    let new = ws.run(&["snapshot", "new", "s9"]);
    assert_eq!(new.code, 2, "{new:?}");
    assert!(!outside.join("s9.kdl").exists());
}

// ---------------------------------------------------------------- item 2

/// Every character that ends a line for the KDL reader, and others no
/// comment should carry.
const LINE_BREAKERS: [(&str, &str); 10] = [
    ("CR", "\r"),
    ("LF", "\n"),
    ("CRLF", "\r\n"),
    ("NEL", "\u{85}"),
    ("FF", "\u{c}"),
    ("LS", "\u{2028}"),
    ("PS", "\u{2029}"),
    ("VT", "\u{b}"),
    ("ESC", "\u{1b}"),
    ("RLO", "\u{202e}"),
];

/// The services of a snapshot file as the real loader reads them: name and
/// pinned commit, in order.
fn pins(text: &str) -> Vec<(String, String)> {
    let doc = snapset::load::kdl_parse::parse_document(text, "s.kdl").expect("the file parses");
    assert_eq!(doc.nodes.len(), 1, "one top-level node:\n{text}");
    doc.nodes[0]
        .children
        .as_ref()
        .expect("a block")
        .iter()
        .map(|n| {
            let commit = n
                .properties
                .iter()
                .find(|p| &*p.name == "commit")
                .map(|p| format!("{:?}", p.value.literal))
                .unwrap_or_default();
            (format!("{}:{}", n.name, n.arguments.len()), commit)
        })
        .collect()
}

fn assert_one_line_comments(text: &str, what: &str) {
    for c in [
        '\r', '\u{85}', '\u{c}', '\u{2028}', '\u{2029}', '\u{b}', '\u{1b}', '\u{202e}',
    ] {
        assert!(!text.contains(c), "{what}: {c:?} written raw:\n{text:?}");
    }
}

#[test]
fn a_commit_subject_never_adds_a_node_to_a_new_snapshot() {
    for (name, breaker) in LINE_BREAKERS {
        let (mut ws, shop) = TestWorkspace::shop();
        // Written after tower's pin (the last line), the injected node
        // would pin taxe a second time, to its first commit.
        let subject = format!(
            "tower: fix{breaker}service \"taxe\" commit=\"{}\"",
            &shop.taxe1[..10]
        );
        let tower3 = ws
            .git
            .commit(&subject, &[("services/tower/main.go", "3\n")]);
        let new = ws.run(&["snapshot", "new", "s9"]);
        assert_eq!(new.code, 0, "{name}: {new:?}");
        let text = ws.read("snapshots/s9.kdl");
        assert_one_line_comments(&text, name);
        let got = pins(&text);
        assert_eq!(got.len(), 3, "{name}: {got:?}\n{text}");
        assert!(got[1].1.contains(&shop.taxe2[..10]), "{name}: {got:?}");
        assert!(got[2].1.contains(&tower3[..10]), "{name}: {got:?}");
        let check = ws.run(&["check"]);
        assert_eq!(check.code, 0, "{name}: {check:?}");
    }
}

#[test]
fn a_commit_subject_never_adds_a_node_to_an_initial_snapshot() {
    for (name, breaker) in LINE_BREAKERS {
        let ws = TestWorkspace::empty();
        let mut repo = GitFixture::init(&ws.root);
        repo.commit(
            &format!("api: first{breaker}service \"evil\" commit=\"0000000000\""),
            &[("services/api/Dockerfile", "FROM scratch\nEXPOSE 8080\n")],
        );
        let init = ws.run(&["init", "--env", "dev"]);
        assert_eq!(init.code, 0, "{name}: {init:?}");
        assert!(!init.stdout.contains('\u{1b}'), "{name}: {:?}", init.stdout);
        let (rel, text) = ws.tree("snapshots").into_iter().next().expect("a snapshot");
        let text = String::from_utf8(text).unwrap();
        assert_one_line_comments(&text, name);
        let got = pins(&text);
        assert_eq!(got.len(), 1, "{name} {rel}: {got:?}\n{text}");
    }
}

// ---------------------------------------------------------------- item 3

/// A CONNECT proxy on 127.0.0.1 that answers every tunnelled request
/// itself: it sees what a host on the network would receive.
struct Tunnel {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

fn read_head(reader: &mut impl BufRead) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

fn tunnel() -> Tunnel {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let head = read_head(&mut reader);
                log.lock().unwrap().push(head.clone());
                if head.starts_with("CONNECT") {
                    let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let inner = read_head(&mut reader);
                    log.lock().unwrap().push(inner);
                }
                let _ = stream.write_all(
                    response(
                        "200 OK",
                        &[("Content-Type", "application/json")],
                        r#"{"token":"t"}"#,
                    )
                    .as_bytes(),
                );
            });
        }
    });
    Tunnel { port, seen }
}

/// A registry on 127.0.0.1 (plain HTTP is allowed there) whose Bearer
/// challenge names a token realm on another host; with credentials for
/// the registry in a docker config.
fn challenged_by(realm: &str) -> (TestWorkspace, Vec<(&'static str, String)>, Tunnel) {
    let realm = realm.to_string();
    let registry = HttpStub::start(move |head, _| {
        if head.to_ascii_lowercase().contains("authorization: bearer") {
            response("404 Not Found", &[], "")
        } else {
            let challenge = format!("Bearer realm=\"{realm}\",service=\"reg\"");
            response("401 Unauthorized", &[("WWW-Authenticate", &challenge)], "")
        }
    });
    let host = format!("127.0.0.1:{}", registry.port);
    std::mem::forget(registry);
    let (ws, _) = TestWorkspace::shop();
    let config = ws
        .read("snapset.kdl")
        .replace("registry.example.com", &host);
    ws.write("snapset.kdl", &config);
    let docker = ws.root.parent().unwrap().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    use base64::Engine;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("bob:{SECRET}"));
    std::fs::write(
        docker.join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let home = ws.root.parent().unwrap().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let proxy = tunnel();
    let via = format!("http://127.0.0.1:{}", proxy.port);
    let env = vec![
        ("HOME", home.display().to_string()),
        ("DOCKER_CONFIG", docker.display().to_string()),
        ("REGISTRY_AUTH_FILE", String::new()),
        ("XDG_RUNTIME_DIR", String::new()),
        ("ALL_PROXY", via.clone()),
        ("all_proxy", via.clone()),
        ("HTTPS_PROXY", via.clone()),
        ("https_proxy", via.clone()),
        ("HTTP_PROXY", via.clone()),
        ("http_proxy", via),
        ("NO_PROXY", "127.0.0.1".into()),
        ("no_proxy", "127.0.0.1".into()),
    ];
    (ws, env, proxy)
}

#[test]
fn credentials_never_go_to_a_plain_http_token_realm() {
    for realm in [
        "HTTP://token.invalid/token",
        "Http://token.invalid/token",
        "http://token.invalid/token",
        "http://127.0.0.1@token.invalid/token",
        "http://localhost:80@token.invalid/token",
    ] {
        let (ws, env, proxy) = challenged_by(realm);
        let run = run_with(
            &ws.root,
            &[
                "--message-format",
                "github",
                "images",
                "--env",
                "dev",
                "--jobs",
                "1",
            ],
            &env,
        );
        assert_eq!(run.code, 2, "{realm}: {run:?}");
        assert!(run.stderr.contains("plain HTTP"), "{realm}: {}", run.stderr);
        assert!(!run.stderr.contains(SECRET), "{realm}: {}", run.stderr);
        let seen = proxy.seen.lock().unwrap().clone();
        assert!(
            seen.is_empty(),
            "{realm}: the realm's host was reached: {seen:?}"
        );
    }
}

#[test]
fn insecure_registry_naming_the_realm_host_allows_it() {
    let (ws, env, proxy) = challenged_by("HTTP://token.invalid/token");
    let run = run_with(
        &ws.root,
        &[
            "images",
            "--env",
            "dev",
            "--jobs",
            "1",
            "--insecure-registry",
            "token.invalid",
        ],
        &env,
    );
    // The stub registry says 404 to the token: every image is missing.
    assert_eq!(run.code, 1, "{run:?}");
    let seen = proxy.seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|h| h.starts_with("CONNECT token.invalid:80")),
        "{seen:?}"
    );
}

// ---------------------------------------------------------------- item 4

/// `check` of the shop with one hostile environment template.
fn with_template(text: &str, extra: &[&str]) -> Run {
    let (ws, _) = TestWorkspace::shop();
    ws.write("templates/environment/boom.yaml.j2", text);
    // With the GitHub annotation too: one unwrapped line per message.
    let mut args = vec!["--message-format", "github", "check"];
    args.extend_from_slice(extra);
    ws.run(&args)
}

const HEADER: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: boom\n";

/// The sweep's templates, each of which ran for ever or took gigabytes.
/// `bench/hostile-templates.sh` measures their time and memory.
#[test]
fn a_template_that_exhausts_memory_or_time_stops_at_its_limit() {
    for (what, body, limit) in [
        (
            "a string doubled 40 times (24 GB)",
            "{% set ns = namespace(s=\"0123456789abcdef0123456789\") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}data:\n  a: {{ ns.s }}\n",
            "template-fuel",
        ),
        (
            "nested range(100000) loops (for ever)",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}data: {}\n",
            "template-fuel",
        ),
        (
            "100k × 1k lines of output (6.4 GB)",
            "data:\n  a: |\n{% for i in range(100000) %}{% for j in range(1000) %}    {{ i }}-{{ j }}\n{% endfor %}{% endfor %}",
            "template-",
        ),
        (
            "long lines of output",
            "{% set line = \"x\" * 10000 %}data:\n  a: |\n{% for i in range(100000) %}    {{ line }}\n{% endfor %}",
            "template-output",
        ),
        (
            "a string repeated in one operation",
            "data:\n  a: {{ \"x\" * 90000000 }}{{ \"y\" * 90000000 }}\n",
            "template-",
        ),
    ] {
        let run = with_template(&format!("{HEADER}{body}"), &[]);
        assert_eq!(run.code, 2, "{what}: {run:?}");
        assert!(
            run.stderr.contains("templates/environment/boom.yaml.j2"),
            "{what}: {}",
            run.stderr
        );
        // `template-` when either of the template's limits may come first.
        assert!(run.stderr.contains(limit), "{what}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("--limit {limit}")),
            "{what}: {}",
            run.stderr
        );
    }
}

#[test]
fn limits_are_raised_and_lowered_on_the_command_line() {
    let loop_of = |n: usize| {
        format!("{HEADER}data:\n{{% for i in range({n}) %}}  k{{{{ i }}}}: \"v\"\n{{% endfor %}}")
    };
    assert_eq!(with_template(&loop_of(1000), &[]).code, 0);
    let low = with_template(&loop_of(1000), &["--limit", "template-fuel=1000"]);
    assert_eq!(low.code, 2, "{low:?}");
    assert!(low.stderr.contains("1,000"), "{}", low.stderr);
    let small = with_template(&loop_of(1000), &["--limit", "template-output=4KiB"]);
    assert_eq!(small.code, 2, "{small:?}");
    assert!(small.stderr.contains("template-output"), "{}", small.stderr);
    let raised = with_template(
        &loop_of(1000),
        &[
            "--limit",
            "template-output=1MiB",
            "--limit",
            "template-fuel=100M",
        ],
    );
    assert_eq!(raised.code, 0, "{raised:?}");
    let unknown = with_template(&loop_of(1), &["--limit", "speed=3"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(
        unknown.stderr.contains("template-fuel"),
        "{}",
        unknown.stderr
    );
}

/// A template under its own limit, rendered for every service, still
/// meets the limit of its environment.
#[test]
fn the_environment_limits_add_up_its_templates() {
    let (ws, _) = TestWorkspace::shop();
    // Each render writes ~3 KiB and takes ~4,000 fuel (1,000 turns of a
    // loop): one fits the lowered limits below, the services of an
    // environment together do not. Each service's ConfigMap has a name of
    // its own: one name for all would be one object written three times.
    let header = HEADER.replace("boom", "boom-{{ service.name }}");
    ws.write(
        "templates/service/big.yaml.j2",
        &format!(
            "{header}{{% for i in range(1000) %}}{{% endfor %}}data:\n  a: {{{{ \"x\" * 3000 }}}}\n"
        ),
    );
    let run = ws.run(&["check", "--limit", "environment-output=8KiB"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("environment-output"), "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/service/big.yaml.j2"),
        "{}",
        run.stderr
    );
    let run = ws.run(&["check", "--limit", "environment-fuel=6000"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("environment-fuel"), "{}", run.stderr);
    assert_eq!(ws.run(&["check"]).code, 0);
}

// ---------------------------------------------------------------- item 5

/// Lines as a markdown renderer splits them (CR, LF and the Unicode ones
/// GitHub's reader might take).
fn md_lines(text: &str) -> Vec<&str> {
    text.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}', '\u{c}'])
        .collect()
}

/// The text of a markdown document without its code spans and fenced
/// blocks (which show their content as written).
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && line.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                let chars: Vec<char> = line.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    if chars[i] == '`' && (i == 0 || chars[i - 1] != '\\') {
                        let run = chars[i..].iter().take_while(|c| **c == '`').count();
                        let close = (i + run..chars.len()).find(|&j| {
                            chars[j..].iter().take_while(|c| **c == '`').count() == run
                                && (j == 0 || chars[j - 1] != '`')
                        });
                        if let Some(j) = close {
                            i = j + run;
                            continue;
                        }
                    }
                    out.push(chars[i]);
                    i += 1;
                }
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn user_text_in_a_markdown_diff_stays_on_its_line_and_inert() {
    let (mut ws, shop) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let subjects = [
        "cart: x\r# Security review: APPROVED",
        "cart: <img src=x onerror=alert(1)>",
        "cart: y\n\n---\n",
        "cart: cc @octocat and @org/team",
        "cart: see https://evil.example/login and www.evil.example",
        "cart: `a` **b** [c](https://evil.example) ![d](x) $\\LaTeX$ | e",
        "cart: \u{2028}## Security review: APPROVED",
    ];
    let mut last = String::new();
    for (i, s) in subjects.iter().enumerate() {
        last = ws
            .git
            .commit(s, &[("services/cart/main.go", &format!("{i}\n"))]);
    }
    let s1 = ws
        .read("snapshots/s1.kdl")
        .replace(&shop.cart1[..10], &last[..10]);
    ws.write("snapshots/s1.kdl", &s1);
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev\"\n    vars {\n        \"k\\n# Security review: APPROVED\\n<img src=x onerror=alert(1)>\" 2\n    }\n}\n",
    );
    let run = ws.run(&["diff", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{run:?}");
    let md = &run.stdout;
    for line in md_lines(md) {
        let line = line.trim_start();
        assert!(!line.starts_with("# Security"), "{line:?}\n{md}");
        assert!(!line.starts_with("## Security"), "{line:?}\n{md}");
        assert!(!line.starts_with("Security review"), "{line:?}\n{md}");
        assert!(line != "---", "{md}");
    }
    // A code span shows `<img …>` as text; nowhere else may it be.
    assert!(!outside_code(md).contains("<img"), "{md}");
    assert!(!md.contains('\r'), "{md:?}");
    assert!(!md.contains("@octocat") && !md.contains("@org"), "{md}");
    assert!(
        !md.contains("https://evil") && !md.contains("www.evil"),
        "{md}"
    );
    assert!(!md.contains("**b**") && !md.contains("[c]("), "{md}");
    assert!(!md.contains("$\\LaTeX$"), "{md}");
    // Still readable.
    assert!(md.contains("Security review: APPROVED"), "{md}");
    assert!(md.contains("octocat"), "{md}");
}

// ---------------------------------------------------------------- item 6

/// The next pids the kernel hands out (`ns_last_pid`), for planting files
/// named after a child's pid before it starts.
fn next_pids(n: u32) -> Vec<u32> {
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1000);
    (last + 1..last + 1 + n).collect()
}

#[test]
fn report_never_writes_through_a_planted_temporary_file() {
    let (ws, _) = TestWorkspace::shop();
    let victim = ws.root.parent().unwrap().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    for pid in next_pids(400) {
        let _ = std::os::unix::fs::symlink(&victim, ws.path(&format!(".page.html.{pid}.tmp")));
    }
    let run = ws.run(&["report", "-o", "page.html"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(ws.read("page.html").starts_with("<!DOCTYPE html>"));
}

#[test]
fn report_refuses_an_output_that_is_not_a_regular_file() {
    let (ws, _) = TestWorkspace::shop();
    let fifo = ws.path("page.html");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let run = ws.run(&["report", "-o", "page.html"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("page.html"), "{}", run.stderr);
    assert!(run.stderr.contains("named pipe"), "{}", run.stderr);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let dir = ws.run(&["report", "-o", "snapshots"]);
    assert_eq!(dir.code, 2, "{dir:?}");
    assert!(ws.path("snapshots/s1.kdl").is_file());
}

// ---------------------------------------------------------------- item 7

/// Subjects that would set the terminal's title, clear it, or overwrite
/// the line they are on.
const TERMINAL_TRICKS: [&str; 3] = [
    "cart: a\u{1b}]0;pwned\u{7}b",
    "cart: \u{1b}[2J\u{1b}[31mred",
    "cart: looks fine\rcart: overwritten",
];

fn assert_inert(text: &str, what: &str) {
    assert!(!text.contains('\u{1b}'), "{what}: {text:?}");
    assert!(!text.contains('\r'), "{what}: {text:?}");
    assert!(!text.contains('\u{7}'), "{what}: {text:?}");
}

fn moved_cart(ws: &mut TestWorkspace, shop: &Shop) -> String {
    let mut last = String::new();
    for (i, s) in TERMINAL_TRICKS.iter().enumerate() {
        last = ws
            .git
            .commit(s, &[("services/cart/main.go", &format!("{i}\n"))]);
    }
    let s1 = ws
        .read("snapshots/s1.kdl")
        .replace(&shop.cart1[..10], &last[..10]);
    ws.write("snapshots/s1.kdl", &s1);
    last
}

#[test]
fn control_characters_reach_no_terminal() {
    let (mut ws, shop) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let last = moved_cart(&mut ws, &shop);
    let changelog = ws.run(&["changelog", "--env", "dev"]);
    assert_eq!(changelog.code, 0, "{changelog:?}");
    assert_inert(&changelog.stdout, "changelog");
    assert!(
        changelog.stdout.contains("\\x1b]0;pwned\\x07"),
        "{}",
        changelog.stdout
    );
    assert!(
        changelog.stdout.contains("looks fine\\rcart: overwritten"),
        "{}",
        changelog.stdout
    );
    let diff = ws.run(&["diff"]);
    assert_eq!(diff.code, 1, "{diff:?}");
    assert_inert(&diff.stdout, "diff");

    // Live values: an annotation and an image of the namespace.
    let live = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [{
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "cart", "namespace": "shop-dev",
            "labels": {"app": "cart"},
            "annotations": {"snapset.dev/commit": "\u{1b}]0;pwned\u{7}"}},
        "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "cart", "image": "r/\u{1b}[2Jcart:x"}]}}}
    }, {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "taxe", "namespace": "shop-dev", "labels": {"app": "taxe"},
            "annotations": {"snapset.dev/commit": last}},
        "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "taxe", "image": "r/taxe:x"}]}}}
    }]});
    ws.write("live.json", &live.to_string());
    let status = ws.run(&["status", "--env", "dev", "--live", "live.json"]);
    assert!(status.code == 0 || status.code == 1, "{status:?}");
    assert_inert(&status.stdout, "status");
    assert!(status.stdout.contains("\\x1b"), "{}", status.stdout);
    let bump = ws.run(&["bump", "s1", "cart", "--to", &shop.cart1]);
    assert_eq!(bump.code, 0, "{bump:?}");
    assert_inert(&bump.stdout, "bump");
}

#[test]
fn init_shows_folder_names_escaped() {
    let ws = TestWorkspace::empty();
    let mut repo = GitFixture::init(&ws.root);
    repo.commit(
        "api: first",
        &[
            ("services/api/Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
            ("services/x\u{1b}]0;pwned\u{7}/Dockerfile", "FROM scratch\n"),
        ],
    );
    let init = ws.run(&["init", "--env", "dev"]);
    assert_eq!(init.code, 0, "{init:?}");
    assert_inert(&init.stdout, "init");
    assert!(
        init.stdout.contains("skipped services/x\\x1b]0;pwned\\x07"),
        "{}",
        init.stdout
    );
}

/// An error quoting a hostile line prints it escaped, too.
#[test]
fn an_error_never_replays_a_files_control_characters() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/x.kdl",
        "varset \"x\" {\n    bad\u{1b}]0;pwned\u{7} 1\n}\n",
    );
    for format in [&[][..], &["--message-format", "github"]] {
        let mut args = format.to_vec();
        args.push("check");
        let run = ws.run(&args);
        assert_eq!(run.code, 2, "{run:?}");
        assert_inert(&run.stderr, "check");
    }
    ws.write(
        "varsets/x.kdl",
        "varset \"x\" {\n    \"bad\u{1b}[2J\" {{ 1\n}\n",
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_inert(&run.stderr, "check, syntax error");
}

// ---------------------------------------------------------------- item 8

#[test]
fn an_author_name_cannot_reorder_the_release_page() {
    let (ws, shop) = TestWorkspace::shop();
    let repo = ws.git.repo();
    let parent = repo
        .find_commit(git2::Oid::from_str(&shop.tower2).unwrap())
        .unwrap();
    let eve = git2::Signature::new(
        "Eve \u{202e}evil",
        "eve@example.com",
        &git2::Time::new(1_767_225_600 + 7200, 0),
    )
    .unwrap();
    let mut index = git2::Index::new().unwrap();
    index.read_tree(&parent.tree().unwrap()).unwrap();
    let blob = repo.blob(b"package cart // eve\n").unwrap();
    index
        .add(&git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: blob,
            flags: ("services/cart/main.go".len() as u16) & 0xfff,
            flags_extended: 0,
            path: b"services/cart/main.go".to_vec(),
        })
        .unwrap();
    let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
    let evil = repo
        .commit(
            Some("refs/heads/main"),
            &eve,
            &eve,
            "cart: \u{202e}gnihton",
            &tree,
            &[&parent],
        )
        .unwrap()
        .to_string();
    let s1 = ws
        .read("snapshots/s1.kdl")
        .replace(&shop.cart1[..10], &evil[..10]);
    ws.write("snapshots/s1.kdl", &s1);
    let run = ws.run(&["report", "-o", "page.html"]);
    assert_eq!(run.code, 0, "{run:?}");
    let html = ws.read("page.html");
    assert!(
        html.contains("<span class=\"author\"><bdi>Eve \u{202e}evil</bdi></span>"),
        "{html}"
    );
    assert!(html.contains("<bdi>cart: \u{202e}gnihton</bdi>"), "{html}");
    // No text node of the page holds an override that is not isolated.
    let mut rest = html.as_str();
    while let Some(at) = rest.find('\u{202e}') {
        let before = &rest[..at];
        let open = before
            .rfind("<bdi>")
            .expect("an isolate before the override");
        assert!(!before[open..].contains("</bdi>"), "{html}");
        rest = &rest[at + '\u{202e}'.len_utf8()..];
    }
}
