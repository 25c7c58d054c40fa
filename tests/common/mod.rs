//! Helpers shared by the integration tests (each test binary includes `mod common;`).

pub mod git_fixture;
pub mod http_stub;
pub mod registry;
pub mod token_signer;
pub mod two_repos;
pub mod workspace;
