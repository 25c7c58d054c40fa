//! What the page's template (`page.html`) is given: the `Page` as plain
//! values, each already in the words and numbers the page shows, and no
//! markup. The template decides every tag and escapes every value, so a
//! new field here cannot open a hole in the page.

use serde::Serialize;

use super::cell::{Cell, Pin, Route};
use super::column::Column;
use super::history::{EnvHistory, RecentChange};
use super::matrix::Page;
use super::row::Row;
use crate::status::{self, State};
use crate::text::pr_link;
use crate::text::words::count;

#[derive(Serialize)]
pub struct PageView<'a> {
    /// The environments' names, left to right.
    names: Vec<&'a str>,
    /// `7 services`.
    services: String,
    /// `3 environments`.
    environments: String,
    repos_list: Vec<RepoView<'a>>,
    columns: Vec<ColumnView<'a>>,
    /// The live states the legend explains (none without `--live`).
    live_legend: Vec<LegendState>,
    rows: Vec<RowView<'a>>,
    history: Vec<HistoryView<'a>>,
    policies: &'a [super::matrix::PolicyVerdict],
    timestamp: Option<&'a str>,
}

/// An environment's history section (`history`), its recent changes with
/// the links their subjects name.
#[derive(Serialize)]
struct HistoryView<'a> {
    #[serde(flatten)]
    env: &'a EnvHistory,
    recent: Vec<RecentView<'a>>,
}

#[derive(Serialize)]
struct RecentView<'a> {
    #[serde(flatten)]
    change: &'a RecentChange,
    parts: Vec<SubjectPart<'a>>,
}

#[derive(Serialize)]
struct RepoView<'a> {
    name: &'a str,
    /// The workspace's own repository, named in words, never as a bare `.`.
    workspace: bool,
}

#[derive(Serialize)]
struct ColumnView<'a> {
    name: &'a str,
    /// The environment on the left, if any.
    left: Option<&'a str>,
    description: Option<&'a str>,
    snapshot: &'a str,
    varset: &'a str,
    namespace: &'a str,
    services: usize,
    differs: Option<usize>,
    live: Option<LiveSummary<'a>>,
    /// `None` in the first column and where no row relates to the left.
    tally: Option<TallyView>,
}

#[derive(Serialize)]
struct LiveSummary<'a> {
    input: &'a str,
    summary: &'a str,
}

/// A bar of the rows by relation to the left: the shape of a promotion.
#[derive(Serialize)]
struct TallyView {
    total: usize,
    /// `4 behind`, for each relation some row has.
    words: Vec<String>,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    class: &'static str,
    x: usize,
    width: usize,
}

#[derive(Serialize)]
struct LegendState {
    class: &'static str,
    words: &'static str,
}

#[derive(Serialize)]
struct RowView<'a> {
    service: &'a str,
    track: &'a str,
    split: bool,
    differs: bool,
    drifts: bool,
    cells: Vec<CellView<'a>>,
}

#[derive(Serialize)]
struct CellView<'a> {
    env: &'a str,
    /// The relation's class, `first` in the first column.
    class: &'static str,
    relation: Option<RelationView>,
    pin: Option<PinView<'a>>,
    live: Vec<LiveView<'a>>,
    marks: Vec<MarkView<'a>>,
}

#[derive(Serialize)]
struct RelationView {
    symbol: &'static str,
    text: String,
}

#[derive(Serialize)]
struct PinView<'a> {
    full: String,
    short: String,
    /// `commit-url` with the commit filled in.
    href: Option<String>,
    /// The share of the requests that match no header, in percent.
    weight: Option<u32>,
    header: Option<HeaderView<'a>>,
    facts: Option<FactsView<'a>>,
    features: &'a [String],
}

