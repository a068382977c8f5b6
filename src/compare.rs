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
//! - `comparison.csv`: `run,baseline,strategy,metric,mean,ci_low,ci_high,replications,paired`.
//!   A run's own rows have an empty `baseline` and `paired`: the mean and 95% interval
//!   across its replications of each metric of [`COMPARED_METRICS`] over the whole
//!   horizon, as in `summary.csv`, at the run's Connects price. A row with a baseline is
//!   for `run` minus `baseline`. Two runs pair (`paired` true) only when replication k of
//!   both is the same market: the same seed, months, population (`population.agents`) and
//!   replications ([`unpairable`] says why not). A paired row's values are computed per
//!   replication and then averaged (common random numbers), with `replications` the number
//!   of pairs, for the strategies with the same replication indices in both; it is
//!   usually much narrower than the two separate intervals. Runs that do not pair get
//!   unpaired rows (`paired` false): the difference of the two means with a Welch
//!   interval, `replications` both runs' together. (A 24-month and a 6-month run of one
//!   seed used to pair, and gave "paired differences" of the horizon, not of the rules.)
//!   Rows: each run's in the order given, then the rows of each pair of runs (earlier
//!   run as baseline); within them by strategy name, then metric.
//! - `comparison.md`: the same numbers as readable tables (each run's seed, months,
//!   agents and replications first), with the reason when two runs do not pair.
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
use crate::results::{METRICS, RunData, StrategyTotals, files, market_metrics, strategy_totals};
use crate::stats::{MeanCi, mean_ci, welch_difference};

/// The metrics compared, by their `summary.csv` names.
pub const COMPARED_METRICS: [&str; 2] = ["roi", "cost_per_hire_usd"];

/// The market's metrics compared, by their `market_summary.csv` names; their rows have an
/// empty `strategy`.
pub const COMPARED_MARKET_METRICS: [&str; 4] = [
    "proposals_per_post",
    "hire_share_of_posts",
    "platform_usd_per_month",
    "platform_connects_usd_per_month",
];

/// What a row of the market is about, in place of a strategy.
const MARKET: &str = "";

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
    /// Replications behind the mean (for a paired row: pairs; for an unpaired one, the two
    /// runs' replications together).
    pub replications: u32,
    /// For a row with a baseline, whether it is paired (the difference taken replication by
    /// replication) or not (the difference of the two means, with a Welch interval); empty
    /// for a run's own row.
    pub paired: Option<bool>,
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

/// A run as compared: its label, its manifest's price, seed and months, its population,
/// and its totals.
struct Compared<'a> {
    label: String,
    data: &'a RunData,
    price_usd: f64,
    seed: Option<u64>,
    months: Option<u32>,
    /// `population.agents` of the resolved scenario.
    agents: Option<i64>,
    totals: BTreeMap<(u32, String), StrategyTotals>,
    /// The market's metrics, by replication.
    market: BTreeMap<u32, Vec<(&'static str, Option<f64>)>>,
}

