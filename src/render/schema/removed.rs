//! API versions that Kubernetes served once and removed by 1.33, with the
//! version that replaces each: a manifest copied from an old chart or blog
//! post says `autoscaling/v2beta2`, and "add its CRD to crds/" would send its
//! author the wrong way. From the Kubernetes deprecated API migration guide
//! (https://kubernetes.io/docs/reference/using-api/deprecation-guide/).

/// One kind at one removed apiVersion.
struct Removed {
    api_version: &'static str,
    kind: &'static str,
    /// The Kubernetes minor version that stopped serving it.
    removed_in: &'static str,
    /// The apiVersion to write instead; `None` when nothing replaces it.
    replacement: Option<&'static str>,
}

const fn r(
    api_version: &'static str,
    kind: &'static str,
    removed_in: &'static str,
    replacement: Option<&'static str>,
) -> Removed {
    Removed {
        api_version,
        kind,
        removed_in,
        replacement,
    }
}

const APPS: Option<&str> = Some("apps/v1");
const INGRESS: Option<&str> = Some("networking.k8s.io/v1");
const FLOW: Option<&str> = Some("flowcontrol.apiserver.k8s.io/v1");

static REMOVED: &[Removed] = &[
    // 1.16
    r("extensions/v1beta1", "DaemonSet", "1.16", APPS),
    r("extensions/v1beta1", "Deployment", "1.16", APPS),
    r("extensions/v1beta1", "ReplicaSet", "1.16", APPS),
    r("extensions/v1beta1", "NetworkPolicy", "1.16", INGRESS),
    r("extensions/v1beta1", "PodSecurityPolicy", "1.16", None),
    r("apps/v1beta1", "Deployment", "1.16", APPS),
    r("apps/v1beta1", "StatefulSet", "1.16", APPS),
    r("apps/v1beta1", "ReplicaSet", "1.16", APPS),
    r("apps/v1beta1", "ControllerRevision", "1.16", APPS),
    r("apps/v1beta2", "DaemonSet", "1.16", APPS),
    r("apps/v1beta2", "Deployment", "1.16", APPS),
    r("apps/v1beta2", "StatefulSet", "1.16", APPS),
    r("apps/v1beta2", "ReplicaSet", "1.16", APPS),
    r("apps/v1beta2", "ControllerRevision", "1.16", APPS),
    // 1.22
    r(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        "1.22",
        Some("admissionregistration.k8s.io/v1"),
    ),
    r(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        "1.22",
        Some("admissionregistration.k8s.io/v1"),
    ),
    r(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        Some("apiextensions.k8s.io/v1"),
    ),
    r(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        "1.22",
        Some("apiregistration.k8s.io/v1"),
    ),
    r(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        "1.22",
        Some("certificates.k8s.io/v1"),
    ),
    r(
        "coordination.k8s.io/v1beta1",
        "Lease",
        "1.22",
        Some("coordination.k8s.io/v1"),
    ),
    r("extensions/v1beta1", "Ingress", "1.22", INGRESS),
    r("networking.k8s.io/v1beta1", "Ingress", "1.22", INGRESS),
    r("networking.k8s.io/v1beta1", "IngressClass", "1.22", INGRESS),
    r(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
    ),
    r(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
    ),
    r(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
    ),
    r(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        "1.22",
        Some("rbac.authorization.k8s.io/v1"),
    ),
    r(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        "1.22",
        Some("scheduling.k8s.io/v1"),
    ),
    r(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        "1.22",
        Some("storage.k8s.io/v1"),
    ),
    r(
        "storage.k8s.io/v1beta1",
        "CSINode",
        "1.22",
        Some("storage.k8s.io/v1"),
    ),
    r(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        "1.22",
        Some("storage.k8s.io/v1"),
    ),
    r(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        "1.22",
        Some("storage.k8s.io/v1"),
    ),
    // 1.25
    r("batch/v1beta1", "CronJob", "1.25", Some("batch/v1")),
    r(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "1.25",
        Some("discovery.k8s.io/v1"),
    ),
    r(
        "events.k8s.io/v1beta1",
        "Event",
        "1.25",
        Some("events.k8s.io/v1"),
    ),
    r(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.25",
        Some("autoscaling/v2"),
    ),
    r(
        "policy/v1beta1",
        "PodDisruptionBudget",
        "1.25",
        Some("policy/v1"),
    ),
    r("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
    r(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        "1.25",
        Some("node.k8s.io/v1"),
    ),
    // 1.26
    r(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        "1.26",
        FLOW,
    ),
    r(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        "1.26",
        FLOW,
    ),
    r(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.26",
        Some("autoscaling/v2"),
    ),
    // 1.27
    r(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        Some("storage.k8s.io/v1"),
    ),
    // 1.29
    r(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        "1.29",
        FLOW,
    ),
    r(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        "1.29",
        FLOW,
    ),
    // 1.32
    r(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        "1.32",
        FLOW,
    ),
    r(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        "1.32",
        FLOW,
    ),
];

/// Why `kind` at `api_version` is not served, when Kubernetes removed it:
/// the version that did and what to write instead.
pub fn explain(api_version: &str, kind: &str) -> Option<String> {
    if let Some(r) = REMOVED
        .iter()
        .find(|r| r.api_version == api_version && r.kind == kind)
    {
        return Some(match r.replacement {
            Some(new) => format!(
                "`{kind}` of apiVersion `{api_version}` was removed in Kubernetes {}: write `apiVersion: {new}` (some fields may differ: see the Kubernetes deprecated API migration guide)",
                r.removed_in
            ),
            None => format!(
                "`{kind}` of apiVersion `{api_version}` was removed in Kubernetes {} with nothing to replace it (see the Kubernetes deprecated API migration guide)",
                r.removed_in
            ),
        });
    }
    // A kind the table does not name at a version it removed for others.
    if let Some(r) = REMOVED.iter().find(|r| r.api_version == api_version) {
        return Some(format!(
            "apiVersion `{api_version}` was removed in Kubernetes {}{}",
            r.removed_in,
            served(kind)
                .map(|v| format!(": `{kind}` is served as `{v}`"))
                .unwrap_or_default()
        ));
    }
    // A Kubernetes kind at a version that never existed (`apps/v2`).
    served(kind)
        .map(|v| format!("Kubernetes 1.33 serves `{kind}` as `{v}`, not as `{api_version}`"))
}

/// The apiVersions Kubernetes 1.33 serves `kind` at, stable first.
fn served(kind: &str) -> Option<String> {
    let mut versions: Vec<&str> = super::kubernetes::KINDS
        .iter()
        .filter(|k| k.kind == kind)
        .map(|k| k.api_version)
        .collect();
    if versions.is_empty() {
        return None;
    }
    // `v1` before `v1beta1` before `v1alpha1`: the one to write comes first.
    versions.sort_by_key(|v| (v.contains("alpha"), v.contains("beta"), *v));
    Some(versions.join("` or `"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_replacement_is_a_version_kubernetes_serves() {
        for r in REMOVED {
            if let Some(new) = r.replacement {
                assert!(
                    super::super::kinds::find(new, r.kind).is_some(),
                    "{} {} → {new}",
                    r.api_version,
                    r.kind
                );
            }
            assert!(
                super::super::kinds::find(r.api_version, r.kind).is_none(),
                "{} {} is still served",
                r.api_version,
                r.kind
            );
        }
    }

    #[test]
    fn says_what_replaces_a_removed_version() {
        let text = explain("autoscaling/v2beta2", "HorizontalPodAutoscaler").unwrap();
        assert!(text.contains("removed in Kubernetes 1.26"), "{text}");
        assert!(text.contains("apiVersion: autoscaling/v2"), "{text}");
        assert_eq!(
            explain("apps/v2", "Deployment").as_deref(),
            Some("Kubernetes 1.33 serves `Deployment` as `apps/v1`, not as `apps/v2`")
        );
        assert!(explain("example.com/v1", "Widget").is_none());
    }
}
