//! One object per identity: kustomize refuses a folder where two
//! documents have the same group, kind, namespace and name ("already
//! registered id"), and the cluster could only keep one of them.

use std::collections::HashMap;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind};
use crate::resolve::ResolvedEnvironment;

use super::index::Index;
use super::{Rendered, Written, locate};

/// Writers named in the headline before "and N more".
const SHOWN: usize = 4;

/// An error for every identity written more than once, naming every
/// template that wrote it, at each template's line.
pub fn check(
    env: &ResolvedEnvironment,
    documents: &[Rendered],
    index: &Index,
    sources: &Sources,
) -> Vec<Error> {
    // The writers of each identity, first first, in render order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for &(first, again) in &index.again {
        let g = *group_of.entry(first).or_insert_with(|| {
            groups.push(vec![first]);
            groups.len() - 1
        });
        groups[g].push(again);
    }
    groups
        .into_iter()
        .map(|writers| duplicate(env, documents, &writers, sources))
        .collect()
}

fn duplicate(
    env: &ResolvedEnvironment,
    documents: &[Rendered],
    writers: &[usize],
    sources: &Sources,
) -> Error {
    let first = &documents[writers[0]].object;
    let name = first.name.as_deref().unwrap_or_default();
    let name = match first.namespace.as_ref() {
        "" => name.to_string(),
        ns => format!("{ns}/{name}"),
    };
    let mut who: Vec<String> = writers
        .iter()
        .take(SHOWN)
        .map(|&i| describe(&documents[i].written))
        .collect();
    if writers.len() > SHOWN {
        who.push(format!("{} more", writers.len() - SHOWN));
    }
    let writers_text = match who.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => who.join(""),
    };
    let kind = match first.group.as_ref() {
        "" => first.kind.to_string(),
        group => format!("{} ({group})", first.kind),
    };
    let mut error = Error::new(ErrorKind::DuplicateObject {
        kind,
        name,
        env: env.name.clone(),
        count: writers.len(),
        writers: writers_text,
    });
    let mut seen = Vec::new();
    for &i in writers {
        let d = &documents[i];
        let loc = locate::template_line(d, "metadata.name", sources);
        if seen.contains(&loc) {
            continue;
        }
        let text = match seen.is_empty() {
            true => "written here",
            false => "and here",
        };
        // A name a varset gave (`name: {{ vars.config-name }}`) is edited there.
        let name = serde_json::Value::from(d.object.name.as_deref().unwrap_or_default());
        if let Some(set) = locate::set_by(env, d, "metadata.name", &name, sources) {
            error = error.label(&set, "the name is set here");
        }
        error = error.label(&loc, text);
        seen.push(loc);
    }
    error
}

/// `` `templates/service/a.yaml.j2` for service `cart` ``.
fn describe(w: &Written) -> String {
    let template = format!("`{}`", w.template.name);
    match (w.service, w.track) {
        (None, _) => template,
        (Some(s), Some(t)) if s.is_multi_track() => {
            format!(
                "{template} for track `{}` of `{}`",
                s.tracks[t].name, s.name
            )
        }
        (Some(s), _) => format!("{template} for service `{}`", s.name),
    }
}
