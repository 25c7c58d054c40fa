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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "file", "files"), "0 files");
        assert_eq!(count(1, "environment", "environments"), "1 environment");
        assert_eq!(count(2, "image", "images"), "2 images");
    }
}
