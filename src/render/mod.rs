//! Stage 3, render: turns a resolved `Release` into the bytes of every file
//! of `out/<env>/`, in memory. Each document is rendered from its template,
//! read back, checked against its type and written out by snapset's own
//! YAML writer, so the bytes depend only on the input.

pub mod agent;
mod blame;
mod builtin;
mod bypass;
pub mod context;
mod documents;
mod inject;
pub mod limits;
pub mod policy;
mod probes;
pub mod reads;
pub mod schema;
mod snapshot_json;
pub mod templates;
mod undefined;
mod unused;
mod waves;
mod whole;
pub mod yaml;
mod yaml_depth;
mod yaml_read;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::error::sources::{Loc, Sources};
use crate::error::{Error, ErrorKind, Result, Targets, targets};
use crate::render::schema::{Problem, Schemas};
use crate::resolve::{Release, ResolvedEnvironment, ResolvedService, Vars};

use limits::Budgets;
pub use limits::Limits;
pub use snapshot_json::{EnvJson, SnapshotJson, SnapshotJsonService, SnapshotJsonTrack};
pub use templates::Templates;
use templates::{BuiltIn, Meter, Template};

/// The files of one environment's folder, by path relative to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEnvironment {
    pub name: String,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// One rendered file, with the template that wrote it and the facts of
/// its documents, which the whole-environment check reads.
struct Output<'r> {
    path: String,
    bytes: Vec<u8>,
    template: String,
    written: whole::Written<'r>,
    objects: Vec<whole::Object<'r>>,
}

/// An environment's files by path: bytes, and the template that wrote it.
type Files = BTreeMap<String, (Vec<u8>, String)>;

/// One environment rendered: its files, the errors of its documents, those
/// of the environment as a whole, and its documents when policies judge them.
struct Judged<'r> {
    files: Files,
    errors: Vec<Error>,
    whole: Vec<Error>,
    documents: Vec<whole::Rendered<'r>>,
}

/// What renders in one job: an environment's own templates, or a service.
enum Job<'r> {
    Environment,
    Service(&'r ResolvedService),
}

/// What a template renders for: the environment and service its errors
/// name, and the variables it saw, which its errors may blame.
#[derive(Clone, Copy)]
struct Scene<'r> {
    env: &'r ResolvedEnvironment,
    service: Option<&'r ResolvedService>,
    vars: &'r Vars,
}

impl Scene<'_> {
    fn targets(&self) -> Targets {
        Targets::one(&self.env.name, self.service.map(|s| s.name.as_str()))
    }
}

pub struct Renderer<'a> {
    templates: &'a Templates,
    schemas: &'a Schemas,
    sources: &'a Sources,
    limits: Limits,
    /// `false`: every file is rendered and checked, then its bytes dropped.
    keep_bytes: bool,
    /// What user templates wrote that may bypass a canary's split.
    bypasses: bypass::Bypasses,
    /// The workspace's `policies/`, when it has them.
    policies: Option<&'a policy::Policies>,
    /// What the policies warned about, and their dryrun verdicts.
    policy_notes: std::sync::Mutex<(Vec<Error>, Vec<Error>)>,
    /// How `requires` orders the rollout (the agent of snapset.kdl).
    rollout: agent::Rollout,
}

impl<'a> Renderer<'a> {
    pub fn new(templates: &'a Templates, schemas: &'a Schemas, sources: &'a Sources) -> Self {
        Renderer {
            templates,
            schemas,
            sources,
            limits: Limits::default(),
            keep_bytes: true,
            bypasses: bypass::Bypasses::default(),
            policies: None,
            policy_notes: Default::default(),
            rollout: agent::Rollout::None,
        }
    }

    /// Judges every rendered object by `policies` before the render
    /// succeeds.
    pub fn with_policies(mut self, policies: Option<&'a policy::Policies>) -> Self {
        self.policies = policies;
        self
    }

    /// The dryrun verdicts of the policies: for `check --format json` only.
    pub fn policy_dryrun(&self) -> Vec<Error> {
        match self.policy_notes.lock() {
            Ok(mut notes) => std::mem::take(&mut notes.1),
            Err(_) => Vec::new(),
        }
    }

