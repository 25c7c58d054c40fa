//! What a namespace runs, as `kubectl get … -n NS -o json` prints it: a
//! `List` (or a `DeploymentList`, `ConfigMapList` …) of any kinds, or one
//! object. Workloads are compared by commit, other objects by their fields
//! (`status::objects`). Templates render any workload, so every kind
//! with a pod template is read — Deployment, StatefulSet, DaemonSet, CronJob,
//! Job — and so is any other kind carrying snapset's commit annotation (an
//! Argo Rollout). Each is read into its k8s-openapi type where it has one,
//! and reduced to what `status` compares: which service and track it is,
//! which commit it runs, and how many of its replicas are ready. snapset
//! never talks to a cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// The annotation that snapset's Deployments carry (see the default template).
pub const COMMIT_ANNOTATION: &str = "snapset.dev/commit";

/// The kinds read whether or not they carry the annotation.
const WORKLOADS: [&str; 5] = ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"];

/// One live workload, as `status` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveDeployment {
    /// `Deployment`, `CronJob` …
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The `app` label.
    pub app: Option<String>,
    /// The `version` label: the track.
    pub version: Option<String>,
    /// The `snapset.dev/commit` annotation (of the Deployment, else of its
    /// pod template), as written.
    pub annotation: Option<String>,
    /// Whether snapset rendered it, as its stamps say: the label
    /// `app.kubernetes.io/managed-by: snapset` or the commit annotation.
    pub stamped: bool,
    /// The image of every container, in order, with the container's name.
    pub images: Vec<(String, String)>,
    /// Ready and desired replicas, for kinds that keep pods running and
    /// have a status (not CronJobs or Jobs).
    pub replicas: Option<Replicas>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replicas {
    pub ready: i32,
    pub desired: i32,
}

/// Reads `--live`: a file (relative to `dir`, as `-C DIR` asks), or
/// standard input for `-`. Returns the name to show in messages and the text.
///
/// The user names it, so a link or a pipe (`--live prod=<(kubectl …)`) is
/// read; but no more than `MAX_LIVE_MIB`, so a link to `/dev/zero` ends.
pub fn read(arg: &str, dir: Option<&Path>) -> Result<(String, String)> {
    let limit = MAX_LIVE_MIB << 20;
    let text_of = |bytes: Vec<u8>, path: PathBuf| {
        String::from_utf8(bytes).map_err(|_| {
            Error::new(ErrorKind::Read {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8"),
            })
        })
    };
    if arg == "-" {
        let path = PathBuf::from("<stdin>");
        let bytes =
            crate::disk::bounded::read_stream(std::io::stdin(), limit).map_err(|source| {
                Error::new(ErrorKind::Read {
                    path: path.clone(),
                    source,
                })
            })?;
        return Ok(("standard input".to_string(), text_of(bytes, path)?));
    }
    let path = dir.map_or_else(|| PathBuf::from(arg), |dir| dir.join(arg));
    let bytes = std::fs::File::open(&path)
        .and_then(|file| crate::disk::bounded::read_stream(file, limit))
        .map_err(|source| {
            Error::new(ErrorKind::Read {
                path: path.clone(),
                source,
            })
        })?;
    Ok((arg.to_string(), text_of(bytes, path)?))
}

/// The most `--live` reads: kubectl's JSON for a namespace of a thousand
/// deployments is a few MiB.
const MAX_LIVE_MIB: u64 = 64;

/// Everything `--live` held that `status` compares: the workloads (by
/// commit), and every other object as the JSON it is (by its fields).
#[derive(Debug, Default)]
pub struct Live {
    pub workloads: Vec<LiveDeployment>,
    pub objects: Vec<Value>,
}

/// Parses what kubectl printed: the workloads only. `input` names the
/// source in messages.
pub fn parse(text: &str, input: &str) -> Result<Vec<LiveDeployment>> {
    parse_all(text, input).map(|live| live.workloads)
}

