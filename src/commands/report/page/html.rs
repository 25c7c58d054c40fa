//! The page as HTML: plain markup that reads without JavaScript and prints,
//! with the CSS and the small script inlined, so the file opens from
//! `file://`, an artifact store or a mail without asking any server for
//! anything. Every relation is written in words and with a symbol as well as
//! in colour. Ids and classes that the browser tests read are listed in
//! docs/report.md.

use std::fmt::Write;

use super::cell::{Cell, Pin, Route};
use super::column::Column;
use super::matrix::Page;
use super::row::Row;
use crate::status::{self, State};
use crate::text::html::escape as e;
use crate::text::html::isolated as t;

/// The matrix is a table in the markup (its semantics, and a reading
/// without CSS), but the style lays its rows out as grids of the same
/// columns: a table row cannot skip its rendering while off screen
/// (`content-visibility: auto`), and on a thousand services clearing a
/// filter laid out and painted every row (0.5–0.9 s in Chromium; now the
/// rows on screen, under 0.1 s). The row lines are on the tops of the cells,
/// because each row paints on its own and may cover the bottom pixel of the
/// row above it when heights are fractional.
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// The logo: a stack of three pinned layers, the snapshot's commits.
const LOGO: &str = r##"<svg class="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true"><rect x="4" y="18" width="24" height="8" rx="2" fill="#0072B2"/><rect x="4" y="11" width="24" height="8" rx="2" fill="#009E73"/><rect x="4" y="4" width="24" height="8" rx="2" fill="#E69F00"/><circle cx="24" cy="8" r="2" fill="#fff"/><circle cx="24" cy="15" r="2" fill="#fff"/><circle cx="24" cy="22" r="2" fill="#fff"/></svg>"##;

