//! Service paths prepared once for `Repo::touched`: a history walk asks the
//! same question of the same thousand paths at every commit, so the paths
//! are split and grouped by folder before it starts, not at each commit.

use std::collections::HashMap;

/// Below this many paths, each is looked up on its own; from it on, the
/// paths of a folder are answered by one comparison of the folder.
const FOLDER_COMPARE_FROM: usize = 8;

pub struct Paths {
    pub(super) len: usize,
    pub(super) plan: Plan,
}

pub(super) enum Plan {
    /// Few paths: each one's components.
    Each(Vec<Vec<String>>),
    /// Many paths: grouped by their parent folder.
    Folders {
        /// Paths naming the whole repository.
        whole: Vec<usize>,
        folders: Vec<Folder>,
    },
}

pub(super) struct Folder {
    /// Components of the folder (empty: the repository's root).
    pub(super) dir: Vec<String>,
    /// The folder's entry names, each with the paths that name it.
    pub(super) names: HashMap<Box<[u8]>, Vec<usize>>,
}

impl Paths {
    pub fn new(paths: &[&str]) -> Paths {
        let split: Vec<Vec<String>> = paths
            .iter()
            .map(|p| {
                p.split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .map(str::to_string)
                    .collect()
            })
            .collect();
        if paths.len() < FOLDER_COMPARE_FROM {
            return Paths {
                len: paths.len(),
                plan: Plan::Each(split),
            };
        }
        let mut whole = Vec::new();
        let mut folders: Vec<Folder> = Vec::new();
        let mut index: HashMap<Vec<String>, usize> = HashMap::new();
        for (i, mut parts) in split.into_iter().enumerate() {
            let Some(name) = parts.pop() else {
                whole.push(i);
                continue;
            };
            let at = *index.entry(parts.clone()).or_insert_with(|| {
                folders.push(Folder {
                    dir: parts,
                    names: HashMap::new(),
                });
                folders.len() - 1
            });
            folders[at]
                .names
                .entry(name.into_bytes().into())
                .or_default()
                .push(i);
        }
        Paths {
            len: paths.len(),
            plan: Plan::Folders { whole, folders },
        }
    }

    /// Whether every path names the whole repository (`"."`): every commit
    /// touches those, so no tree need be read (nor a missing parent).
    pub fn all_whole(&self) -> bool {
        match &self.plan {
            Plan::Each(each) => each.iter().all(Vec::is_empty),
            Plan::Folders { folders, .. } => folders.is_empty(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
