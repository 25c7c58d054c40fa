//! GitLab Code Quality reports: a JSON array of issues that GitLab shows
//! in the merge request's widget and diff. The fingerprint must not change
//! between pipelines for the same problem (GitLab compares the source and
//! target branches' reports by it), so it hashes the path, line and
//! message only, with FNV-1a: a fixed function, no dependency, the same
//! value on every machine.

use serde_json::json;

use super::{Annotation, Severity};

/// The report for `annotations`; a problem without a place is reported
/// against `fallback` (snapset.kdl, from the repository root), line 1,
/// because GitLab requires a location.
pub fn render(annotations: &[Annotation], fallback: &str) -> String {
    let issues: Vec<serde_json::Value> = annotations
        .iter()
        .map(|a| {
            let (path, line) = a
                .place
                .as_ref()
                .map_or((fallback, 1), |p| (p.path.as_str(), p.line));
            json!({
                "description": a.message,
                "check_name": a.check,
                "fingerprint": fingerprint(path, line, &a.message),
                "severity": match a.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "location": {"path": path, "lines": {"begin": line}},
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).expect("JSON values serialise");
    text.push('\n');
    text
}

/// 32 hex digits: FNV-1a 64 of the fields, twice with different offsets.
pub fn fingerprint(path: &str, line: usize, message: &str) -> String {
    let input = format!("{path}\0{line}\0{message}");
    let fnv = |basis: u64| {
        input.bytes().fold(basis, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}
