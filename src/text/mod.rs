//! Text written for people. Most of it comes from a pull request (a commit
//! subject, an author's name, a variable name, a live annotation, a file
//! name) and is written where its characters mean something: a KDL file, a
//! markdown comment, a terminal, an HTML page. One module per destination,
//! one function per use, so that every printer of user text calls the same
//! code and a new printer has one obvious thing to call:
//!
//! - `kdl::string` / `kdl::comment`: text written into a workspace file;
//! - `markdown::text` / `markdown::code`: text in a pull-request comment;
//! - `terminal::visible`: text printed on a terminal or into a CI log;
//! - `html::escape` / `html::isolated`: text on the release page;
//! - `pr_link`: the pull requests a commit subject names, as links.
//!
//! Beside them, how snapset itself words things: counts with their noun
//! (`words`), dates from Unix seconds (`date`), aligned columns (`table`);
//! and whether a reason a person wrote holds anything visible (`blank`).

pub mod blank;
pub mod date;
pub mod html;
pub mod kdl;
pub mod markdown;
pub mod pr_link;
pub mod table;
pub mod terminal;
pub mod words;
