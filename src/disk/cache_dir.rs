//! Where snapset keeps what it may lose: what the workspace's history
//! taught (`history.json`), whether commits touch a path (`touched`), the
//! images a registry said exist (`images`). A cache is only ever a
//! speed-up, and snapset runs on pull requests: a cache file a pull
//! request could commit would be read as if snapset had written it (a
//! history in which every soak is met, an image the registry never had).
//! So no cache lives in the work tree. They live in the git directory of
//! the repository around the workspace (`$GIT_DIR/snapset/<workspace>/`),
//! which a commit cannot reach, or, for a workspace outside git, in the
//! user's cache folder (`$XDG_CACHE_HOME/snapset/<workspace>/`), keyed by
//! the workspace's real path. A `.snapset/` in the work tree holds only
//! the workspace lock (`workspace_lock`), which is written, never trusted.
//!
//! Files here are still read as if hostile (a machine shared with other
//! users, a disk that fills): never through a link, never a pipe, never
//! beyond a size, and a file that does not read is simply no cache.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The largest cache file read: ten times what 200,000 entries take.
const MAX_BYTES: u64 = 64 << 20;

/// The cache folder of one workspace.
#[derive(Debug, Clone)]
pub struct CacheDir {
    dir: PathBuf,
}

impl CacheDir {
    /// The cache folder of the workspace at `root` (not created yet);
    /// `None` when there is nowhere to keep one (no repository, no home).
    pub fn of(root: &Path) -> Option<CacheDir> {
        let real = std::fs::canonicalize(root).ok()?;
        let key = workspace_key(&real);
        let base = match git_dir(&real) {
            Some(git) => git.join("snapset"),
            None => user_cache()?.join("snapset"),
        };
        Some(CacheDir {
            dir: base.join(key),
        })
    }

    /// A cache folder at `dir` (tests, benchmarks).
    pub fn at(dir: PathBuf) -> CacheDir {
        CacheDir { dir }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The bytes of cache file `name` when it is a regular file (not a
    /// link, not a pipe) of a sane size; `None` otherwise.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(self.dir.join(name))
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_BYTES {
            return None;
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
        Some(bytes)
    }

    /// `read`, as text.
    pub fn read_text(&self, name: &str) -> Option<String> {
        String::from_utf8(self.read(name)?).ok()
    }

    /// Replaces cache file `name` whole, creating the folder (private to
    /// the user) as needed.
    pub fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.create()?;
        crate::disk::atomic_file::replace(&self.dir.join(name), bytes)
    }

    /// The folder, created when missing, with a `CACHEDIR.TAG` so that
    /// backup tools skip it.
    pub fn create(&self) -> std::io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let tag = self.dir.join("CACHEDIR.TAG");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(tag)
        {
            Ok(mut file) => file.write_all(
                b"Signature: 8a477f597d28d172789f06886806bc55\n# Created by snapset: a cache.\n",
            ),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A secret of this cache folder, made once (32 random bytes, readable
    /// by the user alone): what `history.json` is authenticated with, so
    /// that a file copied in from elsewhere, or written by anyone but
    /// snapset, is not taken for one of ours.
    pub fn key(&self) -> Option<[u8; 32]> {
        let read = |bytes: Vec<u8>| <[u8; 32]>::try_from(bytes.as_slice()).ok();
        if let Some(key) = self.read("key").and_then(read) {
            return Some(key);
        }
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut key))
            .ok()?;
        self.create().ok()?;
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.dir.join("key"))
            .and_then(|mut f| f.write_all(&key).and_then(|()| f.sync_all()));
        match made {
            Ok(()) => Some(key),
            // Another snapset made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                self.read("key").and_then(read)
            }
            Err(_) => None,
        }
    }
}

/// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
pub fn mac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// The git directory of the repository whose work tree holds `root`, found
/// as git finds it (`GIT_CEILING_DIRECTORIES` respected), without opening
/// the repository.
fn git_dir(root: &Path) -> Option<PathBuf> {
    let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let found = git2::Repository::discover_path(root, &ceilings).ok()?;
    // A bare repository is no work tree: a workspace is never inside one's
    // git directory.
    std::fs::canonicalize(found)
        .ok()
        .filter(|git| !root.starts_with(git))
}

fn user_cache() -> Option<PathBuf> {
    match std::env::var_os("XDG_CACHE_HOME").filter(|v| Path::new(v).is_absolute()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("HOME")
            .filter(|v| Path::new(v).is_absolute())
            .map(|home| PathBuf::from(home).join(".cache")),
    }
}

/// The workspace's folder name in the cache: its last component (for the
/// user who looks) and a hash of its real path (two workspaces of one
/// repository keep apart).
fn workspace_key(real: &Path) -> String {
    let hash = Sha256::digest(real.as_os_str().as_encoded_bytes());
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name: String = real
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    match name.trim_start_matches('.') {
        "" => hex,
        name => format!("{name}-{hex}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2 takes a 4-byte key; ours are 32 bytes, so
        // check against a key of 32 bytes computed independently
        // (`openssl dgst -sha256 -mac HMAC -macopt hexkey:0b0b…`).
        let key = [0x0b; 32];
        let got: String = mac(&key, b"Hi There")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            got,
            "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"
        );
    }

    #[test]
    fn a_workspace_in_git_keeps_its_caches_in_the_git_directory() {
        let dir = tempfile::tempdir().unwrap();
        git2::Repository::init(dir.path()).unwrap();
        let ws = dir.path().join("deploy");
        std::fs::create_dir(&ws).unwrap();
        let cache = CacheDir::of(&ws).unwrap();
        let git = std::fs::canonicalize(dir.path().join(".git")).unwrap();
        assert!(cache.path().starts_with(git.join("snapset")), "{cache:?}");
        cache.write("touched", b"x").unwrap();
        assert_eq!(cache.read("touched").as_deref(), Some(&b"x"[..]));
        assert!(!ws.join(".snapset").exists());
        let key = cache.key().unwrap();
        assert_eq!(cache.key(), Some(key), "made once");
    }

    #[test]
    fn links_and_pipes_are_no_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(dir.path().join("c"));
        cache.create().unwrap();
        std::os::unix::fs::symlink("/etc/hostname", cache.path().join("images")).unwrap();
        assert_eq!(cache.read("images"), None);
    }
}
