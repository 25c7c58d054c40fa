//! `snapset explain` through a three-level `extends` chain: the effective
//! value, the file:line that set it, and every value it overrode.

use crate::common;

use common::workspace::TestWorkspace;

/// The shop with an environment `stage` on the chain base → mid → leaf.
fn chain() -> TestWorkspace {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapset.kdl",
        &format!(
            "{}environment \"stage\" snapshot=\"s1\" varset=\"leaf\"\n",
            ws.read("snapset.kdl")
        ),
    );
    ws.write(
        "varsets/base.kdl",
        "varset \"base\" {
    vars {
        replicas 1
        cpu \"100m\"
        region \"eu\"
    }
    env {
        LOG_LEVEL \"info\"
    }
}
",
    );
    ws.write(
        "varsets/mid.kdl",
        "varset \"mid\" {
    extends \"base\"
    vars {
        replicas 2
    }
    service \"cart\" {
        vars {
            replicas 4
        }
        env {
            LOG_LEVEL \"debug\"
            region \"eu-west\"
        }
    }
}
",
    );
    ws.write(
        "varsets/leaf.kdl",
        "varset \"leaf\" {
    extends \"mid\"
    namespace \"shop-stage\"
    vars {
        replicas 3
    }
    service \"cart\" {
        vars {
            replicas 5
        }
        env {
            DB_PASSWORD secret=\"shop-db\" key=\"password\"
        }
        feature \"tax-call\" false
    }
    external {
        secret \"shop-db\"
    }
}
",
    );
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{
    service \"cart\" commit=\"{}\" {{
        feature \"tax-call\" true
    }}
    service \"taxe\" commit=\"{}\"
    service \"tower\" {{
        track \"stable\" commit=\"{}\" weight=90 replicas=2
        track \"canary\" commit=\"{}\" weight=10
    }}
}}
",
            &shop.cart2[..10],
            &shop.taxe2[..10],
            &shop.tower1[..10],
            &shop.tower2[..10]
        ),
    );
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    ws
}

fn explain(ws: &TestWorkspace, args: &[&str]) -> String {
    let mut all = vec!["explain", "--env", "stage"];
    all.extend_from_slice(args);
    let run = ws.run(&all);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[test]
fn explains_a_variable_through_three_varsets() {
    let ws = chain();
    insta::assert_snapshot!("replicas_text", explain(&ws, &["cart", "replicas"]));
    insta::assert_snapshot!(
        "replicas_json",
        explain(&ws, &["cart", "replicas", "--format", "json"])
    );
}

#[test]
fn explains_container_variables_features_and_the_namespace() {
    let ws = chain();
    let out = [
        explain(&ws, &["cart", "LOG_LEVEL"]),
        explain(&ws, &["cart", "DB_PASSWORD"]),
        explain(&ws, &["cart", "tax-call"]),
        // As the default template names it in the Deployment.
        explain(&ws, &["cart", "FEATURE_TAX_CALL"]),
        explain(&ws, &["taxe", "namespace"]),
        explain(&ws, &["taxe", "LOG_LEVEL"]),
    ]
    .join("---\n");
    insta::assert_snapshot!("env_feature_namespace", out);
    insta::assert_snapshot!(
        "feature_json",
        explain(&ws, &["cart", "tax-call", "--format", "json"])
    );
}

#[test]
fn a_key_in_two_maps_shows_both() {
    let ws = chain();
    insta::assert_snapshot!("region_text", explain(&ws, &["cart", "region"]));
    let json: serde_json::Value =
        serde_json::from_str(&explain(&ws, &["cart", "region", "--format", "json"])).unwrap();
    let kinds: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["var", "env"]);
}

#[test]
fn per_track_values_name_their_track() {
    let ws = chain();
    let out = [
        explain(&ws, &["tower", "replicas"]),
        explain(&ws, &["tower", "commit"]),
        explain(&ws, &["cart", "image"]),
    ]
    .join("---\n");
    insta::assert_snapshot!("tracks", out);
}

#[test]
fn unknown_names_exit_2_with_a_suggestion() {
    let ws = chain();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--env", "stage", "cart", "replica"],
            "did you mean `replicas`?",
        ),
        (
            &["--env", "stage", "crat", "replicas"],
            "unknown service `crat`",
        ),
        (
            &["--env", "stag", "cart", "replicas"],
            "did you mean `stage`?",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["explain"];
        all.extend_from_slice(args);
        let run = ws.run(&all);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
}
