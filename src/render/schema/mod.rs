//! Checks any rendered object before it is written. Templates may render any
//! kind, and neither the cluster nor a GitOps agent says when a field is
//! misspelt: the API server drops what it does not know. So every object is
//! checked strictly, by its apiVersion and kind:
//!
//! 1. Kubernetes 1.33 kinds, through their k8s-openapi types (`kubernetes`);
//! 2. custom resources, through the schema of their CustomResourceDefinition
//!    in the workspace's `crds/` (`custom`, `openapi`);
//! 3. Istio's DestinationRule and VirtualService, through snapset's strict
//!    structs, when `crds/` does not define them;
//!
//! and anything else is refused with a hint to add its CRD.

mod containers;
mod crds;
mod custom;
mod data;
mod int_or_string;
mod istio;
mod istio_headers;
mod kinds;
mod kubernetes;
mod openapi;
mod problem;
pub mod quantity;
mod removed;
mod typed;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Result};

use custom::Crd;
pub use problem::Problem;

/// What a rendered object may look like, by apiVersion and kind.
/// Shared by the render threads: checks take `&self` and compile CRD schemas
/// behind `OnceLock`s.
pub struct Schemas {
    /// By group, then kind.
    crds: HashMap<String, HashMap<String, Crd>>,
    /// Files of `crds/` that were not read, one warning each: the caller
    /// shows them.
    pub warnings: Vec<Error>,
}

impl Schemas {
    /// Reads every `.yaml` and `.yml` file under the workspace root's
    /// `crds/`, at any depth (sorted by path; absent folder = no CRDs),
    /// registering each file in `sources` (name `crds/<path>`) so errors
    /// carry Locs (file:line). Other files are in `warnings`.
    pub fn load(root: &Path, sources: &mut Sources) -> Result<Schemas> {
        let mut schemas = Schemas::builtin();
        let mut errors = Vec::new();
        for crd in crds::read(root, sources, &mut schemas.warnings)? {
            let kinds = schemas.crds.entry(crd.group.clone()).or_default();
            match kinds.get(&crd.kind) {
                Some(first) => errors.push(
                    Error::at(
                        ErrorKind::Duplicate {
                            kind: "CustomResourceDefinition of",
                            name: format!("{}/{}", crd.group, crd.kind),
                        },
                        &crd.loc,
                        "defined again here",
                    )
                    .label(&first.loc, "first defined here"),
                ),
                None => {
                    kinds.insert(crd.kind.clone(), crd);
                }
            }
        }
        if errors.is_empty() {
            Ok(schemas)
        } else {
            Err(Error::many(errors))
        }
    }

