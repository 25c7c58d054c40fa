//! The one place snapset talks HTTP: `HEAD /v2/<name>/manifests/<tag>` on
//! image registries (OCI distribution API), following their auth
//! challenges. Only `images`, `lock` and `--with-image` (`bump`, `canary
//! start`, through `edit::newest`) build a `Client`; the compile pipeline
//! has no way to reach the network.
//!
//! Registries answer by the `Accept` header: Distribution 2.8 says 404 for
//! an OCI image that exists when the OCI type is not accepted, and 400 for a
//! Docker schema2 image when its type is missing, so every request lists all
//! four manifest and index types.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sha2::Digest;
use ureq::http::{Response, StatusCode};

use super::answer::Answer;
use super::challenge::{Challenge, Realm};
use super::credentials::{CredentialStore, Credentials};
use super::options::Options;
use super::reference::ImageRef;
use crate::error::{Error, ErrorKind, Result};

pub const ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
                          application/vnd.oci.image.index.v1+json, \
                          application/vnd.docker.distribution.manifest.v2+json, \
                          application/vnd.docker.distribution.manifest.list.v2+json";

/// Attempts after the first, on 429, 5xx and dropped connections.
const RETRIES: u32 = 4;
/// The longest wait snapset honours from `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// How a registry wants to be authenticated, learnt from its first 401.
#[derive(Debug, Clone)]
enum Scheme {
    Unknown,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

pub struct Client {
    agent: ureq::Agent,
    options: Options,
    /// By registry (as written in image names), looked up before any request.
    credentials: HashMap<String, Option<Credentials>>,
    schemes: Mutex<HashMap<String, Scheme>>,
    /// Bearer tokens by (registry, scope).
    tokens: Mutex<HashMap<(String, String), String>>,
    /// Registries that could not be reached, with why: the other images on
    /// them fail at once instead of each waiting out its own retries.
    unreachable: Mutex<HashMap<String, String>>,
}

impl Client {
    /// A client for images on `registries`, with their credentials looked
    /// up now (a credential helper runs once per registry).
    pub fn new(options: Options, registries: &[String]) -> Result<Client> {
        let store = CredentialStore::discover()?;
        let mut credentials = HashMap::new();
        for registry in registries {
            if !credentials.contains_key(registry) {
                credentials.insert(registry.clone(), store.lookup(registry)?);
            }
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .max_redirects(10)
            .max_redirects_will_error(true)
            // One kept-alive connection per worker, so that no request
            // waits for a handshake after the first round.
            .max_idle_connections_per_host(options.jobs.max(1))
            .max_idle_connections(options.jobs.max(1) * 4)
            .user_agent(concat!("snapset/", env!("CARGO_PKG_VERSION")))
            .build();
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            super::resolver::CachingResolver::default(),
        );
        Ok(Client {
            agent,
            options,
            credentials,
            schemes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            unreachable: Mutex::new(HashMap::new()),
        })
    }

