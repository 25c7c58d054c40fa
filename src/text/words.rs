//! Counts as people write them: "1 environment", "3 environments". A
//! summary line that says "1 environments" reads as a bug, so every count
//! printed with its noun goes through here.

/// `n` and the noun, singular for exactly one.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `n` with its thousands grouped by commas: 24,526.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(24526), "24,526");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(1, "environment", "environments"), "1 environment");
        assert_eq!(count(2, "image", "images"), "2 images");
    }
}
