//! Kubernetes quantities (`250m`, `128Mi`, `1.5`, `1e3`) read as the API
//! server reads them: apimachinery's `ParseQuantity`, byte for byte in
//! what it accepts, so that `cpu: "lots"` or `memory: "1Gb"` fails here
//! with its template line instead of at `kubectl apply` (or, worse, in a
//! GitOps agent's log after the merge).

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantityError {
    /// Not `<sign><digits>.<digits><suffix>` at all.
    Format,
    /// A number with a suffix Kubernetes does not know (`1Gb`, `5x`).
    Suffix(String),
}

/// The decimal suffixes and their powers of ten.
const DECIMAL: [(&str, i32); 10] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("", 0),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

/// The binary suffixes and their powers of two.
const BINARY: [(&str, i32); 6] = [
    ("Ki", 10),
    ("Mi", 20),
    ("Gi", 30),
    ("Ti", 40),
    ("Pi", 50),
    ("Ei", 60),
];

/// The value of a quantity, approximately (for comparisons of a request
/// with its limit), or why the API server would refuse it.
pub fn parse(text: &str) -> Result<f64, QuantityError> {
    let b = text.as_bytes();
    if b.is_empty() {
        return Err(QuantityError::Format);
    }
    let mut pos = 0;
    let negative = b[0] == b'-';
    if matches!(b[0], b'-' | b'+') {
        pos = 1;
    }
    // A sign alone, or zeros alone, is zero (as in apimachinery).
    while pos < b.len() && b[pos] == b'0' {
        pos += 1;
    }
    if pos == b.len() {
        return Ok(0.0);
    }
    let digits = |from: usize| {
        let mut at = from;
        while at < b.len() && b[at].is_ascii_digit() {
            at += 1;
        }
        at
    };
    let number_start = pos;
    pos = digits(pos);
    if pos < b.len() && b[pos] == b'.' {
        pos = digits(pos + 1);
    }
    let number = &text[number_start..pos];
    // The suffix: letters of "eEinumkKMGTP", an optional sign, digits.
    let suffix_start = pos;
    while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < b.len() && matches!(b[pos], b'-' | b'+') {
        pos += 1;
    }
    pos = digits(pos);
    if pos < b.len() {
        return Err(QuantityError::Format);
    }
    let suffix = &text[suffix_start..];
    let magnitude: f64 = match number {
        "" | "." => 0.0,
        n => n.parse().unwrap_or(0.0),
    };
    let scale = if let Some((_, exp)) = DECIMAL.iter().find(|(s, _)| *s == suffix) {
        10f64.powi(*exp)
    } else if let Some((_, exp)) = BINARY.iter().find(|(s, _)| *s == suffix) {
        2f64.powi(*exp)
    } else if suffix.len() > 1 && suffix.starts_with(['e', 'E']) {
        match suffix[1..].parse::<i64>() {
            Ok(exp) => 10f64.powi(exp.clamp(-400, 400) as i32),
            Err(_) => return Err(QuantityError::Suffix(suffix.to_string())),
        }
    } else {
        return Err(QuantityError::Suffix(suffix.to_string()));
    };
    let value = magnitude * scale;
    Ok(if negative { -value } else { value })
}

/// What to say about a text that is not a quantity, with a hint for the
/// usual slips: a unit of bytes with `B` (`1Gb`, `512MiB`), an unknown unit.
pub fn explain(text: &str) -> String {
    let number = number_part(text);
    let unit = &text[number.len()..];
    let hint = if number.is_empty() || unit.is_empty() {
        String::new()
    } else {
        let prefix = match unit.to_ascii_lowercase().as_str() {
            "kb" | "kib" | "k" => Some(("Ki", "k")),
            "mb" | "mib" => Some(("Mi", "M")),
            "gb" | "gib" => Some(("Gi", "G")),
            "tb" | "tib" => Some(("Ti", "T")),
            "pb" | "pib" => Some(("Pi", "P")),
            "eb" | "eib" => Some(("Ei", "E")),
            _ => None,
        };
        match prefix {
            Some((binary, decimal)) => format!(
                "; did you mean `{number}{binary}` (powers of 1024) or `{number}{decimal}` (powers of 1000)?"
            ),
            None => format!(
                "; `{unit}` is not a unit: they are m (thousandths), k, M, G, T, P, E (powers of 1000) and Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024)"
            ),
        }
    };
    format!(
        "`{text}` is not a Kubernetes quantity: write a number with an optional unit, such as `250m` or `2` (CPU) or `128Mi` (bytes){hint}"
    )
}

/// The number in front of a unit: `1` of `1Gb`.
fn number_part(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_api_server_reads() {
        for ok in [
            "0", "1", "250m", "1.5", "1.5Gi", "128Mi", "2k", "1e3", "1E-3", "+1", "-1", ".5", "5.",
            "1n", "10u", "1Ei", "0.5m", "-", ".", "00", "1e+3",
            // apimachinery reads a unit without a number as zero.
            "Gi", "m",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "lots", "1Gb", "1 Gi", " 1", "1.5.5", "1e", "1Ki2", "1GiB", "1K", "0x10", "1,5",
            "1e1.5", "12 ",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("250m"), Ok(0.25));
        assert_eq!(parse("1Ki"), Ok(1024.0));
        assert_eq!(parse("1e3"), Ok(1000.0));
        assert_eq!(parse("-2"), Ok(-2.0));
    }

    #[test]
    fn a_bytes_suffix_gets_a_hint() {
        let text = explain("1Gb");
        assert!(text.contains("`1Gi` (powers of 1024) or `1G`"), "{text}");
        let text = explain("64KB");
        assert!(text.contains("`64Ki`") && text.contains("`64k`"), "{text}");
        assert!(!explain("lots").contains("did you mean"));
        assert!(explain("5x").contains("`x` is not a unit"));
    }
}
