//! A realistic release: structured values (resources as a map, tolerations
//! as a list, `-` items, `null`), templates of every scope, a ConfigMap, a
//! PDB and an HPA per track where `vars.hpa` is set, a worker in a set of
//! its own rendering a CronJob and no Service, and `explain` and `diff`
//! naming values by dotted path.

use crate::common;

use common::workspace::{TestWorkspace, redact};

/// The shop plus a `mailer` worker (no port, the `worker` set), with the
/// varsets and templates a real team writes.
fn real() -> TestWorkspace {
    let (mut ws, shop) = TestWorkspace::shop();
    let mailer = ws.git.commit(
        "mailer: first",
        &[("services/mailer/main.go", "package mailer // 1\n")],
    );
    ws.write(
        "snapset.kdl",
        r#"repo "../shop.git"
image "registry.example.com/shop/{service}:{commit}"

service "cart"   path="services/cart"   port=8080
service "taxe"   path="services/taxe"   port=8080
service "tower"  path="services/tower"  port=9090
service "mailer" path="services/mailer" templates="worker"

environment "dev"  snapshot="s1" varset="dev"
environment "prod" snapshot="s1" varset="prod"
"#,
    );
    ws.write(
        "snapshots/s1.kdl",
        &format!(
            "snapshot \"s1\" {{
    service \"cart\" commit=\"{}\"
    service \"taxe\" commit=\"{}\"
    service \"mailer\" commit=\"{}\"
    service \"tower\" {{
        track \"stable\" commit=\"{}\" weight=90
        track \"canary\" commit=\"{}\" weight=10
    }}
}}
",
            &shop.cart1[..10],
            &shop.taxe1[..10],
            &mailer[..10],
            &shop.tower1[..10],
            &shop.tower2[..10],
        ),
    );
    ws.write(
        "varsets/base.kdl",
        r#"varset "base" {
    vars {
        replicas 1
        team "shop"
        resources {
            requests { cpu "100m"; memory "128Mi"; }
            limits { memory "256Mi"; }
        }
        tolerations {
            - key="dedicated" value="shop" effect="NoSchedule"
        }
        hosts "shop.example.com" "www.shop.example.com"
    }
    env {
        LOG_LEVEL "info"
    }
}
"#,
    );
    ws.write(
        "varsets/dev.kdl",
        "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev\"\n}\n",
    );
    ws.write(
        "varsets/prod.kdl",
        r#"varset "prod" {
    extends "base"
    namespace "shop-prod"
    vars {
        resources {
            requests { cpu "250m"; }
        }
        hpa { min 2; max 10; cpu 70; }
        schedule "0 3 * * *"
    }
    service "cart" {
        vars {
            resources {
                limits { memory "1Gi"; }
            }
            db { host "db.prod"; password "correct-horse"; }
        }
    }
    service "taxe" {
        vars {
            hpa null
            tolerations null
        }
    }
}
"#,
    );
    ws.write(
        "templates/environment/namespace.yaml.j2",
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: {{ environment.namespace }}
  annotations:
    shop.example.com/services: {{ services | map(attribute="name") | join(",") }}
    shop.example.com/team: {{ vars.team }}
"#,
    );
    ws.write(
        "templates/service/configmap.yaml.j2",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ service.name ~ "-config" }}
  namespace: {{ environment.namespace }}
data:
  TEAM: {{ vars.team }}
  HOSTS: {{ vars.hosts | join(",") }}
"#,
    );
    ws.write(
        "templates/service/pdb.yaml.j2",
        r#"apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ service.name }}
  namespace: {{ environment.namespace }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: {{ service.name }}
"#,
    );
    ws.write(
        "templates/track/hpa.yaml.j2",
        r#"{# Only where a varset defines `hpa`: elsewhere this renders nothing. #}
{%- if vars.hpa is defined %}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ name }}
  namespace: {{ environment.namespace }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ name }}
  minReplicas: {{ vars.hpa.min }}
  maxReplicas: {{ vars.hpa.max }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ vars.hpa.cpu }}
{%- endif %}
"#,
    );
    ws.write(
        "templates/worker/track/cronjob.yaml.j2",
        r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ name }}
  namespace: {{ environment.namespace }}