    /// A Schemas with no CRDs (tests, and commands that need none).
    pub fn builtin() -> Schemas {
        Schemas {
            crds: HashMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Checks one rendered object (parsed YAML as JSON) by its apiVersion and
    /// kind. When the object's CRD schema cannot be compiled, the Problem
    /// carries the located error in `schema`.
    pub fn check(&self, doc: &Value) -> std::result::Result<(), Problem> {
        let api_version = field(doc, "apiVersion")?;
        let kind = field(doc, "kind")?;
        self.check_kind(api_version, kind, doc)?;
        if kind == "VirtualService" && api_version.starts_with("networking.istio.io/") {
            istio_headers::check(doc)?;
        }
        Ok(())
    }

    /// Whether objects of this apiVersion and kind live in a namespace:
    /// Kubernetes kinds by their type, custom ones by their CRD's `scope`;
    /// a kind snapset does not know (refused by `check` anyway) counts as
    /// namespaced, as most kinds are.
    pub fn namespaced(&self, api_version: &str, kind: &str) -> bool {
        if let Some(k) = kinds::find(api_version, kind) {
            return k.namespaced;
        }
        api_version
            .split_once('/')
            .and_then(|(group, _)| self.crds.get(group)?.get(kind))
            .is_none_or(|crd| crd.namespaced)
    }

    /// The check of the object's own kind: its Kubernetes type, its CRD's
    /// schema, or snapset's Istio types.
    fn check_kind(
        &self,
        api_version: &str,
        kind: &str,
        doc: &Value,
    ) -> std::result::Result<(), Problem> {
        if let Some(k) = kinds::find(api_version, kind) {
            return (k.check)(doc);
        }
        if let Some((group, version)) = api_version.split_once('/')
            && let Some(crd) = self.crds.get(group).and_then(|kinds| kinds.get(kind))
        {
            return crd.check(version, doc);
        }
        match (api_version, kind) {
            ("networking.istio.io/v1", "DestinationRule") => {
                typed::typed::<istio::DestinationRule>(doc, "")
            }
            ("networking.istio.io/v1", "VirtualService") => {
                typed::typed::<istio::VirtualService>(doc, "")
            }
            // A version Kubernetes removed, or a kind at the wrong version:
            // the apiVersion is what to change, not crds/.
            _ => Err(match removed::explain(api_version, kind) {
                Some(detail) => Problem::new(detail, Some("apiVersion".into())),
                None => Problem::new(
                    format!(
                        "`{kind}` (apiVersion `{api_version}`) is neither a Kubernetes 1.33 kind nor defined by a CustomResourceDefinition in crds/: add its CRD to crds/"
                    ),
                    Some("kind".into()),
                ),
            }),
        }
    }
}

/// Whether a container's `resources` (`limits`, `requests`) is one the API
/// server accepts: names, amounts, requests within limits. The compiled
/// built-in Deployment asks, and leaves any other to its template, whose
/// render reports the problem with its line.
///
/// The verdict is the template path's own: the value is read into
/// k8s-openapi's `ResourceRequirements` through the same `Data` reader (so
/// every quantity is parsed where it is read) and the same containers walk,
/// not a second list of rules that could drift from the first.
pub fn container_resources_ok(resources: &Value) -> bool {
    remembered(Part::Resources, resources, |resources| {
        typed::typed::<k8s_openapi::api::core::v1::ResourceRequirements>(resources, "").is_ok()
            && containers::check(&serde_json::json!({ "containers": [{ "resources": resources }] }))
                .is_ok()
    })
}

/// Whether a pod's `tolerations` is one its type accepts, by the same typed
/// read as a whole object's check (for the compiled built-in Deployment).
pub fn tolerations_ok(tolerations: &Value) -> bool {
    remembered(Part::Tolerations, tolerations, |tolerations| {
        typed::typed::<Vec<k8s_openapi::api::core::v1::Toleration>>(tolerations, "").is_ok()
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Resources,
    Tolerations,
}

/// The verdict of `check` on `value`, remembered by the value's text. A
/// thousand services share a handful of `resources` values, and the typed
/// read costs a few microseconds each: at 1,000 services × 3 environments
/// it was a tenth of `check`. The verdict depends on the value alone.
fn remembered(part: Part, value: &Value, check: impl FnOnce(&Value) -> bool) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    /// Past this many values (a hostile workspace), start again.
    const MAX: usize = 4096;
    static SEEN: OnceLock<Mutex<HashMap<(Part, String), bool>>> = OnceLock::new();
    let key = (part, value.to_string());
    let seen = SEEN.get_or_init(Mutex::default);
    if let Some(&ok) = seen.lock().ok().as_ref().and_then(|m| m.get(&key)) {
        return ok;
    }
    let ok = check(value);
    if let Ok(mut map) = seen.lock() {
        if map.len() >= MAX {
            map.clear();
        }
        map.insert(key, ok);
    }
    ok
}

/// `apiVersion` or `kind`, which every object must state as a string.
fn field<'a>(doc: &'a Value, name: &str) -> std::result::Result<&'a str, Problem> {
    match doc.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(Problem::new(
            format!("`{name}` must be a string, not `{other}`"),
            Some(name.into()),
        )),
        None if doc.is_object() => Err(Problem::new(
            format!("the object has no `{name}`: every manifest states its apiVersion and kind"),
            None,
        )),
        None => Err(Problem::new(
            format!("a manifest must be a map, not `{doc}`"),
            None,
        )),
    }
}
