//! Canary and A/B tracks, Istio objects, feature flags and `requires`.

use crate::common;

use common::workspace::{Shop, TestWorkspace, redact};

fn with_snapshot(body: impl FnOnce(&Shop) -> String) -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!("snapshot \"s1\" {{\n{}}}\n", body(&shop)),
    );
    (ws, shop)
}

fn failing(body: impl FnOnce(&Shop) -> String) -> String {
    let (ws, _) = with_snapshot(body);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(ws.tree("out").is_empty(), "a failed render writes nothing");
    redact(&run.stderr, &ws)
}

fn three_tracks(shop: &Shop) -> String {
    format!(
        "    service \"cart\" commit=\"{}\" {{\n        feature \"tax-call\" true\n        requires \"taxe\" since=\"{}\"\n    }}\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=90\n        track \"canary\" commit=\"{}\" weight=10 replicas=1\n        track \"beta\" commit=\"{}\" header=\"x-beta\" value=\"1\"\n    }}\n",
        &shop.cart2[..10],
        &shop.taxe1[..10],
        &shop.taxe2[..10],
        &shop.tower1[..10],
        &shop.tower2[..10],
        &shop.tower2[..10]
    )
}

#[test]
fn three_tracks_render_deployments_and_istio_objects() {
    let (ws, _) = with_snapshot(three_tracks);
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files: Vec<String> = ws.tree("out/prod").into_keys().collect();
    assert_eq!(
        files,
        [
            "cart/deployment.yaml",
            "cart/service.yaml",
            "kustomization.yaml",
            "snapshot.json",
            "taxe/deployment.yaml",
            "taxe/service.yaml",
            "tower/deployment-beta.yaml",
            "tower/deployment-canary.yaml",
            "tower/deployment-stable.yaml",
            "tower/destinationrule.yaml",
            "tower/service.yaml",
            "tower/virtualservice.yaml",
        ]
    );
    let tower: String = [
        "deployment-canary.yaml",
        "destinationrule.yaml",
        "virtualservice.yaml",
        "service.yaml",
    ]
    .iter()
    .map(|f| format!("=== {f}\n{}", ws.read(&format!("out/prod/tower/{f}"))))
    .collect();
    insta::assert_snapshot!(tower);
    // The varset's replicas (3) apply to tracks without their own.
    assert!(
        ws.read("out/prod/tower/deployment-stable.yaml")
            .contains("replicas: 3\n")
    );
    assert!(
        ws.read("out/prod/tower/deployment-canary.yaml")
            .contains("replicas: 1\n")
    );
    let cart = ws.read("out/prod/cart/deployment.yaml");
    assert!(
        cart.contains("- name: \"FEATURE_TAX_CALL\"\n              value: \"true\"\n"),
        "{cart}"
    );
}

#[test]
fn a_varset_switches_a_feature_off() {
    let (ws, _) = with_snapshot(three_tracks);
    ws.write(
        "varsets/prod.kdl",
        "varset \"prod\" {\n    extends \"base\"\n    service \"cart\" {\n        feature \"tax-call\" false\n    }\n}\n",
    );
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(
        ws.read("out/prod/cart/deployment.yaml")
            .contains("value: \"false\"")
    );
    assert!(
        ws.read("out/dev/cart/deployment.yaml")
            .contains("value: \"true\"")
    );
}

#[test]
fn weights_must_sum_to_100() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=90\n        track \"canary\" commit=\"{}\" weight=20\n    }}\n",
        &shop.tower1[..10],
        &shop.tower2[..10]
    )));
}

#[test]
fn weight_out_of_range() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=150\n        track \"canary\" commit=\"{}\" weight=-50\n    }}\n",
        &shop.tower1[..10],
        &shop.tower2[..10]
    )));
}

#[test]
fn header_track_takes_no_weight() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"stable\" commit=\"{}\"\n        track \"beta\" commit=\"{}\" header=\"x-beta\" value=\"1\" weight=10\n    }}\n",
        &shop.tower1[..10],
        &shop.tower2[..10]
    )));
}

