//! `snapset init`: a generated mono-repo (the workspace at its root) and the
//! demo repository (a bare repository beside a new empty folder). Both must
//! come out as a workspace that renders and checks, with a port exactly
//! where a container file states one.

use crate::common;

use common::git_fixture::GitFixture;
use common::workspace::{TestWorkspace, redact};

/// The workspace's own files (not out/), as one text.
fn written(ws: &TestWorkspace) -> String {
    ["snapset.kdl"]
        .iter()
        .map(|f| format!("=== {f}\n{}", ws.read(f)))
        .chain(["snapshots", "varsets"].iter().map(|d| ws.tree_text(d)))
        .collect()
}

#[test]
fn init_at_the_root_of_a_mono_repo() {
    let ws = TestWorkspace::empty();
    let mut repo = GitFixture::init(&ws.root);
    repo.commit(
        "api: first",
        &[
            ("services/api/Dockerfile", "FROM scratch\nEXPOSE 8080/tcp\n"),
            ("services/api/main.go", "package main\n"),
        ],
    );
    repo.commit(
        "worker: first",
        &[(
            "services/worker/Containerfile",
            "FROM scratch\nCMD [\"/w\"]\n",
        )],
    );
    repo.commit(
        "hint: a port the Dockerfile does not say",
        &[
            ("services/hint/Dockerfile", "FROM scratch\nEXPOSE $PORT\n"),
            ("services/hint/snapset.port", "7000\n"),
        ],
    );
    repo.commit(
        "docs: not a service",
        &[("services/docs/README.md", "docs\n")],
    );
    repo.commit(
        "Bad_Name: a folder that cannot be a service name",
        &[("services/Bad_Name/Dockerfile", "FROM scratch\n")],
    );
    repo.commit(
        "api: second",
        &[("services/api/main.go", "package main // 2\n")],
    );
    repo.commit("readme", &[("README.md", "mono\n")]);

    let run = ws.run(&["init", "--env", "dev", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!("init_mono_repo_stdout", redact(&run.stdout, &ws));
    insta::assert_snapshot!("init_mono_repo_files", written(&ws));
    assert!(ws.path("out/staging/api/service.yaml").is_file());
    assert!(ws.path("out/staging/hint/service.yaml").is_file());
    // A worker without a port: a Deployment and no Service.
    assert!(ws.path("out/dev/worker/deployment.yaml").is_file());
    assert!(!ws.path("out/dev/worker/service.yaml").exists());

    let check = ws.run(&["render", "--check"]);
    assert_eq!(
        check.code, 0,
        "the first out/ is what render writes: {check:?}"
    );

    // Never over an existing workspace; nothing is rewritten.
    let before = written(&ws);
    let again = ws.run(&["init"]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(written(&ws), before);
}

/// A service whose Dockerfile sits a folder or two down (a layout of
/// public microservice demos: `src/<service>/src/Dockerfile`) is found, and
/// every folder that is not a service is listed with why.
#[test]
fn init_finds_a_dockerfile_two_levels_down_and_lists_what_it_skipped() {
    let ws = TestWorkspace::empty();
    let mut repo = GitFixture::init(&ws.root);
    repo.commit(
        "services",
        &[
            ("src/cart/src/Dockerfile", "FROM scratch\nEXPOSE 7070\n"),
            ("src/cart/src/main.cs", "class Cart {}\n"),
            ("src/front/Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
            (
                "src/ads/app/build/Containerfile",
                "FROM scratch\nEXPOSE 9555\n",
            ),
            ("src/deep/a/b/c/Dockerfile", "FROM scratch\n"),
            ("src/protos/demo.proto", "syntax = \"proto3\";\n"),
        ],
    );
    let run = ws.run(&["init", "--services-dir", "src"]);
    assert_eq!(run.code, 0, "{run:?}");
    insta::assert_snapshot!(redact(&run.stdout, &ws));
    let config = ws.read("snapset.kdl");
    assert!(
        config.contains("service \"cart\"  path=\"src/cart\"  port=7070"),
        "{config}"
    );
    assert!(config.contains("path=\"src/ads\""), "{config}");
    assert!(!config.contains("\"deep\""), "{config}");
    assert!(!config.contains("\"protos\""), "{config}");
}

#[test]
fn init_from_the_demo_repository() {
    let ws = TestWorkspace::empty();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/shop.git");
    let run = ws.run(&["init", "--repo", demo]);
    assert_eq!(run.code, 0, "{run:?}");
    let manifest = env!("CARGO_MANIFEST_DIR");
    insta::assert_snapshot!(
        "init_demo_stdout",
        redact(&run.stdout, &ws).replace(manifest, "[SNAPSET]")
    );
    let config = ws.read("snapset.kdl").replace(manifest, "[SNAPSET]");
    insta::assert_snapshot!("init_demo_config", config);
    // mailer's Dockerfile has no EXPOSE: a service without a port.
    let mailer = config.lines().find(|l| l.contains("\"mailer\"")).unwrap();
    assert!(!mailer.contains("port="), "{mailer}");
    assert!(config.contains("service \"tower\"   path=\"services/tower\"   port=9090"));
    assert!(
        ws.read("varsets/prod.kdl")
            .contains("namespace \"shop-prod\"")
    );
    assert_eq!(ws.run(&["check"]).code, 0);
}

#[test]
fn init_refuses_what_it_cannot_start() {
    let ws = TestWorkspace::empty();
    // No services folder at HEAD.
    let mut repo = GitFixture::init(&ws.root);
    repo.commit("readme", &[("README.md", "x\n")]);
    let run = ws.run(&["init"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no service found in services/"),
        "{}",
        run.stderr
    );
    assert!(!ws.path("snapset.kdl").exists());
    let bad = ws.run(&["init", "--env", "Prod"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("DNS-1123"), "{}", bad.stderr);
}

/// Two inits started together in one folder: one writes the workspace,
/// the other finds it and writes nothing.
#[test]
fn two_inits_in_one_folder() {
    let ws = TestWorkspace::empty();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/shop.git");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_snapset"))
            .arg("-C")
            .arg(&ws.root)
            .args(["init", "--repo", demo])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let (mut a, mut b) = (spawn(), spawn());
    let mut codes = [
        a.wait().unwrap().code().unwrap(),
        b.wait().unwrap().code().unwrap(),
    ];
    codes.sort();
    assert_eq!(codes, [0, 2]);
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}

/// Issue 28: a render killed mid-way leaves `out/.snapset-<env>.new`;
/// `init` makes git ignore it, adding the line to an existing `.gitignore`
/// (kept as it was) or writing one, and never twice.
#[test]
fn init_ignores_what_a_killed_render_leaves() {
    let ws = TestWorkspace::empty();
    let mut repo = GitFixture::init(&ws.root);
    repo.commit(
        "api: first",
        &[
            ("services/api/Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
            (".gitignore", "target/\n*.log"),
        ],
    );
    let run = ws.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("added out/.snapset-* to .gitignore"),
        "{}",
        run.stdout
    );
    let ignore = ws.read(".gitignore");
    assert!(ignore.starts_with("target/\n*.log\n# snapset:"), "{ignore}");
    assert!(ignore.ends_with("\nout/.snapset-*\n"), "{ignore}");
    let git = git2::Repository::open(&ws.root).unwrap();
    for path in [
        "out/.snapset-dev.new/api/service.yaml",
        "out/.snapset-prod.old",
    ] {
        assert!(git.is_path_ignored(path).unwrap(), "{path} is not ignored");
    }
    assert!(!git.is_path_ignored("out/dev/api/service.yaml").unwrap());

    // A workspace of its own: .gitignore written.
    let fresh = TestWorkspace::empty();
    let mut repo = GitFixture::init(&fresh.root);
    repo.commit(
        "api: first",
        &[("services/api/Dockerfile", "FROM scratch\nEXPOSE 8080\n")],
    );
    let run = fresh.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(fresh.read(".gitignore").ends_with("out/.snapset-*\n"));
}
