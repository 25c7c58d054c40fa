//! A canary's life as text: the edits `snapset canary` splices into a
//! snapshot file. They touch only the service concerned, keep every
//! comment and the file's indentation and line ends, and are computed from
//! the spans of the syntax tree (`kdl_ast`), never by printing the tree.
//!
//! - `start`: `service "cart" commit=C` becomes a block of two tracks,
//!   `stable` (C) and `canary`; a service that already has tracks (A/B
//!   header tracks, a lone `stable`) gets a `canary` line after `stable`.
//! - `set_weight`: the two `weight=` values, nothing else.
//! - `end` (promote or abort): the two tracks fold back into one
//!   `commit=` on the service's line, aligned like its neighbours, so that
//!   `start` then `abort` gives back the file as it was. What the folded
//!   service keeps is written in docs/canary.md: the kept track's commit
//!   and trailing comment, the stable track's `replicas=`, and the kept
//!   track's children block (per-track settings, a `hotfix`), moved into
//!   the service's block. With header tracks beside them, `stable` stays a
//!   track (weight 100) and only the `canary` line goes.

use std::ops::Range;

use super::layout::{
    ends_line, entries_end, entries_end_before, indent, line_start, node_removal, prop, reindent,
    removal, tail, width,
};
use super::{Replace, literal};
use crate::error::sources::{FileId, Loc};
use crate::error::{Error, ErrorKind, Result};
use crate::load::Track;
use crate::load::kdl_ast::{Document, Literal, Node, Property};

/// A snapshot file as written, with its syntax tree.
pub struct FileText<'t> {
    pub file: FileId,
    pub text: &'t str,
    pub doc: &'t Document,
}

/// Which track a service keeps when its canary ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// `promote`: the canary's commit.
    Canary,
    /// `abort`: the stable commit.
    Stable,
}

