//! A custom resource checked against its CRD: the served version's schema,
//! translated (see `openapi`) and compiled on first use, since a run checks
//! few of the kinds a bundle defines (Istio's has 15, three versions each).

use std::sync::OnceLock;

use jsonschema::paths::LocationSegment;
use jsonschema::{Draft, PatternOptions, ValidationError, Validator, error::ValidationErrorKind};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind};

use super::openapi;
use super::problem::{PathText, Problem};
use super::typed::typed;

/// One CustomResourceDefinition of `crds/`.
pub(crate) struct Crd {
    pub group: String,
    pub kind: String,
    /// Where its document starts.
    pub loc: Loc,
    pub versions: Vec<CrdVersion>,
    /// `spec.scope` is not `Cluster`.
    pub namespaced: bool,
}

pub(crate) struct CrdVersion {
    pub name: String,
    pub served: bool,
    schema: Option<Value>,
    /// The compiled schema, or why it cannot be compiled.
    compiled: OnceLock<Result<Validator, String>>,
}

impl CrdVersion {
    pub fn new(name: String, served: bool, schema: Option<Value>) -> Self {
        CrdVersion {
            name,
            served,
            schema,
            compiled: OnceLock::new(),
        }
    }
}

impl Crd {
    /// Checks `doc`, whose apiVersion names `version` of this CRD.
    pub fn check(&self, version: &str, doc: &Value) -> Result<(), Problem> {
        let Some(v) = self.versions.iter().find(|v| v.served && v.name == version) else {
            let served: Vec<String> = self
                .versions
                .iter()
                .filter(|v| v.served)
                .map(|v| format!("`{}/{}`", self.group, v.name))
                .collect();
            return Err(Problem::new(
                format!(
                    "`{}/{version}` is not a served version of `{}`; the CustomResourceDefinition serves {}",
                    self.group,
                    self.kind,
                    if served.is_empty() {
                        "none".to_string()
                    } else {
                        served.join(", ")
                    }
                ),
                Some("apiVersion".into()),
            ));
        };
        let validator = v.compiled.get_or_init(|| compile(v.schema.as_ref()));
        let validator = validator
            .as_ref()
            .map_err(|detail| self.broken(version, detail))?;
        if let Err(e) = validator.validate(doc) {
            return Err(problem(&e, doc));
        }
        match doc.get("metadata") {
            Some(metadata) => typed::<ObjectMeta>(metadata, "metadata"),
            None => Err(Problem::new("missing field `metadata`", None)),
        }
    }

    /// The CRD's fault, not the object's: located at the CRD.
    fn broken(&self, version: &str, detail: &str) -> Problem {
        let error = Error::at(
            ErrorKind::CrdSchema {
                kind: self.kind.clone(),
                version: version.to_string(),
                detail: detail.to_string(),
            },
            &self.loc,
            "this CustomResourceDefinition",
        );
        Problem {
            detail: error.kind.to_string(),
            key: None,
            path: None,
            schema: Some(Box::new(error)),
        }
    }
}

fn compile(schema: Option<&Value>) -> Result<Validator, String> {
    let schema = schema.ok_or("it has no `schema.openAPIV3Schema`")?;
    let schema = openapi::translate_root(schema)?;
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        // The API server's patterns are Go regexps (RE2): no backtracking
        // constructs, which the `regex` engine refuses too.
        .with_pattern_options(PatternOptions::regex())
        .build(&schema)
        .map_err(|e| e.to_string())
}

/// `spec.ports[0].name: …`, or `unknown field `spec.x`` as the typed check
/// says it for Kubernetes kinds.
fn problem(e: &ValidationError<'_>, doc: &Value) -> Problem {
    let mut path = PathText::default();
    for segment in e.instance_path().iter() {
        match segment {
            LocationSegment::Property(name) => path.key(&name),
            LocationSegment::Index(i) => path.index(i),
        }
    }
    if let Some(name) = unknown_field(e, doc) {
        path.key(&name);
        return Problem::at(format!("unknown field `{}`", path.text), path);
    }
    let detail = if path.text.is_empty() {
        e.to_string()
    } else {
        format!("{}: {e}", path.text)
    };
    Problem::at(detail, path)
}

/// The field an object may not have, when that is what `e` says.
fn unknown_field(e: &ValidationError<'_>, doc: &Value) -> Option<String> {
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected.first().cloned(),
        // An object that declares no fields at all compiles to a `false`
        // schema for every field, reported at the object: any key is unknown.
        ValidationErrorKind::FalseSchema
            if e.schema_path().as_str().ends_with("/additionalProperties") =>
        {
            let object = doc.pointer(e.instance_path().as_str())?.as_object()?;
            object.keys().next().cloned()
        }
        _ => None,
    }
}
