//! The checks as a render meets them: objects that must pass, and each way
//! one can be wrong.

use serde_json::{Value, json};

use super::*;
use crate::error::sources::Sources;

fn fails(schemas: &Schemas, doc: &Value) -> Problem {
    match schemas.check(doc) {
        Ok(()) => panic!("accepted: {doc:#}"),
        Err(p) => p,
    }
}

fn passes(schemas: &Schemas, doc: &Value) {
    if let Err(p) = schemas.check(doc) {
        panic!("refused: {}\n{doc:#}", p.detail);
    }
}

/// `doc` with `value` written at the JSON pointer `at`.
fn with(doc: &Value, at: &str, value: Value) -> Value {
    let mut doc = doc.clone();
    let (parent, key) = at.rsplit_once('/').expect("a pointer");
    let parent = doc.pointer_mut(parent).expect("the parent exists");
    match parent {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
        }
        Value::Array(list) => list[key.parse::<usize>().expect("an index")] = value,
        _ => panic!("not a container at {at}"),
    }
    doc
}

// --- Kubernetes kinds --------------------------------------------------------

fn config_map() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cart"},
           "data": {"LOG_LEVEL": "warn"}})
}

fn hpa() -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "cart"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "cart"},
                    "minReplicas": 2, "maxReplicas": 10,
                    "metrics": [{"type": "Resource",
                                 "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
}

fn pdb() -> Value {
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "cart"},
           "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "cart"}}}})
}

fn cron_job() -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report"},
           "spec": {"schedule": "0 3 * * *",
                    "jobTemplate": {"spec": {"template": {"spec": {
                        "restartPolicy": "OnFailure",
                        "containers": [{"name": "report", "image": "report:1", "imagePullPolicy": "Always"}]}}}}}})
}

#[test]
fn kubernetes_kinds_pass() {
    let schemas = Schemas::builtin();
    for doc in [config_map(), hpa(), pdb(), cron_job()] {
        passes(&schemas, &doc);
    }
}

#[test]
fn a_misspelt_kubernetes_field_fails_with_its_dotted_path() {
    let schemas = Schemas::builtin();
    let cases = [
        (with(&config_map(), "/datta", json!({})), "datta", "datta"),
        (
            with(&hpa(), "/spec/maxReplica", json!(3)),
            "spec.maxReplica",
            "maxReplica",
        ),
        (
            with(&pdb(), "/spec/selector/matchLabel", json!({})),
            "spec.selector.matchLabel",
            "matchLabel",
        ),
        (
            with(
                &cron_job(),
                "/spec/jobTemplate/spec/template/spec/containers/0/imagePullPolicyy",
                json!("Always"),
            ),
            "spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicyy",
            "imagePullPolicyy",
        ),
    ];
    for (doc, path, key) in cases {
        let problem = fails(&schemas, &doc);
        assert_eq!(problem.detail, format!("unknown field `{path}`"));
        assert_eq!(problem.key.as_deref(), Some(key));
    }
}

#[test]
fn a_mistyped_kubernetes_field_fails_with_its_path_and_serdes_message() {
    let schemas = Schemas::builtin();
    let problem = fails(&schemas, &with(&hpa(), "/spec/minReplicas", json!("two")));
    assert_eq!(
        problem.detail,
        "spec.minReplicas: invalid type: string \"two\", expected i32"
    );
    assert_eq!(problem.path.as_deref(), Some("spec.minReplicas"));
    assert_eq!(problem.key.as_deref(), Some("minReplicas"));
    let problem = fails(&schemas, &with(&config_map(), "/data", json!(["a"])));
    assert!(
        problem.detail.starts_with("data: invalid type: sequence"),
        "{}",
        problem.detail
    );
    let problem = fails(&schemas, &with(&cron_job(), "/spec/schedule", json!(3)));
    assert!(
        problem
            .detail
            .starts_with("spec.schedule: invalid type: integer `3`"),
        "{}",
        problem.detail
    );
}

#[test]
fn a_misspelt_service_field_reads_as_before() {
    let doc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "cart"},
        "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80, "prot": "TCP"}]}
    });
    let problem = fails(&Schemas::builtin(), &doc);
    assert_eq!(problem.detail, "unknown field `spec.ports[0].prot`");
    assert_eq!(problem.key.as_deref(), Some("prot"));
}

