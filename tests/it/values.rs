//! No value is lost silently, env vars keep their written order, and a
//! canary's traffic is its weight (DESIGN.md, "One environment, checked as
//! the cluster will run it"): unused var keys, `key:` nodes,
//! `--deny-warnings`, unpinned services, `$(NAME)` references, the canary's
//! replica count, the built-in VirtualService's gateways and the warnings
//! for traffic that bypasses a split.

use crate::common;

use common::workspace::{Shop, TestWorkspace};

/// The shop with prod's varset `body` (inside `varset "prod" { … }`, after
/// `extends "base"`).
fn with_prod(body: &str) -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "varsets/prod.kdl",
        &format!(
            "varset \"prod\" {{\n    extends \"base\"\n    namespace \"shop-prod\"\n{body}}}\n"
        ),
    );
    (ws, shop)
}

/// The shop with tower split into a `stable` and a `canary` track.
fn with_tower_tracks(ws: &TestWorkspace, shop: &Shop, tracks: &str) {
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\" commit=\"{}\"\n    service \"taxe\" commit=\"{}\"\n    service \"tower\" {{\n{tracks}    }}\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
        )
        .replace("STABLE", &shop.tower1[..10])
        .replace("CANARY", &shop.tower2[..10]),
    );
}

/// `text` with miette's line wrapping undone: every run of spaces, line
/// breaks and `│` margins as one space.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn yaml(ws: &TestWorkspace, rel: &str) -> serde_json::Value {
    serde_norway::from_str(&ws.read(rel)).expect("rendered YAML")
}

#[test]
fn a_key_no_template_reads_warns_at_its_line_with_the_key_it_is_close_to() {
    let (ws, _) = with_prod("    vars {\n        replicaz 3\n    }\n");
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("var `replicaz` is read by no template of environment `prod`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("varsets/prod.kdl:5:18"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `replicas`?"),
        "{}",
        run.stderr
    );
    // A key a template reads is no warning.
    ws.write(
        "templates/service/config.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ service.name ~ \"-config\" }}\ndata:\n  n: {{ vars.replicaz | string if \"replicaz\" in vars else \"none\" }}\n",
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("replicaz"), "{}", run.stderr);
}

