//! A fleet (DESIGN "A fleet: environments on several clusters, rolled out
//! in order"): `cluster` children of an environment, each with a varset
//! layered last and a folder `out/<env>/<cluster>/`; `requires` cycles; the
//! GitOps agent's objects in `out/_agent/` and the rollout order they carry;
//! `status` and `report` per cluster.

use crate::common;

use common::workspace::{Shop, TestWorkspace, redact};

/// The shop with prod on two clusters. prod's varset gives cart 4 replicas
/// in its service section; eu-1's varset sets `replicas 2` globally (the
/// last layer: it wins over that section), us-1's extends a shared varset.
fn fleet() -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    let config = ws.read("snapset.kdl").replace(
        "environment \"prod\" snapshot=\"s1\" varset=\"prod\"\n",
        "environment \"prod\" snapshot=\"s1\" varset=\"prod\" {\n    cluster \"eu-1\" varset=\"prod-eu\"\n    cluster \"us-1\" varset=\"prod-us\"\n}\n",
    );
    ws.write("snapset.kdl", &config);
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    extends \"base\"\n    namespace \"shop-prod\"\n    vars {\n        replicas 3\n    }\n    service \"cart\" {\n        vars {\n            replicas 4\n        }\n    }\n}\n",
    );
    ws.write(
        "varsets/prod-eu.kdl",
        "varset \"prod-eu\" {\n    vars {\n        replicas 2\n    }\n    env {\n        REGION \"eu\"\n    }\n}\n",
    );
    ws.write(
        "varsets/regions.kdl",
        "varset \"regions\" {\n    extends \"base\"\n    env {\n        REGION \"any\"\n    }\n}\n",
    );
    ws.write(
        "varsets/prod-us.kdl",
        "varset \"prod-us\" {\n    extends \"regions\"\n    env {\n        REGION \"us\"\n    }\n}\n",
    );
    (ws, shop)
}

fn text(ws: &TestWorkspace, rel: &str) -> String {
    ws.read(rel)
}

fn replicas(yaml: &str) -> Option<&str> {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix("replicas: "))
}

#[test]
fn each_cluster_renders_its_own_folder_with_its_varset_last() {
    let (ws, _) = fleet();
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = ws.tree("out");
    // An environment without clusters is unchanged.
    assert!(out.contains_key("dev/kustomization.yaml"));
    assert!(out.contains_key("dev/cart/deployment.yaml"));
    // prod: one folder per cluster, each a kustomization of its own.
    for cluster in ["eu-1", "us-1"] {
        for file in [
            "kustomization.yaml",
            "snapshot.json",
            "cart/deployment.yaml",
        ] {
            let key = format!("prod/{cluster}/{file}");
            assert!(out.contains_key(&key), "{key} missing: {:?}", out.keys());
        }
        let kustomization = text(&ws, &format!("out/prod/{cluster}/kustomization.yaml"));
        assert!(kustomization.contains("\"cart/deployment.yaml\""));
        assert!(!kustomization.contains(cluster), "paths are relative");
    }
    assert!(!out.contains_key("prod/kustomization.yaml"));
    assert!(!out.contains_key("prod/cart/deployment.yaml"));
    // The cluster's global `vars` beat the environment's service section.
    let eu = text(&ws, "out/prod/eu-1/cart/deployment.yaml");
    let us = text(&ws, "out/prod/us-1/cart/deployment.yaml");
    assert_eq!(replicas(&eu), Some("2"), "{eu}");
    assert_eq!(replicas(&us), Some("4"), "{us}");
    assert_eq!(
        replicas(&text(&ws, "out/prod/us-1/taxe/deployment.yaml")),
        Some("3")
    );
    // A cluster varset may extend a shared one; its own values win.
    assert!(eu.contains("\"eu\""), "{eu}");
    assert!(us.contains("\"us\"") && !us.contains("\"any\""), "{us}");
    // snapshot.json names the cluster and its varset.
    let json: serde_json::Value =
        serde_json::from_str(&text(&ws, "out/prod/eu-1/snapshot.json")).unwrap();
    assert_eq!(json["environment"], "prod");
    assert_eq!(json["varset"], "prod");
    assert_eq!(json["cluster"]["name"], "eu-1");
    assert_eq!(json["cluster"]["varset"], "prod-eu");
    let dev: serde_json::Value = serde_json::from_str(&text(&ws, "out/dev/snapshot.json")).unwrap();
    assert!(dev.get("cluster").is_none());
    // Both clusters take the same pins.
    let us_json: serde_json::Value =
        serde_json::from_str(&text(&ws, "out/prod/us-1/snapshot.json")).unwrap();
    assert_eq!(
        json["services"][0]["tracks"][0]["commit"],
        us_json["services"][0]["tracks"][0]["commit"]
    );
    let again = ws.run(&["render", "--check"]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert_eq!(again.stdout, "out/ is up to date\n");
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn an_environment_that_gains_clusters_loses_its_old_files() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(ws.path("out/prod/cart/deployment.yaml").exists());
    let (fleet, _) = fleet();
    for file in [
        "snapset.kdl",
        "varsets/prod.kdl",
        "varsets/prod-eu.kdl",
        "varsets/prod-us.kdl",
        "varsets/regions.kdl",
    ] {
        ws.write(file, &fleet.read(file));
    }
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("would remove out/prod/cart/deployment.yaml"),
        "{}",
        check.stdout
    );
    assert!(
        check
            .stdout
            .contains("would add    out/prod/eu-1/cart/deployment.yaml"),
        "{}",
        check.stdout
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ws.path("out/prod/cart").exists());
    assert!(!ws.path("out/prod/snapshot.json").exists());
    // Back to one cluster: the cluster folders go.
    let (plain, _) = TestWorkspace::shop();
    ws.write("snapset.kdl", &plain.read("snapset.kdl"));
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/prod/eu-1").exists());
    assert!(ws.path("out/prod/cart/deployment.yaml").exists());
    assert_eq!(
        ws.run(&["render", "--check"]).stdout,
        "out/ is up to date\n"
    );
}

