//! What to say about a variable a template used but no layer set for the
//! service it rendered: `{{ vars.queue }}` that varsets give to two services
//! and forget for the third is a varset's omission as often as a template's
//! mistake, so the error says which services have it and where.

use super::Scene;
use crate::error::sources::Loc;
use crate::error::targets;
use crate::resolve::{Origin, VarEntry};

/// `vars.queue.name` or `vars["log-level"]`: the keys after `vars`.
pub fn var_path(expression: &str) -> Option<Vec<String>> {
    let mut rest = expression.trim().strip_prefix("vars")?;
    let mut keys = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix('.') {
            let len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            keys.push(after[..len].to_string());
            rest = &after[len..];
        } else if let Some(after) = rest.strip_prefix("[\"").or_else(|| rest.strip_prefix("['")) {
            let len = after.find(['"', '\''])?;
            keys.push(after[..len].to_string());
            rest = after[len + 1..].strip_prefix(']')?;
        } else {
            break;
        }
    }
    (!keys.is_empty() && keys.iter().all(|k| !k.is_empty())).then_some(keys)
}

/// `vars.readiness-path` (a key with `-` written after a dot, which the
/// template language reads as a subtraction) somewhere in `expression`:
/// that text and how to write it, `vars["readiness-path"]`.
pub fn hyphenated(expression: &str) -> Option<(String, String)> {
    let start = expression.find("vars.")?;
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut written = String::from("vars");
    let mut fixed = String::from("vars");
    let mut rest = &expression[start + 4..];
    let mut any = false;
    while let Some(after) = rest.strip_prefix('.') {
        let len = after.find(|c: char| !word(c)).unwrap_or(after.len());
        let key = after[..len].trim_end_matches('-');
        if key.is_empty() {
            break;
        }
        written.push('.');
        written.push_str(key);
        if key.contains('-') {
            any = true;
            fixed.push_str(&format!("[\"{key}\"]"));
        } else {
            fixed.push('.');
            fixed.push_str(key);
        }
        rest = &after[key.len()..];
    }
    any.then_some((written, fixed))
}

/// What to say about `vars.<path>` that the template used but no layer set
/// for this service: which other services of the environment have it (and
/// where the first one's is set), and the two ways out.
pub fn hint(path: &[String], scene: Scene) -> (String, Option<(Loc, String)>) {
    let name = format!("vars.{}", path.join("."));
    let guard = format!("or test it in the template: `{{% if {name} is defined %}}`");
    let Some(service) = scene.service else {
        return (
            format!(
                "no varset of the environment sets `{name}`: set it in a varset's `vars`, {guard}"
            ),
            None,
        );
    };
    let having: Vec<(&str, Option<Loc>)> = scene
        .env
        .services
        .iter()
        .filter(|s| s.name != service.name)
        .filter_map(|s| {
            let setting = s.settings.vars.get(path)?.history.last()?;
            (setting.value != VarEntry::Removed).then(|| {
                let at = match &setting.origin {
                    Origin::At(loc) => Some(loc.clone()),
                    Origin::Default => None,
                };
                (s.name.as_str(), at)
            })
        })
        .collect();
    let section = format!("`service \"{}\" {{ vars {{ … }} }}`", service.name);
    if having.is_empty() {
        return (
            format!(
                "no varset sets `{name}` for `{}`: set it in a varset ({section}, or its global `vars`), {guard}",
                service.name
            ),
            None,
        );
    }
    let names: Vec<&str> = having.iter().map(|(n, _)| *n).collect();
    let shown = targets::names(&names);
    let label = having
        .iter()
        .find_map(|(n, at)| at.clone().map(|at| (at, format!("set for `{n}` here"))));
    (
        format!(
            "`{name}` is set for {shown} but not for `{}`: set it for `{}` too ({section} in a varset), {guard}",
            service.name, service.name
        ),
        label,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_keys_after_vars() {
        assert_eq!(var_path("vars.queue"), Some(vec!["queue".to_string()]));
        assert_eq!(
            var_path("vars[\"log-level\"].x"),
            Some(vec!["log-level".to_string(), "x".to_string()])
        );
        assert_eq!(var_path("service.name"), None);
        assert_eq!(var_path("vars"), None);
    }

    #[test]
    fn a_hyphenated_key_is_written_as_a_subscript() {
        assert_eq!(
            hyphenated("vars.readiness-path"),
            Some((
                "vars.readiness-path".into(),
                "vars[\"readiness-path\"]".into()
            ))
        );
        assert_eq!(
            hyphenated("x + vars.hpa.min-replicas * 2"),
            Some((
                "vars.hpa.min-replicas".into(),
                "vars.hpa[\"min-replicas\"]".into()
            ))
        );
        assert_eq!(hyphenated("vars.replicas - 1"), None);
        assert_eq!(hyphenated("vars[\"log-level\"]"), None);
    }
}
