//! Where a whole-environment error points: the template line that wrote
//! the object (its key at the reference's path, found as the schema
//! check's errors find it), and the varset line when a varset entry gave
//! the value (a container variable's `secret=`, or a variable the template
//! printed, matched as `blame` matches them).

use serde_json::Value;

use crate::error::Error;
use crate::error::sources::{Loc, Sources};
use crate::load::EnvSource;
use crate::render::{blame, documents, find_key};
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

/// Where the template writes `spec.http[2].route[0].destination.host`:
/// each key searched after the previous one, and for `[n]` the n+1-th
/// item of the list at its own indentation, so that the items of lists
/// inside it (`- match:` then `- uri:`) are not counted. `None` when the
/// text does not follow the path (a loop, a value printed whole).
fn find_path(text: &str, path: &str) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    let mut found = None;
    for part in path.split('.') {
        let (key, indices) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            let span = find_key(&text[at..], key)?;
            found = Some(at + span.start..at + span.end);
            at += span.end;
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            at = item(text, at, index.parse().ok()?)?;
            // The item itself, when the path ends at it (`gateways[0]`).
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            found = Some(at..end);
        }
    }
    found
}

/// Just after the `- ` of the `index`-th item (from 0) of the list whose
/// first item is the first `- ` after `from`.
fn item(text: &str, from: usize, index: usize) -> Option<usize> {
    let first = from + text[from..].find("- ")?;
    let line_start = text[..first].rfind('\n').map_or(0, |i| i + 1);
    let column = first - line_start;
    let mut seen = 0;
    let mut offset = line_start;
    for line in text[line_start..].split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == column && line[indent..].starts_with("- ") {
            if seen == index {
                return Some(offset + column + 2);
            }
            seen += 1;
        }
        offset += line.len();
    }
    None
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
    match set_by(env, d, path, value, sources) {
        Some(loc) => error
            .label(&loc, "set here")
            .label(&written, "the template writes it here"),
        None => error.label(&written, "written here"),
    }
}

/// The varset line that gave `value`, found at `path` of `d`'s object.
pub fn set_by(
    env: &ResolvedEnvironment,
    d: &Rendered,
    path: &str,
    value: &Value,
    sources: &Sources,
) -> Option<Loc> {
    let text = &sources.get(d.written.template.file).text;
    secret_entry(d, path, value)
        .or_else(|| blame::blame_value(value, path, vars(env, d), text, sources))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_items_are_counted_at_their_own_indentation() {
        let text = "spec:\n  http:\n    - match:\n        - uri: a\n      route:\n        - destination:\n            host: one\n    - route:\n        - destination:\n            host: two\n";
        let span = find_path(text, "spec.http[1].route[0].destination.host").unwrap();
        assert_eq!(&text[span.start..span.end], "host");
        assert_eq!(text[..span.start].lines().count(), 10);
        assert!(find_path(text, "spec.http[2].route").is_none());
    }
}