impl<'t> FileText<'t> {
    /// The node the loader read `service` from: the one whose name is at
    /// the loaded name's span (a `/-` twin or a comment naming it is not in
    /// the tree).
    pub fn node(&self, service: &crate::load::SnapshotService) -> Result<&'t Node> {
        let at = &service.name.loc.span;
        self.services()
            .into_iter()
            .find(|n| n.arguments.first().is_some_and(|a| a.span == *at))
            .ok_or_else(|| {
                Error::at(
                    ErrorKind::Canary {
                        service: service.name.value.clone(),
                        problem: "is not where the loader read it".into(),
                        help: "the snapshot file changed while snapset ran; run the command again"
                            .into(),
                    },
                    &service.name.loc,
                    "this service",
                )
            })
    }

    /// The `service` node named `name` in the snapshot (the unit tests'
    /// way in; commands take the loaded service's node, `node`).
    #[cfg(test)]
    pub fn service(&self, name: &str) -> Option<&'t Node> {
        self.services()
            .into_iter()
            .find(|n| first_string(n) == Some(name))
    }

    fn services(&self) -> Vec<&'t Node> {
        self.doc
            .nodes
            .iter()
            .filter(|n| &*n.name == "snapshot")
            .flat_map(|n| n.children.iter().flatten())
            .filter(|n| &*n.name == "service")
            .collect()
    }

    fn loc(&self, span: Range<usize>) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    /// The line end the file uses.
    fn newline(&self) -> &'static str {
        if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        }
    }

    /// A service line snapset cannot rewrite without losing something.
    fn layout_error(&self, service: &Node, why: &str) -> Error {
        Error::at(
            ErrorKind::Canary {
                service: first_string(service).unwrap_or_default().to_string(),
                problem: format!("is written in a way snapset cannot edit: {why}"),
                help: "write the service on one line of its own, or edit the tracks by hand".into(),
            },
            &self.loc(service.span.clone()),
            "this service",
        )
    }

    /// The edits that give `service` a canary at `new_hex` with `weight`
    /// percent, the rest staying on `stable`.
    pub fn start(&self, service: &Node, new_hex: &str, weight: u32) -> Result<Vec<Replace>> {
        match prop(service, "commit") {
            Some(commit) => self.start_from_commit(service, commit, new_hex, weight),
            None => self.start_beside_stable(service, new_hex, weight),
        }
    }

    fn start_from_commit(
        &self,
        service: &Node,
        commit: &Property,
        new_hex: &str,
        weight: u32,
    ) -> Result<Vec<Replace>> {
        let text = self.text;
        let nl = self.newline();
        let own = indent(text, service.span.start).unwrap_or("");
        let unit = if own.is_empty() { "    " } else { own };
        let replicas = prop(service, "replicas");
        let reps = replicas
            .map(|r| format!(" replicas={}", &text[r.value.span.clone()]))
            .unwrap_or_default();
        let old = &text[commit.value.span.clone()];
        let track = |child: &str, name: &str, pin: &str, w: u32| {
            format!("{child}track \"{name}\" commit={pin} weight={w}{reps}")
        };
        let mut edits = vec![Replace {
            span: removal(text, commit),
            with: String::new(),
        }];
        if let Some(r) = replicas {
            edits.push(Replace {
                span: removal(text, r),
                with: String::new(),
            });
        }
        match &service.block_span {
            None => {
                let child = format!("{own}{unit}");
                let t = tail(text, entries_end(service), service.span.end)
                    .ok_or_else(|| self.layout_error(service, "its line holds `/-` or `\\`"))?;
                // The line's comment names the pinned commit: it follows it
                // onto the stable track's line.
                let comment = t
                    .comment
                    .map(|c| format!("{}{}", &text[t.gap.clone()], &text[c]))
                    .unwrap_or_default();
                let close = match &text[t.terminator.clone()] {
                    ";" => format!("{nl}{own}}};"),
                    "" => format!("{nl}{own}}}"),
                    end => format!("{nl}{own}}}{end}"),
                };
                edits.push(Replace {
                    span: t.content_end..service.span.end,
                    with: format!(
                        " {{{nl}{}{comment}{nl}{}{close}",
                        track(&child, Track::STABLE, old, 100 - weight),
                        track(&child, Track::CANARY, &literal(old, new_hex), weight),
                    ),
                });
            }
            Some(block) => {
                let child = service
                    .children
                    .iter()
                    .flatten()
                    .next()
                    .and_then(|first| indent(text, first.span.start))
                    .map_or_else(|| format!("{own}{unit}"), str::to_string);
                let lines = format!(
                    "{}{nl}{}{nl}",
                    track(&child, Track::STABLE, old, 100 - weight),
                    track(&child, Track::CANARY, &literal(old, new_hex), weight),
                );
                let brace = block.start + 1;
                let rest_of_line = text[brace..].find('\n').map(|i| brace + i);
                let with = match rest_of_line {
                    // `{` ends its line (maybe after a comment): the tracks
                    // become the block's first lines.
                    Some(eol)
                        if {
                            let rest = text[brace..eol].trim_matches([' ', '\t', '\r']);
                            rest.is_empty() || rest.starts_with("//")
                        } =>
                    {
                        edits.push(Replace {
                            span: eol + 1..eol + 1,
                            with: lines,
                        });
                        return Ok(edits);
                    }
                    _ => format!("{nl}{lines}{child}"),
                };
                edits.push(Replace {
                    span: brace..brace,
                    with,
                });
            }
        }
        Ok(edits)
    }

    /// A `canary` line after the `stable` track, written like it (same
    /// spacing, raw or quoted strings, `replicas=`).
    fn start_beside_stable(
        &self,
        service: &Node,
        new_hex: &str,
        weight: u32,
    ) -> Result<Vec<Replace>> {
        let text = self.text;
        let nl = self.newline();
        let stable = self.track(service, Track::STABLE)?;
        let mut line = text[stable.name_span.clone()].to_string();
        let mut prev = stable.name_span.end;
        let mut wrote_weight = false;
        let mut entries: Vec<(Range<usize>, String)> = Vec::new();
        if let Some(name) = stable.arguments.first() {
            let at = name
                .type_name
                .as_ref()
                .map_or(name.span.start, |t| t.span.start);
            entries.push((
                at..name.span.end,
                literal(&text[name.span.clone()], Track::CANARY),
            ));
        }
        for p in &stable.properties {
            let key = &text[p.name_span.start..p.value.span.start];
            let value = match &*p.name {
                "commit" => literal(&text[p.value.span.clone()], new_hex),
                "weight" => {
                    wrote_weight = true;
                    weight.to_string()
                }
                "replicas" => text[p.value.span.clone()].to_string(),
                _ => continue,
            };
            entries.push((p.name_span.start..p.value.span.end, format!("{key}{value}")));
        }
        entries.sort_by_key(|(span, _)| span.start);
        for (span, written) in entries {
            let gap = &text[prev..span.start];
            let plain = !gap.is_empty() && gap.bytes().all(|b| b == b' ' || b == b'\t');
            line.push_str(if plain { gap } else { " " });
            line.push_str(&written);
            prev = span.end;
        }
        if !wrote_weight {
            line.push_str(&format!(" weight={weight}"));
        }
        // A line of its own, indented like `stable`'s; or, when `stable`
        // shares its line with other nodes, beside it on that line.
        let with = match indent(text, stable.span.start) {
            Some(ind) if ends_line(text, stable.span.end) => format!("{ind}{line}{nl}"),
            _ => format!(" {line};"),
        };
        let mut edits = weight_edits(text, stable, 100 - weight);
        edits.push(Replace {
            span: stable.span.end..stable.span.end,
            with,
        });
        Ok(edits)
    }

    /// `weight=` of the canary and of the stable track (added where missing).
    pub fn set_weight(&self, service: &Node, weight: u32) -> Result<Vec<Replace>> {
        let stable = self.track(service, Track::STABLE)?;
        let canary = self.track(service, Track::CANARY)?;
        let mut edits = weight_edits(self.text, stable, 100 - weight);
        edits.extend(weight_edits(self.text, canary, weight));
        Ok(edits)
    }

    /// The track `name` of the service's node. The loader found it in the
    /// same tree, so missing is a tree the edits do not know.
    fn track(&self, service: &'t Node, name: &str) -> Result<&'t Node> {
        track(service, name)
            .ok_or_else(|| self.layout_error(service, &format!("no `{name}` track in its block")))
    }

    /// The edits that end `service`'s canary, keeping one of its tracks.
    pub fn end(&self, service: &Node, keep: Keep) -> Result<Vec<Replace>> {
        let text = self.text;
        let stable = self.track(service, Track::STABLE)?;
        let canary = self.track(service, Track::CANARY)?;
        let others =
            service.children.iter().flatten().any(|n| {
                &*n.name == "track" && !std::ptr::eq(n, stable) && !std::ptr::eq(n, canary)
            });
        if others {
            // Header tracks stay, so the service keeps tracks: `stable`
            // takes all the default traffic (and, on promote, the canary's
            // commit, comment and children), the canary line goes.
            let mut edits = vec![Replace {
                span: node_removal(text, canary),
                with: String::new(),
            }];
            let weight_missing = prop(stable, "weight").is_none();
            if let Some(w) = prop(stable, "weight") {
                edits.push(Replace {
                    span: w.value.span.clone(),
                    with: "100".into(),
                });
            }
            let added = if weight_missing { " weight=100" } else { "" };
            match keep {
                Keep::Canary => {
                    let (from, to) = (prop(stable, "commit"), prop(canary, "commit"));
                    if let (Some(from), Some(to)) = (from, to) {
                        edits.push(Replace {
                            span: from.value.span.clone(),
                            with: text[to.value.span.clone()].to_string(),
                        });
                    }
                    edits.push(Replace {
                        span: entries_end(stable)..stable.span.end,
                        with: format!("{added}{}", &text[entries_end(canary)..canary.span.end]),
                    });
                }
                Keep::Stable if weight_missing => edits.push(Replace {
                    span: entries_end(stable)..entries_end(stable),
                    with: added.into(),
                }),
                Keep::Stable => {}
            }
            return Ok(edits);
        }
        self.fold(service, stable, canary, keep)
    }

    /// `stable` and `canary` are the service's only tracks: back to one
    /// `commit=` on the service's line.
    fn fold(
        &self,
        service: &Node,
        stable: &Node,
        canary: &Node,
        keep: Keep,
    ) -> Result<Vec<Replace>> {
        let text = self.text;
        let nl = self.newline();
        let (kept, lost) = match keep {
            Keep::Canary => (canary, stable),
            Keep::Stable => (stable, canary),
        };
        let Some(commit) = prop(kept, "commit") else {
            return Err(self.layout_error(service, "a track has no `commit=`"));
        };
        let Some(block) = service.block_span.clone() else {
            return Err(self.layout_error(service, "its tracks are not in a block"));
        };
        let pin = format!(
            "commit={}{}",
            &text[commit.value.span.clone()],
            prop(stable, "replicas")
                .map(|r| format!(" replicas={}", &text[r.value.span.clone()]))
                .unwrap_or_default()
        );
        // The kept track's trailing comment names its commit.
        let kept_tail = match &kept.block_span {
            Some(b) => tail(text, b.end, kept.span.end),
            None => tail(text, entries_end(kept), kept.span.end),
        };
        let kept_comment = kept_tail
            .as_ref()
            .and_then(|t| t.comment.clone().map(|c| (t.gap.clone(), c)));
        let moved = kept
            .block_span
            .as_ref()
            .map(|b| {
                reindent(
                    &text[b.start + 1..b.end - 1],
                    indent(text, kept.span.start).unwrap_or(""),
                    nl,
                )
            })
            .unwrap_or_default();
        // What stays in the service's block once both tracks are gone.
        let inner = block.start + 1..block.end - 1;
        let rest = super::splice(
            &text[inner.clone()],
            &[lost, kept].map(|n| {
                let r = node_removal(text, n);
                Replace {
                    span: r.start - inner.start..r.end - inner.start,
                    with: String::new(),
                }
            }),
        );
        // Between the service's entries and `{`: spaces, maybe `/* */`
        // comments, which the folded line keeps after its pin.
        let head = tail(text, entries_end(service), block.start)
            .filter(|h| h.comment.is_none() && h.terminator.is_empty())
            .map(|h| &text[entries_end(service)..h.content_end]);
        let after = tail(text, block.end, service.span.end);
        let foldable = moved.is_empty()
            && rest.trim().is_empty()
            && head.is_some()
            && after
                .as_ref()
                .is_some_and(|a| a.comment.is_none() || kept_comment.is_none());
        if let (true, Some(after)) = (foldable, after) {
            let (pad, comment_col) = self.neighbour_columns(service);
            let line_start = line_start(text, service.span.start);
            let mut line = String::new();
            line.push_str(&" ".repeat(pad.map_or(1, |col| {
                col.saturating_sub(width(&text[line_start..entries_end(service)]))
                    .max(1)
            })));
            line.push_str(&pin);
            line.push_str(head.unwrap_or_default());
            let comment = kept_comment.or(after.comment.clone().map(|c| (after.gap.clone(), c)));
            if let Some((gap, c)) = comment {
                let so_far = width(&text[line_start..entries_end(service)]) + width(&line);
                match comment_col {
                    Some(col) if col > so_far => line.push_str(&" ".repeat(col - so_far)),
                    _ if text[gap.clone()].is_empty() => line.push(' '),
                    _ => line.push_str(&text[gap]),
                }
                line.push_str(&text[c]);
            }
            line.push_str(&text[after.terminator.clone()]);
            return Ok(vec![Replace {
                span: entries_end(service)..service.span.end,
                with: line,
            }]);
        }
        // The block stays (it holds comments, other children, or the
        // kept track's): `commit=` joins the service's line.
        let mut replaced = String::new();
        if let Some((_, c)) = kept_comment {
            let ind = indent(text, kept.span.start).unwrap_or("");
            replaced.push_str(&format!("{ind}{}{nl}", &text[c]));
        }
        replaced.push_str(&moved);
        Ok(vec![
            Replace {
                span: entries_end(service)..entries_end(service),
                with: format!(" {pin}"),
            },
            Replace {
                span: node_removal(text, lost),
                with: String::new(),
            },
            Replace {
                span: node_removal(text, kept),
                with: replaced,
            },
        ])
    }

    /// The columns at which the nearest one-line neighbour writes
    /// `commit=` and its comment, so that a folded service lines up with
    /// the column it left.
    fn neighbour_columns(&self, service: &Node) -> (Option<usize>, Option<usize>) {
        let text = self.text;
        let services = self.services();
        let Some(at) = services.iter().position(|n| std::ptr::eq(*n, service)) else {
            return (None, None);
        };
        // The nearest first: one before, one after, two before…
        let neighbours = (1..services.len()).flat_map(|d| {
            [at.checked_sub(d), Some(at + d)]
                .into_iter()
                .flatten()
                .filter_map(|i| services.get(i).copied())
        });
        for n in neighbours {
            let Some(commit) = prop(n, "commit") else {
                continue;
            };
            // Columns compare only between lines indented alike.
            if n.block_span.is_some()
                || indent(text, n.span.start).is_none()
                || indent(text, n.span.start) != indent(text, service.span.start)
            {
                continue;
            }
            let start = line_start(text, n.span.start);
            let gap = &text[entries_end_before(n, commit.name_span.start)..commit.name_span.start];
            let commit_col = gap
                .bytes()
                .all(|b| b == b' ')
                .then(|| width(&text[start..commit.name_span.start]));
            let comment_col = tail(text, entries_end(n), n.span.end)
                .and_then(|t| t.comment)
                .map(|c| width(&text[start..c.start]));
            return (commit_col, comment_col);
        }
        (None, None)
    }
}