spec:
  schedule: {{ vars.schedule | default("*/5 * * * *") }}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: {{ service.name }}
              image: {{ track.image }}
              resources: {{ vars.resources }}
"#,
    );
    ws
}

#[test]
fn a_real_release_renders_every_scope_and_set() {
    let ws = real();
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files: Vec<String> = ws.tree("out/prod").into_keys().collect();
    assert_eq!(
        files,
        [
            "cart/configmap.yaml",
            "cart/deployment.yaml",
            "cart/hpa.yaml",
            "cart/pdb.yaml",
            "cart/service.yaml",
            "kustomization.yaml",
            // The worker set: exactly its templates, no built-in, no Service.
            "mailer/cronjob.yaml",
            "namespace.yaml",
            "snapshot.json",
            "taxe/configmap.yaml",
            "taxe/deployment.yaml",
            // `hpa null` in taxe's section: the HPA template renders nothing.
            "taxe/pdb.yaml",
            "taxe/service.yaml",
            "tower/configmap.yaml",
            "tower/deployment-canary.yaml",
            "tower/deployment-stable.yaml",
            "tower/destinationrule.yaml",
            "tower/hpa-canary.yaml",
            "tower/hpa-stable.yaml",
            "tower/pdb.yaml",
            "tower/service.yaml",
            "tower/virtualservice.yaml",
        ]
    );
    // dev defines no `hpa`: no HPA anywhere.
    assert!(!ws.tree("out/dev").keys().any(|f| f.contains("hpa")));
    insta::assert_snapshot!("prod_tree", ws.tree_text("out/prod"));
}

