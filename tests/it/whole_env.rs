//! Issue 28: `check` judges each environment as a whole, as kustomize and
//! the cluster will take it: one object per identity, and every object a
//! rendered object names is rendered too or declared `external` in the
//! varset. Each refusal: exit 2 at the template line (and the varset line
//! that gave the value), `out/` untouched; each rule also has a case that
//! passes.

use crate::common;

use common::workspace::{TestWorkspace, redact};

/// Renders the good shop, changes it with `edit`, and insists that render
/// and check refuse it (exit 2) with `out/` byte-identical; the stderr of
/// the render, for the snapshot.
fn refused(edit: impl FnOnce(&TestWorkspace)) -> String {
    let (ws, _) = TestWorkspace::shop();
    let first = ws.run(&["render"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = ws.tree("out");
    edit(&ws);
    let run = ws.run(&["render"]);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(
        ws.tree("out"),
        before,
        "a refused render leaves out/ untouched"
    );
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 2, "check refuses like render: {}", check.stderr);
    redact(&run.stderr, &ws)
}

/// The shop changed by `edit` passes check and renders.
fn accepted(edit: impl FnOnce(&TestWorkspace)) -> TestWorkspace {
    let (ws, _) = TestWorkspace::shop();
    edit(&ws);
    let check = ws.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let render = ws.run(&["render"]);
    assert_eq!(render.code, 0, "{}", render.stderr);
    ws
}

const JOB_HEAD: &str = "{% if service.name == \"cart\" %}
apiVersion: batch/v1
kind: Job
metadata:
  name: cart-migrate
spec:
  template:
    metadata:
      labels:
        job: cart-migrate
    spec:
      restartPolicy: Never
";

/// A Job of cart naming every kind of object a pod may name; with
/// `optional`, the references that may be are marked `optional: true`.
fn job(optional: bool) -> String {
    let opt = |indent: usize| match optional {
        true => format!("\n{}optional: true", " ".repeat(indent)),
        false => String::new(),
    };
    format!(
        "{JOB_HEAD}      serviceAccountName: migrator
      imagePullSecrets:
        - name: registry-login
      containers:
        - name: migrate
          image: {{{{ tracks[0].image }}}}
          envFrom:
            - configMapRef:
                name: cart-settings{o16}
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: {{{{ vars[\"db-secret\"] }}}}
                  key: password{o18}
            - name: MODE
              valueFrom:
                configMapKeyRef:
                  name: cart-mode
                  key: mode{o18}
      volumes:
        - name: certs
          secret:
            secretName: cart-certs{o12}
        - name: flags
          configMap:
            name: cart-flags{o12}
        - name: both
          projected:
            sources:
              - configMap:
                  name: cart-extra{o18}
              - secret:
                  name: cart-token{o18}
{{% endif %}}
",
        o12 = opt(12),
        o16 = opt(16),
        o18 = opt(18),
    )
}

/// `cart`'s own `db-secret` in base.
const BASE_WITH_DB_SECRET: &str = "varset \"base\" {
    vars {
        replicas 1
    }
    env {
        LOG_LEVEL \"info\"
    }
    service \"cart\" {
        vars {
            db-secret \"cart-db\"
        }
    }
}
";

// One object per identity.

#[test]
fn two_templates_write_one_configmap() {
    // The second leaves the namespace out: the object lands in the
    // environment's, where the first put it.
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/environment/flags.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: {{ environment.namespace }}\ndata:\n  a: \"1\"\n",
        );
        ws.write(
            "templates/environment/more-flags.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  b: \"2\"\n",
        );
    }));
}

#[test]
fn a_name_a_varset_gave_is_blamed_at_its_line() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "varsets/dev.kdl",
            "varset \"dev\" {\n    extends \"base\"\n    namespace \"shop-dev\"\n    vars {\n        flags-name \"flags\"\n    }\n}\n",
        );
        ws.write(
            "templates/environment/flags.yaml.j2",
            "{% if \"flags-name\" in vars %}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ vars[\"flags-name\"] }}\n{% endif %}\n",
        );
        ws.write(
            "templates/environment/more-flags.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n",
        );
    }));
}

