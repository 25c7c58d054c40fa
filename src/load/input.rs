//! Reading one workspace file, whatever is at its path. The loader lists
//! `snapshots/`, `varsets/` and `templates/` and reads what it finds, so
//! anything may be there: a folder named like a file, a symbolic link to
//! nothing, a named pipe (whose read would wait forever), a file of
//! gigabytes, bytes that are not UTF-8 or hold NULs, blocks nested deeper
//! than any parser's stack. Each ends here in an error that names the file,
//! and where there is a place in it, the line and column.

use std::io::Read;
use std::path::Path;

use crate::error::sources::{FileId, Loc, Sources};
use crate::error::{Error, ErrorKind, Result};

/// The largest workspace file snapset reads: a 10,000-service snapshot is
/// about 1 MiB, so this is far beyond any real file and still far below
/// what would exhaust memory.
pub const MAX_FILE_MIB: u64 = 64;

/// The largest KDL file (snapshots, varsets, snapset.kdl, snapset.lock):
/// read into a syntax tree, a KDL file takes up to about 100 times its
/// size (a node or a number of two bytes is a tree node of a hundred), so
/// a 64 MiB file of numbers took gigabytes. At 4 MiB, four times a
/// 10,000-service snapshot, the worst file stays under 1 GB.
pub const MAX_KDL_MIB: u64 = 4;

/// The size limit of the workspace file `rel`, in MiB.
pub fn limit_mib(rel: &str) -> u64 {
    if rel.ends_with(".kdl") || rel.ends_with(".lock") {
        MAX_KDL_MIB
    } else {
        MAX_FILE_MIB
    }
}

/// The bytes of the regular file `rel` of the workspace at `root`, which
/// must resolve inside it (`confine`): nothing is read through a link that
/// leads out.
pub fn read_bytes(root: &Path, rel: &str) -> Result<Vec<u8>> {
    let real = crate::disk::confine::inside(root, rel)?;
    let path = &root.join(rel);
    let read_error = |source| {
        Error::new(ErrorKind::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let not_a_file = |kind| {
        Error::new(ErrorKind::NotAFile {
            path: path.to_path_buf(),
            kind,
        })
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            return Err(match e.kind() {
                std::io::ErrorKind::NotFound => not_a_file("a symbolic link to nothing"),
                _ => read_error(e),
            });
        }
        Err(e) => return Err(read_error(e)),
    };
    if !meta.is_file() {
        return Err(not_a_file(kind_of(&meta.file_type())));
    }
    let limit_mib = limit_mib(rel);
    let limit = limit_mib << 20;
    if meta.len() > limit {
        return Err(Error::new(ErrorKind::TooLarge {
            path: path.to_path_buf(),
            limit_mib,
        }));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow between the size check and the read. The resolved
    // path is opened: the links were checked, they are not followed again.
    std::fs::File::open(&real)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(Error::new(ErrorKind::TooLarge {
            path: path.to_path_buf(),
            limit_mib,
        }));
    }
    Ok(bytes)
}

pub(crate) fn kind_of(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// `bytes` as text. Bytes that are not UTF-8 are an error at the first bad
/// byte; the file is registered (bad bytes shown as U+FFFD, the offsets
/// before them unchanged) so the error shows its line and column.
pub fn text(bytes: Vec<u8>, rel: &str, path: &Path, sources: &mut Sources) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let file = sources.add(
                rel.to_string(),
                path,
                String::from_utf8_lossy(&bytes).into_owned(),
            );
            Err(Error::at(
                ErrorKind::NotUtf8 {
                    file: rel.to_string(),
                    byte: bytes[offset],
                    offset,
                },
                &Loc {
                    file,
                    span: offset..offset + char::REPLACEMENT_CHARACTER.len_utf8(),
                },
                "this byte",
            ))
        }
    }
}

/// Refuses what no parser should see: NUL bytes, which no workspace file
/// holds and which would end up in YAML; and, in KDL files, blocks nested
/// deeper than `kdl_depth::MAX_NESTING`, which the recursive parsers (the
/// fast reader, and knus behind it) would follow until the stack overflows.
pub fn check(file: FileId, rel: &str, text: &str) -> Result<()> {
    if let Some(at) = text.find('\0') {
        return Err(Error::at(
            ErrorKind::NulByte {
                file: rel.to_string(),
            },
            &Loc {
                file,
                span: at..at + 1,
            },
            "this byte",
        ));
    }
    if rel.ends_with(".kdl")
        && let Some(at) = super::kdl_depth::too_deep(text)
    {
        return Err(Error::at(
            ErrorKind::TooDeep {
                file: rel.to_string(),
                limit: super::kdl_depth::MAX_NESTING,
            },
            &Loc {
                file,
                span: at..at + 1,
            },
            "this block is one level too deep",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_text_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join("d.kdl")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join("l.kdl")).unwrap();
        let kind = |p: &str| match *read_bytes(dir, p).unwrap_err().kind {
            ErrorKind::NotAFile { kind, .. } => kind,
            other => panic!("{other:?}"),
        };
        assert_eq!(kind("d.kdl"), "a directory");
        assert_eq!(kind("l.kdl"), "a symbolic link to nothing");

        let mut sources = Sources::default();
        let err = text(b"ab\n\xffc".to_vec(), "x.kdl", dir, &mut sources).unwrap_err();
        let loc = &err.labels[0].loc;
        assert_eq!(sources.position(loc), "x.kdl:2:1");
        assert!(matches!(
            *err.kind,
            ErrorKind::NotUtf8 {
                byte: 0xff,
                offset: 3,
                ..
            }
        ));

        let file = sources.add("y.kdl".into(), dir, "a\0".into());
        let err = check(file, "y.kdl", "a\0").unwrap_err();
        assert_eq!(sources.position(&err.labels[0].loc), "y.kdl:1:2");
    }
}
