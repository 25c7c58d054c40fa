//! The objects snapset renders that are not workloads — the Namespace and
//! ConfigMaps of environment scope, a service's Service, ServiceAccount,
//! PodDisruptionBudget, an HPA, a VirtualService … — compared with the live
//! answer by identity (API group, kind, namespace, name). Workloads are
//! compared by commit (`status::compare`); these by their fields: `changed`
//! when a field snapset renders differs from the live object. The cluster
//! adds fields (defaults, `status`, `metadata.uid`, kubectl's annotations),
//! so only the rendered fields are compared, and lists item by item.
//!
//! A kind is compared only when the live answer holds some object of it:
//! `kubectl get deploy,sts,ds,cronjob` says nothing of ConfigMaps, and they
//! must not all be `missing` for it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::render::RenderedEnvironment;
use crate::render::schema::quantity;
use crate::status::live::is_workload;
use crate::status::{Row, State};

/// One object of `out/<env>/`, with the service whose folder holds it
/// (`None`: environment scope).
#[derive(Debug, Clone)]
pub struct RenderedObject {
    pub service: Option<String>,
    pub value: Value,
}

/// The API group, kind, namespace and name of an object: the group, not the
/// version, since kubectl answers in the version the server prefers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Identity {
    group: String,
    kind: String,
    namespace: Option<String>,
    name: String,
}

fn identity(value: &Value) -> Option<Identity> {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str);
    let api_version = text("/apiVersion").unwrap_or("");
    Some(Identity {
        group: api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
            .to_string(),
        kind: text("/kind")?.to_string(),
        namespace: text("/metadata/namespace").map(str::to_string),
        name: text("/metadata/name")?.to_string(),
    })
}

/// The objects of a rendered environment that are not workloads, read
/// back from snapset's own YAML (`kustomization.yaml` and `snapshot.json`
/// are not applied to the cluster).
pub fn rendered(env: &RenderedEnvironment, cluster: Option<&str>) -> Vec<RenderedObject> {
    let mut out = Vec::new();
    for (path, bytes) in &env.files {
        // An environment on clusters: the folder of the cluster compared.
        let path = match cluster {
            Some(c) => match path.strip_prefix(c).and_then(|p| p.strip_prefix('/')) {
                Some(p) => p,
                None => continue,
            },
            None => path.as_str(),
        };
        if !path.ends_with(".yaml") || path.ends_with("kustomization.yaml") {
            continue;
        }
        let service = path.split_once('/').map(|(dir, _)| dir.to_string());
        let text = String::from_utf8_lossy(bytes);
        for document in text.split("\n---\n") {
            let Ok(value) = serde_norway::from_str::<Value>(document) else {
                continue;
            };
            let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
            if value.is_object() && !is_workload(&value, kind) {
                out.push(RenderedObject {
                    service: service.clone(),
                    value,
                });
            }
        }
    }
    out
}

/// A row per rendered object of a kind the live answer holds (`same`,
/// `changed`, `missing`), and per live object that snapset stamped, in the
/// environment's namespace, that it no longer renders (`not-in-snapshot`).
pub fn compare(rendered: &[RenderedObject], live: &[Value], namespace: Option<&str>) -> Vec<Row> {
    let covered: BTreeSet<(String, String)> = live
        .iter()
        .filter_map(identity)
        .map(|id| (id.group, id.kind))
        .collect();
    let live_ids: Vec<(Identity, &Value)> = live
        .iter()
        .filter_map(|v| Some((identity(v)?, v)))
        .collect();
    let mut matched = vec![false; live_ids.len()];
    let mut rows = Vec::new();
    for object in rendered {
        let Some(id) = identity(&object.value) else {
            continue;
        };
        if !covered.contains(&(id.group.clone(), id.kind.clone())) {
            continue;
        }
        // A rendered object without a namespace lands in the one it is
        // applied to.
        let found = live_ids.iter().position(|(live, _)| {
            (&live.group, &live.kind, &live.name) == (&id.group, &id.kind, &id.name)
                && (id.namespace.is_none() || live.namespace == id.namespace)
        });
        let (state, detail, live_ns) = match found {
            None => (State::Missing, None, None),
            Some(i) => {
                matched[i] = true;
                let (live_id, value) = &live_ids[i];
                match differs(&object.value, value) {
                    None => (State::Same, None, live_id.namespace.clone()),
                    Some(detail) => (State::Changed, Some(detail), live_id.namespace.clone()),
                }
            }
        };
        let what = format!("{} {}", id.kind, id.name);
        rows.push(row(
            object.service.as_deref(),
            &id,
            state,
            match detail {
                Some(detail) => format!("{what}: {detail}"),
                None => what,
            },
            live_ns
                .or(id.namespace.clone())
                .or(namespace.map(str::to_string)),
        ));
    }
    for ((id, value), matched) in live_ids.iter().zip(matched) {
        let stamped = value
            .pointer("/metadata/labels/app.kubernetes.io~1managed-by")
            .and_then(Value::as_str)
            == Some("snapset");
        // A cluster-scope object of another environment would look alike:
        // only the environment's namespace is snapset's to judge.
        let ours = id.namespace.is_some() && id.namespace.as_deref() == namespace;
        if !matched && stamped && ours {
            let service = value
                .pointer("/metadata/labels/app")
                .and_then(Value::as_str);
            rows.push(row(
                service,
                id,
                State::NotInSnapshot,
                format!("{} {}: snapset no longer renders it", id.kind, id.name),
                id.namespace.clone(),
            ));
        }
    }
    rows
}

