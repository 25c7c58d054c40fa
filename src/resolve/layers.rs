//! Varset layering with provenance: every effective value remembers the
//! file:line that set it and the values it overrode, which is what
//! `snapset explain` prints.

use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::load::{EnvSource, TrackSettings, Varset, Workspace};

use super::vars::Vars;
use crate::error::sources::{Loc, Spanned};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    Default,
    At(Loc),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Setting<V> {
    pub value: V,
    pub origin: Origin,
}

/// Every value a key took, lowest precedence first; the last one wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Layered<V> {
    pub history: Vec<Setting<V>>,
}

impl<V> Layered<V> {
    /// One more setting, over the others. Most keys are set once or twice:
    /// the history grows by one at a time rather than to four at the first
    /// push, as `Vec` does. Every service of every environment holds one
    /// history per variable; that slack was 3.5 of the 13 MB of a resolved
    /// release of 1,000 services × 3 environments.
    pub fn push(&mut self, setting: Setting<V>) {
        self.history.reserve_exact(1);
        self.history.push(setting);
    }

    pub fn effective(&self) -> &V {
        &self
            .history
            .last()
            .expect("a layered value has at least one setting")
            .value
    }
}

fn set<V>(map: &mut BTreeMap<String, Layered<V>>, key: &str, value: V, origin: Origin) {
    let setting = Setting { value, origin };
    match map.get_mut(key) {
        Some(layered) => layered.push(setting),
        None => {
            map.insert(
                key.to_string(),
                Layered {
                    history: vec![setting],
                },
            );
        }
    }
}

/// The values of one service in one environment, with their history.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub vars: Vars,
    pub env: BTreeMap<String, Layered<EnvSource>>,
    /// The names of `env` in written order: the base's first, an override
    /// in the place of what it overrides, new names after. A container
    /// lists them so, because Kubernetes expands `$(NAME)` only from the
    /// variables above it.
    pub env_order: Vec<String>,
    pub features: BTreeMap<String, Layered<bool>>,
}

impl Settings {
    pub fn set_env(&mut self, key: &str, value: EnvSource, origin: Origin) {
        if !self.env.contains_key(key) {
            self.env_order.push(key.to_string());
        }
        set(&mut self.env, key, value, origin);
    }

    /// The container variables in written order, with their history.
    pub fn env_in_order(&self) -> impl Iterator<Item = (&String, &Layered<EnvSource>)> {
        self.env_order
            .iter()
            .filter_map(|k| self.env.get_key_value(k))
    }
    pub fn set_feature(&mut self, key: &str, value: bool, origin: Origin) {
        set(&mut self.features, key, value, origin);
    }
}

/// The varsets an environment's varset stands on, base first, itself last.
pub fn chain<'w>(ws: &'w Workspace, name: &Spanned<String>) -> Result<Vec<&'w Varset>> {
    let mut out: Vec<&Varset> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    visit(ws, name, &mut stack, &mut out)?;
    Ok(out)
}

/// The chain of a cluster of an environment: the environment's, then the
/// cluster varset's own chain, last. A varset both extend (a shared base)
/// stays where the environment's chain put it: it does not come back over
/// the environment's values.
pub fn cluster_chain<'w>(
    ws: &'w Workspace,
    env: &Spanned<String>,
    cluster: &Spanned<String>,
) -> Result<Vec<&'w Varset>> {
    let mut out = chain(ws, env)?;
    let mut stack: Vec<String> = Vec::new();
    visit(ws, cluster, &mut stack, &mut out)?;
    Ok(out)
}

/// How many varsets an `extends` chain may stack (snapset's own use two or
/// three): the walk is recursive, and a chain of 20,000 one-line varsets
/// overflowed the stack.
pub const MAX_EXTENDS_DEPTH: usize = 64;

fn visit<'w>(
    ws: &'w Workspace,
    name: &Spanned<String>,
    stack: &mut Vec<String>,
    out: &mut Vec<&'w Varset>,
) -> Result<()> {
    if let Some(start) = stack.iter().position(|n| *n == name.value) {
        return Err(cycle(ws, &stack[start..]));
    }
    if stack.len() >= MAX_EXTENDS_DEPTH {
        return Err(Error::at(
            ErrorKind::ExtendsTooDeep {
                varset: stack[0].clone(),
                limit: MAX_EXTENDS_DEPTH,
            },
            &name.loc,
            format!("varset number {} of the chain", stack.len() + 1),
        ));
    }
    let Some(set) = ws.varsets.get(&name.value) else {
        return Err(Error::at(
            ErrorKind::Unknown {
                kind: "varset",
                name: name.value.clone(),
                known: ws.varsets.keys().cloned().collect(),
            },
            &name.loc,
            "no varsets/*.kdl defines it",
        ));
    };
    if out.iter().any(|v| v.name.value == set.name.value) {
        return Ok(());
    }
    stack.push(name.value.clone());
    for parent in &set.extends {
        visit(ws, parent, stack, out)?;
    }
    stack.pop();
    out.push(set);
    Ok(())
}

