//! The help people read before the docs: an "Examples" section under every
//! subcommand's `--help` (and man page), and the short guide that
//! `snapset` alone prints. Examples live in one table rather than in
//! `args`' attributes so that a test can require one for every
//! subcommand, including those added later.

/// `(subcommand path, examples)`; the path is `snapshot new` for nested ones.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "",
        "snapset init                        # a workspace for the mono-repo here\n\
         snapset render                      # out/<env>/ for every environment\n\
         snapset check --format github       # in CI: validate, annotate the pull request",
    ),
    (
        "render",
        "snapset render                      # every environment into out/<env>/\n\
         snapset render --env dev            # one environment\n\
         snapset render --check              # CI: exit 1 when out/ is stale\n\
         snapset render --check --format github",
    ),
    (
        "check",
        "snapset check                       # load, resolve, render, validate; write nothing\n\
         snapset check --format github       # errors also as pull-request annotations\n\
         snapset check --message-format gitlab --report gl-code-quality-report.json",
    ),
    (
        "diff",
        "snapset diff                                   # a fresh render against out/ on disk\n\
         snapset diff --against origin/main --format markdown > comment.md\n\
         snapset diff --format patch | git apply        # what render would write",
    ),
    (
        "status",
        "snapset status --env dev --live live.json --format json\n\
         kubectl get deploy,sts,ds,cronjob -n shop-prod -o json | snapset status --env prod --live -",
    ),
    (
        "report",
        "snapset report                                 # snapset-report.html: every environment side by side
\
         snapset report --live prod=prod.json -o release.html   # with what prod's namespace runs
\
         kubectl get deploy,sts,ds,cronjob -n shop-dev -o json | snapset report --live dev=-",
    ),
    (
        "images",
        "snapset images                      # does every image of every environment exist? (exit 1: some missing)\n\
         snapset images --env prod --format json\n\
         snapset images --refresh            # ask again even for images found before",
    ),
    (
        "lock",
        "snapset lock                        # record every image's digest in snapset.lock\n\
         snapset lock --check                # CI: exit 1 when snapset.lock would change",
    ),
    (
        "bump",
        "snapset bump 2026-11-26 cart                   # newest commit touching cart's path\n\
         snapset bump 2026-11-26 tower --track canary   # one track\n\
         snapset bump 2026-11-26 --all --to origin/main\n\
         snapset bump 2026-11-26 --all --with-image     # only commits whose image CI has pushed",
    ),
    (
        "canary",
        "snapset canary start 2026-11-26 cart              # stable = its commit, canary = newest, 10%\n\
         snapset canary weight 2026-11-26 cart 50\n\
         snapset canary promote 2026-11-26 cart            # back to one commit: the canary's",
    ),
    (
        "canary start",
        "snapset canary start 2026-11-26 cart                          # the newest commit touching cart's path, at 10%\n\
         snapset canary start 2026-11-26 cart --weight 5 --to origin/main\n\
         snapset canary start 2026-11-26 cart --with-image             # only a commit whose image is pushed",
    ),
    (
        "canary weight",
        "snapset canary weight 2026-11-26 cart 25          # canary 25%, stable 75%\n\
         snapset canary weight 2026-11-26 --all 50         # every canary of the snapshot, one edit",
    ),
    (
        "canary promote",
        "snapset canary promote 2026-11-26 cart            # cart runs the canary's commit alone\n\
         snapset canary promote 2026-11-26 --all",
    ),
    (
        "canary abort",
        "snapset canary abort 2026-11-26 cart              # cart runs the stable commit alone\n\
         snapset canary abort 2026-11-26 --all",
    ),
    (
        "snapshot",
        "snapset snapshot new 2026-12-01 --from 2026-11-26",
    ),
    (
        "snapshot new",
        "snapset snapshot new 2026-12-01 --from 2026-11-26   # a copy, comments kept\n\
         snapset snapshot new 2026-12-01                     # every service at its newest commit",
    ),
    (
        "promote",
        "snapset promote 2026-11-26 --env prod          # refused while a pin is not proven for prod\n\
         snapset promote 2026-11-26 --env prod --force  # bind it anyway",
    ),
    (
        "ready",
        "snapset ready                       # what each environment with from= can take now\n\
         snapset ready --env prod --format json",
    ),
    (
        "log",
        "snapset log --env prod                 # every change of prod, newest first\n\
         snapset log --env prod --service cart --format json",
    ),
    (
        "where",
        "snapset where cart 9c2cba1a5d          # which environments run it, since when\n\
         snapset where cart main --format json",
    ),
    (
        "metrics",
        "snapset metrics                        # the last 90 days, every environment\n\
         snapset metrics --env prod --since 2026-01-01 --format json",
    ),
    (
        "rollback",
        "snapset rollback --env prod            # back to what prod ran before its last change\n\
         snapset rollback --env prod --to HEAD~3",
    ),
    (
        "fmt",
        "snapset fmt                         # every KDL file of the workspace, laid out the one way\n\
         snapset fmt --check                 # CI: exit 1 listing the files that would change\n\
         snapset fmt --kdl-version 2         # convert every file to KDL 2.0 (#true, #\"raw\"#)",
    ),
    (
        "reject",
        "snapset reject cart 9c2cba1a5d --reason \"leaks carts between sessions (INC-42)\"",
    ),
    (
        "explain",
        "snapset explain --env prod cart replicas\n\
         snapset explain --env prod cart resources.requests.cpu\n\
         snapset explain --env prod cart LOG_LEVEL --format json",
    ),
    (
        "changelog",
        "snapset changelog --env prod                    # out/ on disk → the snapshot\n\
         snapset changelog --env prod --against origin/main\n\
         snapset changelog --between integration prod     # what prod would take from integration",
    ),
    (
        "init",
        "snapset init                                    # at a mono-repo's root: services/*/Dockerfile\n\
         snapset init --services-dir apps --env dev --env staging --env prod\n\
         mkdir deploy && cd deploy && snapset init --repo ../shop.git",
    ),
    (
        "completions",
        "snapset completions bash > ~/.local/share/bash-completion/completions/snapset\n\
         snapset completions zsh > \"${fpath[1]}/_snapset\"\n\
         snapset completions fish > ~/.config/fish/completions/snapset.fish\n\
         snapset completions powershell >> $PROFILE",
    ),
    (
        "templates",
        "snapset templates list                          # what renders, by set and scope\n\
         snapset templates show track/deployment > templates/track/deployment.yaml.j2",
    ),
    (
        "templates list",
        "snapset templates list                          # the workspace's templates and the built-ins left in place",
    ),
    (
        "templates show",
        "snapset templates show track/deployment        # the built-in Deployment\n\
         snapset templates show virtualservice > templates/service/virtualservice.yaml.j2",
    ),
    (
        "man",
        "snapset man | man -l -                          # the top page\n\
         snapset man --dir /usr/local/share/man/man1     # every page",
    ),
    (
        "policies",
        "snapset policies test                           # the suites and samples of policies/",
    ),
    (
        "policies test",
        "snapset policies test                           # the workspace's policies/\n\
         snapset policies test ../gatekeeper-library/library/general",
    ),
];

/// What `snapset` with no command prints (on stderr, exit 2: a command was
/// expected, as git does; docs/ci.md says why).
pub const GUIDE: &str = "\
snapset compiles releases of a mono-repo's services into Kubernetes manifests.

A workspace is a folder with snapset.kdl (the services, their git repository,
the environments), snapshots/ (which commit of each service runs together),
varsets/ (what differs per environment) and out/<env>/ (the rendered
manifests, committed, for Argo CD or Flux).

Start with:
  snapset init       find the services of a mono-repo and write a workspace
  snapset render     render every environment into out/
  snapset check      validate everything, write nothing (CI, pre-commit)

Then: snapset bump, snapset diff, snapset promote. `snapset help` lists every
command, `snapset help COMMAND` explains one.
";

/// `cmd` with `EXAMPLES` as the "Examples" section of each subcommand.
pub fn with_examples(cmd: clap::Command) -> clap::Command {
    add(cmd, "")
}

fn add(mut cmd: clap::Command, path: &str) -> clap::Command {
    if let Some((_, text)) = EXAMPLES.iter().find(|(p, _)| *p == path) {
        cmd = cmd.after_help(format!("Examples:\n{}", indent(text)));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |sub| add(sub, &sub_path));
    }
    cmd
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}
