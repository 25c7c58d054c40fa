//! Places where regorus reads Rego otherwise than OPA, which
//! gatekeeper-library templates rely on, mended in the module's text
//! before the engine sees it. Every line stays where it is, so the
//! engine's line numbers still point at the policy's own lines.
//!
//! 1. A line that starts with `(` inside a rule body is a new expression
//!    in OPA (a newline ends an expression); regorus reads it as a call of
//!    the previous line's last term (`input.parameters.min` then
//!    `(a - b) >= 1` became `input.parameters.min(a - b)`). A `;` is put at
//!    the end of the previous line.
//! 2. Rego v0 lets a rule have several bodies, `p[x] { a } { b }`, each
//!    one a rule of its own with the same head. regorus refuses it for set
//!    rules ("else cannot be used with set rules"). The head is written
//!    again before each further body, on the same line.
//! 3. `sprintf` with fewer arguments than verbs: OPA (Go's fmt) writes
//!    `%!v(MISSING)` for each verb left over; regorus fails the call, so a
//!    violation's message, and with it the violation, was lost: the policy
//!    passed in snapset and refused in the cluster. Where the format and
//!    the arguments are written out (`sprintf("…", [a, b])`), the verbs
//!    left over are written as the text Go prints for them.
//! 4. Under `not`, OPA evaluates a call's or a comparison's arguments
//!    first, so `not f(a.b)` fails the body when `a.b` is undefined;
//!    regorus let the negation hold. A body line `not f(…)` or
//!    `not a.b OP c` binds its references first.
//! 5. An assignment of an undefined value, `x := a.b`, fails the body in
//!    OPA and in regorus's interpreter; regorus's compiled mode (`vm.rs`)
//!    goes on with `x` undefined, so a later `not x` held. A body line
//!    `x := …` is followed by `x == x`, true for every value, undefined
//!    (so failing) for none.

use std::borrow::Cow;

/// `text` as regorus reads it as OPA would; `v0` for Rego v0 modules.
pub fn mend(text: &str, v0: bool) -> Cow<'_, str> {
    let (inserts, body_lines) = Scan::new(text, v0).run();
    let mut edits: Vec<(usize, usize, String)> = inserts
        .into_iter()
        .map(|(at, insert)| (at, at, insert))
        .collect();
    edits.extend(missing_verbs(text));
    edits.extend(negations(text, &body_lines));
    edits.extend(assignments(text, &body_lines));
    if edits.is_empty() {
        return Cow::Borrowed(text);
    }
    edits.sort_by_key(|(at, _, _)| *at);
    let mut out = String::with_capacity(text.len() + 64);
    let mut from = 0;
    for (at, end, insert) in edits {
        if at < from {
            continue;
        }
        out.push_str(&text[from..at]);
        out.push_str(&insert);
        from = end;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

/// Each `sprintf("…", [args])` whose format has more verbs than it has
/// arguments: the format literal's span and the format Go would print.
fn missing_verbs(text: &str) -> Vec<(usize, usize, String)> {
    let scan = Scan::new(text, false);
    let bytes = text.as_bytes();
    let mut edits = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = scan.string_end(i),
            b'`' => i = scan.raw_end(i),
            b'#' => i = scan.line_end(i),
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let called =
                    &text[start..i] == "sprintf" && (start == 0 || bytes[start - 1] != b'.');
                if called && let Some(edit) = sprintf_call(&scan, i) {
                    edits.push(edit);
                }
            }
            _ => i += 1,
        }
    }
    edits
}