#[test]
fn explain_shows_a_leaf_and_every_leaf_under_a_map() {
    let ws = real();
    let leaf = ws.run(&["explain", "--env", "prod", "cart", "resources.requests.cpu"]);
    assert_eq!(leaf.code, 0, "{}", leaf.stderr);
    insta::assert_snapshot!("explain_leaf", leaf.stdout);
    let map = ws.run(&["explain", "--env", "prod", "cart", "resources"]);
    assert_eq!(map.code, 0, "{}", map.stderr);
    insta::assert_snapshot!("explain_map", map.stdout);
    let removed = ws.run(&["explain", "--env", "prod", "taxe", "hpa"]);
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    insta::assert_snapshot!("explain_removed", removed.stdout);
    let json = ws.run(&[
        "explain",
        "--env",
        "prod",
        "cart",
        "resources.limits",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(rows[0]["key"], "resources.limits");
    assert_eq!(rows[0]["path"], "resources.limits.memory");
    assert_eq!(rows[0]["value"], "1Gi");
    assert_eq!(rows[0]["overridden"][0]["value"], "256Mi");
}

#[test]
fn diff_names_changed_variables_by_dotted_path_and_masks_secret_leaves() {
    let ws = real();
    assert_eq!(ws.run(&["render"]).code, 0);
    let prod = ws
        .read("varsets/prod.kdl")
        .replace("cpu \"250m\"", "cpu \"300m\"")
        .replace("correct-horse", "battery-staple");
    ws.write("varsets/prod.kdl", &prod);
    let run = ws.run(&["diff", "--env", "prod", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stdout.contains("battery-staple"), "{}", run.stdout);
    assert!(!run.stdout.contains("correct-horse"), "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let services = json["environments"][0]["services"].as_array().unwrap();
    let cart = services.iter().find(|s| s["name"] == "cart").unwrap();
    insta::assert_json_snapshot!("diff_cart_vars", cart["vars"]);
    let text = ws.run(&["diff", "--env", "prod"]);
    assert!(!text.stdout.contains("battery-staple"), "{}", text.stdout);
    assert!(
        text.stdout.contains("resources.requests.cpu"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_template_that_renders_only_comments_writes_no_file() {
    let ws = real();
    ws.write(
        "templates/service/note.yaml.j2",
        "# nothing for {{ service.name }}\n{% if false %}kind: X{% endif %}\n   \n",
    );
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!ws.tree("out").keys().any(|f| f.contains("note")));
}

#[test]
fn a_replaced_built_in_renders_for_every_track() {
    let ws = real();
    ws.write(
        "templates/track/deployment.yaml.j2",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ name }}
  namespace: {{ environment.namespace }}
spec:
  replicas: {{ track.replicas }}
  selector:
    matchLabels: {app: {{ service.name }}, version: {{ track.name }}}
  template:
    metadata:
      labels: {app: {{ service.name }}, version: {{ track.name }}}
    spec:
      serviceAccountName: {{ service.name }}
      tolerations: {{ vars.tolerations | default([]) }}
      containers:
        - name: app
          image: {{ track.image }}
          envFrom:
            - configMapRef:
                name: {{ service.name ~ "-config" }}
          resources: {{ vars.resources }}
"#,
    );
    // The service accounts are the cluster's: declared, not rendered.
    let prod = ws.read("varsets/prod.kdl").replacen(
        "varset \"prod\" {",
        "varset \"prod\" {\n    external {\n        service-account \"cart\" \"taxe\" \"tower\"\n    }",
        1,
    );
    ws.write("varsets/prod.kdl", &prod);
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Stamped whatever the template says: managed-by, commit, snapshot,
    // and the commit (only) on the pod template.
    insta::assert_snapshot!(
        "replaced_deployment",
        ws.read("out/prod/tower/deployment-canary.yaml")
    );
}

#[test]
fn an_unknown_template_set_is_an_error_at_the_service_line() {
    let ws = real();
    let text = ws
        .read("snapset.kdl")
        .replace("templates=\"worker\"", "templates=\"wroker\"");
    ws.write("snapset.kdl", &text);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!(redact(&run.stderr, &ws));
}

#[test]
fn templates_import_macros_from_a_partial() {
    let ws = real();
    ws.write(
        "templates/_helpers.j2",
        r#"{#- Never rendered on its own: imported by the templates. -#}
{% macro labels(service, track) -%}
app: {{ service.name }}
team: {{ "shop" }}
{%- if track %}
version: {{ track.name }}
{%- endif %}
{%- endmacro %}
"#,
    );
    ws.write(
        "templates/service/configmap.yaml.j2",
        r#"{% import "templates/_helpers.j2" as h -%}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ service.name ~ "-config" }}
  labels:
    {{ h.labels(service, none) | indent(4) }}
data:
  TEAM: {{ vars.team }}
"#,
    );
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cm = ws.read("out/prod/cart/configmap.yaml");
    assert!(
        cm.contains("  labels:\n    app: \"cart\"\n    app.kubernetes.io/managed-by: \"snapset\"\n    team: \"shop\"\n"),
        "{cm}"
    );
    assert!(!ws.tree("out/prod").keys().any(|f| f.contains("helpers")));
}

/// What `kubectl get deploy,sts,ds,cronjob -o json` prints for a namespace
/// running the rendered objects, with a status where kubectl has one.
fn live_object(ws: &TestWorkspace, file: &str, status: serde_json::Value) -> serde_json::Value {
    let mut object: serde_json::Value = serde_norway::from_str(&ws.read(file)).unwrap();
    if !status.is_null() {
        object["status"] = status;
    }
    object
}

#[test]
fn status_reads_cronjobs_statefulsets_and_annotated_custom_workloads() {
    let ws = real();
    assert_eq!(ws.run(&["render", "--env", "prod"]).code, 0);
    let cart = live_object(
        &ws,
        "out/prod/cart/deployment.yaml",
        serde_json::json!({"readyReplicas": 1}),
    );
    let mailer = live_object(
        &ws,
        "out/prod/mailer/cronjob.yaml",
        serde_json::json!({"lastScheduleTime": "2026-11-28T03:00:00Z"}),
    );
    // taxe runs as a StatefulSet, tower's tracks as an Argo Rollout and a
    // Deployment: what matters is the kind's pod template or the annotation.
    let mut taxe = live_object(
        &ws,
        "out/prod/taxe/deployment.yaml",
        serde_json::Value::Null,
    );
    taxe["kind"] = "StatefulSet".into();
    taxe["spec"]["serviceName"] = "taxe".into();
    taxe["status"] = serde_json::json!({"replicas": 1, "readyReplicas": 1});
    let mut canary = live_object(
        &ws,
        "out/prod/tower/deployment-canary.yaml",
        serde_json::Value::Null,
    );
    canary["apiVersion"] = "argoproj.io/v1alpha1".into();
    canary["kind"] = "Rollout".into();
    let stable = live_object(
        &ws,
        "out/prod/tower/deployment-stable.yaml",
        serde_json::json!({"readyReplicas": 0}),
    );
    let list = serde_json::json!({
        "apiVersion": "v1", "kind": "List",
        "items": [cart, mailer, taxe, canary, stable]
    });
    let file = ws.path("live.json");
    std::fs::write(&file, list.to_string()).unwrap();
    let run = ws.run(&[
        "status",
        "--env",
        "prod",
        "--live",
        "live.json",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let summary: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}/{} {} {} {}/{}",
                r["service"].as_str().unwrap(),
                r["track"].as_str().unwrap(),
                r["kind"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
                r["ready"],
                r["desired"]
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "cart/stable Deployment same 1/1",
            "mailer/stable CronJob same null/null",
            "taxe/stable StatefulSet same 1/1",
            "tower/canary Rollout same null/null",
            "tower/stable Deployment same 0/1",
        ]
    );
}

/// A template that writes several documents (`---`), as Helm charts do:
/// every object is read, stamped and checked, and written to the
/// template's one file in its order; empty documents (a leading `---`,
/// a condition that wrote nothing) are left out.
#[test]
fn a_template_of_several_documents_writes_each_object() {
    let ws = real();
    ws.write(
        "templates/service/rbac.yaml.j2",
        r#"---
# the account the service runs as
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ service.name ~ "-reader" }}
---
{%- if service.name != "taxe" %}
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ service.name ~ "-reader" }}
rules:
  - apiGroups: [""]
    resources: ["configmaps"]
    verbs: ["get"]
{%- endif %}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ service.name ~ "-reader" }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ service.name ~ "-reader" }}
subjects:
  - kind: ServiceAccount
    name: {{ service.name ~ "-reader" }}
