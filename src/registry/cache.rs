//! Images a registry said exist, kept in the workspace's cache folder
//! (`disk::cache_dir`: inside the git directory, where a pull request
//! cannot plant an image that was never pushed), so that `snapset images`
//! asks about each tag once.
//!
//! Only positive answers are kept: an image missing today is pushed by CI
//! tomorrow, and must be asked again. A tag can be pushed again with other
//! bytes, but it still exists, which is all `images` proves; `lock` asks the
//! registry every time. Like the untouched-path cache, a file that cannot be
//! read is ignored and one that cannot be written is not an error.

use std::collections::BTreeMap;
use std::path::Path;

use crate::disk::cache_dir::CacheDir;

const FILE: &str = "images";

const HEADER: &str = "# snapset cache: images their registry said exist.\n\
                      # <image> <digest or -> Safe to delete.\n";

pub struct ImageCache {
    dir: Option<CacheDir>,
    known: BTreeMap<String, String>,
    learnt: bool,
}

impl ImageCache {
    pub fn load(root: &Path) -> ImageCache {
        ImageCache::in_dir(CacheDir::of(root))
    }

    /// The cache kept in `dir` (`None`: none kept).
    pub fn in_dir(dir: Option<CacheDir>) -> ImageCache {
        let known = dir
            .as_ref()
            .and_then(|d| d.read_text(FILE))
            .map(|text| {
                text.lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once(' '))
                    .map(|(image, digest)| (image.to_string(), digest.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        ImageCache {
            dir,
            known,
            learnt: false,
        }
    }

    /// Whether `image` was found before, with its digest when known.
    pub fn get(&self, image: &str) -> Option<Option<&str>> {
        self.known
            .get(image)
            .map(|d| Some(d.as_str()).filter(|d| *d != "-"))
    }

    pub fn insert(&mut self, image: String, digest: Option<&str>) {
        let digest = digest.unwrap_or("-").to_string();
        if self.known.get(&image) != Some(&digest) {
            self.known.insert(image, digest);
            self.learnt = true;
        }
    }

    /// Replaces the file whole (`atomic_file`); an unwritable cache is not
    /// an error.
    pub fn save(self) {
        if !self.learnt {
            return;
        }
        let mut text = String::from(HEADER);
        for (image, digest) in &self.known {
            text.push_str(&format!("{image} {digest}\n"));
        }
        if let Some(dir) = &self.dir {
            let _ = dir.write(FILE, text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_was_found() {
        let dir = tempfile::tempdir().unwrap();
        let at = || ImageCache::in_dir(Some(CacheDir::at(dir.path().join("c"))));
        let mut cache = at();
        assert_eq!(cache.get("r/a:1"), None);
        cache.insert("r/a:1".into(), Some("sha256:ab"));
        cache.insert("r/b:1".into(), None);
        cache.save();
        let cache = at();
        assert_eq!(cache.get("r/a:1"), Some(Some("sha256:ab")));
        assert_eq!(cache.get("r/b:1"), Some(None));
    }
}
