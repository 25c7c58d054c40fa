//! The lookup of Kubernetes kinds by apiVersion and kind.

use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::problem::Problem;
use super::typed::typed;

/// One Kubernetes kind and the check of its k8s-openapi type.
pub(crate) struct KindCheck {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub check: fn(&Value) -> Result<(), Problem>,
    /// Whether its objects live in a namespace (`false`: cluster-wide).
    pub namespaced: bool,
}

impl KindCheck {
    pub const fn of<T: k8s_openapi::Resource<Scope: Scope> + DeserializeOwned>() -> Self {
        KindCheck {
            api_version: T::API_VERSION,
            kind: T::KIND,
            check: root::<T>,
            namespaced: <T::Scope as Scope>::NAMESPACED,
        }
    }
}

/// k8s-openapi says a kind's scope as a type; the whole-environment check
/// needs it as a value.
pub(crate) trait Scope {
    const NAMESPACED: bool;
}

impl Scope for k8s_openapi::NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl Scope for k8s_openapi::ClusterResourceScope {
    const NAMESPACED: bool = false;
}

impl Scope for k8s_openapi::SubResourceScope {
    const NAMESPACED: bool = true;
}

fn root<T: DeserializeOwned>(doc: &Value) -> Result<(), Problem> {
    typed::<T>(doc, "")?;
    super::containers::check(doc)
}

/// Sorted once, searched by halves: 80 entries, a handful of comparisons.
static SORTED: LazyLock<Vec<&'static KindCheck>> = LazyLock::new(|| {
    let mut kinds: Vec<&KindCheck> = super::kubernetes::KINDS.iter().collect();
    kinds.sort_by_key(|k| (k.api_version, k.kind));
    kinds
});

pub(crate) fn find(api_version: &str, kind: &str) -> Option<&'static KindCheck> {
    SORTED
        .binary_search_by(|k| (k.api_version, k.kind).cmp(&(api_version, kind)))
        .ok()
        .map(|i| SORTED[i])
}
