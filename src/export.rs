//! Exporters and the one place that writes a run directory.
//!
//! Serializers are pure (`rows → bytes`); [`write_files`] writes each file whole or not at
//! all (`atomic`), so no reader ever sees a half-written file. A run directory is written
//! whole: [`stage_run_dir`] checks that `--out` may be (re)written and opens a staging
//! directory beside it, the files go there, [`seal`] writes the manifest last with every
//! file's SHA-256, and the staging directory is swapped in for `--out`
//! (`atomic::StagedDir::commit`, which asks [`replaceable`] before replacing anything).

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::{StagedDir, WriteError, write_file_atomically};
use crate::results::{Rows, files, list_run_dir, summarize, summarize_market};
use crate::runner::Shard;

/// `manifest.json`: what was run, how, and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub connectsim_version: String,
    /// The commit connectsim was built from ("unknown" outside a git checkout).
    #[serde(default)]
    pub commit: Option<String>,
    /// When the run (or the merge) finished, UTC, as `2026-12-02T17:55:03Z`: a fact of the
    /// machine, like the timings.
    #[serde(default)]
    pub finished_utc: Option<String>,
    pub scenario: ScenarioInfo,
    pub seed: u64,
    /// Replications of the whole run.
    pub replications: u32,
    pub months: u32,
    /// `"K/N"` for a shard's directory; null for a whole run.
    #[serde(default)]
    pub shard: Option<String>,
    /// The replications this directory holds.
    pub replications_run: Vec<u32>,
    pub threads: usize,
    pub wall_seconds: f64,
    pub proposals_simulated: u64,
    pub proposals_per_second: f64,
    /// Every file of the run directory but `manifest.json` itself, by path, with its
    /// SHA-256 (see [`seal`]); readers refuse a directory that does not match it.
    #[serde(default)]
    pub files: Vec<RunFile>,
    /// What the run was estimated to need before it started, and the memory it took: a
    /// measure of this machine, like the timings (null in a merged directory).
    #[serde(default)]
    pub resources: Option<Resources>,
    /// A sweep's parameters and points (absent for a run of one scenario, and in each
    /// point's own directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<crate::sweep::SweepInfo>,
}

/// A run's estimated and measured resources ([`crate::estimate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resources {
    pub estimated_peak_mib: f64,
    pub estimated_seconds: f64,
    /// The process's resident-memory high-water mark, where the system tells it.
    pub peak_mib: Option<f64>,
}

/// A file of a run directory, as `manifest.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFile {
    /// Relative to the run directory, `/`-separated (`experiments/` holds calibrate's
    /// nested runs, which list their own files).
    pub path: String,
    /// SHA-256 of its bytes, in lower-case hex.
    pub sha256: String,
}

impl Manifest {
    /// Checks that `replications_run` is what the run says it ran: increasing, each below
    /// `replications`, and all of them for a whole run, exactly those with `r % N == K`
    /// for shard `K/N`. Bounded by the list's length: `replications` is never allocated.
    pub fn check_replications(&self) -> Result<(), String> {
        let run = &self.replications_run;
        if let Some(w) = run.windows(2).find(|w| w[0] >= w[1]) {
            return Err(format!(
                "replications_run is not increasing ({} then {})",
                w[0], w[1]
            ));
        }
        if let Some(r) = run.iter().find(|&&r| r >= self.replications) {
            return Err(format!(
                "replications_run holds {r}, but the run has {} replications",
                self.replications
            ));
        }
        let (expected, which) = match &self.shard {
            None => (u64::from(self.replications), "the run has".to_string()),
            Some(text) => {
                let shard: Shard = text.parse().map_err(|e| format!("shard: {e}"))?;
                if let Some(r) = run.iter().find(|&&r| r % shard.count != shard.index) {
                    return Err(format!(
                        "replications_run holds {r}, not one of shard {shard}"
                    ));
                }
                let count = match self.replications.checked_sub(shard.index) {
                    Some(0) | None => 0,
                    Some(rest) => u64::from((rest - 1) / shard.count) + 1,
                };
                (
                    count,
                    format!("shard {shard} of the run's {} has", self.replications),
                )
            }
        };
        if run.len() as u64 != expected {
            return Err(format!(
                "replications_run lists {} replications, but {which} {expected}",
                run.len()
            ));
        }
        Ok(())
    }
}

