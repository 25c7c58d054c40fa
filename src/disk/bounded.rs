//! Reading a file that a pull request may have put there, or linked: the
//! bytes of a regular file of at most a given size, opened without
//! following a link and without waiting on a named pipe. A link to
//! `/dev/zero` would otherwise be read until memory runs out, and a FIFO
//! would block the run for ever.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum Refused {
    /// A symbolic link, a named pipe, a socket, a device or a folder:
    /// what it is, for messages.
    NotAFile(&'static str),
    /// Larger than the limit given.
    TooLarge,
    Io(std::io::Error),
}

/// The bytes of the regular file at `path`, which must not be a link, of
/// at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    read_file(path, limit, libc::O_NOFOLLOW)
}

/// As `read`, through links: for a workspace file read again, whose links
/// were checked (`confine`) when it was loaded.
pub fn read_linked(path: &Path, limit: u64) -> Result<Vec<u8>, Refused> {
    read_file(path, limit, 0)
}

fn read_file(path: &Path, limit: u64, flags: i32) -> Result<Vec<u8>, Refused> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Refused::NotAFile("a symbolic link"),
            _ => Refused::Io(e),
        })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::NotAFile(crate::load::input::kind_of(
            &meta.file_type(),
        )));
    }
    if meta.len() > limit {
        return Err(Refused::TooLarge);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // It may grow after the check.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refused::TooLarge);
    }
    Ok(bytes)
}

impl From<Refused> for std::io::Error {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::NotAFile(kind) => std::io::Error::other(format!("{kind}, not a regular file")),
            Refused::TooLarge => std::io::Error::other("too large"),
            Refused::Io(e) => e,
        }
    }
}

/// Reads `reader` to its end, or fails once it has given more than `limit`
/// bytes: for a stream the user named (standard input, `<(kubectl …)`).
pub fn read_stream(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "more than {} MiB",
            limit >> 20
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("f"), "12345").unwrap();
        assert_eq!(read(&dir.join("f"), 5).unwrap(), b"12345");
        assert!(matches!(read(&dir.join("f"), 4), Err(Refused::TooLarge)));
        std::os::unix::fs::symlink("f", dir.join("l")).unwrap();
        assert!(matches!(
            read(&dir.join("l"), 5),
            Err(Refused::NotAFile("a symbolic link"))
        ));
        // std has no mkfifo; coreutils has.
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("p"))
            .status()
            .unwrap();
        assert!(made.success());
        assert!(matches!(
            read(&dir.join("p"), 5),
            Err(Refused::NotAFile("a named pipe"))
        ));
        assert!(matches!(
            read(Path::new("/dev/zero"), 5),
            Err(Refused::NotAFile("a device"))
        ));
        assert!(read_stream(&b"123456"[..], 5).is_err());
        assert_eq!(read_stream(&b"12345"[..], 5).unwrap(), b"12345");
    }
}
