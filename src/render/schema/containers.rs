//! Every container of a pod spec (`containers`, `initContainers`,
//! `ephemeralContainers` of any pod template, at any depth), checked for
//! what its type cannot say:
//!
//! - its `resources`, as the API server's `ValidateResourceRequirements`
//!   checks them: names a container may request (`cpu`, `memory`,
//!   `ephemeral-storage`, `hugepages-<size>`, or an extended resource
//!   `domain/name`), amounts of 0 or more (whole ones for extended
//!   resources), whole huge pages, and a request no larger than its limit
//!   (equal, for resources that cannot be overcommitted). A misspelt `cpuu`
//!   is a valid map key to serde; to Kubernetes the object is refused;
//! - its probes: one that names a port (`port: http`) the container does
//!   not declare in its `ports` is accepted by the API server and fails in
//!   the kubelet, forever (the pod is never ready, or restarts in a loop).

use serde_json::{Map, Value};

use super::problem::{PathText, Problem};
use super::quantity;

/// The containers' lists of a pod spec.
const CONTAINERS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// The names a container requests without a domain.
const STANDARD: [&str; 3] = ["cpu", "memory", "ephemeral-storage"];

enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

/// Checks every container of `doc`.
pub(crate) fn check(doc: &Value) -> Result<(), Problem> {
    walk(doc, &mut Vec::new())
}

