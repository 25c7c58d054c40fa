//! The rules the API server applies to k8s-openapi's `IntOrString` fields,
//! by field: to serde a `maxUnavailable: "half"` is as good a string as
//! `"25%"`, to Kubernetes it is an error. Kubernetes 1.33 has two families:
//!
//! - `minAvailable`, `maxUnavailable` (PodDisruptionBudget, Deployment,
//!   DaemonSet and StatefulSet rolling updates) and `maxSurge`: a count of
//!   pods, 0 or more, or a percentage `[0-9]+%` (apps' and policy's
//!   `ValidatePositiveIntOrPercent`; at most 100% where it is a share of the
//!   pods that may be unavailable, or that must stay available);
//! - `port`, `targetPort` (probes, lifecycle hooks, Service ports,
//!   NetworkPolicy ports): a port number 1–65535 or the name of a port
//!   (`IsValidPortName`: at most 15 of `a-z0-9-`, with a letter, no `--`,
//!   no `-` at either end). A Service's `targetPort` may be 0 or empty: it
//!   then defaults to the port.

use serde_json::Value;

/// `Err(message)` when `value`, found under `key`, breaks the rule of its field.
pub fn check(key: Option<&str>, value: &Value) -> Result<(), String> {
    match key {
        Some(field @ ("minAvailable" | "maxUnavailable" | "maxSurge")) => {
            count_or_percent(field, value)
        }
        Some(field @ ("port" | "targetPort")) => port(field, value),
        _ => Ok(()),
    }
}

fn count_or_percent(field: &str, value: &Value) -> Result<(), String> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(n) if n >= 0 => Ok(()),
            _ => Err(format!(
                "{n} is not a number of pods: it must be 0 or more (or a percentage such as \"25%\")"
            )),
        },
        Value::String(s) => {
            let Some(digits) = s
                .strip_suffix('%')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            else {
                return Err(format!(
                    "\"{s}\" is neither a number of pods nor a percentage: write a whole number (2) or digits and `%` (\"50%\")"
                ));
            };
            let capped = field != "maxSurge";
            if capped && digits.parse::<u64>().map_or(true, |p| p > 100) {
                return Err(format!("\"{s}\" is more than 100% of the pods"));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn port(field: &str, value: &Value) -> Result<(), String> {
    let defaults = field == "targetPort";
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(0) if defaults => Ok(()),
            Some(1..=65535) => Ok(()),
            _ => Err(format!(
                "{n} is not a port: a port number is between 1 and 65535"
            )),
        },
        Value::String(s) if s.is_empty() && defaults => Ok(()),
        Value::String(s) => match port_name_problem(s) {
            None => Ok(()),
            Some(problem) => Err(format!(
                "\"{s}\" is neither a port number nor the name of a port: a port's name {problem}"
            )),
        },
        _ => Ok(()),
    }
}

/// What is wrong with a port's name, as `IsValidPortName` has it.
fn port_name_problem(name: &str) -> Option<&'static str> {
    if name.len() > 15 {
        Some("is at most 15 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        Some("holds only lower-case letters, digits and `-`")
    } else if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        Some("holds at least one letter (a-z)")
    } else if name.contains("--") {
        Some("holds no `--`")
    } else if name.starts_with('-') || name.ends_with('-') {
        Some("neither starts nor ends with `-`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_and_percentages() {
        let ok = |k, v: Value| check(Some(k), &v).is_ok();
        assert!(ok("minAvailable", json!(2)));
        assert!(ok("minAvailable", json!("50%")));
        assert!(ok("maxUnavailable", json!("100%")));
        assert!(ok("maxSurge", json!("150%")));
        assert!(!ok("minAvailable", json!("half")));
        assert!(!ok("minAvailable", json!("50")));
        assert!(!ok("minAvailable", json!("%")));
        assert!(!ok("maxUnavailable", json!("101%")));
        assert!(!ok("maxUnavailable", json!(-1)));
        assert!(!ok("maxSurge", json!("-5%")));
    }

    #[test]
    fn ports_and_port_names() {
        let ok = |k, v: Value| check(Some(k), &v).is_ok();
        assert!(ok("port", json!(8080)));
        assert!(ok("port", json!("http")));
        assert!(ok("port", json!("grpc-web")));
        assert!(ok("targetPort", json!(0)));
        assert!(!ok("port", json!(0)));
        assert!(!ok("port", json!(70000)));
        assert!(!ok("port", json!("HTTP")));
        assert!(!ok("port", json!("8080")));
        assert!(!ok("port", json!("a--b")));
        assert!(!ok("port", json!("-http")));
        assert!(!ok("port", json!("a-very-long-port-name")));
        // Other fields are not this module's.
        assert!(check(Some("value"), &json!("anything")).is_ok());
        assert!(check(None, &json!("anything")).is_ok());
    }
}
