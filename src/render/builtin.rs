//! The built-in Deployment and Service templates, compiled to Rust. They
//! are most of a release's documents, and going through minijinja, a YAML
//! reader and a typed check cost five times what building the document
//! directly does. This code must say exactly what
//! `templates/deployment.yaml.j2` and `templates/service.yaml.j2` say:
//! debug builds (and so every test) render both ways and compare. Where a
//! value would need the template's own checks (a float, an out-of-range
//! number), it answers `None` and the template renders instead.

use serde_json::{Map, Value, json};

use super::context::Context;

/// The document the built-in Deployment template renders for `ctx`.
pub fn deployment(ctx: &Context) -> Option<Value> {
    let track = ctx.track.as_ref()?;
    let replicas = i32::try_from(track.replicas).ok()?;
    let mut container = Map::new();
    container.insert("name".into(), json!(ctx.service.name));
    container.insert("image".into(), json!(track.image));
    container.insert(
        "ports".into(),
        json!([{"name": "http", "containerPort": ctx.service.port, "protocol": "TCP"}]),
    );
    if !ctx.env.is_empty() || !ctx.features.is_empty() {
        let mut env: Vec<Value> = ctx
            .env
            .iter()
            .map(|var| match (var.secret, var.key, var.value) {
                (Some(secret), Some(key), _) => {
                    json!({"name": var.name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
                }
                (_, _, value) => json!({"name": var.name, "value": value}),
            })
            .collect();
        for (feature, enabled) in &ctx.features {
            let name = format!("FEATURE_{feature}")
                .to_uppercase()
                .replace('-', "_");
            env.push(json!({"name": name, "value": if *enabled { "true" } else { "false" }}));
        }
        container.insert("env".into(), Value::Array(env));
    }
    let var = |name: &str| ctx.vars.get(name);
    let has = |name: &str| ctx.vars.contains_key(name);
    if has("cpu") || has("memory") || has("cpu-limit") || has("memory-limit") {
        let mut resources = Map::new();
        if has("cpu") || has("memory") {
            let mut requests = Map::new();
            if let Some(cpu) = var("cpu") {
                requests.insert("cpu".into(), quantity(cpu)?);
            }
            if let Some(memory) = var("memory") {
                requests.insert("memory".into(), quantity(memory)?);
            }
            resources.insert("requests".into(), Value::Object(requests));
        }
        if has("cpu-limit") || has("memory-limit") || has("memory") {
            let mut limits = Map::new();
            if let Some(cpu) = var("cpu-limit") {
                limits.insert("cpu".into(), quantity(cpu)?);
            }
            if let Some(memory) = var("memory-limit").or_else(|| var("memory")) {
                limits.insert("memory".into(), quantity(memory)?);
            }
            resources.insert("limits".into(), Value::Object(limits));
        }
        container.insert("resources".into(), Value::Object(resources));
    }
    let period = match var("probe-period") {
        None => json!(10),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|p| i32::try_from(p).is_ok()) => {
            Value::Number(n.clone())
        }
        Some(_) => return None,
    };
    for (var_name, field) in [
        ("readiness-path", "readinessProbe"),
        ("liveness-path", "livenessProbe"),
    ] {
        if let Some(path) = var(var_name) {
            let path = path.as_str()?;
            container.insert(
                field.into(),
                json!({"httpGet": {"path": path, "port": "http"}, "periodSeconds": period}),
            );
        }
    }
    let labels = json!({
        "app": ctx.service.name,
        "version": track.name,
        "app.kubernetes.io/name": ctx.service.name,
        "app.kubernetes.io/version": track.short,
    });
    let mut metadata_labels = labels.clone();
    metadata_labels["app.kubernetes.io/managed-by"] = json!("snapset");
    Some(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": ctx.name,
            "namespace": ctx.environment.namespace,
            "labels": metadata_labels,
            "annotations": {
                "snapset.dev/commit": track.commit,
                "snapset.dev/snapshot": ctx.snapshot.name,
            },
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": ctx.service.name, "version": track.name}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {"snapset.dev/commit": track.commit},
                },
                "spec": {"containers": [Value::Object(container)]},
            },
        },
    }))
}

/// `{{ value | string }}` where the result must read as a Kubernetes
/// quantity string; other kinds of value are left to the template path.
fn quantity(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => Some(json!(s)),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(json!(n.to_string())),
        _ => None,
    }
}

/// The document the built-in Service template renders for `ctx`.
pub fn service(ctx: &Context) -> Option<Value> {
    Some(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": ctx.service.name,
            "namespace": ctx.environment.namespace,
            "labels": {
                "app": ctx.service.name,
                "app.kubernetes.io/name": ctx.service.name,
                "app.kubernetes.io/managed-by": "snapset",
            },
        },
        "spec": {
            "selector": {"app": ctx.service.name},
            "ports": [{"name": "http", "port": ctx.service.port, "targetPort": "http", "protocol": "TCP"}],
        },
    }))
}
