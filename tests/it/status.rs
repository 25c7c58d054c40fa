//! `snapset status`: a snapshot against what `kubectl get deploy,sts,ds,cronjob -o json`
//! prints, on a fixture repository with a side branch and a merge. Every
//! relation, the counts checked against `git rev-list --count`, the output
//! formats, the exit codes and the inputs that are not Deployments.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::workspace::{Run, TestWorkspace};
use git2::{Oid, Signature, Time};
use serde_json::{Value, json};

/// The commits of the fixture beyond the standard shop.
struct History {
    cart1: String,
    taxe1: String,
    tower1: String,
    taxe2: String,
    tower2: String,
    docs: String,
    /// On branch `side`, off `docs`: neither before nor after tower2.
    tower_side: String,
    /// On branch `feature`, off cart2, merged into main by `merge`.
    cart_feature: String,
    /// main: tower2 + feature.
    merge: String,
}

/// The shop, plus a side branch, a merged feature branch, five services and
/// an environment `dev` (namespace shop-dev) bound to snapshot `s2`, whose
/// tower has three tracks. front and catalog are stand-ins pinned at the
/// docs commit: the whole repository is their path (a folder that exists
/// at none of their pins would be an error).
fn workspace() -> (TestWorkspace, History) {
    let (mut ws, shop) = TestWorkspace::shop();
    let g = &mut ws.git;
    g.branch("side", &shop.docs);
    g.branch("feature", &shop.cart2);
    g.checkout_branch("side");
    let tower_side = g.commit(
        "tower: experiment",
        &[("services/tower/main.go", "package tower // x\n")],
    );
    g.checkout_branch("feature");
    let cart_feature = g.commit(
        "cart: feature",
        &[("services/cart/main.go", "package cart // f\n")],
    );
    g.checkout_branch("main");
    let merge = merge_commit(&ws, &shop.tower2, &cart_feature, "Merge branch 'feature'");
    let history = History {
        cart1: shop.cart1,
        taxe1: shop.taxe1,
        tower1: shop.tower1,
        taxe2: shop.taxe2,
        tower2: shop.tower2,
        docs: shop.docs,
        tower_side,
        cart_feature,
        merge,
    };
    ws.write(
        "snapset.kdl",
        r#"repo "../shop.git"
image "registry.example.com/shop/{service}:{commit}"

service "cart"    path="services/cart"    port=8080
service "taxe"    path="services/taxe"    port=8080
service "tower"   path="services/tower"   port=9090
service "front"   path="."                port=8080
service "catalog" path="."                port=8080

environment "dev" snapshot="s2" varset="dev"
"#,
    );
    let h = &history;
    ws.write(
        "snapshots/s2.kdl",
        &format!(
            r#"snapshot "s2" {{
    service "cart" commit="{}"
    service "taxe" commit="{}"
    service "tower" {{
        track "stable" commit="{}" weight=90
        track "canary" commit="{}" weight=10
        track "beta"   commit="{}" header="x-beta" value="1"
    }}
    service "front"   commit="{}"
    service "catalog" commit="{}"
}}
"#,
            &h.cart_feature[..12],
            h.taxe2,
            &h.tower1[..7],
            h.tower2,
            h.tower2,
            h.docs,
            h.docs
        ),
    );
    (ws, history)
}

/// A merge commit on main with the first parent's tree, dated after the fixture's commits.
fn merge_commit(ws: &TestWorkspace, first: &str, second: &str, message: &str) -> String {
    let repo = ws.git.repo();
    let a = repo.find_commit(Oid::from_str(first).unwrap()).unwrap();
    let b = repo.find_commit(Oid::from_str(second).unwrap()).unwrap();
    let sig = Signature::new(
        "Fixture",
        "fixture@example.com",
        &Time::new(1_767_225_600 + 3600, 0),
    )
    .unwrap();
    let tree = b.tree().unwrap();
    let oid = repo
        .commit(
            Some("refs/heads/main"),
            &sig,
            &sig,
            message,
            &tree,
            &[&a, &b],
        )
        .unwrap();
    oid.to_string()
}

