//! The environment's objects by what references look up: identity, the
//! Secrets other objects make, mesh hosts and subsets, Gateways, pod
//! template labels, and the varset's `external` entries. Built once per
//! environment, so each reference costs a hash lookup, not a scan.

use std::collections::{HashMap, HashSet};

use crate::load::ExternalKind;
use crate::resolve::ResolvedEnvironment;

use super::Rendered;
use super::host::{self, Host};
use super::object::{Provided, Selector};

/// An object's identity: group, kind, namespace, name.
pub type Key<'d> = (&'d str, &'d str, &'d str, &'d str);

pub struct Index<'d> {
    /// The first document of each identity.
    pub objects: HashMap<Key<'d>, usize>,
    /// Later documents of an identity already seen: (first, again).
    pub again: Vec<(usize, usize)>,
    /// Secrets made by other objects (ExternalSecret, SealedSecret).
    secrets: HashSet<(&'d str, &'d str)>,
    /// Istio Gateways (any group spelling `Gateway`), by namespace and name.
    gateways: HashSet<(&'d str, &'d str)>,
    /// ServiceEntry hosts.
    hosts: HashSet<&'d str>,
    /// The subsets DestinationRules define, by the host they resolve to.
    pub subsets: HashMap<Host, Vec<&'d str>>,
    namespaces: HashSet<&'d str>,
    external: HashSet<(ExternalKind, &'d str, &'d str)>,
    /// Pod templates: namespace and sorted labels.
    pods: Vec<(&'d str, &'d [(String, String)])>,
    /// Pod templates by namespace, label and value.
    by_label: HashMap<(&'d str, &'d str, &'d str), Vec<u32>>,
    by_namespace: HashMap<&'d str, Vec<u32>>,
}

impl<'d> Index<'d> {
    pub fn new(env: &'d ResolvedEnvironment, documents: &'d [Rendered]) -> Self {
        let own = env.namespace.effective().as_str();
        let mut index = Index {
            objects: HashMap::with_capacity(documents.len()),
            again: Vec::new(),
            secrets: HashSet::new(),
            gateways: HashSet::new(),
            hosts: HashSet::new(),
            subsets: HashMap::new(),
            namespaces: HashSet::from([own]),
            external: HashSet::new(),
            pods: Vec::new(),
            by_label: HashMap::new(),
            by_namespace: HashMap::new(),
        };
        for e in &env.external {
            let (ns, name) = e.split();
            let ns = ns.unwrap_or(own);
            index.namespaces.insert(ns);
            index.external.insert((e.kind, ns, name));
        }
        for (i, d) in documents.iter().enumerate() {
            let o = &d.object;
            let ns = o.namespace.as_str();
            if !ns.is_empty() {
                index.namespaces.insert(ns);
            }
            if let Some(name) = &o.name {
                let key = (o.group.as_str(), o.kind.as_str(), ns, name.as_str());
                match index.objects.get(&key) {
                    Some(&first) => index.again.push((first, i)),
                    None => {
                        index.objects.insert(key, i);
                    }
                }
                if o.kind == "Gateway" {
                    index.gateways.insert((ns, name));
                }
            }
            if let Some(labels) = &o.pods {
                let at = index.pods.len() as u32;
                index.pods.push((ns, labels));
                index.by_namespace.entry(ns).or_default().push(at);
                for (k, v) in labels {
                    index.by_label.entry((ns, k, v)).or_default().push(at);
                }
            }
            for p in &o.provides {
                match p {
                    Provided::Secret(name) => {
                        index.secrets.insert((ns, name));
                    }
                    Provided::Host(host) => {
                        index.hosts.insert(host);
                    }
                    Provided::Namespace(name) => {
                        index.namespaces.insert(name);
                    }
                    Provided::Subsets { .. } => {}
                }
            }
        }
        // Hosts resolve once every namespace is known.
        for d in documents {
            for p in &d.object.provides {
                if let Provided::Subsets { host, subsets } = p {
                    let host = index.host(host, &d.object.namespace);
                    let list = index.subsets.entry(host).or_default();
                    list.extend(subsets.iter().map(String::as_str));
                }
            }
        }
        index
    }

    /// Whether the environment renders this object.
    pub fn renders(&self, group: &str, kind: &str, ns: &str, name: &str) -> bool {
        self.objects.contains_key(&(group, kind, ns, name))
    }

    /// Whether a Secret exists: rendered, made by another object, or
    /// external.
    pub fn secret(&self, ns: &str, name: &str) -> bool {
        self.renders("", "Secret", ns, name)
            || self.secrets.contains(&(ns, name))
            || self.external(ExternalKind::Secret, ns, name)
    }

    pub fn gateway(&self, ns: &str, name: &str) -> bool {
        self.gateways.contains(&(ns, name)) || self.external(ExternalKind::Gateway, ns, name)
    }

    pub fn external(&self, kind: ExternalKind, ns: &str, name: &str) -> bool {
        self.external.contains(&(kind, ns, name))
    }

    pub fn service_entry(&self, host: &str) -> bool {
        self.hosts.contains(host)
    }

    pub fn host(&self, host: &str, from: &str) -> Host {
        host::resolve(host, from, |ns| self.namespaces.contains(ns))
    }

    /// Whether a pod template of namespace `ns` matches `selector`: the
    /// pods that have its rarest label are tried, not all.
    pub fn selects(&self, ns: &str, selector: &Selector) -> bool {
        let candidates = match selector
            .labels
            .iter()
            .map(|(k, v)| self.by_label.get(&(ns, k.as_str(), v.as_str())))
            .min_by_key(|list| list.map_or(0, Vec::len))
        {
            Some(None) => return false,
            Some(Some(list)) => list,
            None => match self.by_namespace.get(ns) {
                Some(list) => list,
                None => return false,
            },
        };
        candidates
            .iter()
            .any(|&i| selector.matches(self.pods[i as usize].1))
    }
}
