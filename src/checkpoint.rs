//! Runs that survive interruption: every finished replication is recorded as it ends, so
//! that `run --resume` simulates only what is missing.
//!
//! A run's records live in its partial directory beside `--out`:
//! `.<name>.connectsim-partial-<16 hex digits>`, the digits from a hash of the run's
//! [`Identity`], so runs of different scenarios, seeds or flags into one `--out` never share
//! one. It holds:
//! - `resume.json`: the identity, which a resume must match field by field;
//! - `lock`: locked (`flock`) by the process running it, so two processes never run the
//!   same run at once; the lock dies with its process, even on `SIGKILL`;
//! - `replications/pNNNN-rNNNNNN.json`: one finished replication (of one point of a sweep)
//!   each, written whole (the bytes of its per-replication CSV files, so that a resumed run
//!   writes exactly the bytes an uninterrupted one does: they go through the same CSV
//!   reading as `merge`).
//!
//! The directory is removed once the run directory is in place.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_file_atomically;
use crate::atomic::{parent_of, sibling_prefix};
use crate::export::data_files;
use crate::results::{Rows, rows_from_files};
use crate::runner::Job;

/// What makes two runs the same run: a resume must match every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub connectsim_version: String,
    /// The resolved scenario as TOML text (merged, overridden by flags).
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    pub months: u32,
    /// `"K/N"`, or none for a whole run.
    pub shard: Option<String>,
    pub agents_csv: bool,
    pub no_plots: bool,
}

impl Identity {
    /// The first field in which `self` differs from `other`, as a reader would name it,
    /// with both values where they are short.
    fn difference(&self, other: &Identity) -> Option<String> {
        let flag = |on: bool, name: &str| {
            if on {
                format!("with {name}")
            } else {
                format!("without {name}")
            }
        };
        let shard = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".to_string());
        let pairs = [
            (
                "connectsim version",
                self.connectsim_version.clone(),
                other.connectsim_version.clone(),
            ),
            ("seed", self.seed.to_string(), other.seed.to_string()),
            (
                "replications",
                self.replications.to_string(),
                other.replications.to_string(),
            ),
            ("months", self.months.to_string(), other.months.to_string()),
            ("shard", shard(&self.shard), shard(&other.shard)),
            (
                "flags",
                flag(self.agents_csv, "--agents-csv"),
                flag(other.agents_csv, "--agents-csv"),
            ),
            (
                "flags",
                flag(self.no_plots, "--no-plots"),
                flag(other.no_plots, "--no-plots"),
            ),
        ];
        if let Some((what, ours, theirs)) = pairs.into_iter().find(|(_, a, b)| a != b) {
            return Some(format!("{what}: {theirs}, not {ours}"));
        }
        (self.scenario != other.scenario).then(|| "the scenario differs".to_string())
    }

    /// The hex digits that name this run's partial directory.
    fn tag(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Sha256::digest(&json)
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// What can go wrong with a run's records; each names the directory or file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot keep the run's finished replications in {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "another connectsim process ({holder}) is running this same run into {}: wait for it, or stop it",
        out.display()
    )]
    Busy { out: PathBuf, holder: String },
    #[error(
        "an interrupted run of this same command kept {kept} finished replications in {}: add --resume to finish it, or remove that directory to start over",
        dir.display()
    )]
    NotResumed { dir: PathBuf, kept: usize },
    #[error(
        "--resume: the interrupted run kept in {} is not this run ({difference}): resume it with the command that started it, or run without --resume",
        dir.display()
    )]
    Mismatch { dir: PathBuf, difference: String },
    #[error("{}: not a record of this run ({reason}): remove {} to start over", path.display(), dir.display())]
    BadRecord {
        path: PathBuf,
        dir: PathBuf,
        reason: String,
    },
}

impl CheckpointError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + '_ {
        move |source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a partial directory's name says it is.
const PARTIAL: &str = "connectsim-partial";
const IDENTITY_FILE: &str = "resume.json";
const LOCK_FILE: &str = "lock";
const RECORDS: &str = "replications";

/// One finished replication, as recorded.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    point: u32,
    replication: u32,
    /// Its per-replication CSV files, by name, as they would be written.
    files: BTreeMap<String, String>,
}

/// A run's partial directory, locked by this process while it lives.
#[derive(Debug)]
pub struct Partial {
    dir: PathBuf,
    agents_csv: bool,
    /// Held for the lock: closing it releases the lock.
    _lock: File,
}

/// The finished replications of an interrupted run, read back for a resume.
#[derive(Debug, Default)]
pub struct Resumed {
    /// The jobs recorded, in order.
    pub jobs: Vec<Job>,
    /// Their rows, a job's each.
    pub rows: Vec<Rows>,
}

/// The partial directories beside `out` (of any identity), newest first.
fn partials_of(out: &Path) -> Vec<PathBuf> {
    let prefix = sibling_prefix(out, PARTIAL);
    let Ok(entries) = fs::read_dir(parent_of(out)) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| {
            let modified = e.metadata().and_then(|m| m.modified());
            (modified.unwrap_or(std::time::UNIX_EPOCH), e.path())
        })
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().map(|(_, p)| p).collect()
}

