//! Helpers shared by the integration tests (modules of the one test binary, tests/it/main.rs).

pub mod browser;
pub mod git_fixture;
pub mod http_stub;
pub mod registry;
pub mod token_signer;
pub mod two_repos;
pub mod workspace;
