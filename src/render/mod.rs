//! Stage 3, render: turns a resolved `Release` into the bytes of every file
//! of `out/<env>/`, in memory. Each document is rendered from its template,
//! read back, checked against its type and written out by snapset's own
//! YAML writer, so the bytes depend only on the input.

mod builtin;
pub mod context;
pub mod istio;
mod snapshot_json;
pub mod templates;
pub mod validate;
pub mod yaml;
mod yaml_depth;
mod yaml_read;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Result};
use crate::resolve::{Release, ResolvedEnvironment, ResolvedService};
use crate::sources::{Loc, Sources};

pub use snapshot_json::{EnvJson, SnapshotJson, SnapshotJsonService, SnapshotJsonTrack};
pub use templates::Templates;
use validate::Kind;

/// The files of one environment's folder, by path relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEnvironment {
    pub name: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

pub struct Renderer<'a> {
    templates: &'a Templates,
    sources: &'a Sources,
}

impl<'a> Renderer<'a> {
    pub fn new(templates: &'a Templates, sources: &'a Sources) -> Self {
        Renderer { templates, sources }
    }

    /// Renders every environment; services render in parallel, and the
    /// output order never depends on which finishes first.
    pub fn render(&self, release: &Release) -> Result<Vec<RenderedEnvironment>> {
        let jobs: Vec<(&ResolvedEnvironment, &ResolvedService)> = release
            .environments
            .iter()
            .flat_map(|e| e.services.iter().map(move |s| (e, s)))
            .collect();
        let results: Vec<Result<Vec<(String, Vec<u8>)>>> = jobs
            .par_iter()
            .map(|(env, service)| self.service(env, service))
            .collect();
        let mut files: Vec<BTreeMap<String, Vec<u8>>> =
            vec![BTreeMap::new(); release.environments.len()];
        let mut errors = Vec::new();
        let owners = release
            .environments
            .iter()
            .enumerate()
            .flat_map(|(i, e)| e.services.iter().map(move |_| i));
        for (i, result) in owners.zip(results) {
            match result {
                Ok(rendered) => files[i].extend(rendered),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        Ok(release
            .environments
            .par_iter()
            .zip(files)
            .map(|(env, mut files)| {
                let kustomization = kustomization(&files);
                files.insert("kustomization.yaml".into(), kustomization);
                files.insert("snapshot.json".into(), SnapshotJson::new(env).to_bytes());
                RenderedEnvironment {
                    name: env.name.clone(),
                    files,
                }
            })
            .collect())
    }

    fn service(
        &self,
        env: &ResolvedEnvironment,
        service: &ResolvedService,
    ) -> Result<Vec<(String, Vec<u8>)>> {
        let mut ctx = context::Context::new(env, service);
        let mut out = Vec::new();
        for (i, track) in service.tracks.iter().enumerate() {
            ctx.for_track(service, i);
            let file = if service.is_multi_track() {
                format!("{}/deployment-{}.yaml", service.name, track.name)
            } else {
                format!("{}/deployment.yaml", service.name)
            };
            out.push((file, self.document(Kind::Deployment, &ctx)?));
        }
        ctx.track = None;
        ctx.name = service.name.clone();
        out.push((
            format!("{}/service.yaml", service.name),
            self.document(Kind::Service, &ctx)?,
        ));
        if service.is_multi_track() {
            for kind in [Kind::DestinationRule, Kind::VirtualService] {
                out.push((
                    format!("{}/{}.yaml", service.name, kind.file_stem()),
                    self.document(kind, &ctx)?,
                ));
            }
        }
        Ok(out)
    }

    fn document(&self, kind: Kind, ctx: &context::Context) -> Result<Vec<u8>> {
        if self.templates.is_built_in(kind) {
            let compiled = match kind {
                Kind::Deployment => builtin::deployment(ctx),
                Kind::Service => builtin::service(ctx),
                _ => None,
            };
            if let Some(bytes) = compiled {
                debug_assert_eq!(
                    String::from_utf8_lossy(&self.from_template(kind, ctx)?),
                    String::from_utf8_lossy(&bytes),
                    "the compiled built-in {} differs from its template",
                    kind.name()
                );
                return Ok(bytes);
            }
        }
        self.from_template(kind, ctx)
    }

    fn from_template(&self, kind: Kind, ctx: &context::Context) -> Result<Vec<u8>> {
        let text = self.templates.render(kind, ctx, self.sources)?;
        let file = self.templates.file(kind);
        let template = &self.sources.get(file).name;
        if let Some((depth, line)) = yaml_depth::too_deep(&text) {
            return Err(Error::new(ErrorKind::Manifest {
                template: template.clone(),
                kind: kind.name(),
                detail: format!(
                    "the rendered text is nested {depth} levels deep at its line {line}; snapset reads at most {}",
                    yaml_depth::MAX_NESTING
                ),
            }));
        }
        let doc = match yaml_read::parse(&text) {
            Some(doc) => {
                debug_assert_eq!(
                    serde_norway::from_str::<serde_json::Value>(&text)
                        .ok()
                        .as_ref(),
                    Some(&doc),
                    "{text}"
                );
                Ok(doc)
            }
            None => serde_norway::from_str::<serde_json::Value>(&text),
        };
        let doc: serde_json::Value = doc.map_err(|e| {
            Error::new(ErrorKind::Manifest {
                template: template.clone(),
                kind: kind.name(),
                detail: format!("the rendered text is not YAML: {e}\n{}", numbered(&text)),
            })
        })?;
        validate::check(kind, &doc).map_err(|problem| {
            let error = Error::new(ErrorKind::Manifest {
                template: template.clone(),
                kind: kind.name(),
                detail: problem.detail,
            });
            let text = &self.sources.get(file).text;
            match problem.key.and_then(|k| find_key(text, &k)) {
                Some(span) => error.label(&Loc { file, span }, "written here"),
                None => error,
            }
        })?;
        Ok(yaml::to_yaml(&doc).into_bytes())
    }
}

/// Where `key:` first appears in a template, to point at the line that
/// wrote an unknown field.
fn find_key(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let needle = format!("{key}:");
    text.match_indices(&needle)
        .find(|(at, _)| *at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric())
        .map(|(at, _)| at..at + key.len())
}

fn numbered(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} | {l}\n", i + 1))
        .collect()
}

/// `kustomization.yaml`, listing every manifest so that `kubectl kustomize`,
/// Argo CD and Flux read the folder.
fn kustomization(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let resources: Vec<serde_json::Value> = files
        .keys()
        .map(|k| serde_json::Value::String(k.clone()))
        .collect();
    let doc = serde_json::json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    });
    yaml::to_yaml(&doc).into_bytes()
}