#[test]
fn every_kind_of_the_table_is_found_and_reviews_are_not() {
    assert_eq!(kubernetes::KINDS.len(), 80);
    for k in kubernetes::KINDS {
        assert!(kinds::find(k.api_version, k.kind).is_some(), "{}", k.kind);
    }
    for (api_version, kind) in [
        ("v1", "ConfigMap"),
        ("networking.k8s.io/v1", "Ingress"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
    ] {
        assert!(kinds::find(api_version, kind).is_some(), "{kind}");
    }
    for (api_version, kind) in [
        ("autoscaling/v1", "Scale"),
        ("policy/v1", "Eviction"),
        ("authentication.k8s.io/v1", "TokenReview"),
        ("v1", "Binding"),
        ("v1", "ConfigMapList"),
        ("apps/v1beta1", "Deployment"),
    ] {
        assert!(kinds::find(api_version, kind).is_none(), "{kind}");
    }
}

#[test]
fn an_unknown_kind_is_refused_with_a_hint_to_add_its_crd() {
    let doc = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}});
    assert_eq!(
        fails(&Schemas::builtin(), &doc).detail,
        "`Widget` (apiVersion `example.com/v1`) is neither a Kubernetes 1.33 kind nor defined by a CustomResourceDefinition in crds/: add its CRD to crds/"
    );
}

#[test]
fn apiversion_and_kind_must_be_strings() {
    let schemas = Schemas::builtin();
    let no_kind = json!({"apiVersion": "v1", "metadata": {"name": "x"}});
    assert_eq!(
        fails(&schemas, &no_kind).detail,
        "the object has no `kind`: every manifest states its apiVersion and kind"
    );
    let no_version = json!({"kind": "ConfigMap", "metadata": {"name": "x"}});
    assert!(
        fails(&schemas, &no_version)
            .detail
            .contains("no `apiVersion`")
    );
    let number = json!({"apiVersion": "v1", "kind": 3});
    assert_eq!(
        fails(&schemas, &number).detail,
        "`kind` must be a string, not `3`"
    );
}

#[test]
fn istio_falls_back_to_snapsets_strict_structs_without_crds() {
    let doc = json!({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "tower"},
        "spec": {"host": "tower", "subset": []}
    });
    assert!(fails(&Schemas::builtin(), &doc).detail.contains("subset"));
    let doc = json!({
        "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
        "metadata": {"name": "tower"},
        "spec": {"host": "tower", "subsets": [{"name": "stable", "labels": {"track": "stable"}}]}
    });
    passes(&Schemas::builtin(), &doc);
}

// --- CRDs: the Istio bundle ----------------------------------------------------

/// Istio's published CRD bundle, kept in the repository (tests/crds/README.md).
const ISTIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/crds/istio.yaml");

/// A workspace whose crds/ holds `files`; the TempDir must outlive the test.
fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, Sources, Result<Schemas>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("crds")).expect("crds/");
    for (name, text) in files {
        std::fs::write(dir.path().join("crds").join(name), text).expect("a CRD file");
    }
    let mut sources = Sources::default();
    let schemas = Schemas::load(dir.path(), &mut sources);
    (dir, sources, schemas)
}

fn istio() -> Schemas {
    let text = std::fs::read_to_string(ISTIO).expect("tests/crds/istio.yaml");
    let (_dir, _sources, schemas) = workspace(&[("istio.yaml", &text)]);
    schemas.expect("Istio's CRDs load")
}

fn gateway() -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
           "metadata": {"name": "shop", "namespace": "shop-prod", "labels": {"app": "shop"}},
           "spec": {"selector": {"istio": "ingressgateway"},
                    "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                                 "hosts": ["shop.example.com"],
                                 "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"}}]}})
}

fn service_entry() -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
           "metadata": {"name": "payments"},
           "spec": {"hosts": ["api.payments.example"], "location": "MESH_EXTERNAL",
                    "resolution": "DNS",
                    "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]}})
}

fn authorization_policy() -> Value {
    json!({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
           "metadata": {"name": "cart"},
           "spec": {"selector": {"matchLabels": {"app": "cart"}}, "action": "ALLOW",
                    "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/tower"]}}],
                               "to": [{"operation": {"methods": ["GET"], "paths": ["/cart/*"]}}]}]}})
}

