//! What templates see. These structs are the documented template interface
//! (docs/templates.md): renaming a field breaks users' templates. Service
//! and track scope share `Context` (`track` is none in service scope);
//! environment scope has `EnvironmentContext`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::EnvSource;
use crate::resolve::{ResolvedEnvironment, ResolvedService, ResolvedTrack, Settings};

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
    /// The service's values; in track scope, the track's when its
    /// snapshot block sets values of its own.
    pub vars: serde_json::Map<String, serde_json::Value>,
    pub env: Vec<EnvVarCtx<'a>>,
    pub features: BTreeMap<&'a str, bool>,
    /// Whether `vars`, `env` and `features` are a track's own.
    #[serde(skip)]
    pub track_values: bool,
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
    /// `none` for a service without a port (a worker).
    pub port: Option<u16>,
    pub path: &'a str,
    pub multi_track: bool,
    /// The template set it renders; `none` for the default set.
    pub templates: Option<&'a str>,
}

/// The context of environment-scope templates.
#[derive(Serialize)]
pub struct EnvironmentContext<'a> {
    pub environment: EnvironmentCtx<'a>,
    pub snapshot: SnapshotCtx<'a>,
    /// The environment's global variables (no service section).
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Every service of the environment, sorted by name.
    pub services: Vec<EnvServiceCtx<'a>>,
}

/// A service as environment-scope templates see it.
#[derive(Serialize)]
pub struct EnvServiceCtx<'a> {
    #[serde(flatten)]
    pub service: ServiceCtx<'a>,
    pub tracks: Vec<TrackCtx<'a>>,
    /// The service's own variables (global ones and its sections').
    pub vars: serde_json::Map<String, serde_json::Value>,
    pub features: BTreeMap<&'a str, bool>,
}

impl<'a> EnvironmentContext<'a> {
    pub fn new(env: &'a ResolvedEnvironment) -> Self {
        EnvironmentContext {
            environment: EnvironmentCtx::new(env),
            snapshot: SnapshotCtx::new(env),
            vars: env.vars.to_json(),
            services: env
                .services
                .iter()
                .map(|s| EnvServiceCtx {
                    service: ServiceCtx::new(s),
                    tracks: s.tracks.iter().map(TrackCtx::new).collect(),
                    vars: s.settings.vars.to_json(),
                    features: features(s),
                })
                .collect(),
        }
    }
}

impl<'a> EnvironmentCtx<'a> {
    fn new(env: &'a ResolvedEnvironment) -> Self {
        EnvironmentCtx {
            name: &env.name,
            namespace: env.namespace.effective(),
        }
    }
}

impl<'a> SnapshotCtx<'a> {
    fn new(env: &'a ResolvedEnvironment) -> Self {
        SnapshotCtx {
            name: &env.snapshot.name,
            description: env.snapshot.description.as_deref(),
        }
    }
}

impl<'a> ServiceCtx<'a> {
    fn new(service: &'a ResolvedService) -> Self {
        ServiceCtx {
            name: &service.name,
            port: service.port,
            path: &service.path,
            multi_track: service.is_multi_track(),
            templates: service.templates.as_deref(),
        }
    }
}

fn features(service: &ResolvedService) -> BTreeMap<&str, bool> {
    features_of(&service.settings)
}

fn features_of(settings: &Settings) -> BTreeMap<&str, bool> {
    settings
        .features
        .iter()
        .map(|(k, v)| (k.as_str(), *v.effective()))
        .collect()
}

/// The container variables as templates see them, in written order.
fn env_of(settings: &Settings) -> Vec<EnvVarCtx<'_>> {
    settings
        .env_in_order()
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
        .collect()
}

#[derive(Serialize, Clone)]
pub struct TrackCtx<'a> {
    pub name: &'a str,
    pub commit: &'a str,
    pub short: &'a str,
    pub image: &'a str,
    /// `none` when `replicas null` leaves them to an autoscaler.
    pub replicas: Option<i64>,
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
            environment: EnvironmentCtx::new(env),
            snapshot: SnapshotCtx::new(env),
            service: ServiceCtx::new(service),
            tracks: service.tracks.iter().map(TrackCtx::new).collect(),
            track: None,
            name: service.name.clone(),
            vars: s.vars.to_json(),
            env: env_of(s),
            features: features(service),
            track_values: false,
        }
    }

    /// The same context, focused on one track (track scope), with the
    /// track's own values where its snapshot block sets some.
    pub fn for_track(&mut self, service: &'a ResolvedService, index: usize) {
        let track = self.tracks[index].clone();
        self.name = if service.is_multi_track() {
            format!("{}-{}", service.name, track.name)
        } else {
            service.name.clone()
        };
        self.track = Some(track);
        let own = service.tracks[index].settings.as_ref();
        if own.is_some() || self.track_values {
            self.values(service.settings_of(&service.tracks[index]));
            self.track_values = own.is_some();
        }
    }

    /// Back to the service (service scope): no track, the service's values.
    pub fn for_service(&mut self, service: &'a ResolvedService) {
        self.track = None;
        self.name = service.name.clone();
        if self.track_values {
            self.values(&service.settings);
            self.track_values = false;
        }
    }

    fn values(&mut self, settings: &'a Settings) {
        self.vars = settings.vars.to_json();
        self.env = env_of(settings);
        self.features = features_of(settings);
    }
}
