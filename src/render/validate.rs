//! Checks each rendered document against its type: k8s-openapi for
//! Kubernetes kinds, snapset's own structs for Istio. serde ignores unknown
//! fields by default, so the document is re-serialised from the type and
//! compared with what the template wrote; anything lost is reported.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;

use super::istio::{DestinationRule, VirtualService};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    Service,
    DestinationRule,
    VirtualService,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::Service => "Service",
            Kind::DestinationRule => "DestinationRule",
            Kind::VirtualService => "VirtualService",
        }
    }

    /// The file name stem in out/ and the template name.
    pub fn file_stem(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::Service => "service",
            Kind::DestinationRule => "destinationrule",
            Kind::VirtualService => "virtualservice",
        }
    }
}

/// Why a document does not fit its type.
#[derive(Debug)]
pub struct Problem {
    pub detail: String,
    /// The offending key, to find its line in the template.
    pub key: Option<String>,
}

/// The document in its canonical form (as the type serialises it).
pub fn check(kind: Kind, doc: &Value) -> Result<Value, Problem> {
    match kind {
        Kind::Deployment => round_trip::<Deployment>(doc),
        Kind::Service => round_trip::<Service>(doc),
        Kind::DestinationRule => round_trip::<DestinationRule>(doc),
        Kind::VirtualService => round_trip::<VirtualService>(doc),
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(doc: &Value) -> Result<Value, Problem> {
    let typed = T::deserialize(doc).map_err(|e| Problem {
        detail: e.to_string(),
        key: None,
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| Problem {
        detail: e.to_string(),
        key: None,
    })?;
    match difference(doc, &back, &mut String::new()) {
        None => Ok(back),
        Some(p) => Err(p),
    }
}

/// The first field of `input` that `canonical` lost or changed. A `null`
/// counts as absent, as it does for the API server.
fn difference(input: &Value, canonical: &Value, path: &mut String) -> Option<Problem> {
    match (input, canonical) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if value.is_null() {
                    continue;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = match b.get(key) {
                    None => Some(Problem {
                        detail: format!("unknown field `{path}`"),
                        key: Some(key.clone()),
                    }),
                    Some(other) => difference(value, other, path),
                };
                if found.is_some() {
                    return found;
                }
                path.truncate(len);
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(p) = difference(x, y, path) {
                    return Some(p);
                }
                path.truncate(len);
            }
            None
        }
        (a, b) if a == b => None,
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => None,
        _ => Some(Problem {
            detail: format!("`{path}` does not keep its value {input} (read as {canonical})"),
            key: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_field_is_reported_with_its_path() {
        let doc = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "cart"},
            "spec": {"selector": {"app": "cart"}, "ports": [{"port": 80, "prot": "TCP"}]}
        });
        let problem = check(Kind::Service, &doc).unwrap_err();
        assert_eq!(problem.detail, "unknown field `spec.ports[0].prot`");
        assert_eq!(problem.key.as_deref(), Some("prot"));
    }

    #[test]
    fn istio_rejects_unknown_fields() {
        let doc = json!({
            "apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "tower"},
            "spec": {"host": "tower", "subset": []}
        });
        assert!(
            check(Kind::DestinationRule, &doc)
                .unwrap_err()
                .detail
                .contains("subset")
        );
    }
}
