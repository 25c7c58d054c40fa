//! Argo CD's sync waves: with `agent "argocd"`, every object of a service
//! carries `argocd.argoproj.io/sync-wave`, the length of the longest
//! `requires` chain below the service, so Argo CD applies a service after
//! those it requires. Written into the bytes snapset's own YAML writer
//! made (sorted keys, two-space indent, one document per `---` line), so
//! the compiled built-ins and the templates get it alike.

pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// `yaml` (snapset's output) with the annotation set on every document.
pub fn annotate(yaml: &[u8], wave: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(yaml);
    let line_of = format!("    {SYNC_WAVE}: \"{wave}\"\n");
    let mut out = String::with_capacity(text.len() + 64);
    for (i, document) in text
        .split_inclusive('\n')
        .fold(vec![String::new()], |mut docs, line| {
            if line == "---\n" {
                docs.push(String::new());
            } else {
                docs.last_mut().expect("a document").push_str(line);
            }
            docs
        })
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&annotate_one(document, &line_of));
    }
    out.into_bytes()
}

/// The key of a line at `indent`, unquoted; `None` for a deeper line.
fn key_at(line: &str, indent: usize) -> Option<String> {
    let rest = line.strip_prefix(&" ".repeat(indent))?;
    if rest.starts_with(' ') || rest.starts_with('-') || rest.trim().is_empty() {
        return None;
    }
    if rest.starts_with('"') {
        let end = rest.find("\":")?;
        return serde_json::from_str::<String>(&rest[..=end]).ok();
    }
    rest.split_once(':').map(|(k, _)| k.to_string())
}

fn annotate_one(document: &str, line_of: &str) -> String {
    let lines: Vec<&str> = document.split_inclusive('\n').collect();
    let Some(metadata) = lines.iter().position(|l| *l == "metadata:\n") else {
        return document.to_string();
    };
    // The end of the metadata block: the next top-level line.
    let end = lines[metadata + 1..]
        .iter()
        .position(|l| !l.starts_with(' '))
        .map_or(lines.len(), |p| metadata + 1 + p);
    let annotations = (metadata + 1..end).find(|&i| lines[i] == "  annotations:\n");
    let mut out: Vec<&str> = Vec::with_capacity(lines.len() + 2);
    match annotations {
        None => {
            out.extend(&lines[..=metadata]);
            out.push("  annotations:\n");
            out.push(line_of);
            out.extend(&lines[metadata + 1..]);
        }
        Some(at) => {
            let block_end = lines[at + 1..end]
                .iter()
                .position(|l| !l.starts_with("    "))
                .map_or(end, |p| at + 1 + p);
            out.extend(&lines[..=at]);
            let mut placed = false;
            let mut skipping = false;
            for line in &lines[at + 1..block_end] {
                match key_at(line, 4) {
                    Some(key) if key == super::waves::SYNC_WAVE => {
                        // A template's own wave gives way to the graph's.
                        skipping = true;
                        continue;
                    }
                    Some(key) => {
                        skipping = false;
                        if !placed && key.as_str() > SYNC_WAVE {
                            out.push(line_of);
                            placed = true;
                        }
                    }
                    None if skipping => continue,
                    None => {}
                }
                out.push(line);
            }
            if !placed {
                out.push(line_of);
            }
            out.extend(&lines[block_end..]);
        }
    }
    out.concat()
}

#[cfg(test)]
mod tests {
    use super::annotate;

    #[test]
    fn adds_the_wave_in_key_order() {
        let yaml = "apiVersion: \"v1\"\nkind: \"Service\"\nmetadata:\n  labels:\n    app: \"cart\"\n  name: \"cart\"\nspec:\n  x: 1\n---\napiVersion: \"apps/v1\"\nkind: \"Deployment\"\nmetadata:\n  annotations:\n    a.example/x: \"1\"\n    snapset.dev/commit: \"abc\"\n  name: \"cart\"\nspec:\n  template:\n    metadata:\n      annotations:\n        snapset.dev/commit: \"abc\"\n";
        let out = String::from_utf8(annotate(yaml.as_bytes(), 2)).unwrap();
        assert_eq!(
            out,
            "apiVersion: \"v1\"\nkind: \"Service\"\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: \"2\"\n  labels:\n    app: \"cart\"\n  name: \"cart\"\nspec:\n  x: 1\n---\napiVersion: \"apps/v1\"\nkind: \"Deployment\"\nmetadata:\n  annotations:\n    a.example/x: \"1\"\n    argocd.argoproj.io/sync-wave: \"2\"\n    snapset.dev/commit: \"abc\"\n  name: \"cart\"\nspec:\n  template:\n    metadata:\n      annotations:\n        snapset.dev/commit: \"abc\"\n"
        );
    }

    #[test]
    fn replaces_a_wave_the_template_wrote() {
        let yaml = "kind: \"Service\"\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: \"9\"\n  name: \"cart\"\n";
        let out = String::from_utf8(annotate(yaml.as_bytes(), 0)).unwrap();
        assert_eq!(
            out,
            "kind: \"Service\"\nmetadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: \"0\"\n  name: \"cart\"\n"
        );
    }
}
