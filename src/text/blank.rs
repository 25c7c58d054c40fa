//! Whether a text a person wrote says anything. A reason (`hotfix`,
//! `reject … reason=`, `freeze … reason=`, `snapset reject --reason`) is
//! what reviewers and the release page read instead of the rule it waives:
//! one made only of spaces, control characters or characters that draw
//! nothing (a zero-width space, a bidi mark, a Hangul filler) would pass a
//! review as "no reason given" that looks like one.

/// True when `text` holds no character that draws something.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(invisible)
}

/// Whitespace, controls, format characters (Unicode category Cf) and the
/// few letters and marks that render as nothing.
fn invisible(c: char) -> bool {
    c.is_whitespace() || c.is_control() || is_format(c) || draws_nothing(c)
}

/// Unicode's format characters (Cf, Unicode 15).
fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// Letters and marks of other categories that are blank on screen: the
/// combining grapheme joiner, the Hangul fillers, the blank Braille
/// pattern, variation selectors and the Mongolian ones.
fn draws_nothing(c: char) -> bool {
    matches!(
        c as u32,
        0x34F
            | 0x115F
            | 0x1160
            | 0x3164
            | 0xFFA0
            | 0x2800
            | 0x180B..=0x180D
            | 0x180F
            | 0xFE00..=0xFE0F
            | 0xE0100..=0xE01EF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_drawn_characters_count() {
        for blank in [
            "",
            " ",
            "\t\n",
            "\u{200b}",
            "\u{00ad}\u{2060}\u{feff}",
            "\u{202e}\u{2066}\u{2069}",
            "\u{e0001}\u{e0041}",
            "\u{3164}\u{115f}\u{2800}\u{034f}",
            "\u{180e}\u{061c}\u{fff9}",
            "\u{3000}\u{a0}",
        ] {
            assert!(is_blank(blank), "{blank:?}");
        }
        for words in ["x", " why ", "\u{200b}a", "修正", "🚑"] {
            assert!(!is_blank(words), "{words:?}");
        }
    }
}
