//! One file per command; each has a `run` that returns the exit code and
//! leaves error printing to `crate::run`. A command with parts of its own
//! is a folder (`init`, `report`); `edit` is what the commands that edit
//! the workspace's files (bump, canary, snapshot, promote, reject, init)
//! share.

mod bump;
mod bump_add;
mod canary;
mod changelog;
mod check;
mod completions;
mod diff;
pub mod edit;
mod explain;
mod fmt;
mod images;
pub mod init;
mod lock;
mod log;
mod man;
mod metrics;
mod policies;
mod promote;
mod ready;
mod reject;
mod render;
pub mod report;
mod rollback;
mod snapshot;
mod status;
mod templates;
mod where_;

use crate::Session;
use crate::cli::{Cli, Command};
use crate::disk::workspace_lock::WorkspaceLock;
use crate::error::Result;
use crate::pipeline;

pub fn run(cli: Cli, session: &mut Session) -> Result<i32> {
    let dir = cli.directory.as_deref();
    let _lock = match cli.command.writes() {
        true => Some(WorkspaceLock::acquire(&pipeline::root(dir)?, cli.no_wait)?),
        false => None,
    };
    match cli.command {
        Command::Render(args) => render::RenderCommand::run(args, dir, session),
        Command::Check(args) => check::CheckCommand::run(args, dir, session),
        Command::Status(args) => status::StatusCommand::run(args, dir, session),
        Command::Diff(args) => diff::DiffCommand::run(args, dir, session),
        Command::Changelog(args) => changelog::ChangelogCommand::run(args, dir, session),
        Command::Bump(args) => bump::BumpCommand::run(args, dir, session),
        Command::Snapshot(command) => snapshot::SnapshotCommandRunner::run(command, dir, session),
        Command::Promote(args) => promote::PromoteCommand::run(args, dir, session),
        Command::Explain(args) => explain::ExplainCommand::run(args, dir, session),
        Command::Init(args) => init::InitCommand::run(args, dir, cli.no_wait, session),
        Command::Completions(args) => completions::CompletionsCommand::run(args),
        Command::Man(args) => man::ManCommand::run(args),
        Command::Report(args) => report::ReportCommand::run(args, dir, session),
        Command::Images(args) => images::ImagesCommand::run(args, dir, session),
        Command::Lock(args) => lock::LockCommand::run(args, dir, session),
        Command::Templates(command) => {
            templates::TemplatesCommandRunner::run(command, dir, session)
        }
        Command::Ready(args) => ready::ReadyCommand::run(args, dir, session),
        Command::Reject(args) => reject::RejectCommand::run(args, dir, session),
        Command::Canary(command) => canary::CanaryCommandRunner::run(command, dir, session),
        Command::Log(args) => log::LogCommand::run(args, dir, session),
        Command::Where(args) => where_::WhereCommand::run(args, dir, session),
        Command::Metrics(args) => metrics::MetricsCommand::run(args, dir, session),
        Command::Rollback(args) => rollback::RollbackCommand::run(args, dir, session),
        Command::Policies(command) => policies::PoliciesCommandRunner::run(command, dir, session),
        Command::Fmt(args) => fmt::FmtCommand::run(args, dir, session),
    }
}
