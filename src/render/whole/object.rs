//! What the whole-environment check needs of one rendered document: its
//! identity, what it makes exist in the cluster, and the objects it names.
//! Read once per document while it is rendered (the document itself is
//! then dropped), so the check works on these few strings, not on YAML.

use std::borrow::Cow;

use serde_json::Value;

use crate::render::schema::Schemas;

/// A string of the facts: borrowed from the resolved release for the
/// compiled built-ins (thousands of objects, no allocation each), owned
/// when read from a rendered document.
pub type Text<'r> = Cow<'r, str>;

/// Sorted label pairs.
pub type Labels<'r> = Vec<(Text<'r>, Text<'r>)>;

/// The facts of one rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object<'r> {
    /// Its place among the documents of its template's output (as
    /// `documents::documents` cuts it), to find the template's lines.
    pub index: usize,
    /// The apiVersion's group: `` for `v1`, `apps` for `apps/v1`.
    pub group: Text<'r>,
    pub kind: Text<'r>,
    /// Where it lands: its `metadata.namespace`, else the environment's
    /// for a namespaced kind; empty for a cluster-wide kind.
    pub namespace: Text<'r>,
    /// `None` for an object named by `generateName` alone.
    pub name: Option<Text<'r>>,
    /// The labels of its pod template, sorted, when it runs pods.
    pub pods: Option<Labels<'r>>,
    pub references: Vec<Reference<'r>>,
    pub provides: Vec<Provided>,
    /// The document itself, kept only when `policies/` will judge it.
    pub doc: Option<std::sync::Arc<crate::render::policy::Doc>>,
}

/// What an object makes exist besides itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provided {
    /// A Secret of this name in its namespace (ExternalSecret, SealedSecret).
    Secret(String),
    /// A mesh host (a ServiceEntry's `hosts`).
    Host(String),
    /// A DestinationRule's subsets of a host.
    Subsets { host: String, subsets: Vec<String> },
    /// A Namespace.
    Namespace(String),
}

/// One object named by a rendered object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'r> {
    pub target: Target<'r>,
    /// Where the name sits in the object: `spec.template.spec.volumes[0]
    /// .secret.secretName`.
    pub path: Text<'r>,
    /// `optional: true`: the workload starts without it.
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<'r> {
    /// An object of the referring object's namespace.
    Object {
        group: String,
        kind: String,
        name: String,
    },
    /// An Istio Gateway: `name` or `namespace/name`.
    Gateway(String),
    /// Pods that a selector must find.
    Selects(Selector<'r>),
    /// A mesh destination.
    Host {
        host: String,
        subset: Option<String>,
    },
}

/// A label selector: `matchLabels` (a Service's `selector` is one) and
/// `matchExpressions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector<'r> {
    pub labels: Labels<'r>,
    pub expressions: Vec<Expression>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Selector<'_> {
    /// Whether pods with `labels` (sorted) match.
    pub fn matches(&self, labels: &[(Text, Text)]) -> bool {
        let get = |key: &str| {
            labels
                .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                .ok()
                .map(|i| labels[i].1.as_ref())
        };
        self.labels.iter().all(|(k, v)| get(k) == Some(v.as_ref()))
            && self.expressions.iter().all(|e| {
                let value = get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.iter().any(|x| x == v)),
                    "NotIn" => value.is_none_or(|v| e.values.iter().all(|x| x != v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    // The API server refuses other operators.
                    _ => false,
                }
            })
    }

    /// `app=cart, tier in (web)` as a message shows it.
    pub fn text(&self) -> String {
        let mut parts: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for e in &self.expressions {
            parts.push(match e.operator.as_str() {
                "Exists" => e.key.to_string(),
                "DoesNotExist" => format!("!{}", e.key),
                op => format!("{} {} ({})", e.key, op.to_lowercase(), e.values.join(", ")),
            });
        }
        parts.join(", ")
    }
}

