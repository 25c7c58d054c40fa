//! Template variables layered deeply: maps merge key by key, a scalar or a
//! list replaces what was there, `null` removes a key and everything under
//! it. Each path (`resources.requests.cpu`) keeps every value it took with
//! the file:line that set it, so `explain` can show any leaf's history and
//! `diff` can name what changed by its dotted path.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{Scalar, Var, VarValue};

use super::layers::{Layered, Origin, Setting};

/// The keys from the top of `vars` down to one entry.
pub type VarPath = Vec<String>;

/// What one layer made of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum VarEntry {
    /// A map: its keys are entries of their own.
    Map,
    /// A scalar or a list.
    Value(Value),
    /// Removed by `null` (here or above).
    Removed,
}

impl VarEntry {
    fn is_live(&self) -> bool {
        !matches!(self, VarEntry::Removed)
    }

    fn shape(&self) -> &'static str {
        match self {
            VarEntry::Map => "a map",
            VarEntry::Value(Value::Array(_)) => "a list",
            VarEntry::Value(_) => "a scalar",
            VarEntry::Removed => "removed",
        }
    }
}

/// Every path's history, sorted so that a map comes right before its keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars {
    entries: BTreeMap<VarPath, Layered<VarEntry>>,
}

impl Vars {
    /// A built-in default of a top-level variable.
    pub fn set_default(&mut self, key: &str, value: Value) {
        self.push(
            vec![key.to_string()],
            VarEntry::Value(value),
            Origin::Default,
        );
    }

    /// Lays one `vars` block over what lower layers set.
    pub fn apply(&mut self, vars: &[Var]) -> Result<()> {
        let mut errors = Vec::new();
        let mut path = Vec::new();
        for var in vars {
            self.apply_var(&mut path, var, &mut errors);
        }
        match errors.len() {
            0 => Ok(()),
            _ => Err(Error::many(errors)),
        }
    }

    fn apply_var(&mut self, path: &mut VarPath, var: &Var, errors: &mut Vec<Error>) {
        path.push(var.name.value.clone());
        match &var.value {
            VarValue::Scalar(s) if s.value == Scalar::Null => {
                self.remove(path, &s.loc);
            }
            VarValue::Scalar(s) => {
                self.leaf(path, VarEntry::Value(s.value.to_json()), &s.loc, errors);
            }
            VarValue::List(list) => {
                self.leaf(path, VarEntry::Value(list.value.clone()), &list.loc, errors);
            }
            VarValue::Map(children, loc) => match self.live(path) {
                Some((VarEntry::Map, _)) => {
                    for child in children {
                        self.apply_var(path, child, errors);
                    }
                }
                Some((old, at)) => errors.push(conflict(path, old, at, "a map", loc)),
                None => {
                    self.push(path.clone(), VarEntry::Map, Origin::At(loc.clone()));
                    for child in children {
                        self.apply_var(path, child, errors);
                    }
                }
            },
        }
        path.pop();
    }

    fn leaf(&mut self, path: &VarPath, entry: VarEntry, loc: &Loc, errors: &mut Vec<Error>) {
        if let Some((VarEntry::Map, at)) = self.live(path) {
            errors.push(conflict(path, &VarEntry::Map, at, entry.shape(), loc));
            return;
        }
        self.push(path.clone(), entry, Origin::At(loc.clone()));
    }

    /// `null`: the path and every live key under it are removed.
    fn remove(&mut self, path: &VarPath, loc: &Loc) {
        let origin = Origin::At(loc.clone());
        let under: Vec<VarPath> = self
            .entries
            .range(path.clone()..)
            .skip(1)
            .take_while(|(p, _)| p.starts_with(path))
            .filter(|(_, l)| l.effective().is_live())
            .map(|(p, _)| p.clone())
            .collect();
        for p in under {
            self.push(p, VarEntry::Removed, origin.clone());
        }
        self.push(path.clone(), VarEntry::Removed, origin);
    }

    fn push(&mut self, path: VarPath, entry: VarEntry, origin: Origin) {
        let setting = Setting {
            value: entry,
            origin,
        };
        self.entries
            .entry(path)
            .or_insert_with(|| Layered {
                history: Vec::new(),
            })
            .push(setting);
    }

    /// The path's entry and where it was set, unless absent or removed.
    fn live(&self, path: &VarPath) -> Option<(&VarEntry, Option<&Loc>)> {
        let last = self.entries.get(path)?.history.last()?;
        let at = match &last.origin {
            Origin::At(loc) => Some(loc),
            Origin::Default => None,
        };
        last.value.is_live().then_some((&last.value, at))
    }

    /// Every value `path` took, when a layer set it.
    pub fn get(&self, path: &[String]) -> Option<&Layered<VarEntry>> {
        self.entries.get(path)
    }

