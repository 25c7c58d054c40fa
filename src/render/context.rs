//! What templates see. These structs are the documented template interface
//! (README, "Templates"): renaming a field breaks users' templates.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::EnvSource;
use crate::resolve::{ResolvedEnvironment, ResolvedService, ResolvedTrack};

#[derive(Serialize)]
pub struct Context<'a> {
    pub environment: EnvironmentCtx<'a>,
    pub snapshot: SnapshotCtx<'a>,
    pub service: ServiceCtx<'a>,
    pub tracks: Vec<TrackCtx<'a>>,
    /// The track of a Deployment; `none` in the other templates.
    pub track: Option<TrackCtx<'a>>,
    /// The Deployment's name: `<service>` or `<service>-<track>`.
    pub name: String,
    pub vars: BTreeMap<&'a str, serde_json::Value>,
    pub env: Vec<EnvVarCtx<'a>>,
    pub features: BTreeMap<&'a str, bool>,
}

#[derive(Serialize)]
pub struct EnvironmentCtx<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
}

#[derive(Serialize)]
pub struct SnapshotCtx<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
}

#[derive(Serialize)]
pub struct ServiceCtx<'a> {
    pub name: &'a str,
    pub port: u16,
    pub path: &'a str,
    pub multi_track: bool,
}

#[derive(Serialize, Clone)]
pub struct TrackCtx<'a> {
    pub name: &'a str,
    pub commit: &'a str,
    pub short: &'a str,
    pub image: &'a str,
    pub replicas: i64,
    pub weight: Option<u32>,
    pub header: Option<&'a str>,
    pub value: Option<&'a str>,
}

#[derive(Serialize)]
pub struct EnvVarCtx<'a> {
    pub name: &'a str,
    pub value: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl<'a> TrackCtx<'a> {
    fn new(t: &'a ResolvedTrack) -> Self {
        TrackCtx {
            name: &t.name,
            commit: &t.commit,
            short: &t.commit[..8],
            image: &t.image,
            replicas: t.replicas,
            weight: t.weight,
            header: t.header.as_ref().map(|h| h.0.as_str()),
            value: t.header.as_ref().map(|h| h.1.as_str()),
        }
    }
}

impl<'a> Context<'a> {
    pub fn new(env: &'a ResolvedEnvironment, service: &'a ResolvedService) -> Self {
        let s = &service.settings;
        Context {
            environment: EnvironmentCtx {
                name: &env.name,
                namespace: env.namespace.effective(),
            },
            snapshot: SnapshotCtx {
                name: &env.snapshot.name,
                description: env.snapshot.description.as_deref(),
            },
            service: ServiceCtx {
                name: &service.name,
                port: service.port,
                path: &service.path,
                multi_track: service.is_multi_track(),
            },
            tracks: service.tracks.iter().map(TrackCtx::new).collect(),
            track: None,
            name: service.name.clone(),
            vars: s
                .vars
                .iter()
                .map(|(k, v)| (k.as_str(), v.effective().to_json()))
                .collect(),
            env: s
                .env
                .iter()
                .map(|(k, v)| match v.effective() {
                    EnvSource::Value(value) => EnvVarCtx {
                        name: k,
                        value: Some(value),
                        secret: None,
                        key: None,
                    },
                    EnvSource::Secret { secret, key } => EnvVarCtx {
                        name: k,
                        value: None,
                        secret: Some(secret),
                        key: Some(key),
                    },
                })
                .collect(),
            features: s
                .features
                .iter()
                .map(|(k, v)| (k.as_str(), *v.effective()))
                .collect(),
        }
    }

    /// The same context, focused on one track for its Deployment.
    pub fn for_track(&mut self, service: &ResolvedService, index: usize) {
        let track = self.tracks[index].clone();
        self.name = if service.is_multi_track() {
            format!("{}-{}", service.name, track.name)
        } else {
            service.name.clone()
        };
        self.track = Some(track);
    }
}