/// A Deployment as kubectl prints it. `labels` may be empty; `commit`
/// becomes the `snapset.dev/commit` annotation; `status` is (ready, desired).
fn deployment(
    name: &str,
    labels: &[(&str, &str)],
    commit: Option<&str>,
    image: &str,
    status: Option<(i32, i32)>,
) -> Value {
    let labels: serde_json::Map<String, Value> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let mut annotations = json!({"deployment.kubernetes.io/revision": "2"});
    if let Some(c) = commit {
        annotations["snapset.dev/commit"] = json!(c);
    }
    let mut d = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "shop-dev",
            "labels": labels,
            "annotations": annotations,
            "generation": 2,
            "uid": "00000000-0000-4000-8000-000000000000"
        },
        "spec": {
            "replicas": status.map_or(1, |s| s.1),
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [
                    {"name": "istio-proxy-init", "image": "docker.io/istio/proxyv2:1.24.0"},
                    {"name": labels.get("app").and_then(Value::as_str).unwrap_or(name), "image": image}
                ]}
            }
        }
    });
    if let Some((ready, desired)) = status {
        d["status"] = json!({"observedGeneration": 2, "replicas": desired, "readyReplicas": ready, "updatedReplicas": desired});
        if ready == 0 {
            d["status"].as_object_mut().unwrap().remove("readyReplicas");
        }
    }
    d
}

fn list(items: Vec<Value>) -> String {
    serde_json::to_string_pretty(&json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})).unwrap()
}

/// A namespace where every relation occurs once (tower's beta track is not running).
fn live_every_relation(h: &History) -> String {
    let image = |service: &str, tag: &str| format!("registry.example.com/shop/{service}:{tag}");
    list(vec![
        // cart runs the merge of its feature branch: newer, through a merge.
        deployment(
            "cart",
            &[("app", "cart"), ("version", "stable")],
            Some(&h.merge),
            &image("cart", &h.merge),
            Some((2, 2)),
        ),
        // taxe: no labels, no annotation; the name and the image tag tell.
        deployment(
            "taxe",
            &[],
            None,
            &format!("registry:5000/shop/taxe:{}@sha256:0123abcd", &h.taxe1[..8]),
            Some((0, 1)),
        ),
        deployment(
            "tower-stable",
            &[("app", "tower"), ("version", "stable")],
            Some(&h.tower1),
            &image("tower", &h.tower1),
            Some((3, 3)),
        ),
        // canary: an `app` label and no `version`: the track comes from the name.
        deployment(
            "tower-canary",
            &[("app", "tower")],
            Some(&h.tower_side[..9]),
            &image("tower", &h.tower_side),
            None,
        ),
        deployment(
            "front",
            &[("app", "front")],
            Some("0123456789abcdef0123456789abcdef01234567"),
            &image("front", "0123456789abcdef"),
            Some((1, 1)),
        ),
        deployment(
            "catalog",
            &[("app", "catalog")],
            None,
            &image("catalog", "latest"),
            Some((1, 1)),
        ),
        deployment(
            "legacy",
            &[("app", "legacy")],
            Some(&h.cart1[..10]),
            &image("legacy", "v3"),
            Some((1, 1)),
        ),
    ])
}

