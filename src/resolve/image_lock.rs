//! Images pinned by digest from `snapset.lock`, as the release is resolved,
//! so that the built-in Deployment, every template and `snapshot.json` see
//! the same pinned image, without the network.

use super::split_tag;
use crate::error::{Error, ErrorKind, Result};
use crate::load::Workspace;

use super::PinnedTrack;

/// `image` pinned by the lock (`name:tag@sha256:…`, and the digest), or
/// unchanged when the workspace has no lock. An image the lock lacks is an
/// error at the track's commit: rendering it by tag would be the mutable
/// release the lock exists to prevent.
pub fn pin(
    ws: &Workspace,
    image: String,
    service: &str,
    track: &PinnedTrack,
) -> Result<(String, Option<String>)> {
    let Some(lock) = &ws.image_lock else {
        return Ok((image, None));
    };
    let (name, tag) = split_tag(&image);
    match lock.digest(name, tag) {
        Some(digest) => Ok((format!("{name}:{tag}@{digest}"), Some(digest.to_string()))),
        None => Err(Error::at(
            ErrorKind::NotLocked {
                image: image.clone(),
                service: service.to_string(),
            },
            &track.commit_loc,
            "pinned here",
        )),
    }
}