/// The page's bytes.
pub fn write(page: &Page) -> String {
    // About 700 bytes a cell: one allocation for a thousand services.
    let cells = page.rows.len() * page.columns.len().max(1);
    let mut out = String::with_capacity(CSS.len() + JS.len() + 4096 + cells * 800);
    let names: Vec<&str> = page.columns.iter().map(|c| c.name.as_str()).collect();
    let services = {
        let mut s: Vec<&str> = page.rows.iter().map(|r| r.service.as_str()).collect();
        s.dedup();
        s.len()
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"snapset report\">\n\
         <title>Release {} · snapset</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        e(&names.join(" → "))
    );
    let _ = write!(
        out,
        "<header class=\"masthead\">\n<div class=\"brand\">{LOGO}<span>snapset release</span></div>\n\
         <h1>{}</h1>\n<p class=\"lede\">{services} service{} · {} environment{} · commits of {}</p>\n</header>\n<main>\n",
        names
            .iter()
            .map(|n| e(n))
            .collect::<Vec<_>>()
            .join(" <span class=\"arrow\">→</span> "),
        plural(services),
        names.len(),
        plural(names.len()),
        repos(&page.repos)
    );
    out.push_str("<section id=\"environments\" class=\"envs\" aria-label=\"Environments\">\n");
    for (i, column) in page.columns.iter().enumerate() {
        let left = i.checked_sub(1).map(|l| page.columns[l].name.as_str());
        environment(&mut out, column, left);
    }
    out.push_str("</section>\n");
    out.push_str(
        "<div id=\"controls\" class=\"controls\" hidden>\n\
         <label class=\"search\"><span class=\"label\">Filter</span><input id=\"filter\" type=\"search\" placeholder=\"service name…\" autocomplete=\"off\" spellcheck=\"false\"></label>\n\
         <label class=\"toggle\"><input id=\"only-diff\" type=\"checkbox\"> <span>Only differences</span></label>\n\
         <span id=\"shown\" class=\"shown\" aria-live=\"polite\"></span>\n</div>\n",
    );
    legend(&mut out, page.columns.iter().any(|c| c.live.is_some()));
    let _ = write!(
        out,
        "<div class=\"scroll\">\n<table id=\"matrix\" style=\"--cols: {}\">\n<thead>\n<tr><th scope=\"col\" class=\"corner\">Service</th>",
        page.columns.len()
    );
    for column in &page.columns {
        let _ = write!(
            out,
            "<th scope=\"col\" data-env=\"{0}\"><span class=\"env-name\">{0}</span><span class=\"env-snap\">{1}</span></th>",
            e(&column.name),
            t(&column.snapshot)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &page.rows {
        matrix_row(&mut out, page, row);
    }
    out.push_str("</tbody>\n</table>\n</div>\n<p id=\"none\" class=\"none\" hidden>No row matches the filter.</p>\n</main>\n");
    let _ = writeln!(
        out,
        "<footer>Written by <code>snapset report</code>{}. Each cell is compared with the cell on its left in the commit graph of {}; counts are <code>git rev-list --count</code>.</footer>",
        page.timestamp
            .as_ref()
            .map(|t| format!(" at <time datetime=\"{0}\">{0}</time>", e(t)))
            .unwrap_or_default(),
        repos(&page.repos)
    );
    let _ = write!(out, "<script>\n{JS}</script>\n</body>\n</html>\n");
    out
}

/// The repositories, each path in `<code>`; the workspace's own is named
/// in words, never as a bare `.`.
fn repos(names: &[String]) -> String {
    names
        .iter()
        .map(|name| match name.as_str() {
            crate::git::WORKSPACE_REPO => t(name).to_string(),
            _ => format!("<code>{}</code>", t(name)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn environment(out: &mut String, column: &Column, left: Option<&str>) {
    let _ = write!(
        out,
        "<article class=\"env\" id=\"env-{0}\" data-env=\"{0}\">\n<h2>{0}</h2>\n",
        e(&column.name)
    );
    if let Some(d) = &column.description {
        let _ = writeln!(out, "<p class=\"desc\">{}</p>", t(d));
    }
    let _ = write!(
        out,
        "<dl>\n<div><dt>snapshot</dt><dd class=\"snapshot\">{}</dd></div>\n\
         <div><dt>varset</dt><dd class=\"varset\">{}</dd></div>\n\
         <div><dt>namespace</dt><dd class=\"namespace\">{}</dd></div>\n\
         <div><dt>services</dt><dd class=\"n-services\">{}</dd></div>\n",
        t(&column.snapshot),
        t(&column.varset),
        t(&column.namespace),
        column.services
    );
    match (left, column.differs) {
        (Some(left), Some(n)) => {
            let _ = writeln!(
                out,
                "<div><dt>differ from {}</dt><dd class=\"n-differs\">{n}</dd></div>",
                e(left)
            );
        }
        _ => out
            .push_str("<div><dt>compared with</dt><dd class=\"n-differs\">— (first)</dd></div>\n"),
    }
    if let Some((input, summary)) = &column.live {
        let _ = writeln!(
            out,
            "<div class=\"live-summary\"><dt>live</dt><dd><code>{}</code>: {}</dd></div>",
            t(input),
            t(summary)
        );
    }
    out.push_str("</dl>\n");
    tally(out, column, left);
    out.push_str("</article>\n");
}

/// A bar of the rows by relation to the left: the shape of a promotion.
fn tally(out: &mut String, column: &Column, left: Option<&str>) {
    let total: usize = column.tally.iter().sum();
    let Some(left) = left.filter(|_| total > 0) else {
        return;
    };
    let words: Vec<String> = Column::TALLY
        .iter()
        .zip(column.tally)
        .filter(|(_, n)| *n > 0)
        .map(|(class, n)| format!("{n} {class}"))
        .collect();
    let _ = write!(
        out,
        "<figure class=\"tally\"><svg viewBox=\"0 0 {total} 1\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"against {0}: {1}\">",
        e(left),
        words.join(", ")
    );
    let mut x = 0;
    for (class, n) in Column::TALLY.iter().zip(column.tally) {
        if n > 0 {
            let _ = write!(
                out,
                "<rect class=\"bar-{class}\" x=\"{x}\" y=\"0\" width=\"{n}\" height=\"1\"/>"
            );
            x += n;
        }
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>against {}: {}</figcaption></figure>",
        e(left),
        words.join(" · ")
    );
}

fn legend(out: &mut String, live: bool) {
    out.push_str("<ul class=\"legend\" aria-label=\"Legend\">\n");
    for (class, sym, text) in [
        ("same", "=", "same commit as the environment on the left"),
        ("ahead", "▲", "ahead: has commits the left one lacks"),
        ("behind", "▼", "behind: lacks commits the left one has"),
        ("diverged", "≠", "diverged: each lacks some of the other's"),
        ("absent", "∅", "absent on one side"),
    ] {
        let _ = writeln!(
            out,
            "<li class=\"rel-{class}\"><span class=\"sym\" aria-hidden=\"true\">{sym}</span> {text}</li>"
        );
    }
    if live {
        // The release page compares workloads only: no `changed` there.
        for state in State::ALL.into_iter().filter(|s| *s != State::Changed) {
            let words = match state {
                State::Same => "live: same commit",
                State::LiveNewer => "live: newer",
                State::LiveOlder => "live: older",
                State::Diverged => "live: diverged",
                State::Changed => "live: changed",
                State::UnknownCommit => "live: unknown commit",
                State::Missing => "live: missing",
                State::NotInSnapshot => "live: not in snapshot",
            };
            let _ = writeln!(
                out,
                "<li class=\"live live-{}\"><span class=\"dot\" aria-hidden=\"true\"></span> {words}</li>",
                state.as_str()
            );
        }
    }
    out.push_str("</ul>\n");
}

fn matrix_row(out: &mut String, page: &Page, row: &Row) {
    let _ = write!(
        out,
        "<tr class=\"row\" data-service=\"{}\" data-track=\"{}\"{}{}>\n<th scope=\"row\" class=\"svc\"><span class=\"name\">{}</span>",
        e(&row.service),
        e(&row.track),
        if row.differs() { " data-differs" } else { "" },
        if row.drifts() { " data-drift" } else { "" },
        e(&row.service)
    );
    if row.split {
        let _ = write!(out, " <span class=\"track\">{}</span>", e(&row.track));
    }
    out.push_str("</th>\n");
    for (column, cell) in page.columns.iter().zip(&row.cells) {
        td(out, page, column, cell);
    }
    out.push_str("</tr>\n");
}

fn td(out: &mut String, page: &Page, column: &Column, cell: &Cell) {
    let rel_class = cell.relation.map_or("first", |r| r.class());
    let _ = write!(
        out,
        "<td class=\"cell rel-{rel_class}{}\" data-env=\"{}\"",
        if cell.pin.is_none() { " empty" } else { "" },
        e(&column.name)
    );
    if let Some(pin) = &cell.pin {
        let _ = write!(out, " data-commit=\"{}\"", pin.commit);
    }
    out.push('>');
    if let Some(rel) = cell.relation {
        let _ = write!(
            out,
            "<div class=\"rel\"><span class=\"sym\" aria-hidden=\"true\">{}</span> {}</div>",
            rel.symbol(),
            rel.text()
        );
    }
    match &cell.pin {
        Some(pin) => pinned(out, page, pin),
        None if cell.relation.is_none() => out.push_str("<div class=\"nothing\">—</div>"),
        None => {}
    }
    for live in &cell.live {
        live_line(out, live);
    }
    for mark in &cell.marks {
        let _ = write!(
            out,
            "<div class=\"mark mark-{}\"{}>{}</div>",
            mark.kind,
            mark.detail
                .as_ref()
                .map_or(String::new(), |d| format!(" title=\"{}\"", e(d))),
            e(&mark.text)
        );
    }
    out.push_str("</td>\n");
}

fn pinned(out: &mut String, page: &Page, pin: &Pin) {
    let full = pin.commit.to_string();
    let short = &full[..8];
    out.push_str("<div class=\"head\">");
    match &page.commit_url {
        Some(url) => {
            let href = url.replace("{commit}", &full).replace("{short}", short);
            let _ = write!(
                out,
                "<a class=\"commit\" href=\"{}\" title=\"{full}\"><code>{short}</code></a>",
                e(&href)
            );
        }
        None => {
            let _ = write!(
                out,
                "<code class=\"commit\" title=\"{full}\">{short}</code>"
            );
        }
    }
    match &pin.route {
        Route::All => {}
        Route::Weight(w) => {
            let _ = write!(
                out,
                " <span class=\"route weight\" title=\"share of the requests that match no header\">{w}%</span>"
            );
        }
        Route::Header { name, value } => {
            let _ = write!(
                out,
                " <span class=\"route header\" title=\"only requests with this header\">{}: {}</span>",
                t(name),
                t(value)
            );
        }
    }
    out.push_str("</div>");
    if let Some(f) = &pin.facts {
        let _ = write!(
            out,
            "<div class=\"subject\">{}</div><div class=\"meta\"><span class=\"author\">{}</span> · <time datetime=\"{}\">{}</time></div>",
            t(&f.subject),
            t(&f.author),
            f.when.iso(),
            f.when.day()
        );
    }
    if !pin.features.is_empty() {
        out.push_str("<ul class=\"features\" aria-label=\"features on\">");
        for name in &pin.features {
            let _ = write!(out, "<li>{}</li>", t(name));
        }
        out.push_str("</ul>");
    }
}

fn live_line(out: &mut String, row: &status::Row) {
    let state = row.state;
    let commit = match row.live_commit.as_deref() {
        Some(c) if c.len() == 40 => format!(" <code>{}</code>", &c[..8]),
        Some(c) => format!(" <code>{}</code>", t(c)),
        None => String::new(),
    };
    let words = match (state, row.ahead, row.behind) {
        (State::Same, _, _) => "same".to_string(),
        (State::LiveNewer, Some(a), _) => format!("newer +{a}"),
        (State::LiveOlder, _, Some(b)) => format!("older \u{2212}{b}"),
        (State::Diverged, Some(a), Some(b)) => format!("diverged +{a}/\u{2212}{b}"),
        (s, _, _) => s.as_str().replace('-', " "),
    };
    let ready = match (row.ready, row.desired) {
        (Some(r), Some(d)) => format!(" <span class=\"ready\">{r}/{d} ready</span>"),
        _ => String::new(),
    };
    let _ = write!(
        out,
        "<div class=\"live live-{}\" data-state=\"{}\"><span class=\"dot\" aria-hidden=\"true\"></span> live{commit} {words}{ready}</div>",
        state.as_str(),
        state.as_str()
    );
}