#[derive(Serialize)]
struct HeaderView<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct FactsView<'a> {
    subject: &'a str,
    /// `subject` cut into text and the pull requests it names (`pr-url`).
    parts: Vec<SubjectPart<'a>>,
    author: &'a str,
    /// `2026-11-26T10:01:00+01:00`, for `<time datetime>`.
    iso: String,
    day: String,
}

/// Text of a subject, or a pull request it names with its address.
#[derive(Serialize)]
pub struct SubjectPart<'a> {
    text: &'a str,
    href: Option<String>,
}

impl<'a> SubjectPart<'a> {
    /// `subject` in parts; without `pr-url`, one part of text.
    pub fn split(subject: &'a str, pr_url: Option<&str>) -> Vec<SubjectPart<'a>> {
        pr_link::split(subject)
            .into_iter()
            .map(|p| SubjectPart {
                text: p.text,
                href: pr_url.zip(p.number).map(|(u, n)| pr_link::url(u, n)),
            })
            .collect()
    }
}

#[derive(Serialize)]
struct LiveView<'a> {
    state: &'static str,
    /// The commit the namespace runs: 8 digits of a full hash, else the
    /// text as read.
    commit: Option<&'a str>,
    words: String,
    /// `2/3`.
    ready: Option<String>,
}

#[derive(Serialize)]
struct MarkView<'a> {
    kind: &'static str,
    text: &'a str,
    detail: Option<&'a str>,
}

impl<'a> PageView<'a> {
    pub fn new(page: &'a Page) -> PageView<'a> {
        // Services some environment pins, each once: not its tracks, nor
        // what only runs live (those rows say `not in snapshot`).
        let services = page
            .rows
            .iter()
            .filter(|r| r.cells.iter().any(|c| c.pin.is_some()))
            .map(|r| r.service.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let live = page.columns.iter().any(|c| c.live.is_some());
        PageView {
            names: page.columns.iter().map(|c| c.name.as_str()).collect(),
            services: count(services, "service", "services"),
            environments: count(page.columns.len(), "environment", "environments"),
            repos_list: page
                .repos
                .iter()
                .map(|name| RepoView {
                    name,
                    workspace: name == crate::git::WORKSPACE_REPO,
                })
                .collect(),
            columns: page
                .columns
                .iter()
                .enumerate()
                .map(|(i, column)| {
                    let left = i.checked_sub(1).map(|l| page.columns[l].name.as_str());
                    ColumnView::new(column, left)
                })
                .collect(),
            live_legend: if live {
                // The release page compares workloads only: no `changed`.
                State::ALL
                    .iter()
                    .filter(|s| **s != State::Changed)
                    .map(|s| LegendState::new(*s))
                    .collect()
            } else {
                Vec::new()
            },
            rows: page
                .rows
                .iter()
                .map(|row| RowView::new(page, row))
                .collect(),
            history: page
                .history
                .iter()
                .map(|env| HistoryView {
                    env,
                    recent: env
                        .recent
                        .iter()
                        .map(|change| RecentView {
                            change,
                            parts: SubjectPart::split(&change.subject, page.pr_url.as_deref()),
                        })
                        .collect(),
                })
                .collect(),
            policies: &page.policies,
            timestamp: page.timestamp.as_deref(),
        }
    }
}

impl<'a> ColumnView<'a> {
    fn new(column: &'a Column, left: Option<&'a str>) -> ColumnView<'a> {
        ColumnView {
            name: &column.name,
            left,
            description: column.description.as_deref(),
            snapshot: &column.snapshot,
            varset: &column.varset,
            namespace: &column.namespace,
            services: column.services,
            differs: column.differs,
            live: column
                .live
                .as_ref()
                .map(|(input, summary)| LiveSummary { input, summary }),
            tally: left.and_then(|_| TallyView::new(column)),
        }
    }
}

impl TallyView {
    fn new(column: &Column) -> Option<TallyView> {
        let total: usize = column.tally.iter().sum();
        if total == 0 {
            return None;
        }
        let counted = || {
            Column::TALLY
                .iter()
                .zip(column.tally)
                .filter(|(_, n)| *n > 0)
        };
        let mut x = 0;
        Some(TallyView {
            total,
            words: counted().map(|(class, n)| format!("{n} {class}")).collect(),
            bars: counted()
                .map(|(class, width)| {
                    x += width;
                    Bar {
                        class,
                        x: x - width,
                        width,
                    }
                })
                .collect(),
        })
    }
}

impl LegendState {
    fn new(state: State) -> LegendState {
        LegendState {
            class: state.as_str(),
            words: match state {
                State::Same => "live: same commit",
                State::LiveNewer => "live: newer",
                State::LiveOlder => "live: older",
                State::Diverged => "live: diverged",
                State::Changed => "live: changed",
                State::UnknownCommit => "live: unknown commit",
                State::Missing => "live: missing",
                State::NotInSnapshot => "live: not in snapshot",
            },
        }
    }
}

impl<'a> RowView<'a> {
    fn new(page: &'a Page, row: &'a Row) -> RowView<'a> {
        RowView {
            service: &row.service,
            track: &row.track,
            split: row.split,
            differs: row.differs(),
            drifts: row.drifts(),
            cells: page
                .columns
                .iter()
                .zip(&row.cells)
                .map(|(column, cell)| CellView::new(page, column, cell))
                .collect(),
        }
    }
}

