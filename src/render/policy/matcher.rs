//! A constraint's `spec.match`: which objects it judges, as Gatekeeper's
//! matcher decides (pkg/mutation/match). Every criterion given must hold;
//! an object without a namespace (cluster-scoped) passes the namespace
//! criteria unless it is a Namespace, which is judged by its own name and
//! labels.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// What a matcher sees of one object.
pub struct Subject<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    /// `None` for a cluster-scoped object.
    pub namespace: Option<&'a str>,
    pub labels: Option<&'a Map<String, Value>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    All,
    Cluster,
    Namespaced,
}

#[derive(Debug, Default)]
pub struct Selector {
    labels: Vec<(String, String)>,
    expressions: Vec<(String, String, Vec<String>)>,
}

pub struct Match {
    /// `(apiGroups, kinds)` pairs; empty: every kind.
    kinds: Vec<(Vec<String>, Vec<String>)>,
    namespaces: Option<Vec<String>>,
    excluded: Vec<String>,
    labels: Option<Selector>,
    namespace_labels: Option<Selector>,
    scope: Scope,
    name: Option<String>,
}

fn strings(v: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{what}` must list strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{what}` must be a list")),
    }
}

impl Selector {
    fn read(v: &Value, what: &str) -> Result<Selector, String> {
        let mut s = Selector::default();
        if let Some(labels) = v.get("matchLabels") {
            let labels = labels
                .as_object()
                .ok_or_else(|| format!("`{what}.matchLabels` must be a map"))?;
            for (k, v) in labels {
                let v = v
                    .as_str()
                    .ok_or_else(|| format!("`{what}.matchLabels.{k}` must be a string"))?;
                s.labels.push((k.clone(), v.to_string()));
            }
        }
        for e in v
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = e.get("key").and_then(Value::as_str).unwrap_or_default();
            let op = e
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !["In", "NotIn", "Exists", "DoesNotExist"].contains(&op) {
                return Err(format!(
                    "`{what}.matchExpressions` operator `{op}`: expected In, NotIn, Exists or DoesNotExist"
                ));
            }
            let values = strings(e.get("values"), "values")?;
            s.expressions
                .push((key.to_string(), op.to_string(), values));
        }
        Ok(s)
    }

    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.labels.iter().all(|(k, v)| get(k) == Some(v.as_str()))
            && self.expressions.iter().all(|(k, op, values)| {
                let value = get(k);
                match op.as_str() {
                    "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
                    "NotIn" => value.is_none_or(|v| values.iter().all(|x| x != v)),
                    "Exists" => value.is_some(),
                    _ => value.is_none(),
                }
            })
    }
}

/// `kube-*` and `*-system` as Gatekeeper's namespace lists take them.
fn name_matches(pattern: &str, name: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        name.starts_with(prefix)
    } else if let Some(suffix) = pattern.strip_prefix('*') {
        name.ends_with(suffix)
    } else {
        pattern == name
    }
}

