//! Structured variables seen as leaves named by dotted paths, the way
//! `diff` reports them (`resources.requests.cpu`) and the way masking
//! decides what is secret (any leaf whose path contains a secret-looking
//! name).

use std::collections::BTreeMap;

use serde_json::Value;

/// Every leaf of `vars`: nested maps are walked, lists and scalars are
/// leaves, and an empty map is a leaf of its own (it renders as `{}`).
pub fn leaves(vars: &BTreeMap<String, Value>) -> BTreeMap<String, &Value> {
    let mut out = BTreeMap::new();
    for (key, value) in vars {
        walk(key.clone(), value, &mut out);
    }
    out
}

fn walk<'v>(path: String, value: &'v Value, out: &mut BTreeMap<String, &'v Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                walk(format!("{path}.{key}"), inner, out);
            }
        }
        _ => {
            out.insert(path, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_are_walked_and_lists_are_leaves() {
        let vars: BTreeMap<String, Value> = [
            ("replicas".to_string(), json!(2)),
            (
                "resources".to_string(),
                json!({"requests": {"cpu": "1"}, "limits": {}}),
            ),
            ("hosts".to_string(), json!(["a", "b"])),
        ]
        .into();
        let got: Vec<(String, Value)> = leaves(&vars)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("hosts".into(), json!(["a", "b"])),
                ("replicas".into(), json!(2)),
                ("resources.limits".into(), json!({})),
                ("resources.requests.cpu".into(), json!("1")),
            ]
        );
    }
}
