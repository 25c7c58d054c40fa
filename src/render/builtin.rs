//! The built-in Deployment and Service templates, compiled to Rust. They
//! are most of a release's documents, and going through minijinja, a YAML
//! reader, a typed check and the YAML writer cost ten times what writing
//! the YAML directly does. This code must say exactly what
//! `templates/deployment.yaml.j2` and `templates/service.yaml.j2` say, in
//! the form snapset's YAML writer gives (keys sorted, strings quoted):
//! debug builds (and so every test) render both ways and compare every
//! document. Where a value would need the template's own checks (a float,
//! an out-of-range number), it answers `None` and the template renders.
//!
//! It never judges a value itself: every part it takes from the vars
//! (resources, quantities, tolerations) is put to the schema's own check of
//! that part's type (`schema::container_resources_ok`, `tolerations_ok`),
//! and anything refused goes to the template, whose check then refuses it
//! with its message and line. So a built-in and a user template give one
//! verdict on the same values; the rest of what it writes is fixed text or
//! names checked when snapset.kdl is read (service, namespace, port).

use std::fmt::Write;

use serde_json::Value;

use super::context::Context;
use super::yaml::write_quoted;

/// YAML being written line by line, at a given indentation.
struct Doc(String);

impl Doc {
    /// `key: "value"` at `level` spaces.
    fn string(&mut self, level: usize, key: &str, value: &str) {
        self.key(level, key);
        self.0.push(' ');
        write_quoted(value, &mut self.0);
        self.0.push('\n');
    }

    fn number(&mut self, level: usize, key: &str, value: impl std::fmt::Display) {
        self.key(level, key);
        let _ = writeln!(self.0, " {value}");
    }

    /// `key:` opening a block below.
    fn open(&mut self, level: usize, key: &str) {
        self.key(level, key);
        self.0.push('\n');
    }

    fn key(&mut self, level: usize, key: &str) {
        for _ in 0..level {
            self.0.push(' ');
        }
        self.0.push_str(key);
        self.0.push(':');
    }
}

