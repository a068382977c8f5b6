//! Files and directories written whole or not at all, for every writer of the crate (CSV,
//! JSON, charts, report, run directories).
//!
//! A file: the content goes to a temporary file beside the target (same directory, same
//! extension, so plotters still picks the image format from it), which is renamed over the
//! target only once complete. The temporary file is created new (`create_new`: never an
//! existing file, never through a symbolic link planted at its name) under an
//! unpredictable name (16 random hex digits, not the process id). A rename replaces a
//! symbolic link at the target's name; it never writes through it.
//!
//! A directory ([`StagedDir`]): every file goes into a fresh staging directory beside the
//! target (created new, under an unpredictable name), which is swapped in for the target
//! only once complete. The swap is two renames: the old directory aside, the staged one into
//! its place; then the old one is removed. Whatever moment the process is killed at, the
//! target's name holds either the old directory whole or the new one whole, or, between the
//! two renames, nothing (the old directory then waits beside it as
//! `.<name>.connectsim-old-<hex>`, the new one as `.<name>.connectsim-stage-<hex>`).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Fresh names tried before giving up: 64-bit random names collide only when something
/// else is wrong.
const ATTEMPTS: usize = 16;

/// An unpredictable part of a name: 16 hex digits from the OS-seeded generator.
fn random_tag() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A temporary name for `path`: `.<name>.<16 random hex digits>.tmp.<ext>`, in the same
/// directory.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp{ext}", random_tag()))
}

/// Creates a new, empty temporary file beside `path` and returns its name and handle.
fn create_temp(path: &Path) -> Result<(PathBuf, fs::File), WriteError> {
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    for _ in 0..ATTEMPTS {
        let tmp = temp_path(path);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(error(e)),
        }
    }
    Err(error(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name beside it",
    )))
}

/// Renames the complete temporary file `tmp` over `path`, or removes it if `written`
/// failed.
fn finish<E: From<WriteError>>(tmp: &Path, path: &Path, written: Result<(), E>) -> Result<(), E> {
    let result = written.and_then(|()| {
        fs::rename(tmp, path).map_err(|source| {
            E::from(WriteError {
                path: path.to_path_buf(),
                source,
            })
        })
    });
    if result.is_err() {
        // Best effort: the writer may have removed it.
        let _ = fs::remove_file(tmp);
    }
    result
}

/// Calls `write` with a new temporary file's path beside `path` (created empty, so the
/// name is ours), then renames the temporary file to `path`. On any failure the temporary
/// file is removed and `path` is left as it was.
pub fn write_atomically<E: From<WriteError>>(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E> {
    let (tmp, file) = create_temp(path)?;
    drop(file);
    let written = write(&tmp);
    finish(&tmp, path, written)
}

/// Writes `bytes` to `path`, whole or not at all.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let (tmp, mut file) = create_temp(path)?;
    let written = file.write_all(bytes).map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    });
    drop(file);
    finish(&tmp, path, written)
}

/// Checks that files can be created in `dir` (made with its parents if missing): creates a
/// new temporary file there and removes it.
pub fn probe_writable(dir: &Path) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    let (tmp, file) = create_temp(&dir.join(".connectsim-write-probe"))?;
    drop(file);
    fs::remove_file(&tmp).map_err(|source| WriteError { path: tmp, source })
}

/// What the name of a staging directory says it is.
const STAGE: &str = "connectsim-stage";
/// What the name of an old directory moved aside says it is.
const OLD: &str = "connectsim-old";

/// The directory `target` is in (`.` for a bare name).
pub(crate) fn parent_of(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The prefix of the names beside `target` of directories of `kind`:
/// `.<name>.<kind>-`.
pub(crate) fn sibling_prefix(target: &Path, kind: &str) -> String {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.{kind}-")
}

/// Creates a new, empty directory of `kind` beside `target`, under an unpredictable name.
fn fresh_dir(target: &Path, kind: &str) -> io::Result<PathBuf> {
    let prefix = sibling_prefix(target, kind);
    for _ in 0..ATTEMPTS {
        let dir = parent_of(target).join(format!("{prefix}{}", random_tag()));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free directory name beside it",
    ))
}

/// The directories beside `target` that an interrupted swap left: `(old, staging)`. A
/// staging directory may also belong to a run that is still writing.
pub fn leftovers(target: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let (old, stage) = (sibling_prefix(target, OLD), sibling_prefix(target, STAGE));
    let (mut olds, mut stages) = (Vec::new(), Vec::new());
    let Ok(entries) = fs::read_dir(parent_of(target)) else {
        return (olds, stages);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && name.starts_with(&old) {
            olds.push(entry.path());
        } else if is_dir && name.starts_with(&stage) {
            stages.push(entry.path());
        }
    }
    olds.sort();
    stages.sort();
    (olds, stages)
}