    /// `object` with its document, when policies will judge it.
    fn with_doc<'o>(
        &self,
        mut object: whole::Object<'o>,
        doc: impl FnOnce() -> policy::Doc,
    ) -> whole::Object<'o> {
        if self.policies.is_some() {
            object.doc = Some(std::sync::Arc::new(doc()));
        }
        object
    }

    /// `object` with the YAML written for it, when policies will judge it,
    /// and the bytes for the file. A renderer that keeps no bytes
    /// (`paths_only`) moves them to the document rather than copying them:
    /// the file's are dropped anyway.
    fn with_written<'o>(
        &self,
        mut object: whole::Object<'o>,
        bytes: Vec<u8>,
    ) -> (whole::Object<'o>, Vec<u8>) {
        if self.policies.is_none() {
            return (object, bytes);
        }
        let (doc, file) = match self.keep_bytes {
            true => (bytes.clone(), bytes),
            false => (bytes, Vec::new()),
        };
        object.doc = Some(std::sync::Arc::new(policy::Doc::written(doc)));
        (object, file)
    }

    /// Orders the rollout for the agent of snapset.kdl: Argo CD's sync
    /// waves on every object of a service, or Flux's Kustomization per
    /// service folder.
    pub fn with_rollout(mut self, rollout: agent::Rollout) -> Self {
        self.rollout = rollout;
        self
    }

    /// A renderer whose `RenderedEnvironment`s list every file with empty
    /// bytes: what `check` needs. Holding the bytes of a whole release
    /// until the end was the largest part of its memory after the resolved
    /// release itself (8.5 MB at 1,000 services × 3 environments).
    pub fn paths_only(mut self) -> Self {
        self.keep_bytes = false;
        self
    }

    /// The limits of the templates' work (`--limit`); the templates' own
    /// fuel is set on them (`Templates::limit`).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Renders every environment; services render in parallel, and the
    /// output order never depends on which finishes first.
    pub fn render(&self, release: &Release) -> Result<Vec<RenderedEnvironment>> {
        let budgets = Budgets::new(self.limits, release.environments.len());
        // The sync wave of each service, per snapshot: environments and
        // clusters of one snapshot share it.
        let mut waves: BTreeMap<&str, std::collections::HashMap<&str, usize>> = BTreeMap::new();
        if self.rollout == agent::Rollout::Waves && self.keep_bytes {
            for env in &release.environments {
                waves
                    .entry(env.snapshot.name.as_str())
                    .or_insert_with(|| env.snapshot.waves());
            }
        }
        // Each environment is judged whole as soon as its own documents
        // are rendered, while the other threads render the next one's: no
        // environment's check waits for the slowest, and its facts are
        // dropped then.
        let judged: Vec<Judged> = release
            .environments
            .par_iter()
            .enumerate()
            .map(|(i, env)| {
                let waves = waves.get(env.snapshot.name.as_str());
                self.render_environment(i, env, &budgets, waves)
            })
            .collect();
        let mut errors = Vec::new();
        let mut whole = Vec::new();
        let mut all_files = Vec::with_capacity(judged.len());
        let mut documents = Vec::with_capacity(judged.len());
        for mut j in judged {
            errors.append(&mut j.errors);
            whole.append(&mut j.whole);
            all_files.push(j.files);
            documents.push(j.documents);
        }
        // The environment as a whole is reported once each of its
        // documents, in every environment, passed.
        if errors.is_empty() {
            errors = whole;
        }
        if errors.is_empty()
            && let Some(policies) = self.policies
        {
            match policy::check(policies, release, &documents, self.sources) {
                Ok(verdicts) => {
                    errors = verdicts.errors;
                    if let Ok(mut notes) = self.policy_notes.lock() {
                        notes.0.extend(verdicts.warnings);
                        notes.1.extend(verdicts.dryrun);
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        drop(documents);
        if !errors.is_empty() {
            return Err(Error::many(targets::merge(errors)));
        }
        let folders: Vec<RenderedEnvironment> = release
            .environments
            .par_iter()
            .zip(all_files)
            .map(|(env, files)| {
                let mut files: BTreeMap<String, Vec<u8>> = files
                    .into_iter()
                    .map(|(k, (bytes, _))| (k, bytes))
                    .collect();
                if self.rollout == agent::Rollout::Split {
                    // Flux applies each service folder as a Kustomization
                    // of its own; the environment's lists only its own
                    // objects, so nothing is applied twice.
                    let mut by_service: BTreeMap<String, BTreeMap<String, Vec<u8>>> =
                        BTreeMap::new();
                    for (path, bytes) in &files {
                        if let Some((service, rest)) = path.split_once('/') {
                            by_service
                                .entry(service.to_string())
                                .or_default()
                                .insert(rest.to_string(), bytes.clone());
                        }
                    }
                    let own: BTreeMap<String, Vec<u8>> = files
                        .iter()
                        .filter(|(k, _)| !k.contains('/'))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    for (service, service_files) in by_service {
                        files.insert(
                            format!("{service}/kustomization.yaml"),
                            kustomization(&service_files),
                        );
                    }
                    files.insert("kustomization.yaml".into(), kustomization(&own));
                } else {
                    let kustomization = kustomization(&files);
                    files.insert("kustomization.yaml".into(), kustomization);
                }
                let snapshot = if self.keep_bytes {
                    SnapshotJson::bytes_of(env)
                } else {
                    Vec::new()
                };
                files.insert("snapshot.json".into(), snapshot);
                if let Some(cluster) = env.cluster_name() {
                    files = files
                        .into_iter()
                        .map(|(k, v)| (format!("{cluster}/{k}"), v))
                        .collect();
                }
                RenderedEnvironment {
                    name: env.name.clone(),
                    files,
                }
            })
            .collect();
        // The clusters of an environment are one folder of `out/`, written
        // whole like any environment: they take the same pins at once.
        let mut out: Vec<RenderedEnvironment> = Vec::with_capacity(folders.len());
        for folder in folders {
            match out.last_mut() {
                Some(last) if last.name == folder.name => last.files.extend(folder.files),
                _ => out.push(folder),
            }
        }
        Ok(out)
    }

    /// One environment's files (with the template that wrote each), the
    /// errors of its documents, and, when there are none, those of the
    /// environment as a whole.
    fn render_environment<'r>(
        &self,
        i: usize,
        env: &'r ResolvedEnvironment,
        budgets: &Budgets,
        waves: Option<&std::collections::HashMap<&str, usize>>,
    ) -> Judged<'r>
    where
        'a: 'r,
    {
        let jobs: Vec<Job> = std::iter::once(Job::Environment)
            .chain(env.services.iter().map(Job::Service))
            .collect();
        let results: Vec<Result<Vec<Output>>> = jobs
            .par_iter()
            .map(|job| {
                // Past a limit the run fails: what is left is not rendered.
                if budgets.stopped() {
                    return Ok(Vec::new());
                }
                let meter = Meter {
                    budgets,
                    env: i,
                    environment: &env.name,
                };
                let mut outputs = match job {
                    Job::Environment => self.environment(env, &meter),
                    Job::Service(service) => self.service(env, service, &meter),
                }?;
                if let (Job::Service(service), Some(waves)) = (job, waves) {
                    let wave = waves.get(service.name.as_str()).copied().unwrap_or(0);
                    for output in &mut outputs {
                        output.bytes = waves::annotate(&output.bytes, wave);
                    }
                }
                if !self.keep_bytes {
                    for output in &mut outputs {
                        output.bytes = Vec::new();
                    }
                }
                Ok(outputs)
            })
            .collect();
        let mut files: Files = BTreeMap::new();
        let mut documents: Vec<whole::Rendered<'r>> = Vec::with_capacity(2 * jobs.len());
        let mut errors = Vec::new();
        for result in results {
            match result {
                Ok(outputs) => {
                    for mut output in outputs {
                        let written = output.written;
                        documents.extend(
                            std::mem::take(&mut output.objects)
                                .into_iter()
                                .map(|object| whole::Rendered { written, object }),
                        );
                        if let Some(first) = files.get(&output.path) {
                            errors.push(Error::new(ErrorKind::OutputClash {
                                path: format!("out/{}/{}", env.folder(), output.path),
                                first: first.1.clone(),
                                second: output.template,
                            }));
                        } else {
                            files.insert(output.path, (output.bytes, output.template));
                        }
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let whole = match errors.is_empty() {
            true => whole::check(env, &documents, self.sources),
            false => Vec::new(),
        };
        // The policies judge every environment's documents at once, after
        // the whole-environment checks: kept only for them.
        if self.policies.is_none() {
            documents = Vec::new();
        }
        Judged {
            files,
            errors,
            whole,
            documents,
        }
    }

    /// Var keys no template reads, per environment: they depend on the
    /// templates and the release only, so they may run beside `render`.
    pub fn unused_vars(&self, release: &Release) -> Vec<Error> {
        unused::unused_vars(self.templates, release)
    }

    /// Traffic that bypasses a split, as `render` found it.
    pub fn bypass_warnings(&self, release: &Release) -> Vec<Error> {
        self.bypasses.warnings(release)
    }

    /// What the policies warned about.
    pub fn policy_warnings(&self) -> Vec<Error> {
        match self.policy_notes.lock() {
            Ok(mut notes) => std::mem::take(&mut notes.0),
            Err(_) => Vec::new(),
        }
    }

    /// The environment-scope templates of the default set.
    fn environment<'r>(
        &self,
        env: &'r ResolvedEnvironment,
        meter: &Meter,
    ) -> Result<Vec<Output<'r>>>
    where
        'a: 'r,
    {
        let list = &self.templates.set(None).environment;
        if list.is_empty() {
            return Ok(Vec::new());
        }
        let ctx = minijinja::Value::from(minijinja::value::Serde(
            context::EnvironmentContext::new(env),
        ));
        let scene = Scene {
            env,
            service: None,
            vars: &env.vars,
        };
        let mut out = Vec::new();
        for t in list {
            let mut objects = Vec::new();
            let rendered =
                self.render_template(t, ctx.clone(), None, scene, meter, &mut objects)?;
            if let Some(bytes) = rendered {
                out.push(Output {
                    path: format!("{}.yaml", t.stem),
                    bytes,
                    template: t.name.clone(),
                    written: whole::Written {
                        template: t,
                        service: None,
                        track: None,
                    },
                    objects,
                });
            }
        }
        Ok(out)
    }

    /// The service- and track-scope templates of the service's set.
    fn service<'r>(
        &self,
        env: &'r ResolvedEnvironment,
        service: &'r ResolvedService,
        meter: &Meter,
    ) -> Result<Vec<Output<'r>>>
    where
        'a: 'r,
    {
        let set = self.templates.set(service.templates.as_deref());
        if set
            .track
            .iter()
            .any(|t| t.built_in == Some(BuiltIn::Deployment))
        {
            probes::check(service)?;
        }
        let scene = Scene {
            env,
            service: Some(service),
            vars: &service.settings.vars,
        };
        let mut ctx = context::Context::new(env, service);
        // Built from the typed context when a template needs it: the
        // compiled built-ins do not. In track scope it serves every track
        // with the service's values (`track` and `name` are set on top).
        let mut base: Option<minijinja::Value> = None;
        let mut out = Vec::new();
        for t in &set.track {
            for (i, track) in service.tracks.iter().enumerate() {
                ctx.for_track(service, i);
                // A track's own `vars` (its snapshot block) are what its
                // templates saw, so a wrong value is blamed on them.
                let scene = Scene {
                    vars: &service.settings_of(track).vars,
                    ..scene
                };
                let path = if service.is_multi_track() {
                    format!("{}/{}-{}.yaml", service.name, t.stem, track.name)
                } else {
                    format!("{}/{}.yaml", service.name, t.stem)
                };
                let stamp = inject::TrackStamp {
                    commit: &track.commit,
                };
                let compiled = match t.built_in {
                    Some(BuiltIn::Deployment) => builtin::deployment(&ctx),
                    _ => None,
                };
                let mut objects = Vec::new();
                let bytes = match compiled {
                    Some(bytes) => {
                        self.debug_compare(t, &ctx, Some(&stamp), Some(&bytes), scene);
                        let object = whole::builtin::deployment(&ctx)
                            .expect("a compiled Deployment has a track");
                        whole::builtin::same(
                            &bytes,
                            &object,
                            self.schemas,
                            ctx.environment.namespace,
                        );
                        let (object, bytes) = self.with_written(object, bytes);
                        objects.push(object);
                        Some(bytes)
                    }
                    None => {
                        let base = match ctx.track_values {
                            true => service_value(&ctx),
                            false => base.get_or_insert_with(|| service_value(&ctx)).clone(),
                        };
                        let value = minijinja::context! {
                            track => minijinja::Value::from(minijinja::value::Serde(&ctx.track)),
                            name => ctx.name.clone(),
                            ..base
                        };
                        self.render_template(t, value, Some(&stamp), scene, meter, &mut objects)?
                    }
                };
                if let Some(bytes) = bytes {
                    out.push(Output {
                        path,
                        bytes,
                        template: t.name.clone(),
                        written: whole::Written {
                            template: t,
                            service: Some(service),
                            track: Some(i),
                        },
                        objects,
                    });
                }
            }
        }
        ctx.for_service(service);
        // Service scope sees `track` none and `name` the service's: not the
        // track-scope value, which carries the last track.
        let mut base: Option<minijinja::Value> = None;
        for t in &set.service {
            let mut objects = Vec::new();
            let bytes = match t.built_in {
                Some(BuiltIn::Service) => {
                    let compiled = builtin::service(&ctx);
                    self.debug_compare(t, &ctx, None, compiled.as_deref(), scene);
                    compiled.map(|bytes| {
                        let object = whole::builtin::service(&ctx);
                        whole::builtin::same(
                            &bytes,
                            &object,
                            self.schemas,
                            ctx.environment.namespace,
                        );
                        let (object, bytes) = self.with_written(object, bytes);
                        objects.push(object);
                        bytes
                    })
                }
                Some(BuiltIn::DestinationRule | BuiltIn::VirtualService)
                    if !(service.is_multi_track() && service.port.is_some()) =>
                {
                    None
                }
                _ => {
                    let base = base.get_or_insert_with(|| service_value(&ctx));
                    self.render_template(t, base.clone(), None, scene, meter, &mut objects)?
                }
            };
            if let Some(bytes) = bytes {
                out.push(Output {
                    path: format!("{}/{}.yaml", service.name, t.stem),
                    bytes,
                    template: t.name.clone(),
                    written: whole::Written {
                        template: t,
                        service: Some(service),
                        track: None,
                    },
                    objects,
                });
            }
        }
        Ok(out)
    }

    /// Debug builds (and so every test) render a compiled built-in through
    /// its template too, and insist on the same bytes.
    fn debug_compare(
        &self,
        t: &Template,
        ctx: &context::Context,
        stamp: Option<&inject::TrackStamp>,
        compiled: Option<&[u8]>,
        scene: Scene,
    ) {
        if cfg!(debug_assertions) {
            // Not counted against the environment: release builds do not
            // render it.
            let unlimited = Limits {
                template_fuel: u64::MAX,
                template_output: u64::MAX,
                environment_fuel: u64::MAX,
                environment_output: u64::MAX,
                ..Limits::default()
            };
            let budgets = Budgets::new(unlimited, 1);
            let meter = Meter {
                budgets: &budgets,
                env: 0,
                environment: "",
            };
            let mut objects = Vec::new();
            let rendered =
                self.render_template(t, service_value(ctx), stamp, scene, &meter, &mut objects);
            let templated = match rendered {
                Ok(templated) => templated,
                // `--limit template-fuel` lowered below what the built-in
                // template takes: there is nothing to compare.
                Err(e) if matches!(*e.kind, ErrorKind::TemplateLimit { .. }) => return,
                Err(e) => panic!("a built-in template renders: {e:?}"),
            };
            assert_eq!(
                templated.as_deref().map(String::from_utf8_lossy),
                compiled.map(String::from_utf8_lossy),
                "the compiled built-in {} differs from its template",
                t.name
            );
        }
    }

    /// Renders, reads back, stamps and checks every document of a template
    /// (several when it writes `---` between them, as Helm charts do);
    /// `None` when it rendered nothing but whitespace and comments. The
    /// facts of each document go to `objects`.
    fn render_template(
        &self,
        t: &Template,
        ctx: minijinja::Value,
        stamp: Option<&inject::TrackStamp>,
        scene: Scene,
        meter: &Meter,
        objects: &mut Vec<whole::Object<'_>>,
    ) -> Result<Option<Vec<u8>>> {
        let text = self
            .templates
            .render(t, ctx, self.sources, meter)
            .map_err(|e| self.render_failed(e, scene))?;
        if is_blank(&text) {
            return Ok(None);
        }
        if let Some((depth, line)) = yaml_depth::too_deep(&text) {
            return Err(Error::new(ErrorKind::Manifest {
                template: t.name.clone(),
                kind: "object".into(),
                detail: format!(
                    "the rendered text is nested {depth} levels deep at its line {line}; snapset reads at most {}",
                    yaml_depth::MAX_NESTING
                ),
                targets: scene.targets(),
            }));
        }
        let mut out = String::new();
        for (index, (line, document)) in documents::documents(&text).into_iter().enumerate() {
            if is_blank(document) {
                continue;
            }
            let mut doc = read(t, document, line)?;
            if !doc.is_object() {
                return Err(Error::new(ErrorKind::Manifest {
                    template: t.name.clone(),
                    kind: "object".into(),
                    detail: format!(
                        "it renders {}, not a YAML mapping with `apiVersion` and `kind`\n{}",
                        shape(&doc),
                        numbered(document, line)
                    ),
                    targets: scene.targets(),
                }));
            }
            inject::stamp(&mut doc, stamp);
            if t.built_in.is_none() {
                let text = &self.sources.get(t.file).text;
                self.bypasses.note(&scene.env.name, &doc, |key| {
                    let from = documents::document_start(text, index);
                    let span = find_key(&text[from..], key)?;
                    Some(Loc {
                        file: t.file,
                        span: from + span.start..from + span.end,
                    })
                });
            }
            self.schemas
                .check(&doc)
                .map_err(|problem| self.invalid(t, &doc, problem, index, scene))?;
            let namespace = scene.env.namespace.effective();
            let object = whole::Object::read(&doc, index, self.schemas, namespace);
            let yaml = yaml::to_yaml(&doc);
            objects.extend(object.map(|o| self.with_doc(o, || policy::Doc::parsed(doc))));
            if out.is_empty() {
                out = yaml;
            } else {
                out.push_str("---\n");
                out.push_str(&yaml);
            }
        }
        Ok((!out.is_empty()).then(|| out.into_bytes()))
    }

    /// A template that compiled but failed for this service: the error
    /// names the environment and service, and for an undefined variable
    /// says which services do have it.
    fn render_failed(&self, e: Error, scene: Scene) -> Error {
        let Error {
            kind,
            labels,
            others,
        } = e;
        let ErrorKind::Template { name, detail } = *kind else {
            return Error {
                kind,
                labels,
                others,
            };
        };
        let undefined = labels
            .first()
            .filter(|_| detail.starts_with("undefined value"))
            .and_then(|l| self.sources.get(l.loc.file).text.get(l.loc.span.clone()))
            .and_then(undefined::var_path)
            .map(|path| undefined::hint(&path, scene));
        let (help, set_for) = match undefined {
            Some((help, set_for)) => (Some(help), set_for),
            None => (None, None),
        };
        // `vars.readiness-path` is `vars.readiness - path` to the template
        // language: whatever it then says, the fix is the subscript.
        let hyphenated = labels
            .first()
            .and_then(|l| self.sources.get(l.loc.file).text.get(l.loc.span.clone()))
            .and_then(undefined::hyphenated);
        let help = match hyphenated {
            Some((written, fixed)) => Some(format!(
                "`-` in a template is a subtraction: `{written}` reads as `{}`; write `{fixed}`",
                written.replace('-', " - ")
            )),
            None => help,
        };
        let error = Error {
            kind: Box::new(ErrorKind::TemplateRender {
                name,
                detail,
                targets: scene.targets(),
                help,
            }),
            labels,
            others,
        };
        match set_for {
            Some((loc, text)) => error.label(&loc, text),
            None => error,
        }
    }

    /// The error for an object the schema check refused: at the varset
    /// line of the variable it comes from when there is one, else at the
    /// template's line.
    fn invalid(
        &self,
        t: &Template,
        doc: &Value,
        problem: Problem,
        index: usize,
        scene: Scene,
    ) -> Error {
        // A CRD whose schema cannot be compiled: the error is the CRD's.
        if let Some(schema) = problem.schema {
            return *schema;
        }
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("object")
            .to_string();
        let text = &self.sources.get(t.file).text;
        // The template's part that writes this document.
        let from = documents::document_start(text, index);
        let find = |path: &str| {
            find_path(&text[from..], path).map(|span| from + span.start..from + span.end)
        };
        if let Some(blame) = blame::blame(doc, &problem, scene.vars, text, self.sources) {
            // `tolerations: {{ vars.tolerations }}` writes item [1] too.
            let mut object_path = blame.object_path.as_str();
            while let Some(open) = object_path
                .rfind('[')
                .filter(|_| object_path.ends_with(']'))
            {
                object_path = &object_path[..open];
            }
            let written = Some(object_path)
                .filter(|p| !p.is_empty())
                .and_then(find)
                .or_else(|| blame::find_var(text, &blame.top));
            let mut error = Error::new(ErrorKind::ManifestValue {
                var: blame.var,
                template: t.name.clone(),
                kind,
                detail: problem.detail,
                targets: scene.targets(),
                help: blame.help,
            });
            if let Some(loc) = &blame.loc {
                error = error.label(loc, "set here");
            }
            if let Some(span) = written {
                error = error.label(&Loc { file: t.file, span }, "the template writes it here");
            }
            return error;
        }
        let span = problem.path.as_deref().and_then(find).or_else(|| {
            problem.key.and_then(|k| {
                find_key(&text[from..], &k).map(|span| from + span.start..from + span.end)
            })
        });
        let error = Error::new(ErrorKind::Manifest {
            template: t.name.clone(),
            kind,
            detail: problem.detail,
            targets: scene.targets(),
        });
        match span {
            Some(span) => error.label(&Loc { file: t.file, span }, "written here"),
            None => error,
        }
    }
}

/// One rendered document read back, `line` being where it starts in the
/// template's output.
fn read(t: &Template, document: &str, line: usize) -> Result<Value> {
    let doc = match yaml_read::parse(document) {
        Some(doc) => {
            debug_assert_eq!(
                serde_norway::from_str::<Value>(document).ok().as_ref(),
                Some(&doc),
                "{document}"
            );
            Ok(doc)
        }
        None => serde_norway::from_str::<Value>(document),
    };
    doc.map_err(|e| {
        // Read again below as many empty lines as precede it, so that the
        // parser's line numbers are those of the whole output.
        let e = match line {
            1 => e,
            n => serde_norway::from_str::<Value>(&("\n".repeat(n - 1) + document))
                .err()
                .unwrap_or(e),
        };
        Error::new(ErrorKind::NotYaml {
            template: t.name.clone(),
            detail: format!("{e}\n{}", numbered(document, line)),
        })
    })
}

fn service_value(ctx: &context::Context) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(ctx))
}

/// Nothing but whitespace and `#` comments: the template chose to render
/// no object here.
fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim_start();
        line.is_empty() || line.starts_with('#')
    })
}

fn shape(doc: &Value) -> &'static str {
    match doc {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Where the template writes `spec.ports[1].name`: each key searched after
/// the previous one, and for `[n]` the n+1-th list item (`- `) after its
/// key. Block-style templates are found exactly; a path the text does not
/// follow (a loop, a value printed whole) gives `None`.
fn find_path(text: &str, path: &str) -> Option<std::ops::Range<usize>> {
    let mut at = 0;
    let mut found = None;
    for part in path.split('.') {
        let (key, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            let span = find_key(&text[at..], key)?;
            found = Some(at + span.start..at + span.end);
            at += span.end;
        }
        for index in indices
            .split(['[', ']'])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>().ok())
        {
            for _ in 0..=index? {
                at += text[at..].find("- ")? + 2;
            }
        }
    }
    found
}

/// Where `key:` first appears in a template, to point at the line that
/// wrote an unknown field.
fn find_key(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let needle = format!("{key}:");
    text.match_indices(&needle)
        .find(|(at, _)| *at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric())
        .map(|(at, _)| at..at + key.len())
}

/// `text` with line numbers, the first being `first`.
fn numbered(text: &str, first: usize) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} | {l}\n", i + first))
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
