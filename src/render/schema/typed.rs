//! Checks a value against a Rust type: k8s-openapi's for Kubernetes kinds,
//! snapset's strict structs for Istio. serde skips fields a type does not
//! know, so the skipped ones are collected through serde_ignored and the
//! first is reported: a misspelt key would otherwise vanish without a word.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::problem::{PathText, Problem};

/// One callback type for every `T`: with a closure type per `T`, serde_ignored's
/// wrapper (and so every nested k8s-openapi deserializer, PodSpec first) would
/// be compiled again for each of the 80 kinds.
type Ignored<'a> = &'a mut dyn FnMut(serde_ignored::Path<'_>);

/// `doc` as a `T`, unknown fields refused. `prefix` is the path of `doc` in
/// the whole object (`metadata` for a custom resource's metadata), empty at
/// the root.
pub(crate) fn typed<T: DeserializeOwned>(doc: &Value, prefix: &str) -> Result<(), Problem> {
    let mut unknown: Option<Problem> = None;
    let mut note = |path: serde_ignored::Path<'_>| {
        if unknown.is_none() {
            let mut text = PathText::default();
            if !prefix.is_empty() {
                text.key(prefix);
            }
            write_path(&path, &mut text);
            unknown = Some(Problem::at(format!("unknown field `{}`", text.text), text));
        }
    };
    let mut callback: Ignored<'_> = &mut note;
    // serde_path_to_error says where a mistyped value is, which serde's
    // own error does not.
    // `Data` reads `doc` as serde_json would, and checks each quantity and
    // int-or-string on the way (`data`).
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        super::data::Data::root(doc),
        &mut callback,
    ));
    match (result, unknown) {
        (Err(e), _) => {
            let mut text = PathText::default();
            if !prefix.is_empty() {
                text.key(prefix);
            }
            for segment in e.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Map { key } => text.key(key),
                    serde_path_to_error::Segment::Seq { index } => text.index(*index),
                    _ => {}
                }
            }
            let detail = match text.text.as_str() {
                "" => e.inner().to_string(),
                path => format!("{path}: {}", e.inner()),
            };
            Err(Problem::at(detail, text))
        }
        (Ok(_), Some(problem)) => Err(problem),
        (Ok(_), None) => Ok(()),
    }
}

/// `spec.ports[0].prot`; the last key is the one to point at.
fn write_path(path: &serde_ignored::Path, out: &mut PathText) {
    use serde_ignored::Path;
    match path {
        Path::Root => {}
        Path::Seq { parent, index } => {
            write_path(parent, out);
            out.index(*index);
        }
        Path::Map { parent, key } => {
            write_path(parent, out);
            out.key(key);
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => write_path(parent, out),
    }
}
