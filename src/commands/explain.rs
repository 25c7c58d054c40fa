//! `snapset explain --env E SERVICE KEY`: the effective value of a variable,
//! container variable or feature of a service in an environment, the
//! file:line that set it, and every value it overrode, from the provenance
//! that `resolve::layers` keeps.

use std::path::Path;

use serde_json::{Value, json};

use crate::Session;
use crate::cli::{ExplainArgs, TableFormat};
use crate::error::sources::{Loc, Sources, Spanned};
use crate::error::{Error, ErrorKind, Result};
use crate::load::{EnvSource, Scalar, Workspace};
use crate::pipeline;
use crate::resolve::Repos;
use crate::resolve::layers::Setting;
use crate::resolve::{
    Layered, Origin, Release, ResolvedEnvironment, Resolver, Settings, VarEntry, VarPath, Vars,
    select,
};

pub struct ExplainCommand;

/// One value that answers the question.
struct Finding {
    /// `var`, `env`, `feature`, `namespace` or `track`.
    kind: &'static str,
    /// What was found: KEY, or the feature a `FEATURE_X` variable renders.
    name: String,
    /// For values that differ per track: a track's own block or `replicas=`, `commit`, `image`.
    track: Option<String>,
    /// The effective setting first, then those it overrode, highest first.
    settings: Vec<Shown>,
}

struct Shown {
    text: String,
    json: Value,
    origin: Origin,
}

impl ExplainCommand {
    pub fn run(args: ExplainArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let selected = select(&ws, std::slice::from_ref(&args.env))?;
        let repo = Repos::open(&ws)?;
        let release = Resolver::new(&ws, &repo).resolve(&selected)?;
        let env = cluster(&release, &args)?;
        let findings = find(&ws, env, &args.service, &args.key)?;
        let out = match args.format {
            // Values and names are the workspace's: shown, never acted on.
            TableFormat::Table => {
                crate::text::terminal::visible_lines(&text(&findings, &session.sources))
                    .into_owned()
            }
            TableFormat::Json => {
                let rows: Vec<Value> = findings
                    .iter()
                    .map(|f| to_json(f, &args, &session.sources))
                    .collect();
                let mut s = serde_json::to_string_pretty(&rows).expect("JSON values serialize");
                s.push('\n');
                s
            }
        };
        print!("{out}");
        Ok(crate::EXIT_OK)
    }
}

/// The resolved environment `explain` looks at: the one of `--env`, or,
/// for an environment on clusters, its cluster `--cluster`.
fn cluster<'r>(release: &'r Release, args: &ExplainArgs) -> Result<&'r ResolvedEnvironment> {
    let clusters = release.clusters_of(&args.env);
    let found = match &args.cluster {
        None if clusters.is_empty() => release.environments.first(),
        None => {
            return Err(Error::new(ErrorKind::ClusterNeeded {
                env: args.env.clone(),
                clusters: clusters.join(", "),
            }));
        }
        Some(name) => release
            .environments
            .iter()
            .find(|e| e.cluster_name() == Some(name.as_str())),
    };
    found.ok_or_else(|| {
        Error::new(ErrorKind::Unknown {
            kind: "cluster",
            name: args.cluster.clone().unwrap_or_default(),
            known: clusters,
        })
    })
}

fn layered<V>(layered: &Layered<V>, show: impl Fn(&V) -> (String, Value)) -> Vec<Shown> {
    layered
        .history
        .iter()
        .rev()
        .map(|Setting { value, origin }| {
            let (text, json) = show(value);
            Shown {
                text,
                json,
                origin: origin.clone(),
            }
        })
        .collect()
}

fn scalar(value: &Scalar) -> (String, Value) {
    let json = value.to_json();
    let text = match value {
        Scalar::Null => "null".into(),
        _ => json.to_string(),
    };
    (text, json)
}

fn env_source(value: &EnvSource) -> (String, Value) {
    let json = serde_json::to_value(value).expect("EnvSource serializes");
    let text = match value {
        EnvSource::Value(v) => Value::String(v.clone()).to_string(),
        EnvSource::Secret { secret, key } => format!(
            "secret={} key={}",
            Value::String(secret.clone()),
            Value::String(key.clone())
        ),
    };
    (text, json)
}

fn boolean(value: &bool) -> (String, Value) {
    (value.to_string(), Value::Bool(*value))
}

fn string(value: &str) -> (String, Value) {
    let json = Value::String(value.to_string());
    (json.to_string(), json)
}

