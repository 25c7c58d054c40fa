//! Which variables a template reads, from its text: `vars.replicas`,
//! `vars["log-level"]`, `"cpu" in vars`. A var key that no template of an
//! environment reads is a value lost without a word (`replicaz 3`), so
//! `check` warns about it. Read once per template when it is compiled, not
//! while rendering: the render stays as fast as it was. Any other use of
//! `vars` (a loop over it, `vars[name]`, passing it to a macro) may read
//! any key, and then no key of that template's environments is called
//! unused.

use std::collections::BTreeSet;

/// The top-level keys of `vars` a template reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reads {
    /// It uses `vars` in a way that may read any key.
    All,
    Keys(BTreeSet<String>),
}

impl Default for Reads {
    fn default() -> Self {
        Reads::Keys(BTreeSet::new())
    }
}

impl Reads {
    pub fn add(&mut self, other: &Reads) {
        match (&mut *self, other) {
            (Reads::All, _) => {}
            (_, Reads::All) => *self = Reads::All,
            (Reads::Keys(mine), Reads::Keys(theirs)) => {
                mine.extend(theirs.iter().cloned());
            }
        }
    }

    pub fn reads(&self, key: &str) -> bool {
        match self {
            Reads::All => true,
            Reads::Keys(keys) => keys.contains(key),
        }
    }
}

/// The keys `text` reads, looking inside `{{ … }}` and `{% … %}` only
/// (comments and the YAML around them read nothing).
pub fn reads(text: &str) -> Reads {
    let mut keys = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = match after.as_bytes().first() {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        if !code(&body[..end], &mut keys) {
            return Reads::All;
        }
        rest = &body[end..];
    }
    Reads::Keys(keys)
}

/// Adds the keys one tag reads; `false` when it uses `vars` otherwise.
fn code(code: &str, keys: &mut BTreeSet<String>) -> bool {
    let bytes = code.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut from = 0;
    while let Some(found) = code[from..].find("vars") {
        let at = from + found;
        let end = at + 4;
        from = end;
        if (at > 0 && word(bytes[at - 1])) || bytes.get(end).is_some_and(|&b| word(b)) {
            continue;
        }
        let after = &code[end..];
        if let Some(key) = after.strip_prefix('.') {
            let len = key.bytes().take_while(|&b| word(b)).count();
            let key = &key[..len];
            // `vars.items()`: a method over every key.
            if key.is_empty() || after[1 + len..].trim_start().starts_with('(') {
                return false;
            }
            keys.insert(key.to_string());
        } else if let Some(index) = after.strip_prefix('[') {
            match quoted(index.trim_start()) {
                Some(key) => {
                    keys.insert(key.to_string());
                }
                None => return false,
            }
        } else if let Some(key) = tested(&code[..at]) {
            keys.insert(key.to_string());
        } else {
            return false;
        }
    }
    true
}

/// The key of `"cpu" in vars` / `"cpu" not in vars`, read backwards
/// from just before `vars`.
fn tested(before: &str) -> Option<&str> {
    let before = before.trim_end().strip_suffix("in")?.trim_end();
    let before = before.strip_suffix("not").map_or(before, str::trim_end);
    let quote = before.chars().last().filter(|c| matches!(c, '"' | '\''))?;
    let inner = &before[..before.len() - 1];
    let start = inner.rfind(quote)?;
    Some(&inner[start + 1..])
}

/// `"key"]` or `'key']`: the key.
fn quoted(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| matches!(c, '"' | '\''))?;
    let inner = &text[1..];
    let end = inner.find(quote)?;
    inner[end + 1..]
        .trim_start()
        .starts_with(']')
        .then_some(&inner[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        match reads(text) {
            Reads::All => vec!["*".into()],
            Reads::Keys(k) => k.into_iter().collect(),
        }
    }

    #[test]
    fn reads_the_keys_a_template_names() {
        assert_eq!(
            keys("a: {{ vars.cpu }} {{ vars[\"log-level\"] }} {% if 'hpa' in vars %}{% endif %}"),
            ["cpu", "hpa", "log-level"]
        );
        assert_eq!(keys("{% if \"x\" not in vars %}{% endif %}"), ["x"]);
        assert_eq!(keys("{{ s.vars.queue.name }} {{ myvars }}"), ["queue"]);
        assert_eq!(keys("# vars everywhere {# vars #}"), Vec::<String>::new());
    }

    #[test]
    fn any_other_use_reads_everything() {
        assert_eq!(keys("{% for k, v in vars | items %}{% endfor %}"), ["*"]);
        assert_eq!(keys("{{ vars[name] }}"), ["*"]);
        assert_eq!(keys("{{ m(vars) }}"), ["*"]);
    }
}
