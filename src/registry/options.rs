//! How `images`, `lock` and `--with-image` reach registries, from their
//! command line.

use std::time::Duration;

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct Options {
    /// Requests in flight at once.
    pub jobs: usize,
    /// Hosts (`host` or `host:port`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// For one request, connection to the last byte.
    pub timeout: Duration,
}

impl Options {
    pub fn from_args(args: &crate::cli::RegistryArgs) -> Options {
        Options {
            jobs: usize::from(args.jobs),
            insecure: args.insecure.clone(),
            timeout: Duration::from_secs(args.timeout.max(1)),
        }
    }
}
