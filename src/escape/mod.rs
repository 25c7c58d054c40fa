//! Text from a pull request (a commit subject, an author's name, a variable
//! name, a live annotation, a file name) written where its characters mean
//! something: a KDL file, a markdown comment, a terminal. One module per
//! destination, one function per use, so that every printer of user text
//! calls the same code and a new printer has one obvious thing to call:
//!
//! - `kdl::string` / `kdl::comment`: text written into a workspace file;
//! - `markdown::text` / `markdown::code`: text in a pull-request comment;
//! - `terminal::visible`: text printed on a terminal or into a CI log.
//!
//! HTML (the release page) is `page::escape`.

pub mod kdl;
pub mod markdown;
pub mod terminal;
