//! Traffic that skips a canary's split. The built-in VirtualService routes
//! a split service's traffic by weight, but only traffic that goes through
//! it: another VirtualService routing to the service without subsets, or a
//! LoadBalancer or NodePort Service in front of its pods, reaches the pods
//! by their count, whatever the weights say. Those documents are noted
//! while they are rendered (user templates only: the built-in ones route by
//! subset and expose nothing), and warned about once the environment is
//! whole.

use std::sync::Mutex;

use serde_json::Value;

use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind};
use crate::resolve::{Release, ResolvedService};

/// A document that may carry traffic around a split.
#[derive(Debug)]
enum Way {
    /// A VirtualService's route to `host` without a subset.
    Route { host: String },
    /// A Service of type LoadBalancer or NodePort selecting `app`.
    Exposed { app: String, kind: String },
}

#[derive(Debug)]
struct Noted {
    env: String,
    name: String,
    way: Way,
    at: Option<Loc>,
}

/// The documents noted during a render.
#[derive(Debug, Default)]
pub struct Bypasses(Mutex<Vec<Noted>>);

impl Bypasses {
    /// Notes what `doc` (written by a user template, at `at`) routes or
    /// exposes.
    pub fn note(&self, env: &str, doc: &Value, at: impl Fn(&str) -> Option<Loc>) {
        let kind = doc.get("kind").and_then(Value::as_str);
        let mut ways = Vec::new();
        match kind {
            Some("VirtualService") => {
                for protocol in ["http", "tcp", "tls"] {
                    let routes = doc
                        .pointer(&format!("/spec/{protocol}"))
                        .and_then(Value::as_array);
                    for route in routes.into_iter().flatten() {
                        let destinations = route.get("route").and_then(Value::as_array);
                        for d in destinations.into_iter().flatten() {
                            let Some(dest) = d.get("destination") else {
                                continue;
                            };
                            if dest.get("subset").is_some() {
                                continue;
                            }
                            if let Some(host) = dest.get("host").and_then(Value::as_str) {
                                ways.push((
                                    Way::Route {
                                        host: host.to_string(),
                                    },
                                    "host",
                                ));
                            }
                        }
                    }
                }
            }
            Some("Service") => {
                let kind = doc.pointer("/spec/type").and_then(Value::as_str);
                if let Some(kind @ ("LoadBalancer" | "NodePort")) = kind {
                    let selector = doc.pointer("/spec/selector").and_then(Value::as_object);
                    let app = selector.and_then(|s| {
                        // A selector naming a track sends to that track
                        // only: no split to bypass.
                        if s.contains_key("version") {
                            return None;
                        }
                        s.get("app")
                            .or_else(|| s.get("app.kubernetes.io/name"))
                            .and_then(Value::as_str)
                    });
                    if let Some(app) = app {
                        ways.push((
                            Way::Exposed {
                                app: app.to_string(),
                                kind: kind.to_string(),
                            },
                            "type",
                        ));
                    }
                }
            }
            _ => {}
        }
        if ways.is_empty() {
            return;
        }
        let name = doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut noted = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (way, key) in ways {
            noted.push(Noted {
                env: env.to_string(),
                name: name.clone(),
                way,
                at: at(key),
            });
        }
    }

    /// A warning per document that bypasses a split service's weights.
    pub fn warnings(&self, release: &Release) -> Vec<Error> {
        let noted = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for n in noted.iter() {
            let Some(env) = release.environments.iter().find(|e| e.name == n.env) else {
                continue;
            };
            let namespace = env.namespace.effective();
            let split = |name: &str| -> Option<&ResolvedService> {
                env.services
                    .iter()
                    .find(|s| s.name == name)
                    .filter(|s| s.tracks.iter().filter(|t| t.weight.is_some()).count() > 1)
            };
            let (service, by) = match &n.way {
                Way::Route { host } => {
                    let mut parts = host.split('.');
                    let first = parts.next().unwrap_or("");
                    let same_namespace = parts.next().is_none_or(|ns| ns == namespace);
                    match split(first).filter(|_| same_namespace) {
                        Some(s) => (
                            s,
                            format!(
                                "VirtualService `{}` routes to host `{host}` without a subset",
                                n.name
                            ),
                        ),
                        None => continue,
                    }
                }
                Way::Exposed { app, kind } => match split(app) {
                    Some(s) => (
                        s,
                        format!(
                            "Service `{}` of type {kind} sends to its pods directly",
                            n.name
                        ),
                    ),
                    None => continue,
                },
            };
            let weights: Vec<String> = service
                .tracks
                .iter()
                .filter_map(|t| {
                    let w = t.weight?;
                    Some(match t.replicas {
                        Some(r) => format!("{} {w}% on {r} {}", t.name, pods(r)),
                        None => format!("{} {w}%", t.name),
                    })
                })
                .collect();
            let error = Error::new(ErrorKind::SplitBypassed {
                service: service.name.clone(),
                env: env.name.clone(),
                weights: weights.join(", "),
                by,
            });
            out.push(match &n.at {
                Some(loc) => error.label(loc, "written here"),
                None => error,
            });
        }
        out
    }
}

fn pods(n: i64) -> &'static str {
    if n == 1 { "pod" } else { "pods" }
}
