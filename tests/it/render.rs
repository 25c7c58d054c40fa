//! `snapset render` and `snapset check` on fixture workspaces: the rendered
//! tree, determinism, and the all-or-nothing promise.

use crate::common;

use common::workspace::TestWorkspace;

#[test]
fn renders_the_shop_and_is_a_no_op_the_second_time() {
    let (ws, _) = TestWorkspace::shop();
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("shop_dev_tree", ws.tree_text("out/dev"));
    let before = std::fs::metadata(ws.path("out/dev/cart/deployment.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    let again = ws.run(&["render"]);
    assert_eq!(again.code, 0);
    assert!(again.stdout.contains("0 changed"), "{}", again.stdout);
    let after = std::fs::metadata(ws.path("out/dev/cart/deployment.yaml"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "an unchanged file must not be rewritten");
    assert_eq!(ws.run(&["render", "--check"]).code, 0);
}

/// `out/` is compared with the render as it is read: a file edited by hand
/// (longer, shorter, same length), a file deleted and a stray file each show,
/// and `render` puts back exactly the render.
#[test]
fn check_sees_every_kind_of_hand_edit_of_out() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let rendered = ws.tree("out");
    let service = ws.read("out/dev/cart/service.yaml");
    let flipped = service.replacen("Service", "Servicf", 1);
    ws.write("out/dev/cart/service.yaml", &flipped);
    ws.write(
        "out/dev/taxe/service.yaml",
        &(ws.read("out/dev/taxe/service.yaml") + "#"),
    );
    let tower = ws.read("out/dev/tower/service.yaml");
    ws.write("out/dev/tower/service.yaml", &tower[..tower.len() - 1]);
    ws.remove("out/prod/cart/deployment.yaml");
    ws.write("out/prod/cart/notes.txt", "by hand\n");
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_eq!(
        check.stdout,
        "would change out/dev/cart/service.yaml\n\
         would change out/dev/taxe/service.yaml\n\
         would change out/dev/tower/service.yaml\n\
         would add    out/prod/cart/deployment.yaml\n\
         would remove out/prod/cart/notes.txt\n"
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.tree("out"), rendered);
}

#[test]
fn same_bytes_when_the_input_files_are_reordered() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    extends \"base\"\n    namespace \"shop-prod\"\n    vars {\n        replicas 3\n        cpu \"250m\"\n    }\n    env {\n        B_VAR \"b\"\n        A_VAR \"a\"\n    }\n    service \"cart\" {\n        env {\n            Z \"z\"\n        }\n    }\n    service \"taxe\" {\n        vars {\n            memory \"64Mi\"\n        }\n    }\n}\n",
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    let first = ws.tree("out");
    // The same workspace with every list written in another order (but
    // the container variables': their order is the container's, because
    // `$(NAME)` sees only the names above it).
    let config = ws.read("snapset.kdl");
    let mut lines: Vec<&str> = config.lines().collect();
    lines.reverse();
    ws.write("snapset.kdl", &(lines.join("\n") + "\n"));
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    service \"taxe\" {\n        vars {\n            memory \"64Mi\"\n        }\n    }\n    service \"cart\" {\n        env {\n            Z \"z\"\n        }\n    }\n    env {\n        B_VAR \"b\"\n        A_VAR \"a\"\n    }\n    vars {\n        cpu \"250m\"\n        replicas 3\n    }\n    namespace \"shop-prod\"\n    extends \"base\"\n}\n",
    );
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"tower\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"cart\" commit=\"{}\"\n}}\n",
            shop.tower1, &shop.taxe1[..7], &shop.cart1[..12]
        ),
    );
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.tree("out"), first);
}

#[test]
fn a_value_with_a_newline_stays_one_string() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    env {\n        EVIL \"x\\nkind: Secret\"\n        COUNTRY \"no\"\n        SWITCH \"on\"\n        ZIP \"0123\"\n    }\n}\n",
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    let yaml = ws.read("out/dev/cart/deployment.yaml");
    assert!(yaml.contains("value: \"x\\nkind: Secret\""), "{yaml}");
    assert!(yaml.contains("value: \"no\""));
    assert!(yaml.contains("value: \"on\""));
    assert!(yaml.contains("value: \"0123\""));
    let doc: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    // In written order: the base's LOG_LEVEL, then dev's own.
    let env = &doc["spec"]["template"]["spec"]["containers"][0]["env"];
    assert_eq!(env[0]["name"], "LOG_LEVEL");
    assert_eq!(env[1]["value"], "x\nkind: Secret");
    assert_eq!(env[2]["name"], "COUNTRY");
}

#[test]
fn secrets_resources_and_probes_in_the_default_template() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    extends \"base\"\n    namespace \"shop-prod\"\n    service \"cart\" {\n        vars {\n            cpu \"500m\"\n            memory \"512Mi\"\n            readiness-path \"/ready\"\n            liveness-path \"/healthz\"\n        }\n        env {\n            DB_PASSWORD secret=\"shop-db\" key=\"password\"\n        }\n    }\n    external {\n        secret \"shop-db\"\n    }\n}\n",
    );
    assert_eq!(ws.run(&["render", "--env", "prod"]).code, 0);
    insta::assert_snapshot!(ws.read("out/prod/cart/deployment.yaml"));
}