/// The edit of one `sprintf` call whose name ends at `i`.
fn sprintf_call(scan: &Scan, i: usize) -> Option<(usize, usize, String)> {
    let bytes = scan.bytes;
    let skip = |mut j: usize| {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    let open = skip(i);
    let format_at = skip((bytes.get(open) == Some(&b'(')).then_some(open + 1)?);
    if bytes.get(format_at) != Some(&b'"') {
        return None;
    }
    let format_end = scan.string_end(format_at);
    let comma = skip(format_end);
    let list = skip((bytes.get(comma) == Some(&b',')).then_some(comma + 1)?);
    if bytes.get(list) != Some(&b'[') {
        return None;
    }
    // The arguments written out: top-level commas up to the matching `]`.
    let (mut depth, mut j, mut args, mut item) = (0usize, list + 1, 0usize, false);
    loop {
        match *bytes.get(j)? {
            b'"' => {
                j = scan.string_end(j);
                item = true;
                continue;
            }
            b'`' => {
                j = scan.raw_end(j);
                item = true;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b']' if depth == 0 => break,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                args += usize::from(item);
                item = false;
                j += 1;
                continue;
            }
            b if b.is_ascii_whitespace() => {
                j += 1;
                continue;
            }
            _ => {}
        }
        item = true;
        j += 1;
    }
    args += usize::from(item);
    let literal = &scan.text[format_at..format_end];
    let mended = go_missing(literal, args)?;
    Some((format_at, format_end, mended))
}

/// `literal` (a quoted format) with every verb past the `args`-th written
/// as Go prints it, `%!v(MISSING)`; `None` when none is missing.
fn go_missing(literal: &str, args: usize) -> Option<String> {
    let mut out = String::with_capacity(literal.len() + 16);
    let mut verbs = 0;
    let mut missing = false;
    let mut chars = literal.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek().is_some_and(|(_, n)| *n == '%') {
            chars.next();
            out.push_str("%%");
            continue;
        }
        // Flags, width and precision, then the verb.
        let mut end = at + 1;
        let mut verb = None;
        for (k, n) in chars.by_ref() {
            end = k + n.len_utf8();
            if !(n.is_ascii_digit() || matches!(n, '+' | '-' | '#' | ' ' | '.' | '*')) {
                verb = Some(n);
                break;
            }
        }
        let Some(verb) = verb.filter(|v| v.is_ascii_alphabetic()) else {
            out.push_str(&literal[at..end]);
            continue;
        };
        if verbs >= args {
            missing = true;
            out.push_str(&format!("%%!{verb}(MISSING)"));
        } else {
            out.push_str(&literal[at..end]);
        }
        verbs += 1;
    }
    missing.then_some(out)
}

/// Each body line `not f(a.b, x)` or `not a.b > 1` whose arguments
/// include a reference: OPA evaluates such arguments before the negation
/// (all but a reference compared with `==` or `=`), so an undefined one
/// fails the body; regorus let the negation hold. The references are
/// bound first, on the same line: `__snapset_not0 := a.b; not f(__snapset_not0, x)`.
fn negations(text: &str, body_lines: &[usize]) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
    let mut fresh = 0;
    for &start in body_lines {
        let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        let line = &text[start..end];
        let Some(rest) = line.strip_prefix("not ") else {
            continue;
        };
        // A comment, `with` or a second expression on the line: left alone.
        let code = rest.trim_end();
        if code.contains(['#', ';']) || code.contains(" with ") {
            continue;
        }
        let Some((shape, operands)) = negated(code) else {
            continue;
        };
        if shape == Shape::Equality {
            continue;
        }
        let mut binds = String::new();
        let mut written = String::new();
        let mut from = 0;
        for (at, len) in operands {
            let operand = &code[at..at + len];
            if !is_reference(operand) {
                continue;
            }
            let name = format!("__snapset_not{fresh}");
            fresh += 1;
            binds.push_str(&format!("{name} := {operand}; {name} == {name}; "));
            written.push_str(&code[from..at]);
            written.push_str(&name);
            from = at + len;
        }
        if binds.is_empty() {
            continue;
        }
        written.push_str(&code[from..]);
        edits.push((
            start,
            start + 4 + code.len(),
            format!("{binds}not {written}"),
        ));
    }
    edits
}

