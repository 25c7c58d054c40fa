//! Which Service a mesh host names. A VirtualService or DestinationRule
//! host is a short name (`cart`, in the object's own namespace),
//! `name.namespace`, or `name.namespace.svc.cluster.local`; anything else
//! (`api.stripe.com`, a wildcard) is a host outside the cluster, which
//! only a ServiceEntry can describe and which snapset does not judge.
//! `name.namespace` is only taken for a Service when the namespace is
//! one the environment knows (its own, one an object of it lands in, or
//! one an `external` entry names): `example.com` has the same shape.

/// A host as the whole-environment check sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A Service of the cluster: its namespace and name.
    Service(String, String),
    /// Anything else, by its text.
    Outside(String),
}

/// What `host`, written in an object of namespace `from`, names;
/// `known` says whether a namespace is one the environment knows.
pub fn resolve(host: &str, from: &str, known: impl Fn(&str) -> bool) -> Host {
    let outside = || Host::Outside(host.to_string());
    if host.contains('*') || host.is_empty() {
        return outside();
    }
    let cluster = host
        .strip_suffix(".svc.cluster.local")
        .or_else(|| host.strip_suffix(".svc"));
    let parts: Vec<&str> = cluster.unwrap_or(host).split('.').collect();
    match parts.as_slice() {
        [name] if cluster.is_none() => Host::Service(from.to_string(), name.to_string()),
        [name, ns] if cluster.is_some() || known(ns) => {
            Host::Service(ns.to_string(), name.to_string())
        }
        _ => outside(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_namespaces_and_fqdns_are_services_others_are_not() {
        let known = |ns: &str| ns == "shop" || ns == "pay";
        let service = |ns: &str, name: &str| Host::Service(ns.into(), name.into());
        assert_eq!(resolve("cart", "shop", known), service("shop", "cart"));
        assert_eq!(resolve("taxe.pay", "shop", known), service("pay", "taxe"));
        assert_eq!(
            resolve("taxe.pay.svc.cluster.local", "shop", known),
            service("pay", "taxe")
        );
        assert_eq!(
            resolve("taxe.other.svc", "shop", known),
            service("other", "taxe")
        );
        assert_eq!(
            resolve("example.com", "shop", known),
            Host::Outside("example.com".into())
        );
        assert_eq!(
            resolve("api.stripe.com", "shop", known),
            Host::Outside("api.stripe.com".into())
        );
        assert_eq!(
            resolve("*.shop.example.com", "shop", known),
            Host::Outside("*.shop.example.com".into())
        );
    }
}