/// What KEY names for the service: its variables, container variables and
/// features (all of them when a name is in several maps), `namespace`, and
/// per track `commit` and `image`. A container variable `FEATURE_X` that no
/// varset sets names the feature the template renders under that name.
fn find(
    ws: &Workspace,
    env: &ResolvedEnvironment,
    service: &str,
    key: &str,
) -> Result<Vec<Finding>> {
    let source = ws.snapshot_service(ws.snapshot(&env.snapshot.name)?, service)?;
    let resolved = env
        .services
        .iter()
        .find(|s| s.name == service)
        .expect("every service of the snapshot is resolved");
    let settings = &resolved.settings;
    let pinned = env
        .snapshot
        .services
        .iter()
        .find(|s| s.name == service)
        .expect("a resolved service is pinned");
    let mut found = Vec::new();

    // The service's values; per track when a track's own block in the
    // snapshot (`vars`, `env`, `feature`, or `replicas=`) makes KEY differ.
    let shared = value_findings(settings, key, None);
    let per_track: Vec<(&str, Vec<Finding>)> = resolved
        .tracks
        .iter()
        .map(|t| {
            let replicas = source
                .tracks
                .iter()
                .find(|w| w.name.value == t.name)
                .and_then(|w| w.replicas.as_ref());
            let own = value_findings(resolved.settings_of(t), key, replicas);
            (t.name.as_str(), own)
        })
        .collect();
    if per_track.iter().any(|(_, own)| !same(own, &shared)) {
        for (track, own) in per_track {
            found.extend(own.into_iter().map(|f| Finding {
                track: Some(track.to_string()),
                ..f
            }));
        }
    } else {
        found.extend(shared);
    }
    if key == "namespace" {
        found.push(Finding {
            kind: "namespace",
            name: key.to_string(),
            track: None,
            settings: layered(&env.namespace, |v| string(v)),
        });
    }
    if key == "commit" || key == "image" {
        for (track, resolved_track) in pinned.tracks.iter().zip(&resolved.tracks) {
            let value = if key == "commit" {
                &resolved_track.commit
            } else {
                &resolved_track.image
            };
            let (text, json) = string(value);
            found.push(Finding {
                kind: "track",
                name: key.to_string(),
                track: Some(track.name.clone()),
                settings: vec![Shown {
                    text,
                    json,
                    origin: Origin::At(track.commit_loc.clone()),
                }],
            });
        }
    }
    if found.is_empty() {
        let every = std::iter::once(settings)
            .chain(resolved.tracks.iter().filter_map(|t| t.settings.as_ref()));
        let mut known: Vec<String> = every
            .flat_map(|settings| {
                settings
                    .vars
                    .iter()
                    .filter(|(_, l)| *l.effective() != VarEntry::Map)
                    .map(|(path, _)| path.join("."))
                    .chain(settings.env.keys().cloned())
                    .chain(settings.features.keys().cloned())
            })
            .chain(["namespace", "commit", "image"].map(String::from))
            .collect();
        known.sort();
        known.dedup();
        return Err(Error::new(ErrorKind::Unknown {
            kind: "key",
            name: key.to_string(),
            known,
        }));
    }
    Ok(found)
}

/// What KEY names among one set of values (a service's, or a track's):
/// variables, container variables and features. `replicas` is the track's
/// `replicas=` when it has one: it beats the varsets.
fn value_findings(settings: &Settings, key: &str, replicas: Option<&Spanned<i64>>) -> Vec<Finding> {
    let mut found = var_findings(&settings.vars, key);
    if let (Some(r), "replicas") = (replicas, key) {
        let (text, json) = scalar(&Scalar::Int(r.value));
        let written = Shown {
            text,
            json,
            origin: Origin::At(r.loc.clone()),
        };
        match found.iter_mut().find(|f| f.name == key) {
            Some(var) => var.settings.insert(0, written),
            None => found.push(Finding {
                kind: "var",
                name: key.to_string(),
                track: None,
                settings: vec![written],
            }),
        }
    }
    if let Some(var) = settings.env.get(key) {
        found.push(Finding {
            kind: "env",
            name: key.to_string(),
            track: None,
            settings: layered(var, env_source),
        });
    }
    let feature = settings.features.get_key_value(key).or_else(|| {
        if found.is_empty() {
            settings
                .features
                .iter()
                .find(|(name, _)| feature_env_name(name) == key)
        } else {
            None
        }
    });
    if let Some((name, f)) = feature {
        found.push(Finding {
            kind: "feature",
            name: name.clone(),
            track: None,
            settings: layered(f, boolean),
        });
    }
    found
}

