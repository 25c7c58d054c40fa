//! snapset's one error type. Errors carry `Loc`s into the `Sources` registry
//! and become miette diagnostics only when `run` prints them, so stages never
//! format file:line themselves. Beside the type: `Sources` (the registry of
//! loaded files), `Collector` (one run reports every mistake) and `Targets`
//! (for which environments and services an error happened).

mod collector;
pub mod sources;
pub mod targets;

pub use collector::Collector;
pub use targets::Targets;

use std::path::PathBuf;

use crate::error::sources::Loc;

/// What went wrong; the `Display` text is the headline users read, and the
/// help line under it is written at the variant (`#[diagnostic(help)]`, or
/// a `#[help]` field when the place that fails knows it best).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ErrorKind {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no snapset.kdl found in {} or any parent directory", start.display())]
    NoWorkspace { start: PathBuf },
    /// A KDL syntax error said in snapset's words (`load/kdl_syntax.rs`).
    #[error("{message}")]
    KdlSyntax {
        message: String,
        #[help]
        help: Option<String>,
    },
    #[error("unknown node `{name}` in {context}")]
    #[diagnostic(help("{}", expected_help(name, expected)))]
    UnknownNode {
        name: String,
        context: String,
        expected: Vec<&'static str>,
    },
    #[error("unknown property `{name}` on `{node}`")]
    #[diagnostic(help("{}", expected_help(name, expected)))]
    UnknownProperty {
        name: String,
        node: String,
        expected: Vec<&'static str>,
    },
    #[error("`{node}` {problem}")]
    Shape { node: String, problem: String },
    #[error("invalid {what}: expected {expected}")]
    Invalid { what: String, expected: String },
    #[error("duplicate {kind} `{name}`")]
    Duplicate { kind: &'static str, name: String },
    #[error("unknown {kind} `{name}`")]
    #[diagnostic(help("{}", unknown_help(kind, name, known)))]
    Unknown {
        kind: &'static str,
        name: String,
        known: Vec<String>,
    },
    #[error("snapshot `{name}` must live in snapshots/{name}.kdl, not in {file}")]
    FileName { name: String, file: String },
    #[error(
        "{kind} name `{name}` is not a DNS-1123 label (lower-case letters, digits and `-`, at most 63, starting and ending with a letter or digit)"
    )]
    NotDnsLabel { kind: &'static str, name: String },
    #[error("cannot open {repo}: {message}")]
    Repo { repo: String, message: String },
    #[error(
        "{repo} is a shallow clone whose history stops at {commit}: snapset needs what lies before it (run `git fetch --unshallow` there)"
    )]
    ShallowHistory { commit: String, repo: String },
    #[error("`{commit}` is not a commit hash: a snapshot pins commits, not branches or tags")]
    #[diagnostic(help("pin the commit hash, or let `snapset bump` turn the ref into one"))]
    NotAHash { commit: String },
    #[error("commit `{commit}` is too short: write at least 7 hex digits")]
    CommitTooShort { commit: String },
    #[error("commit `{commit}` is not in {repo}")]
    CommitNotFound { commit: String, repo: String },
    #[error("`{commit}` is a {kind} in {repo}, not a commit")]
    NotACommit {
        commit: String,
        kind: String,
        repo: String,
    },
    #[error("commit prefix `{commit}` is ambiguous in {repo}: it matches {count} commits")]
    #[diagnostic(help("{}", ambiguous_help(candidates, *count)))]
    CommitAmbiguous {
        commit: String,
        repo: String,
        count: usize,
        /// One line per candidate (at most `git::MAX_CANDIDATES`): hash,
        /// date and subject.
        candidates: Vec<String>,
    },
    #[error("git: {message}")]
    Git { message: String },
    #[error("varsets extend each other in a cycle: {chain}")]
    ExtendsCycle { chain: String },
    #[error("the weights of `{service}`'s tracks without `header` sum to {sum}, not 100")]
    WeightSum { service: String, sum: u64 },
    #[error("weight {weight} of track `{track}` is not between 0 and 100")]
    WeightRange { track: String, weight: i64 },
    #[error(
        "track `{track}` has a `header`: it gets only the matching requests and takes no weight"
    )]
    HeaderWeight { track: String },
    #[error("track `{track}` has several tracks beside it: give it a `weight` or a `header`")]
    MissingWeight { track: String },
    #[error(
        "service `{service}` has no track without `header`: requests that match no header would go nowhere"
    )]
    NoDefaultTrack { service: String },
    #[error(
        "`{service}` requires `{required}` at {since} or newer, but track `{track}` of `{required}` is pinned to {commit}, which does not contain {since} in {repo}"
    )]
    Requires {
        service: String,
        required: String,
        track: String,
        commit: String,
        since: String,
        repo: String,
    },
    #[error("template `{name}`: {detail}")]
    Template { name: String, detail: String },
    #[error("{}", limit_message(template, environment, limit, value))]
    #[diagnostic(help("templates have limits so that a pull request cannot exhaust the machine that renders it (docs/templates.md#limits); if this template needs more, raise it with `--limit {limit}={}`", if limit.ends_with("fuel") { "N" } else { "SIZE" }))]
    TemplateLimit {
        template: String,
        environment: String,
        /// The name `--limit` takes: `template-fuel`, `environment-output`...
        limit: &'static str,
        /// The limit as shown: `10,000,000` or `16 MiB`.
        value: String,
    },
    #[error("template `{name}` uses `{construct}`, which would let a value escape YAML quoting")]
    UnsafeTemplate {
        name: String,
        construct: &'static str,
    },
    #[error("template `{template}` renders an invalid {kind}{}: {detail}", targets.phrase())]
    Manifest {
        template: String,
        kind: String,
        detail: String,
        targets: Targets,
    },
    /// A rendered object is invalid because of the value of a variable.
    #[error("`vars.{var}` makes template `{template}` render an invalid {kind}{}: {detail}", targets.phrase())]
    ManifestValue {
        var: String,
        template: String,
        kind: String,
        detail: String,
        targets: Targets,
        #[help]
        help: Option<String>,
    },
    /// A template that compiled but failed to render for some services.
    #[error("template `{name}` fails{}: {detail}", targets.phrase())]
    TemplateRender {
        name: String,
        detail: String,
        targets: Targets,
        #[help]
        help: Option<String>,
    },
    #[error("template `{template}` renders text that is not YAML: {detail}")]
    #[diagnostic(help(
        "every {{{{ value }}}} is written as a JSON scalar, quotes included: join text inside the braces (`{{{{ service.name ~ \"-config\" }}}}`), not after them"
    ))]
    NotYaml { template: String, detail: String },
    #[error("{path} is written by two templates: {first} and {second}")]
    OutputClash {
        path: String,
        first: String,
        second: String,
    },
    #[error("unknown environment `{name}`")]
    #[diagnostic(help("{}", suggest(name, known).unwrap_or_else(|| format!("environments: {}", known.join(", ")))))]
    UnknownEnvironment { name: String, known: Vec<String> },
    #[error(
        "{service} is pinned to {commit}, which changes nothing under {path} in {repo}: no image may have been built for it"
    )]
    Untouched {
        service: String,
        commit: String,
        path: String,
        repo: String,
    },
    #[error("{input} is not JSON: {detail}")]
    #[diagnostic(help("{}", if *yaml { "this looks like YAML or a table: ask kubectl for JSON, `kubectl get deploy,sts,ds,cronjob -n NS -o json`" } else { LIVE_HELP }))]
    LiveNotJson {
        input: String,
        detail: String,
        /// It does not start like JSON (kubectl's default or `-o yaml`).
        yaml: bool,
    },
    #[error(
        "expected objects as `kubectl get KINDS -n NS -o json` prints them (a List, or one object), but {input} holds {read}"
    )]
    #[diagnostic(help("{}", LIVE_HELP))]
    LiveNotDeployments { input: String, read: String },
    #[error("item {index}{} of {input} is not a workload snapset can read: {detail}", name.as_ref().map(|n| format!(" (`{n}`)")).unwrap_or_default())]
    LiveBadDeployment {
        input: String,
        index: usize,
        name: Option<String>,
        detail: String,
    },
    #[error("`--live {arg}` does not say which environment the file shows")]
    #[diagnostic(help(
        "write --live ENV=FILE, such as --live prod=prod.json (FILE `-` reads standard input)"
    ))]
    LiveArg { arg: String },
    #[error(
        "the live workloads are in namespace {live}, but environment `{env}` deploys to {expected}"
    )]
    #[diagnostic(help(
        "environment `{env}` is compared with what `kubectl get deploy,sts,ds,cronjob -n {expected} -o json` prints"
    ))]
    NamespaceMismatch {
        live: String,
        env: String,
        expected: String,
    },
    #[error("{} is not in a git repository: --against reads out/ from the workspace's git history", path.display())]
    NoWorkspaceRepo { path: PathBuf },
    #[error("unknown revision `{rev}` in {repo}")]
    UnknownRevision { rev: String, repo: String },
    #[error(
        "no commit reachable from {reference} in {repo} touches {path} (the path of `{service}`)"
    )]
    NoTouchingCommit {
        service: String,
        path: String,
        reference: String,
        repo: String,
    },
    #[error("service `{service}` is not in snapshot `{snapshot}`")]
    #[diagnostic(help("the snapshot's services: {}", known.join(", ")))]
    NotInSnapshot {
        service: String,
        snapshot: String,
        known: Vec<String>,
    },
    #[error("{path} already exists")]
    AlreadyExists { path: String },
    #[error("{file} was left as it was: with the edit, the workspace would not load or resolve")]
    EditRejected { file: String },
    #[error("{file} changed on disk while snapset was editing it; run the command again")]
    ChangedOnDisk { file: String },
    #[error("the edited {file} does not read back {expected}")]
    ReadBack { file: String, expected: String },
    #[error("variable `{path}` is {new} here but {old} in a lower layer")]
    #[diagnostic(help(
        "layers merge maps key by key and replace scalars and lists, so `{path}` cannot be both; make the layers agree, or write `{path} null` in a layer between them to remove the lower value first"
    ))]
    VarShape {
        path: String,
        old: &'static str,
        new: &'static str,
    },
    #[error("{path}: {problem}")]
    TemplatePlace { path: String, problem: String },
    #[error("cannot lock the workspace: {}: {source}", path.display())]
    #[diagnostic(help(
        "commands that write (render, bump, snapshot new, promote) first lock the workspace in .snapset/, so they need to write there; `render --check`, check and diff only read"
    ))]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("another snapset{} is writing in this workspace (it holds {})", pid.map(|p| format!(" (pid {p})")).unwrap_or_default(), path.display())]
    #[diagnostic(help(
        "commands that write wait for each other; without --no-wait this one would have waited"
    ))]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error("{file} nests blocks more than {limit} levels deep")]
    TooDeep { file: String, limit: usize },
    #[error("{}", outside_message(file, link))]
    #[diagnostic(help(
        "snapset reads and writes only inside the workspace, so that a pull request cannot make it print or overwrite other files of the machine; nothing was read through the link. Put the file itself in the workspace (a link to a file inside it is fine)"
    ))]
    OutsideWorkspace { file: String, link: String },
    #[error(
        "{} is a symbolic link: out/ holds only the files snapset writes, and snapset reads no link there",
        path.display()
    )]
    #[diagnostic(help("`snapset render` replaces it with the rendered file"))]
    LinkInOut { path: PathBuf },
    #[error("{} is not a regular file ({kind})", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{} is larger than {limit_mib} MiB", path.display())]
    TooLarge { path: PathBuf, limit_mib: u64 },
    #[error("{file} is not UTF-8 text: invalid byte 0x{byte:02x} at byte offset {offset}")]
    NotUtf8 {
        file: String,
        byte: u8,
        offset: usize,
    },
    #[error("{file} holds a NUL byte: snapset reads text files")]
    NulByte { file: String },
    #[error("snapset stopped on an internal error: {message}")]
    #[diagnostic(help(
        "this is a bug in snapset: please report it with the command and the workspace that caused it"
    ))]
    Internal { message: String },
    #[error("not a CustomResourceDefinition: found apiVersion {api_version} kind {kind}")]
    NotACrd { api_version: String, kind: String },
    #[error("not YAML: {detail}")]
    CrdNotYaml { detail: String },
    #[error("{path} is not read: {why}")]
    CrdSkipped { path: String, why: String },
    #[error(
        "{target} stays at {commit}: that commit is not reachable from {reference}, and moving it to the newest commit there would drop what it holds"
    )]
    #[diagnostic(help(
        "a canary or a fix on a branch of its own is moved from that branch: `snapset bump {bump} --to BRANCH`"
    ))]
    PinLeftOffRef {
        target: String,
        commit: String,
        reference: String,
        /// `snapset bump` arguments that move it from where it lives.
        bump: String,
    },
    #[error("invalid CustomResourceDefinition: {detail}")]
    BadCrd { detail: String },
    #[error("the schema of `{kind}` version {version} cannot be used: {detail}")]
    CrdSchema {
        kind: String,
        version: String,
        detail: String,
    },
    #[error("registry {registry}: {detail}")]
    Registry { registry: String, detail: String },
    #[error("image {image} of `{service}` is not in snapset.lock")]
    #[diagnostic(help(
        "run `snapset lock` to record the digest of every image (it asks the registry)"
    ))]
    NotLocked { image: String, service: String },
    #[error(
        "image {image} of `{service}` (environment {environment}, track {track}) is not in its registry"
    )]
    #[diagnostic(help(
        "build and push the image, or pin a commit that has one; `snapset images` lists every missing image"
    ))]
    ImageMissing {
        image: String,
        service: String,
        environment: String,
        track: String,
    },
    #[error("snapset.lock pins {image}, which no environment uses any more")]
    #[diagnostic(help("run `snapset lock` to drop it"))]
    UnusedLockEntry { image: String },
    #[error("{count} errors")]
    Many { count: usize },
    #[error("{} already exists: snapset init starts a workspace and never overwrites one", path.display())]
    WorkspaceExists { path: PathBuf },
    #[error("no service found in {dir}/ of {repo} at HEAD")]
    #[diagnostic(help("a service is a folder of the services folder holding one of {}, as committed at HEAD; name another folder with --services-dir", markers.join(", ")))]
    NoServices {
        dir: String,
        repo: String,
        /// The files that make a folder a service (`init`'s markers).
        markers: &'static [&'static str],
    },
    #[error(
        "`{var}` asks the built-in Deployment of `{service}` for an HTTP probe, but `{service}` has no port: the probe would target a port its container does not declare"
    )]
    #[diagnostic(help(
        "give `{service}` a port (`port=8080` on its line in snapset.kdl), or leave the probe out for it: `service \"{service}\" {{ vars {{ {var} null; }} }}` in a varset"
    ))]
    ProbeWithoutPort { service: String, var: String },
    #[error("environments take their commits from each other in a cycle: {chain}")]
    FromCycle { chain: String },
    #[error(
        "the workspace repository {repo} is a shallow clone: the path to production is proven from its whole history"
    )]
    #[diagnostic(help("{}", HISTORY_HELP))]
    HistoryShallow { repo: String },
    #[error(
        "the workspace repository {repo} lacks old versions of its files (a partial or blob-less clone): the path to production is proven from them"
    )]
    #[diagnostic(help("{}", HISTORY_HELP))]
    HistoryIncomplete { repo: String },
    #[error(
        "`{env}` has {rule}, but the workspace is not in a git repository: the path to production is proven from its history"
    )]
    #[diagnostic(help(
        "commit the workspace to a git repository (the proof needs its history), or remove `from=`"
    ))]
    NoWorkspaceHistory { env: String, rule: String },
    #[error("{service} {commit} is not proven for `{env}`: {missing}")]
    #[diagnostic(help(
        "wait until the rule holds (`snapset ready --env {env}` says when), or add `hotfix \"why\"` to this pin for a reviewed exception"
    ))]
    Unproven {
        env: String,
        service: String,
        commit: String,
        missing: String,
    },
    #[error("`{env}` took {service} {commit} during a freeze ({from} to {until}): {reason}")]
    #[diagnostic(help(
        "keep the pin `{env}` had before the freeze, or add `hotfix \"why\"` to this pin for a reviewed exception"
    ))]
    FrozenPin {
        env: String,
        service: String,
        commit: String,
        from: String,
        until: String,
        reason: String,
    },
    #[error("{service} {commit} is rejected: {reason}")]
    #[diagnostic(help(
        "pin another commit (`snapset bump` skips rejected ones); no hotfix overrides a rejection"
    ))]
    RejectedPin {
        service: String,
        commit: String,
        reason: String,
    },
    #[error(
        "hotfix in `{env}`: {service} {commit} skips the path to production ({skipped}): {reason}"
    )]
    Hotfix {
        env: String,
        service: String,
        commit: String,
        skipped: String,
        reason: String,
    },
    #[error(
        "`{env}` cannot take snapshot `{snapshot}` yet: {count} of its pins {} not proven",
        if *count == 1 { "is" } else { "are" }
    )]
    #[diagnostic(help(
        "wait until they are proven (`snapset ready` says when), add `hotfix \"why\"` to those pins, or promote with --force"
    ))]
    PromoteRefused {
        env: String,
        snapshot: String,
        count: usize,
    },
    #[error("`{service}` {problem}")]
    Canary {
        service: String,
        problem: String,
        #[help]
        help: String,
    },
    #[error("no service of snapshot `{snapshot}` has a canary track")]
    #[diagnostic(help("start one with `snapset canary start SNAPSHOT SERVICE`"))]
    NoCanaries { snapshot: String },
    #[error("canary weight {weight} is not between 1 and 99")]
    #[diagnostic(help(
        "a canary and its stable track both take traffic: 1 to 99 percent; `snapset canary promote` gives the canary all of it, `abort` none"
    ))]
    CanaryWeight { weight: i64 },
    #[error(
        "none of the {looked} newest commits reachable from {reference} that touch {path} (the path of `{service}`) has its image in the registry (the newest: {image})"
    )]
    #[diagnostic(help(
        "check the `image` pattern of snapset.kdl and that CI pushes images; `snapset images` asks the same registry"
    ))]
    NoImage {
        service: String,
        path: String,
        reference: String,
        looked: usize,
        image: String,
    },
    /// Two documents of one environment with the same identity (issue 28).
    #[error(
        "{kind} `{name}` is rendered {count} times in environment `{env}`, by {writers}: kustomize refuses the folder (\"already registered id\") and the cluster would keep only one"
    )]
    #[diagnostic(help(
        "give each object a name of its own (`{{{{ name }}}}` in track scope differs per track), or let one template write it"
    ))]
    DuplicateObject {
        kind: String,
        name: String,
        env: String,
        count: usize,
        writers: String,
    },
    /// A rendered object names one that the environment neither renders
    /// nor declares `external` (issue 28).
    #[error("template `{template}` renders a {kind}{} that {detail}", targets.phrase())]
    Unresolved {
        template: String,
        kind: String,
        detail: String,
        targets: Targets,
        #[help]
        help: String,
    },
    #[error(
        "{count} {} with --deny-warnings",
        if *count == 1 { "warning fails the run" } else { "warnings fail the run" }
    )]
    #[diagnostic(help("fix each warning above, or run without --deny-warnings to let them pass"))]
    DeniedWarnings { count: usize },
    #[error("`{name}` ends in `:`: a KDL node's name and its value are separated by a space")]
    #[diagnostic(help("write `{fixed}`"))]
    ColonKey { name: String, fixed: String },
    #[error(
        "container variable `{var}` refers to `$({name})`, which no container variable above it defines: Kubernetes would pass the text `$({name})` as it is"
    )]
    #[diagnostic(help("{}", env_ref_help(name, *later)))]
    EnvRefUndefined {
        var: String,
        name: String,
        /// Defined, but below `var`.
        later: bool,
    },
    #[error(
        "var `{key}` is read by no template of {}",
        environments_phrase(environments)
    )]
    #[diagnostic(help("{}", suggest(key, read).unwrap_or_else(|| "remove it, or read it in a template (`vars.KEY`)".into())))]
    UnusedVar {
        key: String,
        environments: Vec<String>,
        read: Vec<String>,
    },
    #[error("`{service}` is not deployed in {env}: snapshot `{snapshot}` does not pin it")]
    #[diagnostic(help(
        "pin it (`snapset bump {snapshot} {service}`), or remove it from snapset.kdl if no environment runs it"
    ))]
    NotDeployed {
        service: String,
        env: String,
        snapshot: String,
    },
    #[error("traffic to `{service}` in {env} bypasses its split ({weights}): {by}")]
    #[diagnostic(help(
        "route it through the service's VirtualService (its subsets), or make the Service a ClusterIP one; traffic that skips the mesh's routing is split by pod count"
    ))]
    SplitBypassed {
        service: String,
        env: String,
        weights: String,
        by: String,
    },
    #[error("`{env}` cannot take snapshot `{snapshot}`: it pins {rejected}")]
    #[diagnostic(help(
        "a rejected commit is never deployed, so waiting does not help: pin another commit in the snapshot (`{bump}` takes the newest one not rejected), or promote another snapshot"
    ))]
    PromoteRejected {
        env: String,
        snapshot: String,
        /// `cart 6f7e25b8, rejected: loses carts`, each.
        rejected: String,
        /// `snapset bump SNAPSHOT SERVICE` for the first rejected pin.
        bump: String,
    },
    #[error(
        "every commit reachable from {reference} that touches {path} (the path of `{service}`) is rejected: {count} looked at, the newest {newest}"
    )]
    #[diagnostic(help(
        "a rejected commit is never pinned again: push a fix that touches the path, or pin a commit from another branch with `--to REF`"
    ))]
    AllRejected {
        service: String,
        path: String,
        reference: String,
        count: usize,
        /// `6f7e25b8 (rejected: loses carts)`.
        newest: String,
    },
    #[error("{what} must be a string, but without quotes KDL reads it as a number")]
    #[diagnostic(help("write `{fix}`: a commit hash, a version or any other text goes in quotes"))]
    UnquotedString { what: String, fix: String },
    #[error(
        "`{service}` lives in {path}, which {} in {repo}",
        if *pins == 1 { "does not exist at its pinned commit".to_string() } else { format!("exists at none of its {pins} pinned commits") }
    )]
    #[diagnostic(help("{}`path=` is the folder of `{service}` in its repository, as the pinned commits have it (`git ls-tree COMMIT` lists them)", hint.as_ref().map_or(String::new(), |h| format!("{h} "))))]
    PathNowhere {
        service: String,
        path: String,
        repo: String,
        pins: usize,
        /// A folder of the same parent with a close name.
        hint: Option<String>,
    },
    #[error("the varsets `{varset}` stands on are more than {limit} deep")]
    #[diagnostic(help(
        "a varset may extend several others: make the chain wider rather than deeper"
    ))]
    ExtendsTooDeep { varset: String, limit: usize },
    /// Stands for the errors of a file past the first `MAX_PER_FILE`: a
    /// file of 24,000 mistakes is fixed from its first ones, and quoting
    /// each cost a copy of the file.
    #[error("… and {} more {} in this file", crate::text::words::thousands(*count), if *count == 1 { "error" } else { "errors" })]
    #[diagnostic(help(
        "only the first {} errors of a file are shown; fix them and run again",
        MAX_PER_FILE
    ))]
    MoreErrors { count: usize },
    #[error("{repo} holds {path}, {problem}")]
    #[diagnostic(help(
        "snapset reads a repository only when its git directory holds folders and regular files of sane sizes, so that a committed repository cannot make it read a device, wait on a named pipe or exhaust memory; clone the repository instead"
    ))]
    UnsafeRepo {
        repo: String,
        path: String,
        problem: String,
    },
    /// `bump`, `canary start|weight` or `snapshot new` would write pins
    /// that an environment bound to the snapshot cannot take yet, by the
    /// rules `promote` applies (the reasons are its `others`).
    #[error(
        "`snapset {command}` would leave snapshot `{snapshot}` with pins that {envs} cannot take yet: {count} {} not proven",
        if *count == 1 { "is" } else { "are" }
    )]
    #[diagnostic(help(
        "wait until they are proven (`snapset ready` says when), add `hotfix \"why\"` to those pins, or run it with --force (`snapset check` then fails until every pin is proven)"
    ))]
    EditRefused {
        command: &'static str,
        snapshot: String,
        envs: String,
        count: usize,
    },
    #[error(
        "`snapset {command}` reads the workspace's git history, and {root} is not in a git repository"
    )]
    #[diagnostic(help(
        "commit the workspace to a git repository: its history is what the answer is read from"
    ))]
    NoHistory { command: String, root: String },
    #[error("`{env}` ran nothing earlier to roll back to{detail}")]
    #[diagnostic(help(
        "`snapset log --env {env}` lists what it ran; bind another snapshot with `snapset promote`"
    ))]
    NothingEarlier { env: String, detail: String },
    /// A policy of `policies/` judged a rendered object (render/policy).
    #[error("{policy} {verb} {object}{}: {message}", targets.phrase())]
    PolicyViolation {
        policy: String,
        /// `refuses`, `warns about`, `would refuse (dryrun)`.
        verb: &'static str,
        object: String,
        message: String,
        targets: Targets,
    },
    /// A policy that cannot be evaluated: not compiling, over a limit,
    /// calling a refused builtin, of an unknown shape.
    #[error("policy {file}: {problem}")]
    PolicyBroken { file: String, problem: String },
    /// A guard of `snapset fmt`: its layout of a file would read back as
    /// another tree (a bug of the formatter; nothing is written).
    #[error("`snapset fmt` would change what {file} means, so it leaves it as it is")]
    FmtChangesMeaning { file: String },
    #[error(
        "services require each other in a cycle: {chain}; no order rolls them out (each would wait for the other)"
    )]
    RequiresCycle { chain: String },
    #[error("environment `{env}` runs on clusters {clusters}: say which with `--cluster`")]
    ClusterNeeded { env: String, clusters: String },
}

