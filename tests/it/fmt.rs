//! `snapset fmt`: one layout for every KDL file of a workspace, comments
//! kept, `out/` byte-identical before and after; `--check` for CI; a file
//! that does not read is an error and nothing is written.

use crate::common;

use common::workspace::TestWorkspace;

const CONFIG: &str = "repo \"../shop.git\"   // where the commits live\nimage \"registry.example.com/shop/{service}:{commit}\"\n\n\n\nservice \"cart\" path=\"services/cart\" port=8080\nservice   \"taxe\"  path=\"services/taxe\"  port=8080\nservice \"tower\" path=\"services/tower\" port=9090 ; environment \"dev\" snapshot=\"s1\" varset=\"dev\"\nenvironment \"prod\"  snapshot=r#\"s1\"# \\\n  varset=\"prod\"\n";

const CONFIG_FORMATTED: &str = "repo \"../shop.git\"   // where the commits live\nimage \"registry.example.com/shop/{service}:{commit}\"\n\nservice \"cart\"  path=\"services/cart\"  port=8080\nservice \"taxe\"  path=\"services/taxe\"  port=8080\nservice \"tower\" path=\"services/tower\" port=9090\nenvironment \"dev\"  snapshot=\"s1\"    varset=\"dev\"\nenvironment \"prod\" snapshot=r#\"s1\"# varset=\"prod\"\n";

fn messy(ws: &TestWorkspace, shop: &common::workspace::Shop) -> String {
    let snapshot = format!(
        "/* s1 /* nested */ */\nsnapshot \"s1\"{{\n  service \"cart\" commit=\"{}\"   /- replicas=2 // first\n\t\tservice \"taxe\" commit=\"{}\" {{ hotfix \"why \\\"not\\\"\"; }}\n/-service \"tower\" commit=\"x\"\n    service \"tower\" commit=\"{}\"\n\n}}",
        &shop.cart1[..10],
        &shop.taxe1[..10],
        &shop.tower1[..10]
    );
    ws.write("snapset.kdl", CONFIG);
    ws.write("snapshots/s1.kdl", &snapshot);
    snapshot
}

#[test]
fn fmt_lays_out_every_file_and_out_stays_byte_identical() {
    let (ws, shop) = TestWorkspace::shop();
    messy(&ws, &shop);
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    let out = ws.tree("out");

    let check = ws.run(&["fmt", "--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_eq!(check.stdout, "snapset.kdl\nsnapshots/s1.kdl\n");
    assert_eq!(ws.read("snapset.kdl"), CONFIG, "--check writes nothing");

    let run = ws.run(&["fmt"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "snapset.kdl\nsnapshots/s1.kdl\n");
    assert_eq!(ws.read("snapset.kdl"), CONFIG_FORMATTED);
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        format!(
            "/* s1 /* nested */ */\nsnapshot \"s1\" {{\n    service \"cart\" commit=\"{}\" /-replicas=2   // first\n    service \"taxe\" commit=\"{}\" {{\n        hotfix \"why \\\"not\\\"\"\n    }}\n    /-service \"tower\" commit=\"x\"\n    service \"tower\" commit=\"{}\"\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
            &shop.tower1[..10]
        )
    );
    // Untouched files stay as they were; out/ renders the same bytes.
    let render = ws.run(&["render", "--check"]);
    assert_eq!(render.code, 0, "{}{}", render.stdout, render.stderr);
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.tree("out"), out);

    let again = ws.run(&["fmt", "--check"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.stderr
    );
}

#[test]
fn fmt_of_a_file_that_does_not_read_is_exit_2_and_writes_nothing() {
    let (ws, shop) = TestWorkspace::shop();
    let snapshot = messy(&ws, &shop);
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    namespace \"shop-dev\n}\n",
    );
    for args in [&["fmt"][..], &["fmt", "--check"]] {
        let run = ws.run(args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("varsets/dev.kdl:2"), "{}", run.stderr);
        assert_eq!(ws.read("snapset.kdl"), CONFIG);
        assert_eq!(ws.read("snapshots/s1.kdl"), snapshot);
    }
}

/// `--kdl-version 2` converts every file to KDL 2.0 (marked), and back with
/// `--kdl-version 1`: the workspace means the same, out/ renders the same.
#[test]
fn fmt_converts_between_kdl_versions_and_out_stays_byte_identical() {
    let (ws, shop) = TestWorkspace::shop();
    messy(&ws, &shop);
    assert_eq!(ws.run(&["render"]).code, 0);
    let out = ws.tree("out");

    let run = ws.run(&["fmt", "--kdl-version", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let config = ws.read("snapset.kdl");
    assert!(config.starts_with("/- kdl-version 2\n"), "{config}");
    assert!(config.contains("snapshot=\"s1\""), "{config}");
    let varset = ws.read("varsets/dev.kdl");
    assert!(varset.starts_with("/- kdl-version 2\n"), "{varset}");
    let render = ws.run(&["render", "--check"]);
    assert_eq!(render.code, 0, "{}{}", render.stdout, render.stderr);
    assert_eq!(ws.run(&["fmt", "--check"]).code, 0);

    let run = ws.run(&["fmt", "--kdl-version", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ws.read("snapset.kdl").contains("kdl-version"));
    // The raw string comes back quoted, and the columns close up.
    assert_eq!(
        ws.read("snapset.kdl"),
        CONFIG_FORMATTED
            .replace("r#\"s1\"#", "\"s1\"")
            .replace("snapshot=\"s1\"    varset", "snapshot=\"s1\" varset")
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert_eq!(ws.tree("out"), out);

    let bad = ws.run(&["fmt", "--kdl-version", "3"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}