/// A cycle reported the same way whichever environment reached it: from
/// the varset with the smallest name, pointing at its `extends` that
/// continues the cycle.
fn cycle(ws: &Workspace, members: &[String]) -> Error {
    let first = (0..members.len()).min_by_key(|&i| &members[i]).unwrap_or(0);
    let mut names: Vec<&str> = members[first..]
        .iter()
        .chain(&members[..first])
        .map(String::as_str)
        .collect();
    names.push(names[0]);
    let kind = ErrorKind::ExtendsCycle {
        chain: names.join(" → "),
    };
    let next = ws
        .varsets
        .get(names[0])
        .and_then(|set| set.extends.iter().find(|e| e.value == names[1]));
    match next {
        Some(e) => Error::at(
            kind,
            &e.loc,
            format!("`{}` extends `{}`", names[0], names[1]),
        ),
        None => Error::new(kind),
    }
}

/// The environment's namespace: the last varset of the chain that sets one,
/// else the environment's name.
pub fn namespace(chain: &[&Varset], env_name: &str) -> Layered<String> {
    let mut layered = Layered {
        history: vec![Setting {
            value: env_name.to_string(),
            origin: Origin::Default,
        }],
    };
    for set in chain {
        if let Some(ns) = &set.namespace {
            layered.history.push(Setting {
                value: ns.value.clone(),
                origin: Origin::At(ns.loc.clone()),
            });
        }
    }
    layered
}

/// The environment's global variables: the built-in defaults, then each
/// varset's `vars`, base first. Environment-scope templates see these.
pub fn global_vars(chain: &[&Varset]) -> Result<Vars> {
    let mut vars = defaults();
    for set in chain {
        vars.apply(&set.vars)?;
    }
    Ok(vars)
}

fn defaults() -> Vars {
    let mut vars = Vars::default();
    vars.set_default("replicas", serde_json::Value::from(1));
    vars
}

/// Layers the varsets and the snapshot's features for one service (or, with
/// `track`, for one track of it whose snapshot block sets values of its
/// own), in the documented precedence (docs/formats.md): variables and
/// container variables from the defaults, then each varset (global, then
/// its service section), then the track's `vars`/`env`; features from the
/// snapshot's service, then the track's, then the varsets' per-service
/// features — an environment keeps the last word on a feature switch.
pub fn settings(
    chain: &[&Varset],
    service: &str,
    snapshot_features: &[crate::load::Feature],
    track: Option<&TrackSettings>,
) -> Result<Settings> {
    let mut s = Settings {
        vars: defaults(),
        ..Settings::default()
    };
    for set in chain {
        s.vars.apply(&set.vars)?;
        for env in &set.env {
            s.set_env(
                &env.name,
                env.value.value.clone(),
                Origin::At(env.value.loc.clone()),
            );
        }
        if let Some(section) = set.service(service) {
            s.vars.apply(&section.vars)?;
            for env in &section.env {
                s.set_env(
                    &env.name,
                    env.value.value.clone(),
                    Origin::At(env.value.loc.clone()),
                );
            }
        }
    }
    if let Some(track) = track {
        s.vars.apply(&track.vars)?;
        for env in &track.env {
            s.set_env(
                &env.name,
                env.value.value.clone(),
                Origin::At(env.value.loc.clone()),
            );
        }
    }
    env_references(&s)?;
    let track_features = track.map_or(&[][..], |t| &t.features[..]);
    for f in snapshot_features.iter().chain(track_features) {
        s.set_feature(&f.name, f.enabled.value, Origin::At(f.enabled.loc.clone()));
    }
    for set in chain {
        if let Some(section) = set.service(service) {
            for f in &section.features {
                s.set_feature(&f.name, f.enabled.value, Origin::At(f.enabled.loc.clone()));
            }
        }
    }
    Ok(s)
}

/// Each `$(NAME)` in a container variable's value must name a variable
/// listed above it: Kubernetes expands only those, and passes any other
/// `$(NAME)` on as text. `$$` writes a literal `$`.
fn env_references(s: &Settings) -> Result<()> {
    let mut errors = Vec::new();
    for (i, (name, layered)) in s.env_in_order().enumerate() {
        let Some(setting) = layered.history.last() else {
            continue;
        };
        let EnvSource::Value(value) = &setting.value else {
            continue;
        };
        for reference in references(value) {
            if s.env_order[..i].iter().any(|n| n == reference) {
                continue;
            }
            let error = Error::new(ErrorKind::EnvRefUndefined {
                var: name.clone(),
                name: reference.to_string(),
                later: s.env.contains_key(reference),
            });
            errors.push(match &setting.origin {
                Origin::At(loc) => error.label(loc, "refers to it here"),
                Origin::Default => error,
            });
        }
    }
    match errors.len() {
        0 => Ok(()),
        _ => Err(Error::many(errors)),
    }
}

/// The names of `$(NAME)` in a value, as Kubernetes reads them: `$$` is an
/// escaped `$`, and `$(` without a closing `)` is text.
pub fn references(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(more) = after.strip_prefix('$') {
            rest = more;
        } else if let Some(open) = after.strip_prefix('(') {
            match open.find(')') {
                Some(close) => {
                    out.push(&open[..close]);
                    rest = &open[close + 1..];
                }
                None => break,
            }
        } else {
            rest = after;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::references;

    #[test]
    fn reads_references_as_kubernetes_does() {
        assert_eq!(references("http://$(HOST):$(PORT)/x"), ["HOST", "PORT"]);
        assert!(references("$$(HOST) costs $5").is_empty());
        assert!(references("$(open").is_empty());
    }
}
