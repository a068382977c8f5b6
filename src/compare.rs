//! `connectsim compare`: several runs (for example the 2021 rules against today's) side
//! by side, from their run directories alone.
//!
//! Writes into the output directory:
//! - `comparison.png`, `comparison.svg`: cumulative ROI by month, one panel per strategy
//!   (each on its own y scale, so the runs' difference shows even for a strategy whose ROI
//!   is far from the others'), one line per run with its 95% band.
//! - `comparison_paired.png`, `comparison_paired.svg`: the paired differences of ROI over
//!   the whole run (the paired rows of `comparison.csv`), one row per strategy, a dot per
//!   pair of runs at the mean difference in percentage points with its 95% interval as
//!   whiskers, and a line at 0. A file of its own, not a panel of `comparison.png`: it
//!   answers another question (is the difference real?) on another scale (points of ROI
//!   over the whole run, not ROI by month), and it says so when no two runs pair.
//! - `comparison.csv`: `run,baseline,strategy,metric,mean,ci_low,ci_high,replications`.
//!   A run's own rows have an empty `baseline`: the mean and 95% interval across its
//!   replications of each metric of [`COMPARED_METRICS`] over the whole horizon, as in
//!   `summary.csv`, at the run's Connects price. A paired row names two runs: its values
//!   are for `run` minus `baseline`, computed per replication and then averaged, with
//!   `replications` the number of pairs. Pairs exist only when both runs have the same
//!   seed and the strategy has the same replication indices in both, so replication k of
//!   both runs starts from the same random stream (common random numbers), which usually
//!   makes the paired interval much narrower than the two separate ones.
//!   Rows: each run's in the order given, then the paired rows of each pair of runs
//!   (earlier run as baseline); within them by strategy name, then metric.
//! - `comparison.md`: the same numbers as readable tables, with the reason when two runs
//!   could not be paired.
//!
//! Runs are labelled by their scenario name, or by name and directory when two runs share
//! a name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::atomic::{WriteError, write_file_atomically};
use crate::charts::{
    self, BandLine, ChartError, LegendEntry, LinePanel, LinePanels, Pair, PairedChart, SeriesStyle,
    Unit, Zero,
};
use crate::present::{self, format_difference, strategy_metric};
use crate::results::{METRICS, RunData, StrategyTotals, files, strategy_totals};
use crate::stats::{MeanCi, mean_ci};

/// The metrics compared, by their `summary.csv` names.
pub const COMPARED_METRICS: [&str; 2] = ["roi", "cost_per_hire_usd"];

/// A row of `comparison.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonRow {
    /// The run's label (for a paired row: the run the baseline is subtracted from).
    pub run: String,
    /// For a paired row, the run subtracted; empty for a run's own row.
    pub baseline: Option<String>,
    pub strategy: String,
    pub metric: String,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Replications behind the mean (for a paired row: pairs).
    pub replications: u32,
}

/// A comparison that could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("nothing to compare: no run directory given")]
    NoRuns,
    /// A run's manifest lacks what the comparison needs.
    #[error("{}: {message}", path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("cannot write comparison.csv: {0}")]
    Csv(String),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// A run as compared: its label, its manifest's price and seed, and its totals.
struct Compared<'a> {
    label: String,
    data: &'a RunData,
    price_usd: f64,
    seed: Option<u64>,
    totals: BTreeMap<(u32, String), StrategyTotals>,
}

impl Compared<'_> {
    /// The replication values of `metric` for `strategy`, by replication index.
    fn values(&self, strategy: &str, metric: &str) -> BTreeMap<u32, Option<f64>> {
        let f = METRICS
            .iter()
            .find(|(name, _)| *name == metric)
            .map(|(_, f)| f);
        self.totals
            .iter()
            .filter(|((_, s), _)| s == strategy)
            .map(|((rep, _), t)| {
                let value = f
                    .and_then(|f| f(t, self.price_usd))
                    .filter(|v| v.is_finite());
                (*rep, value)
            })
            .collect()
    }

    fn strategies(&self) -> BTreeSet<&str> {
        self.totals.keys().map(|(_, s)| s.as_str()).collect()
    }

    fn replications(&self) -> usize {
        self.totals
            .keys()
            .map(|(rep, _)| rep)
            .collect::<BTreeSet<_>>()
            .len()
    }
}