/// The Deployment the built-in template renders for `ctx`.
pub fn deployment(ctx: &Context) -> Option<Vec<u8>> {
    let track = ctx.track.as_ref()?;
    let replicas = match track.replicas {
        Some(n) => Some(i32::try_from(n).ok()?),
        None => None,
    };
    let var = |name: &str| ctx.vars.get(name);
    let has = |name: &str| ctx.vars.contains_key(name);
    // Everything that could send us to the template is checked first.
    // A structured `resources` or `tolerations` of an unusual shape goes
    // there too: the template path checks it against the Deployment's type.
    let resources = optional(var("resources").map(self::resources))?;
    if resources.is_some() && !crate::render::schema::container_resources_ok(var("resources")?) {
        return None;
    }
    let tolerations = optional(var("tolerations").map(self::tolerations))?;
    if tolerations.is_some() && !crate::render::schema::tolerations_ok(var("tolerations")?) {
        return None;
    }
    let quantity = |name: &str| optional(var(name).map(quantity));
    let (cpu, memory) = (quantity("cpu")?, quantity("memory")?);
    let cpu_limit = quantity("cpu-limit")?;
    let memory_limit = match var("memory-limit") {
        Some(v) => Some(self::quantity(v)?),
        None => memory.clone(),
    };
    let flat = |kind: [(&str, &Option<String>); 2]| {
        kind.into_iter()
            .filter_map(|(name, q)| Some((name.to_string(), Value::from(q.clone()?))))
            .collect::<serde_json::Map<String, Value>>()
    };
    let flat = serde_json::json!({
        "limits": flat([("cpu", &cpu_limit), ("memory", &memory_limit)]),
        "requests": flat([("cpu", &cpu), ("memory", &memory)]),
    });
    let any = [&cpu, &memory, &cpu_limit, &memory_limit]
        .iter()
        .any(|q| q.is_some());
    if any && !crate::render::schema::container_resources_ok(&flat) {
        return None;
    }
    let period = match var("probe-period") {
        None => 10,
        Some(v) => i32::try_from(v.as_i64()?).ok()?,
    };
    let readiness = optional(var("readiness-path").map(Value::as_str))?;
    let liveness = optional(var("liveness-path").map(Value::as_str))?;

    let svc = ctx.service.name;
    let mut d = Doc(String::with_capacity(2048));
    d.string(0, "apiVersion", "apps/v1");
    d.string(0, "kind", "Deployment");
    d.open(0, "metadata");
    d.open(2, "annotations");
    d.string(4, "snapset.dev/commit", track.commit);
    d.open(2, "labels");
    d.string(4, "app", svc);
    d.string(4, "app.kubernetes.io/managed-by", "snapset");
    d.string(4, "app.kubernetes.io/name", svc);
    d.string(4, "app.kubernetes.io/version", track.short);
    d.string(4, "version", track.name);
    d.string(2, "name", &ctx.name);
    d.string(2, "namespace", ctx.environment.namespace);
    d.open(0, "spec");
    if let Some(replicas) = replicas {
        d.number(2, "replicas", replicas);
    }
    d.open(2, "selector");
    d.open(4, "matchLabels");
    d.string(6, "app", svc);
    d.string(6, "version", track.name);
    d.open(2, "template");
    d.open(4, "metadata");
    d.open(6, "annotations");
    d.string(8, "snapset.dev/commit", track.commit);
    d.open(6, "labels");
    d.string(8, "app", svc);
    d.string(8, "app.kubernetes.io/name", svc);
    d.string(8, "app.kubernetes.io/version", track.short);
    d.string(8, "version", track.name);
    d.open(4, "spec");
    d.open(6, "containers");
    // The container's keys, sorted; the first shares the line of its dash.
    d.0.push_str("        -");
    let mut first = true;
    let mut field = |d: &mut Doc| {
        if first {
            first = false;
            d.0.push(' ');
            0
        } else {
            10
        }
    };
    if !ctx.env.is_empty() || !ctx.features.is_empty() {
        let at = field(&mut d);
        d.open(at, "env");
        for v in &ctx.env {
            d.0.push_str("            - ");
            d.string(0, "name", v.name);
            match (v.secret, v.key, v.value) {
                (Some(secret), Some(key), _) => {
                    d.open(14, "valueFrom");
                    d.open(16, "secretKeyRef");
                    d.string(18, "key", key);
                    d.string(18, "name", secret);
                }
                (_, _, Some(value)) => d.string(14, "value", value),
                _ => return None,
            }
        }
        for (feature, enabled) in &ctx.features {
            let name = format!("FEATURE_{feature}")
                .to_uppercase()
                .replace('-', "_");
            d.0.push_str("            - ");
            d.string(0, "name", &name);
            d.string(14, "value", if *enabled { "true" } else { "false" });
        }
    }
    let at = field(&mut d);
    d.string(at, "image", track.image);
    if let Some(path) = liveness {
        let at = field(&mut d);
        probe(&mut d, at, "livenessProbe", path, period);
    }
    let at = field(&mut d);
    d.string(at, "name", svc);
    if let Some(port) = ctx.service.port {
        d.open(10, "ports");
        d.0.push_str("            - ");
        d.number(0, "containerPort", port);
        d.string(14, "name", "http");
        d.string(14, "protocol", "TCP");
    }
    if let Some(path) = readiness {
        probe(&mut d, 10, "readinessProbe", path, period);
    }
    if let Some(resources) = resources {
        d.open(10, "resources");
        for (kind, quantities) in resources {
            d.open(12, kind);
            for (name, quantity) in quantities.as_object()? {
                d.string(14, name, quantity.as_str()?);
            }
        }
    } else if has("cpu") || has("memory") || has("cpu-limit") || has("memory-limit") {
        d.open(10, "resources");
        if cpu_limit.is_some() || memory_limit.is_some() {
            d.open(12, "limits");
            if let Some(cpu) = &cpu_limit {
                d.string(14, "cpu", cpu);
            }
            if let Some(memory) = &memory_limit {
                d.string(14, "memory", memory);
            }
        }
        if cpu.is_some() || memory.is_some() {
            d.open(12, "requests");
            if let Some(cpu) = &cpu {
                d.string(14, "cpu", cpu);
            }
            if let Some(memory) = &memory {
                d.string(14, "memory", memory);
            }
        }
    }
    if let Some(tolerations) = tolerations {
        d.open(6, "tolerations");
        for toleration in tolerations {
            let mut first = true;
            for (key, value) in toleration.as_object()? {
                let at = if first {
                    d.0.push_str("        - ");
                    first = false;
                    0
                } else {
                    10
                };
                match value {
                    Value::String(s) => d.string(at, key, s),
                    Value::Number(n) => d.number(at, key, n),
                    _ => return None,
                }
            }
        }
    }
    Some(d.0.into_bytes())
}