impl Match {
    pub fn read(v: Option<&Value>) -> Result<Match, String> {
        let empty = Value::Object(Map::new());
        let v = match v {
            None | Some(Value::Null) => &empty,
            Some(v) if v.is_object() => v,
            Some(_) => return Err("`spec.match` must be a map".into()),
        };
        let mut kinds = Vec::new();
        for k in v
            .get("kinds")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            kinds.push((
                strings(k.get("apiGroups"), "kinds[].apiGroups")?,
                strings(k.get("kinds"), "kinds[].kinds")?,
            ));
        }
        let scope = match v.get("scope").and_then(Value::as_str).unwrap_or("*") {
            "*" => Scope::All,
            "Cluster" => Scope::Cluster,
            "Namespaced" => Scope::Namespaced,
            other => {
                return Err(format!(
                    "scope `{other}`: expected *, Cluster or Namespaced"
                ));
            }
        };
        let selector = |key: &str| {
            v.get(key)
                .filter(|s| !s.is_null())
                .map(|s| Selector::read(s, key))
                .transpose()
        };
        Ok(Match {
            kinds,
            namespaces: v
                .get("namespaces")
                .map(|n| strings(Some(n), "namespaces"))
                .transpose()?,
            excluded: strings(v.get("excludedNamespaces"), "excludedNamespaces")?,
            labels: selector("labelSelector")?,
            namespace_labels: selector("namespaceSelector")?,
            scope,
            name: v.get("name").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// Whether `matches` reads the object's name or labels (a name or a
    /// label selector): objects whose YAML is not read back otherwise are
    /// then read for it.
    pub fn needs_object(&self) -> bool {
        self.name.is_some() || self.labels.is_some() || self.namespace_labels.is_some()
    }

    /// Whether `s` is judged; `namespaces` holds the labels of the
    /// environment's own Namespace objects.
    pub fn matches(&self, s: &Subject, namespaces: &HashMap<String, Map<String, Value>>) -> bool {
        let kind_ok = self.kinds.is_empty()
            || self.kinds.iter().any(|(groups, kinds)| {
                (groups.is_empty() || groups.iter().any(|g| g == "*" || g == s.group))
                    && (kinds.is_empty() || kinds.iter().any(|k| k == "*" || k == s.kind))
            });
        if !kind_ok {
            return false;
        }
        let is_namespace = s.group.is_empty() && s.kind == "Namespace";
        match (self.scope, s.namespace) {
            (Scope::Cluster, Some(_)) | (Scope::Namespaced, None) => return false,
            _ => {}
        }
        if let Some(name) = &self.name
            && !name_matches(name, s.name)
        {
            return false;
        }
        // The namespace an object is judged by: its own, or a Namespace's
        // name; other cluster-scoped objects pass the namespace criteria.
        let judged = match (s.namespace, is_namespace) {
            (Some(ns), _) => Some(ns),
            (None, true) => Some(s.name),
            (None, false) => None,
        };
        if let Some(ns) = judged {
            if let Some(list) = &self.namespaces
                && !list.iter().any(|p| name_matches(p, ns))
            {
                return false;
            }
            if self.excluded.iter().any(|p| name_matches(p, ns)) {
                return false;
            }
            if let Some(selector) = &self.namespace_labels {
                let labels = match is_namespace {
                    true => s.labels,
                    false => namespaces.get(ns),
                };
                if !selector.matches(labels) {
                    return false;
                }
            }
        }
        self.labels.as_ref().is_none_or(|l| l.matches(s.labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subject<'a>(ns: Option<&'a str>, labels: &'a Map<String, Value>) -> Subject<'a> {
        Subject {
            group: "apps",
            kind: "Deployment",
            name: "cart",
            namespace: ns,
            labels: Some(labels),
        }
    }

    #[test]
    fn kinds_namespaces_and_selectors() {
        let m = Match::read(Some(&json!({
            "kinds": [{"apiGroups": ["apps"], "kinds": ["Deployment"]}],
            "excludedNamespaces": ["kube-*"],
            "labelSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]},
            "namespaceSelector": {"matchLabels": {"env": "prod"}}
        })))
        .unwrap();
        let labels = json!({"tier": "web"}).as_object().unwrap().clone();
        let mut namespaces = HashMap::new();
        namespaces.insert(
            "shop".to_string(),
            json!({"env": "prod"}).as_object().unwrap().clone(),
        );
        assert!(m.matches(&subject(Some("shop"), &labels), &namespaces));
        assert!(!m.matches(&subject(Some("kube-system"), &labels), &namespaces));
        assert!(!m.matches(&subject(Some("other"), &labels), &namespaces));
        let other = json!({"tier": "db"}).as_object().unwrap().clone();
        assert!(!m.matches(&subject(Some("shop"), &other), &namespaces));
    }

    #[test]
    fn cluster_scoped_objects_pass_namespace_criteria() {
        let m = Match::read(Some(&json!({"namespaces": ["shop"], "scope": "*"}))).unwrap();
        let labels = Map::new();
        assert!(m.matches(&subject(None, &labels), &HashMap::new()));
        let ns = Match::read(Some(&json!({"scope": "Namespaced"}))).unwrap();
        assert!(!ns.matches(&subject(None, &labels), &HashMap::new()));
    }
}
