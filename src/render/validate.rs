//! Checks each rendered document against its type: k8s-openapi for
//! Kubernetes kinds, snapset's own structs for Istio. serde ignores unknown
//! fields by default, so the document is re-serialised from the type and
//! compared with what the template wrote; anything lost is reported.

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

/// Checks the document against its type. serde skips fields a type does
/// not know, so the skipped ones are collected and the first is reported:
/// a misspelt key would otherwise vanish without a word.
pub fn check(kind: Kind, doc: &Value) -> Result<(), Problem> {
    match kind {
        Kind::Deployment => typed::<Deployment>(doc),
        Kind::Service => typed::<Service>(doc),
        Kind::DestinationRule => typed::<DestinationRule>(doc),
        Kind::VirtualService => typed::<VirtualService>(doc),
    }
}

fn typed<T: DeserializeOwned>(doc: &Value) -> Result<(), Problem> {
    let mut unknown: Option<Problem> = None;
    let result: Result<T, _> = serde_ignored::deserialize(doc, |path| {
        if unknown.is_none() {
            let mut text = String::new();
            let key = write_path(&path, &mut text);
            unknown = Some(Problem {
                detail: format!("unknown field `{text}`"),
                key,
            });
        }
    });
    match (result, unknown) {
        (Err(e), _) => Err(Problem {
            detail: e.to_string(),
            key: None,
        }),
        (Ok(_), Some(problem)) => Err(problem),
        (Ok(_), None) => Ok(()),
    }
}

/// `spec.ports[0].prot`, returning the last key.
fn write_path(path: &serde_ignored::Path, out: &mut String) -> Option<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => None,
        Path::Seq { parent, index } => {
            write_path(parent, out);
            out.push_str(&format!("[{index}]"));
            None
        }
        Path::Map { parent, key } => {
            write_path(parent, out);
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
            Some(key.clone())
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => write_path(parent, out),
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
