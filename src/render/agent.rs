//! `out/_agent/`: what the GitOps agent of `snapset.kdl` needs to deploy
//! every folder of `out/`, written by snapset so that nothing hand-written
//! points at the wrong folder. Argo CD: an `Application` per environment
//! and cluster. Flux: a `Kustomization` per environment and cluster for its
//! environment-scope objects, and one per service that `dependsOn` the
//! services it `requires` (and on that first one, which makes the
//! namespace). The objects fit the agents' published CRDs (tests/crds/).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::load::{AgentDecl, ArgoCdAgent, FluxAgent, Workspace};
use crate::resolve::{Release, ResolvedEnvironment};

use super::RenderedEnvironment;
use super::yaml;

/// The folder of `out/` the agent's objects are written to. No environment
/// can be called so: a DNS label does not start with `_`.
pub const FOLDER: &str = "_agent";

/// How `requires` orders the rollout, by agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollout {
    /// No agent: `requires` is proved, not ordered.
    None,
    /// Argo CD: every object of a service carries its sync wave.
    Waves,
    /// Flux: each service folder is a Kustomization of its own.
    Split,
}

impl Rollout {
    pub fn of(agent: Option<&AgentDecl>) -> Rollout {
        match agent {
            None => Rollout::None,
            Some(AgentDecl::ArgoCd(_)) => Rollout::Waves,
            Some(AgentDecl::Flux(_)) => Rollout::Split,
        }
    }
}

/// The agent's name for an environment's folder: `prod`, or `prod-eu-1`.
fn object_name(env: &ResolvedEnvironment) -> String {
    match env.cluster_name() {
        Some(cluster) => format!("{}-{cluster}", env.name),
        None => env.name.clone(),
    }
}

/// The files of `out/_agent/`: one per environment and cluster, and a
/// `kustomization.yaml` listing them (`kubectl apply -k out/_agent`).
pub fn render(ws: &Workspace, agent: &AgentDecl, release: &Release) -> Result<RenderedEnvironment> {
    check_names(ws, release)?;
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for env in &release.environments {
        let name = object_name(env);
        let docs = match agent {
            AgentDecl::ArgoCd(argo) => vec![application(argo, env, &name)],
            AgentDecl::Flux(flux) => kustomizations(flux, env, &name),
        };
        let text: Vec<String> = docs.iter().map(yaml::to_yaml).collect();
        files.insert(format!("{name}.yaml"), text.join("---\n").into_bytes());
    }
    let resources: Vec<Value> = files.keys().map(|k| Value::String(k.clone())).collect();
    let kustomization = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    files.insert(
        "kustomization.yaml".into(),
        yaml::to_yaml(&kustomization).into_bytes(),
    );
    Ok(RenderedEnvironment {
        name: FOLDER.into(),
        files,
    })
}

/// `prod` with cluster `eu-1` and an environment `prod-eu-1` would be one
/// object of the agent, deploying two folders by turns.
fn check_names(ws: &Workspace, release: &Release) -> Result<()> {
    let mut seen: BTreeMap<String, &ResolvedEnvironment> = BTreeMap::new();
    for env in &release.environments {
        let name = object_name(env);
        if let Some(first) = seen.get(&name) {
            let loc_of = |e: &ResolvedEnvironment| {
                let decl = ws.config.environment(&e.name).expect("declared");
                match e.cluster_name() {
                    Some(c) => decl
                        .clusters
                        .iter()
                        .find(|k| k.name.value == c)
                        .map_or(decl.name.loc.clone(), |k| k.name.loc.clone()),
                    None => decl.name.loc.clone(),
                }
            };
            return Err(Error::at(
                ErrorKind::Duplicate {
                    kind: "agent object",
                    name,
                },
                &loc_of(env),
                format!("`{}` is named so too", env.folder()),
            )
            .label(&loc_of(first), format!("`{}` is named so", first.folder())));
        }
        seen.insert(name, env);
    }
    Ok(())
}

fn path(prefix: &str, env: &ResolvedEnvironment) -> String {
    format!("{prefix}/{}", env.folder())
}

fn application(argo: &ArgoCdAgent, env: &ResolvedEnvironment, name: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": argo.namespace,
            "labels": { "app.kubernetes.io/managed-by": "snapset" },
        },
        "spec": {
            "project": argo.project,
            "source": {
                "repoURL": argo.repo.value,
                "targetRevision": "HEAD",
                "path": path(&argo.path_prefix, env),
            },
            "destination": {
                "name": env.cluster_name().unwrap_or("in-cluster"),
                "namespace": env.namespace.effective(),
            },
            "syncPolicy": {
                "automated": { "prune": true, "selfHeal": true },
            },
        },
    })
}

fn kustomization(
    flux: &FluxAgent,
    env: &ResolvedEnvironment,
    name: &str,
    path: String,
    depends_on: Vec<String>,
) -> Value {
    let mut source = json!({ "kind": flux.source_kind, "name": flux.source_name });
    if let Some(ns) = &flux.source_namespace {
        source["namespace"] = Value::String(ns.clone());
    }
    let mut spec = json!({
        "interval": flux.interval,
        "path": format!("./{path}"),
        "prune": true,
        "sourceRef": source,
    });
    if let Some(cluster) = env.cluster_name() {
        spec["kubeConfig"] = json!({ "secretRef": { "name": format!("{cluster}-kubeconfig") } });
    }
    if !depends_on.is_empty() {
        spec["dependsOn"] = Value::Array(
            depends_on
                .into_iter()
                .map(|n| json!({ "name": n }))
                .collect(),
        );
    }
    json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": name,
            "namespace": flux.namespace,
            "labels": { "app.kubernetes.io/managed-by": "snapset" },
        },
        "spec": spec,
    })
}

/// The environment's own Kustomization (its environment-scope objects),
/// then one per service, in name order.
fn kustomizations(flux: &FluxAgent, env: &ResolvedEnvironment, name: &str) -> Vec<Value> {
    let base = path(&flux.path_prefix, env);
    let mut docs = vec![kustomization(flux, env, name, base.clone(), Vec::new())];
    let requires: BTreeMap<&str, &Vec<String>> = env
        .snapshot
        .services
        .iter()
        .map(|s| (s.name.as_str(), &s.requires))
        .collect();
    for service in &env.services {
        let mut depends = vec![name.to_string()];
        let mut needed: Vec<&String> = requires
            .get(service.name.as_str())
            .map_or(Vec::new(), |r| r.iter().collect());
        needed.sort();
        needed.dedup();
        depends.extend(needed.into_iter().map(|r| format!("{name}-{r}")));
        docs.push(kustomization(
            flux,
            env,
            &format!("{name}-{}", service.name),
            format!("{base}/{}", service.name),
            depends,
        ));
    }
    docs
}
