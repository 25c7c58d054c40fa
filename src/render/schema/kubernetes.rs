//! The Kubernetes 1.33 kinds snapset checks, each by its k8s-openapi type.
//!
//! Generated from k8s-openapi 0.29's `src/v1_33` (every `impl crate::Resource for T`)
//! by a throw-away script; regenerate it the same way when k8s-openapi or the
//! Kubernetes version moves. The apiVersion and kind come from the type's
//! `Resource` constants, so an entry cannot disagree with the type it checks.
//!
//! Left out, because no manifest creates them:
//! - subresources (`SubResourceScope`): Scale, Eviction, TokenRequest, Status;
//!   and Binding, the scheduler's `pods/binding` subresource;
//! - reviews, asked of the API server and answered, never stored: TokenReview,
//!   SelfSubjectReview, SubjectAccessReview, LocalSubjectAccessReview,
//!   SelfSubjectAccessReview, SelfSubjectRulesReview;
//! - discovery documents: APIGroup, APIGroupList, APIResourceList, APIVersions;
//! - ComponentStatus, read-only and computed by the API server;
//! - the `*List` types (k8s-openapi's generic `List<T>`).

use super::kinds::KindCheck;

/// Sorted by apiVersion, then kind, as the script wrote it; `kinds` sorts
/// again at first use, so an edit out of order cannot break the lookup.
pub(super) static KINDS: &[KindCheck] = &[
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicy>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicy>(),
    KindCheck::of::<k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicyBinding>(),
    KindCheck::of::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>(),
    KindCheck::of::<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService>(),
    KindCheck::of::<k8s_openapi::api::apps::v1::ControllerRevision>(),
    KindCheck::of::<k8s_openapi::api::apps::v1::DaemonSet>(),
    KindCheck::of::<k8s_openapi::api::apps::v1::Deployment>(),
    KindCheck::of::<k8s_openapi::api::apps::v1::ReplicaSet>(),
    KindCheck::of::<k8s_openapi::api::apps::v1::StatefulSet>(),
    KindCheck::of::<k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler>(),
    KindCheck::of::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(),
    KindCheck::of::<k8s_openapi::api::batch::v1::CronJob>(),
    KindCheck::of::<k8s_openapi::api::batch::v1::Job>(),
    KindCheck::of::<k8s_openapi::api::certificates::v1::CertificateSigningRequest>(),
    KindCheck::of::<k8s_openapi::api::certificates::v1alpha1::ClusterTrustBundle>(),
    KindCheck::of::<k8s_openapi::api::certificates::v1beta1::ClusterTrustBundle>(),
    KindCheck::of::<k8s_openapi::api::coordination::v1::Lease>(),
    KindCheck::of::<k8s_openapi::api::coordination::v1alpha2::LeaseCandidate>(),
    KindCheck::of::<k8s_openapi::api::coordination::v1beta1::LeaseCandidate>(),
    KindCheck::of::<k8s_openapi::api::discovery::v1::EndpointSlice>(),
    KindCheck::of::<k8s_openapi::api::events::v1::Event>(),
    KindCheck::of::<k8s_openapi::api::flowcontrol::v1::FlowSchema>(),
    KindCheck::of::<k8s_openapi::api::flowcontrol::v1::PriorityLevelConfiguration>(),
    KindCheck::of::<k8s_openapi::api::apiserverinternal::v1alpha1::StorageVersion>(),
    KindCheck::of::<k8s_openapi::api::networking::v1::IPAddress>(),
    KindCheck::of::<k8s_openapi::api::networking::v1::Ingress>(),
    KindCheck::of::<k8s_openapi::api::networking::v1::IngressClass>(),
    KindCheck::of::<k8s_openapi::api::networking::v1::NetworkPolicy>(),
    KindCheck::of::<k8s_openapi::api::networking::v1::ServiceCIDR>(),
    KindCheck::of::<k8s_openapi::api::networking::v1beta1::IPAddress>(),
    KindCheck::of::<k8s_openapi::api::networking::v1beta1::ServiceCIDR>(),
    KindCheck::of::<k8s_openapi::api::node::v1::RuntimeClass>(),
    KindCheck::of::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(),
    KindCheck::of::<k8s_openapi::api::rbac::v1::ClusterRole>(),
    KindCheck::of::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>(),
    KindCheck::of::<k8s_openapi::api::rbac::v1::Role>(),
    KindCheck::of::<k8s_openapi::api::rbac::v1::RoleBinding>(),
    KindCheck::of::<k8s_openapi::api::resource::v1alpha3::DeviceClass>(),
    KindCheck::of::<k8s_openapi::api::resource::v1alpha3::DeviceTaintRule>(),
    KindCheck::of::<k8s_openapi::api::resource::v1alpha3::ResourceClaim>(),
    KindCheck::of::<k8s_openapi::api::resource::v1alpha3::ResourceClaimTemplate>(),
    KindCheck::of::<k8s_openapi::api::resource::v1alpha3::ResourceSlice>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta1::DeviceClass>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta1::ResourceClaim>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta1::ResourceClaimTemplate>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta1::ResourceSlice>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta2::DeviceClass>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta2::ResourceClaim>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta2::ResourceClaimTemplate>(),
    KindCheck::of::<k8s_openapi::api::resource::v1beta2::ResourceSlice>(),
    KindCheck::of::<k8s_openapi::api::scheduling::v1::PriorityClass>(),
    KindCheck::of::<k8s_openapi::api::storage::v1::CSIDriver>(),
    KindCheck::of::<k8s_openapi::api::storage::v1::CSINode>(),
    KindCheck::of::<k8s_openapi::api::storage::v1::CSIStorageCapacity>(),
    KindCheck::of::<k8s_openapi::api::storage::v1::StorageClass>(),
    KindCheck::of::<k8s_openapi::api::storage::v1::VolumeAttachment>(),
    KindCheck::of::<k8s_openapi::api::storage::v1alpha1::VolumeAttributesClass>(),
    KindCheck::of::<k8s_openapi::api::storage::v1beta1::VolumeAttributesClass>(),
    KindCheck::of::<k8s_openapi::api::storagemigration::v1alpha1::StorageVersionMigration>(),
    KindCheck::of::<k8s_openapi::api::core::v1::ConfigMap>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Endpoints>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Event>(),
    KindCheck::of::<k8s_openapi::api::core::v1::LimitRange>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Namespace>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Node>(),
    KindCheck::of::<k8s_openapi::api::core::v1::PersistentVolume>(),
    KindCheck::of::<k8s_openapi::api::core::v1::PersistentVolumeClaim>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Pod>(),
    KindCheck::of::<k8s_openapi::api::core::v1::PodTemplate>(),
    KindCheck::of::<k8s_openapi::api::core::v1::ReplicationController>(),
    KindCheck::of::<k8s_openapi::api::core::v1::ResourceQuota>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Secret>(),
    KindCheck::of::<k8s_openapi::api::core::v1::Service>(),
    KindCheck::of::<k8s_openapi::api::core::v1::ServiceAccount>(),
];
