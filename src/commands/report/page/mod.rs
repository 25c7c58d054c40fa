//! The release page of `snapset report`: one self-contained HTML file that
//! shows, side by side, which commit every service and track runs in each
//! environment, how each environment relates to the one before it in the
//! commit graph, and (with `--live`) what the namespaces really run. The
//! page is built as data first (`Page`), then turned into the values the
//! page shows (`view`) and written as HTML by a template (`html`,
//! `page.html`), so the graph questions and the markup stay apart.

mod arg_sources;
mod cell;
mod column;
mod commit;
pub mod history;
mod html;
mod live_arg;
mod marks;
pub mod matrix;
mod output;
mod relation;
mod row;
mod view;

pub use arg_sources::ArgSources;
pub use cell::{Cell, Pin, Route};
pub use column::Column;
pub use commit::CommitFacts;
pub use live_arg::LiveArg;
pub use marks::Mark;
pub use matrix::Page;
pub use output::write_atomic;
pub use relation::{Relation, Relations};
pub use row::Row;