    /// `f` on every item, at most `jobs` at a time, answers in item order.
    pub fn each<T: Sync, A: Send>(&self, items: &[T], f: impl Fn(&T) -> A + Sync) -> Vec<A> {
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<A>>> = items.iter().map(|_| Mutex::new(None)).collect();
        let workers = self.options.jobs.clamp(1, items.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        *slots[i].lock().expect("no panic holds it") = Some(f(item));
                    }
                });
            }
        });
        slots
            .into_iter()
            .map(|s| s.into_inner().expect("no panic").expect("every item ran"))
            .collect()
    }

    /// Whether the tag exists: a HEAD on its manifest. A digest that is not
    /// one (see `digest`) is not reported, nor kept in the cache.
    pub fn head(&self, image: &ImageRef) -> Result<Answer> {
        Ok(match self.head_digest(image)? {
            Some(digest) => Answer::Present {
                digest: digest.filter(|d| crate::load::image_lock::is_digest(d)),
            },
            None => Answer::Missing,
        })
    }

    /// `None` when the tag is missing, else `Docker-Content-Digest` as sent.
    fn head_digest(&self, image: &ImageRef) -> Result<Option<Option<String>>> {
        let response = self.manifest(image, false)?;
        match response.status().as_u16() {
            200..=299 => Ok(Some(header(&response, "docker-content-digest"))),
            404 => Ok(None),
            status => Err(self.unexpected(image, status)),
        }
    }

    /// The digest the tag points at: `Docker-Content-Digest`, or the
    /// sha256 of the manifest's bytes when the registry does not send it.
    pub fn digest(&self, image: &ImageRef) -> Result<Option<String>> {
        match self.head_digest(image)? {
            None => Ok(None),
            Some(Some(digest)) if digest.starts_with("sha256:") => {
                // Written into snapset.lock as it came: anything but the
                // 64 hex digits of a sha256 is a registry (or a proxy)
                // lying, not a digest.
                if crate::load::image_lock::is_digest(&digest) {
                    Ok(Some(digest))
                } else {
                    Err(registry_error(
                        &image.registry,
                        &format!(
                            "answered the digest {} for {image}, which is not sha256: and 64 lower-case hex digits",
                            crate::text::terminal::visible(&digest)
                        ),
                    ))
                }
            }
            Some(_) => {
                let mut response = self.manifest(image, true)?;
                match response.status().as_u16() {
                    200..=299 => {}
                    404 => return Ok(None),
                    status => return Err(self.unexpected(image, status)),
                }
                let bytes = response
                    .body_mut()
                    .read_to_vec()
                    .map_err(|e| self.transport(&image.registry, &e))?;
                let hash = sha2::Sha256::digest(&bytes);
                let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
                Ok(Some(format!("sha256:{hex}")))
            }
        }
    }

    /// HTTPS, but for this machine and the hosts named with
    /// `--insecure-registry`.
    fn base_url(&self, image: &ImageRef) -> String {
        let plain = image.is_loopback()
            || self
                .options
                .insecure
                .iter()
                .any(|h| *h == image.registry || h == image.hostname());
        let scheme = if plain { "http" } else { "https" };
        format!("{scheme}://{}", image.api_host())
    }

    /// The manifest request, authenticated and retried.
    fn manifest(&self, image: &ImageRef, get: bool) -> Result<Response<ureq::Body>> {
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base_url(image),
            image.repository,
            image.tag
        );
        if let Some(why) = self
            .unreachable
            .lock()
            .expect("no panic")
            .get(&image.registry)
        {
            return Err(registry_error(&image.registry, why));
        }
        let scope = format!("repository:{}:pull", image.repository);
        let mut learnt = false;
        loop {
            let auth = self.authorization(&image.registry, &scope)?;
            let response = self.retrying(&image.registry, || {
                let request = if get {
                    self.agent.get(&url)
                } else {
                    self.agent.head(&url)
                };
                let request = request.header("Accept", ACCEPT);
                match &auth {
                    Some(value) => request.header("Authorization", value).call(),
                    None => request.call(),
                }
            })?;
            match response.status().as_u16() {
                401 if !learnt => {
                    learnt = true;
                    let challenge = header(&response, "www-authenticate");
                    drain(response);
                    self.learn(&image.registry, challenge.as_deref())?;
                }
                401 | 403 => {
                    return Err(self.denied(&image.registry, response.status()));
                }
                _ => return Ok(response),
            }
        }
    }

    /// Sends, and sends again on 429, 5xx and transport errors, waiting
    /// longer each time (or what `Retry-After` asks).
    fn retrying(
        &self,
        registry: &str,
        send: impl Fn() -> std::result::Result<Response<ureq::Body>, ureq::Error>,
    ) -> Result<Response<ureq::Body>> {
        let mut attempt = 0;
        loop {
            let wait = match send() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if attempt >= RETRIES || !(status == 429 || (500..600).contains(&status)) {
                        return Ok(response);
                    }
                    let asked = header(&response, "retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
                    drain(response);
                    asked.unwrap_or_else(|| backoff(attempt))
                }
                Err(e) if attempt < RETRIES && retryable(&e) => backoff(attempt),
                Err(e) => {
                    let error = self.transport(registry, &e);
                    if let ErrorKind::Registry { detail, .. } = &*error.kind {
                        self.unreachable
                            .lock()
                            .expect("no panic")
                            .insert(registry.to_string(), detail.clone());
                    }
                    return Err(error);
                }
            };
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn learn(&self, registry: &str, challenge: Option<&str>) -> Result<()> {
        let scheme = match challenge.and_then(Challenge::parse) {
            Some(Challenge::Basic) => Scheme::Basic,
            Some(Challenge::Bearer { realm, service, .. }) => Scheme::Bearer { realm, service },
            None => {
                return Err(registry_error(
                    registry,
                    "answered 401 with no authentication scheme snapset knows (Basic or Bearer)",
                ));
            }
        };
        if matches!(scheme, Scheme::Basic) && self.credentials(registry).is_none() {
            return Err(self.denied(registry, StatusCode::UNAUTHORIZED));
        }
        self.schemes
            .lock()
            .expect("no panic holds it")
            .insert(registry.to_string(), scheme);
        Ok(())
    }

    fn credentials(&self, registry: &str) -> Option<&Credentials> {
        self.credentials.get(registry).and_then(Option::as_ref)
    }

    /// The `Authorization` value for a request, once the registry's scheme
    /// is known: Basic with the credentials, or a token of the realm.
    fn authorization(&self, registry: &str, scope: &str) -> Result<Option<String>> {
        let scheme = self
            .schemes
            .lock()
            .expect("no panic holds it")
            .get(registry)
            .cloned()
            .unwrap_or(Scheme::Unknown);
        match scheme {
            Scheme::Unknown => Ok(None),
            Scheme::Basic => match self.credentials(registry) {
                Some(Credentials::Basic { user, password }) => {
                    Ok(Some(Credentials::basic_header(user, password)))
                }
                _ => Err(self.denied(registry, StatusCode::UNAUTHORIZED)),
            },
            Scheme::Bearer { realm, service } => {
                let key = (registry.to_string(), scope.to_string());
                if let Some(token) = self.tokens.lock().expect("no panic").get(&key) {
                    return Ok(Some(format!("Bearer {token}")));
                }
                let token = self.token(registry, &realm, service.as_deref(), scope)?;
                self.tokens
                    .lock()
                    .expect("no panic")
                    .insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A token from the realm for `scope`: anonymous, with Basic
    /// credentials, or by OAuth2 refresh-token grant for an identity token.
    fn token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String> {
        // The realm is read as the HTTP client will read it, and refused
        // over plain HTTP off this machine unless --insecure-registry names
        // it: the request carries the credentials (or asks for a token an
        // eavesdropper could swap).
        let Some(target) = Realm::parse(realm) else {
            return Err(registry_error(
                registry,
                &format!("the token realm {realm} is not an http:// or https:// address"),
            ));
        };
        let realm_host = target.authority.as_str();
        if target.plain
            && !target.is_loopback()
            && !self.options.insecure.iter().any(|h| target.named_by(h))
        {
            return Err(registry_error(
                registry,
                &format!(
                    "the token realm {realm} is plain HTTP: snapset will not send credentials or ask for a token there (list its host with --insecure-registry to allow it)"
                ),
            ));
        }
        let mut response = self.retrying(registry, || match self.credentials(registry) {
            Some(Credentials::IdentityToken(refresh)) => {
                let mut form = vec![
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.as_str()),
                    ("scope", scope),
                    ("client_id", "snapset"),
                ];
                if let Some(service) = service {
                    form.push(("service", service));
                }
                self.agent.post(realm).send_form(form)
            }
            credentials => {
                let mut request = self.agent.get(realm).query("scope", scope);
                if let Some(service) = service {
                    request = request.query("service", service);
                }
                match credentials {
                    Some(Credentials::Basic { user, password }) => request
                        .header("Authorization", Credentials::basic_header(user, password))
                        .call(),
                    _ => request.call(),
                }
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            drain(response);
            return Err(registry_error(
                registry,
                &format!(
                    "the token server {realm_host} answered {status} {}",
                    self.with_what(registry)
                ),
            ));
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let answer: TokenAnswer = response
            .body_mut()
            .read_to_vec()
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| {
                registry_error(
                    registry,
                    &format!("the token server {realm_host} did not answer a token as JSON"),
                )
            })?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                registry_error(
                    registry,
                    &format!("the token server {realm_host} answered no token"),
                )
            })
    }

    fn with_what(&self, registry: &str) -> &'static str {
        match self.credentials(registry) {
            Some(_) => "with the credentials found for it",
            None => {
                "to an anonymous request (no credentials found for it in docker's config.json, podman's auth.json or a credential helper)"
            }
        }
    }

    fn denied(&self, registry: &str, status: StatusCode) -> Error {
        registry_error(
            registry,
            &format!("answered {status} {}", self.with_what(registry)),
        )
    }

    fn unexpected(&self, image: &ImageRef, status: u16) -> Error {
        registry_error(&image.registry, &format!("answered {status} for {image}"))
    }

    fn transport(&self, registry: &str, e: &ureq::Error) -> Error {
        let detail = match e {
            ureq::Error::TooManyRedirects => "redirect loop: more than 10 redirects".to_string(),
            ureq::Error::ConnectProxyFailed(why) => format!("the proxy failed: {why}"),
            ureq::Error::Timeout(_) => {
                format!("no answer within {} s", self.options.timeout.as_secs())
            }
            ureq::Error::HostNotFound => "host not found".to_string(),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => format!("TLS failed: {e}"),
            ureq::Error::Io(io) => format!("unreachable: {io}"),
            other => format!("unreachable: {other}"),
        };
        registry_error(registry, &detail)
    }
}

fn registry_error(registry: &str, detail: &str) -> Error {
    Error::new(ErrorKind::Registry {
        registry: registry.to_string(),
        detail: detail.to_string(),
    })
}

fn header(response: &Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Reads what is left of a response so its connection goes back to the
/// pool.
fn drain(mut response: Response<ureq::Body>) {
    let _ = response
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec();
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 << attempt.min(5))
}

/// Errors a second attempt may not meet: a kept-alive connection the
/// server closed or reset. A refused connection, a name that does not
/// resolve, a timeout or a TLS failure are answers, not accidents.
fn retryable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as Io;
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof
        ),
        _ => false,
    }
}
