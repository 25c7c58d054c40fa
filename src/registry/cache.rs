//! Images a registry said exist, kept in `.snapset/images` at the
//! workspace root, so that `snapset images` asks about each tag once.
//!
//! Only positive answers are kept: an image missing today is pushed by CI
//! tomorrow, and must be asked again. A tag can be pushed again with other
//! bytes, but it still exists, which is all `images` proves; `lock` asks the
//! registry every time. Like the untouched-path cache, a file that cannot be
//! read is ignored and one that cannot be written is not an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HEADER: &str = "# snapset cache: images their registry said exist.\n\
                      # <image> <digest or -> Safe to delete.\n";

pub struct ImageCache {
    file: PathBuf,
    known: BTreeMap<String, String>,
    learnt: bool,
}

impl ImageCache {
    pub fn load(root: &Path) -> ImageCache {
        let file = root.join(".snapset").join("images");
        let known = crate::disk::cache_dir::read(root, "images")
            .map(|text| {
                text.lines()
                    .filter(|l| !l.starts_with('#'))
                    .filter_map(|l| l.split_once(' '))
                    .map(|(image, digest)| (image.to_string(), digest.to_string()))
                    .collect()
            })
            .unwrap_or_default();
        ImageCache {
            file,
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
        let write = || -> std::io::Result<()> {
            let root = self
                .file
                .parent()
                .and_then(Path::parent)
                .expect("in .snapset/");
            crate::disk::cache_dir::create(root)?;
            crate::disk::atomic_file::replace(&self.file, text.as_bytes())
        };
        let _ = write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_was_found() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = ImageCache::load(dir.path());
        assert_eq!(cache.get("r/a:1"), None);
        cache.insert("r/a:1".into(), Some("sha256:ab"));
        cache.insert("r/b:1".into(), None);
        cache.save();
        let cache = ImageCache::load(dir.path());
        assert_eq!(cache.get("r/a:1"), Some(Some("sha256:ab")));
        assert_eq!(cache.get("r/b:1"), Some(None));
    }
}