/// The help of a `kubectl get … -o json` input that is not one.
const LIVE_HELP: &str = "pass what `kubectl get deploy,sts,ds,cronjob -n NS -o json` prints, as a file or on standard input with `--live -`";

/// The help of a workspace history that lacks commits or blobs.
const HISTORY_HELP: &str = "fetch the whole history of the workspace repository: `git fetch --unshallow` (or clone it without --depth and --filter); in GitHub Actions, `actions/checkout` with `fetch-depth: 0`; in GitLab CI, the variable `GIT_DEPTH: 0`";

/// A near name among `expected`, or the list of them.
fn expected_help(name: &str, expected: &[&'static str]) -> String {
    let expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    suggest(name, &expected).unwrap_or_else(|| expected_list(&expected))
}

/// A near name among `known`, or the list of them; for a workspace with
/// no template set, what one is.
fn unknown_help(kind: &str, name: &str, known: &[String]) -> String {
    if kind == "template set" && known.is_empty() {
        return "templates/ has no set: a set is a folder templates/<name>/ holding service/ and track/ folders".into();
    }
    suggest(name, known).unwrap_or_else(|| format!("known {kind}s: {}", known.join(", ")))
}

/// The commits an ambiguous prefix could be, one a line.
fn ambiguous_help(candidates: &[String], count: usize) -> String {
    let mut text = String::from("write more digits of the commit you mean; it could be:");
    for c in candidates {
        text.push_str("\n  ");
        text.push_str(c);
    }
    if count > candidates.len() {
        text.push_str(&format!("\n  … and {} more", count - candidates.len()));
    }
    text
}

/// How to define `$(name)`: above its use (`later`: it is defined below).
fn env_ref_help(name: &str, later: bool) -> String {
    if later {
        format!(
            "Kubernetes expands `$(NAME)` only from the variables listed before it: move `{name}` above it (in the base varset, or earlier in the same `env` block), or write `$$({name})` for the literal text"
        )
    } else {
        format!(
            "define `{name}` in an `env` block above it, or write `$$({name})` for the literal text"
        )
    }
}

fn environments_phrase(environments: &[String]) -> String {
    let names: Vec<&str> = environments.iter().map(String::as_str).collect();
    match names.len() {
        1 => format!("environment {}", targets::names(&names)),
        _ => format!("environments {}", targets::names(&names)),
    }
}

fn limit_message(template: &str, environment: &str, limit: &str, value: &str) -> String {
    use crate::render::limits::{ENVIRONMENT_FUEL, TEMPLATE_FUEL, TEMPLATE_OUTPUT};
    match limit {
        TEMPLATE_FUEL => format!(
            "template `{template}` ran out of fuel: one render may use {value} (limit {limit})"
        ),
        TEMPLATE_OUTPUT => {
            format!("template `{template}` renders more than {value} (limit {limit})")
        }
        ENVIRONMENT_FUEL => format!(
            "the templates of environment `{environment}` ran out of fuel at `{template}`: together they may use {value} (limit {limit})"
        ),
        _ => format!(
            "the templates of environment `{environment}` render more than {value}, reached at `{template}` (limit {limit})"
        ),
    }
}

fn outside_message(file: &str, link: &str) -> String {
    if file == link {
        format!("{link} is a symbolic link that leads outside the workspace")
    } else {
        format!("{file} is outside the workspace: {link} is a symbolic link that leads out of it")
    }
}

/// A secondary or primary pointer into a source file.
#[derive(Debug, Clone)]
pub struct Label {
    pub loc: Loc,
    pub text: String,
}

#[derive(Debug)]
pub struct Error {
    /// Boxed: a `Result<T, Error>` stays small on the happy path (the kinds
    /// hold strings and paths; unboxed, every `Result` carried 168 bytes).
    pub kind: Box<ErrorKind>,
    /// The first label is where the error is; later ones give context.
    pub labels: Vec<Label>,
    /// Errors reported together with this one (a whole file's worth).
    pub others: Vec<Error>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind: Box::new(kind),
            labels: Vec::new(),
            others: Vec::new(),
        }
    }

    pub fn at(kind: ErrorKind, loc: &Loc, text: impl Into<String>) -> Self {
        Error::new(kind).label(loc, text)
    }

    pub fn label(mut self, loc: &Loc, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            loc: loc.clone(),
            text: text.into(),
        });
        self
    }

    /// An edit that was not written, because of `cause`.
    pub fn edit_rejected(file: &str, cause: Error) -> Self {
        Error {
            kind: Box::new(ErrorKind::EditRejected {
                file: file.to_string(),
            }),
            labels: Vec::new(),
            others: vec![cause],
        }
    }

    /// Several independent errors as one, so a user fixes them in one go.
    pub fn many(errors: Vec<Error>) -> Self {
        // The same mistake reached from several environments or services
        // (a template used by every service) is reported once.
        let mut seen = std::collections::HashSet::new();
        let errors: Vec<Error> = errors
            .into_iter()
            .flat_map(|e| {
                if matches!(*e.kind, ErrorKind::Many { .. }) {
                    e.others
                } else {
                    vec![e]
                }
            })
            .filter(|e| {
                seen.insert((
                    e.kind.to_string(),
                    e.labels.first().map(|l| (l.loc.file, l.loc.span.clone())),
                ))
            })
            .collect();
        let errors = cap_per_file(errors);
        if errors.len() == 1 {
            return errors.into_iter().next().expect("one error");
        }
        let count = errors
            .iter()
            .map(|e| match *e.kind {
                ErrorKind::MoreErrors { count } => count,
                _ => 1,
            })
            .sum();
        Error {
            kind: Box::new(ErrorKind::Many { count }),
            labels: Vec::new(),
            others: errors,
        }
    }

    /// The kind's help text (`#[diagnostic(help)]` at its variant).
    pub fn help(&self) -> Option<String> {
        miette::Diagnostic::help(&*self.kind).map(|h| h.to_string())
    }
}