...
"#,
    );
    let run = ws.run(&["render", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("several_documents", ws.read("out/dev/cart/rbac.yaml"));
    // For taxe the template wrote no Role: its file holds two objects.
    let taxe = ws.read("out/dev/taxe/rbac.yaml");
    assert_eq!(taxe.matches("\nkind: \"").count(), 2, "{taxe}");
    assert!(!taxe.contains("\nkind: \"Role\""), "{taxe}");
    let kustomization = ws.read("out/dev/kustomization.yaml");
    assert!(
        kustomization.contains("\"cart/rbac.yaml\""),
        "{kustomization}"
    );
    // Each document reads back as YAML, and a second render changes nothing.
    for doc in ws.read("out/dev/cart/rbac.yaml").split("---\n") {
        let value: serde_json::Value = serde_norway::from_str(doc).expect("a document");
        assert_eq!(
            value["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "snapset"
        );
    }
    let again = ws.run(&["render", "--env", "dev", "--check"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// `replicas null` where an HPA scales: no `spec.replicas` in the
/// Deployment (the built-in and a replaced one alike), none in
/// snapshot.json, and `explain` shows where it was removed.
#[test]
fn replicas_null_leaves_the_replicas_to_the_autoscaler() {
    let ws = real();
    let prod = ws.read("varsets/prod.kdl").replace(
        "        hpa { min 2;",
        "        replicas null\n        hpa { min 2;",
    );
    ws.write("varsets/prod.kdl", &prod);
    // tower's canary pins its own count: a track's `replicas=` still wins.
    let snapshot = ws
        .read("snapshots/s1.kdl")
        .replace("weight=10\n", "weight=10 replicas=1\n");
    ws.write("snapshots/s1.kdl", &snapshot);
    let run = ws.run(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cart = ws.read("out/prod/cart/deployment.yaml");
    assert!(!cart.contains("replicas"), "{cart}");
    assert!(
        ws.read("out/dev/cart/deployment.yaml")
            .contains("  replicas: 1\n")
    );
    assert!(
        ws.read("out/prod/tower/deployment-canary.yaml")
            .contains("  replicas: 1\n")
    );
    assert!(
        !ws.read("out/prod/tower/deployment-stable.yaml")
            .contains("replicas")
    );
    let json: serde_json::Value = serde_json::from_str(&ws.read("out/prod/snapshot.json")).unwrap();
    let cart = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "cart")
        .unwrap();
    assert!(cart["tracks"][0].get("replicas").is_none(), "{cart}");
    assert!(cart["vars"].get("replicas").is_none(), "{cart}");
    let explain = ws.run(&["explain", "--env", "prod", "cart", "replicas"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    insta::assert_snapshot!("explain_replicas_null", explain.stdout);

    // A replaced Deployment reads `track.replicas` as none.
    ws.write(
        "templates/track/deployment.yaml.j2",
        &snapset_builtin_deployment(),
    );
    let run = ws.run(&["render", "--check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// The built-in Deployment template, as `snapset templates show` prints it.
fn snapset_builtin_deployment() -> String {
    include_str!("../../src/render/templates/track/deployment.yaml.j2").to_string()
}

/// Service scope sees the service: `name` is the service's and `track` is
/// none, even after a track template (the HPA) rendered for each track.
#[test]
fn service_scope_sees_no_track_after_track_templates() {
    let ws = real();
    ws.write(
        "templates/service/whoami.yaml.j2",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ name ~ "-whoami" }}
data:
  TRACK: {{ "none" if track is none else track.name }}
"#,
    );
    let run = ws.run(&["render", "--env", "prod"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let tower = ws.read("out/prod/tower/whoami.yaml");
    assert!(tower.contains("name: \"tower-whoami\""), "{tower}");
    assert!(tower.contains("TRACK: \"none\""), "{tower}");
}

/// A CronJob of a set whose template names it freely and sets no `app` or
/// `version` label is recognised by snapset's stamps: `same`, not
/// `not-in-snapshot` beside a `missing` mailer.
#[test]
fn status_recognises_a_worker_by_its_stamps_not_its_labels() {
    let ws = real();
    let cronjob = ws.read("templates/worker/track/cronjob.yaml.j2").replace(
        "  name: {{ name }}\n",
        "  name: {{ name ~ \"-nightly\" }}\n",
    );
    ws.write("templates/worker/track/cronjob.yaml.j2", &cronjob);
    assert_eq!(ws.run(&["render", "--env", "prod"]).code, 0);
    let mailer = live_object(&ws, "out/prod/mailer/cronjob.yaml", serde_json::Value::Null);
    assert_eq!(mailer["metadata"]["name"], "mailer-nightly");
    assert!(
        mailer["metadata"]["labels"].get("app").is_none(),
        "{mailer}"
    );
    ws.write(
        "live.json",
        &serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [mailer]}).to_string(),
    );
    let run = ws.run(&[
        "status",
        "--env",
        "prod",
        "--live",
        "live.json",
        "--format",
        "json",
    ]);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mailer: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["service"] == "mailer")
        .collect();
    assert_eq!(mailer.len(), 1, "{rows:#}");
    assert_eq!(mailer[0]["track"], "stable");
    assert_eq!(mailer[0]["state"], "same");
    assert_eq!(mailer[0]["deployment"], "mailer-nightly");
}