impl<'a> CellView<'a> {
    fn new(page: &'a Page, column: &'a Column, cell: &'a Cell) -> CellView<'a> {
        CellView {
            env: &column.name,
            class: cell.relation.map_or("first", |r| r.class()),
            relation: cell.relation.map(|r| RelationView {
                symbol: r.symbol(),
                text: r.text(),
            }),
            pin: cell.pin.as_ref().map(|pin| PinView::new(page, pin)),
            live: cell.live.iter().map(LiveView::new).collect(),
            marks: cell
                .marks
                .iter()
                .map(|m| MarkView {
                    kind: m.kind,
                    text: &m.text,
                    detail: m.detail.as_deref(),
                })
                .collect(),
        }
    }
}

impl<'a> PinView<'a> {
    fn new(page: &'a Page, pin: &'a Pin) -> PinView<'a> {
        let full = pin.commit.to_string();
        let short = full[..8].to_string();
        PinView {
            href: page
                .commit_url
                .as_ref()
                .map(|url| url.replace("{commit}", &full).replace("{short}", &short)),
            weight: match pin.route {
                Route::Weight(w) => Some(w),
                _ => None,
            },
            header: match &pin.route {
                Route::Header { name, value } => Some(HeaderView { name, value }),
                _ => None,
            },
            facts: pin.facts.as_ref().map(|f| FactsView {
                subject: &f.subject,
                parts: SubjectPart::split(&f.subject, page.pr_url.as_deref()),
                author: &f.author,
                iso: f.when.iso(),
                day: f.when.day(),
            }),
            features: &pin.features,
            full,
            short,
        }
    }
}

impl<'a> LiveView<'a> {
    fn new(row: &'a status::Row) -> LiveView<'a> {
        let state = row.state;
        let commit = row.live_commit.as_deref().map(|c| match c.get(..8) {
            Some(short) if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) => short,
            _ => c,
        });
        let words = match (state, row.ahead, row.behind) {
            (State::Same, _, _) => "same".to_string(),
            (State::LiveNewer, Some(a), _) => format!("newer +{a}"),
            (State::LiveOlder, _, Some(b)) => format!("older \u{2212}{b}"),
            (State::Diverged, Some(a), Some(b)) => format!("diverged +{a}/\u{2212}{b}"),
            (s, _, _) => s.as_str().replace('-', " "),
        };
        LiveView {
            state: state.as_str(),
            commit,
            words,
            ready: match (row.ready, row.desired) {
                (Some(r), Some(d)) => Some(format!("{r}/{d}")),
                _ => None,
            },
        }
    }
}