#[test]
fn a_key_ending_in_a_colon_is_an_error_with_the_kdl_way() {
    let (ws, _) = with_prod("    vars {\n        replicas: 3\n    }\n");
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("`replicas:` ends in `:`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("write `replicas 3`"), "{}", run.stderr);
    assert!(
        run.stderr.contains("varsets/prod.kdl:5:9"),
        "{}",
        run.stderr
    );
    assert!(ws.tree("out").is_empty(), "a failed render writes nothing");
}

#[test]
fn deny_warnings_fails_check_and_render_which_then_writes_nothing() {
    let (ws, _) = with_prod("    vars {\n        replicaz 3\n    }\n");
    let check = ws.run(&["check", "--deny-warnings"]);
    assert_eq!(check.code, 2, "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("1 warning fails the run with --deny-warnings"),
        "{}",
        check.stderr
    );
    assert!(check.stderr.contains("replicaz"), "{}", check.stderr);
    let render = ws.run(&["render", "--deny-warnings"]);
    assert_eq!(render.code, 2, "{}", render.stderr);
    assert!(ws.tree("out").is_empty(), "a denied render writes nothing");
    // Without the flag, the same workspace renders.
    assert_eq!(ws.run(&["render"]).code, 0);
    assert!(!ws.tree("out").is_empty());
}

#[test]
fn an_unpinned_service_warns_and_bump_adds_its_pin() {
    let (ws, shop) = TestWorkspace::shop();
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{\n    service \"cart\"  commit=\"{}\"   // cart: first\n    service \"taxe\"  commit=\"{}\"   // taxe: first\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
        ),
    );
    let run = ws.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for env in ["dev", "prod"] {
        assert!(
            run.stderr.contains(&format!(
                "`tower` is not deployed in {env}: snapshot `s1` does not pin it"
            )),
            "{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("snapset.kdl:6:9"), "{}", run.stderr);
    let bump = ws.run(&["bump", "s1", "tower"]);
    assert_eq!(bump.code, 0, "{}", bump.stderr);
    assert_eq!(
        ws.read("snapshots/s1.kdl"),
        format!(
            "snapshot \"s1\" {{\n    service \"cart\"  commit=\"{}\"   // cart: first\n    service \"taxe\"  commit=\"{}\"   // taxe: first\n    service \"tower\" commit=\"{}\"   // tower: new routing\n}}\n",
            &shop.cart1[..10],
            &shop.taxe1[..10],
            &shop.tower2[..10],
        )
    );
    let run = ws.run(&["check", "--deny-warnings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn env_keeps_its_written_order() {
    let (ws, _) = with_prod(
        "    env {\n        ZONE \"eu\"\n        LOG_LEVEL \"warn\"\n        ADDR \"$(ZONE).shop\"\n    }\n",
    );
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = yaml(&ws, "out/prod/cart/deployment.yaml");
    let env = doc["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .clone();
    let names: Vec<&str> = env.iter().filter_map(|e| e["name"].as_str()).collect();
    // base's LOG_LEVEL keeps its place when prod overrides it.
    assert_eq!(names, ["LOG_LEVEL", "ZONE", "ADDR"]);
    assert_eq!(env[0]["value"], "warn");
}

#[test]
fn a_reference_to_no_variable_above_is_an_error_at_its_line() {
    let (ws, _) = with_prod(
        "    env {\n        ADDR \"$(ZONE).shop\"\n        ZONE \"eu\"\n        PRICE \"$$(NOT_A_REFERENCE) $(NOWHERE)\"\n    }\n",
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let stderr = flat(&run.stderr);
    assert!(
        stderr.contains(
            "container variable `ADDR` refers to `$(ZONE)`, which no container variable above it defines"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("varsets/prod.kdl:5:14"),
        "{}",
        run.stderr
    );
    assert!(stderr.contains("move `ZONE` above it"), "{}", run.stderr);
    assert!(stderr.contains("refers to `$(NOWHERE)`"), "{}", run.stderr);
    // `$$` writes a `$`: no reference.
    assert!(
        !stderr.contains("refers to `$(NOT_A_REFERENCE)`"),
        "{}",
        run.stderr
    );
    assert!(ws.tree("out").is_empty(), "a failed render writes nothing");
}

/// tower's Deployments' replicas in prod (replicas 3) for `tracks`.
fn tower_replicas(tracks: &str) -> (Option<i64>, Option<i64>) {
    let (ws, shop) = TestWorkspace::shop();
    with_tower_tracks(&ws, &shop, tracks);
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let count = |track: &str| {
        yaml(&ws, &format!("out/prod/tower/deployment-{track}.yaml"))["spec"]["replicas"].as_i64()
    };
    (count("stable"), count("canary"))
}

#[test]
fn a_canary_gets_its_share_of_the_replicas() {
    for (canary, expected) in [(10, (3, 1)), (50, (2, 2)), (90, (1, 3))] {
        let tracks = format!(
            "        track \"stable\" commit=\"STABLE\" weight={}\n        track \"canary\" commit=\"CANARY\" weight={canary}\n",
            100 - canary
        );
        assert_eq!(
            tower_replicas(&tracks),
            (Some(expected.0), Some(expected.1)),
            "canary weight {canary}"
        );
    }
    // `replicas=` is taken as written.
    let tracks = "        track \"stable\" commit=\"STABLE\" weight=90\n        track \"canary\" commit=\"CANARY\" weight=10 replicas=2\n";
    assert_eq!(tower_replicas(tracks), (Some(3), Some(2)));
}

#[test]
fn templates_see_the_canary_count_as_track_replicas() {
    let (ws, shop) = TestWorkspace::shop();
    with_tower_tracks(
        &ws,
        &shop,
        "        track \"stable\" commit=\"STABLE\" weight=80\n        track \"canary\" commit=\"CANARY\" weight=20\n",
    );
    ws.write(
        "templates/track/count.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ name ~ \"-count\" }}\ndata:\n  replicas: {{ track.replicas | string }}\n",
    );
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let count = |track: &str| {
        yaml(&ws, &format!("out/prod/tower/count-{track}.yaml"))["data"]["replicas"].clone()
    };
    assert_eq!(count("stable"), "3");
    assert_eq!(count("canary"), "1");
}

#[test]
fn the_built_in_virtual_service_binds_the_gateways_for_the_hosts() {
    let (ws, shop) = with_prod(
        "    service \"tower\" {\n        vars {\n            gateways \"istio-system/ingress\"\n            hosts \"tower.example.com\" \"www.tower.example.com\"\n        }\n    }\n",
    );
    with_tower_tracks(
        &ws,
        &shop,
        "        track \"stable\" commit=\"STABLE\" weight=90\n        track \"canary\" commit=\"CANARY\" weight=10\n",
    );
    let run = ws.run(&["render", "--deny-warnings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vs = yaml(&ws, "out/prod/tower/virtualservice.yaml");
    assert_eq!(
        vs["spec"]["gateways"],
        serde_json::json!(["mesh", "istio-system/ingress"])
    );
    assert_eq!(
        vs["spec"]["hosts"],
        serde_json::json!(["tower", "tower.example.com", "www.tower.example.com"])
    );
    // dev sets no gateway: the mesh alone, as before.
    let vs = yaml(&ws, "out/dev/tower/virtualservice.yaml");
    assert_eq!(vs["spec"].get("gateways"), None);
    assert_eq!(vs["spec"]["hosts"], serde_json::json!(["tower"]));
}

/// The shop with tower split 90/10 and an environment-scope template.
fn bypassed(template: &str) -> String {
    let (ws, shop) = TestWorkspace::shop();
    with_tower_tracks(
        &ws,
        &shop,
        "        track \"stable\" commit=\"STABLE\" weight=90\n        track \"canary\" commit=\"CANARY\" weight=10\n",
    );
    ws.write("templates/environment/edge.yaml.j2", template);
    let run = ws.run(&["check", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        ws.run(&["check", "--env", "prod", "--deny-warnings"]).code,
        2
    );
    flat(&run.stderr)
}

#[test]
fn a_route_without_subsets_to_a_split_service_warns() {
    let stderr = bypassed(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: edge\nspec:\n  hosts:\n    - shop.example.com\n  gateways:\n    - istio-system/ingress\n  http:\n    - route:\n        - destination:\n            host: tower\n    - route:\n        - destination:\n            host: cart\n",
    );
    assert!(
        stderr.contains(
            "traffic to `tower` in prod bypasses its split (stable 90% on 3 pods, canary 10% on 1 pod): VirtualService `edge` routes to host `tower` without a subset"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("templates/environment/edge.yaml.j2:13:13"),
        "{stderr}"
    );
    // cart has one track: nothing to bypass.
    assert!(!stderr.contains("`cart`"), "{stderr}");
}

#[test]
fn a_load_balancer_in_front_of_a_split_service_warns() {
    let stderr = bypassed(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: tower-public\nspec:\n  type: LoadBalancer\n  selector:\n    app: tower\n  ports:\n    - port: 80\n      targetPort: 9090\n",
    );
    assert!(
        stderr.contains(
            "traffic to `tower` in prod bypasses its split (stable 90% on 3 pods, canary 10% on 1 pod): Service `tower-public` of type LoadBalancer sends to its pods directly"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("templates/environment/edge.yaml.j2:6:3"),
        "{stderr}"
    );
}
