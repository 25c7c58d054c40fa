//! The CI and GitOps recipes of docs/ci.md and docs/gitops.md are copied by
//! users as they are, so they are checked like code: the YAML parses, every
//! `snapset …` line names a command that exists, the pre-commit hooks too,
//! and the Argo CD and Flux manifests pass their CRDs' schemas.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The fenced blocks of a markdown file, as (info string, text).
fn blocks(file: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), String::new())),
            (Some(_), Some(_)) => out.push(current.take().unwrap()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

fn yaml_documents(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| serde_json::Value::deserialize(doc).expect("YAML"))
        .collect()
}

/// The subcommands `snapset --help` lists.
fn subcommands() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The subcommand of every `snapset …` command in `text`, skipping global
/// options and their values.
fn named_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        // Comments are prose: "snapset resolves commits".
        let line = match line
            .find(" #")
            .or_else(|| line.trim_start().starts_with('#').then_some(0))
        {
            Some(i) => &line[..i],
            None => line,
        };
        let words: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let mut i = 0;
        while i < words.len() {
            if words[i] == "snapset" {
                let mut j = i + 1;
                while j < words.len() && words[j].starts_with('-') {
                    let takes_value = matches!(words[j], "-C" | "--message-format" | "--report");
                    j += if takes_value { 2 } else { 1 };
                }
                if let Some(word) = words.get(j)
                    && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                {
                    out.push(word.to_string());
                }
            }
            i += 1;
        }
    }
    out
}

fn assert_commands_exist(what: &str, text: &str) {
    let known = subcommands();
    let named = named_commands(text);
    assert!(!named.is_empty(), "{what} names no snapset command");
    for name in named {
        // `report` is another engineer's command: allowed while this
        // binary lacks it, checked like the others once it has it.
        let pending = name == "report" && !known.contains(&name);
        assert!(
            known.contains(&name) || pending,
            "{what}: `snapset {name}` is not a command ({known:?})"
        );
    }
}

#[test]
fn ci_recipes_parse_and_name_real_commands() {
    let yaml: Vec<String> = blocks("docs/ci.md")
        .into_iter()
        .filter(|(info, _)| info == "yaml")
        .map(|(_, text)| text)
        .collect();
    assert!(
        yaml.len() >= 3,
        "the workflow, the GitLab job and the pre-commit config"
    );
    let mut all = String::new();
    for text in &yaml {
        let docs = yaml_documents(text);
        assert_eq!(docs.len(), 1, "{text}");
        all.push_str(text);
    }
    // A warning is a value lost or traffic misrouted: CI fails on it.
    for (what, text) in [("the workflow", &yaml[0]), ("the GitLab job", &yaml[1])] {
        let checks: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("snapset check"))
            .collect();
        assert!(!checks.is_empty(), "{what} runs snapset check");
        for line in checks {
            assert!(line.contains("--deny-warnings"), "{what}: {line}");
        }
    }
    let workflow = yaml_documents(&yaml[0]).remove(0);
    assert!(
        workflow["jobs"]["snapset"]["steps"].is_array(),
        "{workflow}"
    );
    let gitlab = yaml_documents(&yaml[1]).remove(0);
    assert_eq!(
        gitlab["snapset"]["artifacts"]["reports"]["codequality"],
        "gl-code-quality-report.json"
    );
    assert_commands_exist("docs/ci.md", &all);
    for (info, text) in blocks("docs/ci.md") {
        if info == "json" {
            serde_json::from_str::<serde_json::Value>(&text).expect("the JSON example parses");
        }
    }
}

#[test]
fn pre_commit_hooks_name_real_commands() {
    let text = std::fs::read_to_string(Path::new(ROOT).join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = yaml_documents(&text).remove(0);
    let ids: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["snapset-check", "snapset-render-check"]);
    let entries: Vec<&str> = hooks
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["entry"].as_str().unwrap())
        .collect();
    assert_commands_exist(".pre-commit-hooks.yaml", &entries.join("\n"));
}

/// The published CRDs of Argo CD and Flux, kept in the repository
/// (tests/crds/README.md names their upstream commits).
const CRDS: [&str; 3] = [
    "argocd-applicationset.yaml",
    "flux-kustomization.yaml",
    "flux-gitrepository.yaml",
];

fn crds() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/crds"))
}

#[test]
fn gitops_manifests_match_their_crds() {
    let source = crds();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("crds")).unwrap();
    for file in CRDS {
        std::fs::copy(source.join(file), tmp.path().join("crds").join(file)).unwrap();
    }
    let mut sources = snapset::error::sources::Sources::default();
    let schemas =
        snapset::render::schema::Schemas::load(tmp.path(), &mut sources).expect("the CRDs load");
    let mut checked = Vec::new();
    for (info, text) in blocks("docs/gitops.md") {
        if info != "yaml" {
            continue;
        }
        for doc in yaml_documents(&text) {
            let kind = doc["kind"].as_str().unwrap().to_string();
            if let Err(problem) = schemas.check(&doc) {
                panic!("{kind} {}: {}", doc["metadata"]["name"], problem.detail);
            }
            checked.push(format!(
                "{kind}/{}",
                doc["metadata"]["name"].as_str().unwrap()
            ));
        }
    }
    assert_eq!(
        checked,
        [
            "ApplicationSet/shop",
            "GitRepository/shop-deploy",
            "Kustomization/shop-dev",
            "Kustomization/shop-integration",
            "Kustomization/shop-prod"
        ]
    );
    // And a mistake is caught: the checker is not a no-op for these kinds.
    let mut bad = yaml_documents(&blocks("docs/gitops.md")[1].1).remove(1);
    bad["spec"]["prune"] = serde_json::json!("yes");
    assert!(schemas.check(&bad).is_err());
}