impl Compared<'_> {
    /// The replication values of `metric` for `strategy` (or the market's, for
    /// [`MARKET`]), by replication index.
    fn values(&self, strategy: &str, metric: &str) -> BTreeMap<u32, Option<f64>> {
        if strategy == MARKET {
            return self
                .market
                .iter()
                .map(|(rep, metrics)| {
                    let value = metrics
                        .iter()
                        .find(|(name, _)| *name == metric)
                        .and_then(|(_, v)| *v)
                        .filter(|v| v.is_finite());
                    (*rep, value)
                })
                .collect();
        }
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
            let (price_usd, seed, months) = read_manifest(&data.dir)?;
            Ok(Compared {
                label,
                data,
                price_usd,
                seed,
                months,
                agents: population(&data.resolved_scenario),
                totals: strategy_totals(&data.strategy_monthly),
                market: market_metrics(&data.market_monthly),
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

/// `population.agents` of a resolved scenario's text, if it reads.
fn population(resolved: &str) -> Option<i64> {
    let table: toml::Table = resolved.parse().ok()?;
    table.get("population")?.get("agents")?.as_integer()
}

/// The Connects price (`scenario.price_usd`, required), seed and months (optional) from a
/// run directory's manifest.
fn read_manifest(dir: &Path) -> Result<(f64, Option<u64>, Option<u32>), CompareError> {
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
    let months = manifest["months"]
        .as_u64()
        .and_then(|m| u32::try_from(m).ok());
    Ok((price, manifest["seed"].as_u64(), months))
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
        paired: baseline.map(|_| true),
    }
}

/// Why two runs cannot be paired, if they cannot: replication k of both draws the same
/// random streams only if they share the seed, and their totals compare only over the same
/// months, the same population and the same replications.
fn unpairable(a: &Compared, b: &Compared) -> Option<String> {
    let reps = |c: &Compared| -> BTreeSet<u32> { c.totals.keys().map(|(r, _)| *r).collect() };
    let differ = |what: &str, x: String, y: String| {
        Some(format!("the runs have different {what} ({x} and {y})"))
    };
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_string());
    match ((a.seed, b.seed), (a.months, b.months), (a.agents, b.agents)) {
        ((Some(x), Some(y)), ..) if x != y => differ("seeds", x.to_string(), y.to_string()),
        ((None, _) | (_, None), ..) => Some("a run's manifest names no seed".to_string()),
        (_, (x, y), _) if x != y => differ(
            "horizons",
            or_unknown(x.map(months)),
            or_unknown(y.map(months)),
        ),
        (.., (x, y)) if x != y => differ(
            "populations",
            or_unknown(x.map(|n| format!("{n} agents"))),
            or_unknown(y.map(|n| format!("{n} agents"))),
        ),
        _ if reps(a) != reps(b) => differ(
            "replications",
            reps(a).len().to_string(),
            reps(b).len().to_string(),
        ),
        _ => None,
    }
}

/// `m months` (`1 month`).
fn months(m: u32) -> String {
    if m == 1 {
        "1 month".to_string()
    } else {
        format!("{m} months")
    }
}

/// The unpaired row of `run − baseline`: the difference of the two runs' means, with a
/// Welch interval.
fn unpaired_row(
    run: &str,
    baseline: &str,
    strategy: &str,
    metric: &str,
    (of_run, of_baseline): (&[f64], &[f64]),
) -> ComparisonRow {
    let ci = welch_difference(of_run, of_baseline);
    ComparisonRow {
        run: run.to_string(),
        baseline: Some(baseline.to_string()),
        strategy: strategy.to_string(),
        metric: metric.to_string(),
        mean: ci.map(|c| c.mean),
        ci_low: ci.and_then(|c| c.low),
        ci_high: ci.and_then(|c| c.high),
        replications: (of_run.len() + of_baseline.len()) as u32,
        paired: Some(false),
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
    for run in runs {
        for metric in COMPARED_MARKET_METRICS {
            let values: Vec<f64> = run.values(MARKET, metric).into_values().flatten().collect();
            rows.push(row(&run.label, None, MARKET, metric, &values));
        }
    }
    for (i, base) in runs.iter().enumerate() {
        for other in &runs[i + 1..] {
            rows.extend(market_differences(base, other));
            if unpairable(base, other).is_some() {
                let strategies: Vec<&str> = base
                    .strategies()
                    .into_iter()
                    .filter(|s| other.strategies().contains(s))
                    .collect();
                for strategy in strategies {
                    for metric in COMPARED_METRICS {
                        let values = |c: &Compared| -> Vec<f64> {
                            c.values(strategy, metric).into_values().flatten().collect()
                        };
                        let (of_other, of_base) = (values(other), values(base));
                        rows.push(unpaired_row(
                            &other.label,
                            &base.label,
                            strategy,
                            metric,
                            (&of_other, &of_base),
                        ));
                    }
                }
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

/// The market's rows of `other − base`: paired replication by replication when the runs
/// pair, else the difference of the means with a Welch interval.
fn market_differences(base: &Compared, other: &Compared) -> Vec<ComparisonRow> {
    COMPARED_MARKET_METRICS
        .iter()
        .map(|metric| {
            let (of_base, of_other) = (base.values(MARKET, metric), other.values(MARKET, metric));
            if unpairable(base, other).is_some() {
                let flat = |v: &BTreeMap<u32, Option<f64>>| -> Vec<f64> {
                    v.values().flatten().copied().collect()
                };
                return unpaired_row(
                    &other.label,
                    &base.label,
                    MARKET,
                    metric,
                    (&flat(&of_other), &flat(&of_base)),
                );
            }
            let diffs: Vec<f64> = of_other
                .iter()
                .filter_map(|(rep, v)| Some((*v)? - (*of_base.get(rep)?)?))
                .collect();
            row(&other.label, Some(&base.label), MARKET, metric, &diffs)
        })
        .collect()
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
    let unit = unit_of(metric);
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
    let unit = unit_of(&row.metric);
    let interval = if difference {
        present::format_difference_interval(unit, row.ci_low, row.ci_high)
    } else {
        present::format_interval(unit, row.ci_low, row.ci_high)
    };
    match interval {
        Some(interval) => format!("{mean} {interval}"),
        None => mean,
    }
}

/// A compared metric's unit: a strategy's, or the market's.
fn unit_of(metric: &str) -> present::Unit {
    strategy_metric(metric)
        .or_else(|| present::market_metric(metric))
        .map_or(present::Unit::Count, |m| m.unit)
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
    md.push_str(
        "| run | directory | seed | months | agents | replications | Connects price (USD) |\n",
    );
    md.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for run in runs {
        let known = |v: Option<String>| v.unwrap_or_else(|| "–".to_string());
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            run.label,
            run.data.dir.display(),
            known(run.seed.map(|s| s.to_string())),
            known(run.months.map(|m| m.to_string())),
            known(run.agents.map(|a| present::grouped(a as f64, 0))),
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
            let cells = own_cells(rows, &labels, strategy, metric);
            let _ = writeln!(md, "| {strategy} | {} |", cells.join(" | "));
        }
    }
    md.push_str("\n## The market\n\n");
    let _ = writeln!(md, "| metric | {} |", labels.join(" | "));
    let _ = writeln!(md, "| --- |{}", " --- |".repeat(labels.len()));
    for metric in COMPARED_MARKET_METRICS {
        let cells = own_cells(rows, &labels, MARKET, metric);
        let _ = writeln!(md, "| {} | {} |", market_title(metric), cells.join(" | "));
    }
    if runs.len() > 1 {
        md.push_str("\n## Differences\n");
    }
    for (i, base) in runs.iter().enumerate() {
        for other in &runs[i + 1..] {
            let _ = writeln!(md, "\n### {} − {}\n", other.label, base.label);
            let reason = unpairable(base, other);
            let paired = match &reason {
                Some(reason) => {
                    let _ = writeln!(
                        md,
                        "Not paired: {reason}, so replication k of the two runs is not the same \
                         market. The difference of the two means, with a Welch 95% interval \
                         (wider than a paired one would be):\n"
                    );
                    base.strategies()
                        .into_iter()
                        .filter(|s| other.strategies().contains(s))
                        .collect()
                }
                None => {
                    md.push_str(
                        "Paired: the same seed, months, population and replications, so \
                         replication k of both runs starts from the same random streams (common \
                         random numbers). The difference is taken per replication, then \
                         averaged [95% interval].\n\n",
                    );
                    paired_strategies(base, other)
                }
            };
            let count = if reason.is_some() {
                "replications"
            } else {
                "pairs"
            };
            let _ = writeln!(md, "| strategy | ROI | cost per hire (USD) | {count} |");
            md.push_str("| --- | --- | --- | --- |\n");
            for strategy in &strategies {
                if !paired.contains(strategy) {
                    let _ = writeln!(
                        md,
                        "| {strategy} | not compared: not in both runs with the same replications | | |"
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
                let n = roi.map_or(0, |r| r.replications);
                let cell = |r: Option<&ComparisonRow>| r.map_or("–".to_string(), format_cell);
                let _ = writeln!(md, "| {strategy} | {} | {} | {n} |", cell(roi), cell(cost));
            }
            let _ = writeln!(md, "\n| the market | difference | {count} |");
            md.push_str("| --- | --- | --- |\n");
            for metric in COMPARED_MARKET_METRICS {
                let found = rows.iter().find(|r| {
                    r.baseline.as_deref() == Some(base.label.as_str())
                        && r.run == other.label
                        && r.strategy == MARKET
                        && r.metric == metric
                });
                let n = found.map_or(0, |r| r.replications);
                let cell = found.map_or("–".to_string(), format_cell);
                let _ = writeln!(md, "| {} | {cell} | {n} |", market_title(metric));
            }
        }
    }
    md
}

/// Each run's own cell (not a difference) of `strategy`'s `metric`, in `labels` order.
fn own_cells(rows: &[ComparisonRow], labels: &[&str], strategy: &str, metric: &str) -> Vec<String> {
    labels
        .iter()
        .map(|label| {
            rows.iter()
                .find(|r| {
                    r.baseline.is_none()
                        && r.run == *label
                        && r.strategy == strategy
                        && r.metric == metric
                })
                .map_or("–".to_string(), format_cell)
        })
        .collect()
}

/// A market metric's name in words (`present`'s label).
fn market_title(metric: &str) -> &str {
    present::market_metric(metric).map_or(metric, |m| m.label)
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
        x: charts::XAxis::Months(
            runs.iter()
                .map(|r| charts::month_count(r.data))
                .max()
                .unwrap_or(0),
        ),
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
        .filter(|r| r.paired == Some(true) && r.metric == "roi")
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
            "ROI over the whole run, each replication of a run minus the same replication of \
             the baseline (common random numbers:\nthe same seed, months, population and \
             replications). Dot: mean difference; whiskers: its 95% confidence interval, \
             clear of 0 where the runs differ.\n{}.",
            present::ROI_BRIEF
        ),
        x_desc: "difference in ROI, run − baseline (percentage points)".to_string(),
        unit: Unit::Points,
        strategies,
        pairs,
        none: "no pair of runs: paired differences need the same seed, months, population and \
               replications (see comparison.md)"
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
            ..RunData::default()
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
                months: Some(24),
                agents: Some(5000),
                totals: BTreeMap::new(),
                market: BTreeMap::new(),
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
        // An unpaired row is not drawn as a paired one.
        let unpaired = unpaired_row("b", "a", "spray", "roi", (&[1.0, 2.0], &[0.5, 0.7]));
        assert!(
            paired_chart(&compared, &[rows[0].clone(), unpaired])
                .pairs
                .is_empty()
        );
    }

    /// A compared run of `seed`, `months` and `agents`, with one strategy in `reps`.
    fn compared<'a>(
        data: &'a RunData,
        (seed, months, agents): (u64, u32, i64),
        reps: &[u32],
    ) -> Compared<'a> {
        let totals = reps
            .iter()
            .map(|&r| ((r, "spray".to_string()), StrategyTotals::default()))
            .collect();
        Compared {
            label: "r".to_string(),
            data,
            price_usd: 0.15,
            seed: Some(seed),
            months: Some(months),
            agents: Some(agents),
            totals,
            market: BTreeMap::new(),
        }
    }

    #[test]
    fn runs_pair_only_on_the_same_seed_horizon_population_and_replications() {
        let data = run("x", "out/x");
        let base = compared(&data, (42, 24, 5000), &[0, 1]);
        assert_eq!(
            unpairable(&base, &compared(&data, (42, 24, 5000), &[0, 1])),
            None
        );
        let why = |other: Compared| unpairable(&base, &other).unwrap();
        assert!(why(compared(&data, (7, 24, 5000), &[0, 1])).contains("seeds (42 and 7)"));
        assert!(why(compared(&data, (42, 6, 5000), &[0, 1])).contains("horizons (24 months and 6"));
        assert!(why(compared(&data, (42, 24, 2500), &[0, 1])).contains("populations"));
        assert!(why(compared(&data, (42, 24, 5000), &[0, 1, 2])).contains("replications"));
    }

    #[test]
    fn runs_that_do_not_pair_get_unpaired_welch_rows() {
        let r = unpaired_row(
            "b",
            "a",
            "spray",
            "roi",
            (&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0, 1.0]),
        );
        assert_eq!(
            (r.mean, r.replications, r.paired),
            (Some(1.5), 7, Some(false))
        );
        let welch = welch_difference(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0, 1.0]).unwrap();
        assert_eq!((r.ci_low, r.ci_high), (welch.low, welch.high));
        assert_eq!(
            row("b", Some("a"), "spray", "roi", &[0.1]).paired,
            Some(true)
        );
        assert_eq!(row("a", None, "spray", "roi", &[0.1]).paired, None);
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
