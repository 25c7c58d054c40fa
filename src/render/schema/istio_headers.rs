//! Header names in an Istio VirtualService's matches must be lower case:
//! Istio matches headers lower-cased (HTTP/2 sends them so) and its
//! validation refuses `X-Beta`. Neither snapset's strict Istio types nor
//! Istio's CRD schema say so, so it is checked here, for any template that
//! renders a VirtualService.

use serde_json::Value;

use super::problem::{PathText, Problem};

/// The first header name with an upper-case letter in `spec.http[].match[].headers`
/// (and `withoutHeaders`), as a problem at its path.
pub(crate) fn check(doc: &Value) -> Result<(), Problem> {
    let Some(routes) = doc.pointer("/spec/http").and_then(Value::as_array) else {
        return Ok(());
    };
    for (i, route) in routes.iter().enumerate() {
        let Some(matches) = route.get("match").and_then(Value::as_array) else {
            continue;
        };
        for (j, m) in matches.iter().enumerate() {
            for key in ["headers", "withoutHeaders"] {
                let Some(headers) = m.get(key).and_then(Value::as_object) else {
                    continue;
                };
                if let Some(name) = headers
                    .keys()
                    .find(|n| n.chars().any(|c| c.is_ascii_uppercase()))
                {
                    let mut path = PathText::default();
                    path.key("spec");
                    path.key("http");
                    path.index(i);
                    path.key("match");
                    path.index(j);
                    path.key(key);
                    path.key(name);
                    return Err(Problem::at(
                        format!(
                            "{}: header name `{name}` must be lower case (`{}`): Istio matches header names in lower case and refuses this one",
                            path.text,
                            name.to_ascii_lowercase()
                        ),
                        path,
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn upper_case_header_names_are_refused() {
        let vs = |name: &str| json!({"spec": {"http": [{"route": []}, {"match": [{"headers": {name: {"exact": "1"}}}]}]}});
        assert!(check(&vs("x-beta")).is_ok());
        let e = check(&vs("X-Beta")).unwrap_err();
        assert_eq!(
            e.path.as_deref(),
            Some("spec.http[1].match[0].headers.X-Beta")
        );
        assert!(e.detail.contains("(`x-beta`)"), "{}", e.detail);
    }
}
