//! `snapset lock`: asks the registry for the digest of every image of
//! every environment and writes `snapset.lock`, so that the release names
//! bytes, not tags that can be pushed again, and rendering stays offline.
//! `--check` is for CI: exit 1 when the lock is not what `lock` would write.

use std::collections::BTreeMap;
use std::path::Path;

use crate::Session;
use crate::cli::LockArgs;
use crate::error::{Error, ErrorKind, Result};
use crate::load::image_lock;
use crate::pipeline;
use crate::registry::{Client, ImageCache, Options, uses};
use crate::resolve::split_tag;
use crate::text::words::count;

pub struct LockCommand;

impl LockCommand {
    pub fn run(args: LockArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        // Every environment: the lock serves them all, and an environment
        // left out would lose its entries.
        let (workspace, old, images) = uses::release_images(&root, &[], session)?;
        let registries: Vec<String> = images
            .iter()
            .map(|i| i.reference.registry.clone())
            .collect();
        let client = Client::new(Options::from_args(&args.registry), &registries)?;
        let digests = client.each(&images, |image| client.digest(&image.reference));
        let mut cache = ImageCache::load(&workspace.root);
        let mut errors = Vec::new();
        let mut entries: BTreeMap<(String, String), String> = BTreeMap::new();
        for (image, digest) in images.iter().zip(digests) {
            match digest {
                Ok(Some(digest)) => {
                    cache.insert(image.image.clone(), Some(&digest));
                    let (name, tag) = split_tag(&image.image);
                    entries.insert((name.to_string(), tag.to_string()), digest);
                }
                Ok(None) => {
                    let u = &image.uses[0];
                    errors.push(Error::at(
                        ErrorKind::ImageMissing {
                            image: image.image.clone(),
                            service: u.service.clone(),
                            environment: u.environment.clone(),
                            track: u.track.clone(),
                        },
                        &u.loc,
                        "pinned here",
                    ));
                }
                Err(e) => errors.push(e),
            }
        }
        cache.save();
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let text = image_lock::render(&entries);
        let path = workspace.root.join(image_lock::FILE);
        // Compared, never printed; read as the loader reads it (a link out
        // of the workspace was refused when the workspace was loaded).
        let current = crate::load::input::read_bytes(&workspace.root, image_lock::FILE)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        if current.as_deref() == Some(text.as_str()) {
            println!(
                "{} is up to date ({})",
                image_lock::FILE,
                count(entries.len(), "image", "images")
            );
            return Ok(crate::EXIT_OK);
        }
        if args.check {
            let old: BTreeMap<(String, String), String> = old
                .map(|l| l.entries.into_iter().map(|(k, d)| (k, d.value)).collect())
                .unwrap_or_default();
            for line in changes(&old, &entries) {
                println!("{line}");
            }
            println!("{} would change: run `snapset lock`", image_lock::FILE);
            return Ok(crate::EXIT_DIFFERENT);
        }
        write(&path, &text)?;
        println!(
            "locked {} in {}",
            count(entries.len(), "image", "images"),
            image_lock::FILE
        );
        Ok(crate::EXIT_OK)
    }
}

/// What writing the lock would change, one line per image.
fn changes(
    old: &BTreeMap<(String, String), String>,
    new: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for ((name, tag), digest) in new {
        match old.get(&(name.clone(), tag.clone())) {
            None => lines.push(format!("would add    {name}:{tag} {digest}")),
            Some(was) if was != digest => {
                lines.push(format!("would change {name}:{tag} {was} → {digest}"))
            }
            Some(_) => {}
        }
    }
    for (name, tag) in old.keys() {
        if !new.contains_key(&(name.clone(), tag.clone())) {
            lines.push(format!("would remove {name}:{tag}"));
        }
    }
    if lines.is_empty() {
        // Same entries, other bytes: a hand edit or an older format.
        lines.push("would rewrite the file (same entries, other text)".into());
    }
    lines
}

/// In one rename (`atomic_file`): a reader never sees half a lock.
fn write(path: &Path, text: &str) -> Result<()> {
    crate::disk::atomic_file::replace(path, text.as_bytes()).map_err(|source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}