/// Parses what kubectl printed: any `kubectl get … -o json` answer, a
/// `List` (or a typed list, `ConfigMapList` …) of any kinds, or one object.
/// Objects a controller made (a Deployment's ReplicaSets and Pods, a
/// CronJob's Jobs: `metadata.ownerReferences` with `controller: true`) are
/// not snapset's and are left out, as `kubectl get all` lists them too.
pub fn parse_all(text: &str, input: &str) -> Result<Live> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let trimmed = text.trim_start();
        Error::new(ErrorKind::LiveNotJson {
            input: input.to_string(),
            detail: if trimmed.is_empty() {
                "it is empty".to_string()
            } else {
                e.to_string()
            },
            yaml: !trimmed.is_empty() && !trimmed.starts_with(['{', '[']),
        })
    })?;
    let not_objects = |read: String| {
        Error::new(ErrorKind::LiveNotDeployments {
            input: input.to_string(),
            read,
        })
    };
    let Value::Object(object) = &value else {
        return Err(not_objects(format!("a JSON {}", json_type(&value))));
    };
    let Some(kind) = object.get("kind").and_then(Value::as_str) else {
        return Err(not_objects("a JSON object without `kind`".into()));
    };
    let items: Vec<(&Value, String)> = match kind.strip_suffix("List") {
        Some(of) => {
            let Some(items) = object.get("items").and_then(Value::as_array) else {
                return Err(not_objects(format!("a {kind} without an `items` array")));
            };
            // A typed list straight from the API leaves out the items' kind.
            let default = if of.is_empty() { "Deployment" } else { of };
            items
                .iter()
                .map(|item| {
                    let kind = item.get("kind").and_then(Value::as_str).unwrap_or(default);
                    (item, kind.to_string())
                })
                .collect()
        }
        _ => vec![(&value, kind.to_string())],
    };
    let mut live = Live::default();
    for (i, (item, kind)) in items.into_iter().enumerate() {
        if controlled(item) {
            continue;
        }
        if is_workload(item, &kind) {
            live.workloads.push(workload(item, &kind, i + 1, input)?);
        } else {
            let mut item = item.clone();
            if let Some(object) = item.as_object_mut() {
                object.insert("kind".into(), Value::String(kind));
            }
            live.objects.push(item);
        }
    }
    Ok(live)
}

/// Whether a controller made it (its `ownerReferences` name one).
fn controlled(item: &Value) -> bool {
    item.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|owners| {
            owners
                .iter()
                .any(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        })
}

