//! Gatekeeper's `ExpansionTemplate`: a workload judged as the resources it
//! makes the cluster create (a Deployment's Pods), so that the library's
//! Pod policies judge Deployments before any Pod exists. A violation of
//! the expanded Pod is the workload's, reported at its template line.

use serde_json::{Map, Value};

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Result};

use super::source::{self, Document};

pub const GROUP: &str = "expansion.gatekeeper.sh";

pub struct Expansion {
    pub name: String,
    /// `(groups, kinds)` of `applyTo`.
    apply_to: Vec<(Vec<String>, Vec<String>)>,
    /// `spec.template`, dotted: where the generated resource is written
    /// in the workload.
    pub source: String,
    /// The generated resource's group and kind.
    pub group: String,
    version: String,
    pub kind: String,
}

pub fn read(doc: &Document, sources: &Sources) -> Result<Expansion> {
    let file = sources.get(doc.file);
    let name = doc
        .value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let spec = doc.value.get("spec");
    let text = |p: &str| {
        spec.and_then(|s| s.pointer(p))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let list = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let apply_to = spec
        .and_then(|s| s.get("applyTo"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| (list(a.get("groups")), list(a.get("kinds"))))
        .collect();
    let (Some(template_source), Some(kind)) = (text("/templateSource"), text("/generatedGVK/kind"))
    else {
        return Err(Error::at(
            ErrorKind::PolicyBroken {
                file: file.name.clone(),
                problem: format!(
                    "ExpansionTemplate `{name}` needs `spec.templateSource` and `spec.generatedGVK.kind`"
                ),
            },
            &source::key_loc(doc.file, &file.text, doc.start, "name"),
            "here",
        ));
    };
    Ok(Expansion {
        name,
        apply_to,
        source: template_source,
        group: text("/generatedGVK/group").unwrap_or_default(),
        version: text("/generatedGVK/version").unwrap_or_else(|| "v1".into()),
        kind,
    })
}

impl Expansion {
    /// Whether workloads of `group`/`kind` are expanded.
    pub fn applies(&self, group: &str, kind: &str) -> bool {
        self.apply_to.iter().any(|(groups, kinds)| {
            groups.iter().any(|g| g == "*" || g == group)
                && kinds.iter().any(|k| k == "*" || k == kind)
        })
    }

    /// `make` on the policy engine's values: the workload's template is
    /// shared, not converted again (a Deployment's Pod is most of it).
    pub fn make_input(&self, workload: &regorus::Value) -> Option<regorus::Value> {
        use regorus::Value as V;
        let mut at = workload;
        for key in self.source.split('.') {
            at = at.as_object().ok()?.get(&V::from(key))?;
        }
        let mut made = at.clone();
        let map = made.as_object_mut().ok()?;
        let api_version = match self.group.as_str() {
            "" => self.version.clone(),
            g => format!("{g}/{}", self.version),
        };
        map.insert(V::from("apiVersion"), V::from(api_version));
        map.insert(V::from("kind"), V::from(self.kind.as_str()));
        let parent = &workload["metadata"];
        let metadata = map.get_or_insert_with(V::from("metadata"), V::new_object);
        if let Ok(m) = metadata.as_object_mut() {
            if let Some(ns) = parent
                .as_object()
                .ok()
                .and_then(|p| p.get(&V::from("namespace")))
            {
                m.insert(V::from("namespace"), ns.clone());
            }
            if !m.contains_key(&V::from("name"))
                && let V::String(name) = &parent["name"]
            {
                m.insert(
                    V::from("name"),
                    V::from(format!("{name}-{}", self.kind.to_lowercase())),
                );
            }
        }
        Some(made)
    }

    /// What `workload` makes, when it has the template (`applies` said
    /// it is expanded).
    pub fn make(&self, workload: &Value) -> Option<Value> {
        let mut at = workload;
        for key in self.source.split('.') {
            at = at.get(key)?;
        }
        let mut made = at.as_object()?.clone();
        let api_version = match self.group.as_str() {
            "" => self.version.clone(),
            g => format!("{g}/{}", self.version),
        };
        made.insert("apiVersion".into(), Value::from(api_version));
        made.insert("kind".into(), Value::from(self.kind.clone()));
        let metadata = made
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(m) = metadata.as_object_mut() {
            let parent = workload.get("metadata");
            if let Some(ns) = parent.and_then(|p| p.get("namespace")) {
                m.insert("namespace".into(), ns.clone());
            }
            if !m.contains_key("name")
                && let Some(name) = parent.and_then(|p| p.get("name")).and_then(Value::as_str)
            {
                m.insert(
                    "name".into(),
                    Value::from(format!("{name}-{}", self.kind.to_lowercase())),
                );
            }
        }
        Some(Value::Object(made))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::policy::input::regorus_value;
    use serde_json::json;

    fn pods() -> Expansion {
        Expansion {
            name: "expand-deployments".into(),
            apply_to: vec![(vec!["apps".into()], vec!["Deployment".into()])],
            source: "spec.template".into(),
            group: String::new(),
            version: "v1".into(),
            kind: "Pod".into(),
        }
    }

    /// The Pod made from the engine's value of a Deployment is the one
    /// made from its JSON: both paths give a policy the same input.
    #[test]
    fn the_pod_is_the_same_made_either_way() {
        let x = pods();
        for workload in [
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "cart", "namespace": "shop"},
                   "spec": {"template": {"metadata": {"labels": {"app": "cart"}},
                                         "spec": {"containers": [{"name": "cart", "image": "x"}]}}}}),
            // A template without metadata, a named one, no namespace.
            json!({"metadata": {"name": "cart"}, "spec": {"template": {"spec": {}}}}),
            json!({"metadata": {"name": "cart"}, "spec": {"template": {"metadata": {"name": "own"}}}}),
        ] {
            let made = x.make(&workload).map(|v| regorus_value(&v));
            assert!(made.is_some());
            assert_eq!(x.make_input(&regorus_value(&workload)), made, "{workload}");
        }
        // No template: nothing is made.
        let bare = json!({"metadata": {"name": "cart"}, "spec": {}});
        assert_eq!(x.make(&bare), None);
        assert_eq!(x.make_input(&regorus_value(&bare)), None);
    }
}
