//! `snapset bump SNAPSHOT SERVICE` for a service of snapset.kdl that the
//! snapshot does not pin yet (`check` warns that it is not deployed): the
//! pin is added, at the newest commit that touches the service's path, as
//! a line after the snapshot's last service, indented like it.

use std::path::Path;

use crate::Session;
use crate::cli::BumpArgs;
use crate::commands::edit::newest::{Search, Want};
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::{Error, ErrorKind, Result};
use crate::load::kdl_ast::Node;
use crate::load::{ServiceDecl, Snapshot, Workspace};
use crate::resolve::Repos;
use crate::resolve::pins::short;

/// Adds `decl`'s pin to `snapshot`.
pub fn run(
    args: &BumpArgs,
    root: &Path,
    ws: &Workspace,
    repos: &Repos,
    snapshot: &Snapshot,
    decl: &ServiceDecl,
    session: &mut Session,
) -> Result<i32> {
    let name = &decl.name.value;
    let reference = args.to.as_deref().unwrap_or("HEAD");
    let at = repos.index(name).expect("declared");
    let want = Want {
        service: name,
        track: "stable",
        path: &decl.path.value,
        repo: at,
    };
    let found = Search::from_args(ws, repos, reference, &args.image)?.find(&[want])?;
    let repo = &repos.all()[at];
    let want = Want {
        service: name,
        track: "stable",
        path: &decl.path.value,
        repo: at,
    };
    let Some(new) = found[0].commit else {
        return Err(found[0].not_found(&want, reference, repo, &decl.name.loc, "this service"));
    };
    // As long as the snapshot's other pins, so the column stays aligned.
    let width = snapshot
        .services
        .iter()
        .flat_map(|s| &s.tracks)
        .map(|t| t.commit.value.len())
        .next()
        .unwrap_or(edit::MIN_PIN_LEN);
    let pin = edit::pin_text(repo, new, width);
    let file = session.sources.get(snapshot.file);
    let (rel, before) = (file.name.clone(), file.text.clone());
    // The tree the loader read the file into (its one node is `snapshot`).
    let Some(root_node) = snapshot.syntax.nodes.first() else {
        return Err(Error::new(ErrorKind::Shape {
            node: "snapshot".into(),
            problem: "is missing: the file is empty".into(),
        }));
    };
    let subject = repo.subject(new);
    let line = aligned(
        &before,
        root_node,
        &format!("service {}", edit::quote(name)),
        &format!("commit={}", edit::quote(&pin)),
        subject.lines().next().unwrap_or(""),
    );
    let insert = insertion(&before, root_node, &line).ok_or_else(|| {
        Error::at(
            ErrorKind::Canary {
                service: name.clone(),
                problem: format!(
                    "cannot be added to snapshot `{}`: its block is written in a way snapset cannot edit",
                    snapshot.name.value
                ),
                help: format!("add `{line}` to the snapshot by hand"),
            },
            &snapshot.name.loc,
            "this snapshot",
        )
    })?;
    let file_edit = FileEdit::new(rel, before.clone(), edit::splice(&before, &[insert]));
    let snapshot_name = snapshot.name.value.clone();
    file_edit.apply(root, &mut session.sources, |edited| {
        let read = edited
            .snapshot(&snapshot_name)?
            .service(name)
            .and_then(|s| s.tracks.first())
            .map(|t| t.commit.value.clone());
        if read.as_deref() != Some(pin.as_str()) {
            return Err(Error::new(ErrorKind::ReadBack {
                file: "snapshot".into(),
                expected: format!("`{pin}` as the commit of {name}"),
            }));
        }
        edit::resolves(edited, repos, &snapshot_name)
    })?;
    println!(
        "{name}: pinned at {} ({}), added to snapshot {snapshot_name}",
        short(new),
        crate::text::terminal::visible(&repo.subject(new))
    );
    Ok(crate::EXIT_OK)
}

/// `service "x"  commit="…"   // subject`, its columns those of the last
/// service line above when it has them (a comment only when it has one).
fn aligned(text: &str, root: &Node, head: &str, pin: &str, subject: &str) -> String {
    let last = root
        .children
        .iter()
        .flatten()
        .rev()
        .find(|n| &*n.name == "service" && n.children.is_none());
    let Some(last) = last else {
        return format!("{head} {pin}");
    };
    let start = text[..last.span.start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let indent = last.span.start - start;
    let column = |needle: &str| line.find(needle).map(|c| c.saturating_sub(indent));
    let mut out = head.to_string();
    let pad = |out: &mut String, at: Option<usize>| {
        let width = out.chars().count();
        let spaces = at.filter(|&c| c > width).map_or(1, |c| c - width);
        out.push_str(&" ".repeat(spaces));
    };
    pad(&mut out, column("commit="));
    out.push_str(pin);
    if let Some(comment) = column("//").filter(|_| !subject.trim().is_empty()) {
        pad(&mut out, Some(comment));
        out.push_str("// ");
        out.push_str(&crate::text::terminal::inert(subject.trim()));
    }
    out
}

/// The new line after the snapshot's last child, indented like it; or,
/// in an empty block, before its closing brace.
fn insertion(text: &str, root: &Node, line: &str) -> Option<Replace> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let block = root.block_span.clone()?;
    match root.children.as_ref().and_then(|c| c.last()) {
        Some(last) => {
            let start = text[..last.span.start].rfind('\n').map_or(0, |i| i + 1);
            let indent = &text[start..last.span.start];
            if !indent.bytes().all(|b| b == b' ' || b == b'\t') {
                return None;
            }
            let end = last.span.end;
            let with = match text[..end].ends_with('\n') {
                true => format!("{indent}{line}{newline}"),
                false => format!("{newline}{indent}{line}"),
            };
            Some(Replace {
                span: end..end,
                with,
            })
        }
        None => {
            let close = block.end.checked_sub(1)?;
            let start = text[..close].rfind('\n').map_or(0, |i| i + 1);
            if !text[start..close].trim().is_empty() {
                return None;
            }
            Some(Replace {
                span: start..start,
                with: format!("    {line}{newline}"),
            })
        }
    }
}
