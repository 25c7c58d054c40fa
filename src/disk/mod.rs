//! How snapset touches the workspace's files on disk, safely: every path
//! stays inside the workspace (`confine`), files are replaced whole
//! (`atomic_file`), caches live where a pull request cannot commit them (`cache_dir`:
//! the git directory, or the user's cache folder), commands that write
//! hold the workspace's flock (`workspace_lock`, in `.snapset/`), and a file a
//! pull request may have planted is read only if regular and small (`bounded`).

pub mod atomic_file;
pub mod bounded;
pub mod cache_dir;
pub mod confine;
pub mod workspace_lock;
