//! `WWW-Authenticate` as registries send it: `Basic realm="…"` or
//! `Bearer realm="…",service="…",scope="…"`. The answer to a 401 says how
//! to authenticate, so snapset needs no per-registry configuration.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// The challenge of a header, or `None` for a scheme snapset cannot
    /// answer.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
        let params = params_of(params);
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => Some(Challenge::Basic),
            "bearer" => Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
                scope: get("scope"),
            }),
            _ => None,
        }
    }
}

/// A Bearer challenge's token realm, read as the HTTP client reads the
/// URL: the scheme case-insensitively (`HTTP://` is plain HTTP), the host
/// without the user information before an `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm {
    /// `http`, not `https`.
    pub plain: bool,
    /// Lower-case; an IPv6 address in brackets.
    pub host: String,
    /// `host` or `host:port`, as `--insecure-registry` names it.
    pub authority: String,
}

impl Realm {
    /// `None` for what is not an `http://` or `https://` URL with a host.
    pub fn parse(realm: &str) -> Option<Realm> {
        let uri: ureq::http::Uri = realm.trim().parse().ok()?;
        let plain = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("http") => true,
            s if s.eq_ignore_ascii_case("https") => false,
            _ => return None,
        };
        let authority = uri.authority()?;
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        let authority = match authority.port_u16() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Some(Realm {
            plain,
            host,
            authority,
        })
    }

    /// This machine: `localhost`, 127.0.0.0/8, `::1` (also as
    /// `::ffff:127.0.0.1`).
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        self.host == "localhost"
            || match bare.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
                Ok(std::net::IpAddr::V6(ip)) => {
                    ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
                }
                Err(_) => false,
            }
    }

    /// Whether `--insecure-registry HOST` names this realm's host (`host`
    /// or `host:port`).
    pub fn named_by(&self, insecure: &str) -> bool {
        let insecure = insecure.to_ascii_lowercase();
        insecure == self.host || insecure == self.authority
    }
}

/// `k="v",k2=v2` into pairs; commas inside quotes (scopes list actions
/// as `pull,push`) stay in the value.
fn params_of(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (
                quoted[..end].to_string(),
                quoted.get(end + 1..).unwrap_or(""),
            )
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.push((key, value));
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_registry_challenges() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:shop/cart:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("reg".into()),
                scope: Some("repository:shop/cart:pull,push".into()),
            })
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    /// Issue 24: `HTTP://` passed a case-sensitive `http://` check and got
    /// the Basic credentials in clear.
    #[test]
    fn reads_realms_as_the_client_does() {
        let r = |s: &str| Realm::parse(s).unwrap();
        for plain in [
            "HTTP://evil.example/token",
            "Http://evil.example/token",
            "http://evil.example/token",
        ] {
            assert!(r(plain).plain, "{plain}");
            assert!(!r(plain).is_loopback());
            assert_eq!(r(plain).host, "evil.example");
        }
        assert!(!r("HTTPS://auth.example/token").plain);
        for (url, host) in [
            ("http://127.0.0.1@evil.example/t", "evil.example"),
            ("http://localhost:80@evil.example/t", "evil.example"),
            ("http://user:pw@EVIL.example:8080/t", "evil.example"),
        ] {
            assert_eq!(r(url).host, host, "{url}");
            assert!(!r(url).is_loopback(), "{url}");
        }
        for local in [
            "http://localhost/t",
            "http://127.0.0.1:5001/t",
            "http://127.1.2.3/t",
            "http://[::1]:80/t",
            "http://[::ffff:127.0.0.1]/t",
        ] {
            assert!(r(local).is_loopback(), "{local}");
        }
        assert!(r("http://evil.example:8080/t").named_by("evil.example"));
        assert!(r("http://evil.example:8080/t").named_by("EVIL.example:8080"));
        assert!(!r("http://evil.example:8080/t").named_by("evil.example:80"));
        for refused in ["file:///etc/passwd", "ftp://x/y", "/token", "", "http:///x"] {
            assert_eq!(Realm::parse(refused), None, "{refused}");
        }
    }
}
