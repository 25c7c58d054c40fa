//! A throw-away snapset workspace for integration tests: a temp folder with
//! the workspace files, a git repository of services built by `GitFixture`,
//! and a way to run the real binary in it (with `-C`, never by changing the
//! test process's working directory).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::git_fixture::GitFixture;

pub struct TestWorkspace {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub git: GitFixture,
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The commits of the standard fixture history.
#[derive(Clone)]
pub struct Shop {
    pub cart1: String,
    pub taxe1: String,
    pub tower1: String,
    pub cart2: String,
    pub taxe2: String,
    pub tower2: String,
    pub docs: String,
}

impl TestWorkspace {
    /// An empty workspace folder and an empty bare repository `shop.git`
    /// beside it (`repo "../shop.git"` from the workspace).
    pub fn empty() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("ws");
        std::fs::create_dir_all(&root).expect("mkdir ws");
        let git = GitFixture::init_bare(&tmp.path().join("shop.git"));
        TestWorkspace {
            _tmp: tmp,
            root,
            git,
        }
    }

    /// The standard shop: three services with two commits each, and a
    /// commit that touches no service.
    pub fn shop() -> (Self, Shop) {
        let mut ws = Self::empty();
        let g = &mut ws.git;
        let cart1 = g.commit(
            "cart: first",
            &[("services/cart/main.go", "package cart // 1\n")],
        );
        let taxe1 = g.commit(
            "taxe: first",
            &[("services/taxe/main.go", "package taxe // 1\n")],
        );
        let tower1 = g.commit(
            "tower: first",
            &[("services/tower/main.go", "package tower // 1\n")],
        );
        let docs = g.commit("docs: readme", &[("README.md", "shop\n")]);
        let cart2 = g.commit(
            "cart: compute taxes through taxe",
            &[("services/cart/main.go", "package cart // 2\n")],
        );
        let taxe2 = g.commit(
            "taxe: add /v2/rates",
            &[("services/taxe/main.go", "package taxe // 2\n")],
        );
        let tower2 = g.commit(
            "tower: new routing",
            &[("services/tower/main.go", "package tower // 2\n")],
        );
        let shop = Shop {
            cart1,
            taxe1,
            tower1,
            cart2,
            taxe2,
            tower2,
            docs,
        };
        ws.write(
            "snapset.kdl",
            r#"repo "../shop.git"
image "registry.example.com/shop/{service}:{commit}"

service "cart"  path="services/cart"  port=8080
service "taxe"  path="services/taxe"  port=8080
service "tower" path="services/tower" port=9090

environment "dev"  snapshot="s1" varset="dev"
environment "prod" snapshot="s1" varset="prod"
"#,
        );
        ws.write(
            "varsets/base.kdl",
            "varset \"base\" {\n    vars {\n        replicas 1\n    }\n    env {\n        LOG_LEVEL \"info\"\n    }\n}\n",
        );
        ws.write(
            "varsets/dev.kdl",
            "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev\"\n}\n",
        );
        ws.write(
            "varsets/prod.kdl",
            "varset \"prod\" {\n    extends \"base\"\n    namespace \"shop-prod\"\n    vars {\n        replicas 3\n    }\n}\n",
        );
        let snapshot = format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
            &shop.tower1[..10]
        );
        ws.write("snapshots/s1.kdl", &snapshot);
        (ws, shop)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// `XDG_CACHE_HOME` of the runs: a folder beside the workspace.
    pub fn cache_home(&self) -> PathBuf {
        self.root
            .parent()
            .expect("the workspace is in a temp folder")
            .join("cache")
    }

