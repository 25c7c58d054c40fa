//! Where services stand in the history: the newest commit that touches each
//! service's path, found in one walk for any number of paths.
//!
//! "Touches" is `Repo::touched`: the path's tree entry differs from the
//! commit's first parent. In a mono-repo whose CI builds the services a
//! commit changes, those are the commits that have an image.

use git2::{Oid, Sort};

use crate::error::Result;
use crate::git::{Repo, git_error};

/// For each of `paths`, the newest commit reachable from `from` that
/// touches it (`None` when none does). One walk from `from`, children before
/// parents and newer before older, that stops as soon as every path has
/// its commit; each commit's trees are read once for all the paths still
/// looked for.
pub fn newest_touching(repo: &Repo, from: Oid, paths: &[&str]) -> Result<Vec<Option<Oid>>> {
    let mut found: Vec<Option<Oid>> = vec![None; paths.len()];
    if paths.is_empty() {
        return Ok(found);
    }
    let mut walk = repo.inner().revwalk().map_err(git_error)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(git_error)?;
    walk.push(from).map_err(git_error)?;
    for oid in walk {
        let oid = oid.map_err(git_error)?;
        let open: Vec<usize> = (0..paths.len()).filter(|&i| found[i].is_none()).collect();
        let open_paths: Vec<&str> = open.iter().map(|&i| paths[i]).collect();
        for (&i, touched) in open.iter().zip(repo.touched(oid, &open_paths)?) {
            if touched {
                found[i] = Some(oid);
            }
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(found)
}
