//! The command line, as clap reads it. Each subcommand's arguments are its
//! own struct, run by the file of the same name in `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "snapset",
    // The version, and the commit when built from git (build.rs).
    version = env!("SNAPSET_VERSION"),
    about = "Compile snapshots of git commits into Kubernetes and Istio manifests"
)]
pub struct Cli {
    /// Run as if started in DIR (the workspace is found by walking up to snapset.kdl).
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// Fail at once (exit 2) when another snapset is writing in the
    /// workspace, instead of waiting for it.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// How errors and warnings are printed besides the human report on
    /// stderr: `github` adds workflow commands (annotations), `gitlab`
    /// writes a Code Quality report to --report (docs/ci.md).
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub message_format: Option<MessageFormat>,
    /// Where `--message-format gitlab` writes its JSON report (`-`: stdout).
    #[arg(long, global = true, value_name = "FILE")]
    pub report: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render the environments into out/<env>/.
    Render(RenderArgs),
    /// Parse, resolve, render and validate in memory; write nothing.
    Check(CheckArgs),
    /// Compare a fresh render with out/ on disk or as committed at a git ref.
    Diff(DiffArgs),
    /// Compare an environment's snapshot with what a namespace runs.
    Status(StatusArgs),
    /// Pin a service to the newest commit that touches its path.
    Bump(BumpArgs),
    /// Work with snapshot files.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Bind an environment to a snapshot in snapset.kdl.
    Promote(PromoteArgs),
    /// Show where a value of a service in an environment comes from.
    Explain(ExplainArgs),
    /// The commits between what out/ holds (or held at REF) and the snapshot.
    Changelog(ChangelogArgs),
    /// Start a workspace here from a mono-repo's services, and render it once.
    Init(InitArgs),
    /// Print the completion script of a shell (names come from the workspace).
    Completions(CompletionsArgs),
    /// Write roff manual pages: the top page to stdout, or every page to --dir.
    Man(ManArgs),
    /// Write the release page: one HTML file showing every environment's snapshot.
    Report(ReportArgs),
    /// Ask the registry whether every image of the release exists.
    Images(ImagesArgs),
    /// Record every image's digest in snapset.lock.
    Lock(LockArgs),
    /// List the templates services render, or print a built-in one to start your own from.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// Which upstream commits each environment with `from=` can take now.
    Ready(ReadyArgs),
    /// Record in snapset.kdl that a commit must never be deployed again.
    Reject(RejectArgs),
    /// A canary's life as edits of one snapshot: start, weight, promote, abort.
    #[command(subcommand)]
    Canary(CanaryCommand),
    /// Every change of an environment, newest first, from the workspace's git history.
    Log(LogArgs),
    /// Which environments run a commit (or a descendant), since when, and how long it took.
    Where(WhereArgs),
    /// DORA figures per environment: deployment frequency, lead time, change failure rate, time to restore.
    Metrics(MetricsArgs),
    /// Bind an environment back to what it ran before its last change (or at a workspace revision).
    Rollback(RollbackArgs),
    /// The admission policies of policies/: run their own tests.
    #[command(subcommand)]
    Policies(PoliciesCommand),
    /// Lay out every KDL file of the workspace the one canonical way, comments kept.
    Fmt(FmtArgs),
}

impl Command {
    /// Whether the command writes in the workspace, and so takes its lock
    /// (`crate::disk::workspace_lock`) before it reads what it edits.
    pub fn writes(&self) -> bool {
        match self {
            Command::Render(args) => !args.check,
            Command::Bump(_)
            | Command::Snapshot(_)
            | Command::Promote(_)
            | Command::Reject(_)
            | Command::Canary(_)
            | Command::Rollback(_) => true,
            Command::Ready(_) | Command::Log(_) | Command::Where(_) | Command::Metrics(_) => false,
            Command::Lock(args) => !args.check,
            Command::Images(_) => false,
            Command::Check(_)
            | Command::Diff(_)
            | Command::Status(_)
            | Command::Explain(_)
            | Command::Changelog(_)
            | Command::Report(_) => false,
            // `init` creates the workspace, so it locks it itself once the
            // folder is claimed (`commands::init`); the others write no workspace.
            Command::Init(_) | Command::Completions(_) | Command::Man(_) => false,
            Command::Templates(_) | Command::Policies(_) => false,
            Command::Fmt(args) => !args.check,
        }
    }
}