fn walk<'a>(value: &'a Value, path: &mut Vec<Segment<'a>>) -> Result<(), Problem> {
    match value {
        Value::Object(map) => {
            for list in CONTAINERS {
                let Some(Value::Array(containers)) = map.get(list) else {
                    continue;
                };
                for (i, container) in containers.iter().enumerate() {
                    path.extend([Segment::Key(list), Segment::Index(i)]);
                    let checked = self::container(container, path);
                    path.truncate(path.len() - 2);
                    checked?;
                }
            }
            for (key, inner) in map {
                if inner.is_object() || inner.is_array() {
                    path.push(Segment::Key(key));
                    let checked = walk(inner, path);
                    path.pop();
                    checked?;
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                let checked = walk(inner, path);
                path.pop();
                checked?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// One container: its resources and its probes.
fn container<'a>(container: &'a Value, path: &mut Vec<Segment<'a>>) -> Result<(), Problem> {
    if let Some(Value::Object(resources)) = container.get("resources") {
        path.push(Segment::Key("resources"));
        let checked = requirements(resources, path);
        path.pop();
        checked?;
    }
    let declared: Vec<&str> = container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        for action in ["httpGet", "tcpSocket"] {
            let Some(Value::String(name)) = container
                .get(probe)
                .and_then(|p| p.get(action))
                .and_then(|a| a.get("port"))
            else {
                continue;
            };
            if !declared.contains(&name.as_str()) {
                let ports = match declared.is_empty() {
                    true => "it declares no port".to_string(),
                    false => format!("its ports are named {}", declared.join(", ")),
                };
                return Err(problem(
                    path,
                    &[probe, action, "port"],
                    format!(
                        "the probe targets the port named `{name}`, which the container does not declare ({ports}): it would never succeed"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn problem(path: &[Segment], last: &[&str], detail: String) -> Problem {
    let mut text = PathText::default();
    for segment in path {
        match segment {
            Segment::Key(key) => text.key(key),
            Segment::Index(i) => text.index(*i),
        }
    }
    for key in last {
        text.key(key);
    }
    Problem::at(format!("{}: {detail}", text.text), text)
}

/// One container's `resources`: `limits` and `requests`.
fn requirements(resources: &Map<String, Value>, path: &[Segment]) -> Result<(), Problem> {
    let amounts = |kind: &str| -> Vec<(&String, f64)> {
        resources
            .get(kind)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(name, q)| Some((name, amount(q)?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (limits, requests) = (amounts("limits"), amounts("requests"));
    for (kind, list) in [("limits", &limits), ("requests", &requests)] {
        for (name, value) in list {
            let at = |detail: String| problem(path, &[kind, name], detail);
            if let Some(why) = name_problem(name) {
                return Err(at(why));
            }
            if *value < 0.0 {
                return Err(at(format!("{name} must be 0 or more")));
            }
            if is_extended(name) && value.fract() != 0.0 {
                return Err(at(format!(
                    "{name} is an extended resource: it is counted in whole units"
                )));
            }
            if let Some(page) = name.strip_prefix("hugepages-") {
                let whole = quantity::parse(page)
                    .ok()
                    .filter(|size| *size > 0.0)
                    .is_some_and(|size| (value / size).fract() == 0.0);
                if !whole {
                    return Err(at(format!("{name} must be a whole number of {page} pages")));
                }
            }
        }
    }
    let huge = |list: &[(&String, f64)]| list.iter().any(|(n, _)| n.starts_with("hugepages-"));
    let cpu_or_memory =
        |list: &[(&String, f64)]| list.iter().any(|(n, _)| *n == "cpu" || *n == "memory");
    if (huge(&limits) || huge(&requests)) && !cpu_or_memory(&limits) && !cpu_or_memory(&requests) {
        let kind = if huge(&limits) { "limits" } else { "requests" };
        return Err(problem(
            path,
            &[kind],
            "a container that requests huge pages must also request cpu or memory".into(),
        ));
    }
    for (name, request) in &requests {
        let limit = limits.iter().find(|(n, _)| n == name).map(|(_, l)| *l);
        let text = |kind: &str| {
            resources
                .get(kind)
                .and_then(|m| m.get(name.as_str()))
                .map(show)
                .unwrap_or_default()
        };
        match limit {
            Some(limit) if !overcommits(name) && *request != limit => {
                return Err(problem(
                    path,
                    &["requests", name],
                    format!(
                        "the request of {name} ({}) must equal its limit ({}): {name} cannot be overcommitted",
                        text("requests"),
                        text("limits")
                    ),
                ));
            }
            Some(limit) if *request > limit => {
                return Err(problem(
                    path,
                    &["requests", name],
                    format!(
                        "the request of {name} ({}) is more than its limit ({})",
                        text("requests"),
                        text("limits")
                    ),
                ));
            }
            None if !overcommits(name) => {
                return Err(problem(
                    path,
                    &["requests", name],
                    format!("{name} cannot be overcommitted: give it a limit equal to its request"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A quantity's amount; `None` for what the typed check refuses anyway.
fn amount(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => quantity::parse(s).ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `cpu` and `memory` may be requested below their limit; extended
/// resources and huge pages may not (`IsOvercommitAllowed`).
fn overcommits(name: &str) -> bool {
    is_native(name) && !name.starts_with("hugepages-")
}

/// A resource of Kubernetes itself: no domain, or a `kubernetes.io` one.
fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended(name: &str) -> bool {
    !is_native(name) && !name.starts_with("requests.")
}

/// Why a container cannot request `name` (`validateContainerResourceName`).
fn name_problem(name: &str) -> Option<String> {
    match name.split_once('/') {
        None if STANDARD.contains(&name) || name.starts_with("hugepages-") => None,
        None => {
            let known: Vec<String> = STANDARD.iter().map(|s| s.to_string()).collect();
            let near = crate::error::suggest(name, &known)
                .map(|s| format!("; {s}"))
                .unwrap_or_default();
            Some(format!(
                "`{name}` is not a resource a container can request: the standard ones are cpu, memory, ephemeral-storage and hugepages-<size>, others are named domain/name (example.com/gpu){near}"
            ))
        }
        Some((domain, resource)) => {
            let qualified = is_subdomain(domain) && is_name_part(resource);
            let extended = is_native(name)
                || (!name.starts_with("requests.") && is_subdomain(&format!("requests.{domain}")));
            (!(qualified && extended)).then(|| {
                format!(
                    "`{name}` is not a resource name: an extended resource is a DNS domain, `/`, and a name of letters, digits, `-`, `_` and `.` (example.com/gpu)"
                )
            })
        }
    }
}

/// A DNS-1123 subdomain: dot-separated lower-case labels, at most 253.
fn is_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(crate::load::kdl::is_dns_label)
}

/// The name part of a qualified name: at most 63 of `[A-Za-z0-9-_.]`,
/// starting and ending with a letter or digit.
fn is_name_part(text: &str) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(resources: Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "resources": {}},
            {"name": "b", "resources": resources}
        ]}}}})
    }

    fn detail(resources: Value) -> Option<String> {
        check(&pod(resources)).err().map(|p| p.detail)
    }

    #[test]
    fn names_a_container_may_request() {
        for ok in [
            json!({"requests": {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi"}}),
            json!({"limits": {"nvidia.com/gpu": 1}, "requests": {"nvidia.com/gpu": 1}}),
            json!({"limits": {"hugepages-2Mi": "4Mi", "memory": "1Gi"}}),
            json!({"limits": {"cpu": "1"}, "requests": {"cpu": "500m"}}),
        ] {
            assert_eq!(detail(ok.clone()), None, "{ok}");
        }
        let typo = detail(json!({"requests": {"cpuu": "1"}})).unwrap();
        assert!(
            typo.starts_with(
                "spec.template.spec.containers[1].resources.requests.cpuu: `cpuu` is not a resource"
            ),
            "{typo}"
        );
        assert!(typo.contains("did you mean `cpu`?"), "{typo}");
        assert!(detail(json!({"requests": {"Example.com/gpu": 1}})).is_some());
        assert!(detail(json!({"requests": {"example.com/": 1}})).is_some());
    }

    #[test]
    fn a_probe_names_a_port_of_its_container() {
        let pod = |container: Value| json!({"spec": {"containers": [container]}});
        let ok = pod(json!({"ports": [{"name": "http", "containerPort": 80}],
            "readinessProbe": {"httpGet": {"port": "http"}},
            "livenessProbe": {"tcpSocket": {"port": 80}}}));
        assert!(check(&ok).is_ok());
        let missing = check(&pod(
            json!({"livenessProbe": {"httpGet": {"port": "http"}}}),
        ))
        .unwrap_err();
        assert_eq!(
            missing.path.as_deref(),
            Some("spec.containers[0].livenessProbe.httpGet.port")
        );
        assert!(
            missing.detail.contains("it declares no port"),
            "{}",
            missing.detail
        );
    }

    #[test]
    fn amounts_and_requests_within_limits() {
        let more =
            detail(json!({"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}})).unwrap();
        assert!(
            more.contains("request of memory (2Gi) is more than its limit (1Gi)"),
            "{more}"
        );
        assert!(detail(json!({"requests": {"cpu": "-1"}})).is_some());
        let gpu =
            detail(json!({"limits": {"example.com/gpu": 2}, "requests": {"example.com/gpu": 1}}));
        assert!(gpu.unwrap().contains("must equal its limit"));
        let unlimited = detail(json!({"requests": {"example.com/gpu": 1}}));
        assert!(unlimited.unwrap().contains("give it a limit"));
        let half = detail(json!({"limits": {"example.com/gpu": "500m"}}));
        assert!(half.unwrap().contains("whole units"));
        let pages = detail(json!({"limits": {"hugepages-2Mi": "3Mi", "memory": "1Gi"}}));
        assert!(pages.unwrap().contains("whole number of 2Mi pages"));
        let alone = detail(json!({"limits": {"hugepages-2Mi": "4Mi"}}));
        assert!(alone.unwrap().contains("also request cpu or memory"));
    }
}