#[test]
fn a_template_writes_the_builtin_service_again() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/service/front.yaml.j2",
            "{% if service.name == \"cart\" %}\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ service.name }}\nspec:\n  selector:\n    app: {{ service.name }}\n  ports:\n    - port: 80\n{% endif %}\n",
        );
    }));
}

#[test]
fn one_name_in_two_kinds_or_two_namespaces_is_two_objects() {
    accepted(|ws| {
        ws.write(
            "templates/service/settings.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ service.name }}\ndata:\n  a: \"1\"\n",
        );
        ws.write(
            "templates/environment/flags.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: shared\n",
        );
    });
}

// References resolve.

#[test]
fn every_reference_of_a_pod_template_resolves() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write("varsets/base.kdl", BASE_WITH_DB_SECRET);
        ws.write("templates/service/migrate.yaml.j2", &job(false));
    }));
}

#[test]
fn rendered_and_external_objects_satisfy_references() {
    accepted(|ws| {
        ws.write("varsets/base.kdl", &BASE_WITH_DB_SECRET.replace(
            "    service \"cart\" {",
            "    external {\n        secret \"registry-login\" \"cart-db\"\n        config-map \"cart-settings\"\n        service-account \"migrator\"\n    }\n    service \"cart\" {",
        ));
        ws.write("templates/service/migrate.yaml.j2", &job(false));
        // A ConfigMap and a ServiceAccount any template writes; Secrets an
        // ExternalSecret and a SealedSecret make.
        ws.write(
            "templates/environment/made.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-mode\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-flags\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-extra\n---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: certs\nspec:\n  target:\n    name: cart-certs\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: cart-token\n",
        );
        ws.write(
            "crds/secrets.yaml",
            &(crd("external-secrets.io", "ExternalSecret")
                + "---\n"
                + &crd("bitnami.com", "SealedSecret")),
        );
    });
}

#[test]
fn optional_references_are_not_required() {
    accepted(|ws| {
        ws.write("varsets/base.kdl", &BASE_WITH_DB_SECRET.replace(
            "    service \"cart\" {",
            "    external {\n        secret \"registry-login\"\n        service-account \"migrator\"\n    }\n    service \"cart\" {",
        ));
        ws.write("templates/service/migrate.yaml.j2", &job(true));
    });
}

#[test]
fn external_is_inherited_through_extends_and_added_to() {
    let flags = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: flags-reader\nspec:\n  containers:\n    - name: read\n      image: busybox\n      envFrom:\n        - secretRef:\n            name: shop-db\n        - configMapRef:\n            name: feature-flags\n";
    // base declares the Secret; prod adds the ConfigMap, dev does not.
    let base = "varset \"base\" {\n    external {\n        secret \"shop-db\"\n    }\n}\n";
    let prod = "varset \"prod\" {\n    extends \"base\"\n    namespace \"shop-prod\"\n    external {\n        config-map \"feature-flags\"\n    }\n}\n";
    insta::assert_snapshot!(refused(|ws| {
        ws.write("varsets/base.kdl", base);
        ws.write("varsets/prod.kdl", prod);
        ws.write("templates/environment/reader.yaml.j2", flags);
    }));
    let ws = accepted(|ws| {
        ws.write("varsets/base.kdl", base);
        ws.write("varsets/prod.kdl", prod);
        ws.write("varsets/dev.kdl", &prod.replace("prod", "dev"));
        ws.write("templates/environment/reader.yaml.j2", flags);
    });
    assert!(ws.read("out/dev/reader.yaml").contains("feature-flags"));
}

#[test]
fn an_autoscaler_scales_a_workload_of_the_environment() {
    let hpa = |target: &str| {
        format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {{{{ name }}}}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {target}\n  minReplicas: 1\n  maxReplicas: 3\n"
        )
    };
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/track/hpa.yaml.j2",
            &hpa("{{ service.name ~ \"-web\" }}"),
        );
    }));
    accepted(|ws| ws.write("templates/track/hpa.yaml.j2", &hpa("{{ name }}")));
}

