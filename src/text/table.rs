//! Plain-text tables for the history commands (`log`, `where`, `metrics`):
//! columns padded to their widest cell, two spaces apart and two in
//! from the margin, no trailing blanks.

use std::fmt::Write;

/// `head` and `rows` as aligned lines, each ending in a newline.
pub fn aligned(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let head: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    let mut out = String::new();
    for row in std::iter::once(&head).chain(rows) {
        let mut line = String::new();
        for (w, cell) in widths.iter().zip(row) {
            let _ = write!(line, "  {cell:<w$}");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_all_but_the_last_column() {
        let rows = vec![vec!["prod".to_string(), "x".to_string()]];
        assert_eq!(
            aligned(&["ENV", "WHAT"], &rows),
            "  ENV   WHAT\n  prod  x\n"
        );
    }
}
