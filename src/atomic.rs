//! Files written whole or not at all, for every writer of the crate (CSV, JSON, charts,
//! report): the content goes to a temporary file beside the target (same directory, same
//! extension, so plotters still picks the image format from it), which is renamed over the
//! target only once complete.

use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// The temporary name for `path`: `.<name>.<pid>.tmp.<ext>` in the same directory.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp{ext}", std::process::id()))
}

/// Calls `write` with a temporary path beside `path`, then renames the temporary file to
/// `path`. On any failure the temporary file is removed and `path` is left as it was.
pub fn write_atomically<E: From<WriteError>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let tmp = temp_path(path);
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|source| {
            E::from(WriteError {
                path: path.to_path_buf(),
                source,
            })
        })
    });
    if result.is_err() {
        // Best effort: the temporary file may not exist.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path`, whole or not at all.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|source| WriteError {
            path: path.to_path_buf(),
            source,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_name_keeps_directory_and_extension() {
        let tmp = temp_path(Path::new("/out/run/roi.png"));
        assert_eq!(tmp.parent(), Some(Path::new("/out/run")));
        assert_eq!(tmp.extension().and_then(|e| e.to_str()), Some("png"));
        assert!(
            tmp.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".roi.png."))
        );
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let result: Result<(), WriteError> = write_atomically(&path, |tmp| {
            std::fs::write(tmp, b"partial").unwrap();
            Err(WriteError {
                path: path.clone(),
                source: std::io::Error::other("interrupted"),
            })
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_file_atomically(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
