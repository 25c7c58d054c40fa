//! A rendered object as serde input, the way serde_json's `&Value` is, but
//! checking on the way what a type cannot say and the API server refuses:
//! k8s-openapi's `Quantity` and `IntOrString` are a string and a string or
//! number to serde, so `cpu: "lots"` or `minAvailable: "half"` would pass
//! the typed check and fail at `kubectl apply`. Each is seen here as it is
//! read (a `Quantity` by its newtype name, an `IntOrString` by what its
//! visitor expects), so every one of them is checked, wherever a kind has
//! it, and the error comes back through `serde_path_to_error` with its path.

use std::fmt;

use serde::Deserializer;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{int_or_string, quantity};

type Error = serde_json::Error;

/// One value of the object, and the map key it was found under.
#[derive(Clone, Copy)]
pub(crate) struct Data<'a> {
    value: &'a Value,
    key: Option<&'a str>,
}

impl<'a> Data<'a> {
    pub fn root(value: &'a Value) -> Self {
        Data { value, key: None }
    }
}

impl<'de> Deserializer<'de> for Data<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if matches!(self.value, Value::String(_) | Value::Number(_))
            && expects(&visitor, "IntOrString")
        {
            int_or_string::check(self.key, self.value).map_err(de::Error::custom)?;
        }
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut seq = Seq {
                    items: items.iter(),
                };
                let out = visitor.visit_seq(&mut seq)?;
                match seq.items.len() {
                    0 => Ok(out),
                    _ => Err(de::Error::invalid_length(
                        items.len(),
                        &"fewer elements in array",
                    )),
                }
            }
            Value::Object(map) => {
                let mut access = Map {
                    entries: map.iter(),
                    value: None,
                };
                let out = visitor.visit_map(&mut access)?;
                match access.entries.len() {
                    0 => Ok(out),
                    _ => Err(de::Error::invalid_length(
                        map.len(),
                        &"fewer elements in map",
                    )),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == "Quantity"
            && let Value::String(text) = self.value
            && quantity::parse(text).is_err()
        {
            return Err(de::Error::custom(quantity::explain(text)));
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            Value::Object(map) if map.len() == 1 => {
                visitor.visit_enum(MapAccessDeserializer::new(Map {
                    entries: map.iter(),
                    value: None,
                }))
            }
            Value::Object(_) => Err(de::Error::invalid_value(
                de::Unexpected::Map,
                &"map with a single key",
            )),
            other => Err(de::Error::invalid_type(unexpected(other), &"string or map")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => de::Unexpected::Unsigned(u),
            (_, Some(i)) => de::Unexpected::Signed(i),
            _ => de::Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

struct Seq<'a> {
    items: std::slice::Iter<'a, Value>,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(value) => seed.deserialize(Data { value, key: None }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<(&'a str, &'a Value)>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some((key, value));
                seed.deserialize(BorrowedStrDeserializer::new(key))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("value is missing"))?;
        seed.deserialize(Data {
            value,
            key: Some(key),
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Whether `visitor` says it expects exactly `name` (k8s-openapi's
/// visitors say their type's name), compared as it is written out, with
/// no allocation.
fn expects<'de, V: Visitor<'de>>(visitor: &V, name: &str) -> bool {
    struct Expecting<'v, V>(&'v V);
    impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }
    }
    struct Compare<'n> {
        rest: &'n str,
    }
    impl fmt::Write for Compare<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            match self.rest.strip_prefix(s) {
                Some(rest) => {
                    self.rest = rest;
                    Ok(())
                }
                None => Err(fmt::Error),
            }
        }
    }
    let mut compare = Compare { rest: name };
    fmt::write(&mut compare, format_args!("{}", Expecting(visitor))).is_ok()
        && compare.rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// Every type the checks read must come out as serde_json would read it.
    #[test]
    fn reads_like_serde_json() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "camelCase")]
        enum Match {
            Exact(String),
            Any,
        }
        #[derive(Deserialize, Debug, PartialEq)]
        struct All {
            a: Option<i32>,
            b: Vec<u8>,
            c: std::collections::BTreeMap<String, f64>,
            d: Option<String>,
            e: Match,
            f: Match,
            g: serde_json::Value,
            h: (i64, bool),
        }
        let doc = json!({
            "a": null, "b": [1, 2], "c": {"x": 1.5, "y": -3}, "d": "s",
            "e": {"exact": "v"}, "f": "any", "g": {"k": [1, {"z": null}]}, "h": [-7, true]
        });
        let ours = All::deserialize(Data::root(&doc)).unwrap();
        let theirs = All::deserialize(&doc).unwrap();
        assert_eq!(ours, theirs);
        for bad in [
            json!({"a": "x", "b": [], "c": {}, "d": null, "e": "exact", "f": "any", "g": 1, "h": [1, true]}),
            json!({"a": 1, "b": [300], "c": {}, "d": null, "e": "any", "f": "any", "g": 1, "h": [1, true]}),
            json!({"a": 1, "b": [], "c": {}, "d": null, "e": {"exact": "a", "any": null}, "f": "any", "g": 1, "h": [1, true]}),
            json!({"a": 1, "b": [], "c": {}, "d": null, "e": "any", "f": "any", "g": 1, "h": [1, true, 3]}),
        ] {
            let ours = All::deserialize(Data::root(&bad)).unwrap_err().to_string();
            let theirs = All::deserialize(&bad).unwrap_err().to_string();
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn quantities_and_int_or_strings_are_checked_where_they_are_read() {
        use k8s_openapi::api::core::v1::ResourceRequirements;
        use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
        let ok = json!({"requests": {"cpu": "250m", "memory": 1}});
        assert!(ResourceRequirements::deserialize(Data::root(&ok)).is_ok());
        let bad = json!({"requests": {"cpu": "lots"}});
        let e = ResourceRequirements::deserialize(Data::root(&bad)).unwrap_err();
        assert!(
            e.to_string()
                .contains("`lots` is not a Kubernetes quantity"),
            "{e}"
        );
        let bad = json!({"minAvailable": "half"});
        let e = PodDisruptionBudgetSpec::deserialize(Data::root(&bad)).unwrap_err();
        assert!(e.to_string().contains("percentage"), "{e}");
        let ok = json!({"maxUnavailable": "25%"});
        assert!(PodDisruptionBudgetSpec::deserialize(Data::root(&ok)).is_ok());
    }
}