/// How many errors of one file are reported one by one.
pub const MAX_PER_FILE: usize = 50;

/// The first `MAX_PER_FILE` errors of each file (by the file of their
/// first label), then one `MoreErrors` at the first one left out that
/// counts the rest. Errors grouped again (a file's errors within a
/// command's) keep one such note per file, counting all.
fn cap_per_file(errors: Vec<Error>) -> Vec<Error> {
    use sources::FileId;
    use std::collections::HashMap;
    let mut kept: HashMap<FileId, usize> = HashMap::new();
    // Where the file's note is in `out`.
    let mut notes: HashMap<FileId, usize> = HashMap::new();
    let mut out: Vec<Error> = Vec::with_capacity(errors.len().min(1024));
    for error in errors {
        let Some(file) = error.labels.first().map(|l| l.loc.file) else {
            out.push(error);
            continue;
        };
        let more = match *error.kind {
            ErrorKind::MoreErrors { count } => count,
            _ => {
                let n = kept.entry(file).or_default();
                if *n < MAX_PER_FILE {
                    *n += 1;
                    out.push(error);
                    continue;
                }
                1
            }
        };
        match notes.get(&file) {
            Some(&at) => {
                if let ErrorKind::MoreErrors { count } = &mut *out[at].kind {
                    *count += more;
                }
            }
            None => {
                notes.insert(file, out.len());
                let loc = error.labels[0].loc.clone();
                out.push(Error::at(
                    ErrorKind::MoreErrors { count: more },
                    &loc,
                    "from here on",
                ));
            }
        }
    }
    out
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

fn expected_list(expected: &[String]) -> String {
    let quoted: Vec<String> = expected.iter().map(|e| format!("`{e}`")).collect();
    format!("expected one of {}", quoted.join(", "))
}

/// "did you mean" for a misspelt name: the closest known name within a
/// small edit distance.
pub fn suggest(name: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min()
        .map(|(_, k)| format!("did you mean `{k}`?"))
}

/// Optimal string alignment distance: edits, with a swap of two neighbours
/// counting as one (`prdo` is one step from `prod`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let known = vec!["service".to_string(), "snapshot".to_string()];
        assert_eq!(
            suggest("srevice", &known).as_deref(),
            Some("did you mean `service`?")
        );
        assert_eq!(suggest("banana", &known), None);
        let envs = vec!["dev".to_string(), "prod".to_string()];
        assert_eq!(
            suggest("prdo", &envs).as_deref(),
            Some("did you mean `prod`?")
        );
    }

    /// Help texts written at their variants read as the texts `help()`
    /// printed from its own `match` before: braces, quotes and the
    /// computed parts included.
    #[test]
    fn help_texts_read_as_before() {
        let help = |kind: ErrorKind| Error::new(kind).help();
        let s = |t: &str| t.to_string();
        assert_eq!(
            help(ErrorKind::NotYaml {
                template: s("t"),
                detail: s("d")
            })
            .unwrap(),
            "every {{ value }} is written as a JSON scalar, quotes included: join text inside the braces (`{{ service.name ~ \"-config\" }}`), not after them"
        );
        assert_eq!(
            help(ErrorKind::DuplicateObject {
                kind: s("Service"),
                name: s("n"),
                env: s("dev"),
                count: 2,
                writers: s("w"),
            })
            .unwrap(),
            "give each object a name of its own (`{{ name }}` in track scope differs per track), or let one template write it"
        );
        assert_eq!(
            help(ErrorKind::ProbeWithoutPort {
                service: s("cart"),
                var: s("probe")
            })
            .unwrap(),
            "give `cart` a port (`port=8080` on its line in snapset.kdl), or leave the probe out for it: `service \"cart\" { vars { probe null; } }` in a varset"
        );
        assert!(
            help(ErrorKind::TemplateLimit {
                template: s("t"),
                environment: s("e"),
                limit: "template-fuel",
                value: s("1"),
            })
            .unwrap()
            .ends_with("raise it with `--limit template-fuel=N`")
        );
        assert_eq!(
            help(ErrorKind::CommitAmbiguous {
                commit: s("ab"),
                repo: s("r"),
                count: 3,
                candidates: vec![s("ab1"), s("ab2")],
            })
            .unwrap(),
            "write more digits of the commit you mean; it could be:\n  ab1\n  ab2\n  … and 1 more"
        );
        assert_eq!(
            help(ErrorKind::PathNowhere {
                service: s("cart"),
                path: s("p"),
                repo: s("r"),
                pins: 1,
                hint: Some(s("did you mean `q`?")),
            })
            .unwrap(),
            "did you mean `q`? `path=` is the folder of `cart` in its repository, as the pinned commits have it (`git ls-tree COMMIT` lists them)"
        );
        assert_eq!(
            help(ErrorKind::EnvRefUndefined {
                var: s("A"),
                name: s("B"),
                later: false
            })
            .unwrap(),
            "define `B` in an `env` block above it, or write `$$(B)` for the literal text"
        );
        assert!(
            help(ErrorKind::Unknown {
                kind: "template set",
                name: s("x"),
                known: vec![]
            })
            .unwrap()
            .starts_with("templates/ has no set")
        );
        assert_eq!(
            help(ErrorKind::Unknown {
                kind: "varset",
                name: s("banana"),
                known: vec![s("dev"), s("prod")]
            })
            .unwrap(),
            "known varsets: dev, prod"
        );
        assert_eq!(
            help(ErrorKind::KdlSyntax {
                message: s("m"),
                help: None
            }),
            None
        );
        assert_eq!(
            help(ErrorKind::Canary {
                service: s("c"),
                problem: s("p"),
                help: s("h")
            })
            .as_deref(),
            Some("h")
        );
        assert_eq!(help(ErrorKind::Many { count: 2 }), None);
        assert_eq!(
            help(ErrorKind::MoreErrors { count: 2 }).unwrap(),
            "only the first 50 errors of a file are shown; fix them and run again"
        );
    }
}
