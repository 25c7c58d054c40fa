//! The facts of the compiled built-in Deployment and Service, from the
//! context they were written from: reading their bytes back would cost
//! what compiling them saved. Debug builds (and so every test) read the
//! bytes too and insist on the same facts (`same`).

use std::borrow::Cow;

use crate::render::context::Context;
use crate::render::schema::Schemas;

use super::object::{Object, Reference, Selector, Target};

/// What `builtin::deployment` writes for `ctx`: strings borrowed from the
/// resolved release, so a thousand Deployments allocate little.
pub fn deployment<'a>(ctx: &Context<'a>) -> Option<Object<'a>> {
    let track = ctx.track.as_ref()?;
    let svc = ctx.service.name;
    let label = |k: &'static str, v: &'a str| (Cow::Borrowed(k), Cow::Borrowed(v));
    // Sorted by key, as `Object::pods` is.
    let pods = vec![
        label("app", svc),
        label("app.kubernetes.io/name", svc),
        label("app.kubernetes.io/version", track.short),
        label("version", track.name),
    ];
    let references = ctx
        .env
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            Some(Reference {
                target: Target::Object {
                    group: String::new(),
                    kind: "Secret".into(),
                    name: v.secret?.to_string(),
                },
                path: Cow::Owned(format!(
                    "spec.template.spec.containers[0].env[{i}].valueFrom.secretKeyRef.name"
                )),
                optional: false,
            })
        })
        .collect();
    // A single track's Deployment is named as its service.
    let name = match ctx.name == svc {
        true => Cow::Borrowed(svc),
        false => Cow::Owned(ctx.name.clone()),
    };
    Some(Object {
        index: 0,
        group: Cow::Borrowed("apps"),
        kind: Cow::Borrowed("Deployment"),
        namespace: Cow::Borrowed(ctx.environment.namespace),
        name: Some(name),
        pods: Some(pods),
        references,
        provides: Vec::new(),
        doc: None,
    })
}

/// What `builtin::service` writes for `ctx`.
pub fn service<'a>(ctx: &Context<'a>) -> Object<'a> {
    let svc = ctx.service.name;
    Object {
        index: 0,
        group: Cow::Borrowed(""),
        kind: Cow::Borrowed("Service"),
        namespace: Cow::Borrowed(ctx.environment.namespace),
        name: Some(Cow::Borrowed(svc)),
        pods: None,
        references: vec![Reference {
            target: Target::Selects(Selector {
                labels: vec![(Cow::Borrowed("app"), Cow::Borrowed(svc))],
                expressions: Vec::new(),
            }),
            path: Cow::Borrowed("spec.selector"),
            optional: false,
        }],
        provides: Vec::new(),
        doc: None,
    }
}

/// Debug builds: the facts read back from the compiled bytes are those
/// said from the context.
pub fn same(bytes: &[u8], said: &Object, schemas: &Schemas, namespace: &str) {
    if cfg!(debug_assertions) {
        let text = String::from_utf8_lossy(bytes);
        let doc = crate::render::yaml_read::parse(&text)
            .or_else(|| serde_norway::from_str(&text).ok())
            .expect("a compiled built-in reads back");
        let read = Object::read(&doc, 0, schemas, namespace);
        assert_eq!(
            read.as_ref(),
            Some(said),
            "the facts of a compiled built-in"
        );
    }
}
