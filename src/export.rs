//! Exporters and the one place that writes a run directory.
//!
//! Serializers are pure (`rows → bytes`); [`write_files`] writes each file whole or not at
//! all (`atomic`), so no reader ever sees a half-written file.

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::atomic::{WriteError, write_file_atomically};
use crate::results::{Rows, files, summarize, summarize_market};

/// `manifest.json`: what was run, how, and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub connectsim_version: String,
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

/// Checks up front that `dir` can be created and written, so a bad `--out` is reported
/// before any simulation runs.
pub fn ensure_writable(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".connectsim-write-probe");
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

/// The CSV files and the manifest of a run directory, as (file name, bytes).
pub fn run_files(
    rows: &Rows,
    manifest: &Manifest,
    with_agents: bool,
) -> Result<Vec<(&'static str, Vec<u8>)>, csv::Error> {
    let price = manifest.scenario.price_usd;
    let mut out = vec![
        (files::STRATEGY_MONTHLY, csv_bytes(&rows.strategy_monthly)?),
        (files::MARKET_MONTHLY, csv_bytes(&rows.market_monthly)?),
        (files::AGENT_ROI, csv_bytes(&rows.agent_roi)?),
        (files::BOOST_BIDS, csv_bytes(&rows.boost_bids)?),
        (files::POST_PROPOSALS, csv_bytes(&rows.post_proposals)?),
        (files::AGENT_SPEND, csv_bytes(&rows.agent_spend)?),
        (
            files::SUMMARY,
            csv_bytes(&summarize(&rows.strategy_monthly, price))?,
        ),
        (
            files::MARKET_SUMMARY,
            csv_bytes(&summarize_market(&rows.market_monthly))?,
        ),
    ];
    if with_agents {
        out.push((files::AGENTS, csv_bytes(&rows.agents)?));
    }
    let json =
        serde_json::to_vec_pretty(manifest).map_err(|e| csv::Error::from(io::Error::other(e)))?;
    out.push((files::MANIFEST, json));
    Ok(out)
}

/// Writes the files to `dir`, each atomically.
pub fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, bytes) in files {
        write_file_atomically(&dir.join(name), bytes)?;
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