impl Object<'static> {
    /// The facts of `doc`, an object the schema check accepted; `namespace`
    /// is the environment's.
    pub fn read(
        doc: &Value,
        index: usize,
        schemas: &Schemas,
        namespace: &str,
    ) -> Option<Object<'static>> {
        let api_version = doc.get("apiVersion")?.as_str()?;
        let kind = doc.get("kind")?.as_str()?;
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let metadata = doc.get("metadata");
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        let namespace = if schemas.namespaced(api_version, kind) {
            text(metadata.and_then(|m| m.get("namespace")))
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| namespace.to_string())
        } else {
            String::new()
        };
        let name = text(metadata.and_then(|m| m.get("name")));
        let mut object = Object {
            index,
            group: Cow::Owned(group.to_string()),
            kind: Cow::Owned(kind.to_string()),
            namespace: Cow::Owned(namespace),
            name: name.map(Cow::Owned),
            pods: None,
            references: Vec::new(),
            provides: Vec::new(),
            doc: None,
        };
        let spec = doc.get("spec");
        match (group, kind) {
            ("", "Pod") => object.pod(doc, "spec", doc.get("metadata")),
            ("batch", "CronJob") => {
                let template = spec.and_then(|s| s.pointer("/jobTemplate/spec/template"));
                object.pod_template(template, "spec.jobTemplate.spec.template");
            }
            ("autoscaling", "HorizontalPodAutoscaler") => {
                let target = spec.and_then(|s| s.get("scaleTargetRef"));
                if let (Some(kind), Some(name)) = (
                    text(target.and_then(|t| t.get("kind"))),
                    text(target.and_then(|t| t.get("name"))),
                ) {
                    let api = text(target.and_then(|t| t.get("apiVersion"))).unwrap_or_default();
                    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
                    object.refer(
                        Target::Object { group, kind, name },
                        Cow::Borrowed("spec.scaleTargetRef.name"),
                        false,
                    );
                }
            }
            ("policy", "PodDisruptionBudget") => {
                if let Some(selector) = spec
                    .and_then(|s| s.get("selector"))
                    .and_then(label_selector)
                {
                    object.refer(
                        Target::Selects(selector),
                        Cow::Borrowed("spec.selector"),
                        false,
                    );
                }
            }
            ("", "Service") => {
                let external = spec.and_then(|s| s.get("type")).and_then(Value::as_str)
                    == Some("ExternalName");
                let labels = spec
                    .and_then(|s| s.get("selector"))
                    .map(string_map)
                    .unwrap_or_default();
                if !external && !labels.is_empty() {
                    let selector = Selector {
                        labels,
                        expressions: Vec::new(),
                    };
                    object.refer(
                        Target::Selects(selector),
                        Cow::Borrowed("spec.selector"),
                        false,
                    );
                }
            }
            ("networking.istio.io", "VirtualService") => object.virtual_service(spec),
            ("networking.istio.io", "DestinationRule") => {
                if let Some(host) = text(spec.and_then(|s| s.get("host"))) {
                    let subsets = items(spec.and_then(|s| s.get("subsets")))
                        .filter_map(|(_, s)| text(s.get("name")))
                        .collect();
                    object.provides.push(Provided::Subsets { host, subsets });
                }
            }
            ("networking.istio.io", "ServiceEntry") => {
                for (_, host) in items(spec.and_then(|s| s.get("hosts"))) {
                    if let Some(host) = host.as_str() {
                        object.provides.push(Provided::Host(host.to_string()));
                    }
                }
            }
            ("external-secrets.io", "ExternalSecret") => {
                let target = text(spec.and_then(|s| s.pointer("/target/name")));
                if let Some(name) = target.or_else(|| object.name.as_deref().map(str::to_string)) {
                    object.provides.push(Provided::Secret(name));
                }
            }
            ("bitnami.com", "SealedSecret") => {
                if let Some(name) = object.name.as_deref().map(str::to_string) {
                    object.provides.push(Provided::Secret(name));
                }
            }
            ("", "Namespace") => {
                if let Some(name) = object.name.as_deref().map(str::to_string) {
                    object.provides.push(Provided::Namespace(name));
                }
            }
            // A workload: Deployment, StatefulSet, DaemonSet, ReplicaSet,
            // Job, and custom ones of the same shape (an Argo Rollout).
            _ => {
                let template = spec.and_then(|s| s.get("template"));
                if template
                    .and_then(|t| t.pointer("/spec/containers"))
                    .is_some()
                {
                    object.pod_template(template, "spec.template");
                }
            }
        }
        Some(object)
    }

    fn refer(&mut self, target: Target<'static>, path: Text<'static>, optional: bool) {
        self.references.push(Reference {
            target,
            path,
            optional,
        });
    }

    fn named(&mut self, kind: &'static str, name: Option<&Value>, path: String, optional: bool) {
        if let Some(name) = name.and_then(Value::as_str) {
            let target = Target::Object {
                group: String::new(),
                kind: kind.to_string(),
                name: name.to_string(),
            };
            self.refer(target, Cow::Owned(path), optional);
        }
    }

    fn pod_template(&mut self, template: Option<&Value>, at: &str) {
        if let Some(template) = template {
            self.pod(template, &format!("{at}.spec"), template.get("metadata"));
        }
    }

    /// A pod's labels and the objects its spec (at `at`) names.
    fn pod(&mut self, pod: &Value, at: &str, metadata: Option<&Value>) {
        let mut labels = metadata
            .and_then(|m| m.get("labels"))
            .map(string_map)
            .unwrap_or_default();
        labels.sort();
        self.pods = Some(labels);
        let Some(spec) = pod.get("spec") else { return };
        let optional = |v: &Value| v.get("optional").and_then(Value::as_bool) == Some(true);
        for key in ["serviceAccountName", "serviceAccount"] {
            if let Some(name) = spec
                .get(key)
                .and_then(Value::as_str)
                .filter(|n| *n != "default")
            {
                self.named(
                    "ServiceAccount",
                    Some(&Value::from(name)),
                    format!("{at}.{key}"),
                    false,
                );
                break;
            }
        }
        for (i, s) in items(spec.get("imagePullSecrets")) {
            self.named(
                "Secret",
                s.get("name"),
                format!("{at}.imagePullSecrets[{i}].name"),
                false,
            );
        }
        for (i, volume) in items(spec.get("volumes")) {
            let at = format!("{at}.volumes[{i}]");
            if let Some(c) = volume.get("configMap") {
                self.named(
                    "ConfigMap",
                    c.get("name"),
                    format!("{at}.configMap.name"),
                    optional(c),
                );
            }
            if let Some(s) = volume.get("secret") {
                self.named(
                    "Secret",
                    s.get("secretName"),
                    format!("{at}.secret.secretName"),
                    optional(s),
                );
            }
            for (j, source) in items(volume.pointer("/projected/sources")) {
                let at = format!("{at}.projected.sources[{j}]");
                if let Some(c) = source.get("configMap") {
                    self.named(
                        "ConfigMap",
                        c.get("name"),
                        format!("{at}.configMap.name"),
                        optional(c),
                    );
                }
                if let Some(s) = source.get("secret") {
                    self.named(
                        "Secret",
                        s.get("name"),
                        format!("{at}.secret.name"),
                        optional(s),
                    );
                }
            }
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, container) in items(spec.get(list)) {
                let at = format!("{at}.{list}[{i}]");
                for (j, from) in items(container.get("envFrom")) {
                    if let Some(c) = from.get("configMapRef") {
                        self.named(
                            "ConfigMap",
                            c.get("name"),
                            format!("{at}.envFrom[{j}].configMapRef.name"),
                            optional(c),
                        );
                    }
                    if let Some(s) = from.get("secretRef") {
                        self.named(
                            "Secret",
                            s.get("name"),
                            format!("{at}.envFrom[{j}].secretRef.name"),
                            optional(s),
                        );
                    }
                }
                for (j, var) in items(container.get("env")) {
                    let Some(from) = var.get("valueFrom") else {
                        continue;
                    };
                    if let Some(c) = from.get("configMapKeyRef") {
                        self.named(
                            "ConfigMap",
                            c.get("name"),
                            format!("{at}.env[{j}].valueFrom.configMapKeyRef.name"),
                            optional(c),
                        );
                    }
                    if let Some(s) = from.get("secretKeyRef") {
                        self.named(
                            "Secret",
                            s.get("name"),
                            format!("{at}.env[{j}].valueFrom.secretKeyRef.name"),
                            optional(s),
                        );
                    }
                }
            }
        }
    }

    /// A VirtualService's gateways and destinations.
    fn virtual_service(&mut self, spec: Option<&Value>) {
        let Some(spec) = spec else { return };
        let gateway = |this: &mut Self, name: &Value, path: String| {
            if let Some(name) = name.as_str().filter(|n| *n != "mesh") {
                this.refer(Target::Gateway(name.to_string()), Cow::Owned(path), false);
            }
        };
        for (i, g) in items(spec.get("gateways")) {
            gateway(self, g, format!("spec.gateways[{i}]"));
        }
        for protocol in ["http", "tls", "tcp"] {
            for (i, route) in items(spec.get(protocol)) {
                let at = format!("spec.{protocol}[{i}]");
                for (j, m) in items(route.get("match")) {
                    for (k, g) in items(m.get("gateways")) {
                        gateway(self, g, format!("{at}.match[{j}].gateways[{k}]"));
                    }
                }
                for (j, r) in items(route.get("route")) {
                    self.destination(r.get("destination"), format!("{at}.route[{j}].destination"));
                }
                self.destination(route.get("mirror"), format!("{at}.mirror"));
                for (j, m) in items(route.get("mirrors")) {
                    self.destination(
                        m.get("destination"),
                        format!("{at}.mirrors[{j}].destination"),
                    );
                }
            }
        }
    }

    fn destination(&mut self, destination: Option<&Value>, at: String) {
        let Some(host) = destination
            .and_then(|d| d.get("host"))
            .and_then(Value::as_str)
        else {
            return;
        };
        let subset = destination
            .and_then(|d| d.get("subset"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let path = match subset {
            Some(_) => format!("{at}.subset"),
            None => format!("{at}.host"),
        };
        let target = Target::Host {
            host: host.to_string(),
            subset,
        };
        self.refer(target, Cow::Owned(path), false);
    }
}

/// The items of a list, with their indices; none for anything else.
fn items(list: Option<&Value>) -> impl Iterator<Item = (usize, &Value)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// The string values of a map (labels), sorted by key.
fn string_map(map: &Value) -> Labels<'static> {
    map.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((Cow::Owned(k.clone()), Cow::Owned(v.as_str()?.to_string()))))
        .collect()
}

/// A `LabelSelector`; `None` when it is not a map.
fn label_selector(value: &Value) -> Option<Selector<'static>> {
    value.as_object()?;
    let labels = value.get("matchLabels").map(string_map).unwrap_or_default();
    let expressions = items(value.get("matchExpressions"))
        .filter_map(|(_, e)| {
            Some(Expression {
                key: e.get("key")?.as_str()?.to_string(),
                operator: e.get("operator")?.as_str()?.to_string(),
                values: items(e.get("values"))
                    .filter_map(|(_, v)| Some(v.as_str()?.to_string()))
                    .collect(),
            })
        })
        .collect();
    Some(Selector {
        labels,
        expressions,
    })
}
