//! Listing and reading `out/` through file descriptors of its folders.
//!
//! A no-op render of a thousand services lists three thousand folders and
//! reads seven thousand files, and on the VMs this runs on a system call
//! costs microseconds: opening `out/env/svc/deployment.yaml` by its full path
//! walks every component of the workspace's path again, `opendir` adds an
//! `fstat`, and the last empty `read` of each file is one call in four.
//! Here files are opened relative to their environment's folder and folders
//! are listed with `getdents64` on Linux (rustix's `openat` and `RawDir`,
//! which call the kernel without `unsafe` of ours); elsewhere, with
//! `std::fs`.

#[cfg(target_os = "linux")]
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// An open folder.
pub struct Dir {
    file: File,
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    path: std::path::PathBuf,
}

impl Dir {
    /// The folder at `path`, which must not be a link (`ELOOP`): out/ is
    /// committed, and a link there would have snapset read elsewhere.
    pub fn open(path: &Path) -> io::Result<Dir> {
        use std::os::unix::fs::OpenOptionsExt;
        Ok(Dir {
            file: std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY | libc::O_CLOEXEC)
                .open(path)?,
            path: path.to_path_buf(),
        })
    }

    /// Every file below this folder, as paths relative to it, `/`-separated.
    pub fn files(&self) -> io::Result<Vec<String>> {
        let mut files = Vec::new();
        self.walk("", &mut files)?;
        Ok(files)
    }

    /// The bytes of the file at `rel`.
    pub fn read(&self, rel: &str) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.open_at(rel, false)?.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    /// Whether the file at `rel` holds exactly `expected`. A read that
    /// returns less than it asked for is taken as the end of the file, as it
    /// is for regular files on local file systems. A link holds nothing
    /// snapset wrote: it differs.
    pub fn same_bytes(&self, rel: &str, expected: &[u8]) -> io::Result<bool> {
        let mut file = match self.open_at(rel, false) {
            Err(e) if is_link(&e) => return Ok(false),
            other => other?,
        };
        // One byte more than expected: a longer file fills the buffer.
        let mut buf = vec![0u8; (expected.len() + 1).min(8192)];
        let mut at = 0;
        loop {
            let n = match file.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if expected.get(at..at + n) != Some(&buf[..n]) {
                return Ok(false);
            }
            at += n;
            if n < buf.len() {
                return Ok(at == expected.len());
            }
        }
    }

    fn walk(&self, prefix: &str, files: &mut Vec<String>) -> io::Result<()> {
        let dir = if prefix.is_empty() {
            None
        } else {
            Some(self.open_at(prefix, true)?)
        };
        for (name, is_dir) in self.entries(dir.as_ref().unwrap_or(&self.file), prefix)? {
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if is_dir {
                self.walk(&rel, files)?;
            } else {
                files.push(rel);
            }
        }
        Ok(())
    }

    /// Opens `rel` below the folder; its last part is never followed if it
    /// is a link (`ELOOP`), and `walk` descends into real folders only, so
    /// no link in out/ is read through.
    #[cfg(target_os = "linux")]
    fn open_at(&self, rel: &str, directory: bool) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY
            | OFlags::CLOEXEC
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | if directory {
                OFlags::DIRECTORY
            } else {
                OFlags::empty()
            };
        Ok(File::from(rustix::fs::openat(
            &self.file,
            rel,
            flags,
            Mode::empty(),
        )?))
    }

    #[cfg(not(target_os = "linux"))]
    fn open_at(&self, rel: &str, _directory: bool) -> io::Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(self.path.join(rel))
    }

    #[cfg(target_os = "linux")]
    fn entries(&self, dir: &File, _rel: &str) -> io::Result<Vec<(String, bool)>> {
        entries(dir)
    }

    #[cfg(not(target_os = "linux"))]
    fn entries(&self, _dir: &File, rel: &str) -> io::Result<Vec<(String, bool)>> {
        std::fs::read_dir(self.path.join(rel))?
            .map(|e| {
                let e = e?;
                Ok((
                    e.file_name().to_string_lossy().into_owned(),
                    e.file_type()?.is_dir(),
                ))
            })
            .collect()
    }
}

/// Whether opening failed because the path is a symbolic link.
pub fn is_link(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// The entries of an open folder (without `.` and `..`), each with whether
/// it is a folder.
#[cfg(target_os = "linux")]
fn entries(dir: &File) -> io::Result<Vec<(String, bool)>> {
    use rustix::fs::{AtFlags, FileType, RawDir};
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    let mut buf = vec![std::mem::MaybeUninit::<u8>::uninit(); 32 * 1024];
    let mut listing = RawDir::new(dir, &mut buf);
    while let Some(entry) = listing.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            // Some file systems do not say: ask for the entry itself.
            FileType::Unknown => {
                let stat = rustix::fs::statat(dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW)?;
                FileType::from_raw_mode(stat.st_mode) == FileType::Directory
            }
            _ => false,
        };
        out.push((
            OsStr::from_bytes(name).to_string_lossy().into_owned(),
            is_dir,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_compares_below_a_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("cart/deep")).unwrap();
        std::fs::write(root.join("kustomization.yaml"), "a").unwrap();
        std::fs::write(root.join("cart/service.yaml"), "b").unwrap();
        let big = vec![b'x'; 8192 * 2];
        std::fs::write(root.join("cart/deep/big.yaml"), &big).unwrap();
        let dir = Dir::open(root).unwrap();
        let mut files = dir.files().unwrap();
        files.sort();
        assert_eq!(
            files,
            [
                "cart/deep/big.yaml",
                "cart/service.yaml",
                "kustomization.yaml"
            ]
        );
        assert!(dir.same_bytes("cart/service.yaml", b"b").unwrap());
        assert!(!dir.same_bytes("cart/service.yaml", b"bb").unwrap());
        assert!(!dir.same_bytes("cart/service.yaml", b"").unwrap());
        assert!(dir.same_bytes("cart/deep/big.yaml", &big).unwrap());
        assert_eq!(dir.read("cart/deep/big.yaml").unwrap(), big);
        assert!(!dir.same_bytes("cart/deep/big.yaml", &big[1..]).unwrap());
        let mut longer = big.clone();
        longer.push(b'x');
        assert!(!dir.same_bytes("cart/deep/big.yaml", &longer).unwrap());
        assert!(dir.same_bytes("nope.yaml", b"").is_err());
    }
}
