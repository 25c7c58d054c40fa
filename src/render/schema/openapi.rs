//! Turns a CRD's structural OpenAPI v3 schema into a JSON Schema (2020-12)
//! that accepts what the API server would store unchanged, and nothing else.
//!
//! The API server prunes fields a structural schema does not declare; a
//! template that writes one has a mistake the cluster would hide, so here
//! such fields are errors: objects are closed unless
//! `x-kubernetes-preserve-unknown-fields` opens them. The Kubernetes
//! extensions (`x-kubernetes-int-or-string`, `nullable`, `format: int32`, …)
//! become their JSON Schema equivalents.
//!
//! Inside `allOf`/`anyOf`/`oneOf`/`not` a structural schema only adds
//! constraints (Istio's "exactly one of" is `oneOf` of `required` lists):
//! what may be written is decided by the skeleton alone, so those branches
//! never close objects.
//!
//! Not checked: `x-kubernetes-validations` (CEL rules), the uniqueness of
//! `x-kubernetes-list-type: map` keys, formats other than int32, int64,
//! date-time and date, and the metadata of embedded resources.

use serde_json::{Map, Value, json};

/// The root schema, with `apiVersion` and `kind` as plain strings and
/// `metadata` left open: the caller checks it as ObjectMeta, which is what
/// the API server does whatever the CRD says.
pub(crate) fn translate_root(schema: &Value) -> Result<Value, String> {
    let mut root = node(schema, Place::Skeleton)?;
    let object = root.as_object_mut().expect("node returns an object");
    let properties = object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let properties = properties
        .as_object_mut()
        .ok_or("`properties` is not a map")?;
    properties.insert("apiVersion".into(), json!({"type": "string"}));
    properties.insert("kind".into(), json!({"type": "string"}));
    properties.insert("metadata".into(), json!({"type": "object"}));
    object.insert("type".into(), json!("object"));
    Ok(root)
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    /// Declares what may be written: objects are closed here.
    Skeleton,
    /// Under a logical junctor: adds constraints only.
    Junctor,
}

fn node(schema: &Value, place: Place) -> Result<Value, String> {
    let Some(schema) = schema.as_object() else {
        return Err(format!("a schema must be a map, not `{schema}`"));
    };
    let flag = |name: &str| schema.get(name).and_then(Value::as_bool) == Some(true);
    let preserve = flag("x-kubernetes-preserve-unknown-fields");
    let int_or_string = flag("x-kubernetes-int-or-string");
    let nullable = flag("nullable");
    let mut out = Map::new();
    let mut bounds = Vec::new();

    if int_or_string {
        out.insert("type".into(), types(&["integer", "string"], nullable));
    } else if let Some(ty) = schema.get("type") {
        let ty = ty.as_str().ok_or("`type` must be a string")?;
        if !["object", "array", "string", "integer", "number", "boolean"].contains(&ty) {
            return Err(format!("unknown type `{ty}`"));
        }
        out.insert("type".into(), types(&[ty], nullable));
    }

    for (key, value) in schema {
        match key.as_str() {
            "properties" => {
                let map = value.as_object().ok_or("`properties` must be a map")?;
                let mut properties = Map::new();
                for (name, child) in map {
                    properties.insert(name.clone(), node(child, place)?);
                }
                out.insert(key.clone(), Value::Object(properties));
            }
            "additionalProperties" => {
                let value = match value {
                    Value::Bool(_) => value.clone(),
                    _ => node(value, place)?,
                };
                out.insert(key.clone(), value);
            }
            "items" => {
                if value.is_array() {
                    return Err("`items` must be one schema, not a list".into());
                }
                out.insert(key.clone(), node(value, place)?);
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| format!("`{key}` must be a list"))?;
                let list = list
                    .iter()
                    .map(|s| node(s, Place::Junctor))
                    .collect::<Result<Vec<_>, _>>()?;
                out.insert(key.clone(), Value::Array(list));
            }
            "not" => {
                out.insert(key.clone(), node(value, Place::Junctor)?);
            }
            "enum" => {
                let mut options = value.as_array().ok_or("`enum` must be a list")?.clone();
                if nullable && !options.contains(&Value::Null) {
                    options.push(Value::Null);
                }
                out.insert(key.clone(), Value::Array(options));
            }
            "minimum" | "maximum" => {
                let exclusive = if key == "minimum" {
                    "exclusiveMinimum"
                } else {
                    "exclusiveMaximum"
                };
                // OpenAPI 3.0's exclusive bounds are flags on the bound.
                let name = if flag(exclusive) { exclusive } else { key };
                out.insert(name.into(), value.clone());
            }
            "format" => match value.as_str() {
                // The API server refuses what does not fit the Go type.
                Some("int32") => bounds.push(json!({"minimum": i32::MIN, "maximum": i32::MAX})),
                Some("int64") => bounds.push(json!({"minimum": i64::MIN, "maximum": i64::MAX})),
                Some(f @ ("date-time" | "date")) => {
                    out.insert(key.clone(), json!(f));
                }
                _ => {}
            },
            "required" | "pattern" | "minLength" | "maxLength" | "minItems" | "maxItems"
            | "minProperties" | "maxProperties" | "multipleOf" | "uniqueItems" => {
                out.insert(key.clone(), value.clone());
            }
            "x-kubernetes-list-type" if value == "set" => {
                out.insert("uniqueItems".into(), Value::Bool(true));
            }
            "$ref" => {
                return Err("`$ref` is not allowed in a CustomResourceDefinition's schema".into());
            }
            // Annotations, flags read above, and what is not checked (CEL).
            _ => {}
        }
    }

    if !bounds.is_empty() {
        out.insert("allOf".into(), join_all_of(out.get("allOf"), bounds));
    }
    if place == Place::Skeleton && !preserve && !out.contains_key("additionalProperties") {
        if flag("x-kubernetes-embedded-resource") {
            // An embedded object carries its own apiVersion, kind and metadata.
            let properties = out
                .entry("properties")
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .ok_or("`properties` must be a map")?;
            for name in ["apiVersion", "kind"] {
                properties
                    .entry(name)
                    .or_insert_with(|| json!({"type": "string"}));
            }
            properties
                .entry("metadata")
                .or_insert_with(|| json!({"type": "object"}));
        }
        // Only objects are affected: for any other type this says nothing.
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Ok(Value::Object(out))
}

fn types(names: &[&str], nullable: bool) -> Value {
    let mut list: Vec<Value> = names.iter().map(|n| json!(n)).collect();
    if nullable {
        list.push(json!("null"));
    }
    if list.len() == 1 {
        list.pop().expect("one")
    } else {
        Value::Array(list)
    }
}

fn join_all_of(existing: Option<&Value>, more: Vec<Value>) -> Value {
    let mut list = existing
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.extend(more);
    Value::Array(list)
}
