//! Where a whole-environment error points: the template line that wrote
//! the object (its key at the reference's path, found as the schema
//! check's errors find it), and the varset line when a varset entry gave
//! the value (a container variable's `secret=`, or a variable the template
//! printed, matched as `blame` matches them).

use serde_json::Value;

use crate::error::Error;
use crate::error::sources::{Loc, Sources};
use crate::load::EnvSource;
use crate::render::{blame, documents, find_key, find_path};
use crate::resolve::{Origin, ResolvedEnvironment, Vars};

use super::Rendered;

/// The line of `d`'s template that writes `path` of its object; its
/// `kind:` line, or its first, when the path is not found as written.
pub fn template_line(d: &Rendered, path: &str, sources: &Sources) -> Loc {
    let file = d.written.template.file;
    let text = &sources.get(file).text;
    let from = documents::document_start(text, d.object.index);
    let rest = &text[from..];
    let span = find_path(rest, path)
        .or_else(|| find_key(rest, "kind"))
        .unwrap_or_else(|| 0..rest.find('\n').unwrap_or(rest.len()));
    Loc {
        file,
        span: from + span.start..from + span.end,
    }
}

/// The values `d`'s template saw.
fn vars<'r>(env: &'r ResolvedEnvironment, d: &Rendered<'r>) -> &'r Vars {
    match (d.written.service, d.written.track) {
        (Some(s), Some(t)) => &s.settings_of(&s.tracks[t]).vars,
        (Some(s), None) => &s.settings.vars,
        (None, _) => &env.vars,
    }
}

/// `error` with its labels: at the varset line that gave `value` (found at
/// `path` of the object) when there is one, and at the template's line.
pub fn at(
    error: Error,
    env: &ResolvedEnvironment,
    d: &Rendered,
    path: &str,
    value: &Value,
    sources: &Sources,
) -> Error {
    let written = template_line(d, path, sources);
    let text = &sources.get(d.written.template.file).text;
    let set = secret_entry(d, path, value)
        .or_else(|| blame::blame_value(value, path, vars(env, d), text, sources));
    match set {
        Some(loc) => error
            .label(&loc, "set here")
            .label(&written, "the template writes it here"),
        None => error.label(&written, "written here"),
    }
}

/// The container variable (`DB_PASSWORD secret="shop-db" key="password"`)
/// that names the Secret of a `secretKeyRef`.
fn secret_entry(d: &Rendered, path: &str, value: &Value) -> Option<Loc> {
    if !path.ends_with("secretKeyRef.name") {
        return None;
    }
    let service = d.written.service?;
    let settings = match d.written.track {
        Some(t) => service.settings_of(&service.tracks[t]),
        None => &service.settings,
    };
    let name = value.as_str()?;
    let entry = |(_, layered): (_, &crate::resolve::Layered<EnvSource>)| {
        let setting = layered.history.last()?;
        match (&setting.value, &setting.origin) {
            (EnvSource::Secret { secret, .. }, Origin::At(loc)) if secret == name => {
                Some(loc.clone())
            }
            _ => None,
        }
    };
    // The built-in Deployment writes the variables in their order: the
    // entry at the same place, else the first naming the Secret.
    let place = path
        .rsplit_once(".env[")
        .and_then(|(_, rest)| rest.split_once(']'))
        .and_then(|(i, _)| i.parse::<usize>().ok());
    place
        .and_then(|i| settings.env.iter().nth(i))
        .and_then(entry)
        .or_else(|| settings.env.iter().find_map(entry))
}