/// Each body line `x := …` that ends on its line: `; x == x` after it.
fn assignments(text: &str, body_lines: &[usize]) -> Vec<(usize, usize, String)> {
    let mut edits = Vec::new();
    for &start in body_lines {
        let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
        let line = text[start..end].trim_end();
        let name_end = line
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(line.len());
        let name = &line[..name_end];
        let Some(value) = line[name_end..].trim_start().strip_prefix(":=") else {
            continue;
        };
        // A constant is never undefined.
        let value = value.trim();
        let constant = value.starts_with(|c: char| c == '"' || c.is_ascii_digit())
            || matches!(value, "true" | "false" | "null");
        if name.is_empty() || name == "_" || constant || !complete(line) {
            continue;
        }
        let at = start + line.len();
        edits.push((at, at, format!("; {name} == {name}")));
    }
    edits
}

/// Whether `line` is one whole expression: no comment or second
/// expression on it, its brackets closed, and no operator left open at
/// its end.
fn complete(line: &str) -> bool {
    let scan = Scan::new(line, false);
    let bytes = line.as_bytes();
    let mut depth = 0i32;
    let mut k = 0;
    while k < bytes.len() {
        match bytes[k] {
            b'"' => {
                // Past the closing quote, or the line's end when it has none.
                let end = scan.string_end(k);
                if end == k + 1 || bytes.get(end - 1) != Some(&b'"') || end > bytes.len() {
                    return false;
                }
                k = end;
                continue;
            }
            b'`' | b'#' | b';' => return false,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            return false;
        }
        k += 1;
    }
    depth == 0 && !line.ends_with(['+', '-', '*', '/', '&', '|', ',', '=', ':', '<', '>'])
}

#[derive(PartialEq)]
enum Shape {
    Call,
    Comparison,
    Equality,
}

