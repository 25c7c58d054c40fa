//! `snapset templates list` and `snapset templates show NAME`: which
//! templates render for the services of a workspace (its own files, by set
//! and scope, and the built-ins they leave in place), and the text of a
//! built-in one, so that a replacement starts from what snapset ships
//! rather than from a blank file.

use std::path::Path;

use crate::Session;
use crate::cli::diagnostics;
use crate::cli::{TemplatesCommand, TemplatesShowArgs};
use crate::error::{Error, ErrorKind, Result};
use crate::load::templates::{self, Scope};
use crate::pipeline;
use crate::render::templates::BuiltIn;

pub struct TemplatesCommandRunner;

impl TemplatesCommandRunner {
    pub fn run(
        command: TemplatesCommand,
        dir: Option<&Path>,
        _session: &mut Session,
    ) -> Result<i32> {
        match command {
            TemplatesCommand::List => list(dir),
            TemplatesCommand::Show(args) => show(&args),
        }
    }
}

/// `track/deployment` for a built-in template.
fn name(built_in: BuiltIn) -> String {
    let (scope, stem) = built_in.place();
    format!("{}/{stem}", scope.folder())
}

/// One line of the listing: the template's place and where it comes from.
struct Line {
    place: String,
    from: String,
}

fn list(dir: Option<&Path>) -> Result<i32> {
    // Outside a workspace the built-ins are still worth listing.
    let listing = match pipeline::root(dir) {
        Ok(root) => Some(templates::find(&root)?),
        Err(e) if matches!(*e.kind, ErrorKind::NoWorkspace { .. }) => None,
        Err(e) => return Err(e),
    };
    let mut default: Vec<Line> = Vec::new();
    let mut sets: std::collections::BTreeMap<&str, Vec<Line>> = Default::default();
    if let Some(listing) = &listing {
        for set in &listing.sets {
            sets.entry(set).or_default();
        }
        for found in &listing.found {
            let place = format!("{}/{}", found.scope.folder(), found.stem);
            let replaces = found.set.is_none()
                && BuiltIn::ALL
                    .iter()
                    .any(|b| b.place() == (found.scope, found.stem.as_str()));
            let line = Line {
                from: if replaces {
                    format!("{} (replaces the built-in one)", found.rel)
                } else {
                    found.rel.clone()
                },
                place,
            };
            match &found.set {
                Some(set) => sets.entry(set).or_default().push(line),
                None => default.push(line),
            }
        }
    }
    for built_in in BuiltIn::ALL {
        let place = name(built_in);
        if !default.iter().any(|l| l.place == place) {
            default.push(Line {
                place,
                from: "built-in".into(),
            });
        }
    }
    let scope_order = |place: &str| {
        Scope::ALL
            .iter()
            .position(|s| place.starts_with(&format!("{}/", s.folder())))
    };
    default
        .sort_by(|a, b| (scope_order(&a.place), &a.place).cmp(&(scope_order(&b.place), &b.place)));
    let width = default
        .iter()
        .chain(sets.values().flatten())
        .map(|l| l.place.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("default set (services without templates=):\n");
    for line in &default {
        out.push_str(&format!("  {:width$}  {}\n", line.place, line.from));
    }
    for (set, lines) in &mut sets {
        lines.sort_by(|a, b| {
            (scope_order(&a.place), &a.place).cmp(&(scope_order(&b.place), &b.place))
        });
        out.push_str(&format!(
            "set {set} (services with templates=\"{set}\"; no built-in ones):\n"
        ));
        if lines.is_empty() {
            out.push_str("  (no template yet)\n");
        }
        for line in lines.iter() {
            out.push_str(&format!("  {:width$}  {}\n", line.place, line.from));
        }
    }
    if listing.is_none() {
        out.push_str("(no workspace here: only the built-in templates)\n");
    }
    out.push_str(
        "`snapset templates show NAME` prints a built-in template; save it as templates/NAME.yaml.j2 to replace it\n",
    );
    diagnostics::print_stdout(&out)?;
    Ok(crate::EXIT_OK)
}

fn show(args: &TemplatesShowArgs) -> Result<i32> {
    let wanted = args
        .name
        .trim_start_matches("<built-in>/")
        .trim_start_matches("templates/")
        .trim_end_matches(".yaml.j2");
    let found = BuiltIn::ALL.into_iter().find(|&b| {
        let (_, stem) = b.place();
        wanted == name(b) || wanted == stem
    });
    let Some(built_in) = found else {
        // `deploymnt` is compared with the stems, `track/deploymnt` with
        // the whole names, so that a misspelling finds its template.
        let known = BuiltIn::ALL
            .into_iter()
            .map(|b| match wanted.contains('/') {
                true => name(b),
                false => b.place().1.to_string(),
            })
            .collect();
        return Err(Error::new(ErrorKind::Unknown {
            kind: "built-in template",
            name: wanted.to_string(),
            known,
        }));
    };
    diagnostics::print_stdout(built_in.text())?;
    Ok(crate::EXIT_OK)
}
