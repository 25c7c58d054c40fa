//! References resolve: every object a rendered object names — a
//! workload's ConfigMaps, Secrets, service account and pull secrets, an
//! autoscaler's target, the pods a Service or PodDisruptionBudget selects,
//! a VirtualService's gateways, hosts and subsets — is one the environment
//! renders, or one its varset declares `external`. Otherwise the cluster
//! takes the folder and the workload never starts (a missing Secret), or
//! takes no traffic (a selector that matches nothing).

use serde_json::Value;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Targets};
use crate::load::ExternalKind;
use crate::resolve::ResolvedEnvironment;

use super::host::Host;
use super::index::Index;
use super::object::{Reference, Target};
use super::{Rendered, locate};

/// What is wrong with one reference: the rest of the headline, and help.
struct Missing {
    detail: String,
    help: String,
}

pub fn check(
    env: &ResolvedEnvironment,
    documents: &[Rendered],
    index: &Index,
    sources: &Sources,
) -> Vec<Error> {
    let mut errors = Vec::new();
    for d in documents {
        for r in &d.object.references {
            if r.optional {
                continue;
            }
            let Some(missing) = judge(env, &d.object.namespace, r, index) else {
                continue;
            };
            let error = Error::new(ErrorKind::Unresolved {
                template: d.written.template.name.clone(),
                kind: d.object.kind.to_string(),
                detail: missing.detail,
                targets: Targets::one(&env.name, d.written.service.map(|s| s.name.as_str())),
                help: missing.help,
            });
            errors.push(locate::at(error, env, d, &r.path, &value(r), sources));
        }
    }
    errors
}

/// The value the object holds at the reference's path, which a variable
/// may have given.
fn value(r: &Reference) -> Value {
    match &r.target {
        Target::Object { name, .. } | Target::Gateway(name) => Value::from(name.as_str()),
        Target::Host { host, subset } => Value::from(subset.as_deref().unwrap_or(host)),
        Target::Selects(s) => Value::Object(
            s.labels
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(v.as_ref())))
                .collect(),
        ),
    }
}

/// `None` when the reference resolves.
fn judge(env: &ResolvedEnvironment, ns: &str, r: &Reference, index: &Index) -> Option<Missing> {
    let own = env.namespace.effective().as_str();
    // `name`, or `namespace/name` outside the environment's namespace.
    let shown = |ns: &str, name: &str| match ns == own {
        true => name.to_string(),
        false => format!("{ns}/{name}"),
    };
    match &r.target {
        Target::Object { group, kind, name } => {
            let external = match kind.as_str() {
                "Secret" if group.is_empty() => Some(ExternalKind::Secret),
                "ConfigMap" if group.is_empty() => Some(ExternalKind::ConfigMap),
                "ServiceAccount" if group.is_empty() => Some(ExternalKind::ServiceAccount),
                _ => None,
            };
            let found = match external {
                Some(ExternalKind::Secret) => index.secret(ns, name),
                Some(e) => index.renders(group, kind, ns, name) || index.external(e, ns, name),
                None => index.renders(group, kind, ns, name),
            };
            if found {
                return None;
            }
            let what = format!("{kind} `{}`", shown(ns, name));
            Some(match external {
                Some(e) => {
                    let optional = match e {
                        ExternalKind::ServiceAccount => "",
                        _ if r.path.contains("imagePullSecrets") => "",
                        _ => ", or mark the reference `optional: true` if the pod starts without it",
                    };
                    let makers = match e {
                        ExternalKind::Secret => " (a Secret, an ExternalSecret or a SealedSecret)",
                        _ => "",
                    };
                    Missing {
                        detail: format!(
                            "names {what}, which the environment neither renders nor declares `external`"
                        ),
                        help: format!(
                            "render it{makers}, declare that the cluster has it with `external {{ {} \"{}\" }}` in the environment's varset{optional}",
                            e.node(),
                            shown(ns, name)
                        ),
                    }
                }
                None => Missing {
                    detail: format!("scales {what}, which the environment does not render"),
                    help: "`scaleTargetRef` names a workload of the environment: its apiVersion, kind and name (in track scope the Deployment's name is `{{ name }}`)".into(),
                },
            })
        }
        Target::Gateway(text) => {
            let (gns, name) = text.split_once('/').unwrap_or((ns, text));
            if index.gateway(gns, name) {
                return None;
            }
            Some(Missing {
                detail: format!(
                    "binds Gateway `{text}`, which the environment neither renders nor declares `external`"
                ),
                help: format!(
                    "render the Gateway, or declare that the cluster has it with `external {{ gateway \"{}\" }}` in the environment's varset (`mesh` is the sidecars', always there)",
                    shown(gns, name)
                ),
            })
        }
        Target::Selects(selector) => {
            if index.selects(ns, selector) {
                return None;
            }
            Some(Missing {
                detail: format!(
                    "selects pods `{}`, but no pod template of the environment in its namespace has these labels",
                    selector.text()
                ),
                help: "a selector must match the labels of a pod template (`spec.template.metadata.labels` of a Deployment) rendered in the same namespace; the built-in Deployment's pods carry `app: <service>` and `version: <track>`".into(),
            })
        }
        Target::Host { host, subset } => {
            let resolved = index.host(host, ns);
            if let Host::Service(sns, name) = &resolved {
                let found = index.renders("", "Service", sns, name)
                    || index.external(ExternalKind::Service, sns, name)
                    || index.service_entry(host);
                if !found {
                    return Some(Missing {
                        detail: format!(
                            "routes to host `{host}`, which is no Service the environment renders, no ServiceEntry host and not declared `external`"
                        ),
                        help: format!(
                            "render Service `{}`, add a ServiceEntry for `{host}`, or declare that the cluster has it with `external {{ service \"{}\" }}` in the environment's varset",
                            shown(sns, name),
                            shown(sns, name)
                        ),
                    });
                }
            }
            let subset = subset.as_deref()?;
            let subsets = index.subsets.get(&resolved);
            if subsets.is_some_and(|s| s.contains(&subset)) {
                return None;
            }
            Some(match subsets {
                Some(known) => Missing {
                    detail: format!(
                        "routes to subset `{subset}` of host `{host}`, which its DestinationRule does not define"
                    ),
                    help: format!(
                        "the DestinationRule of `{host}` defines {}: add `{subset}` to it or route to one of them",
                        quoted(known)
                    ),
                },
                None => Missing {
                    detail: format!(
                        "routes to subset `{subset}` of host `{host}`, but no DestinationRule of the environment is for that host"
                    ),
                    help: format!(
                        "a subset is defined by a DestinationRule whose `host` is `{host}`: render one with subset `{subset}`"
                    ),
                },
            })
        }
    }
}

fn quoted(names: &[&str]) -> String {
    match names {
        [] => "no subset".into(),
        _ => names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
