//! The KDL readers against the `kdl` crate 6 (kdl-org's own Rust
//! implementation, 1.0 through its `v1` feature) and knus: on both
//! specification suites, then on seeded mutants of them (characters of
//! KDL's syntax inserted, removed or replaced). Each reading is compared
//! for acceptance and meaning; every disagreement is listed, and those
//! where the reference departs from the specification are counted apart
//! (`explained`). Our readers must not panic. `cargo test` runs 10,000
//! mutants; `KDL_MUTANTS=N` runs N (CI runs more).

use kdl::{KdlDocument, KdlValue};

use super::kdl_parse;
use super::kdl_parse_v2;
use super::kdl_spec_tests::{Meaning, NodeMeaning, cases, doc_meaning, float_bits};

fn value_meaning(ty: Option<&kdl::KdlIdentifier>, value: &KdlValue) -> (Option<String>, Meaning) {
    let m = match value {
        KdlValue::String(s) => Meaning::Text(s.clone()),
        KdlValue::Integer(i) => Meaning::Int(*i),
        KdlValue::Float(f) => Meaning::Float(float_bits(*f)),
        KdlValue::Bool(b) => Meaning::Bool(*b),
        KdlValue::Null => Meaning::Null,
    };
    (ty.map(|t| t.value().to_string()), m)
}

fn kdl_meaning(doc: &KdlDocument) -> Vec<NodeMeaning> {
    doc.nodes()
        .iter()
        .map(|node| {
            let mut props: Vec<(String, (Option<String>, Meaning))> = Vec::new();
            let mut args = Vec::new();
            for entry in node.entries() {
                let v = value_meaning(entry.ty(), entry.value());
                match entry.name() {
                    Some(name) => {
                        let name = name.value().to_string();
                        props.retain(|(n, _)| *n != name);
                        props.push((name, v));
                    }
                    None => args.push(v),
                }
            }
            props.sort_by(|a, b| a.0.cmp(&b.0));
            NodeMeaning {
                ty: node.ty().map(|t| t.value().to_string()),
                name: node.name().value().to_string(),
                args,
                props,
                children: node.children().map(kdl_meaning).unwrap_or_default(),
            }
        })
        .collect()
}

/// What a reader made of a text: `None` refused, else its meaning.
type Reading = Option<Vec<NodeMeaning>>;

fn ours(version: u8, text: &str) -> Reading {
    match version {
        1 => kdl_parse::parse(text).map(|d| doc_meaning(&d)),
        _ => kdl_parse_v2::parse(text).ok().map(|d| doc_meaning(&d)),
    }
}

fn theirs(version: u8, text: &str) -> Reading {
    // A panic of the reference is its own disagreement, not ours.
    let read = std::panic::catch_unwind(|| match version {
        1 => KdlDocument::parse_v1(text).ok(),
        _ => KdlDocument::parse_v2(text).ok(),
    });
    read.ok().flatten().map(|d| kdl_meaning(&d))
}

fn knus(text: &str) -> Reading {
    knus::parse_ast::<knus::span::Span>("t.kdl", text)
        .ok()
        .map(|d| doc_meaning(&super::kdl_ast::from_knus(&d)))
}

