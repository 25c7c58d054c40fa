//! Random workspaces, built to break snapset: KDL of random shapes, values
//! full of YAML, JSON and template metacharacters, service and track names
//! valid and not. Whatever comes in, a render ends in exactly one of two
//! ways: exit 0 with every file YAML 1.2 that gives back each value as it
//! was written, or exit 2 with a message located at `file:line:col`.
//! `PROPTEST_CASES` sets the number of workspaces (32 by default, so that
//! `cargo test` stays fast; CI runs more).

use crate::common;

use std::collections::BTreeMap;

use common::workspace::TestWorkspace;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Pieces that mean something to YAML, JSON, KDL or minijinja.
const META: &[&str] = &[
    ": ", "#", "{", "}", "[", "]", "\"", "'", "\n", "---", "on", "yes", "no", "0123", "{{", "}}",
    "{%", "%}", "\\", "- ", "&a", "*a", "!!str", "null", "~", "1e3", " ", "é", "\t", "//", "/*",
];

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(META), 0..6).prop_map(|parts| parts.concat())
}

/// Mostly DNS labels, sometimes not.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9-]{0,8}[a-z0-9]",
        1 => prop::sample::select(vec!["Cart", "-x", "x-", "a_b", "", "a.b", "ä", "a b"])
            .prop_map(str::to_string),
        1 => Just("x".repeat(64)),
    ]
}

/// A KDL string literal holding `s`.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone)]
struct Spec {
    services: Vec<(String, Vec<String>)>,
    env: Vec<(String, String)>,
    vars: Vec<(String, String)>,
    /// Random nodes, possibly nested, dropped into the varset.
    extra: Vec<(String, usize)>,
    raw_value: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec((name(), prop::collection::vec(name(), 0..3)), 1..4),
        prop::collection::vec(("[A-Z][A-Z0-9_]{0,6}", value()), 0..5),
        prop::collection::vec(("[a-z][a-z-]{0,6}", value()), 0..3),
        prop::collection::vec((name(), 0usize..4), 0..2),
        any::<bool>(),
    )
        .prop_map(|(services, env, vars, extra, raw_value)| Spec {
            services,
            env,
            vars,
            extra,
            raw_value,
        })
}

fn write(ws: &TestWorkspace, spec: &Spec, commit: &str) {
    let mut config = String::from(
        "repo \"../shop.git\"\nimage \"registry.example.com/shop/{service}:{commit}\"\n",
    );
    let mut snapshot = String::from("snapshot \"s1\" {\n");
    for (service, tracks) in &spec.services {
        config.push_str(&format!(
            "service {} path=\"services/cart\" port=8080\n",
            quote(service)
        ));
        match tracks.len() {
            0 => snapshot.push_str(&format!(
                "    service {} commit=\"{commit}\"\n",
                quote(service)
            )),
            n => {
                snapshot.push_str(&format!("    service {} {{\n", quote(service)));
                for (i, track) in tracks.iter().enumerate() {
                    let weight = if i == 0 { 100 - 10 * (n - 1) } else { 10 };
                    snapshot.push_str(&format!(
                        "        track {} commit=\"{commit}\" weight={weight}\n",
                        quote(track)
                    ));
                }
                snapshot.push_str("    }\n");
            }
        }
    }
    snapshot.push_str("}\n");
    config.push_str("environment \"dev\" snapshot=\"s1\" varset=\"dev\"\n");
    let mut varset = String::from("varset \"dev\" {\n    env {\n");
    for (key, value) in &spec.env {
        let literal = if spec.raw_value && !value.contains("\"#") {
            format!("r#\"{value}\"#")
        } else {
            quote(value)
        };
        varset.push_str(&format!("        {} {literal}\n", quote(key)));
    }
    varset.push_str("    }\n    vars {\n");
    for (key, value) in &spec.vars {
        varset.push_str(&format!("        {key} {}\n", quote(value)));
    }
    varset.push_str("    }\n");
    for (node, depth) in &spec.extra {
        varset.push_str(&format!(
            "    {}{}\n",
            format!("{} {{\n", quote(node)).repeat(*depth),
            "}\n".repeat(*depth)
        ));
    }
    varset.push_str("}\n");
    ws.write("snapset.kdl", &config);
    ws.write("snapshots/s1.kdl", &snapshot);
    ws.write("varsets/dev.kdl", &varset);
    for stale in ["varsets/base.kdl", "varsets/prod.kdl"] {
        let _ = std::fs::remove_file(ws.path(stale));
    }
}

/// Every `env` entry of every container of a parsed Deployment, by name.
fn container_env(doc: &serde_json::Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for container in doc["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for var in container["env"].as_array().into_iter().flatten() {
            if let (Some(name), Some(value)) = (var["name"].as_str(), var["value"].as_str()) {
                out.insert(name.to_string(), value.to_string());
            }
        }
    }
    out
}

fn located(stderr: &str) -> bool {
    // miette's `[file:line:col]`.
    stderr.split('[').skip(1).any(|rest| {
        rest.split(']').next().is_some_and(|inner| {
            let parts: Vec<&str> = inner.rsplitn(3, ':').collect();
            parts.len() == 3
                && parts[0].parse::<usize>().is_ok()
                && parts[1].parse::<usize>().is_ok()
                && !parts[2].is_empty()
        })
    })
}

fn one_case(spec: &Spec) -> Result<(), TestCaseError> {
    let (ws, shop) = TestWorkspace::shop();
    write(&ws, spec, &shop.cart1[..10]);
    let run = ws.run(&["render"]);
    match run.code {
        0 => {
            for (file, bytes) in ws.tree("out") {
                let text = String::from_utf8(bytes).expect("UTF-8 output");
                if file.ends_with(".json") {
                    serde_json::from_str::<serde_json::Value>(&text).expect("JSON");
                    continue;
                }
                let doc: serde_json::Value = serde_norway::from_str(&text)
                    .map_err(|e| TestCaseError::fail(format!("{file} is not YAML: {e}\n{text}")))?;
                if file.contains("deployment") {
                    let env = container_env(&doc);
                    for (key, value) in &spec.env {
                        // The last definition of a key wins, as in KDL.
                        let last = spec.env.iter().rev().find(|(k, _)| k == key).unwrap();
                        if last.1 == *value {
                            prop_assert_eq!(env.get(key), Some(value), "{} in {}", key, file);
                        }
                    }
                }
            }
            Ok(())
        }
        2 => {
            prop_assert!(
                located(&run.stderr),
                "exit 2 without a location:\n{}",
                run.stderr
            );
            Ok(())
        }
        code => Err(TestCaseError::fail(format!(
            "exit {code}\nstdout: {}\nstderr: {}",
            run.stdout, run.stderr
        ))),
    }
}

#[test]
fn a_random_workspace_renders_valid_yaml_or_fails_at_a_location() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(32);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let started = std::time::Instant::now();
    let outcome = runner.run(&spec(), |spec| one_case(&spec));
    eprintln!("{cases} random workspaces in {:.1?}", started.elapsed());
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