fn row(
    service: Option<&str>,
    id: &Identity,
    state: State,
    subject: String,
    namespace: Option<String>,
) -> Row {
    Row {
        service: service.unwrap_or("-").to_string(),
        track: "-".to_string(),
        deployment: Some(id.name.clone()),
        kind: Some(id.kind.clone()),
        namespace,
        snapshot_commit: None,
        live_commit: None,
        state,
        ahead: None,
        behind: None,
        subject: Some(subject),
        image: None,
        ready: None,
        desired: None,
        cluster: None,
    }
}

/// The first field of `rendered` that `live` does not have as rendered,
/// said for people (`data.LOG_LEVEL is "debug" live, "info" rendered`);
/// `None` when every rendered field is there.
pub fn differs(rendered: &Value, live: &Value) -> Option<String> {
    let mut path = String::new();
    walk(rendered, Some(live), &mut path)
}

fn walk(rendered: &Value, live: Option<&Value>, path: &mut String) -> Option<String> {
    let at = |path: &str| {
        if path.is_empty() {
            "the object".to_string()
        } else {
            path.to_string()
        }
    };
    match (rendered, live) {
        // `null` writes nothing (`replicas: null` leaves it to an HPA).
        (Value::Null, _) => None,
        (r, None) if writes_nothing(r) => None,
        (_, None) => Some(format!("{} is not in the live object", at(path))),
        (Value::Object(r), Some(Value::Object(l))) => {
            for (key, value) in r {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = walk(value, l.get(key), path);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (Value::Array(r), Some(Value::Array(l))) => {
            if r.len() != l.len() {
                return Some(format!(
                    "{} has {} items live, {} rendered",
                    at(path),
                    l.len(),
                    r.len()
                ));
            }
            for (i, (r, l)) in r.iter().zip(l).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(r, Some(l), path);
                path.truncate(len);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        (r, Some(l)) if same_scalar(r, l) => None,
        (r, Some(l)) => Some(format!(
            "{} is {} live, {} rendered",
            at(path),
            shown(l),
            shown(r)
        )),
    }
}

/// A value the API server keeps no trace of: `null`, and maps and lists
/// holding nothing else (`labels: {}`, `env: []`).
fn writes_nothing(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.values().all(writes_nothing),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Equal as the API server stores them: `"8080"` and `8080` where a field
/// takes either, and quantities by amount (the server writes `1000m` as
/// `1`).
fn same_scalar(rendered: &Value, live: &Value) -> bool {
    if rendered == live {
        return true;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match (text(rendered), text(live)) {
        (Some(r), Some(l)) => {
            r == l || matches!((quantity::parse(&r), quantity::parse(&l)), (Ok(a), Ok(b)) if a == b)
        }
        _ => false,
    }
}

/// A live or rendered value in a message: a scalar as JSON writes it, a
/// map or list by what it is.
fn shown(value: &Value) -> String {
    match value {
        Value::Object(_) => "a map".to_string(),
        Value::Array(_) => "a list".to_string(),
        scalar => scalar.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_rendered_fields_count() {
        let rendered = json!({"kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"k": "v"}, "spec": {"replicas": null}});
        let live = json!({"kind": "ConfigMap", "metadata": {"name": "a", "uid": "u", "labels": {"x": "1", "y": "2"}}, "data": {"k": "v"}});
        assert_eq!(differs(&rendered, &live), None);
        let changed = json!({"kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"k": "w"}});
        assert_eq!(
            differs(&rendered, &changed).as_deref(),
            Some("data.k is \"w\" live, \"v\" rendered")
        );
        let gone = json!({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        assert_eq!(
            differs(&rendered, &gone).as_deref(),
            Some("metadata.labels is not in the live object")
        );
    }

    #[test]
    fn lists_item_by_item_and_quantities_by_amount() {
        let rendered =
            json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}], "cpu": "1000m"}});
        let live = json!({"spec": {"ports": [{"port": 80, "targetPort": "http", "protocol": "TCP"}], "cpu": "1"}});
        assert_eq!(differs(&rendered, &live), None);
        let two = json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 81}], "cpu": "1"}});
        assert_eq!(
            differs(&rendered, &two).as_deref(),
            Some("spec.ports has 2 items live, 1 rendered")
        );
    }
}
