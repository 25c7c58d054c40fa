//! The environment's objects by what references look up: identity, the
//! Secrets other objects make, mesh hosts and subsets, Gateways, pod
//! template labels, and the varset's `external` entries. Built once per
//! environment, so each reference costs a hash lookup, not a scan.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::load::ExternalKind;
use crate::resolve::ResolvedEnvironment;

use super::Rendered;
use super::host::{self, Host};
use super::object::{Labels, Provided, Selector};

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
    pods: Vec<(&'d str, &'d Labels<'d>)>,
    /// Pod templates by namespace, label and value: the newest one and how
    /// many (its `next` links the rest), a list without an allocation each.
    by_label: HashMap<(&'d str, &'d str, &'d str), (u32, u32)>,
    by_namespace: HashMap<&'d str, (u32, u32)>,
    /// The pod template before each in its `by_label` list...
    next_by_label: Vec<u32>,
    /// ... and in its `by_namespace` list (`NONE` ends both).
    next_by_namespace: Vec<u32>,
}

/// The end of a pod template list.
const NONE: u32 = u32::MAX;

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
            namespaces: HashSet::new(),
            external: HashSet::new(),
            pods: Vec::new(),
            by_label: HashMap::new(),
            by_namespace: HashMap::new(),
            next_by_label: Vec::new(),
            next_by_namespace: Vec::new(),
        };
        index.namespaces.insert(own);
        for e in &env.external {
            let (ns, name) = e.split();
            let ns = ns.unwrap_or(own);
            index.namespaces.insert(ns);
            index.external.insert((e.kind, ns, name));
        }
        for (i, d) in documents.iter().enumerate() {
            let o = &d.object;
            let ns = o.namespace.as_ref();
            if !ns.is_empty() {
                index.namespaces.insert(ns);
            }
            if let Some(name) = &o.name {
                let key = (o.group.as_ref(), o.kind.as_ref(), ns, name.as_ref());
                match index.objects.get(&key) {
                    Some(&first) => index.again.push((first, i)),
                    None => {
                        index.objects.insert(key, i);
                    }
                }
                if o.kind == "Gateway" {
                    index.gateways.insert((ns, name.as_ref()));
                }
            }
            if let Some(labels) = &o.pods {
                let at = index.pods.len() as u32;
                index.pods.push((ns, labels));
                let (head, count) = index.by_namespace.entry(ns).or_insert((NONE, 0));
                index.next_by_namespace.push(*head);
                (*head, *count) = (at, *count + 1);
                for (k, v) in labels {
                    let (head, count) = index.by_label.entry((ns, k, v)).or_insert((NONE, 0));
                    index.next_by_label.push(*head);
                    (*head, *count) = (at, *count + 1);
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
        let (head, next) = match selector
            .labels
            .iter()
            .map(|(k, v)| self.by_label.get(&(ns, k.as_ref(), v.as_ref())))
            .min_by_key(|list| list.map_or(0, |&(_, count)| count))
        {
            Some(None) => return false,
            Some(Some(&(head, _))) => (head, &self.next_by_label),
            None => match self.by_namespace.get(ns) {
                Some(&(head, _)) => (head, &self.next_by_namespace),
                None => return false,
            },
        };
        let mut at = head;
        while at != NONE {
            if selector.matches(self.pods[at as usize].1) {
                return true;
            }
            at = next[at as usize];
        }
        false
    }
}