#[derive(Args, Debug, Default)]
pub struct EnvArgs {
    /// Only this environment (repeatable); all by default.
    #[arg(long = "env", value_name = "E")]
    pub envs: Vec<String>,
}

/// `--limit NAME=VALUE`: what templates may cost (docs/templates.md#limits).
#[derive(Args, Debug, Default)]
pub struct LimitArgs {
    /// Raise or lower a template limit (repeatable): template-fuel,
    /// template-output, environment-fuel or environment-output, such as
    /// `template-fuel=50M` or `environment-output=1GiB`.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    pub limits: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Write nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    pub check: bool,
    /// Print errors and warnings also as GitHub annotations (`github`) or a
    /// GitLab Code Quality report (`gitlab`); the same as --message-format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<MessageFormat>,
    /// Fail (exit 2) when there is any warning, as CI should: render then writes nothing.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Print errors and warnings also as GitHub annotations (`github`) or a
    /// GitLab Code Quality report (`gitlab`), or every finding as JSON on
    /// stdout (`json`, dryrun policies included); the same as --message-format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<MessageFormat>,
    /// Fail (exit 2) when there is any warning, as CI should.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How diagnostics leave the process, besides the human report.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq, Default)]
pub enum MessageFormat {
    #[default]
    Human,
    Github,
    Gitlab,
    // Every error, warning and dryrun policy verdict as one JSON document
    // on stdout (`check` only). Not a doc comment: clap would list the
    // formats one per line in every command's help.
    Json,
}

impl Cli {
    /// `--format` of `check` and `render` where given, else `--message-format`.
    pub fn message_format(&self) -> MessageFormat {
        let own = match &self.command {
            Command::Check(args) => args.format,
            Command::Render(args) => args.format,
            _ => None,
        };
        own.or(self.message_format).unwrap_or_default()
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Patch,
    Markdown,
    Json,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Compare with out/ as committed at this git ref of the workspace's repository.
    #[arg(long, value_name = "REF")]
    pub against: Option<String>,
    /// `text` (a summary and unified diffs), `patch` (for `git apply`),
    /// `markdown` (a pull-request comment) or `json` (for scripts).
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum TableFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// The environment whose snapshot is compared.
    #[arg(long = "env", value_name = "E")]
    pub env: String,
    /// `kubectl get KINDS -n NS -o json` output (any kinds: `deploy,sts,ds,cronjob`
    /// for the workloads, plus `ns,cm,svc …` for the rest): a file, or - for stdin.
    /// For an environment on clusters, `CLUSTER=FILE`, once per cluster compared.
    #[arg(long, value_name = "[CLUSTER=]FILE", required = true)]
    pub live: Vec<String>,
    /// `table` for people; `json` for scripts (keys in docs/status.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct BumpArgs {
    /// The snapshot to edit: snapshots/SNAPSHOT.kdl.
    pub snapshot: String,
    /// The service to bump (omit with --all).
    #[arg(required_unless_present = "all")]
    pub service: Option<String>,
    /// Only this track of the service.
    #[arg(long, value_name = "T")]
    pub track: Option<String>,
    /// Take the newest commit reachable from REF (default HEAD).
    #[arg(long, value_name = "REF")]
    pub to: Option<String>,
    /// Bump every service of the snapshot.
    #[arg(long, conflicts_with_all = ["service", "track"])]
    pub all: bool,
    /// Write it even though an environment bound to the snapshot cannot
    /// take a pin yet, by the rules of `promote` (`check` then fails until
    /// the pin is proven or has a `hotfix`).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub image: WithImageArgs,
}

/// `--with-image`: pin only commits whose image the registry has.
#[derive(Args, Debug)]
pub struct WithImageArgs {
    /// Take the newest commit whose image is in the registry (asked as
    /// `snapset images` asks), passing over newer ones CI has not pushed.
    #[arg(long)]
    pub with_image: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Subcommand, Debug)]
pub enum CanaryCommand {
    /// Split a service into `stable` (its commit) and `canary` (the newest commit touching its path).
    Start(CanaryStartArgs),
    /// Send N percent of the service's traffic to the canary, the rest to stable.
    Weight(CanaryWeightArgs),
    /// End the canary: the service runs the canary's commit alone.
    Promote(CanaryEndArgs),
    /// End the canary: the service runs the stable commit alone.
    Abort(CanaryEndArgs),
}

#[derive(Args, Debug)]
pub struct CanaryStartArgs {
    /// The snapshot to edit: snapshots/SNAPSHOT.kdl.
    pub snapshot: String,
    /// The service that gets a canary.
    pub service: String,
    /// The canary is the newest commit reachable from REF (default HEAD) that touches the service's path.
    #[arg(long, value_name = "REF")]
    pub to: Option<String>,
    /// The canary's percent of the traffic (1–99); stable gets the rest.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        allow_negative_numbers = true
    )]
    pub weight: i64,
    /// Write it even though an environment bound to the snapshot cannot
    /// take a pin yet, by the rules of `promote` (`check` then fails until
    /// the pin is proven or has a `hotfix`).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub image: WithImageArgs,
}