#[test]
fn a_removed_environment_on_clusters_is_removed_whole() {
    let (ws, _) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    let config = ws.read("snapset.kdl");
    let without: String = config
        .split("environment \"prod\"")
        .next()
        .unwrap()
        .to_string();
    ws.write("snapset.kdl", &without);
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("would remove out/prod/eu-1/snapshot.json"),
        "{}",
        check.stdout
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/prod").exists());
}

#[test]
fn explain_shows_the_cluster_layer() {
    let (ws, _) = fleet();
    let run = ws.run(&[
        "explain",
        "--env",
        "prod",
        "--cluster",
        "eu-1",
        "cart",
        "replicas",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_cluster", run.stdout);
    let us = ws.run(&[
        "explain",
        "--env",
        "prod",
        "--cluster",
        "us-1",
        "cart",
        "replicas",
    ]);
    assert!(us.stdout.starts_with("var replicas: 4\n"), "{}", us.stdout);
    let json = ws.run(&[
        "explain",
        "--env",
        "prod",
        "--cluster",
        "eu-1",
        "cart",
        "REGION",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(rows[0]["cluster"], "eu-1");
    assert_eq!(rows[0]["value"], "eu");
    // Which cluster must be said; an unknown one is named.
    let vague = ws.run(&["explain", "--env", "prod", "cart", "replicas"]);
    assert_eq!(vague.code, 2);
    assert!(
        vague.stderr.contains("runs on clusters eu-1, us-1"),
        "{}",
        vague.stderr
    );
    let unknown = ws.run(&[
        "explain",
        "--env",
        "prod",
        "--cluster",
        "eu-2",
        "cart",
        "replicas",
    ]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown cluster `eu-2`"),
        "{}",
        unknown.stderr
    );
    assert!(unknown.stderr.contains("eu-1"), "{}", unknown.stderr);
}

#[test]
fn diff_names_the_cluster_of_each_change() {
    let (ws, _) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write(
        "varsets/prod-us.kdl",
        "varset \"prod-us\" {\n    extends \"regions\"\n    vars {\n        replicas 5\n    }\n    env {\n        REGION \"us\"\n    }\n}\n",
    );
    let run = ws.run(&["diff"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("+++ b/out/prod/us-1/cart/deployment.yaml"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("eu-1/cart"), "{}", run.stdout);
    let json = ws.run(&["diff", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let prod = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "prod")
        .unwrap();
    assert_eq!(prod["clusters"], serde_json::json!(["eu-1", "us-1"]));
    assert_eq!(prod["files"][0]["cluster"], "us-1");
    assert_eq!(prod["files"][0]["file"], "us-1/cart/deployment.yaml");
    let dev = &doc["environments"][0];
    assert!(dev.get("clusters").is_none(), "{dev}");
}

/// Renders the fleet, breaks it with `edit`: exit 2 naming the file and
/// line, and `out/` as it was.
fn broken(edit: impl FnOnce(&TestWorkspace)) -> String {
    let (ws, _) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    let before = ws.tree("out");
    edit(&ws);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(ws.tree("out"), before, "out/ untouched");
    assert_eq!(ws.run(&["check"]).code, 2);
    redact(&run.stderr, &ws)
}

fn with_clusters(ws: &TestWorkspace, clusters: &str) {
    let config = ws.read("snapset.kdl");
    let start = config.find("environment \"prod\"").unwrap();
    ws.write(
        "snapset.kdl",
        &format!(
            "{}environment \"prod\" snapshot=\"s1\" varset=\"prod\" {{\n{clusters}}}\n",
            &config[..start]
        ),
    );
}

#[test]
fn a_cluster_with_an_unknown_varset_is_an_error_at_its_line() {
    let stderr = broken(|ws| {
        with_clusters(
            ws,
            "    cluster \"eu-1\" varset=\"prod-eu\"\n    cluster \"us-1\" varset=\"prod-uss\"\n",
        )
    });
    assert!(stderr.contains("unknown varset `prod-uss`"), "{stderr}");
    assert!(stderr.contains("snapset.kdl:11:"), "{stderr}");
}

#[test]
fn a_cluster_named_twice_is_an_error_at_both_lines() {
    let stderr = broken(|ws| {
        with_clusters(
            ws,
            "    cluster \"eu-1\" varset=\"prod-eu\"\n    cluster \"eu-1\" varset=\"prod-us\"\n",
        )
    });
    insta::assert_snapshot!("duplicate_cluster", stderr);
}

#[test]
fn a_cluster_name_that_is_no_folder_name_is_an_error() {
    for (name, bad) in [("../x", "`../x`"), ("EU", "`EU`"), ("_agent", "`_agent`")] {
        let stderr =
            broken(|ws| with_clusters(ws, &format!("    cluster \"{name}\" varset=\"prod-eu\"\n")));
        assert!(
            stderr.contains(&format!("cluster name {bad} is not a DNS-1123 label")),
            "{stderr}"
        );
        assert!(stderr.contains("snapset.kdl:10:"), "{stderr}");
    }
    let stderr = broken(|ws| with_clusters(ws, "    region \"eu-1\"\n"));
    assert!(stderr.contains("region"), "{stderr}");
    assert!(stderr.contains("snapset.kdl:10:"), "{stderr}");
    let stderr = broken(|ws| with_clusters(ws, "    cluster \"eu-1\"\n"));
    assert!(stderr.contains("varset="), "{stderr}");
}

/// s1 with `requires` lines: (service, [required services]).
fn requiring(ws: &TestWorkspace, shop: &Shop, requires: &[(&str, &[&str])]) {
    let commit = |s: &str| match s {
        "cart" => shop.cart1.clone(),
        "taxe" => shop.taxe1.clone(),
        _ => shop.tower1.clone(),
    };
    let mut body = String::new();
    for service in ["cart", "taxe", "tower"] {
        let needs = requires
            .iter()
            .find(|(s, _)| *s == service)
            .map_or(&[][..], |(_, r)| r);
        body.push_str(&format!(
            "    service \"{service}\" commit=\"{}\"",
            &commit(service)[..10]
        ));
        if needs.is_empty() {
            body.push('\n');
            continue;
        }
        body.push_str(" {\n");
        for r in needs {
            body.push_str(&format!(
                "        requires \"{r}\" since=\"{}\"\n",
                &commit(r)[..10]
            ));
        }
        body.push_str("    }\n");
    }
    ws.write(
        "snapshots/s1.kdl",
        &format!("snapshot \"s1\" {{\n{body}}}\n"),
    );
}

#[test]
fn a_requires_cycle_names_every_service_at_its_requires_line() {
    let (ws, shop) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let before = ws.tree("out");
    requiring(
        &ws,
        &shop,
        &[
            ("cart", &["taxe"]),
            ("taxe", &["tower"]),
            ("tower", &["cart"]),
        ],
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(ws.tree("out"), before);
    insta::assert_snapshot!("requires_cycle", redact(&run.stderr, &ws));
    assert_eq!(ws.run(&["check"]).code, 2);
    // A service that requires itself is a cycle of one.
    requiring(&ws, &shop, &[("cart", &["cart"])]);
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cycle: cart → cart"), "{}", run.stderr);
    assert!(run.stderr.contains("snapshots/s1.kdl:3:"), "{}", run.stderr);
    // Two services in a cycle and one that only requires them: the message
    // names the cycle's members, not the service outside it.
    requiring(
        &ws,
        &shop,
        &[
            ("cart", &["taxe"]),
            ("taxe", &["cart"]),
            ("tower", &["cart"]),
        ],
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cycle: cart → taxe → cart;"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("`tower` requires"), "{}", run.stderr);
    // A chain is no cycle.
    requiring(
        &ws,
        &shop,
        &[("cart", &["taxe"]), ("tower", &["cart", "taxe"])],
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

fn yaml_documents(text: &str) -> Vec<serde_json::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|doc| serde_json::Value::deserialize(doc).expect("YAML"))
        .collect()
}

/// The agents' published CRDs (tests/crds/README.md), as snapset's own
/// structural-schema checker reads them.
fn agent_schemas(files: &[&str]) -> snapset::render::schema::Schemas {
    let source = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/crds"));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("crds")).unwrap();
    for file in files {
        std::fs::copy(source.join(file), tmp.path().join("crds").join(file)).unwrap();
    }
    let mut sources = snapset::error::sources::Sources::default();
    snapset::render::schema::Schemas::load(tmp.path(), &mut sources).expect("the CRDs load")
}

const ARGOCD: &str = "agent \"argocd\" repo=\"https://git.example.com/shop/deploy.git\" path-prefix=\"out\" project=\"default\" namespace=\"argocd\"\n";
const FLUX: &str = "agent \"flux\" source=\"GitRepository/flux-system/shop\" namespace=\"flux-system\" interval=\"5m\"\n";

/// The fleet with an agent, taxe ← cart ← tower in `requires`.
fn with_agent(agent: &str) -> TestWorkspace {
    let (ws, shop) = fleet();
    ws.write("snapset.kdl", &format!("{}{agent}", ws.read("snapset.kdl")));
    requiring(&ws, &shop, &[("cart", &["taxe"]), ("tower", &["cart"])]);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("rendered 2 environments"),
        "{}",
        run.stdout
    );
    ws
}

/// Every document of every file under `out/<folder>/`, with its file.
fn documents_under(ws: &TestWorkspace, folder: &str) -> Vec<(String, serde_json::Value)> {
    ws.tree(&format!("out/{folder}"))
        .into_iter()
        .filter(|(k, _)| k.ends_with(".yaml"))
        .flat_map(|(k, v)| {
            yaml_documents(&String::from_utf8(v).unwrap())
                .into_iter()
                .map(move |d| (k.clone(), d))
        })
        .collect()
}

#[test]
fn argocd_gets_an_application_per_environment_and_cluster() {
    let ws = with_agent(ARGOCD);
    let files: Vec<String> = ws.tree("out/_agent").into_keys().collect();
    assert_eq!(
        files,
        [
            "dev.yaml",
            "kustomization.yaml",
            "prod-eu-1.yaml",
            "prod-us-1.yaml"
        ]
    );
    let schemas = agent_schemas(&["argocd-application.yaml"]);
    let mut seen = Vec::new();
    for (file, doc) in documents_under(&ws, "_agent") {
        if file == "kustomization.yaml" {
            assert_eq!(doc["resources"].as_array().unwrap().len(), 3);
            continue;
        }
        assert_eq!(doc["kind"], "Application");
        if let Err(problem) = schemas.check(&doc) {
            panic!("{file}: {}", problem.detail);
        }
        seen.push((
            doc["metadata"]["name"].as_str().unwrap().to_string(),
            doc["spec"]["destination"]["name"]
                .as_str()
                .unwrap()
                .to_string(),
            doc["spec"]["source"]["path"].as_str().unwrap().to_string(),
        ));
        assert_eq!(doc["metadata"]["namespace"], "argocd");
        assert_eq!(doc["spec"]["project"], "default");
        assert_eq!(
            doc["spec"]["source"]["repoURL"],
            "https://git.example.com/shop/deploy.git"
        );
    }
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        seen,
        [
            s("dev", "in-cluster", "out/dev"),
            s("prod-eu-1", "eu-1", "out/prod/eu-1"),
            s("prod-us-1", "us-1", "out/prod/us-1"),
        ]
    );
    // The checker is no no-op for this kind.
    let mut bad = documents_under(&ws, "_agent").remove(0).1;
    bad["spec"]["destination"]["name"] = serde_json::json!(3);
    assert!(schemas.check(&bad).is_err());
    insta::assert_snapshot!("argocd_application", ws.read("out/_agent/prod-eu-1.yaml"));
}

/// Each service's wave: `requires` said taxe ← cart ← tower.
#[test]
fn argocd_sync_waves_follow_the_requires_chain() {
    let ws = with_agent(ARGOCD);
    for folder in ["dev", "prod/eu-1", "prod/us-1"] {
        let docs = documents_under(&ws, folder);
        let mut objects = 0;
        for (file, doc) in docs {
            let Some((service, _)) = file.split_once('/') else {
                // Environment scope: no service, no wave.
                continue;
            };
            let want = match service {
                "taxe" => "0",
                "cart" => "1",
                "tower" => "2",
                other => panic!("{other}"),
            };
            if file.ends_with("kustomization.yaml") {
                continue;
            }
            objects += 1;
            assert_eq!(
                doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"], want,
                "{folder}/{file}"
            );
        }
        assert!(objects >= 6, "{folder}: {objects}");
    }
    // Without an agent, no wave is written.
    let (plain, _) = fleet();
    assert_eq!(plain.run(&["render"]).code, 0);
    assert!(
        !plain
            .read("out/dev/cart/deployment.yaml")
            .contains("sync-wave")
    );
    assert!(!plain.path("out/_agent").exists());
}

#[test]
fn flux_gets_a_kustomization_per_service_with_depends_on() {
    let ws = with_agent(FLUX);
    let schemas = agent_schemas(&["flux-kustomization.yaml"]);
    let mut names = Vec::new();
    for (file, doc) in documents_under(&ws, "_agent") {
        if file == "kustomization.yaml" {
            continue;
        }
        if let Err(problem) = schemas.check(&doc) {
            panic!("{file}: {}", problem.detail);
        }
        let name = doc["metadata"]["name"].as_str().unwrap().to_string();
        let spec = &doc["spec"];
        assert_eq!(spec["sourceRef"]["kind"], "GitRepository");
        assert_eq!(spec["sourceRef"]["name"], "shop");
        assert_eq!(spec["interval"], "5m");
        match name.strip_prefix("prod-") {
            Some(rest) => {
                let cluster = &rest[..4];
                assert_eq!(
                    spec["kubeConfig"]["secretRef"]["name"],
                    format!("{cluster}-kubeconfig"),
                    "{name}"
                );
            }
            None => assert!(spec.get("kubeConfig").is_none(), "{name}"),
        }
        // Each path is a folder that builds on its own.
        let path = spec["path"].as_str().unwrap().strip_prefix("./").unwrap();
        assert!(ws.path(path).join("kustomization.yaml").is_file(), "{path}");
        names.push(name);
    }
    assert_eq!(
        names,
        [
            "dev",
            "dev-cart",
            "dev-taxe",
            "dev-tower",
            "prod-eu-1",
            "prod-eu-1-cart",
            "prod-eu-1-taxe",
            "prod-eu-1-tower",
            "prod-us-1",
            "prod-us-1-cart",
            "prod-us-1-taxe",
            "prod-us-1-tower"
        ]
    );
    insta::assert_snapshot!("flux_kustomizations", ws.read("out/_agent/prod-eu-1.yaml"));
    // A service folder lists its own files; the environment's, only its
    // environment-scope objects, so nothing is applied twice.
    let service = ws.read("out/prod/eu-1/cart/kustomization.yaml");
    assert!(service.contains("\"deployment.yaml\""), "{service}");
    let env = ws.read("out/prod/eu-1/kustomization.yaml");
    assert!(!env.contains("cart/"), "{env}");
    assert!(
        !ws.read("out/dev/cart/deployment.yaml")
            .contains("sync-wave")
    );
}

/// The order the agent will roll out in, read back from what it reads, is
/// a topological order of `requires`: every service after those it requires.
#[test]
fn the_agents_order_is_a_topological_order_of_requires() {
    let requires = [("cart", "taxe"), ("tower", "cart")];
    // Argo CD: waves.
    let ws = with_agent(ARGOCD);
    let mut wave = std::collections::BTreeMap::new();
    for (file, doc) in documents_under(&ws, "prod/us-1") {
        if let Some((service, _)) = file.split_once('/')
            && !file.ends_with("kustomization.yaml")
        {
            let w: u32 = doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(*wave.entry(service.to_string()).or_insert(w), w, "{file}");
        }
    }
    for (service, required) in requires {
        assert!(wave[service] > wave[required], "{wave:?}");
    }
    // Flux: a topological sort of the dependsOn graph.
    let ws = with_agent(FLUX);
    let mut depends: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (_, doc) in documents_under(&ws, "_agent") {
        let Some(name) = doc["metadata"]["name"].as_str() else {
            continue;
        };
        let on = doc["spec"]["dependsOn"].as_array().map_or(Vec::new(), |d| {
            d.iter()
                .map(|n| n["name"].as_str().unwrap().to_string())
                .collect()
        });
        depends.insert(name.to_string(), on);
    }
    let mut order: Vec<String> = Vec::new();
    while order.len() < depends.len() {
        let ready: Vec<String> = depends
            .iter()
            .filter(|(n, on)| !order.contains(n) && on.iter().all(|d| order.contains(d)))
            .map(|(n, _)| n.clone())
            .collect();
        assert!(
            !ready.is_empty(),
            "dependsOn has a cycle or a dangling name: {depends:?}"
        );
        order.extend(ready);
    }
    let at = |n: &str| order.iter().position(|o| o == n).unwrap();
    for prefix in ["dev", "prod-eu-1", "prod-us-1"] {
        for (service, required) in requires {
            assert!(
                at(&format!("{prefix}-{service}")) > at(&format!("{prefix}-{required}")),
                "{order:?}"
            );
        }
        assert!(at(&format!("{prefix}-taxe")) > at(prefix));
    }
}

#[test]
fn render_check_and_diff_cover_the_agents_folder() {
    let ws = with_agent(ARGOCD);
    assert_eq!(
        ws.run(&["render", "--check"]).stdout,
        "out/ is up to date\n"
    );
    // A hand edit of a generated object is seen and undone.
    let file = "out/_agent/prod-us-1.yaml";
    ws.write(file, &ws.read(file).replace("us-1", "us-2"));
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("would change out/_agent/prod-us-1.yaml"),
        "{}",
        check.stdout
    );
    let diff = ws.run(&["diff"]);
    assert_eq!(diff.code, 1);
    assert!(
        diff.stdout.contains("+++ b/out/_agent/prod-us-1.yaml"),
        "{}",
        diff.stdout
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.run(&["diff"]).code, 0);
    // A new cluster gets its Application.
    ws.write(
        "snapset.kdl",
        &ws.read("snapset.kdl").replace(
            "    cluster \"us-1\" varset=\"prod-us\"\n",
            "    cluster \"us-1\" varset=\"prod-us\"\n    cluster \"ap-1\" varset=\"prod-us\"\n",
        ),
    );
    let diff = ws.run(&["diff", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    let agent = doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "_agent")
        .unwrap();
    let added: Vec<&str> = agent["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["kustomization.yaml", "prod-ap-1.yaml"]);
    assert_eq!(doc["summary"]["environments"], 2);
    // Without the agent, its folder goes.
    ws.write("snapset.kdl", &ws.read("snapset.kdl").replace(ARGOCD, ""));
    let check = ws.run(&["render", "--check"]);
    assert!(
        check.stdout.contains("would remove out/_agent/dev.yaml"),
        "{}",
        check.stdout
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/_agent").exists());
}

#[test]
fn a_wrong_agent_is_an_error_at_its_line() {
    for (agent, message) in [
        (
            "agent \"spinnaker\" repo=\"x\"\n",
            "unknown agent `spinnaker`",
        ),
        (
            "agent \"argocd\" project=\"default\"\n",
            "needs the property `repo=`",
        ),
        (
            "agent \"argocd\" repo=\"https://x\" namespace=\"Argo CD\"\n",
            "namespace name `Argo CD`",
        ),
        (
            "agent \"argocd\" repo=\"https://x\" path-prefix=\"../out\"\n",
            "`path-prefix=`",
        ),
        ("agent \"flux\" source=\"GitRepo/shop\"\n", "`source=`"),
        (
            "agent \"flux\" source=\"GitRepository/shop\" interval=\"5 minutes\"\n",
            "`interval=`",
        ),
        (&format!("{ARGOCD}{FLUX}"), "duplicate agent"),
    ] {
        let stderr = broken(|ws| {
            ws.write("snapset.kdl", &format!("{}{agent}", ws.read("snapset.kdl")));
        });
        assert!(stderr.contains(message), "{agent}: {stderr}");
        assert!(stderr.contains("snapset.kdl:1"), "{agent}: {stderr}");
    }
}

#[test]
fn two_folders_one_agent_name_is_an_error() {
    let stderr = broken(|ws| {
        ws.write(
            "snapset.kdl",
            &format!(
                "{}environment \"prod-eu-1\" snapshot=\"s1\" varset=\"prod\"\n{ARGOCD}",
                ws.read("snapset.kdl")
            ),
        );
    });
    insta::assert_snapshot!("agent_name_clash", stderr);
}

#[test]
fn a_requires_cycle_is_refused_with_an_agent_too() {
    let ws = with_agent(FLUX);
    let before = ws.tree("out");
    let s1 = ws.read("snapshots/s1.kdl");
    // taxe requires tower, which requires cart, which requires taxe.
    let commit = |service: &str| {
        let line = s1
            .lines()
            .find(|l| l.contains(&format!("service \"{service}\"")))
            .unwrap();
        line.split("commit=\"").nth(1).unwrap()[..10].to_string()
    };
    let cyclic = s1.replace(
        &format!("    service \"taxe\" commit=\"{}\"\n", commit("taxe")),
        &format!(
            "    service \"taxe\" commit=\"{}\" {{\n        requires \"tower\" since=\"{}\"\n    }}\n",
            commit("taxe"),
            commit("tower")
        ),
    );
    assert_ne!(cyclic, s1);
    ws.write("snapshots/s1.kdl", &cyclic);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cart → taxe → tower → cart"),
        "{}",
        run.stderr
    );
    assert_eq!(ws.tree("out"), before);
}

/// What `kubectl get deploy -o json` would answer on a cluster that runs
/// the cluster's rendered Deployments, with cart at `cart` instead.
fn live_of(ws: &TestWorkspace, folder: &str, cart: Option<&str>) -> String {
    let mut items = Vec::new();
    for (file, mut doc) in documents_under(ws, folder) {
        if !file.ends_with("deployment.yaml") {
            continue;
        }
        if let (Some(commit), true) = (cart, file.starts_with("cart/")) {
            doc["metadata"]["annotations"]["snapset.dev/commit"] = serde_json::json!(commit);
        }
        items.push(doc);
    }
    serde_json::to_string(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
        .unwrap()
}

#[test]
fn status_compares_each_cluster_with_its_own_answer() {
    let (ws, shop) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write("eu.json", &live_of(&ws, "prod/eu-1", None));
    ws.write("us.json", &live_of(&ws, "prod/us-1", Some(&shop.cart2)));
    let both = [
        "status",
        "--env",
        "prod",
        "--live",
        "eu-1=eu.json",
        "--live",
        "us-1=us.json",
    ];
    let run = ws.run(&[&both[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let states: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cluster"].as_str().unwrap().to_string(),
                r["service"].as_str().unwrap().to_string(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |c: &str, sv: &str, st: &str| (c.to_string(), sv.to_string(), st.to_string());
    assert_eq!(
        states,
        [
            s("eu-1", "cart", "same"),
            s("eu-1", "taxe", "same"),
            s("eu-1", "tower", "same"),
            s("us-1", "cart", "live-newer"),
            s("us-1", "taxe", "same"),
            s("us-1", "tower", "same"),
        ]
    );
    // One cluster alone, as a table titled with it.
    let run = ws.run(&["status", "--env", "prod", "--live", "eu-1=eu.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("prod/eu-1: snapshot s1 against 3 workloads of eu.json"),
        "{}",
        run.stdout
    );
    // Each cluster against its own rendered objects: eu-1's answer given as
    // us-1's differs where the clusters' varsets do (cart's replicas).
    let table = ws.run(&["status", "--env", "prod", "--live", "us-1=eu.json"]);
    assert_eq!(
        table.code, 0,
        "workloads compare by commit: {}",
        table.stdout
    );
    // An environment without clusters keeps its one plain FILE; json rows
    // carry no cluster.
    ws.write("dev.json", &live_of(&ws, "dev", None));
    let dev = ws.run(&[
        "status", "--env", "dev", "--live", "dev.json", "--format", "json",
    ]);
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    assert!(!dev.stdout.contains("\"cluster\""), "{}", dev.stdout);
}

#[test]
fn status_of_an_environment_on_clusters_needs_the_cluster() {
    let (ws, _) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write("eu.json", &live_of(&ws, "prod/eu-1", None));
    let plain = ws.run(&["status", "--env", "prod", "--live", "eu.json"]);
    assert_eq!(plain.code, 2);
    assert!(
        plain
            .stderr
            .contains("runs on clusters eu-1, us-1: say which"),
        "{}",
        plain.stderr
    );
    let unknown = ws.run(&["status", "--env", "prod", "--live", "eu-2=eu.json"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown cluster `eu-2`"),
        "{}",
        unknown.stderr
    );
    let twice = ws.run(&[
        "status",
        "--env",
        "prod",
        "--live",
        "eu-1=eu.json",
        "--live",
        "eu-1=eu.json",
    ]);
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("given twice"), "{}", twice.stderr);
    let two = ws.run(&[
        "status", "--env", "dev", "--live", "eu.json", "--live", "eu.json",
    ]);
    assert_eq!(two.code, 2);
}

#[test]
fn the_release_page_has_a_column_per_cluster() {
    let (ws, shop) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write("us.json", &live_of(&ws, "prod/us-1", Some(&shop.cart2)));
    let run = ws.run(&["report", "--live", "prod/us-1=us.json", "-o", "page.html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("× 3 environments"), "{}", run.stdout);
    let html = ws.read("page.html");
    assert!(html.contains("prod/eu-1") && html.contains("prod/us-1"));
    assert!(html.contains("us.json"));
    // Which cluster must be said.
    let vague = ws.run(&["report", "--live", "prod=us.json", "-o", "page.html"]);
    assert_eq!(vague.code, 2);
    assert!(vague.stderr.contains("say which"), "{}", vague.stderr);
    let unknown = ws.run(&["report", "--live", "prod/ap-1=us.json", "-o", "page.html"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown cluster `ap-1`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn diff_says_which_cluster_a_value_changed_in() {
    let (ws, _) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    // us-1 alone: said per cluster.
    ws.write(
        "varsets/prod-us.kdl",
        "varset \"prod-us\" {\n    extends \"regions\"\n    vars {\n        replicas 5\n    }\n    env {\n        REGION \"us\"\n    }\n}\n",
    );
    // Every cluster alike (prod's own varset): said once.
    ws.write(
        "varsets/prod.kdl",
        &ws.read("varsets/prod.kdl").replace(
            "    namespace \"shop-prod\"\n",
            "    namespace \"shop-prod\"\n    env {\n        TIER \"gold\"\n    }\n",
        ),
    );
    let run = ws.run(&["diff"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let summary: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("=== prod"))
        .take_while(|l| !l.starts_with("--- "))
        .filter(|l| l.trim_start().starts_with('~'))
        .collect();
    assert_eq!(
        summary,
        [
            "  ~ cart (us-1): var replicas 4 → 5",
            "  ~ cart: env TIER (unset) → \"gold\"",
            "  ~ taxe (us-1): var replicas 3 → 5",
            "  ~ taxe: env TIER (unset) → \"gold\"",
            "  ~ tower (us-1): var replicas 3 → 5",
            "  ~ tower: env TIER (unset) → \"gold\"",
        ],
        "{}",
        run.stdout
    );
    let json = ws.run(&["diff", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let cart = &doc["environments"][1]["services"][0];
    assert_eq!(cart["name"], "cart");
    assert_eq!(cart["vars"][0]["cluster"], "us-1");
    assert!(cart["env"][0].get("cluster").is_none(), "{cart}");
}

#[test]
fn changelog_reads_the_clusters_snapshot() {
    let (ws, shop) = fleet();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write(
        "snapshots/s1.kdl",
        &ws.read("snapshots/s1.kdl")
            .replace(&shop.cart1[..10], &shop.cart2[..10]),
    );
    let run = ws.run(&["changelog", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("prod: out/prod/eu-1 (snapshot s1) → snapshot s1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("cart: compute taxes through taxe"),
        "{}",
        run.stdout
    );
}

/// Two clusters of one environment that render the same objects share one
/// entry of the policies' cache: cached runs judge both as the first run
/// did.
#[test]
fn the_policies_judge_every_cluster_alike_from_the_cache() {
    let (ws, _) = TestWorkspace::shop();
    with_clusters(
        &ws,
        "    cluster \"eu-1\" varset=\"prod-eu\"\n    cluster \"us-1\" varset=\"prod-us\"\n",
    );
    ws.write("varsets/prod-eu.kdl", "varset \"prod-eu\" {\n}\n");
    ws.write("varsets/prod-us.kdl", "varset \"prod-us\" {\n}\n");
    ws.write(
        "policies/replicas.rego",
        "package main\n\ndeny contains sprintf(\"%s runs %d replicas\", [input.metadata.name, input.spec.replicas]) if {\n  input.kind == \"Deployment\"\n  input.spec.replicas < 5\n}\n",
    );
    let first = ws.run(&["check"]);
    assert_eq!(first.code, 2, "{}", first.stderr);
    let flat = first.stderr.replace("\n  │ ", " ");
    assert!(
        flat.contains("in environment `prod`: cart runs 3 replicas"),
        "{}",
        first.stderr
    );
    for _ in 0..2 {
        let again = ws.run(&["check"]);
        assert_eq!(again.code, 2);
        assert_eq!(again.stderr, first.stderr);
    }
}