/// The path of a job's record.
fn record_path(dir: &Path, job: Job) -> PathBuf {
    dir.join(RECORDS)
        .join(format!("p{:04}-r{:06}.json", job.point, job.replication))
}

impl Partial {
    /// Opens the partial directory of the run `identity` into `out` and locks it.
    ///
    /// Without `resume`, a directory with finished replications is refused (they would be
    /// lost), and one without is started over. With `resume`, the recorded replications
    /// among `wanted` are read back; when this run has no partial directory but another
    /// run into `out` has one, the resume is refused with what differs; when there is none
    /// at all, the run starts from the beginning.
    pub fn open(
        out: &Path,
        identity: &Identity,
        wanted: &[Job],
        resume: bool,
    ) -> Result<(Partial, Resumed), CheckpointError> {
        let dir = parent_of(out).join(format!(
            "{}{}",
            sibling_prefix(out, PARTIAL),
            identity.tag()
        ));
        if resume
            && fs::symlink_metadata(&dir).is_err()
            && let Some(other) = partials_of(out).into_iter().next()
        {
            let difference = read_identity(&other)
                .map(|theirs| {
                    identity
                        .difference(&theirs)
                        .unwrap_or_else(|| "its record differs".to_string())
                })
                .unwrap_or_else(|e| format!("unreadable: {e}"));
            return Err(CheckpointError::Mismatch {
                dir: other,
                difference,
            });
        }
        fs::create_dir_all(dir.join(RECORDS)).map_err(CheckpointError::io(&dir))?;
        let lock = lock(&dir, out)?;
        let partial = Partial {
            dir,
            agents_csv: identity.agents_csv,
            _lock: lock,
        };
        let recorded = partial.recorded()?;
        if !resume && !recorded.is_empty() {
            return Err(CheckpointError::NotResumed {
                dir: partial.dir.clone(),
                kept: recorded.len(),
            });
        }
        if recorded.is_empty() {
            // A fresh start (or nothing finished before the interruption): record who we are.
            let json = serde_json::to_vec_pretty(identity).unwrap_or_default();
            let path = partial.dir.join(IDENTITY_FILE);
            write_file_atomically(&path, &json).map_err(|e| CheckpointError::Io {
                path,
                source: e.source,
            })?;
        } else {
            let theirs = read_identity(&partial.dir)?;
            if let Some(difference) = identity.difference(&theirs) {
                return Err(CheckpointError::Mismatch {
                    dir: partial.dir.clone(),
                    difference,
                });
            }
        }
        let resumed = partial.read_back(&recorded, wanted)?;
        Ok((partial, resumed))
    }

    /// The directory, for messages.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Records a finished replication's rows, whole.
    pub fn record(&self, job: Job, rows: &Rows) -> Result<(), CheckpointError> {
        let path = record_path(&self.dir, job);
        let error = |reason: String| CheckpointError::Io {
            path: path.clone(),
            source: io::Error::other(reason),
        };
        let files = data_files(rows, self.agents_csv)
            .map_err(|e| error(e.to_string()))?
            .into_iter()
            .map(|(name, bytes)| Ok((name.to_string(), String::from_utf8(bytes)?)))
            .collect::<Result<_, std::string::FromUtf8Error>>()
            .map_err(|e| error(e.to_string()))?;
        let record = Record {
            point: job.point,
            replication: job.replication,
            files,
        };
        let json = serde_json::to_vec(&record).map_err(|e| error(e.to_string()))?;
        write_file_atomically(&path, &json).map_err(|e| CheckpointError::Io {
            path: path.clone(),
            source: e.source,
        })
    }

    /// How many replications are recorded.
    pub fn kept(&self) -> usize {
        self.recorded().map_or(0, |r| r.len())
    }

    /// Removes the directory: the run is in place.
    pub fn finish(self) -> Result<(), CheckpointError> {
        fs::remove_dir_all(&self.dir).map_err(CheckpointError::io(&self.dir))
    }

