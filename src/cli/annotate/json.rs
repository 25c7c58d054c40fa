//! `check --format json`: every error and warning of the run, and the
//! verdicts of `dryrun` policies (which no other output shows), as one
//! JSON document on stdout, for tools that read findings rather than
//! logs.

use serde_json::{Value, json};

use super::{Annotation, Severity};

fn item(a: &Annotation, severity: &str) -> Value {
    json!({
        "severity": severity,
        "check": a.check,
        "message": a.message,
        "path": a.place.as_ref().map(|p| p.path.clone()),
        "line": a.place.as_ref().map(|p| p.line),
        "column": a.place.as_ref().map(|p| p.col),
    })
}

/// `{"ok": …, "errors": […], "warnings": […], "dryrun": […]}`.
pub fn render(annotations: &[Annotation], dryrun: &[Annotation]) -> String {
    let pick = |s: Severity, name: &str| -> Vec<Value> {
        annotations
            .iter()
            .filter(|a| a.severity == s)
            .map(|a| item(a, name))
            .collect()
    };
    let errors = pick(Severity::Error, "error");
    let doc = json!({
        "ok": errors.is_empty(),
        "errors": errors,
        "warnings": pick(Severity::Warning, "warning"),
        "dryrun": dryrun.iter().map(|a| item(a, "dryrun")).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    text
}