/// SHA-256 of `bytes`, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The scenario part of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    pub name: String,
    /// The file (or `embedded:NAME`) it was read from.
    pub origin: String,
    /// SHA-256 of the scenario file's own text.
    pub sha256: String,
    /// Price of a Connect, USD (what the summaries value Connects at).
    pub price_usd: f64,
    /// The resolved scenario (merged with what it extends, flags applied), as TOML.
    pub resolved: String,
    /// The scenario's `baseline_strategy`, if it names one.
    #[serde(default)]
    pub baseline: Option<String>,
}

/// Serializes rows as CSV with a header (an empty field for `None`); a file with no rows
/// still gets its header.
pub fn csv_bytes<T: Serialize + Default>(rows: &[T]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if rows.is_empty() {
        // The header comes with the first record: write a default one, keep the header line.
        w.serialize(T::default())?;
        let bytes = w
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))?;
        let header_end = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
        return Ok(bytes[..header_end].to_vec());
    }
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Checks up front that files can be written in `dir` (a directory that is not a run
/// directory: `compare`'s and `tune`'s), so a bad `--out` is reported before any work.
pub fn ensure_writable(dir: &Path) -> Result<(), OutError> {
    if is_run_dir(dir) {
        return Err(OutError::RunDir);
    }
    Ok(crate::atomic::probe_writable(dir)?)
}

/// Why a directory cannot be written (the caller names it).
#[derive(Debug, thiserror::Error)]
pub enum OutError {
    #[error("a symbolic link; give the directory itself")]
    Symlink,
    #[error("not a directory")]
    NotADirectory,
    #[error(
        "not empty and not a connectsim run directory (no connectsim manifest.json); give a new or empty directory"
    )]
    Foreign,
    #[error("a connectsim run directory; give another directory")]
    RunDir,
    #[error("cannot write the output directory: {}", .0.source)]
    Write(#[from] WriteError),
}

/// Just enough of a manifest to tell that connectsim (of any version) wrote it.
#[derive(Deserialize)]
struct Written {
    connectsim_version: String,
}

/// Whether `dir` holds a regular `manifest.json` written by connectsim.
fn is_run_dir(dir: &Path) -> bool {
    let path = dir.join(files::MANIFEST);
    std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
        && crate::results::read_bounded(&path).is_ok_and(|bytes| {
            serde_json::from_slice::<Written>(&bytes)
                .is_ok_and(|w| !w.connectsim_version.is_empty())
        })
}

/// Whether a run may be written at `dir`, replacing what is there: nothing, an empty
/// directory, or a connectsim run directory (replaced whole, files it does not write
/// included). A symbolic link, a file, or a non-empty directory without a connectsim
/// manifest is refused.
pub fn replaceable(dir: &Path) -> Result<(), OutError> {
    let write = |source| {
        OutError::Write(WriteError {
            path: dir.to_path_buf(),
            source,
        })
    };
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(write(e)),
    };
    if meta.is_symlink() {
        return Err(OutError::Symlink);
    }
    if !meta.is_dir() {
        return Err(OutError::NotADirectory);
    }
    let empty = std::fs::read_dir(dir).map_err(write)?.next().is_none();
    if empty || is_run_dir(dir) {
        Ok(())
    } else {
        Err(OutError::Foreign)
    }
}

