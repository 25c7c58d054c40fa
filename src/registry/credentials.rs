//! Registry credentials, found where docker and podman keep them, so that
//! `snapset images` works wherever `docker pull` does without a login of
//! its own. Secrets stay in this module's values: nothing here formats
//! them into a message.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};

/// What a registry is shown.
#[derive(Clone)]
pub enum Credentials {
    Basic {
        user: String,
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token realm.
    IdentityToken(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret, even in a debug print.
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Credentials::IdentityToken(_) => write!(f, "IdentityToken(***)"),
        }
    }
}

impl Credentials {
    pub fn basic_header(user: &str, password: &str) -> String {
        let raw = format!("{user}:{password}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

/// One credentials file: docker's `config.json` or podman's `auth.json`
/// (the same keys).
#[derive(Debug, Default, Deserialize)]
struct AuthFile {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// The credentials files of this process's environment, in the order
/// they are consulted.
#[derive(Debug, Default)]
pub struct CredentialStore {
    files: Vec<(PathBuf, AuthFile)>,
}

impl CredentialStore {
    /// docker's file (`$DOCKER_CONFIG/config.json`, else
    /// `~/.docker/config.json`), then podman's (`$REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`). A missing file is skipped;
    /// one that is not JSON is an error, as it is for docker.
    pub fn discover() -> Result<CredentialStore> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        let mut paths = Vec::new();
        match var("DOCKER_CONFIG") {
            Some(dir) => paths.push(PathBuf::from(dir).join("config.json")),
            None => {
                if let Some(home) = var("HOME") {
                    paths.push(PathBuf::from(home).join(".docker/config.json"));
                }
            }
        }
        if let Some(file) = var("REGISTRY_AUTH_FILE") {
            paths.push(PathBuf::from(file));
        }
        if let Some(dir) = var("XDG_RUNTIME_DIR") {
            paths.push(PathBuf::from(dir).join("containers/auth.json"));
        }
        let mut files = Vec::new();
        for path in paths {
            // A docker config is a few KiB; a link to a device must end.
            let text = match std::fs::File::open(&path)
                .and_then(|f| crate::disk::bounded::read_stream(f, 16 << 20))
                .and_then(|b| String::from_utf8(b).map_err(std::io::Error::other))
            {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(Error::new(ErrorKind::Read { path, source })),
            };
            let file: AuthFile = serde_json::from_str(&text).map_err(|e| {
                Error::new(ErrorKind::Invalid {
                    what: format!("credentials file {}", path.display()),
                    expected: format!("docker's config.json format ({e})"),
                })
            })?;
            files.push((path, file));
        }
        Ok(CredentialStore { files })
    }

    /// The credentials for `registry` (as written in image names), or
    /// `None` for anonymous access. The first file that knows the host
    /// wins; in it, a `credHelpers` entry, then `auths`, then `credsStore`.
    pub fn lookup(&self, registry: &str) -> Result<Option<Credentials>> {
        for (path, file) in &self.files {
            if let Some(helper) = file.cred_helpers.get(registry) {
                return helper_get(helper, registry);
            }
            let entry = file
                .auths
                .iter()
                .find(|(key, _)| normalise(key) == normalise(registry))
                .map(|(_, e)| e);
            if let Some(entry) = entry {
                if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
                    return Ok(Some(Credentials::IdentityToken(token.clone())));
                }
                if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
                    return decode_auth(auth, registry, path).map(Some);
                }
            }
            if let Some(store) = &file.creds_store
                && let Some(found) = helper_get(store, registry)?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }
}

/// A key of `auths` as a bare host: docker writes `https://host/v1/` for
/// Docker Hub and some tools write a scheme or a path for others.
fn normalise(key: &str) -> &str {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key);
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        host => host,
    }
}

fn decode_auth(auth: &str, registry: &str, path: &std::path::Path) -> Result<Credentials> {
    let bad = || {
        Error::new(ErrorKind::Invalid {
            what: format!("`auth` of {registry} in {}", path.display()),
            expected: "base64 of user:password".into(),
        })
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (user, password) = text.split_once(':').ok_or_else(bad)?;
    Ok(Credentials::Basic {
        user: user.to_string(),
        password: password.to_string(),
    })
}

/// Runs `docker-credential-<helper> get` with the host on stdin, as
/// docker does. "Not found" (a non-zero exit) means anonymous; a helper
/// that cannot run is an error, since docker would fail the same way.
fn helper_get(helper: &str, registry: &str) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{helper}");
    let failed = |detail: String| {
        Error::new(ErrorKind::Registry {
            registry: registry.to_string(),
            detail: format!("credential helper {program}: {detail}"),
        })
    };
    let server = match registry {
        "docker.io" => "https://index.docker.io/v1/",
        host => host,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| failed(format!("cannot run it: {e}")))?;
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("piped");
        let _ = writeln!(stdin, "{server}");
    }
    let output = child
        .wait_with_output()
        .map_err(|e| failed(format!("cannot run it: {e}")))?;
    if !output.status.success() {
        return Ok(None);
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|_| failed("its answer is not the JSON of the helper protocol".into()))?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(if answer.username == "<token>" {
        Credentials::IdentityToken(answer.secret)
    } else {
        Credentials::Basic {
            user: answer.username,
            password: answer.secret,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_keys_match_bare_hosts() {
        assert_eq!(normalise("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalise("http://127.0.0.1:5000/v2/"), "127.0.0.1:5000");
        assert_eq!(normalise("ghcr.io"), "ghcr.io");
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