/// Compares `runs`: writes `comparison.png`, `comparison.svg`, `comparison_paired.png`,
/// `comparison_paired.svg`, `comparison.csv` and `comparison.md` into `out_dir` (see the
/// module's documentation), and returns their paths.
pub fn compare(runs: &[RunData], out_dir: &Path) -> Result<Vec<PathBuf>, CompareError> {
    if runs.is_empty() {
        return Err(CompareError::NoRuns);
    }
    let labels = labels(runs);
    let compared = runs
        .iter()
        .zip(labels)
        .map(|(data, label)| {
            let (price_usd, seed) = read_manifest(&data.dir)?;
            Ok(Compared {
                label,
                data,
                price_usd,
                seed,
                totals: strategy_totals(&data.strategy_monthly),
            })
        })
        .collect::<Result<Vec<_>, CompareError>>()?;
    let rows = comparison_rows(&compared);
    let mut written = charts::save_chart(&roi_chart(&compared), out_dir, "comparison")?;
    let paired = paired_chart(&compared, &rows);
    written.extend(charts::save_chart(&paired, out_dir, "comparison_paired")?);
    let csv_path = out_dir.join("comparison.csv");
    write_file_atomically(&csv_path, &to_csv(&rows)?)?;
    written.push(csv_path);
    let md_path = out_dir.join("comparison.md");
    write_file_atomically(&md_path, to_markdown(&compared, &rows).as_bytes())?;
    written.push(md_path);
    Ok(written)
}

/// Each run's label: its scenario name, with its directory's name (and then its position)
/// added where names repeat.
fn labels(runs: &[RunData]) -> Vec<String> {
    let count = |labels: &[String], label: &String| labels.iter().filter(|l| *l == label).count();
    let names: Vec<String> = runs.iter().map(|r| r.scenario.clone()).collect();
    let with_dirs: Vec<String> = runs
        .iter()
        .zip(&names)
        .map(|(run, name)| {
            if count(&names, name) < 2 {
                return name.clone();
            }
            let dir = run
                .dir
                .file_name()
                .map(|d| d.to_string_lossy().into_owned());
            format!(
                "{name} ({})",
                dir.unwrap_or_else(|| run.dir.display().to_string())
            )
        })
        .collect();
    with_dirs
        .iter()
        .enumerate()
        .map(|(i, label)| {
            if count(&with_dirs, label) < 2 {
                label.clone()
            } else {
                format!("{label} #{}", i + 1)
            }
        })
        .collect()
}

/// The Connects price (`scenario.price_usd`, required) and seed (`seed`, optional) from a
/// run directory's manifest.
fn read_manifest(dir: &Path) -> Result<(f64, Option<u64>), CompareError> {
    let path = dir.join(files::MANIFEST);
    let error = |message: String| CompareError::Manifest {
        path: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| error(format!("cannot read the run's manifest: {e}")))?;
    let manifest: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| error(format!("not a valid manifest: {e}")))?;
    let price = manifest["scenario"]["price_usd"].as_f64().ok_or_else(|| {
        error("no Connects price: expected a number at scenario.price_usd".to_string())
    })?;
    Ok((price, manifest["seed"].as_u64()))
}

/// A row from a mean and interval (or none).
fn row(
    run: &str,
    baseline: Option<&str>,
    strategy: &str,
    metric: &str,
    values: &[f64],
) -> ComparisonRow {
    let ci = mean_ci(values);
    ComparisonRow {
        run: run.to_string(),
        baseline: baseline.map(str::to_string),
        strategy: strategy.to_string(),
        metric: metric.to_string(),
        mean: ci.map(|c| c.mean),
        ci_low: ci.and_then(|c| c.low),
        ci_high: ci.and_then(|c| c.high),
        replications: values.len() as u32,
    }
}

/// Why two runs cannot be paired at all, if they cannot.
fn unpairable(a: &Compared, b: &Compared) -> Option<String> {
    match (a.seed, b.seed) {
        (Some(x), Some(y)) if x == y => None,
        (Some(x), Some(y)) => Some(format!("the runs have different seeds ({x} and {y})")),
        _ => Some("a run's manifest names no seed".to_string()),
    }
}

/// The strategies of both runs with the same replication indices in each.
fn paired_strategies<'a>(a: &'a Compared, b: &Compared) -> Vec<&'a str> {
    let reps = |c: &Compared, s: &str| -> BTreeSet<u32> {
        c.totals
            .keys()
            .filter(|(_, name)| name == s)
            .map(|(rep, _)| *rep)
            .collect()
    };
    a.strategies()
        .into_iter()
        .filter(|s| b.strategies().contains(s) && reps(a, s) == reps(b, s))
        .collect()
}