/// Checks that `out` may be written as a run directory ([`replaceable`]) and opens its
/// staging directory beside it (a path ending in `.` or `..` is resolved first).
pub fn stage_run_dir(out: &Path) -> Result<StagedDir, OutError> {
    let out = match out.file_name() {
        Some(_) => out.to_path_buf(),
        None => std::fs::canonicalize(out).map_err(|source| WriteError {
            path: out.to_path_buf(),
            source,
        })?,
    };
    replaceable(&out)?;
    Ok(StagedDir::new(&out)?)
}

/// The per-replication CSV files of a run (and `agents.csv` if asked), as (file name,
/// bytes).
pub fn data_files(
    rows: &Rows,
    with_agents: bool,
) -> Result<Vec<(&'static str, Vec<u8>)>, csv::Error> {
    let mut out = vec![
        (files::STRATEGY_MONTHLY, csv_bytes(&rows.strategy_monthly)?),
        (files::MARKET_MONTHLY, csv_bytes(&rows.market_monthly)?),
        (files::AGENT_ROI, csv_bytes(&rows.agent_roi)?),
        (files::BOOST_BIDS, csv_bytes(&rows.boost_bids)?),
        (files::POST_PROPOSALS, csv_bytes(&rows.post_proposals)?),
        (files::AGENT_SPEND, csv_bytes(&rows.agent_spend)?),
    ];
    if with_agents {
        out.push((files::AGENTS, csv_bytes(&rows.agents)?));
    }
    Ok(out)
}

/// `summary.csv` and `market_summary.csv`, computed from the rows at the scenario's
/// Connects price, against its baseline strategy.
pub fn summary_files(
    rows: &Rows,
    scenario: &ScenarioInfo,
) -> Result<Vec<(&'static str, Vec<u8>)>, csv::Error> {
    let summary = summarize(
        &rows.strategy_monthly,
        scenario.price_usd,
        scenario.baseline.as_deref(),
    );
    Ok(vec![
        (files::SUMMARY, csv_bytes(&summary)?),
        (
            files::MARKET_SUMMARY,
            csv_bytes(&summarize_market(&rows.market_monthly))?,
        ),
    ])
}

/// Lists every file of the (staged) run directory `dir` with its SHA-256 in the manifest
/// and writes `manifest.json` there, the directory's last file; returns what it wrote.
pub fn seal(dir: &Path, manifest: &Manifest) -> Result<Manifest, WriteError> {
    let error = |source| WriteError {
        path: dir.join(files::MANIFEST),
        source,
    };
    let listing = list_run_dir(dir).map_err(|e| error(io::Error::other(e.to_string())))?;
    let mut sealed = manifest.clone();
    sealed.files = listing
        .files
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(dir.join(&path)).map_err(error)?;
            Ok(RunFile {
                sha256: sha256_hex(&bytes),
                path,
            })
        })
        .collect::<Result<_, WriteError>>()?;
    let json = serde_json::to_vec_pretty(&sealed).map_err(|e| error(io::Error::other(e)))?;
    write_file_atomically(&dir.join(files::MANIFEST), &json)?;
    Ok(sealed)
}

/// Writes the files to `dir` (paths relative to it, `/`-separated), each atomically,
/// creating the directories they are in.
pub fn write_files<B: AsRef<[u8]>>(dir: &Path, files: &[(&str, B)]) -> Result<(), WriteError> {
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| WriteError {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        write_file_atomically(&path, bytes.as_ref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::SummaryRow;

    #[test]
    fn csv_writes_empty_fields_for_undefined_values() {
        let rows = vec![SummaryRow {
            strategy: "a".into(),
            metric: "roi".into(),
            mean: Some(0.5),
            ci_low: None,
            ci_high: None,
            replications: 1,
        }];
        let text = String::from_utf8(csv_bytes(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "strategy,metric,mean,ci_low,ci_high,replications\na,roi,0.5,,,1\n"
        );
    }

    #[test]
    fn an_empty_file_keeps_its_header() {
        let text = String::from_utf8(csv_bytes::<SummaryRow>(&[]).unwrap()).unwrap();
        assert_eq!(text, "strategy,metric,mean,ci_low,ci_high,replications\n");
    }
}