/// A directory written whole: files go into [`path`](StagedDir::path), a fresh staging
/// directory beside the target, and [`commit`](StagedDir::commit) swaps it in for the
/// target. Dropped uncommitted (a failed run), the staging directory is removed.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    stage: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Creates the staging directory of `target` (and `target`'s parent directories).
    /// `target` must end in a name (not `.`, `..` or `/`).
    pub fn new(target: &Path) -> Result<StagedDir, WriteError> {
        let error = |source| WriteError {
            path: target.to_path_buf(),
            source,
        };
        if target.file_name().is_none() {
            return Err(error(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a directory name",
            )));
        }
        fs::create_dir_all(parent_of(target)).map_err(error)?;
        let stage = fresh_dir(target, STAGE).map_err(error)?;
        Ok(StagedDir {
            target: target.to_path_buf(),
            stage,
            committed: false,
        })
    }

    /// The staging directory, where the files go.
    pub fn path(&self) -> &Path {
        &self.stage
    }

    /// Swaps the staging directory in for the target: at once if nothing is there (or an
    /// empty directory); otherwise, once `replaceable(target)` agrees, the directory there
    /// is renamed aside, the staging directory renamed into its place, and the old one
    /// removed. When another writer puts its directory in place meanwhile, that one is
    /// replaced in turn (after asking `replaceable` again), so the last to commit wins,
    /// whole. Old directories left beside the target by interrupted swaps are removed.
    pub fn commit<E: From<WriteError>>(
        mut self,
        replaceable: impl Fn(&Path) -> Result<(), E>,
    ) -> Result<(), E> {
        let target = self.target.clone();
        let fail = |source| {
            E::from(WriteError {
                path: target.clone(),
                source,
            })
        };
        let mut swapped = false;
        for _ in 0..ATTEMPTS {
            let occupied = match fs::rename(&self.stage, &target) {
                Ok(()) => {
                    swapped = true;
                    break;
                }
                Err(e) => e,
            };
            if fs::symlink_metadata(&target).is_err() {
                return Err(fail(occupied));
            }
            replaceable(&target)?;
            let aside = fresh_dir(&target, OLD).map_err(fail)?;
            if let Err(e) = fs::rename(&target, &aside) {
                let _ = fs::remove_dir(&aside);
                if e.kind() == io::ErrorKind::NotFound {
                    continue; // another writer moved it first
                }
                return Err(fail(e));
            }
            match fs::rename(&self.stage, &target) {
                Ok(()) => {
                    let _ = fs::remove_dir_all(&aside);
                    swapped = true;
                    break;
                }
                Err(e) => match fs::rename(&aside, &target) {
                    // The old directory is back in place.
                    Ok(()) => return Err(fail(e)),
                    // Another writer's directory took the place: replace it next round.
                    Err(_) if fs::symlink_metadata(&target).is_ok() => {
                        let _ = fs::remove_dir_all(&aside);
                    }
                    Err(_) => return Err(fail(e)),
                },
            }
        }
        if !swapped {
            return Err(fail(io::Error::other(
                "other processes kept replacing it; try again",
            )));
        }
        self.committed = true;
        for old in leftovers(&target).0 {
            let _ = fs::remove_dir_all(old);
        }
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a failed run leaves nothing beside its target.
            let _ = fs::remove_dir_all(&self.stage);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_keep_directory_and_extension_and_are_unpredictable() {
        let path = Path::new("/out/run/roi.png");
        let (a, b) = (temp_path(path), temp_path(path));
        assert_eq!(a.parent(), Some(Path::new("/out/run")));
        assert_eq!(a.extension().and_then(|e| e.to_str()), Some("png"));
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".roi.png."), "{name}");
        assert!(!name.contains(&std::process::id().to_string()), "{name}");
        assert_ne!(a, b, "two temporary names alike");
    }

    #[test]
    fn a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let result: Result<(), WriteError> = write_atomically(&path, |tmp| {
            std::fs::write(tmp, b"partial").unwrap();
            Err(WriteError {
                path: path.clone(),
                source: io::Error::other("interrupted"),
            })
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_file_atomically(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let path = dir.path().join("a.csv");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_file_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn a_staged_directory_replaces_the_target_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("stale.csv"), b"old").unwrap();
        let staged = StagedDir::new(&target).unwrap();
        std::fs::write(staged.path().join("new.csv"), b"new").unwrap();
        staged.commit(|_| Ok::<(), WriteError>(())).unwrap();
        let names: Vec<_> = std::fs::read_dir(&target)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["new.csv"]);
        // Nothing left beside it: no staging, no old directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_refused_or_dropped_staging_directory_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("mine.txt"), b"keep").unwrap();
        let staged = StagedDir::new(&target).unwrap();
        std::fs::write(staged.path().join("new.csv"), b"new").unwrap();
        let refused = staged.commit(|path| {
            Err(WriteError {
                path: path.to_path_buf(),
                source: io::Error::other("not a run directory"),
            })
        });
        assert!(refused.is_err());
        assert_eq!(std::fs::read(target.join("mine.txt")).unwrap(), b"keep");
        drop(StagedDir::new(&target).unwrap());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftovers_of_an_interrupted_swap_are_found_and_cleared_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("run");
        let old = fresh_dir(&target, OLD).unwrap();
        assert_eq!(leftovers(&target).0, std::slice::from_ref(&old));
        let staged = StagedDir::new(&target).unwrap();
        assert_eq!(leftovers(&target).1, [staged.path().to_path_buf()]);
        staged.commit(|_| Ok::<(), WriteError>(())).unwrap();
        assert!(!old.exists());
        assert_eq!(leftovers(&target), (vec![], vec![]));
    }
}
