//! A real image registry for the tests: Debian's `docker-registry` (CNCF
//! Distribution 2.8), started as a plain process on 127.0.0.1 with a free
//! port and a temp storage folder, killed on drop. Images are pushed by the
//! test itself through the distribution API (a config blob, a manifest), so
//! no docker daemon is needed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

use super::workspace::{Run, Shop, TestWorkspace};

pub const INSTALL: &str = "install it with `apt-get install -y docker-registry apache2-utils openssl` (Debian), or run ./test at the repository root, which does";

/// How the registry wants clients to authenticate.
pub enum Auth {
    None,
    /// htpasswd Basic auth with this user and password.
    Basic(&'static str, &'static str),
    /// `auth.silly`: a Bearer challenge pointing at `realm`; any token passes.
    Silly {
        realm: String,
        service: String,
    },
    /// `auth.token`: a Bearer challenge; only JWTs signed by the key of
    /// `cert` (a PEM file) pass. Pushes send `push_token`.
    Token {
        realm: String,
        service: String,
        issuer: String,
        cert: PathBuf,
        push_token: String,
    },
}

pub enum Manifest {
    Oci,
    Docker,
}

pub struct TestRegistry {
    child: Option<Child>,
    _dir: tempfile::TempDir,
    config: PathBuf,
    /// `127.0.0.1:PORT`, as image names write it.
    pub host: String,
    /// What the pushes send as `Authorization`.
    push_auth: Option<String>,
}

/// The path of a program on PATH, or a test failure saying how to install it.
pub fn require(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{program}` is not installed: the registry tests need it; {INSTALL}")
        })
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl TestRegistry {
    pub fn start(auth: Auth) -> TestRegistry {
        let binary = require("docker-registry");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {host}\n",
            dir.path().join("data").display()
        );
        let push_auth = match &auth {
            Auth::None => None,
            Auth::Basic(user, password) => {
                let file = dir.path().join("htpasswd");
                let status = Command::new(require("htpasswd"))
                    .args(["-Bbc"])
                    .arg(&file)
                    .args([user, password])
                    .stderr(Stdio::null())
                    .status()
                    .expect("run htpasswd");
                assert!(status.success(), "htpasswd failed");
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                    file.display()
                ));
                Some(basic(user, password))
            }
            Auth::Silly { realm, service } => {
                config.push_str(&format!(
                    "auth:\n  silly:\n    realm: {realm}\n    service: {service}\n"
                ));
                Some("Bearer pusher".to_string())
            }
            Auth::Token {
                realm,
                service,
                issuer,
                cert,
                push_token,
            } => {
                config.push_str(&format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                    cert.display()
                ));
                Some(format!("Bearer {push_token}"))
            }
        };
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config");
        let mut registry = TestRegistry {
            child: None,
            _dir: dir,
            config: config_path,
            host,
            push_auth,
        };
        registry.spawn(&binary);
        registry
    }

    fn spawn(&mut self, binary: &Path) {
        let child = Command::new(binary)
            .arg("serve")
            .arg(&self.config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        self.child = Some(child);
        // Ready when it answers /v2/ (200, or 401 with auth).
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if ureq::get(&format!("http://{}/v2/", self.host))
                .config()
                .http_status_as_error(false)
                .build()
                .call()
                .is_ok()
            {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "docker-registry exited at start ({status}); config:\n{}",
                    std::fs::read_to_string(&self.config).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on {}",
                self.host
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the registry: later requests find nothing listening.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Pushes `repository:tag` (a tiny image unique to that name) and
    /// returns the manifest's digest.
    pub fn push(&self, repository: &str, tag: &str, kind: Manifest) -> String {
        self.push_with(repository, tag, kind, "1")
    }

    /// `push`, with `nonce` in the config: another nonce, other bytes.
    pub fn push_with(&self, repository: &str, tag: &str, kind: Manifest, nonce: &str) -> String {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"image":"{repository}:{tag}","nonce":"{nonce}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let config_digest = sha256(config.as_bytes());
        let base = format!("http://{}", self.host);
        let post = self
            .auth(ureq::post(&format!(
                "{base}/v2/{repository}/blobs/uploads/"
            )))
            .send_empty()
            .expect("start a blob upload");
        let location = post
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("upload location")
            .to_string();
        let location = if location.starts_with('/') {
            format!("{base}{location}")
        } else {
            location
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        self.auth(ureq::put(&format!("{location}{sep}digest={config_digest}")))
            .header("Content-Type", "application/octet-stream")
            .send(config.as_bytes())
            .expect("upload the config blob");
        let (media, config_media) = match kind {
            Manifest::Oci => (
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.config.v1+json",
            ),
            Manifest::Docker => (
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.container.image.v1+json",
            ),
        };
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{media}","config":{{"mediaType":"{config_media}","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
            config.len()
        );
        self.auth(ureq::put(&format!(
            "{base}/v2/{repository}/manifests/{tag}"
        )))
        .header("Content-Type", media)
        .send(manifest.as_bytes())
        .expect("put the manifest");
        sha256(manifest.as_bytes())
    }

    fn auth<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.push_auth {
            Some(value) => request.header("Authorization", value),
            None => request,
        }
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    let hash = sha2::Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The shop, its images on `host`.
pub fn shop_on(host: &str) -> (TestWorkspace, Shop) {
    let (ws, shop) = TestWorkspace::shop();
    let config = ws.read("snapset.kdl").replace("registry.example.com", host);
    ws.write("snapset.kdl", &config);
    (ws, shop)
}

/// A child environment that sees no credentials of this machine: HOME is
/// a folder of the test, and docker's and podman's variables are unset
/// unless the test gives them.
pub fn isolated(root: &Path, extra: &[(&str, String)]) -> Vec<(String, String)> {
    let home = root.parent().unwrap().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut env: Vec<(String, String)> = vec![
        ("HOME".into(), home.display().to_string()),
        (
            "XDG_CACHE_HOME".into(),
            root.parent().unwrap().join("cache").display().to_string(),
        ),
        ("DOCKER_CONFIG".into(), String::new()),
        ("REGISTRY_AUTH_FILE".into(), String::new()),
        ("XDG_RUNTIME_DIR".into(), String::new()),
        ("NO_PROXY".into(), "*".into()),
        ("no_proxy".into(), "*".into()),
        ("HTTP_PROXY".into(), String::new()),
        ("http_proxy".into(), String::new()),
        ("HTTPS_PROXY".into(), String::new()),
        ("https_proxy".into(), String::new()),
        ("ALL_PROXY".into(), String::new()),
        ("all_proxy".into(), String::new()),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.clone()));
    }
    env
}

/// Runs `snapset -C root args...` with an isolated environment (HOME
/// beside the workspace), given to the child process only.
pub fn run_at(root: &Path, args: &[&str], extra: &[(&str, String)]) -> Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_snapset"))
        .envs(isolated(root, extra))
        .env("NO_COLOR", "1")
        .env(
            "GIT_CEILING_DIRECTORIES",
            root.parent().unwrap().parent().unwrap(),
        )
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .expect("run snapset");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