    /// The effective value of a top-level variable, if it has a scalar or
    /// list value (maps are built by `to_json`).
    pub fn scalar(&self, key: &str) -> Option<&Value> {
        match self.entries.get([key.to_string()].as_slice())?.effective() {
            VarEntry::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The setting in force for a top-level variable (removed ones
    /// included), with where it was made.
    pub fn setting(&self, key: &str) -> Option<&Setting<VarEntry>> {
        self.entries
            .get([key.to_string()].as_slice())?
            .history
            .last()
    }

    /// What templates see: the live entries as nested maps.
    pub fn to_json(&self) -> serde_json::Map<String, Value> {
        let mut root = serde_json::Map::new();
        for (path, layered) in &self.entries {
            let value = match layered.effective() {
                VarEntry::Removed => continue,
                VarEntry::Map => Value::Object(serde_json::Map::new()),
                VarEntry::Value(v) => v.clone(),
            };
            let (last, parents) = path.split_last().expect("a path has a key");
            let mut map = &mut root;
            for key in parents {
                // A live entry's parents are live maps, inserted before it.
                map = match map.get_mut(key) {
                    Some(Value::Object(inner)) => inner,
                    _ => unreachable!("the parent of a live entry is a live map"),
                };
            }
            map.insert(last.clone(), value);
        }
        root
    }

    /// Every path with its history, parents first.
    pub fn iter(&self) -> impl Iterator<Item = (&VarPath, &Layered<VarEntry>)> {
        self.entries.iter()
    }

    /// The entries at `path` and under it (`resources` gives
    /// `resources.requests.cpu` …).
    pub fn under<'a>(
        &'a self,
        path: &'a [String],
    ) -> impl Iterator<Item = (&'a VarPath, &'a Layered<VarEntry>)> + 'a {
        self.entries
            .range(path.to_vec()..)
            .take_while(move |(p, _)| p.starts_with(path))
    }
}

fn conflict(
    path: &VarPath,
    old: &VarEntry,
    old_at: Option<&Loc>,
    new: &'static str,
    at: &Loc,
) -> Error {
    let error = Error::at(
        ErrorKind::VarShape {
            path: path.join("."),
            old: old.shape(),
            new,
        },
        at,
        format!("{new} here"),
    );
    match old_at {
        Some(loc) => error.label(loc, format!("{} in a lower layer", old.shape())),
        None => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::sources::{FileId, Spanned};
    use serde_json::json;

    fn at(n: usize) -> Loc {
        Loc {
            file: FileId(0),
            span: n..n + 1,
        }
    }

    fn scalar(name: &str, value: Scalar, n: usize) -> Var {
        Var {
            name: Spanned::new(name.into(), at(n)),
            value: VarValue::Scalar(Spanned::new(value, at(n))),
        }
    }

    fn map(name: &str, children: Vec<Var>, n: usize) -> Var {
        Var {
            name: Spanned::new(name.into(), at(n)),
            value: VarValue::Map(children, at(n)),
        }
    }

    fn list(name: &str, items: Value, n: usize) -> Var {
        Var {
            name: Spanned::new(name.into(), at(n)),
            value: VarValue::List(Spanned::new(items, at(n))),
        }
    }

    #[test]
    fn maps_merge_key_by_key_and_lists_replace() {
        let mut vars = Vars::default();
        vars.set_default("replicas", json!(1));
        vars.apply(&[
            map(
                "resources",
                vec![
                    map(
                        "requests",
                        vec![
                            scalar("cpu", Scalar::String("100m".into()), 1),
                            scalar("memory", Scalar::String("128Mi".into()), 2),
                        ],
                        3,
                    ),
                    map(
                        "limits",
                        vec![scalar("memory", Scalar::String("1Gi".into()), 4)],
                        5,
                    ),
                ],
                6,
            ),
            list("hosts", json!(["a", "b"]), 7),
        ])
        .unwrap();
        vars.apply(&[
            map(
                "resources",
                vec![map(
                    "requests",
                    vec![scalar("cpu", Scalar::String("500m".into()), 8)],
                    9,
                )],
                10,
            ),
            list("hosts", json!(["c"]), 11),
            scalar("replicas", Scalar::Int(3), 12),
        ])
        .unwrap();
        assert_eq!(
            Value::Object(vars.to_json()),
            json!({
                "replicas": 3,
                "hosts": ["c"],
                "resources": {
                    "requests": {"cpu": "500m", "memory": "128Mi"},
                    "limits": {"memory": "1Gi"}
                }
            })
        );
        let cpu: VarPath = vec!["resources".into(), "requests".into(), "cpu".into()];
        let history = &vars.entries[&cpu].history;
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].origin, Origin::At(at(1)));
        assert_eq!(history[1].origin, Origin::At(at(8)));
    }

    #[test]
    fn null_removes_a_key_and_everything_under_it() {
        let mut vars = Vars::default();
        vars.apply(&[map(
            "resources",
            vec![map(
                "limits",
                vec![scalar("memory", Scalar::String("1Gi".into()), 1)],
                2,
            )],
            3,
        )])
        .unwrap();
        vars.apply(&[map("resources", vec![scalar("limits", Scalar::Null, 4)], 5)])
            .unwrap();
        assert_eq!(Value::Object(vars.to_json()), json!({"resources": {}}));
        // Removed, then a scalar: allowed, nothing of the map is left.
        vars.apply(&[scalar("resources", Scalar::Null, 6)]).unwrap();
        vars.apply(&[scalar("resources", Scalar::String("none".into()), 7)])
            .unwrap();
        assert_eq!(Value::Object(vars.to_json()), json!({"resources": "none"}));
    }

    #[test]
    fn a_map_and_a_scalar_at_one_path_conflict() {
        let mut vars = Vars::default();
        vars.apply(&[scalar("resources", Scalar::String("x".into()), 1)])
            .unwrap();
        let e = vars
            .apply(&[map("resources", vec![scalar("cpu", Scalar::Int(1), 2)], 3)])
            .unwrap_err();
        assert_eq!(
            e.kind.to_string(),
            "variable `resources` is a map here but a scalar in a lower layer"
        );
        let mut vars = Vars::default();
        vars.apply(&[map("r", vec![scalar("cpu", Scalar::Int(1), 2)], 3)])
            .unwrap();
        let e = vars.apply(&[list("r", json!([1, 2]), 4)]).unwrap_err();
        assert_eq!(
            e.kind.to_string(),
            "variable `r` is a list here but a map in a lower layer"
        );
    }
}
