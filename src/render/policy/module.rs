//! One Rego module and where its lines are in the workspace: a whole
//! `.rego` file, or a block of a ConstraintTemplate's YAML (`rego: |`),
//! whose line 1 is some line of the YAML file. Errors the engine reports
//! at a module's line are turned into the file's line here.

use crate::error::sources::{FileId, Loc, Sources};

use super::source;

#[derive(Clone)]
pub struct Module {
    pub file: FileId,
    /// The file line of the module's line 1.
    pub first_line: usize,
    pub text: String,
}

impl Module {
    /// A whole `.rego` file.
    pub fn whole(file: FileId, text: String) -> Module {
        Module {
            file,
            first_line: 1,
            text,
        }
    }

    /// A block of YAML text, found in the file after `from` by its first
    /// written line (a block scalar keeps its lines, indented).
    pub fn in_file(file: FileId, yaml: &str, from: usize, text: String) -> Module {
        let skipped = text.lines().take_while(|l| l.trim().is_empty()).count();
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let first_line = yaml[from..]
            .lines()
            .scan(source::line_of(yaml, from), |n, l| {
                let at = *n;
                *n += 1;
                Some((at, l))
            })
            .find(|(_, l)| !first.is_empty() && l.trim() == first.trim())
            .map_or(source::line_of(yaml, from), |(n, _)| {
                n.saturating_sub(skipped)
            });
        Module {
            file,
            first_line,
            text,
        }
    }

    /// Its `package a.b` name.
    pub fn package(&self) -> Option<String> {
        self.text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix("package ")?;
            let name = rest.split('#').next()?.trim();
            (!name.is_empty()).then(|| name.to_string())
        })
    }

    /// The file's line for the module's 1-based `line`.
    pub fn loc(&self, sources: &Sources, line: usize) -> Loc {
        let text = &sources.get(self.file).text;
        source::line_loc(self.file, text, self.first_line + line.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_of_yaml_is_found_at_its_file_line() {
        let yaml = "kind: ConstraintTemplate\nspec:\n  targets:\n    - rego: |\n        package x\n\n        violation[{\"msg\": m}] { m := \"no\" }\n";
        let rego = "package x\n\nviolation[{\"msg\": m}] { m := \"no\" }\n".to_string();
        let mut sources = Sources::default();
        let file = sources.add("t.yaml".into(), std::path::Path::new("t.yaml"), yaml.into());
        let m = Module::in_file(file, yaml, 0, rego);
        assert_eq!(m.first_line, 5);
        assert_eq!(m.package().as_deref(), Some("x"));
        let loc = m.loc(&sources, 3);
        assert_eq!(
            &yaml[loc.span],
            "        violation[{\"msg\": m}] { m := \"no\" }"
        );
    }
}