#[test]
fn a_workspace_template_replaces_the_built_in_one() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "templates/service/service.yaml.j2",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ service.name }}\n  namespace: {{ environment.namespace }}\n  annotations:\n    owner: {{ vars.owner | default(\"shop\") }}\nspec:\n  type: ClusterIP\n  selector:\n    app: {{ service.name }}\n  ports:\n    - port: 80\n      targetPort: {{ service.port }}\n",
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    insta::assert_snapshot!(ws.read("out/dev/taxe/service.yaml"));
}

#[test]
fn services_that_leave_the_snapshot_lose_their_files() {
    let (ws, shop) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n}}\n",
            shop.cart1
        ),
    );
    let check = ws.run(&["render", "--check"]);
    assert_eq!(check.code, 1);
    insta::assert_snapshot!(check.stdout);
    assert_eq!(ws.run(&["render"]).code, 0);
    let files: Vec<String> = ws.tree("out/dev").into_keys().collect();
    assert_eq!(
        files,
        [
            "cart/deployment.yaml",
            "cart/service.yaml",
            "kustomization.yaml",
            "snapshot.json"
        ]
    );
}

#[test]
fn environments_removed_from_the_workspace_lose_their_folder() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let config = ws
        .read("snapset.kdl")
        .replace("environment \"prod\" snapshot=\"s1\" varset=\"prod\"\n", "");
    ws.write("snapset.kdl", &config);
    // Rendering one environment leaves the others alone.
    assert_eq!(ws.run(&["render", "--env", "dev"]).code, 0);
    assert!(ws.path("out/prod").is_dir());
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/prod").exists());
}

#[test]
fn a_stage_left_by_a_killed_render_is_ignored_and_replaced() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    let before = ws.tree("out/dev");
    // What a kill between writing the stage and the swap leaves behind.
    ws.write("out/.snapset-dev.new/cart/deployment.yaml", "half written");
    assert_eq!(ws.tree("out/dev"), before);
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev2\"\n}\n",
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.path("out/.snapset-dev.new").exists());
    assert!(
        ws.read("out/dev/cart/deployment.yaml")
            .contains("shop-dev2")
    );
}

#[test]
fn found_by_walking_up_from_a_subfolder() {
    let (ws, _) = TestWorkspace::shop();
    std::fs::create_dir_all(ws.path("snapshots/deep/er")).unwrap();
    let run = ws.run_in(&ws.path("snapshots/deep/er"), &["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "ok: 2 environments, 16 files\n");
}

#[test]
fn a_pin_that_touches_nothing_of_its_service_warns() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &shop.docs[..10],
            &shop.taxe1[..10],
            &shop.tower1[..10]
        ),
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(common::workspace::redact(&run.stderr, &ws));
    // The answer now comes from the cache: the same warning, from `check` too.
    assert!(ws.cache_file("touched").is_some());
    let again = ws.run(&["check"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stderr, run.stderr);
}

/// The untouched-path answers are kept in a cache outside the work tree,
/// one line per commit and path.
#[test]
fn the_untouched_check_remembers_its_answers() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n}}\n",
            shop.docs, shop.taxe2
        ),
    );
    assert_eq!(ws.run(&["check", "--env", "dev"]).code, 0);
    let cache = std::fs::read_to_string(ws.cache_file("touched").unwrap()).unwrap();
    let lines: Vec<&str> = cache.lines().filter(|l| !l.starts_with('#')).collect();
    let mut expected = vec![
        format!("{} 0 services/cart", shop.docs),
        format!("{} 1 services/taxe", shop.taxe2),
    ];
    expected.sort();
    assert_eq!(lines, expected);
    assert!(
        !ws.root.join(".snapset").exists(),
        "no cache in the work tree"
    );
    assert!(!ws.root.join("out").exists(), "check writes no out/");
}

/// A cache that cannot be read or written changes nothing but the time.
#[test]
fn a_broken_or_unwritable_cache_is_ignored() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n}}\n",
            shop.docs
        ),
    );
    let first = ws.run(&["check"]);
    assert!(first.stderr.contains("changes nothing"), "{}", first.stderr);
    // Garbage in the file: skipped, the answer found again.
    let cache = ws.cache_file("touched").unwrap();
    std::fs::write(&cache, "not a cache\n\u{0}\u{1}\n1234 1 services/cart\n").unwrap();
    let garbled = ws.run(&["check"]);
    assert_eq!((garbled.code, &garbled.stderr), (0, &first.stderr));
    // The cache folder a file, so nothing can be written under it.
    let folder = cache.parent().unwrap();
    std::fs::remove_dir_all(folder).unwrap();
    std::fs::write(folder, "in the way\n").unwrap();
    let unwritable = ws.run(&["check"]);
    assert_eq!((unwritable.code, &unwritable.stderr), (0, &first.stderr));
    assert_eq!(std::fs::read_to_string(folder).unwrap(), "in the way\n");
}

