//! The integration tests: one binary (linking the crate once, not once per
//! file), a module per area, each running the real `snapset` binary on
//! fixture workspaces. `cargo test --test it AREA::` runs one area.

mod common;

mod canary;
mod ci_formats;
mod ci_recipes;
mod cli_help;
mod diff;
mod edit;
mod edit_layout;
mod edit_syntax;
mod errors;
mod explain;
mod fleet;
mod fmt;
mod gate;
mod history;
mod hostile;
mod hostile_limits;
mod images;
mod init;
mod pipeline;
mod policies;
mod random_workspaces;
mod real_services;
mod release;
mod render;
mod report;
mod report_browser;
mod repos;
mod safety;
mod status;
mod tracks;
mod values;
mod whole_env;
mod with_image;