#[test]
fn at_least_one_track_without_header() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"beta\" commit=\"{}\" header=\"x-beta\" value=\"1\"\n    }}\n",
        &shop.tower2[..10]
    )));
}

#[test]
fn duplicate_track_names() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=50\n        track \"stable\" commit=\"{}\" weight=50\n    }}\n",
        &shop.tower1[..10],
        &shop.tower2[..10]
    )));
}

#[test]
fn track_names_are_dns_labels() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"tower\" {{\n        track \"Stable\" commit=\"{}\" weight=50\n        track \"canary\" commit=\"{}\" weight=50\n    }}\n",
        &shop.tower1[..10],
        &shop.tower2[..10]
    )));
}

#[test]
fn requires_unmet_in_the_commit_graph() {
    // cart needs taxe at taxe2 or newer, but the snapshot ships taxe1.
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"cart\" commit=\"{}\" {{\n        requires \"taxe\" since=\"{}\"\n    }}\n    service \"taxe\" commit=\"{}\"\n",
        &shop.cart2[..10],
        &shop.taxe2[..10],
        &shop.taxe1[..10]
    )));
}

#[test]
fn requires_a_service_of_the_snapshot() {
    insta::assert_snapshot!(failing(|shop| format!(
        "    service \"cart\" commit=\"{}\" {{\n        requires \"taxe\" since=\"{}\"\n    }}\n",
        &shop.cart2[..10],
        &shop.taxe1[..10]
    )));
}