/// The edits that set `node`'s `weight=` to `weight`, adding it after the
/// node's last entry when it has none.
fn weight_edits(text: &str, node: &Node, weight: u32) -> Vec<Replace> {
    match prop(node, "weight") {
        Some(w) if text[w.value.span.clone()] == weight.to_string() => Vec::new(),
        Some(w) => vec![Replace {
            span: w.value.span.clone(),
            with: weight.to_string(),
        }],
        None => vec![Replace {
            span: entries_end(node)..entries_end(node),
            with: format!(" weight={weight}"),
        }],
    }
}

/// The string value of a node's first argument: a service's or track's name.
pub fn first_string(node: &Node) -> Option<&str> {
    match &node.arguments.first()?.literal {
        Literal::String(s) => Some(s),
        _ => None,
    }
}

/// The track named `name` among the service's children.
pub fn track<'n>(service: &'n Node, name: &str) -> Option<&'n Node> {
    service
        .children
        .iter()
        .flatten()
        .find(|n| &*n.name == "track" && first_string(n) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::kdl_parse::parse_document;

    fn edit(text: &str, f: impl Fn(&FileText, &Node) -> Vec<Replace>) -> String {
        let doc = parse_document(text, "t.kdl").unwrap();
        let file = FileText {
            file: FileId(0),
            text,
            doc: &doc,
        };
        let service = file.service("cart").unwrap();
        super::super::splice(text, &f(&file, service))
    }

    const ALIGNED: &str = "snapshot \"s\" {\n    service \"cart\"    commit=\"35377a2b6e\"   // cart: persist\n    service \"taxe\"    commit=\"4cbe5a59d8\"   // taxe: rates\n}\n";

    #[test]
    fn start_then_abort_gives_the_file_back() {
        let started = edit(ALIGNED, |f, s| {
            f.start(s, "9c2cba1a5dffffffffffffffffffffffffffffff", 10)
                .unwrap()
        });
        assert_eq!(
            started,
            "snapshot \"s\" {\n    service \"cart\" {\n        track \"stable\" commit=\"35377a2b6e\" weight=90   // cart: persist\n        track \"canary\" commit=\"9c2cba1a5dffffffffffffffffffffffffffffff\" weight=10\n    }\n    service \"taxe\"    commit=\"4cbe5a59d8\"   // taxe: rates\n}\n"
        );
        let moved = edit(&started, |f, s| f.set_weight(s, 50).unwrap());
        assert!(
            moved.contains("weight=50   // cart") && moved.contains("weight=50\n"),
            "{moved}"
        );
        assert_eq!(
            edit(&moved, |f, s| f.end(s, Keep::Stable).unwrap()),
            ALIGNED
        );
        let promoted = edit(&moved, |f, s| f.end(s, Keep::Canary).unwrap());
        assert_eq!(
            promoted,
            "snapshot \"s\" {\n    service \"cart\"    commit=\"9c2cba1a5dffffffffffffffffffffffffffffff\"\n    service \"taxe\"    commit=\"4cbe5a59d8\"   // taxe: rates\n}\n"
        );
    }

    #[test]
    fn a_block_of_children_stays_and_takes_the_tracks_first() {
        let text = "snapshot \"s\" {\n\tservice \"cart\" commit=\"aaaaaaaaaa\" replicas=2 {\n\t\tfeature \"x\" true\n\t}\n}\n";
        let started = edit(text, |f, s| {
            f.start(s, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 25)
                .unwrap()
        });
        assert_eq!(
            started,
            "snapshot \"s\" {\n\tservice \"cart\" {\n\t\ttrack \"stable\" commit=\"aaaaaaaaaa\" weight=75 replicas=2\n\t\ttrack \"canary\" commit=\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\" weight=25 replicas=2\n\t\tfeature \"x\" true\n\t}\n}\n"
        );
        let aborted = edit(&started, |f, s| f.end(s, Keep::Stable).unwrap());
        assert_eq!(
            aborted,
            "snapshot \"s\" {\n\tservice \"cart\" commit=\"aaaaaaaaaa\" replicas=2 {\n\t\tfeature \"x\" true\n\t}\n}\n"
        );
    }

    #[test]
    fn a_kept_tracks_children_move_to_the_service() {
        let text = "snapshot \"s\" {\n  service \"cart\" {\n    track \"stable\" commit=\"aaaaaaaaaa\" weight=50\n    track \"canary\" commit=\"bbbbbbbbbb\" weight=50 { // new\n        hotfix \"incident 7\"\n    } // canary\n  }\n}\n";
        let promoted = edit(text, |f, s| f.end(s, Keep::Canary).unwrap());
        assert_eq!(
            promoted,
            "snapshot \"s\" {\n  service \"cart\" commit=\"bbbbbbbbbb\" {\n    // canary\n    // new\n    hotfix \"incident 7\"\n  }\n}\n"
        );
    }

    #[test]
    fn header_tracks_stay_and_stable_takes_the_canary() {
        let text = "snapshot \"s\" {\n  service \"cart\" {\n    track \"stable\" commit=\"aaaaaaaaaa\" weight=90 // old\n    track \"canary\" commit=\"bbbbbbbbbb\" weight=10 // new\n    track \"beta\"   commit=\"cccccccccc\" header=\"x-beta\" value=\"1\"\n  }\n}\n";
        let promoted = edit(text, |f, s| f.end(s, Keep::Canary).unwrap());
        assert_eq!(
            promoted,
            "snapshot \"s\" {\n  service \"cart\" {\n    track \"stable\" commit=\"bbbbbbbbbb\" weight=100 // new\n    track \"beta\"   commit=\"cccccccccc\" header=\"x-beta\" value=\"1\"\n  }\n}\n"
        );
        let started = edit(&promoted, |f, s| f.start(s, "dddddddddddddddd", 5).unwrap());
        assert_eq!(
            started,
            "snapshot \"s\" {\n  service \"cart\" {\n    track \"stable\" commit=\"bbbbbbbbbb\" weight=95 // new\n    track \"canary\" commit=\"dddddddddddddddd\" weight=5\n    track \"beta\"   commit=\"cccccccccc\" header=\"x-beta\" value=\"1\"\n  }\n}\n"
        );
    }
}
