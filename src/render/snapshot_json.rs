//! `out/<env>/snapshot.json`: the resolved snapshot as data, for machines
//! (CI, dashboards) and for `diff`, which compares two of them to say which
//! services moved. Its fields are documented in the README; keep them stable.

use std::collections::BTreeMap;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::load::EnvSource;
use crate::resolve::{ResolvedEnvironment, ResolvedService, Settings};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotJson {
    pub environment: String,
    pub namespace: String,
    pub snapshot: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub varset: String,
    /// The cluster of an environment declared with clusters, and its
    /// varset (layered over `varset`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterJson>,
    pub services: Vec<SnapshotJsonService>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterJson {
    pub name: String,
    pub varset: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotJsonService {
    pub name: String,
    pub path: String,
    /// The named repository the service lives in; absent for the default
    /// one, so single-repository workspaces keep their files byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// The template set; absent for the default set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<String>,
    pub tracks: Vec<SnapshotJsonTrack>,
    #[serde(default)]
    pub vars: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub env: BTreeMap<String, EnvJson>,
    #[serde(default)]
    pub features: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EnvJson {
    Value(String),
    Secret { secret: String, key: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotJsonTrack {
    pub name: String,
    pub commit: String,
    pub image: String,
    /// From `snapset.lock`; absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Absent when `replicas null` leaves them to an autoscaler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<HeaderJson>,
    /// The track's own values, when its snapshot block sets some (all
    /// three, effective, as the service's are); absent: the service's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vars: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, EnvJson>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<BTreeMap<String, bool>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderJson {
    pub name: String,
    pub value: String,
}

impl SnapshotJson {
    pub fn new(env: &ResolvedEnvironment) -> Self {
        SnapshotJson {
            environment: env.name.clone(),
            namespace: env.namespace.effective().clone(),
            snapshot: env.snapshot.name.clone(),
            description: env.snapshot.description.clone(),
            varset: env.varset.clone(),
            cluster: env.cluster.as_ref().map(|c| ClusterJson {
                name: c.name.clone(),
                varset: c.varset.clone(),
            }),
            services: env.services.iter().map(SnapshotJsonService::of).collect(),
        }
    }

    /// The bytes of `SnapshotJson::new(env)`, each service made, written
    /// and dropped in turn: the whole structure of a 10,000-service
    /// environment (maps of every service's values) is tens of megabytes,
    /// built while the rest of the render is still held.
    pub fn bytes_of(env: &ResolvedEnvironment) -> Vec<u8> {
        // Sized for the file at once (about 700 bytes a service): grown by
        // doubling, the buffer of a 10,000-service environment was copied
        // a dozen times and held twice its size at the end.
        let mut bytes = Vec::with_capacity(1024 + 768 * env.services.len());
        serde_json::to_writer_pretty(&mut bytes, &Streamed(env)).expect("snapshot.json serialises");
        bytes.push(b'\n');
        bytes
    }
}

fn vars(settings: &Settings) -> BTreeMap<String, serde_json::Value> {
    settings.vars.to_json().into_iter().collect()
}

fn env_vars(settings: &Settings) -> BTreeMap<String, EnvJson> {
    settings
        .env
        .iter()
        .map(|(k, v)| {
            let json = match v.effective() {
                EnvSource::Value(value) => EnvJson::Value(value.clone()),
                EnvSource::Secret { secret, key } => EnvJson::Secret {
                    secret: secret.clone(),
                    key: key.clone(),
                },
            };
            (k.clone(), json)
        })
        .collect()
}

fn features(settings: &Settings) -> BTreeMap<String, bool> {
    settings
        .features
        .iter()
        .map(|(k, v)| (k.clone(), *v.effective()))
        .collect()
}

impl SnapshotJsonService {
    fn of(s: &ResolvedService) -> Self {
        SnapshotJsonService {
            name: s.name.clone(),
            path: s.path.clone(),
            repo: s.repo.clone(),
            port: s.port,
            templates: s.templates.clone(),
            tracks: s
                .tracks
                .iter()
                .map(|t| SnapshotJsonTrack {
                    name: t.name.clone(),
                    commit: t.commit.clone(),
                    image: t.image.clone(),
                    digest: t.digest.clone(),
                    replicas: t.replicas,
                    weight: t.weight,
                    header: t.header.as_ref().map(|(name, value)| HeaderJson {
                        name: name.clone(),
                        value: value.clone(),
                    }),
                    vars: t.settings.as_ref().map(vars),
                    env: t.settings.as_ref().map(env_vars),
                    features: t.settings.as_ref().map(features),
                })
                .collect(),
            vars: vars(&s.settings),
            env: env_vars(&s.settings),
            features: features(&s.settings),
        }
    }
}

/// `SnapshotJson` of an environment as serde writes it, field for field
/// (the services last), with the services made one at a time.
struct Streamed<'a>(&'a ResolvedEnvironment);

impl Serialize for Streamed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let env = self.0;
        let mut out = serializer.serialize_struct("SnapshotJson", 7)?;
        out.serialize_field("environment", &env.name)?;
        out.serialize_field("namespace", env.namespace.effective())?;
        out.serialize_field("snapshot", &env.snapshot.name)?;
        match &env.snapshot.description {
            Some(description) => out.serialize_field("description", description)?,
            None => out.skip_field("description")?,
        }
        out.serialize_field("varset", &env.varset)?;
        match &env.cluster {
            Some(c) => out.serialize_field(
                "cluster",
                &ClusterJson {
                    name: c.name.clone(),
                    varset: c.varset.clone(),
                },
            )?,
            None => out.skip_field("cluster")?,
        }
        out.serialize_field("services", &Services(&env.services))?;
        out.end()
    }
}

struct Services<'a>(&'a [ResolvedService]);

impl Serialize for Services<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(SnapshotJsonService::of))
    }
}