#[test]
fn requires_holds_on_a_descendant_from_another_branch() {
    // taxe is pinned on a side branch that contains the required commit.
    let (mut ws, shop) = TestWorkspace::shop();
    ws.git.branch("side", &shop.taxe2);
    ws.git.checkout_branch("side");
    let side = ws.git.commit(
        "taxe: side fix",
        &[("services/taxe/main.go", "package taxe // side\n")],
    );
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\" {{\n        requires \"taxe\" since=\"{}\"\n    }}\n    service \"taxe\" commit=\"{}\"\n}}\n",
            &shop.cart2[..10],
            &shop.taxe1[..10],
            &side[..12]
        ),
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// tower's canary turns a feature on, logs at debug and runs one replica:
/// values of its own block, layered over the service's.
fn canary_block(shop: &Shop) -> String {
    format!(
        "    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" {{\n        track \"stable\" commit=\"{}\" weight=90\n        track \"canary\" commit=\"{}\" weight=10 {{\n            feature \"new-routing\" true\n            env {{\n                LOG_LEVEL \"debug\"\n            }}\n            vars {{\n                replicas 1\n            }}\n        }}\n    }}\n",
        &shop.cart1[..10],
        &shop.taxe1[..10],
        &shop.tower1[..10],
        &shop.tower2[..10]
    )
}

#[test]
fn a_track_block_sets_features_env_and_vars_for_that_track_alone() {
    let (ws, _) = with_snapshot(canary_block);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let canary = ws.read("out/prod/tower/deployment-canary.yaml");
    let stable = ws.read("out/prod/tower/deployment-stable.yaml");
    for (text, on) in [(&canary, true), (&stable, false)] {
        assert_eq!(
            text.contains("- name: \"FEATURE_NEW_ROUTING\"\n              value: \"true\"\n"),
            on,
            "{text}"
        );
        assert_eq!(
            text.contains("- name: \"LOG_LEVEL\"\n              value: \"debug\"\n"),
            on,
            "{text}"
        );
    }
    // The track's `replicas` beats prod's 3; the stable track keeps 3.
    assert!(canary.contains("replicas: 1\n"), "{canary}");
    assert!(stable.contains("replicas: 3\n"), "{stable}");
    // snapshot.json: the canary carries its own values, the stable track none.
    let json: serde_json::Value = serde_json::from_str(&ws.read("out/prod/snapshot.json")).unwrap();
    let tower = &json["services"][2];
    assert_eq!(tower["name"], "tower");
    assert_eq!(tower["tracks"][1]["features"]["new-routing"], true);
    assert_eq!(tower["tracks"][1]["env"]["LOG_LEVEL"], "debug");
    assert_eq!(tower["tracks"][1]["vars"]["replicas"], 1);
    assert!(tower["tracks"][0].get("features").is_none(), "{tower}");
    assert_eq!(tower["features"], serde_json::json!({}));
    assert_eq!(tower["env"]["LOG_LEVEL"], "info");

    // explain shows the values per track, each with its file:line.
    let feature = ws.run(&["explain", "--env", "prod", "tower", "new-routing"]);
    let level = ws.run(&["explain", "--env", "prod", "tower", "LOG_LEVEL"]);
    let replicas = ws.run(&["explain", "--env", "prod", "tower", "replicas"]);
    insta::assert_snapshot!(
        "explain_a_track_block",
        format!("{}\n{}\n{}", feature.stdout, level.stdout, replicas.stdout)
    );

    // A varset's feature switch still has the last word, in every track.
    ws.write(
        "varsets/prod.kdl",
        &ws.read("varsets/prod.kdl").replace(
            "    vars {\n        replicas 3\n    }\n",
            "    vars {\n        replicas 3\n    }\n    service \"tower\" {\n        feature \"new-routing\" false\n    }\n",
        ),
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        ws.read("out/prod/tower/deployment-canary.yaml")
            .contains("- name: \"FEATURE_NEW_ROUTING\"\n              value: \"false\"\n")
    );

    // diff names the track whose own values change.
    let text = ws
        .read("snapshots/s1.kdl")
        .replace("LOG_LEVEL \"debug\"", "LOG_LEVEL \"trace\"");
    ws.write("snapshots/s1.kdl", &text);
    let diff = ws.run(&["diff", "--env", "dev"]);
    assert_eq!(diff.code, 1, "{}", diff.stderr);
    assert!(
        diff.stdout
            .contains("~ tower/canary: env LOG_LEVEL \"debug\" → \"trace\"\n"),
        "{}",
        diff.stdout
    );
    let markdown = ws.run(&["diff", "--env", "dev", "--format", "markdown"]);
    assert!(
        markdown
            .stdout
            .contains("- `tower/canary` env `LOG_LEVEL \"debug\" → \"trace\"`"),
        "{}",
        markdown.stdout
    );
    let json = ws.run(&["diff", "--env", "dev", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let tower = &json["environments"][0]["services"][0];
    assert_eq!(tower["env"][0]["track"], "canary", "{tower}");
}

#[test]
fn a_track_block_takes_only_feature_vars_and_env() {
    insta::assert_snapshot!(failing(|shop| {
        canary_block(shop).replace(
        "            feature \"new-routing\" true\n",
        "            feature \"new-routing\" true\n            requires \"taxe\" since=\"abc1234\"\n"
    )
    }));
}

#[test]
fn a_track_sets_replicas_once() {
    insta::assert_snapshot!(failing(
        |shop| canary_block(shop).replace("weight=10 {", "weight=10 replicas=2 {")
    ));
}

#[test]
fn a_header_name_must_be_lower_case() {
    insta::assert_snapshot!(failing(
        |shop| three_tracks(shop).replace("header=\"x-beta\"", "header=\"X-Beta\"")
    ));
}

/// A template's own VirtualService is held to the same rule.
#[test]
fn a_template_virtual_service_with_an_upper_case_header() {
    let (ws, _) = with_snapshot(three_tracks);
    ws.write(
        "templates/service/virtualservice.yaml.j2",
        &include_str!("../../src/render/templates/service/virtualservice.yaml.j2")
            .replace("            {{ track.header }}:", "            X-Beta:"),
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    insta::assert_snapshot!(redact(&run.stderr, &ws));
}
