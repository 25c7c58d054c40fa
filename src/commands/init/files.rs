//! The text of the files `init` writes. Each carries comments that say
//! what to change next: a first workspace is where people learn the format.

use crate::commands::edit::quote;
use crate::text::kdl::comment;

use super::found::FoundService;

/// Everything `init` decided, ready to be written.
pub struct Scaffold {
    /// The `repo` value, relative to the workspace or absolute.
    pub repo: String,
    /// The repository's name as a DNS label: the image path and the
    /// namespaces' prefix.
    pub project: String,
    pub services: Vec<FoundService>,
    /// Per service, in order: the pinned commit's text and its subject (as
    /// the commit has it: escaped where it is written).
    pub pins: Vec<(String, String)>,
    pub snapshot: String,
    /// HEAD's short hash, named in the snapshot's comment.
    pub head: String,
    pub envs: Vec<String>,
}

impl Scaffold {
    /// `(path relative to the workspace, text)`, snapset.kdl first.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = vec![
            ("snapset.kdl".to_string(), self.config()),
            (format!("snapshots/{}.kdl", self.snapshot), self.snapshot()),
            ("varsets/base.kdl".to_string(), self.base()),
        ];
        for env in &self.envs {
            files.push((format!("varsets/{env}.kdl"), self.varset(env)));
        }
        files
    }

    /// The namespace of an environment: `shop-dev`, at most 63 characters.
    pub fn namespace(&self, env: &str) -> String {
        let room = 63usize.saturating_sub(env.len() + 1);
        let project = self.project[..self.project.len().min(room)].trim_end_matches('-');
        if project.is_empty() {
            env.to_string()
        } else {
            format!("{project}-{env}")
        }
    }

    fn config(&self) -> String {
        let name_width = self
            .services
            .iter()
            .map(|s| quote(&s.name).len())
            .max()
            .unwrap_or(0);
        let path_width = self
            .services
            .iter()
            .map(|s| quote(&s.path).len())
            .max()
            .unwrap_or(0);
        let mut services = String::new();
        for s in &self.services {
            let head = format!(
                "service {:name_width$} path={:path_width$}",
                quote(&s.name),
                quote(&s.path)
            );
            services.push_str(&match s.port {
                Some(port) => format!("{head} port={port}\n"),
                // A service without a port renders a Deployment and no
                // Service: right for a worker, worth a look otherwise.
                None => format!("{}   // no port: {}\n", head.trim_end(), comment(&s.why)),
            });
        }
        let env_width = self.envs.iter().map(|e| quote(e).len()).max().unwrap_or(0);
        let environments: String = self
            .envs
            .iter()
            .map(|e| {
                format!(
                    "environment {:env_width$} snapshot={} varset={}\n",
                    quote(e),
                    quote(&self.snapshot),
                    quote(e)
                )
            })
            .collect();
        format!(
            "// snapset workspace, started by `snapset init`. `snapset render` compiles every\n\
             // environment below into out/<env>/; README.md of snapset explains each node.\n\
             \n\
             // The git repository whose commits version the services (relative to this file).\n\
             repo {repo}\n\
             \n\
             // CHANGE ME: registry.example.com is a placeholder. Write where your CI pushes\n\
             // images: {{service}} = the service name, {{commit}} = the full commit hash,\n\
             // {{short}} = its first 8 hex digits, {{track}} = the track.\n\
             image {image}\n\
             \n\
             // One service per folder holding a Dockerfile, a Containerfile or a snapset.port\n\
             // file; port= came from the Dockerfile's EXPOSE (or snapset.port).\n\
             {services}\
             \n\
             // An environment = one snapshot (which commits) + one varset (which settings).\n\
             {environments}",
            repo = quote(&self.repo),
            image = quote(&format!(
                "registry.example.com/{}/{{service}}:{{commit}}",
                self.project
            )),
        )
    }

    fn snapshot(&self) -> String {
        let width = self
            .services
            .iter()
            .map(|s| quote(&s.name).len())
            .max()
            .unwrap_or(0);
        let lines: String = self
            .services
            .iter()
            .zip(&self.pins)
            .map(|(s, (commit, subject))| {
                format!(
                    "    service {:width$} commit={}   // {}\n",
                    quote(&s.name),
                    quote(commit),
                    comment(subject)
                )
            })
            .collect();
        format!(
            "// Started by `snapset init` from the newest commit of each service on HEAD\n\
             // ({head}). Move a service with `snapset bump {name} SERVICE`, or start the\n\
             // next release with `snapset snapshot new NAME --from {name}`.\n\
             snapshot {quoted} {{\n{lines}}}\n",
            head = self.head,
            name = self.snapshot,
            quoted = quote(&self.snapshot),
        )
    }

    fn base(&self) -> String {
        "// Settings every environment shares; each environment's varset `extends \"base\"`\n\
         // and overrides what differs. `snapset explain --env E SERVICE KEY` shows which\n\
         // file and line set a value.\n\
         varset \"base\" {\n    \
             vars {\n        \
                 replicas 1\n    \
             }\n    \
             // Container environment variables of every service.\n    \
             env {\n        \
                 LOG_LEVEL \"info\"\n    \
             }\n\
         }\n"
        .to_string()
    }

    fn varset(&self, env: &str) -> String {
        format!(
            "varset {} {{\n    \
                 extends \"base\"\n    \
                 namespace {}\n    \
                 // vars {{ replicas 3; }}, env {{ ... }}, service \"NAME\" {{ ... }}: what differs here.\n\
             }}\n",
            quote(env),
            quote(&self.namespace(env))
        )
    }
}

/// A name usable as a DNS-1123 label, from a folder or repository name:
/// `Shop_Repo.git` → `shop-repo`.
pub fn project_name(raw: &str) -> String {
    let raw = raw.strip_suffix(".git").unwrap_or(raw);
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(40).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "app".to_string()
    } else {
        out
    }
}

/// `YYYY-MM-DD` of a Unix time, in UTC.
pub fn date(unix: i64) -> String {
    crate::text::date::Moment {
        seconds: unix,
        offset_minutes: 0,
    }
    .day()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_dates() {
        assert_eq!(project_name("shop.git"), "shop");
        assert_eq!(project_name("My_Mono.Repo"), "my-mono-repo");
        assert_eq!(project_name("___"), "app");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_767_225_600), "2026-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