    /// Cache file `name` as snapset keeps it for this workspace: in the
    /// git directory of a repository around it, or in the user's cache
    /// folder (never in the work tree); `None` before it is written.
    pub fn cache_file(&self, name: &str) -> Option<PathBuf> {
        let mut bases = vec![self.cache_home().join("snapset")];
        let mut dir = Some(self.root.as_path());
        while let Some(d) = dir {
            bases.push(d.join(".git/snapset"));
            dir = d.parent();
        }
        bases.into_iter().find_map(|base| {
            std::fs::read_dir(base)
                .ok()?
                .filter_map(|e| e.ok())
                .map(|e| e.path().join(name))
                .find(|p| p.is_file())
        })
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).expect("read")
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.root.join(rel)).expect("remove");
    }

    /// Runs `snapset -C <root> args...`, without colour.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(&self.root, args)
    }

    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Run {
        self.run_env(dir, args, &[])
    }

    /// `run_in` with variables set in the child's environment only (the
    /// test process's own environment is never changed).
    pub fn run_env(&self, dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
            .arg("-C")
            .arg(dir)
            .args(args)
            // snapset's caches outside git go to the user's cache folder:
            // the test's own, beside the workspace.
            .env("XDG_CACHE_HOME", self.cache_home())
            .envs(vars.iter().copied())
            .env("NO_COLOR", "1")
            // A temp folder inside some repository must not make the workspace part of it.
            .env(
                "GIT_CEILING_DIRECTORIES",
                self.root
                    .parent()
                    .and_then(Path::parent)
                    .unwrap_or(Path::new("/")),
            )
            .output()
            .expect("run snapset");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Every file under `rel` with its bytes, by path relative to `rel`.
    pub fn tree(&self, rel: &str) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries {
                let e = e.expect("entry");
                let name = e.file_name().to_string_lossy().into_owned();
                let rel = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                };
                if e.file_type().expect("type").is_dir() {
                    walk(&e.path(), &rel, out);
                } else {
                    out.insert(rel, std::fs::read(e.path()).expect("read"));
                }
            }
        }
        walk(&self.root.join(rel), "", &mut out);
        out
    }

    /// A whole tree as one text, for insta snapshots.
    pub fn tree_text(&self, rel: &str) -> String {
        self.tree(rel)
            .into_iter()
            .map(|(k, v)| format!("=== {k}\n{}", String::from_utf8_lossy(&v)))
            .collect()
    }
}

/// The same text with the temp folder's path replaced, so snapshots are stable.
pub fn redact(text: &str, ws: &TestWorkspace) -> String {
    let root = ws.root.to_string_lossy().into_owned();
    let parent = ws
        .root
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    text.replace(&root, "[WS]").replace(&parent, "[TMP]")
}

/// Copies the folder `from` to `to` (a link is copied as the file it names).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the example workspace at the project's root, outside git.
pub fn example_outside_git() -> (tempfile::TempDir, PathBuf) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("example");
    for part in [
        "snapshots",
        "varsets",
        "templates",
        "crds",
        "out",
        "demo/shop.git",
        "demo/billing.git",
    ] {
        copy_dir(&project.join(part), &ws.join(part));
    }
    // The copy has no git history, which `from=` is proven from
    // (tests/it/pipeline.rs proves the path to production).
    let config = std::fs::read_to_string(project.join("snapset.kdl")).unwrap();
    std::fs::write(ws.join("snapset.kdl"), without_path_to_production(&config)).unwrap();
    (tmp, ws)
}

/// snapset.kdl of the example workspace without its path to production
/// (`from=` and `soak=` ending its environment lines, `freeze` lines): for
/// a copy of the example outside git, which has no history to prove the
/// path from.
pub fn without_path_to_production(config: &str) -> String {
    config
        .lines()
        .filter(|line| !line.starts_with("freeze "))
        .map(|line| match line.strip_prefix("environment ") {
            // An environment with clusters keeps its block.
            Some(_) => {
                let kept = line.split(" from=").next().unwrap_or(line).trim_end();
                match line.trim_end().ends_with('{') && !kept.ends_with('{') {
                    true => format!("{kept} {{"),
                    false => kept.to_string(),
                }
            }
            None => line.to_string(),
        })
        .map(|line| format!("{line}\n"))
        .collect()
}