    /// The jobs recorded, in order (temporary files of a killed write ignored).
    fn recorded(&self) -> Result<Vec<Job>, CheckpointError> {
        let records = self.dir.join(RECORDS);
        let mut found = Vec::new();
        for entry in fs::read_dir(&records).map_err(CheckpointError::io(&records))? {
            let entry = entry.map_err(CheckpointError::io(&records))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                let _ = fs::remove_file(entry.path());
                continue;
            }
            let job = name
                .strip_prefix('p')
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.split_once("-r"))
                .and_then(|(p, r)| {
                    Some(Job {
                        point: p.parse().ok()?,
                        replication: r.parse().ok()?,
                    })
                })
                .filter(|&job| record_path(&self.dir, job) == entry.path())
                .ok_or_else(|| self.bad(&entry.path(), "not a replication's record".into()))?;
            found.push(job);
        }
        found.sort_unstable();
        Ok(found)
    }

    fn bad(&self, path: &Path, reason: String) -> CheckpointError {
        CheckpointError::BadRecord {
            path: path.to_path_buf(),
            dir: self.dir.clone(),
            reason,
        }
    }

    /// Reads back the records of `recorded`, each of which must be one of `wanted`.
    fn read_back(&self, recorded: &[Job], wanted: &[Job]) -> Result<Resumed, CheckpointError> {
        let mut resumed = Resumed::default();
        for &job in recorded {
            let path = record_path(&self.dir, job);
            let Job { point, replication } = job;
            if wanted.binary_search(&job).is_err() {
                return Err(self.bad(
                    &path,
                    format!("replication {replication} of point {point} is not one of this run's"),
                ));
            }
            let bytes = fs::read(&path).map_err(CheckpointError::io(&path))?;
            let record: Record =
                serde_json::from_slice(&bytes).map_err(|e| self.bad(&path, e.to_string()))?;
            if (record.point, record.replication) != (point, replication) {
                return Err(self.bad(
                    &path,
                    format!(
                        "it holds replication {} of point {}",
                        record.replication, record.point
                    ),
                ));
            }
            let rows = self
                .rows_of(record)
                .map_err(|reason| self.bad(&path, reason))?;
            resumed.rows.push(rows);
            resumed.jobs.push(job);
        }
        Ok(resumed)
    }

    /// A record's rows, each of the replication it says.
    fn rows_of(&self, record: Record) -> Result<Rows, String> {
        let r = record.replication;
        let files = record
            .files
            .into_iter()
            .map(|(name, text)| (name, text.into_bytes()))
            .collect();
        let rows =
            rows_from_files(&files, Path::new(""), self.agents_csv).map_err(|e| e.to_string())?;
        let foreign = rows.strategy_monthly.iter().any(|x| x.replication != r)
            || rows.market_monthly.iter().any(|x| x.replication != r)
            || rows.agent_roi.iter().any(|x| x.replication != r)
            || rows.boost_bids.iter().any(|x| x.replication != r)
            || rows.post_proposals.iter().any(|x| x.replication != r)
            || rows.agent_spend.iter().any(|x| x.replication != r)
            || rows.agents.iter().any(|x| x.replication != r);
        if foreign {
            return Err(format!("rows of another replication than {r}"));
        }
        Ok(rows)
    }
}

/// Reads a partial directory's identity.
fn read_identity(dir: &Path) -> Result<Identity, CheckpointError> {
    let path = dir.join(IDENTITY_FILE);
    let bytes = fs::read(&path).map_err(CheckpointError::io(&path))?;
    serde_json::from_slice(&bytes).map_err(|e| CheckpointError::BadRecord {
        path,
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Locks the partial directory `dir` for this process, writing its process id into the
/// lock file for others' messages.
fn lock(dir: &Path, out: &Path) -> Result<File, CheckpointError> {
    let path = dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(CheckpointError::io(&path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .map_or_else(|| "process id unknown".to_string(), |p| format!("pid {p}"));
            return Err(CheckpointError::Busy {
                out: out.to_path_buf(),
                holder,
            });
        }
        Err(TryLockError::Error(e)) => return Err(CheckpointError::io(&path)(e)),
    }
    file.set_len(0)
        .and_then(|()| write!(file, "{}", std::process::id()))
        .map_err(CheckpointError::io(&path))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(seed: u64) -> Identity {
        Identity {
            connectsim_version: "0".into(),
            scenario: "name = \"x\"".into(),
            seed,
            replications: 4,
            months: 2,
            shard: None,
            agents_csv: false,
            no_plots: true,
        }
    }

    #[test]
    fn the_first_difference_is_named_with_both_values() {
        let (a, mut b) = (identity(1), identity(2));
        assert_eq!(a.difference(&b).as_deref(), Some("seed: 2, not 1"));
        b.seed = 1;
        assert_eq!(a.difference(&b), None);
        b.agents_csv = true;
        assert_eq!(
            a.difference(&b).as_deref(),
            Some("flags: with --agents-csv, not without --agents-csv")
        );
        b.agents_csv = false;
        b.scenario.push(' ');
        assert_eq!(a.difference(&b).as_deref(), Some("the scenario differs"));
        assert_ne!(a.tag(), b.tag());
    }

    #[test]
    fn a_second_process_cannot_take_a_held_lock_and_a_dead_one_leaves_it_free() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let wanted = crate::runner::Job::all(1, &[0, 1, 2, 3]);
        let (held, _) = Partial::open(&out, &identity(1), &wanted, false).unwrap();
        // A second open file description of the same lock file is refused while it is held.
        let busy = Partial::open(&out, &identity(1), &wanted, true).unwrap_err();
        assert!(matches!(busy, CheckpointError::Busy { .. }), "{busy}");
        assert!(busy.to_string().contains(&std::process::id().to_string()));
        drop(held);
        Partial::open(&out, &identity(1), &wanted, true).unwrap();
    }
}