#[derive(Args, Debug)]
pub struct CanaryWeightArgs {
    /// The snapshot to edit: snapshots/SNAPSHOT.kdl.
    pub snapshot: String,
    /// The service (omit with --all; then the one value after SNAPSHOT is N).
    #[arg(value_name = "SERVICE")]
    pub service: Option<String>,
    /// The canary's percent of the traffic (1–99); stable gets the rest.
    #[arg(value_name = "N", allow_negative_numbers = true)]
    pub weight: Option<String>,
    /// Every service of the snapshot that has a canary, in one edit.
    #[arg(long)]
    pub all: bool,
    /// Write it even though an environment bound to the snapshot cannot
    /// take a pin yet, by the rules of `promote` (`check` then fails until
    /// the pin is proven or has a `hotfix`).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct CanaryEndArgs {
    /// The snapshot to edit: snapshots/SNAPSHOT.kdl.
    pub snapshot: String,
    /// The service (omit with --all).
    #[arg(required_unless_present = "all")]
    pub service: Option<String>,
    /// Every service of the snapshot that has a canary, in one edit.
    #[arg(long, conflicts_with = "service")]
    pub all: bool,
}

#[derive(Subcommand, Debug)]
pub enum SnapshotCommand {
    /// Start snapshots/NAME.kdl from another snapshot or from the newest commits.
    New(SnapshotNewArgs),
}

#[derive(Args, Debug)]
pub struct SnapshotNewArgs {
    /// The new snapshot's name: snapshots/NAME.kdl.
    pub name: String,
    /// Copy this snapshot (its pins, comments and layout); without it,
    /// every service is pinned at the newest commit touching its path.
    #[arg(long, value_name = "SNAPSHOT")]
    pub from: Option<String>,
    /// Write it even though an environment bound to the snapshot cannot
    /// take a pin yet, by the rules of `promote` (`check` then fails until
    /// the pin is proven or has a `hotfix`).
    #[arg(long)]
    pub force: bool,
}

#[derive(Subcommand, Debug)]
pub enum TemplatesCommand {
    /// List every template by set and scope: the workspace's files and the
    /// built-in ones they do not replace (only the built-ins outside a workspace).
    List,
    /// Print a built-in template, to start a replacement or a new template from it.
    Show(TemplatesShowArgs),
}

#[derive(Subcommand, Debug)]
pub enum PoliciesCommand {
    /// Run each folder's suite.yaml as `gator verify` does, the samples of
    /// folders without one, and conftest `test_*` rules; exit 1 when one fails.
    Test(PoliciesTestArgs),
}

#[derive(Args, Debug)]
pub struct PoliciesTestArgs {
    /// The folder of policies (default: the workspace's policies/).
    pub dir: Option<PathBuf>,
    /// `table` for people; `json` for scripts: every test with the
    /// violations it found and the files it read (keys in docs/policies.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct TemplatesShowArgs {
    /// `track/deployment`, `service/service`, `service/destinationrule` or
    /// `service/virtualservice` (the scope may be left out: `deployment`).
    pub name: String,
}