/// `vars.resources` when it is what a container's `resources` usually is:
/// `limits` and/or `requests`, each a non-empty map of quantity strings.
fn resources(value: &Value) -> Option<&serde_json::Map<String, Value>> {
    let map = value.as_object().filter(|m| !m.is_empty())?;
    let well_formed = map.iter().all(|(kind, quantities)| {
        matches!(kind.as_str(), "limits" | "requests")
            && quantities
                .as_object()
                .is_some_and(|q| !q.is_empty() && q.values().all(Value::is_string))
    });
    well_formed.then_some(map)
}

/// `vars.tolerations` when every item is a non-empty map of a toleration's
/// own fields, strings and an integer `tolerationSeconds`.
fn tolerations(value: &Value) -> Option<&Vec<Value>> {
    let list = value.as_array().filter(|l| !l.is_empty())?;
    let well_formed = list.iter().all(|item| {
        item.as_object().is_some_and(|t| {
            !t.is_empty()
                && t.iter().all(|(key, v)| match key.as_str() {
                    "key" | "operator" | "value" | "effect" => v.is_string(),
                    "tolerationSeconds" => v.is_i64(),
                    _ => false,
                })
        })
    });
    well_formed.then_some(list)
}

fn probe(d: &mut Doc, at: usize, key: &str, path: &str, period: i32) {
    d.open(at, key);
    d.open(12, "httpGet");
    d.string(14, "path", path);
    d.string(14, "port", "http");
    d.number(12, "periodSeconds", period);
}

/// A value that may be absent (`Some(None)`) but, when present, must be
/// of the kind the fast path handles (else `None`: use the template).
fn optional<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(inner) => inner.map(Some),
    }
}

/// `{{ value | string }}` where Kubernetes wants a quantity string; other
/// kinds of value are left to the template path.
fn quantity(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if crate::render::schema::quantity::parse(s).is_ok() => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

/// The Service the built-in template renders for `ctx` (`None`: none, for
/// a service without a port).
pub fn service(ctx: &Context) -> Option<Vec<u8>> {
    let port = ctx.service.port?;
    let svc = ctx.service.name;
    let mut d = Doc(String::with_capacity(512));
    d.string(0, "apiVersion", "v1");
    d.string(0, "kind", "Service");
    d.open(0, "metadata");
    d.open(2, "labels");
    d.string(4, "app", svc);
    d.string(4, "app.kubernetes.io/managed-by", "snapset");
    d.string(4, "app.kubernetes.io/name", svc);
    d.string(2, "name", svc);
    d.string(2, "namespace", ctx.environment.namespace);
    d.open(0, "spec");
    d.open(2, "ports");
    d.0.push_str("    - ");
    d.string(0, "name", "http");
    d.number(6, "port", port);
    d.string(6, "protocol", "TCP");
    d.string(6, "targetPort", "http");
    d.open(2, "selector");
    d.string(4, "app", svc);
    Some(d.0.into_bytes())
}