/// The shape of a negated expression and its operands' spans in `code`:
/// `f(args)` (the arguments), or `a OP b` (both sides).
fn negated(code: &str) -> Option<(Shape, Vec<(usize, usize)>)> {
    let bytes = code.as_bytes();
    let strings = Scan::new(code, false);
    let name_end = code
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(code.len());
    if name_end > 0 && bytes.get(name_end) == Some(&b'(') && code.ends_with(')') {
        // A call: its arguments, split at top-level commas.
        let inner = name_end + 1..code.len() - 1;
        let mut spans = Vec::new();
        let (mut depth, mut from) = (0usize, inner.start);
        let mut k = inner.start;
        while k < inner.end {
            match bytes[k] {
                b'"' => {
                    k = strings.string_end(k);
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
                b',' if depth == 0 => {
                    spans.push(trimmed(code, from, k));
                    from = k + 1;
                }
                _ => {}
            }
            k += 1;
        }
        if depth != 0 {
            return None;
        }
        spans.push(trimmed(code, from, inner.end));
        return Some((Shape::Call, spans));
    }
    for (op, shape) in [
        (" >= ", Shape::Comparison),
        (" <= ", Shape::Comparison),
        (" != ", Shape::Comparison),
        (" == ", Shape::Equality),
        (" > ", Shape::Comparison),
        (" < ", Shape::Comparison),
    ] {
        if let Some(at) = code.find(op) {
            let right = at + op.len();
            return Some((
                shape,
                vec![trimmed(code, 0, at), trimmed(code, right, code.len())],
            ));
        }
    }
    None
}

/// The span `from..to` of `code` without its blanks, as (start, length).
fn trimmed(code: &str, from: usize, to: usize) -> (usize, usize) {
    let part = &code[from..to];
    let lead = part.len() - part.trim_start().len();
    (from + lead, part.trim().len())
}

/// `a.b.c`: a reference that may be undefined (a dotted path of names).
fn is_reference(operand: &str) -> bool {
    let mut parts = operand.split('.');
    let first = parts.next().unwrap_or("");
    let name = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let rest: Vec<&str> = parts.collect();
    name(first) && first != "_" && !rest.is_empty() && rest.iter().all(|p| name(p))
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    v0: bool,
    /// Open brackets: the byte and, for a rule body, its head
    /// (`head_start..brace`).
    stack: Vec<(u8, Option<(usize, usize)>)>,
    /// The last code byte seen (not in a comment or blank), and where.
    last: Option<(u8, usize)>,
    /// Where the statement being read at module level began.
    statement: Option<usize>,
    /// The head of the rule whose body closed last, `head_start..brace`,
    /// and where its `}` is.
    closed: Option<((usize, usize), usize)>,
    inserts: Vec<(usize, String)>,
    /// Where each line of a rule body (not nested deeper) begins.
    body_lines: Vec<usize>,
}

impl<'t> Scan<'t> {
    fn new(text: &'t str, v0: bool) -> Scan<'t> {
        Scan {
            text,
            bytes: text.as_bytes(),
            v0,
            stack: Vec::new(),
            last: None,
            statement: None,
            closed: None,
            inserts: Vec::new(),
            body_lines: Vec::new(),
        }
    }

    /// The insertions, and where the lines of rule bodies begin.
    fn run(mut self) -> (Vec<(usize, String)>, Vec<usize>) {
        let mut i = 0;
        let mut line_start = true;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            match b {
                b'\n' => {
                    line_start = true;
                    if self.stack.is_empty() {
                        self.statement = None;
                    }
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    i = self.line_end(i);
                    continue;
                }
                _ => {}
            }
            if line_start {
                self.line_begins(i, b);
                line_start = false;
            }
            if self.stack.is_empty() && self.statement.is_none() {
                self.statement = Some(i);
            }
            let end = match b {
                b'"' => self.string_end(i),
                b'`' => self.raw_end(i),
                b'(' | b'[' => {
                    self.stack.push((b, None));
                    i + 1
                }
                b'{' => {
                    self.open_brace(i);
                    i + 1
                }
                b')' | b']' | b'}' => {
                    if let Some((b'{', Some(head))) = self.stack.pop()
                        && self.stack.is_empty()
                    {
                        self.closed = Some((head, i));
                        self.statement = None;
                    }
                    i + 1
                }
                _ => i + 1,
            };
            self.last = Some((self.bytes[end - 1], end - 1));
            i = end;
        }
        self.inserts.sort_by_key(|(at, _)| *at);
        (self.inserts, self.body_lines)
    }

    /// A line's first code byte is `b`, at `i`.
    fn line_begins(&mut self, i: usize, b: u8) {
        let in_body = matches!(self.stack.last(), Some((b'{', Some(_)))) && self.stack.len() == 1;
        if in_body {
            self.body_lines.push(i);
        }
        if b == b'('
            && in_body
            && let Some((last, at)) = self.last
            && (last.is_ascii_alphanumeric() || matches!(last, b'_' | b']' | b')' | b'"' | b'`'))
        {
            self.inserts.push((at + 1, ";".into()));
        }
    }

    fn open_brace(&mut self, i: usize) {
        if !self.stack.is_empty() {
            self.stack.push((b'{', None));
            return;
        }
        // At module level: a body, unless it is a value after `=`, `:=`
        // or `,` (`x := {"a": 1}`).
        let literal = matches!(self.last, Some((b'=' | b',' | b':', _)));
        if literal {
            self.stack.push((b'{', None));
            return;
        }
        // Right after a body's `}` (not a value's: `f(x) = {"a": x} {`).
        let chained =
            matches!((self.last, self.closed), (Some((b'}', at)), Some((_, end))) if at == end);
        let head = match (chained, self.closed) {
            (true, Some(((start, brace), _))) if self.v0 => {
                // A further body: write the head again before it.
                let text = self.text[start..brace].replace(['\n', '\r'], " ");
                self.inserts.push((i, format!("{} ", text.trim_end())));
                (start, brace)
            }
            _ => (self.statement.unwrap_or(i), i),
        };
        self.stack.push((b'{', Some(head)));
    }

    fn line_end(&self, i: usize) -> usize {
        self.text[i..]
            .find('\n')
            .map_or(self.bytes.len(), |n| i + n)
    }

    fn string_end(&self, i: usize) -> usize {
        let mut j = i + 1;
        while j < self.bytes.len() {
            match self.bytes[j] {
                b'\\' => j += 2,
                b'"' => return j + 1,
                b'\n' => return j,
                _ => j += 1,
            }
        }
        self.bytes.len()
    }

    fn raw_end(&self, i: usize) -> usize {
        self.text[i + 1..]
            .find('`')
            .map_or(self.bytes.len(), |n| i + n + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::mend;

    #[test]
    fn a_line_opening_with_a_parenthesis_is_a_new_expression() {
        let text = "package p\n\nspread(h) {\n  input.parameters.min\n  (h.max - h.min) >= input.parameters.min\n}\n";
        let mended = mend(text, true);
        assert_eq!(
            mended,
            "package p\n\nspread(h) {\n  input.parameters.min;\n  (h.max - h.min) >= input.parameters.min\n}\n"
        );
        // A call's arguments on the next line are left alone.
        let call = "package p\n\nf(x) {\n  g(1,\n    (x))\n}\n";
        assert_eq!(mend(call, true), call);
    }

    #[test]
    fn verbs_without_an_argument_are_written_as_go_prints_them() {
        let text = "package p\n\nm := sprintf(\"%v <%v> is %d%%: %v. Allowed: %v\", [a, f(b, c), \"x,]\"])\n";
        assert_eq!(
            mend(text, true),
            "package p\n\nm := sprintf(\"%v <%v> is %d%%: %%!v(MISSING). Allowed: %%!v(MISSING)\", [a, f(b, c), \"x,]\"])\n"
        );
        // Enough arguments, or arguments not written out: unchanged.
        let enough =
            "package p\n\nm := sprintf(\"%v %.2f\", [a, b,])\nn := sprintf(\"%v %v\", args)\n";
        assert_eq!(mend(enough, true), enough);
    }

    #[test]
    fn references_under_not_are_bound_before_it() {
        let text = "package p\n\nv {\n  not accept(rule, x, params.ranges)\n  not input.a.b > 0\n  not input.c == 1\n  not f(\"a\\\"b,\", x.y)\n  not g(x) with input as {}\n}\n";
        assert_eq!(
            mend(text, true),
            "package p\n\nv {\n  __snapset_not0 := params.ranges; __snapset_not0 == __snapset_not0; not accept(rule, x, __snapset_not0)\n  __snapset_not1 := input.a.b; __snapset_not1 == __snapset_not1; not __snapset_not1 > 0\n  not input.c == 1\n  __snapset_not2 := x.y; __snapset_not2 == __snapset_not2; not f(\"a\\\"b,\", __snapset_not2)\n  not g(x) with input as {}\n}\n"
        );
        // The equality is skipped before any name is taken.
    }

    #[test]
    fn an_assignment_is_checked_to_be_defined() {
        let text = "package p\n\nv {\n  x := input.a.b\n  y := [\n    1,\n  ]\n  z := \"a#b\" # note\n  not x\n}\n";
        assert_eq!(
            mend(text, true),
            "package p\n\nv {\n  x := input.a.b; x == x\n  y := [\n    1,\n  ]\n  z := \"a#b\" # note\n  not x\n}\n"
        );
    }

    #[test]
    fn further_bodies_get_the_head_again_on_their_own_line() {
        let text = "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"1 }\"\n} {\n  b # }\n  msg := \"2\"\n}\n";
        let mended = mend(text, true);
        assert_eq!(
            mended,
            "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"1 }\"\n} violation[{\"msg\": msg}] {\n  b # }\n  msg := \"2\"\n}\n"
        );
        assert_eq!(mended.lines().count(), text.lines().count());
        // Rego v1 and a module with one body each: unchanged.
        assert_eq!(mend(text, false), text);
        let plain = "package p\n\nx := {\"a\": 1}\n\nf(x) = {\"a\": x} {\n  x\n}\n\np[x] {\n  x := 1\n}\n\nq {\n  true\n} else = false {\n  true\n}\n";
        assert_eq!(mend(plain, true), plain);
    }
}