fn virtual_service() -> Value {
    json!({"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
           "metadata": {"name": "tower"},
           "spec": {"hosts": ["tower"],
                    "http": [{"match": [{"headers": {"x-beta": {"exact": "1"}}}],
                              "route": [{"destination": {"host": "tower", "subset": "beta"}}]},
                             {"route": [{"destination": {"host": "tower", "subset": "stable"}, "weight": 90},
                                        {"destination": {"host": "tower", "subset": "canary"}, "weight": 10}],
                              "timeout": "5s", "retries": {"attempts": 3, "perTryTimeout": "2s"}}]}})
}

#[test]
fn istio_objects_pass_their_crds() {
    let schemas = istio();
    for doc in [
        gateway(),
        service_entry(),
        authorization_policy(),
        virtual_service(),
    ] {
        passes(&schemas, &doc);
    }
    let rule = json!({"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
                      "metadata": {"name": "tower"},
                      "spec": {"host": "tower",
                               "trafficPolicy": {"connectionPool": {"http": {"http2MaxRequests": 100}}},
                               "subsets": [{"name": "stable", "labels": {"track": "stable"}}]}});
    passes(&schemas, &rule);
}

#[test]
fn an_unknown_istio_field_fails_with_its_path() {
    let schemas = istio();
    let doc = with(&gateway(), "/spec/servers/0/tls/credentialNam", json!("x"));
    let problem = fails(&schemas, &doc);
    assert_eq!(
        problem.detail,
        "unknown field `spec.servers[0].tls.credentialNam`"
    );
    assert_eq!(problem.key.as_deref(), Some("credentialNam"));
    // What the strict structs would refuse, the CRD refuses too…
    let doc = with(&virtual_service(), "/spec/http/1/route/0/wieght", json!(1));
    assert_eq!(
        fails(&schemas, &doc).detail,
        "unknown field `spec.http[1].route[0].wieght`"
    );
    // …and the root's metadata is ObjectMeta whatever the CRD says.
    let doc = with(&service_entry(), "/metadata/label", json!({}));
    assert_eq!(
        fails(&schemas, &doc).detail,
        "unknown field `metadata.label`"
    );
}

#[test]
fn one_of_branches_constrain_without_closing_objects() {
    // Istio's StringMatch is `oneOf` over `required` lists: one key passes
    // (see istio_objects_pass_their_crds), two fail, and the branches'
    // own `properties`, if any, must not make the object refuse its keys.
    let doc = with(
        &virtual_service(),
        "/spec/http/0/match/0/headers/x-beta",
        json!({"exact": "1", "prefix": "1"}),
    );
    let problem = fails(&istio(), &doc);
    assert!(
        problem
            .detail
            .starts_with("spec.http[0].match[0].headers.x-beta: "),
        "{}",
        problem.detail
    );
}

#[test]
fn a_wrong_enum_value_fails() {
    let schemas = istio();
    let doc = with(&authorization_policy(), "/spec/action", json!("PERMIT"));
    let problem = fails(&schemas, &doc);
    assert!(
        problem
            .detail
            .starts_with("spec.action: \"PERMIT\" is not one of"),
        "{}",
        problem.detail
    );
    assert_eq!(problem.key.as_deref(), Some("action"));
}

#[test]
fn a_loaded_crd_replaces_the_strict_structs() {
    // The structs know no `corsPolicy`; Istio's CRD does.
    let doc = with(
        &virtual_service(),
        "/spec/http/0/corsPolicy",
        json!({"allowOrigins": [{"exact": "https://shop.example.com"}]}),
    );
    assert!(Schemas::builtin().check(&doc).is_err());
    passes(&istio(), &doc);
    let doc = with(
        &virtual_service(),
        "/spec/http/1/route/0/weight",
        json!("ninety"),
    );
    assert!(
        fails(&istio(), &doc)
            .detail
            .starts_with("spec.http[1].route[0].weight: ")
    );
}

