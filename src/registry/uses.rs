//! The images of a resolved release, each with every place it is used:
//! an image shared by environments is asked once and reported with all of
//! them.

use std::collections::BTreeMap;

use super::reference::ImageRef;
use crate::error::sources::Loc;
use crate::resolve::Release;

/// Where an image is used: an environment's service's track, pinned at
/// `loc` (the commit in the snapshot file).
#[derive(Debug, Clone)]
pub struct ImageUse {
    pub environment: String,
    pub service: String,
    pub track: String,
    pub loc: Loc,
}

#[derive(Debug)]
pub struct ReleaseImage {
    /// As rendered, without a digest.
    pub image: String,
    pub reference: ImageRef,
    pub uses: Vec<ImageUse>,
}

/// Every distinct image of `release`, sorted by image.
pub fn images(release: &Release) -> Vec<ReleaseImage> {
    let mut by_image: BTreeMap<String, Vec<ImageUse>> = BTreeMap::new();
    for env in release.each_environment() {
        let pins: BTreeMap<(&str, &str), &Loc> = env
            .snapshot
            .services
            .iter()
            .flat_map(|s| {
                s.tracks
                    .iter()
                    .map(move |t| ((s.name.as_str(), t.name.as_str()), &t.commit_loc))
            })
            .collect();
        for service in &env.services {
            for track in &service.tracks {
                let image = track.image.split('@').next().unwrap_or(&track.image);
                let loc = pins[&(service.name.as_str(), track.name.as_str())];
                by_image
                    .entry(image.to_string())
                    .or_default()
                    .push(ImageUse {
                        environment: env.name.clone(),
                        service: service.name.clone(),
                        track: track.name.clone(),
                        loc: loc.clone(),
                    });
            }
        }
    }
    by_image
        .into_iter()
        .map(|(image, uses)| ReleaseImage {
            reference: ImageRef::parse(&image),
            image,
            uses,
        })
        .collect()
}

/// The workspace, loaded without its lock, what the lock holds (`None`
/// when absent or unreadable: `lock` rewrites it), and the images of the selected
/// environments by tag: `images` and `lock` ask about tags, whatever
/// `snapset.lock` says, and must work when the lock lacks an image.
pub fn release_images(
    root: &std::path::Path,
    envs: &[String],
    session: &mut crate::Session,
) -> crate::error::Result<(
    crate::load::Workspace,
    Option<crate::load::ImageLock>,
    Vec<ReleaseImage>,
)> {
    use crate::resolve::{Repos, Resolver, select};
    let workspace = crate::load::Loader::new(root, &mut session.sources)
        .without_image_lock()
        .load()?;
    let lock = read_lock(root, session);
    let selected = select(&workspace, envs)?;
    let repo = Repos::open(&workspace)?;
    let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
    let found = images(&release);
    Ok((workspace, lock, found))
}

fn read_lock(
    root: &std::path::Path,
    session: &mut crate::Session,
) -> Option<crate::load::ImageLock> {
    use crate::load::image_lock::FILE;
    let path = root.join(FILE);
    let bytes = crate::load::input::read_bytes(root, FILE).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let file = session.sources.add(FILE.to_string(), &path, text.clone());
    crate::load::ImageLock::parse(file, &text).ok()
}
