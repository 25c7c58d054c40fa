//! An image reference as the registry sees it: which host to ask, which
//! repository, which tag. snapset builds image strings from the `image`
//! pattern; the registry API needs them split the way docker splits them.

use crate::resolve::split_tag;

/// `host[:port]/repository:tag`, split.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    /// `registry.example.com`, `127.0.0.1:5000`; `docker.io` for a name
    /// without a host.
    pub registry: String,
    /// The repository path on that registry (`shop/cart`).
    pub repository: String,
    pub tag: String,
}

impl ImageRef {
    /// Splits `image` as docker does: the first component is a host when
    /// it holds a `.` or `:` or is `localhost`; a name without a host is on
    /// Docker Hub, under `library/` when it has one component. A digest
    /// suffix (`@sha256:…`) is dropped: the tag is what gets asked.
    pub fn parse(image: &str) -> ImageRef {
        let image = image.split('@').next().unwrap_or(image);
        let (name, tag) = split_tag(image);
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ if !name.contains('/') => ("docker.io".to_string(), format!("library/{name}")),
            _ => ("docker.io".to_string(), name.to_string()),
        };
        ImageRef {
            registry,
            repository,
            tag: tag.to_string(),
        }
    }

    /// The host to connect to: Docker Hub's API lives on another name than
    /// its references.
    pub fn api_host(&self) -> &str {
        match self.registry.as_str() {
            "docker.io" | "index.docker.io" => "registry-1.docker.io",
            host => host,
        }
    }

    /// The host without its port, to decide whether plain HTTP is allowed.
    pub fn hostname(&self) -> &str {
        host_without_port(&self.registry)
    }

    /// Whether the registry is this machine: plain HTTP is allowed there.
    pub fn is_loopback(&self) -> bool {
        let host = self.hostname();
        host == "localhost"
            || host == "[::1]"
            || host
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

fn host_without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    host.split(':').next().unwrap_or(host)
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_docker() {
        let r = ImageRef::parse("127.0.0.1:5000/shop/cart:abc");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000", "shop/cart", "abc")
        );
        assert!(r.is_loopback());
        let r = ImageRef::parse("cart:abc");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("docker.io", "library/cart")
        );
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = ImageRef::parse("localhost:5000/cart@sha256:00");
        assert_eq!((r.repository.as_str(), r.tag.as_str()), ("cart", "latest"));
        assert!(ImageRef::parse("[::1]:5000/a:b").is_loopback());
        assert!(!ImageRef::parse("registry.example.com/a:b").is_loopback());
    }
}
