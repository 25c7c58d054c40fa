//! Secrets stay out of what reviewers and CI logs read. A variable whose
//! name looks secret (`*PASSWORD*`, `*TOKEN*`, `*SECRET*`, `*KEY*`, in any
//! case) is reported as changed with its values masked, in every format.
//! In the file diffs of `text`, `markdown` and `json`, its values are masked
//! as well; `patch` is the exception, because a masked patch would not
//! apply (docs/diff.md).

use crate::render::EnvJson;
use crate::render::SnapshotJson;

use super::{Hunk, LineKind};

/// What a masked value is shown as.
pub const MASK: &str = "••••";

/// Values at least this long are masked wherever they appear in a line, not
/// only as a whole quoted scalar (a password inside a URL, say).
const SUBSTRING_MIN: usize = 6;

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["PASSWORD", "TOKEN", "SECRET", "KEY"]
        .iter()
        .any(|word| upper.contains(word))
}

/// The scalars of a secret leaf: a list's items are masked one by one,
/// since the YAML writes each on a line of its own.
fn secret_scalars(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Null => {}
        serde_json::Value::Array(items) => {
            for item in items {
                secret_scalars(item, out);
            }
        }
        serde_json::Value::Object(map) => {
            for item in map.values() {
                secret_scalars(item, out);
            }
        }
        other => out.push(other.to_string()),
    }
}

/// Masks the values of secret-looking variables in the lines of a diff.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// (text to find, replacement), longest first.
    needles: Vec<(String, String)>,
}

impl Masker {
    /// Learns the secret values from the old and new `snapshot.json`.
    pub fn new<'a>(snapshots: impl IntoIterator<Item = &'a SnapshotJson>) -> Self {
        let mut values: Vec<String> = Vec::new();
        for snapshot in snapshots {
            for service in &snapshot.services {
                // A track's own values (its snapshot block) hide secrets too.
                let tracks = service.tracks.iter();
                let vars = std::iter::once(&service.vars)
                    .chain(tracks.clone().filter_map(|t| t.vars.as_ref()));
                let envs =
                    std::iter::once(&service.env).chain(tracks.filter_map(|t| t.env.as_ref()));
                for vars in vars {
                    for (path, value) in super::var_paths::leaves(vars) {
                        if looks_secret(&path) {
                            secret_scalars(value, &mut values);
                        }
                    }
                }
                for env in envs {
                    for (name, value) in env {
                        if let (true, EnvJson::Value(v)) = (looks_secret(name), value) {
                            values.push(v.clone());
                        }
                    }
                }
            }
        }
        let mut needles: Vec<(String, String)> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| {
                // Both YAML (as snapset writes it) and JSON escape a string the same way.
                let quoted = serde_json::to_string(&v).expect("a string serialises");
                let inner = quoted[1..quoted.len() - 1].to_string();
                if inner.chars().count() >= SUBSTRING_MIN {
                    (inner, MASK.to_string())
                } else {
                    (quoted, format!("\"{MASK}\""))
                }
            })
            .collect();
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        needles.dedup();
        Masker { needles }
    }

    /// Masks the hunks of one file in place. Besides the known values, the
    /// `value:` line that follows `- name: <secret-looking name>` in a
    /// container's `env` list is masked, even when no `snapshot.json` told
    /// the value.
    pub fn hunks(&self, hunks: &mut [Hunk]) {
        for hunk in hunks {
            // The line before, on the old side and on the new side, unmasked.
            let mut before_old = String::new();
            let mut before_new = String::new();
            for line in &mut hunk.lines {
                let before = match line.kind {
                    LineKind::Added => &before_new,
                    LineKind::Removed | LineKind::Context => &before_old,
                };
                let masked = self.line(&line.text, before);
                let text = std::mem::replace(&mut line.text, masked);
                match line.kind {
                    LineKind::Added => before_new = text,
                    LineKind::Removed => before_old = text,
                    LineKind::Context => {
                        before_old.clone_from(&text);
                        before_new = text;
                    }
                }
            }
        }
    }

    fn line(&self, text: &str, before: &str) -> String {
        if let Some(at) = env_value_after_secret_name(text, before) {
            return format!("{}\"{MASK}\"", &text[..at]);
        }
        let mut out = text.to_string();
        for (needle, replacement) in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), replacement);
            }
        }
        out
    }
}

/// Where the value starts when `text` is `value: ...` and `before` is
/// `- name: <secret-looking name>`.
fn env_value_after_secret_name(text: &str, before: &str) -> Option<usize> {
    let name = before.trim_start().strip_prefix("- name:")?.trim();
    let name = name.trim_matches(|c| c == '"' || c == '\'');
    if !looks_secret(name) {
        return None;
    }
    let trimmed = text.trim_start();
    trimmed.strip_prefix("value:")?;
    Some(text.len() - trimmed.len() + "value: ".len().min(trimmed.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Line;

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "API_TOKEN",
            "client-secret",
            "SIGNING_KEY",
            "apiKey",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["LOG_LEVEL", "replicas", "TAX_URL"] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    fn line(kind: LineKind, text: &str) -> Line {
        Line {
            kind,
            text: text.into(),
            newline: true,
        }
    }

    #[test]
    fn masks_env_values_after_a_secret_name_and_known_values() {
        let snapshot: SnapshotJson = serde_json::from_value(serde_json::json!({
            "environment": "dev", "namespace": "d", "snapshot": "s", "varset": "v",
            "services": [{"name": "cart", "path": "c", "port": 1, "tracks": [],
                "vars": {"api-key": "abc"},
                "env": {"DB_PASSWORD": "hunter2-long", "LOG_LEVEL": "info"}}]
        }))
        .unwrap();
        let masker = Masker::new([&snapshot]);
        let mut hunks = vec![Hunk {
            old_start: 1,
            old_lines: 3,
            new_start: 1,
            new_lines: 3,
            lines: vec![
                line(LineKind::Context, "            - name: \"API_TOKEN\""),
                line(LineKind::Removed, "              value: \"old-token\""),
                line(LineKind::Added, "              value: \"new-token\""),
                line(LineKind::Context, "    \"DB_PASSWORD\": \"hunter2-long\","),
                line(LineKind::Added, "  url: \"postgres://u:hunter2-long@db\""),
                line(LineKind::Added, "  k: \"abc\""),
                line(LineKind::Added, "  other: \"abcd\""),
                line(LineKind::Added, "              value: \"info\""),
            ],
        }];
        masker.hunks(&mut hunks);
        let texts: Vec<&str> = hunks[0].lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "            - name: \"API_TOKEN\"",
                "              value: \"••••\"",
                "              value: \"••••\"",
                "    \"DB_PASSWORD\": \"••••\",",
                "  url: \"postgres://u:••••@db\"",
                "  k: \"••••\"",
                "  other: \"abcd\"",
                "              value: \"info\"",
            ]
        );
    }
}