/// Every run's rows, then the paired rows of every pair that can be paired.
fn comparison_rows(runs: &[Compared]) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for run in runs {
        for strategy in run.strategies() {
            for metric in COMPARED_METRICS {
                let values: Vec<f64> = run
                    .values(strategy, metric)
                    .into_values()
                    .flatten()
                    .collect();
                rows.push(row(&run.label, None, strategy, metric, &values));
            }
        }
    }
    for (i, base) in runs.iter().enumerate() {
        for other in &runs[i + 1..] {
            if unpairable(base, other).is_some() {
                continue;
            }
            for strategy in paired_strategies(base, other) {
                for metric in COMPARED_METRICS {
                    let of_base = base.values(strategy, metric);
                    let diffs: Vec<f64> = other
                        .values(strategy, metric)
                        .into_iter()
                        .filter_map(|(rep, v)| Some(v? - (*of_base.get(&rep)?)?))
                        .collect();
                    rows.push(row(
                        &other.label,
                        Some(&base.label),
                        strategy,
                        metric,
                        &diffs,
                    ));
                }
            }
        }
    }
    rows
}

/// `comparison.csv`'s bytes.
fn to_csv(rows: &[ComparisonRow]) -> Result<Vec<u8>, CompareError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .serialize(row)
            .map_err(|e| CompareError::Csv(e.to_string()))?;
    }
    writer
        .into_inner()
        .map_err(|e| CompareError::Csv(e.to_string()))
}

/// A metric's value for a reader (see `present`): a run's own in its unit, a paired
/// difference in percentage points (ROI) or signed in the unit.
fn format_value(metric: &str, v: f64, difference: bool) -> String {
    let unit = strategy_metric(metric).map_or(present::Unit::Count, |m| m.unit);
    if difference {
        format_difference(unit, v)
    } else {
        present::format_value(unit, v)
    }
}

/// "mean [low, high]" of a row, or "–" where undefined.
fn format_cell(row: &ComparisonRow) -> String {
    let difference = row.baseline.is_some();
    let Some(mean) = row.mean else {
        return "–".to_string();
    };
    let mean = format_value(&row.metric, mean, difference);
    let interval = if difference {
        row.ci_low.zip(row.ci_high).map(|(low, high)| {
            format!(
                "[{}, {}]",
                format_value(&row.metric, low, true),
                format_value(&row.metric, high, true)
            )
        })
    } else {
        let unit = strategy_metric(&row.metric).map_or(present::Unit::Count, |m| m.unit);
        present::format_interval(unit, row.ci_low, row.ci_high)
    };
    match interval {
        Some(interval) => format!("{mean} {interval}"),
        None => mean,
    }
}

/// A metric's heading in `comparison.md`.
fn metric_title(metric: &str) -> &str {
    match metric {
        "roi" => "ROI over the whole run (%; differences in percentage points)",
        "cost_per_hire_usd" => "Cost per hire (USD)",
        other => other,
    }
}