fn run_stdin(ws: &TestWorkspace, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .arg("-C")
        .arg(&ws.root)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run snapset");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `git rev-list --count RANGE` in the fixture repository, by the git CLI.
fn rev_list_count(ws: &TestWorkspace, range: &str) -> usize {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(ws.git.path())
        .args(["rev-list", "--count", range])
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git rev-list {range}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn every_relation_as_a_table_and_as_json() {
    let (ws, h) = workspace();
    ws.write("live.json", &live_every_relation(&h));

    let table = ws.run(&["status", "--env", "dev", "--live", "live.json"]);
    assert_eq!(table.code, 1, "{}", table.stderr);
    assert_eq!(
        table.stderr, "",
        "no warning: the namespace is the environment's"
    );
    insta::assert_snapshot!("status_table", table.stdout);

    let json = ws.run(&[
        "status",
        "--env",
        "dev",
        "--live",
        "live.json",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 1, "{}", json.stderr);
    insta::assert_snapshot!("status_json", json.stdout);

    let rows: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let states: Vec<&str> = rows.iter().map(|r| r["state"].as_str().unwrap()).collect();
    for state in [
        "same",
        "live-newer",
        "live-older",
        "diverged",
        "unknown-commit",
        "missing",
        "not-in-snapshot",
    ] {
        assert!(states.contains(&state), "no `{state}` row in {states:?}");
    }
    let row = |service: &str, track: &str| {
        rows.iter()
            .find(|r| r["service"] == service && r["track"] == track)
            .unwrap_or_else(|| panic!("no row {service}/{track}"))
    };
    assert_eq!(row("cart", "stable")["live_commit"], h.merge.as_str());
    assert_eq!(row("cart", "stable")["state"], "live-newer");
    assert_eq!(row("taxe", "stable")["state"], "live-older");
    assert_eq!(
        row("taxe", "stable")["live_commit"],
        h.taxe1.as_str(),
        "the tag's prefix resolves to the full hash"
    );
    assert_eq!(row("tower", "canary")["state"], "diverged");
    assert_eq!(row("tower", "stable")["state"], "same");
    assert_eq!(row("tower", "beta")["state"], "missing");
    assert_eq!(row("front", "stable")["state"], "unknown-commit");
    assert_eq!(row("catalog", "stable")["live_commit"], Value::Null);
    assert_eq!(row("legacy", "stable")["state"], "not-in-snapshot");
    assert_eq!(row("legacy", "stable")["subject"], "cart: first");
    assert_eq!(
        (
            row("taxe", "stable")["ready"].clone(),
            row("taxe", "stable")["desired"].clone()
        ),
        (json!(0), json!(1))
    );
    assert_eq!(
        row("tower", "canary")["ready"],
        Value::Null,
        "no status, no replica counts"
    );

    // ahead and behind are what `git rev-list --count` says, merges included.
    let mut counted = 0;
    for r in &rows {
        if let (Some(ahead), Some(behind)) = (r["ahead"].as_u64(), r["behind"].as_u64()) {
            let (snap, live) = (
                r["snapshot_commit"].as_str().unwrap(),
                r["live_commit"].as_str().unwrap(),
            );
            assert_eq!(
                ahead as usize,
                rev_list_count(&ws, &format!("{snap}..{live}")),
                "ahead of {r}"
            );
            assert_eq!(
                behind as usize,
                rev_list_count(&ws, &format!("{live}..{snap}")),
                "behind of {r}"
            );
            counted += 1;
        }
    }
    assert_eq!(
        counted, 4,
        "same, live-newer, live-older and diverged rows have counts"
    );
    // Against its own second parent, the merge is 3 ahead: taxe2, tower2 and itself.
    assert_eq!(row("cart", "stable")["ahead"], 3);
}

#[test]
fn what_snapset_renders_is_the_same_and_exits_0() {
    let (ws, _) = workspace();
    let render = ws.run(&["render", "--env", "dev"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let items: Vec<Value> = ws
        .tree("out/dev")
        .into_iter()
        .filter(|(path, _)| path.contains("/deployment"))
        .map(|(_, bytes)| serde_norway::from_slice(&bytes).expect("rendered YAML"))
        .collect();
    assert_eq!(items.len(), 7, "one Deployment per track");
    let run = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-", "--format", "json"],
        &list(items),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(rows.len(), 7);
    assert!(
        rows.iter()
            .all(|r| r["state"] == "same" && r["ahead"] == 0 && r["behind"] == 0),
        "{rows:#?}"
    );
    assert!(
        rows.iter().all(|r| r["ready"].is_null()),
        "rendered objects have no status"
    );
}

#[test]
fn one_deployment_on_stdin() {
    let (ws, h) = workspace();
    let one = deployment(
        "tower-canary",
        &[("app", "tower"), ("version", "canary")],
        Some(&h.tower2),
        "tower:x",
        Some((1, 1)),
    );
    let run = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-"],
        &one.to_string(),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("tower    canary") && l.contains(" same ")),
        "{}",
        run.stdout
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("  missing  ")).count(),
        6,
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("of standard input: 1 same, 6 missing\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_empty_namespace_is_all_missing_and_a_foreign_one_is_warned_about() {
    let (ws, h) = workspace();
    let empty = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-"],
        &list(vec![]),
    );
    assert_eq!(empty.code, 1);
    assert!(empty.stdout.ends_with("7 missing\n"), "{}", empty.stdout);

    let mut elsewhere = deployment(
        "cart",
        &[("app", "cart")],
        Some(&h.cart_feature),
        "cart:x",
        None,
    );
    elsewhere["metadata"]["namespace"] = json!("shop-prod");
    let run = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-"],
        &list(vec![elsewhere]),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("the live workloads are in namespace shop-prod, but environment `dev` deploys to shop-dev"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("kubectl get deploy,sts,ds,cronjob -n shop-dev -o\n        json"),
        "{}",
        run.stderr
    );
}

#[test]
fn input_that_is_not_kubectl_json_exits_2_and_says_what_it_read() {
    let (ws, _) = workspace();
    let cases: &[(&str, &str)] = &[
        (
            "{\"kind\": \"List\", \"items\": [",
            "standard input is not JSON: EOF while parsing a list at line 1 column 27",
        ),
        (
            "apiVersion: v1\nkind: List\nitems: []\n",
            "ask kubectl for JSON",
        ),
        (
            "NAME   READY   UP-TO-DATE   AVAILABLE   AGE\ncart   1/1     1            1           3d\n",
            "this looks like YAML or a table",
        ),
        ("", "standard input is not JSON: it is empty"),
        (r#"[{"kind":"Deployment"}]"#, "holds a JSON array"),
        (r#"{"items":[]}"#, "holds a JSON object without `kind`"),
        (
            r#"{"kind":"List"}"#,
            "holds a List without an `items` array",
        ),
        (
            r#"{"kind":"List","items":[{"kind":"Deployment","metadata":{"name":"cart"},"spec":{"replicas":"two"}}]}"#,
            "item 1 (`cart`) of standard input is not a workload snapset can read: invalid type: string \"two\"",
        ),
        (
            r#"{"kind":"Deployment","apiVersion":"extensions/v1beta1","metadata":{"name":"cart"}}"#,
            "\"extensions/v1beta1\", expected apps/v1",
        ),
        (
            r#"{"kind":"Deployment","metadata":{}}"#,
            "it has no `metadata.name`",
        ),
    ];
    for (input, expected) in cases {
        let run = run_stdin(&ws, &["status", "--env", "dev", "--live", "-"], input);
        assert_eq!(run.code, 2, "{input}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{input}");
        let stderr = run
            .stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" │ ", " ");
        assert!(
            stderr.contains(expected),
            "{input}:\n{}\nexpected: {expected}",
            run.stderr
        );
    }

    let missing = ws.run(&["status", "--env", "dev", "--live", "nothere.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("nothere.json"),
        "{}",
        missing.stderr
    );
    let env = ws.run(&["status", "--env", "staging", "--live", "nothere.json"]);
    assert_eq!(env.code, 2);
    assert!(
        env.stderr.contains("unknown environment `staging`"),
        "{}",
        env.stderr
    );
}

/// docs/status.md shows `snapset status` on the example workspace at the
/// repository root; the output must stay what the page says.
#[test]
fn the_example_in_the_docs_is_what_the_demo_prints() {
    let root = env!("CARGO_MANIFEST_DIR");
    let docs = std::fs::read_to_string(format!("{root}/docs/status.md")).unwrap();
    let start = docs.find("\nSERVICE  TRACK").expect("the example table") + 1;
    let shown = &docs[start..start + docs[start..].find("```").unwrap()];
    let out = Command::new(env!("CARGO_BIN_EXE_snapset"))
        .args([
            "-C",
            root,
            "status",
            "--env",
            "dev",
            "--live",
            "demo/live/shop-dev.json",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown);
}

/// Every object snapset renders for the environment, environment scope
/// included, is a row by its stamps: `same` when the live object has every
/// rendered field (whatever the cluster added), `changed` naming the first
/// field that differs, `missing`. `--live` takes a List of any kinds (what
/// `kubectl get ns,cm,svc,deploy -o json` prints): Pods and ReplicaSets a
/// controller made, and objects snapset did not render, are left out; a
/// stamped one it no longer renders is `not-in-snapshot`. Before, a
/// ConfigMap in the List was refused and the Namespace was not known.
#[test]
fn environment_scope_objects_and_a_list_of_any_kinds() {
    let (ws, _) = workspace();
    ws.write(
        "templates/environment/namespace.yaml.j2",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ environment.namespace }}\n",
    );
    ws.write(
        "templates/environment/settings.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-settings\n  namespace: {{ environment.namespace }}\ndata:\n  LOG_LEVEL: info\n  REGION: eu\n",
    );
    ws.write(
        "templates/environment/flags.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop-flags\n  namespace: {{ environment.namespace }}\ndata:\n  checkout: \"on\"\n",
    );
    let render = ws.run(&["render", "--env", "dev"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let mut items: Vec<Value> = Vec::new();
    for (path, bytes) in ws.tree("out/dev") {
        if path.ends_with("kustomization.yaml") || !path.ends_with(".yaml") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        for doc in text.split("\n---\n") {
            let mut value: Value = serde_norway::from_str(doc).expect("rendered YAML");
            // What the API server adds.
            value["metadata"]["uid"] = json!("0b1c");
            value["metadata"]["resourceVersion"] = json!("42");
            if value["kind"] == "Service" {
                value["spec"]["clusterIP"] = json!("10.0.0.7");
                value["spec"]["ports"][0]["targetPort"] = json!("http");
            }
            match value["metadata"]["name"].as_str() {
                // Changed by hand in the cluster.
                Some("shop-settings") => value["data"]["LOG_LEVEL"] = json!("debug"),
                // Deleted from the cluster.
                Some("shop-flags") => continue,
                _ => {}
            }
            items.push(value);
        }
    }
    items.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "shop-dev"}, "data": {"ca.crt": "…"}}));
    items.push(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old-settings", "namespace": "shop-dev", "labels": {"app.kubernetes.io/managed-by": "snapset"}}, "data": {}}));
    items.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "cart-5d9c-x", "namespace": "shop-dev", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "cart-5d9c", "controller": true, "uid": "1"}]}}));
    items.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "cart-5d9c", "namespace": "shop-dev", "annotations": {"snapset.dev/commit": "abc1234"}, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart", "controller": true, "uid": "2"}]}}));
    let run = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-"],
        &list(items.clone()),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout);
    let json = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-", "--format", "json"],
        &list(items),
    );
    let rows: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let state = |kind: &str, name: &str| {
        rows.iter()
            .find(|r| r["kind"] == kind && r["deployment"] == name)
            .map(|r| r["state"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no row for {kind} {name}: {rows:#?}"))
    };
    assert_eq!(state("Namespace", "shop-dev"), "same");
    assert_eq!(state("ConfigMap", "shop-settings"), "changed");
    assert_eq!(state("ConfigMap", "shop-flags"), "missing");
    assert_eq!(state("ConfigMap", "old-settings"), "not-in-snapshot");
    assert_eq!(state("Service", "cart"), "same");
    assert!(!rows.iter().any(|r| r["deployment"] == "kube-root-ca.crt"));
    assert!(
        !rows
            .iter()
            .any(|r| r["kind"] == "Pod" || r["kind"] == "ReplicaSet")
    );

    // One object, as `kubectl get ns shop-dev -o json` prints it.
    let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop-dev", "labels": {"app.kubernetes.io/managed-by": "snapset", "kubernetes.io/metadata.name": "shop-dev"}}, "status": {"phase": "Active"}});
    let one = run_stdin(
        &ws,
        &["status", "--env", "dev", "--live", "-", "--format", "json"],
        &namespace.to_string(),
    );
    let rows: Vec<Value> = serde_json::from_str(&one.stdout).unwrap();
    let ns: Vec<&Value> = rows.iter().filter(|r| r["kind"] == "Namespace").collect();
    assert_eq!(ns.len(), 1, "{rows:#?}");
    assert_eq!(ns[0]["state"], "same");
    assert_eq!(ns[0]["service"], "-");
}