#[derive(Args, Debug)]
pub struct PromoteArgs {
    /// The snapshot the environment takes.
    pub snapshot: String,
    /// The environment to bind (its `snapshot=` in snapset.kdl).
    #[arg(long = "env", value_name = "E")]
    pub env: String,
    /// Bind it even though some pin is not proven for E yet (`check` will
    /// still fail until the rule holds or the pin has a `hotfix`).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ReadyArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// `table` for people; `json` for scripts (keys in docs/pipeline.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// The environment whose changes are listed.
    #[arg(long = "env", value_name = "E")]
    pub env: String,
    /// Only the changes of this service.
    #[arg(long, value_name = "S")]
    pub service: Option<String>,
    /// `table` for people; `json` for scripts (keys in docs/history.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct WhereArgs {
    /// The service whose commit is looked for.
    pub service: String,
    /// The commit (a hash, a prefix of at least 7 hex digits, or any
    /// revision of the service's repository).
    pub commit: String,
    /// `table` for people; `json` for scripts (keys in docs/history.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// Count the changes from this date on (00:00 UTC, inclusive); 90 days back by default.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// `table` for people; `json` for scripts (keys in docs/history.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// The environment to roll back.
    #[arg(long = "env", value_name = "E")]
    pub env: String,
    /// A revision of the workspace's repository (a commit, `HEAD~3`, a
    /// tag): E goes back to what it ran there. By default, what it ran
    /// before its last change.
    #[arg(long, value_name = "REF")]
    pub to: Option<String>,
    /// Roll back even though some pin is not proven for E (`snapset check`
    /// will fail until it is or the pin has a `hotfix`). A rejected commit
    /// is refused all the same.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RejectArgs {
    /// The service whose commit must never be deployed again.
    pub service: String,
    /// The commit (a hash, a prefix of at least 7 hex digits, or any
    /// revision of the service's repository); written as its full hash.
    pub commit: String,
    /// Why: every error about the commit quotes it.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The environment whose values are explained: its snapshot, and its
    /// varset with the varsets that varset extends.
    #[arg(long = "env", value_name = "E")]
    pub env: String,
    /// The cluster of an environment declared with clusters: its varset is
    /// the last layer.
    #[arg(long, value_name = "C")]
    pub cluster: Option<String>,
    /// A service of the environment's snapshot.
    pub service: String,
    /// A variable (`replicas`, or a dotted path such as
    /// `resources.requests.cpu`; a map shows every value under it), a
    /// container variable (`LOG_LEVEL`), a feature (`tax-call`), or
    /// `namespace`, `commit`, `image`.
    pub key: String,
    /// `table` for people; `json` for scripts.
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
}

#[derive(Args, Debug)]
pub struct ChangelogArgs {
    /// The environment whose snapshot is compared.
    #[arg(long = "env", value_name = "E", required_unless_present = "between")]
    pub env: Option<String>,
    /// Compare with out/ as committed at this git ref of the workspace's
    /// repository, instead of out/ on disk.
    #[arg(long, value_name = "REF", conflicts_with = "between")]
    pub against: Option<String>,
    /// The commits between two releases instead: two snapshots, or two
    /// environments' current snapshots (a name that is both is the
    /// environment; `snapshot:NAME` means the snapshot).
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with = "env")]
    pub between: Option<Vec<String>>,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The services' git repository (default: the folder itself, a mono-repo's root).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// The folder of the repository holding one folder per service.
    #[arg(long, value_name = "DIR", default_value = "services")]
    pub services_dir: String,
    /// An environment to create (repeatable); `dev` and `prod` by default.
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell whose completion script is printed.
    pub shell: CompletionShell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write snapset.1 and one page per subcommand (snapset-render.1, ...) here.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// ENV=FILE: what ENV's namespace runs, as `kubectl get deploy,sts,ds,cronjob -o json`
    /// prints it (FILE `-`: standard input); repeatable.
    #[arg(long, value_name = "ENV=FILE")]
    pub live: Vec<String>,
    /// The page to write.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        default_value = "snapset-report.html"
    )]
    pub output: PathBuf,
    /// Write the time into the page (then the same input no longer gives the same bytes).
    #[arg(long)]
    pub timestamp: bool,
}

/// How `images` and `lock` reach registries.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Reach HOST (`host` or `host:port`) over plain HTTP; loopback hosts always are (repeatable).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure: Vec<String>,
    /// Seconds one request may take, connection to last byte.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

#[derive(Args, Debug)]
pub struct ImagesArgs {
    #[command(flatten)]
    pub envs: EnvArgs,
    /// `table` for people; `json` for scripts (keys in docs/images.md).
    #[arg(long, value_enum, default_value = "table")]
    pub format: TableFormat,
    /// Ask the registry about every image, even those found before.
    #[arg(long)]
    pub refresh: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Write nothing; exit 1 listing the files that would change (for CI).
    #[arg(long)]
    pub check: bool,
    /// Write every file in this KDL version (1 or 2), converting those written in the other.
    #[arg(long, value_name = "1|2", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub kdl_version: Option<u8>,
}

#[derive(Args, Debug)]
pub struct LockArgs {
    /// Write nothing; exit 1 if snapset.lock would change (for CI).
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}