#[test]
fn kustomization_and_snapshot_json() {
    let (ws, _) = TestWorkspace::shop();
    assert_eq!(ws.run(&["render"]).code, 0);
    insta::assert_snapshot!(ws.read("out/prod/kustomization.yaml"));
    insta::assert_snapshot!(ws.read("out/prod/snapshot.json"));
}

#[test]
fn values_the_compiled_template_leaves_to_the_template_still_render() {
    // A float quantity goes through minijinja's `| string`.
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    vars {\n        cpu 0.5\n        memory 1024\n    }\n}\n",
    );
    let run = ws.run(&["render", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let yaml = ws.read("out/dev/cart/deployment.yaml");
    assert!(yaml.contains("cpu: \"0.5\""), "{yaml}");
    assert!(yaml.contains("memory: \"1024\""), "{yaml}");
}

#[test]
fn a_probe_period_that_is_not_a_number_is_refused() {
    let (ws, _) = TestWorkspace::shop();
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    vars {\n        readiness-path \"/ready\"\n        probe-period \"ten\"\n    }\n}\n",
    );
    let run = ws.run(&["render", "--env", "dev"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(common::workspace::redact(&run.stderr, &ws));
}

/// Counts say "1 environment", not "1 environments".
#[test]
fn one_environment_is_counted_in_the_singular() {
    let (ws, _) = TestWorkspace::shop();
    let run = ws.run(&["render", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "rendered 1 environment (8 files): 8 changed\n");
    let run = ws.run(&["check", "--env", "dev"]);
    assert_eq!(run.stdout, "ok: 1 environment, 8 files\n");
    let run = ws.run(&["diff", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("no changes: 1 environment (8 files)"),
        "{}",
        run.stdout
    );
}

/// One check, however it is written: each bad value gets the same verdict
/// (exit code and message, the template's name aside) from the compiled
/// built-in Deployment as from the same template as a workspace file, and
/// the message names the varset line. Before the fix, a structured
/// `resources` with `cpu "lots"` went through the compiled path unchecked.
#[test]
fn the_compiled_deployment_refuses_what_its_template_refuses() {
    const BUILT_IN: &str = include_str!("../../src/render/templates/track/deployment.yaml.j2");
    let bad: [(&str, &str); 7] = [
        (
            "structured-quantity",
            "resources {\n            requests {\n                cpu \"lots\"\n                memory \"256MB\"\n            }\n        }",
        ),
        (
            "structured-limit-below-request",
            "resources {\n            requests {\n                memory \"256Mi\"\n            }\n            limits {\n                memory \"128Mi\"\n            }\n        }",
        ),
        (
            "structured-resource-name",
            "resources {\n            requests {\n                cpuu \"1\"\n            }\n        }",
        ),
        ("flat-quantity", "cpu \"lots\""),
        ("flat-memory", "memory \"256MB\""),
        (
            "toleration-seconds",
            "tolerations {\n            - key=\"a\" operator=\"Exists\" tolerationSeconds=\"ten\"\n        }",
        ),
        (
            "probe-period",
            "readiness-path \"/ready\"\n        probe-period \"ten\"",
        ),
    ];
    let (ws, _) = TestWorkspace::shop();
    let mut messages = String::new();
    for (name, vars) in bad {
        ws.write(
            "varsets/dev.kdl",
            &format!(
                "varset \"dev\" {{\n    extends \"base\"\n    namespace \"shop-dev\"\n    vars {{\n        {vars}\n    }}\n}}\n"
            ),
        );
        let _ = std::fs::remove_file(ws.path("templates/track/deployment.yaml.j2"));
        let compiled = ws.run(&["check", "--env", "dev"]);
        ws.write("templates/track/deployment.yaml.j2", BUILT_IN);
        let templated = ws.run(&["check", "--env", "dev"]);
        assert_eq!(compiled.code, 2, "{name}: {}", compiled.stderr);
        assert_eq!(templated.code, 2, "{name}: {}", templated.stderr);
        // The template's name is longer by a few characters, so the
        // message wraps elsewhere: compared word by word.
        let words = |text: &str| {
            text.replace("<built-in>/track/", "templates/track/")
                .split_whitespace()
                .filter(|w| *w != "│")
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            words(&compiled.stderr),
            words(&templated.stderr),
            "{name}: the two paths disagree"
        );
        assert!(
            compiled.stderr.contains("varsets/dev.kdl:"),
            "{name}: {}",
            compiled.stderr
        );
        messages.push_str(&format!("## {name}\n{}\n", compiled.stderr));
    }
    insta::assert_snapshot!(common::workspace::redact(&messages, &ws));
}
