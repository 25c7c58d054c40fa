//! Host names resolved once per run. ureq resolves the host for every
//! request, on a thread of its own whenever a timeout is set (snapset
//! always sets one): a thousand images made a thousand threads, and most of
//! `images --refresh`'s CPU went to the kernel zeroing their new heaps.
//! A release's images live on a handful of registries, so each host's
//! addresses are kept for the run.

use std::collections::HashMap;
use std::sync::Mutex;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    /// By scheme and authority (`https://host:port`).
    known: Mutex<HashMap<String, ResolvedSocketAddrs>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        if let Some(found) = self.known.lock().expect("no panic holds it").get(&key) {
            return Ok(found.clone());
        }
        let found = self.inner.resolve(uri, config, timeout)?;
        self.known
            .lock()
            .expect("no panic holds it")
            .insert(key, found.clone());
        Ok(found)
    }
}