/// `comparison.md`: the runs, one table per metric (strategies × runs), and the paired
/// differences of each pair of runs.
fn to_markdown(runs: &[Compared], rows: &[ComparisonRow]) -> String {
    let mut md = String::new();
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let _ = writeln!(md, "# Comparison: {}\n", labels.join(" vs "));
    md.push_str("| run | directory | seed | replications | Connects price (USD) |\n");
    md.push_str("| --- | --- | --- | --- | --- |\n");
    for run in runs {
        let seed = run.seed.map_or("–".to_string(), |s| s.to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {seed} | {} | {} |",
            run.label,
            run.data.dir.display(),
            run.replications(),
            run.price_usd
        );
    }
    let _ = writeln!(
        md,
        "\nEach cell: the mean across replications [its 95% confidence interval]. {}",
        present::ROI_NOTE
    );
    let strategies: BTreeSet<&str> = runs.iter().flat_map(Compared::strategies).collect();
    for metric in COMPARED_METRICS {
        let _ = writeln!(md, "\n## {}\n", metric_title(metric));
        let _ = writeln!(md, "| strategy | {} |", labels.join(" | "));
        let _ = writeln!(md, "| --- |{}", " --- |".repeat(labels.len()));
        for strategy in &strategies {
            let cells: Vec<String> = labels
                .iter()
                .map(|label| {
                    rows.iter()
                        .find(|r| {
                            r.baseline.is_none()
                                && r.run == *label
                                && r.strategy == *strategy
                                && r.metric == metric
                        })
                        .map_or("–".to_string(), format_cell)
                })
                .collect();
            let _ = writeln!(md, "| {strategy} | {} |", cells.join(" | "));
        }
    }
    if runs.len() > 1 {
        md.push_str("\n## Paired differences\n");
    }
    for (i, base) in runs.iter().enumerate() {
        for other in &runs[i + 1..] {
            let _ = writeln!(md, "\n### {} − {}\n", other.label, base.label);
            if let Some(reason) = unpairable(base, other) {
                let _ = writeln!(md, "Not paired: {reason}.");
                continue;
            }
            md.push_str(
                "Same seed: replication k of both runs starts from the same random stream \
                 (common random numbers), so the difference is taken per replication, then \
                 averaged [95% interval].\n\n",
            );
            md.push_str("| strategy | ROI | cost per hire (USD) | pairs |\n");
            md.push_str("| --- | --- | --- | --- |\n");
            let paired = paired_strategies(base, other);
            for strategy in &strategies {
                if !paired.contains(strategy) {
                    let _ = writeln!(
                        md,
                        "| {strategy} | not paired: not in both runs with the same replications | | |"
                    );
                    continue;
                }
                let find = |metric: &str| {
                    rows.iter().find(|r| {
                        r.baseline.as_deref() == Some(base.label.as_str())
                            && r.run == other.label
                            && r.strategy == *strategy
                            && r.metric == metric
                    })
                };
                let (roi, cost) = (find("roi"), find("cost_per_hire_usd"));
                let pairs = roi.map_or(0, |r| r.replications);
                let cell = |r: Option<&ComparisonRow>| r.map_or("–".to_string(), format_cell);
                let _ = writeln!(
                    md,
                    "| {strategy} | {} | {} | {pairs} |",
                    cell(roi),
                    cell(cost)
                );
            }
        }
    }
    md
}

