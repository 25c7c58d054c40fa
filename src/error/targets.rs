//! For which environments and services a template failed. A template or a
//! variable that is wrong for one service is usually wrong for several, in
//! several environments: the render reports it once, naming all of them
//! (`merge`), so a user knows whether the mistake is in one service's
//! section, in one environment's varset or in the template itself.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// The (environment, service) pairs a failure was seen for, in render
/// order; the service is `None` for environment-scope templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets(Vec<(String, Option<String>)>);

/// Names listed before "and N more".
const SHOWN: usize = 5;

impl Targets {
    pub fn one(environment: &str, service: Option<&str>) -> Self {
        Targets(vec![(environment.to_string(), service.map(str::to_string))])
    }

    /// Adds `other`'s pairs that are not here yet.
    pub fn extend(&mut self, other: &Targets) {
        for pair in &other.0 {
            if !self.0.contains(pair) {
                self.0.push(pair.clone());
            }
        }
    }

    /// ` for service `cart` in environment `prod``, with its leading
    /// space, to follow a verb; nothing when empty.
    pub fn phrase(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!(" {self}")
        }
    }
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `` `a`, `b` and `c` `` — at most `SHOWN` names, then "and N more".
pub fn names(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().take(SHOWN).map(|i| format!("`{i}`")).collect();
    let more = items.len().saturating_sub(SHOWN);
    match (quoted.split_last(), more) {
        (None, _) => String::new(),
        (Some((last, [])), 0) => last.clone(),
        (Some((last, rest)), 0) => format!("{} and {last}", rest.join(", ")),
        (Some(_), more) => format!("{} and {more} more", quoted.join(", ")),
    }
}

fn noun(word: &str, count: usize) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

impl fmt::Display for Targets {
    /// `for service `cart` in environment `prod``; every environment's
    /// services when they differ.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let envs = distinct(self.0.iter().map(|(e, _)| e.as_str()));
        let services = distinct(self.0.iter().filter_map(|(_, s)| s.as_deref()));
        if services.is_empty() {
            return write!(f, "in {} {}", noun("environment", envs.len()), names(&envs));
        }
        if self.0.len() == envs.len() * services.len() {
            return write!(
                f,
                "for {} {} in {} {}",
                noun("service", services.len()),
                names(&services),
                noun("environment", envs.len()),
                names(&envs)
            );
        }
        let groups: Vec<String> = envs
            .iter()
            .map(|env| {
                let of_env = distinct(
                    self.0
                        .iter()
                        .filter(|(e, _)| e == env)
                        .filter_map(|(_, s)| s.as_deref()),
                );
                format!(
                    "{} {} in environment `{env}`",
                    noun("service", of_env.len()),
                    names(&of_env)
                )
            })
            .collect();
        write!(f, "for {}", groups.join("; "))
    }
}

/// The same failure seen for several services and environments becomes
/// one error naming them all. And a template that fails for one service
/// usually fails for all of them, in every environment: its first error is
/// reported, not a thousand.
pub fn merge(errors: Vec<Error>) -> Vec<Error> {
    let mut out: Vec<(Option<String>, Error)> = Vec::new();
    let mut templates = std::collections::HashSet::new();
    for e in errors {
        let key = merge_key(&e);
        if let Some(key) = &key
            && let Some((_, first)) = out.iter_mut().find(|(k, _)| k.as_ref() == Some(key))
        {
            if let (Some(into), Some(more)) = (targets_mut(&mut first.kind), targets(&e.kind)) {
                into.extend(more);
            }
            continue;
        }
        let first_of_template = match &*e.kind {
            ErrorKind::NotYaml { template, .. } | ErrorKind::Manifest { template, .. } => {
                templates.insert(template.clone())
            }
            ErrorKind::OutputClash { first, second, .. } => {
                templates.insert(format!("{first}\n{second}"))
            }
            _ => true,
        };
        if first_of_template {
            out.push((key, e));
        }
    }
    out.into_iter().map(|(_, e)| e).collect()
}

/// What two errors that differ only in their environments and services
/// have in common.
fn merge_key(e: &Error) -> Option<String> {
    let at = e
        .labels
        .first()
        .map(|l| format!("{:?}:{:?}", l.loc.file, l.loc.span))
        .unwrap_or_default();
    match &*e.kind {
        ErrorKind::Manifest {
            template,
            kind,
            detail,
            ..
        } => Some(format!("manifest\0{template}\0{kind}\0{detail}\0{at}")),
        ErrorKind::ManifestValue {
            var,
            template,
            kind,
            detail,
            ..
        } => Some(format!("value\0{var}\0{template}\0{kind}\0{detail}\0{at}")),
        ErrorKind::TemplateRender { name, detail, .. } => {
            Some(format!("render\0{name}\0{detail}\0{at}"))
        }
        ErrorKind::Unresolved {
            template,
            kind,
            detail,
            ..
        } => Some(format!("unresolved\0{template}\0{kind}\0{detail}\0{at}")),
        _ => None,
    }
}

fn targets(kind: &ErrorKind) -> Option<&Targets> {
    match kind {
        ErrorKind::Manifest { targets, .. }
        | ErrorKind::ManifestValue { targets, .. }
        | ErrorKind::TemplateRender { targets, .. }
        | ErrorKind::Unresolved { targets, .. } => Some(targets),
        _ => None,
    }
}

fn targets_mut(kind: &mut ErrorKind) -> Option<&mut Targets> {
    match kind {
        ErrorKind::Manifest { targets, .. }
        | ErrorKind::ManifestValue { targets, .. }
        | ErrorKind::TemplateRender { targets, .. }
        | ErrorKind::Unresolved { targets, .. } => Some(targets),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(pairs: &[(&str, Option<&str>)]) -> Targets {
        let mut all = Targets::default();
        for (e, s) in pairs {
            all.extend(&Targets::one(e, *s));
        }
        all
    }

    #[test]
    fn names_services_and_environments() {
        assert_eq!(
            targets(&[("prod", Some("cart"))]).to_string(),
            "for service `cart` in environment `prod`"
        );
        assert_eq!(
            targets(&[
                ("dev", Some("cart")),
                ("dev", Some("taxe")),
                ("prod", Some("cart")),
                ("prod", Some("taxe")),
            ])
            .to_string(),
            "for services `cart` and `taxe` in environments `dev` and `prod`"
        );
        assert_eq!(
            targets(&[
                ("dev", Some("cart")),
                ("dev", Some("taxe")),
                ("prod", Some("cart"))
            ])
            .to_string(),
            "for services `cart` and `taxe` in environment `dev`; service `cart` in environment `prod`"
        );
        assert_eq!(
            targets(&[("dev", None), ("prod", None)]).to_string(),
            "in environments `dev` and `prod`"
        );
        let many: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
        let pairs: Vec<(&str, Option<&str>)> =
            many.iter().map(|s| ("dev", Some(s.as_str()))).collect();
        assert_eq!(
            targets(&pairs).to_string(),
            "for services `s0`, `s1`, `s2`, `s3`, `s4` and 3 more in environment `dev`"
        );
    }
}
