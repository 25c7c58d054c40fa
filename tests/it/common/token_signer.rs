//! Registry tokens as a real token server issues them: RS256 JWTs with the
//! signing certificate in the `x5c` header, which Distribution's
//! `auth.token` checks against its `rootcertbundle`. The key and the
//! self-signed certificate come from the `openssl` command line, so the
//! tests need no crypto crate of their own.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

pub const ISSUER: &str = "snapset-test-issuer";

pub struct TokenSigner {
    key: PathBuf,
    /// The certificate, PEM: the registry's `rootcertbundle`.
    pub cert: PathBuf,
    x5c: String,
}

impl TokenSigner {
    /// A fresh key and certificate in `dir`.
    pub fn new(dir: &Path) -> TokenSigner {
        let openssl = super::registry::require("openssl");
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        let ok = Command::new(&openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=snapset-test-token"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl req");
        assert!(ok.success(), "openssl req failed");
        let der = Command::new(&openssl)
            .args(["x509", "-outform", "DER", "-in"])
            .arg(&cert)
            .output()
            .expect("run openssl x509");
        assert!(der.status.success(), "openssl x509 failed");
        TokenSigner {
            key,
            cert,
            x5c: STANDARD.encode(der.stdout),
        }
    }

    /// A token for `audience` (the registry's `service`) granting
    /// `actions` on each repository.
    pub fn sign(&self, audience: &str, access: &[(&str, &[&str])]) -> String {
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]});
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<serde_json::Value> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": "bob", "aud": audience,
            "exp": now + 600, "nbf": now - 60, "iat": now - 60,
            "jti": format!("{now}-{}", access.len()),
            "access": access,
        });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut child = Command::new(super::registry::require("openssl"))
            .args(["dgst", "-sha256", "-sign"])
            .arg(&self.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run openssl dgst");
        {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let signature = child.wait_with_output().expect("openssl dgst");
        assert!(signature.status.success(), "openssl dgst failed");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.stdout))
    }
}
