//! A registry's answer about one tag, as `images` reports it and the cache
//! keeps it.

/// What the registry said about a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// With `Docker-Content-Digest` when the registry sent it.
    Present {
        digest: Option<String>,
    },
    Missing,
}
