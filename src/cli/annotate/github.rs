//! GitHub Actions workflow commands: `::error file=…,line=…::message`, one
//! line per problem, which the runner turns into annotations on the pull
//! request's lines. Escaping follows the runner's rules: in the message,
//! `%`, CR and LF; in property values, also `:` and `,`.

use super::{Annotation, Severity};

pub fn render(annotations: &[Annotation]) -> String {
    annotations.iter().map(line).collect()
}

fn line(a: &Annotation) -> String {
    let command = match a.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = Vec::new();
    if let Some(p) = &a.place {
        props.push(format!("file={}", property(&p.path)));
        props.push(format!("line={}", p.line));
        props.push(format!("col={}", p.col));
        props.push(format!("endLine={}", p.end_line));
        if p.end_line == p.line {
            // The runner takes endColumn only on a one-line span.
            props.push(format!("endColumn={}", p.end_col));
        }
    }
    props.push(format!("title={}", property("snapset")));
    format!("::{command} {}::{}\n", props.join(","), data(&a.message))
}

pub fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_reads() {
        assert_eq!(data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
