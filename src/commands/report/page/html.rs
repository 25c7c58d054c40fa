//! The page as HTML: plain markup that reads without JavaScript and prints,
//! with the CSS and the small script inlined, so the file opens from
//! `file://`, an artifact store or a mail without asking any server for
//! anything. Every relation is written in words and with a symbol as well as
//! in colour. Ids and classes that the browser tests read are listed in
//! docs/report.md.
//!
//! The markup is the template `page.html`, rendered by minijinja with HTML
//! auto-escaping: every string on the page comes from files and commits
//! that anyone in the mono-repo can write, and the template escapes each
//! one on its way out, so that no field is an escaping decision of its own.

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior};

use super::matrix::Page;
use super::view::PageView;
use crate::text::html;

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
const PAGE: &str = include_str!("page.html");

/// The page's bytes.
pub fn write(page: &Page) -> String {
    let env = environment();
    let rendered = env
        .get_template("page.html")
        .and_then(|t| t.render(Value::from(Serde(PageView::new(page)))));
    // The templates are part of the binary and every value they read is
    // given (the unit tests render each branch): a failure is a bug here.
    rendered.unwrap_or_else(|e| panic!("the release page's template failed: {e:#}"))
}

/// The page's templates: `.html` escapes as HTML; the style and the script
/// are included as they are.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters"),
    );
    env.set_auto_escape_callback(|name| match name.ends_with(".html") {
        true => AutoEscape::Html,
        false => AutoEscape::None,
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_formatter(escape);
    env.add_test("turning", |text: &str| html::turns(text));
    for (name, source) in [("page.html", PAGE), ("page.css", CSS), ("page.js", JS)] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("the release page's template {name}: {e:#}"));
    }
    env
}