#[test]
fn a_version_that_is_not_served_is_a_problem() {
    let doc = with(&gateway(), "/apiVersion", json!("networking.istio.io/v2"));
    let problem = fails(&istio(), &doc);
    assert_eq!(
        problem.detail,
        "`networking.istio.io/v2` is not a served version of `Gateway`; the CustomResourceDefinition serves `networking.istio.io/v1`, `networking.istio.io/v1alpha3`, `networking.istio.io/v1beta1`"
    );
}

// --- CRDs: one of our own ---------------------------------------------------------

const WIDGET: &str = r#"
# A CRD written for these tests.
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                x-kubernetes-int-or-string: true
              replicas:
                type: integer
                format: int32
                minimum: 0
              note:
                type: string
                nullable: true
              colour:
                type: string
                enum: [red, green]
              code:
                type: string
                pattern: "^[a-z]+-[0-9]+$"
              since:
                type: string
                format: date-time
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              closed:
                type: object
              labels:
                type: object
                additionalProperties:
                  type: string
              ratio:
                type: number
                minimum: 0
                exclusiveMinimum: true
          status:
            type: object
            properties:
              ready: {type: boolean}
  - name: v2
    served: false
    storage: false
    schema:
      openAPIV3Schema: {type: object}
"#;

fn widget() -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
           "spec": {"size": 3}})
}

fn widgets() -> Schemas {
    let (_dir, _sources, schemas) = workspace(&[("widget.yaml", WIDGET)]);
    schemas.expect("the widget CRD loads")
}

#[test]
fn our_crd_honours_each_keyword() {
    let schemas = widgets();
    let w = widget();
    let good = [
        with(&w, "/spec/size", json!("50%")),
        with(&w, "/spec/replicas", json!(0)),
        with(&w, "/spec/note", Value::Null),
        with(&w, "/spec/colour", json!("red")),
        with(&w, "/spec/code", json!("ab-12")),
        with(&w, "/spec/since", json!("2026-11-26T10:00:00Z")),
        with(&w, "/spec/extra", json!({"anything": {"at": ["all"]}})),
        with(&w, "/spec/closed", json!({})),
        with(&w, "/spec/labels", json!({"a": "b"})),
        with(&w, "/spec/ratio", json!(0.5)),
        with(&w, "/status", json!({"ready": true})),
    ];
    for doc in &good {
        passes(&schemas, doc);
    }
    let bad = [
        (
            with(&w, "/spec/size", json!(true)),
            "spec.size: true is not of types \"integer\", \"string\"",
        ),
        (
            with(&w, "/spec/replicas", json!(-1)),
            "spec.replicas: -1 is less than the minimum of 0",
        ),
        (
            with(&w, "/spec/replicas", json!(3_000_000_000u64)),
            "spec.replicas: 3000000000 is greater than the maximum of 2147483647",
        ),
        (
            with(&w, "/spec/replicas", json!("3")),
            "spec.replicas: \"3\" is not of type \"integer\"",
        ),
        (
            with(&w, "/spec/colour", Value::Null),
            "spec.colour: null is not of type \"string\"",
        ),
        (
            with(&w, "/spec/colour", json!("blue")),
            "spec.colour: \"blue\" is not one of \"red\" or \"green\"",
        ),
        (
            with(&w, "/spec/code", json!("AB-12")),
            "spec.code: \"AB-12\" does not match \"^[a-z]+-[0-9]+$\"",
        ),
        (
            with(&w, "/spec/since", json!("yesterday")),
            "spec.since: \"yesterday\" is not a \"date-time\"",
        ),
        (
            with(&w, "/spec/closed", json!({"x": 1})),
            "unknown field `spec.closed.x`",
        ),
        (
            with(&w, "/spec/labels", json!({"a": 1})),
            "spec.labels.a: 1 is not of type \"string\"",
        ),
        (
            with(&w, "/spec/ratio", json!(0)),
            "spec.ratio: 0 is less than or equal to the minimum of 0",
        ),
        (
            with(&w, "/spec/colr", json!("red")),
            "unknown field `spec.colr`",
        ),
        (
            with(
                &with(&w, "/status", json!({})),
                "/status/readdy",
                json!(true),
            ),
            "unknown field `status.readdy`",
        ),
        (
            with(&w, "/spec", json!({})),
            "spec: \"size\" is a required property",
        ),
        (with(&w, "/spek", json!({})), "unknown field `spek`"),
    ];
    for (doc, detail) in &bad {
        assert_eq!(&fails(&schemas, doc).detail, detail);
    }
}

