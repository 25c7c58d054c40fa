//! What `snapset init` writes: a first workspace for an existing mono-repo.
//! The services are found in the repository as committed (`found`), their
//! ports read from their container files (`port`), and the workspace's
//! files are written as text with comments (`files`), because a first
//! workspace is read by people learning the format, not only by snapset.

pub mod files;
pub mod found;
pub mod port;

pub use files::Scaffold;
pub use found::{FoundService, find_services};