#[test]
fn selectors_select_pods_of_the_environment() {
    let pdb = |labels: &str| {
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: {{{{ service.name }}}}\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n{labels}"
        )
    };
    let service = |app: &str| {
        format!(
            "{{% if service.name == \"taxe\" %}}\napiVersion: v1\nkind: Service\nmetadata:\n  name: taxe-admin\nspec:\n  selector:\n    app: {app}\n  ports:\n    - port: 80\n{{% endif %}}\n"
        )
    };
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/service/pdb.yaml.j2",
            &pdb("      app: {{ service.name }}\n      tier: web\n"),
        );
        ws.write("templates/service/admin.yaml.j2", &service("taxes"));
    }));
    accepted(|ws| {
        ws.write(
            "templates/service/pdb.yaml.j2",
            &pdb("      app: {{ service.name }}\n"),
        );
        ws.write("templates/service/admin.yaml.j2", &service("taxe"));
    });
}

/// A VirtualService of cart's: a gateway, routes to other services, one
/// to a subset, and one outside the cluster.
fn virtual_service(host: &str) -> String {
    format!(
        "{{% if service.name == \"cart\" %}}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: cart-routes
spec:
  hosts:
    - shop.example.com
  gateways:
    - istio-system/ingress
    - mesh
  http:
    - match:
        - uri:
            prefix: /tax
      route:
        - destination:
            host: taxe
            subset: v2
    - match:
        - uri:
            prefix: /pay
      route:
        - destination:
            host: {host}
    - match:
        - uri:
            prefix: /tower
      route:
        - destination:
            host: {{{{ \"tower.\" ~ environment.namespace ~ \".svc.cluster.local\" }}}}
    - route:
        - destination:
            host: api.stripe.com
{{% endif %}}
"
    )
}

const TAXE_RULE: &str = "{% if service.name == \"taxe\" %}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: taxe
spec:
  host: {{ \"taxe.\" ~ environment.namespace ~ \".svc.cluster.local\" }}
  subsets:
    - name: v1
      labels:
        version: main
{% endif %}
";

#[test]
fn mesh_routes_name_hosts_subsets_and_gateways_that_exist() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/service/routes.yaml.j2",
            &virtual_service("payments"),
        );
        ws.write("templates/service/rule.yaml.j2", TAXE_RULE);
    }));
    accepted(|ws| {
        ws.write(
            "templates/service/routes.yaml.j2",
            &virtual_service("payments.billing"),
        );
        ws.write(
            "templates/service/rule.yaml.j2",
            &TAXE_RULE.replace("- name: v1", "- name: v2"),
        );
        ws.write(
            "varsets/base.kdl",
            "varset \"base\" {\n    external {\n        gateway \"istio-system/ingress\"\n        service \"billing/payments\"\n    }\n}\n",
        );
    });
}

#[test]
fn a_subset_needs_a_destination_rule() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "templates/service/routes.yaml.j2",
            &virtual_service("tower"),
        );
        ws.write(
            "varsets/base.kdl",
            "varset \"base\" {\n    external {\n        gateway \"istio-system/ingress\"\n    }\n}\n",
        );
    }));
}

#[test]
fn an_external_block_with_a_misspelt_kind() {
    insta::assert_snapshot!(refused(|ws| {
        ws.write(
            "varsets/base.kdl",
            "varset \"base\" {\n    external {\n        secrets \"shop-db\"\n        config-map \"Bad_Name\"\n    }\n}\n",
        );
    }));
}

/// A CRD that takes any `spec`.
fn crd(group: &str, kind: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names:
    kind: {kind}
    plural: {plural}
  versions:
    - name: {version}
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
",
        plural = format!("{}s", kind.to_lowercase()),
        version = if group == "bitnami.com" {
            "v1alpha1"
        } else {
            "v1"
        },
    )
}
