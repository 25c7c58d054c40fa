//! `snapset init [--repo PATH] [--services-dir DIR] [--env NAME]...`: a
//! first workspace for an existing mono-repo, from zero to a rendered
//! `out/` in one command. It finds the services (`found`), pins
//! each to its newest commit with `bump --all`'s history walk, writes the
//! files with comments, and renders through `render` itself, so the first
//! `out/` is exactly what later renders compare with.
//!
//! It never overwrites: an existing snapset.kdl (or any file it would
//! write) is an error before anything is written. Two inits racing in one
//! folder are serialised by the workspace lock, and the loser still finds
//! snapset.kdl created with O_EXCL by the winner.
//!
//! Its parts: the services as committed (`found`), their ports read from
//! their container files (`port`), and the workspace's files written as
//! text with comments (`files`), because a first workspace is read by
//! people learning the format, not only by snapset.

pub mod files;
pub mod found;
pub mod ignore;
pub mod port;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Session;
use crate::cli::{EnvArgs, InitArgs, RenderArgs};
use crate::commands::edit;
use crate::disk::workspace_lock::WorkspaceLock;
use crate::error::{Error, ErrorKind, Result};
use crate::git::Repo;
use crate::git::touched;
use crate::load::kdl::is_dns_label;
use crate::resolve::pins::short;
use crate::text::terminal::visible;
use files::Scaffold;
use found::find_services;

pub struct InitCommand;

impl InitCommand {
    pub fn run(
        args: InitArgs,
        dir: Option<&Path>,
        no_wait: bool,
        session: &mut Session,
    ) -> Result<i32> {
        let envs = environments(&args.envs)?;
        let root = dir.unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&root).map_err(|source| {
            Error::new(ErrorKind::Write {
                path: root.clone(),
                source,
            })
        })?;
        let root = std::fs::canonicalize(&root).map_err(|source| {
            Error::new(ErrorKind::Read {
                path: root.clone(),
                source,
            })
        })?;
        refuse_existing(&root, &["snapset.kdl".to_string()])?;

        // `--repo` is read from the workspace folder, as `-C` says every
        // path is, and written as given: relative stays relative.
        let repo_text = args
            .repo
            .as_ref()
            .map_or(".".to_string(), |p| p.to_string_lossy().into_owned());
        let repo = Repo::open(&root.join(&repo_text), &repo_text)?;
        let found = find_services(&repo, &args.services_dir)?;
        let head = edit::resolve_ref(&repo, "HEAD")?;
        let paths: Vec<&str> = found.services.iter().map(|s| s.path.as_str()).collect();
        let newest = touched::newest_touching(&repo, head, &paths)?;
        let mut pins = Vec::new();
        for (service, oid) in found.services.iter().zip(newest) {
            let oid = oid.ok_or_else(|| {
                Error::new(ErrorKind::NoTouchingCommit {
                    service: service.name.clone(),
                    path: service.path.clone(),
                    reference: "HEAD".into(),
                    repo: repo.phrase(),
                })
            })?;
            pins.push((
                edit::pin_text(&repo, oid, edit::MIN_PIN_LEN),
                repo.subject(oid),
            ));
        }
        let time = repo
            .inner()
            .find_commit(head)
            .map(|c| c.time().seconds())
            .unwrap_or(0);
        let scaffold = Scaffold {
            project: files::project_name(&repo_name(&root, &repo_text)),
            repo: repo_text,
            services: found.services,
            pins,
            snapshot: files::date(time),
            head: short(head),
            envs,
        };
        let written = scaffold.files();
        let rels: Vec<String> = written.iter().map(|(rel, _)| rel.clone()).collect();

        let _lock = WorkspaceLock::acquire(&root, no_wait)?;
        refuse_existing(&root, &rels)?;
        for (rel, text) in &written {
            create_new(&root.join(rel), text)?;
        }

        println!(
            "found {} in {}/ of {} at HEAD ({}):",
            crate::text::words::count(scaffold.services.len(), "service", "services"),
            visible(args.services_dir.trim_matches('/')),
            visible(&repo.display),
            short(head)
        );
        let width = scaffold
            .services
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(0);
        for (s, (commit, _)) in scaffold.services.iter().zip(&scaffold.pins) {
            let port = match s.port {
                Some(p) => format!("port {p} ({})", s.why),
                None => format!("no port ({}): a Deployment without a Service", s.why),
            };
            println!("  {:width$}  {commit}  {port}", s.name);
        }
        // Folder names are the repository's: shown, never acted on.
        for (path, why) in &found.skipped {
            println!("  skipped {}: {why}", visible(path));
        }
        println!("wrote {}", rels.join(", "));
        if let Some(done) = ignore::ensure(&root)? {
            println!("{done}");
        }
        let render = RenderArgs {
            envs: EnvArgs::default(),
            limits: Default::default(),
            check: false,
            format: None,
            deny_warnings: false,
        };
        let code = super::render::RenderCommand::run(render, Some(&root), session)?;
        println!(
            "next:\n  \
             1. set `image` in snapset.kdl to your registry (registry.example.com is a placeholder), then `snapset render`\n  \
             2. commit snapset.kdl, snapshots/, varsets/ and out/; point Argo CD or Flux at out/<env>/ (docs/gitops.md)\n  \
             3. run `snapset check` and `snapset render --check` on every pull request (docs/ci.md)\n  \
             later: `snapset bump {0} SERVICE` moves a service, `snapset promote {0} --env {1}` deploys a snapshot",
            scaffold.snapshot,
            scaffold.envs.last().map_or("prod", String::as_str),
        );
        Ok(code)
    }
}

/// The environments to create: `--env` as given (each a DNS label, once),
/// or `dev` and `prod`.
fn environments(given: &[String]) -> Result<Vec<String>> {
    if given.is_empty() {
        return Ok(vec!["dev".into(), "prod".into()]);
    }
    let mut out: Vec<String> = Vec::new();
    for name in given {
        if !is_dns_label(name) {
            return Err(Error::new(ErrorKind::NotDnsLabel {
                kind: "environment",
                name: name.clone(),
            }));
        }
        if out.contains(name) {
            return Err(Error::new(ErrorKind::Duplicate {
                kind: "environment",
                name: name.clone(),
            }));
        }
        out.push(name.clone());
    }
    Ok(out)
}

/// An error for the first of `rels` that exists under `root`.
fn refuse_existing(root: &Path, rels: &[String]) -> Result<()> {
    match rels
        .iter()
        .find(|rel| std::fs::symlink_metadata(root.join(rel)).is_ok())
    {
        Some(rel) => Err(Error::new(ErrorKind::WorkspaceExists {
            path: root.join(rel),
        })),
        None => Ok(()),
    }
}

/// Writes a file that must not exist yet (O_EXCL), with its folders.
fn create_new(path: &Path, text: &str) -> Result<()> {
    let fail = |source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => Error::new(ErrorKind::WorkspaceExists {
                path: path.to_path_buf(),
            }),
            _ => fail(source),
        })?;
    file.write_all(text.as_bytes()).map_err(fail)
}

/// The repository's folder name: `shop` for `../shop.git`, the workspace's
/// own name for `.`.
fn repo_name(root: &Path, repo: &str) -> String {
    let path: PathBuf = std::fs::canonicalize(root.join(repo)).unwrap_or_else(|_| root.join(repo));
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