/// HTML escaping as `text::html::escape` does it (`& < > " '`): minijinja's
/// own also escapes `/`, which every path and address on the page holds,
/// for no gain inside quoted attributes and text.
fn escape(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(text) if *state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
            out.write_str(&html::escape(text))?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::report::page::{
        Cell, Column, CommitFacts, Mark, Pin, Relation, Route, Row,
    };
    use crate::status::{self, State};
    use crate::text::date::Moment;

    const HOSTILE: &str = "<img src=x onerror=alert(1)>\"'&";

    /// A page whose every string a pull request or a cluster can write is
    /// hostile: the template escapes each of them, isolates right-to-left
    /// text, and leaves the style and the script as they are.
    fn hostile_page() -> Page {
        let column = |name: &str| Column {
            name: format!("{name}{HOSTILE}"),
            snapshot: format!("snap{HOSTILE}"),
            description: Some(format!("desc{HOSTILE}")),
            varset: format!("varset{HOSTILE}"),
            namespace: format!("ns{HOSTILE}"),
            services: 1,
            differs: Some(1),
            tally: [0, 0, 1, 0, 0],
            live: Some((
                format!("live.json{HOSTILE}"),
                format!("1 diverged{HOSTILE}"),
            )),
        };
        let live = status::Row {
            service: "cart".into(),
            track: "stable".into(),
            deployment: Some("cart".into()),
            kind: Some("Deployment".into()),
            namespace: Some("shop".into()),
            snapshot_commit: Some("a".repeat(40)),
            // 40 bytes that are not a hash: shown whole, escaped.
            live_commit: Some(format!("<script>alert(1)</script>{}", "x".repeat(15))),
            state: State::UnknownCommit,
            ahead: None,
            behind: None,
            subject: None,
            image: None,
            ready: Some(1),
            desired: Some(2),
            cluster: None,
        };
        let cell = Cell {
            pin: Some(Pin {
                commit: git2::Oid::from_str(&"b".repeat(40)).unwrap(),
                facts: Some(CommitFacts {
                    subject: format!("subject{HOSTILE} (#42)"),
                    author: "Eve \u{202e}evil".into(),
                    when: Moment {
                        seconds: 0,
                        offset_minutes: 0,
                    },
                }),
                route: Route::Header {
                    name: format!("x-h{HOSTILE}"),
                    value: "שלום".into(),
                },
                features: vec![format!("feature{HOSTILE}")],
            }),
            relation: Some(Relation::Behind(3)),
            live: vec![live],
            marks: vec![Mark {
                kind: "blocked",
                text: format!("mark{HOSTILE}"),
                detail: Some(format!("detail{HOSTILE}")),
            }],
        };
        Page {
            repos: vec![format!("repo{HOSTILE}"), crate::git::WORKSPACE_REPO.into()],
            commit_url: Some(format!("https://git.example.com/{{commit}}?{HOSTILE}")),
            pr_url: Some(format!("https://git.example.com/pull/{{number}}?{HOSTILE}")),
            columns: vec![column("dev"), column("prod")],
            rows: vec![Row {
                service: format!("svc{HOSTILE}"),
                track: format!("track{HOSTILE}"),
                split: true,
                cells: vec![Cell::default(), cell],
            }],
            policies: vec![super::super::matrix::PolicyVerdict {
                severity: "error",
                text: format!("policy{HOSTILE}"),
            }],
            history: vec![super::super::history::EnvHistory {
                env: "dev".into(),
                since: "2026-01-01".into(),
                until: "2026-01-02".into(),
                summary: "1 change (0 failed)".into(),
                lead_time: "median <1m".into(),
                marks: vec![super::super::history::TimeMark {
                    x: 600.0,
                    class: "change",
                    title: format!("title{HOSTILE}"),
                }],
                bars: Vec::new(),
                recent: vec![super::super::history::RecentChange {
                    iso: "2026-01-02T00:00:00+00:00".into(),
                    day: "2026-01-02".into(),
                    commit: Some("01234567".into()),
                    subject: format!("change{HOSTILE} (#5)"),
                    author: format!("author{HOSTILE}"),
                    services: vec![format!("cart{HOSTILE}")],
                    marks: vec!["rollback"],
                }],
            }],
            timestamp: Some(format!("2026{HOSTILE}")),
        }
    }

    #[test]
    fn every_written_string_is_escaped() {
        let html = write(&hostile_page());
        let body = &html[html.find("</style>").unwrap()..html.rfind("<script>").unwrap()];
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("<script"), "{body}");
        assert!(!body.contains("onerror=alert(1)>\""), "{body}");
        let escaped = "&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;";
        for text in [
            "dev",
            "snap",
            "desc",
            "varset",
            "ns",
            "live.json",
            "subject",
            "x-h",
            "feature",
            "mark",
            "detail",
            "repo",
            "svc",
            "track",
            "2026",
            "title",
            "change",
            "author",
            "cart",
            "policy",
        ] {
            assert!(body.contains(&format!("{text}{escaped}")), "{text}: {body}");
        }
        assert!(body.contains(&format!(
            "href=\"https://git.example.com/{}?{escaped}\"",
            "b".repeat(40)
        )));
        // The pull request a subject names links, through an address whose
        // characters cannot leave the attribute.
        assert!(body.contains(&format!(
            "subject{escaped} (<a class=\"pr\" href=\"https://git.example.com/pull/42?%3Cimg%20src=x%20onerror=alert%281%29%3E%22%27&amp;\">#42</a>)"
        )), "{body}");
        assert!(body.contains("(<a class=\"pr\" href=\"https://git.example.com/pull/5?"));
        assert!(body.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;xxxxxxxxxxxxxxx</code>"));
        assert!(body.contains(r#"<span class="ready">1/2 ready</span>"#));
        // Right-to-left text is isolated, the rest is not.
        assert!(body.contains("<span class=\"author\"><bdi>Eve \u{202e}evil</bdi></span>"));
        assert!(body.contains("<bdi>שלום</bdi>"));
        assert!(!body.contains("<bdi>subject"));
    }

    #[test]
    fn the_style_and_the_script_are_inlined_as_they_are() {
        let html = write(&hostile_page());
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n"));
        assert!(html.contains(&format!("<style>\n{CSS}</style>\n")));
        assert!(html.contains(&format!("<script>\n{JS}</script>\n</body>\n</html>\n")));
        assert!(html.ends_with("</html>\n"));
    }
}