/// Whether two lists of findings show the same values from the same places.
fn same(a: &[Finding], b: &[Finding]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.kind == y.kind
                && x.name == y.name
                && x.settings.len() == y.settings.len()
                && x.settings
                    .iter()
                    .zip(&y.settings)
                    .all(|(s, t)| s.text == t.text && s.origin == t.origin)
        })
}

/// The variable at dotted path `key`, or every leaf under it when it is a
/// map (`resources` gives `resources.limits.memory` …), each with its
/// history. A leaf removed by `null` is shown as removed, where and what
/// it removed.
fn var_findings(vars: &Vars, key: &str) -> Vec<Finding> {
    let prefix = format!("{key}.");
    let entries: Vec<(&VarPath, &Layered<VarEntry>)> = vars
        .iter()
        .filter(|(path, _)| {
            let dotted = path.join(".");
            dotted == key || dotted.starts_with(&prefix)
        })
        .collect();
    entries
        .iter()
        .enumerate()
        .filter(|(i, (path, layered))| {
            // A map is shown through its leaves; an empty one as itself.
            *layered.effective() != VarEntry::Map
                || !entries
                    .get(i + 1)
                    .is_some_and(|(next, _)| next.starts_with(path))
        })
        .map(|(_, (path, layered))| Finding {
            kind: "var",
            name: path.join("."),
            track: None,
            settings: self::layered(layered, var_entry),
        })
        .collect()
}

fn var_entry(entry: &VarEntry) -> (String, Value) {
    match entry {
        VarEntry::Value(v) => (v.to_string(), v.clone()),
        VarEntry::Map => ("{…} (a map)".into(), Value::Object(Default::default())),
        VarEntry::Removed => ("null (removed)".into(), Value::Null),
    }
}

/// The container variable the default template renders a feature as.
fn feature_env_name(feature: &str) -> String {
    format!("FEATURE_{feature}")
        .to_uppercase()
        .replace('-', "_")
}

fn origin_text(origin: &Origin, sources: &Sources) -> String {
    match origin {
        Origin::Default => "built-in default".into(),
        Origin::At(loc) => sources.position(loc),
    }
}

fn origin_json(origin: &Origin, sources: &Sources) -> Value {
    match origin {
        Origin::Default => Value::String("default".into()),
        Origin::At(loc) => position_json(loc, sources),
    }
}

fn position_json(loc: &Loc, sources: &Sources) -> Value {
    let (line, column) = sources.line_col(loc);
    json!({ "file": sources.get(loc.file).name, "line": line, "column": column })
}

fn text(findings: &[Finding], sources: &Sources) -> String {
    let mut out = String::new();
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let (effective, overridden) = f.settings.split_first().expect("at least one setting");
        let track = f
            .track
            .as_ref()
            .map_or(String::new(), |t| format!(" (track {t})"));
        let what = match f.kind {
            "var" | "env" | "feature" => format!("{} {}", f.kind, f.name),
            _ => f.name.clone(),
        };
        out.push_str(&format!("{what}{track}: {}\n", effective.text));
        let set = match &effective.origin {
            Origin::Default => "  set by the built-in default\n".to_string(),
            Origin::At(loc) => format!("  set at {}\n", sources.position(loc)),
        };
        out.push_str(&set);
        if !overridden.is_empty() {
            out.push_str("  overrides:\n");
            let width = overridden
                .iter()
                .map(|s| s.text.chars().count())
                .max()
                .unwrap_or(0);
            for s in overridden {
                out.push_str(&format!(
                    "    {:width$}  {}\n",
                    s.text,
                    origin_text(&s.origin, sources)
                ));
            }
        }
    }
    out
}

fn to_json(f: &Finding, args: &ExplainArgs, sources: &Sources) -> Value {
    let (effective, overridden) = f.settings.split_first().expect("at least one setting");
    let mut row = json!({
        "service": args.service,
        "environment": args.env,
        "key": args.key,
        "kind": f.kind,
        "value": effective.json,
        "origin": origin_json(&effective.origin, sources),
        "overridden": overridden
            .iter()
            .map(|s| json!({ "value": s.json, "origin": origin_json(&s.origin, sources) }))
            .collect::<Vec<_>>(),
    });
    if f.kind == "var" {
        // The leaf: KEY itself, or a leaf under the map KEY names.
        row["path"] = Value::String(f.name.clone());
    }
    if let Some(track) = &f.track {
        row["track"] = Value::String(track.clone());
    }
    if let Some(cluster) = &args.cluster {
        row["cluster"] = Value::String(cluster.clone());
    }
    row
}
