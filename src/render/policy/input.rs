//! What a policy's Rego is given and what it answers, as Gatekeeper and
//! conftest define them: Gatekeeper's `input.review` and `data.inventory`,
//! conftest's `data.snapset`, and the messages of a rule's value.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::render::whole::Rendered;
use crate::resolve::ResolvedEnvironment;

/// The input Gatekeeper gives a template's Rego for `object`.
pub fn review(
    object: &Value,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    operation: &str,
    parameters: &Value,
) -> Value {
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut review = review_without_object(api, kind, name, namespace, operation);
    review["object"] = object.clone();
    json!({"review": review, "parameters": parameters})
}

/// `input.review` but its `object`, of an object of `api` (its
/// `apiVersion`).
fn review_without_object(
    api: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    operation: &str,
) -> Value {
    let (group, version) = match api.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    json!({
        "kind": {"group": group, "version": version, "kind": kind},
        "name": name,
        "namespace": namespace.unwrap_or_default(),
        "operation": operation,
        "uid": "",
        "userInfo": {"username": "snapset"},
        "dryRun": false,
    })
}

/// `input.review` as a regorus value, made once per object for every
/// constraint that judges it (`gatekeeper` adds a constraint's
/// parameters); `object` is shared, not copied, and the rest is built as
/// the engine's values (through JSON, it was a twentieth of a first run).
pub fn review_value(
    object: &regorus::Value,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    operation: &str,
) -> regorus::Value {
    use regorus::Value as V;
    fn map<const N: usize>(entries: [(&str, V); N]) -> V {
        V::from(
            entries
                .into_iter()
                .map(|(k, v)| (V::from(k), v))
                .collect::<BTreeMap<_, _>>(),
        )
    }
    let api: &str = match &object["apiVersion"] {
        V::String(s) => s,
        _ => "",
    };
    let (group, version) = match api.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api),
    };
    map([
        (
            "kind",
            map([
                ("group", V::from(group)),
                ("version", V::from(version)),
                ("kind", V::from(kind)),
            ]),
        ),
        ("name", V::from(name)),
        ("namespace", V::from(namespace.unwrap_or_default())),
        ("operation", V::from(operation)),
        ("uid", V::from("")),
        ("userInfo", map([("username", V::from("snapset"))])),
        ("dryRun", V::from(false)),
        ("object", object.clone()),
    ])
}

/// The input of a Gatekeeper template: the review and the constraint's
/// parameters, both shared (regorus values are reference-counted).
pub fn gatekeeper(review: &regorus::Value, parameters: &regorus::Value) -> regorus::Value {
    regorus::Value::from(std::collections::BTreeMap::from([
        (regorus::Value::from("review"), review.clone()),
        (regorus::Value::from("parameters"), parameters.clone()),
    ]))
}

/// A JSON value as regorus's, read without copying the JSON first.
pub fn regorus_value(value: &Value) -> regorus::Value {
    serde::Deserialize::deserialize(value).unwrap_or(regorus::Value::Undefined)
}

/// The YAML snapset writes, read straight into regorus's values: a JSON
/// tree between was a fifth of a first run's evaluation.
impl crate::render::yaml_read::Tree for regorus::Value {
    type Map = BTreeMap<regorus::Value, regorus::Value>;
    fn null() -> Self {
        regorus::Value::Null
    }
    fn bool(b: bool) -> Self {
        regorus::Value::from(b)
    }
    fn int(i: i64) -> Self {
        regorus::Value::from(i)
    }
    fn string(s: String) -> Self {
        regorus::Value::from(s)
    }
    fn list(items: Vec<Self>) -> Self {
        regorus::Value::from(items)
    }
    fn object(map: Self::Map) -> Self {
        regorus::Value::from(map)
    }
    fn insert(map: &mut Self::Map, key: String, value: Self) -> bool {
        map.insert(regorus::Value::from(key), value).is_none()
    }
    fn json(text: &str) -> Option<Self> {
        serde_json::from_str::<Value>(text)
            .ok()
            .map(|v| regorus_value(&v))
    }
}

/// `data.inventory` of `(object, kind, name, namespace)`s.
pub fn inventory_of<'v>(
    objects: impl Iterator<Item = (&'v Value, &'v str, &'v str, Option<&'v str>)>,
) -> Value {
    let mut cluster = Map::new();
    let mut namespaced = Map::new();
    for (object, kind, name, namespace) in objects {
        let api = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        match namespace {
            Some(ns) => {
                let at = namespaced
                    .entry(ns.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                insert(at, &[api, kind, name], object.clone());
            }
            None => {
                let at = cluster
                    .entry(api.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                insert(at, &[kind, name], object.clone());
            }
        }
    }
    json!({"cluster": cluster, "namespace": namespaced})
}

fn insert(at: &mut Value, path: &[&str], value: Value) {
    let mut at = at;
    for key in path {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let Value::Object(map) = at else { return };
        at = map
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    *at = value;
}

/// `data` of a conftest rule: where the object is deployed.
pub fn snapset_data(env: &ResolvedEnvironment, d: &Rendered, namespace: &str) -> Value {
    let service = d.written.service;
    let track = d.written.track.and_then(|t| service.map(|s| &s.tracks[t]));
    let commit = track.map(|t| t.commit.clone()).or_else(|| {
        let s = service?;
        let first = s.tracks.first()?;
        s.tracks
            .iter()
            .all(|t| t.commit == first.commit)
            .then(|| first.commit.clone())
    });
    json!({"snapset": {
        "environment": env.name,
        "service": service.map(|s| s.name.clone()),
        "track": track.map(|t| t.name.clone()),
        "commit": commit,
        "snapshot": env.snapshot.name,
        "namespace": namespace,
    }})
}

/// The messages of a rule's value: a set (JSON array) of strings, or of
/// objects with `msg` and a field path in `field` or `details.field`.
pub fn messages(value: &Value) -> Vec<(String, Option<String>)> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null | Value::Bool(false) => Vec::new(),
        other => vec![other],
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => (s.clone(), None),
            Value::Object(o) => {
                let msg = o
                    .get("msg")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| item.to_string());
                let field = o
                    .get("field")
                    .or_else(|| o.get("details").and_then(|d| d.get("field")))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                (msg, field)
            }
            other => (other.to_string(), None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The review built as the engine's values is Gatekeeper's review
    /// (`review`, the JSON `policies test` gives) converted.
    #[test]
    fn the_review_is_the_same_built_either_way() {
        let object = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                            "metadata": {"name": "cart", "labels": {"on": "yes"}}});
        for (namespace, object) in [
            (Some("shop"), object),
            (None, json!({"apiVersion": "v1", "kind": "Namespace"})),
            (None, json!({"kind": "Odd"})),
        ] {
            let json = review(&object, "Kind", "cart", namespace, "CREATE", &json!({}));
            let ours = review_value(&regorus_value(&object), "Kind", "cart", namespace, "CREATE");
            assert_eq!(ours, regorus_value(&json["review"]), "{object}");
        }
    }
}