#[test]
fn our_crd_serves_only_v1() {
    let doc = with(&widget(), "/apiVersion", json!("example.com/v2"));
    assert_eq!(
        fails(&widgets(), &doc).detail,
        "`example.com/v2` is not a served version of `Widget`; the CustomResourceDefinition serves `example.com/v1`"
    );
}

#[test]
fn no_crds_folder_means_no_crds() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut sources = Sources::default();
    let schemas = Schemas::load(dir.path(), &mut sources).expect("loads");
    assert!(schemas.check(&widget()).is_err());
}

/// `file:line` of an error's first label, and its headline.
fn located(sources: &Sources, error: &Error) -> String {
    let label = error.labels.first().expect("a located error");
    let (line, _) = sources.line_col(&label.loc);
    format!(
        "{}:{line}: {}",
        sources.get(label.loc.file).name,
        error.kind
    )
}

#[test]
fn a_crd_file_holding_something_else_is_a_located_error() {
    let text = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {group: a.b, names: {kind: A}, versions: []}\n---\n\n# a config map\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    let (_dir, sources, schemas) = workspace(&[("x.yaml", text)]);
    let error = schemas.err().expect("refused");
    assert_eq!(
        located(&sources, &error),
        "crds/x.yaml:7: not a CustomResourceDefinition: found apiVersion v1 kind ConfigMap"
    );
}

#[test]
fn two_crds_of_one_kind_are_a_located_error() {
    let (_dir, sources, schemas) = workspace(&[("a.yaml", WIDGET), ("b.yaml", WIDGET)]);
    let error = schemas.err().expect("refused");
    assert_eq!(
        located(&sources, &error),
        "crds/b.yaml:4: duplicate CustomResourceDefinition of `example.com/Widget`"
    );
    let (line, _) = sources.line_col(&error.labels[1].loc);
    assert_eq!(
        (sources.get(error.labels[1].loc.file).name.as_str(), line),
        ("crds/a.yaml", 4)
    );
}

#[test]
fn a_schema_that_cannot_compile_is_a_located_error() {
    for (broken, why) in [
        ("pattern: \"^[a-z]+-[0-9]+$\"", "pattern: \"(\""),
        (
            "x-kubernetes-int-or-string: true",
            "$ref: \"#/definitions/nowhere\"",
        ),
    ] {
        let text = WIDGET.replacen(broken, why, 1);
        let (_dir, sources, schemas) = workspace(&[("widget.yaml", &text)]);
        let schemas = schemas.expect("loads: schemas compile on first use");
        let problem = fails(&schemas, &widget());
        let error = problem.schema.expect("the CRD's fault");
        let text = located(&sources, &error);
        assert!(
            text.starts_with(
                "crds/widget.yaml:4: the schema of `Widget` version v1 cannot be used: "
            ),
            "{text}"
        );
        assert_eq!(problem.detail, error.kind.to_string());
    }
}

#[test]
fn checks_run_from_many_threads() {
    use rayon::prelude::*;
    let schemas = istio();
    let docs = vec![gateway(); 64];
    assert!(docs.par_iter().all(|d| schemas.check(d).is_ok()));
    fn sync<T: Sync + Send>(_: &T) {}
    sync(&schemas);
}

/// Not a test: `cargo test --release --lib schema::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure() {
    let text = std::fs::read_to_string(ISTIO).expect("tests/crds/istio.yaml");
    let started = std::time::Instant::now();
    let (_dir, _sources, schemas) = workspace(&[("istio.yaml", &text)]);
    let schemas = schemas.expect("loads");
    let load = started.elapsed();
    let doc = virtual_service();
    let started = std::time::Instant::now();
    schemas.check(&doc).expect("valid");
    let first = started.elapsed();
    let started = std::time::Instant::now();
    for _ in 0..1000 {
        schemas.check(&doc).expect("valid");
    }
    let thousand = started.elapsed();
    println!(
        "Schemas::load(istio.yaml): {load:?}; first VirtualService check (compiles): {first:?}; 1,000 more: {thousand:?}"
    );
}