/// The comparison chart: one panel per strategy, one line per run.
fn roi_chart(runs: &[Compared]) -> LinePanels {
    let series: Vec<BTreeMap<String, Vec<(f64, MeanCi)>>> = runs
        .iter()
        .map(|r| charts::strategy_monthly_series(&r.data.strategy_monthly, |row| row.roi_cum))
        .collect();
    let strategies: BTreeSet<&String> = series.iter().flat_map(BTreeMap::keys).collect();
    let columns = (strategies.len() as f64).sqrt().ceil().max(1.0) as usize;
    let panels: Vec<LinePanel> = strategies
        .iter()
        .enumerate()
        .map(|(k, strategy)| LinePanel {
            caption: Some(strategy.to_string()),
            // Described once per row, on its left.
            y_desc: if k % columns == 0 {
                "cumulative ROI (%)"
            } else {
                ""
            }
            .to_string(),
            unit: Unit::Percent,
            zero_line: Some(String::new()),
            // The runs' difference matters here, not the distance from 0.
            zero: Zero::Free,
            lines: series
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    Some(BandLine {
                        style: SeriesStyle::nth(i),
                        points: s.get(*strategy)?.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    let entries = runs
        .iter()
        .enumerate()
        .map(|(i, r)| LegendEntry {
            label: r.label.clone(),
            style: SeriesStyle::nth(i),
        })
        .collect();
    let rows = panels.len().div_ceil(columns).max(1);
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    LinePanels {
        title: format!("{}: cumulative ROI by month", labels.join(" vs ")),
        subtitle: format!(
            "one panel per strategy, each with its own y scale; line: mean across the run's \
             replications; shaded: its 95% confidence interval.\n{}; dashed: break even.",
            present::ROI_BRIEF
        ),
        months: runs
            .iter()
            .map(|r| charts::month_count(r.data))
            .max()
            .unwrap_or(0),
        panels,
        columns,
        key: charts::Key::Legend("run".to_string(), entries),
        size: (
            (620 * columns as u32 + 420).max(1600),
            (150 + 430 * rows as u32).max(1000),
        ),
    }
}

/// The paired differences of ROI (run minus baseline) of every pair of runs that pairs,
/// per strategy: the paired `roi` rows of `rows`.
fn paired_chart(runs: &[Compared], rows: &[ComparisonRow]) -> PairedChart {
    let paired: Vec<&ComparisonRow> = rows
        .iter()
        .filter(|r| r.baseline.is_some() && r.metric == "roi")
        .collect();
    let strategies: Vec<String> = paired
        .iter()
        .map(|r| r.strategy.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut pairs: Vec<Pair> = Vec::new();
    for row in &paired {
        let label = format!(
            "{} − {}",
            row.run,
            row.baseline.as_deref().unwrap_or_default()
        );
        let at = match pairs.iter().position(|p| p.label == label) {
            Some(at) => at,
            None => {
                pairs.push(Pair {
                    label,
                    differences: vec![None; strategies.len()],
                });
                pairs.len() - 1
            }
        };
        let Some(i) = strategies.iter().position(|s| *s == row.strategy) else {
            continue;
        };
        let ci = row.ci_low.zip(row.ci_high);
        pairs[at].differences[i] = row.mean.map(|mean| (mean, ci));
    }
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    PairedChart {
        title: format!("{}: paired differences of ROI", labels.join(" vs ")),
        subtitle: format!(
            "ROI over the whole run of each replication of a run minus that of the same \
             replication of the baseline (same seed: common random numbers).\nDot: mean \
             difference; whiskers: its 95% confidence interval, clear of 0 where the runs \
             differ.\n{}.",
            present::ROI_BRIEF
        ),
        x_desc: "difference in ROI, run − baseline (percentage points)".to_string(),
        unit: Unit::Points,
        strategies,
        pairs,
        none: "no pair of runs: paired differences need the same seed (see comparison.md)"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(scenario: &str, dir: &str) -> RunData {
        RunData {
            dir: PathBuf::from(dir),
            scenario: scenario.to_string(),
            resolved_scenario: String::new(),
            strategy_monthly: Vec::new(),
            market_monthly: Vec::new(),
            agent_roi: Vec::new(),
            boost_bids: Vec::new(),
            post_proposals: Vec::new(),
            agent_spend: Vec::new(),
            summary: Vec::new(),
        }
    }

    #[test]
    fn compared_metrics_are_summary_metrics() {
        for metric in COMPARED_METRICS {
            assert!(METRICS.iter().any(|(name, _)| *name == metric), "{metric}");
        }
    }

    #[test]
    fn labels_add_the_directory_then_the_position_where_names_repeat() {
        let runs = [
            run("default", "out/a"),
            run("upwork-2021", "out/b"),
            run("default", "out/c"),
            run("default", "elsewhere/c"),
        ];
        assert_eq!(
            labels(&runs),
            [
                "default (a)",
                "upwork-2021",
                "default (c) #3",
                "default (c) #4"
            ]
        );
    }

    #[test]
    fn the_paired_chart_draws_the_paired_roi_rows() {
        let data = run("x", "out/x");
        let compared: Vec<Compared> = ["a", "b"]
            .into_iter()
            .map(|label| Compared {
                label: label.to_string(),
                data: &data,
                price_usd: 0.15,
                seed: Some(42),
                totals: BTreeMap::new(),
            })
            .collect();
        let rows = vec![
            row("a", None, "spray", "roi", &[1.0, 2.0]),
            row("b", Some("a"), "spray", "roi", &[0.1, 0.3]),
            row("b", Some("a"), "spray", "cost_per_hire_usd", &[5.0, 6.0]),
            row("b", Some("a"), "frugal", "roi", &[-0.2]),
        ];
        let chart = paired_chart(&compared, &rows);
        assert_eq!(chart.strategies, ["frugal", "spray"]);
        let [pair] = chart.pairs.as_slice() else {
            panic!("one pair")
        };
        assert_eq!(pair.label, "b − a");
        let spray = rows[1].clone();
        let expected = (spray.mean.unwrap(), spray.ci_low.zip(spray.ci_high));
        assert_eq!(pair.differences, [Some((-0.2, None)), Some(expected)]);
        assert!(expected.1.is_some());
        assert!(chart.subtitle.contains(present::ROI_BRIEF));
        assert!(paired_chart(&compared, &rows[..1]).pairs.is_empty());
    }

    #[test]
    fn cells_write_roi_in_percent_and_differences_in_points_with_units() {
        let mut row = row("a", None, "spray", "roi", &[0.1, 0.2, 0.3]);
        assert_eq!(format_cell(&row), "20.0% [−4.8%, 44.8%]");
        row.baseline = Some("b".to_string());
        assert_eq!(format_cell(&row), "+20.0 pp [−4.8 pp, +44.8 pp]");
        let cost = super::row("a", None, "spray", "cost_per_hire_usd", &[12.5]);
        assert_eq!(format_cell(&cost), "$12.50");
        assert_eq!(format_cell(&super::row("a", None, "s", "roi", &[])), "–");
    }
}