/// Where the references depart from the specifications, each checked
/// against the spec suite's verdict on the case it comes from
/// (tests/kdl-spec/README.md, `kdl_spec_tests`): a disagreement these
/// explain is theirs. kdl 4 (the `kdl` crate's 1.0 reader) takes U+FEFF for
/// an identifier character past the first byte (1.0's `ws` includes `bom`),
/// takes a line end or a comment after `/-` and an entry's `/-` without a
/// space before it (1.0's `node-space` has neither), refuses a line
/// continuation between nodes (`escline_comment_node`) and takes `_` in a
/// fraction (`underscore_in_fraction`); kdl 6 takes the 2.0 code points it
/// must refuse (`unicode_delete_fail`) and a one-line `"""` raw string
/// (`multiline_raw_string_single_line_err_fail`).
fn explained(version: u8, text: &str, mine: &Reading, theirs: &Reading) -> bool {
    let feff_inside = text.get(1..).is_some_and(|t| t.contains('\u{feff}'));
    match (version, mine.is_some(), theirs.is_some()) {
        (1, _, _) if feff_inside => true,
        (1, true, false) => text.contains('\\'),
        // kdl 4 also reads `-10prop` as an identifier (1.0's has no digit
        // after its sign) and refuses integers past 64 bits.
        (1, false, true) => {
            text.contains("/-")
                || text.contains("_")
                || text.contains('\\')
                || text.contains(['-', '+'])
        }
        // kdl 6.5 refuses a space after `}` (kdl-rs's `space_after_node`).
        (2, true, false) => text.contains("} "),
        (2, false, true) if text.contains("/-/-") || text.contains("/- /-") => true,
        (2, false, true) => {
            text.chars().any(|c| {
                matches!(c, '\u{0}'..='\u{8}' | '\u{E}'..='\u{1F}' | '\u{7F}' | '\u{FEFF}'
                    | '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            }) || text.contains("\"\"\"")
        }
        _ => false,
    }
}

/// A disagreement's description, or `None`.
fn compare(what: &str, a: &Reading, b: &Reading) -> Option<String> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Some(format!("{what}: both read, differently")),
        (Some(_), None) => Some(format!("{what}: only snapset reads it")),
        (None, Some(_)) => Some(format!("{what}: only the reference reads it")),
        _ => None,
    }
}

#[test]
fn agrees_with_the_kdl_crate_and_knus_on_the_spec_suites() {
    let mut kdl_disagrees = Vec::new();
    let mut knus_disagrees = Vec::new();
    for (version, folder) in [(1u8, "1.0.0"), (2, "2.0.0")] {
        for (name, input, _) in cases(folder) {
            let mine = ours(version, &input);
            if let Some(d) = compare(&name, &mine, &theirs(version, &input)) {
                kdl_disagrees.push(d);
            }
            if version == 1
                && let Some(d) = compare(&name, &mine, &knus(&input))
            {
                knus_disagrees.push(d);
            }
        }
    }
    eprintln!(
        "spec suites: {} disagreements with kdl 6:\n  {}",
        kdl_disagrees.len(),
        kdl_disagrees.join("\n  ")
    );
    eprintln!(
        "1.0.0 suite: {} disagreements with knus:\n  {}",
        knus_disagrees.len(),
        knus_disagrees.join("\n  ")
    );
}

/// xorshift64*, so a failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    " ", "\n", "{", "}", "\"", ";", "=", "/-", "/*", "*/", "//", "\\", "#", "(", ")", "r", "1",
    "0x", ".", "_", "e", "-", "+", "a", "true", "#true", "null", "#null", "\"\"\"", "#\"", "\"#",
    "\t", "\r\n", "\u{FEFF}", "\u{a0}", "\u{0B}", "ü",
];

fn mutant(rng: &mut Rng, seed_text: &str) -> String {
    let mut text = seed_text.to_string();
    for _ in 0..rng.below(3) + 1 {
        let at = rng.below(text.len() + 1);
        let at = (0..=at)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        match rng.below(3) {
            0 => text.insert_str(at, PIECES[rng.below(PIECES.len())]),
            1 => {
                if let Some(c) = text[at..].chars().next() {
                    text.replace_range(at..at + c.len_utf8(), "");
                }
            }
            _ => {
                if let Some(c) = text[at..].chars().next() {
                    text.replace_range(at..at + c.len_utf8(), PIECES[rng.below(PIECES.len())]);
                }
            }
        }
    }
    text
}

#[test]
fn agrees_with_the_kdl_crate_and_knus_on_seeded_mutants() {
    let count: usize = std::env::var("KDL_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let seeds: Vec<(u8, String)> = [(1u8, "1.0.0"), (2, "2.0.0")]
        .iter()
        .flat_map(|&(v, folder)| {
            cases(folder)
                .into_iter()
                .map(move |(_, input, _)| (v, input))
        })
        .collect();
    let mut rng = Rng(0x5EED_0033_0000_0001);
    let mut read = [0usize; 2];
    let mut kdl_disagrees = Vec::new();
    let mut knus_disagrees = 0usize;
    let mut explained_count = 0usize;
    for _ in 0..count {
        let (version, seed) = &seeds[rng.below(seeds.len())];
        let text = mutant(&mut rng, seed);
        for version in [*version, 3 - *version] {
            let mine = ours(version, &text);
            read[usize::from(version - 1)] += usize::from(mine.is_some());
            let reference = theirs(version, &text);
            if let Some(d) = compare(&format!("{version}.0 {text:?}"), &mine, &reference) {
                if explained(version, &text, &mine, &reference) {
                    explained_count += 1;
                } else {
                    kdl_disagrees.push(d);
                }
            }
            if version == 1 && mine.is_some() != knus(&text).is_some() {
                knus_disagrees += 1;
            }
        }
    }
    eprintln!(
        "{count} mutants, each read as 1.0 and as 2.0: {} read as 1.0, {} as 2.0; {explained_count} disagreements with kdl 6 where kdl departs from the spec, {} others; {knus_disagrees} with knus on acceptance (1.0)",
        read[0],
        read[1],
        kdl_disagrees.len()
    );
    // The reference has bugs of its own (it panicked above, caught): the
    // others are listed for a person to judge, not failed on.
    for d in kdl_disagrees.iter().take(20) {
        eprintln!("  {d}");
    }
}