/// A workload kind, or any kind with a pod template that carries snapset's
/// commit annotation (an Argo Rollout).
pub fn is_workload(item: &Value, kind: &str) -> bool {
    WORKLOADS.contains(&kind)
        || (item
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .is_some_and(|a| a.contains_key(COMMIT_ANNOTATION))
            && (item.pointer("/spec/template/spec").is_some()
                || item
                    .pointer("/spec/jobTemplate/spec/template/spec")
                    .is_some()))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn workload(item: &Value, kind: &str, index: usize, input: &str) -> Result<LiveDeployment> {
    let name_of = |v: &Value| {
        v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let bad = |detail: String| {
        Error::new(ErrorKind::LiveBadDeployment {
            input: input.to_string(),
            index,
            name: name_of(item),
            detail,
        })
    };
    // The typed read finds what is malformed; the fields are then taken
    // from the JSON alike for every kind.
    let typed = match kind {
        "Deployment" => serde_json::from_value::<Deployment>(item.clone()).map(|_| ()),
        "StatefulSet" => serde_json::from_value::<StatefulSet>(item.clone()).map(|_| ()),
        "DaemonSet" => serde_json::from_value::<DaemonSet>(item.clone()).map(|_| ()),
        "CronJob" => serde_json::from_value::<CronJob>(item.clone()).map(|_| ()),
        "Job" => serde_json::from_value::<Job>(item.clone()).map(|_| ()),
        _ => serde_json::from_value::<k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>(
            item.get("metadata").cloned().unwrap_or(Value::Null),
        )
        .map(|_| ()),
    };
    typed.map_err(|e| bad(e.to_string()))?;
    let Some(name) = name_of(item).filter(|n| !n.is_empty()) else {
        return Err(bad("it has no `metadata.name`".into()));
    };
    let text = |pointer: &str| {
        item.pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let template = item
        .pointer("/spec/template")
        .or_else(|| item.pointer("/spec/jobTemplate/spec/template"));
    let annotation = text("/metadata/annotations/snapset.dev~1commit").or_else(|| {
        template
            .and_then(|t| t.pointer("/metadata/annotations/snapset.dev~1commit"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let images = template
        .and_then(|t| t.pointer("/spec/containers"))
        .and_then(Value::as_array)
        .map(|containers| {
            containers
                .iter()
                .filter_map(|c| {
                    Some((
                        c.get("name")?.as_str()?.to_string(),
                        c.get("image")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let int = |pointer: &str| {
        item.pointer(pointer)
            .and_then(Value::as_i64)
            .and_then(|n| i32::try_from(n).ok())
    };
    let replicas = item
        .get("status")
        .filter(|s| s.is_object())
        .and_then(|_| match kind {
            // The API server defaults spec.replicas to 1.
            "Deployment" | "StatefulSet" => Some(Replicas {
                ready: int("/status/readyReplicas").unwrap_or(0),
                desired: int("/spec/replicas").unwrap_or(1),
            }),
            "DaemonSet" => Some(Replicas {
                ready: int("/status/numberReady").unwrap_or(0),
                desired: int("/status/desiredNumberScheduled").unwrap_or(0),
            }),
            _ => None,
        });
    let stamped = annotation.is_some()
        || text("/metadata/labels/app.kubernetes.io~1managed-by").as_deref() == Some("snapset");
    Ok(LiveDeployment {
        kind: kind.to_string(),
        stamped,
        namespace: text("/metadata/namespace"),
        app: text("/metadata/labels/app"),
        version: text("/metadata/labels/version"),
        name,
        annotation,
        images,
        replicas,
    })
}

impl LiveDeployment {
    /// The image of the service's container: the container named after the
    /// service, else the first one.
    pub fn image(&self, service: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(name, _)| name == service)
            .or(self.images.first())
            .map(|(_, image)| image.as_str())
    }

    /// The commit it claims to run, as written: the annotation, else the
    /// image tag when it is 7 to 40 hex digits.
    pub fn commit(&self, service: &str) -> Option<&str> {
        self.annotation
            .as_deref()
            .or_else(|| self.image(service).and_then(image_commit))
    }

    /// Which service and track it is (docs/status.md, "Which service and
    /// track"). The service: the `app` label, else the name read against
    /// the known services (the longest that is the name or starts it,
    /// `<service>-…`), else, for an object snapset stamped, the service
    /// whose only track pinned at its commit it is. The track: the
    /// `version` label, else a track of the service named after the
    /// service in the object's name (`tower-canary`, `tower-canary-jobs`),
    /// else for a stamped object the track pinned at its commit or the
    /// service's only track — a CronJob `mailer-nightly` of the one-track
    /// `mailer` is `mailer/stable` whatever labels its template sets.
    pub fn identify(&self, known: &Known) -> (String, String) {
        let rest = |service: &str| {
            self.name
                .strip_prefix(service)
                .and_then(|rest| rest.strip_prefix('-'))
                .filter(|t| !t.is_empty())
        };
        let service = match (&self.app, &self.version) {
            (Some(app), _) => app.clone(),
            (None, Some(version)) => self
                .name
                .strip_suffix(version.as_str())
                .and_then(|s| s.strip_suffix('-'))
                .filter(|s| !s.is_empty())
                .unwrap_or(&self.name)
                .to_string(),
            (None, None) => known
                .services
                .iter()
                .filter(|s| **s == self.name || rest(s).is_some())
                .max_by_key(|s| s.len())
                .map(|s| s.to_string())
                .or_else(|| self.pinned_at(known).map(|(s, _)| s.to_string()))
                .unwrap_or_else(|| self.name.clone()),
        };
        if let Some(version) = &self.version {
            return (service, version.clone());
        }
        let tracks = known.tracks.get(service.as_str()).map_or(&[][..], |t| t);
        let after = rest(&service);
        let named = after.and_then(|after| {
            tracks
                .iter()
                .map(|(track, _)| *track)
                .filter(|track| {
                    after == *track
                        || after
                            .strip_prefix(track)
                            .is_some_and(|r| r.starts_with('-'))
                })
                .max_by_key(|track| track.len())
        });
        let stamped = || {
            if !self.stamped {
                return None;
            }
            let commit = self.commit(&service).map(str::to_ascii_lowercase);
            let at: Vec<&str> = tracks
                .iter()
                .filter(|(_, pinned)| {
                    commit
                        .as_ref()
                        .is_some_and(|c| c.len() >= 7 && pinned.starts_with(c.as_str()))
                })
                .map(|(track, _)| *track)
                .collect();
            match (at.as_slice(), tracks) {
                ([track], _) => Some(*track),
                (_, [(only, _)]) => Some(*only),
                _ => None,
            }
        };
        let track = named
            .or_else(stamped)
            .or(after)
            .unwrap_or(crate::load::Track::STABLE)
            .to_string();
        (service, track)
    }

    /// The service and track whose pin is this stamped object's commit,
    /// when exactly one is.
    fn pinned_at<'k>(&self, known: &Known<'k>) -> Option<(&'k str, &'k str)> {
        if !self.stamped {
            return None;
        }
        let commit = self.annotation.as_deref()?.to_ascii_lowercase();
        if commit.len() < 7 {
            return None;
        }
        let mut found = known.tracks.iter().flat_map(|(service, tracks)| {
            tracks
                .iter()
                .filter(|(_, pinned)| pinned.starts_with(&commit))
                .map(move |(track, _)| (*service, *track))
        });
        match (found.next(), found.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    }
}

/// What a live object is read against: the services snapset knows (of
/// snapset.kdl and the snapshot) and each one's tracks in the snapshot with
/// their pinned commits (full hex).
#[derive(Debug, Default)]
pub struct Known<'a> {
    pub services: Vec<&'a str>,
    pub tracks: BTreeMap<&'a str, Vec<(&'a str, String)>>,
}

/// The tag of an image reference when it is a commit hash (7 to 40 hex
/// digits): `registry:5000/shop/cart:9c2cba1a@sha256:…` gives `9c2cba1a`.
pub fn image_commit(image: &str) -> Option<&str> {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rfind('/').map_or(0, |i| i + 1);
    let (_, tag) = image[last..].rsplit_once(':')?;
    ((7..=40).contains(&tag.len()) && tag.bytes().all(|b| b.is_ascii_hexdigit())).then_some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(name: &str, app: Option<&str>, version: Option<&str>) -> LiveDeployment {
        LiveDeployment {
            kind: "Deployment".into(),
            name: name.into(),
            namespace: None,
            app: app.map(Into::into),
            version: version.map(Into::into),
            annotation: None,
            stamped: false,
            images: Vec::new(),
            replicas: None,
        }
    }

    const CART: &str = "c000000000000000000000000000000000000000";
    const STABLE: &str = "a000000000000000000000000000000000000000";
    const CANARY: &str = "b000000000000000000000000000000000000000";

    fn known() -> Known<'static> {
        Known {
            services: vec!["tower", "tower-edge", "cart", "mailer"],
            tracks: [
                ("cart", vec![("stable", CART.to_string())]),
                (
                    "tower",
                    vec![
                        ("stable", STABLE.to_string()),
                        ("canary", CANARY.to_string()),
                    ],
                ),
                ("mailer", vec![("stable", "d".repeat(40))]),
            ]
            .into_iter()
            .collect(),
        }
    }

    fn id(d: &LiveDeployment) -> (String, String) {
        d.identify(&known())
    }

    /// An object snapset rendered: its managed-by label or commit annotation.
    fn stamped(name: &str, app: Option<&str>, commit: Option<&str>) -> LiveDeployment {
        LiveDeployment {
            annotation: commit.map(Into::into),
            stamped: true,
            ..live(name, app, None)
        }
    }

    #[test]
    fn objects_snapset_stamped_are_read_by_their_stamps() {
        // A CronJob of a one-track service, named as its template likes,
        // with or without labels, running the pin or not.
        let old = "e".repeat(40);
        for d in [
            stamped("mailer-nightly", None, Some(&"d".repeat(40))),
            stamped("mailer-nightly", Some("mailer"), Some(&old)),
            stamped("mailer-nightly", None, None),
        ] {
            assert_eq!(id(&d), pair("mailer", "stable"), "{d:?}");
        }
        // A track of several, found by its commit, or by its name after the
        // service's.
        assert_eq!(
            id(&stamped("tower-jobs", None, Some(&CANARY[..10]))),
            pair("tower", "canary")
        );
        assert_eq!(
            id(&stamped("tower-canary-jobs", None, Some(&old))),
            pair("tower", "canary")
        );
        // A name of no service: the track pinned at its commit says which.
        assert_eq!(
            id(&stamped("nightly-report", None, Some(&CART[..12]))),
            pair("cart", "stable")
        );
        // Not stamped: the name alone, as before.
        assert_eq!(
            id(&live("mailer-nightly", None, None)),
            pair("mailer", "nightly")
        );
    }

    fn pair(s: &str, t: &str) -> (String, String) {
        (s.into(), t.into())
    }

    #[test]
    fn labels_win_over_the_name() {
        assert_eq!(
            id(&live("whatever", Some("cart"), Some("canary"))),
            pair("cart", "canary")
        );
        assert_eq!(
            id(&live("cart", Some("cart"), None)),
            pair("cart", "stable")
        );
        assert_eq!(
            id(&live("cart-beta", Some("cart"), None)),
            pair("cart", "beta")
        );
        assert_eq!(
            id(&live("web-beta", None, Some("beta"))),
            pair("web", "beta")
        );
        assert_eq!(id(&live("web", None, Some("beta"))), pair("web", "beta"));
    }

    #[test]
    fn names_are_read_against_known_services() {
        assert_eq!(id(&live("cart", None, None)), pair("cart", "stable"));
        assert_eq!(
            id(&live("tower-canary", None, None)),
            pair("tower", "canary")
        );
        // The longest service that fits: tower-edge is a service of its own.
        assert_eq!(
            id(&live("tower-edge", None, None)),
            pair("tower-edge", "stable")
        );
        assert_eq!(
            id(&live("tower-edge-beta", None, None)),
            pair("tower-edge", "beta")
        );
        assert_eq!(
            id(&live("legacy-api", None, None)),
            pair("legacy-api", "stable")
        );
    }

    #[test]
    fn image_tags_that_are_commits() {
        let full = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            image_commit(&format!("r.example.com/shop/cart:{full}")),
            Some(full)
        );
        assert_eq!(image_commit("cart:9c2cba1"), Some("9c2cba1"));
        assert_eq!(
            image_commit("registry:5000/cart:9c2cba1a@sha256:abcdef0123456789"),
            Some("9c2cba1a")
        );
        assert_eq!(image_commit("registry:5000/cart"), None);
        assert_eq!(image_commit("cart:latest"), None);
        assert_eq!(image_commit("cart:v1.2.3"), None);
        assert_eq!(
            image_commit("cart:abc123"),
            None,
            "6 hex digits are too few"
        );
        assert_eq!(image_commit("cart@sha256:0123456789abcdef"), None);
    }

    #[test]
    fn reads_lists_and_single_deployments() {
        let one = r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"cart","namespace":"shop","labels":{"app":"cart","version":"stable"},"annotations":{"snapset.dev/commit":"9c2cba1a"}},"spec":{"replicas":3,"selector":{},"template":{"spec":{"containers":[{"name":"cart","image":"cart:1234567"}]}}},"status":{"readyReplicas":2}}"#;
        let d = &parse(one, "x").unwrap()[0];
        assert_eq!(d.name, "cart");
        assert_eq!(d.namespace.as_deref(), Some("shop"));
        assert_eq!(d.commit("cart"), Some("9c2cba1a"));
        assert_eq!(
            d.replicas,
            Some(Replicas {
                ready: 2,
                desired: 3
            })
        );
        let list = format!(r#"{{"apiVersion":"v1","kind":"List","items":[{one}]}}"#);
        assert_eq!(parse(&list, "x").unwrap().len(), 1);
        // From the API: items have no kind.
        let api = r#"{"kind":"DeploymentList","apiVersion":"apps/v1","items":[{"metadata":{"name":"a"}}]}"#;
        let a = &parse(api, "x").unwrap()[0];
        assert_eq!((a.name.as_str(), a.replicas), ("a", None));
        let empty =
            r#"{"apiVersion":"v1","items":[],"kind":"List","metadata":{"resourceVersion":""}}"#;
        assert!(parse(empty, "x").unwrap().is_empty());
    }

    /// Any answer of kubectl: other kinds are objects, what a controller
    /// made is left out.
    #[test]
    fn reads_any_kinds() {
        let list = r#"{"kind":"List","items":[
            {"kind":"Pod","metadata":{"name":"cart-1","ownerReferences":[{"kind":"ReplicaSet","name":"cart-x","controller":true}]}},
            {"kind":"ReplicaSet","apiVersion":"apps/v1","metadata":{"name":"cart-x","annotations":{"snapset.dev/commit":"9c2cba1a"},"ownerReferences":[{"kind":"Deployment","name":"cart","controller":true}]}},
            {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"settings"},"data":{"a":"b"}},
            {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"cart"}}
        ]}"#;
        let live = super::parse_all(list, "x").unwrap();
        assert_eq!(live.workloads.len(), 1);
        assert_eq!(live.objects.len(), 1);
        assert_eq!(live.objects[0]["kind"], "ConfigMap");
        let pods = super::parse_all(
            r#"{"kind":"PodList","items":[{"metadata":{"name":"p"}}]}"#,
            "x",
        )
        .unwrap();
        assert_eq!(pods.objects[0]["kind"], "Pod");
        let one = super::parse_all(
            r#"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}"#,
            "x",
        )
        .unwrap();
        assert_eq!((one.workloads.len(), one.objects.len()), (0, 1));
    }

    fn parse(text: &str, input: &str) -> Result<Vec<LiveDeployment>> {
        super::parse(text, input)
    }

    fn message(text: &str) -> String {
        parse(text, "live.json").unwrap_err().kind.to_string()
    }

    #[test]
    fn says_what_it_read_instead() {
        assert!(message("[1]").ends_with("holds a JSON array"));
        assert!(message(r#"{"a":1}"#).ends_with("holds a JSON object without `kind`"));
        assert!(
            message(r#"{"kind":"ConfigMapList"}"#)
                .ends_with("holds a ConfigMapList without an `items` array")
        );
        let yaml = parse("apiVersion: v1\nkind: List\n", "x").unwrap_err();
        assert!(matches!(
            *yaml.kind,
            ErrorKind::LiveNotJson { yaml: true, .. }
        ));
        assert!(message("  \n").contains("it is empty"));
        let bad =
            message(r#"{"kind":"Deployment","apiVersion":"apps/v1beta9","metadata":{"name":"x"}}"#);
        assert!(
            bad.contains("item 1 (`x`)") && bad.contains("apps/v1beta9"),
            "{bad}"
        );
        assert!(message(r#"{"kind":"Deployment"}"#).contains("no `metadata.name`"));
    }
}
