//! The facts of the compiled built-in Deployment and Service, from the
//! context they were written from: reading their bytes back would cost
//! what compiling them saved. Debug builds (and so every test) read the
//! bytes too and insist on the same facts (`same`).

use crate::render::context::Context;
use crate::render::schema::Schemas;

use super::object::{Object, Reference, Selector, Target};

/// What `builtin::deployment` writes for `ctx`.
pub fn deployment(ctx: &Context) -> Option<Object> {
    let track = ctx.track.as_ref()?;
    let svc = ctx.service.name;
    let label = |k: &str, v: &str| (k.to_string(), v.to_string());
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
                path: format!(
                    "spec.template.spec.containers[0].env[{i}].valueFrom.secretKeyRef.name"
                ),
                optional: false,
            })
        })
        .collect();
    Some(Object {
        index: 0,
        group: "apps".into(),
        kind: "Deployment".into(),
        namespace: ctx.environment.namespace.to_string(),
        name: Some(ctx.name.clone()),
        pods: Some(pods),
        references,
        provides: Vec::new(),
        doc: None,
    })
}

/// What `builtin::service` writes for `ctx`.
pub fn service(ctx: &Context) -> Object {
    let svc = ctx.service.name;
    Object {
        index: 0,
        group: String::new(),
        kind: "Service".into(),
        namespace: ctx.environment.namespace.to_string(),
        name: Some(svc.to_string()),
        pods: None,
        references: vec![Reference {
            target: Target::Selects(Selector {
                labels: vec![("app".into(), svc.to_string())],
                expressions: Vec::new(),
            }),
            path: "spec.selector".into(),
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
