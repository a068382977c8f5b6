//! Calibration (MODEL.md "Calibration targets"): the scenario's paired counterfactuals, the
//! targets, and the table that says how close a scenario is to each.
//!
//! `connectsim calibrate` runs three markets of one scenario, with the same seed and so the
//! same posts, clients and agents (common random numbers):
//! - **market**: the scenario with no placebo posts, and the cap experiment's posts drawn
//!   into their arm but left uncapped. The market targets come from it, and the uncapped
//!   baseline of the paired cap estimate.
//! - **placebo**: the same market with a share of placebo posts (`calibration.placebo_share`):
//!   the boost lift, slot winners against would-be winners.
//! - **capped**: the same market with a random share of posts (`calibration.cap_share`)
//!   capped at `calibration.max_applicants` or `calibration.max_open_hours`: capped against
//!   uncapped posts in the same run, and capped posts against the very same posts of the
//!   market run.
//!
//! Every value is computed per replication and reported as the mean with its t-based 95%
//! interval across replications. A target's verdict is `inside` when the whole interval
//! lies in the target's range, `outside` when none of it does, and `straddles` otherwise.

use serde::{Deserialize, Serialize};

use crate::present::{format_interval, format_value};
use crate::results::{
    ALL_AGENTS, AgentSpendRow, MarketMonthRow, PostProposalsRow, Rows, RunData, boost_lift,
    cap_effect_on_hire_share, cap_effect_on_proposals, ratio,
};
use crate::scenario::file::ScenarioFile;
use crate::stats::mean_ci;

/// One of MODEL.md's calibration targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub name: &'static str,
    pub low: f64,
    pub high: f64,
    pub source: &'static str,
    pub unit: Unit,
    /// The target is a ceiling (`low` is the quantity's floor, not a figure to reach).
    pub at_most: bool,
}

pub use crate::present::Unit;

/// MODEL.md's targets, in the order of its table.
pub const TARGETS: [Target; 7] = [
    Target {
        name: "interviews per proposal",
        low: 0.10,
        high: 0.15,
        source: "third-party 2023-2025 reports (11% in 2023, 15% in 2025)",
        unit: Unit::Share,
        at_most: false,
    },
    Target {
        name: "share of posts that end in a hire",
        low: 0.35,
        high: 0.45,
        source: "unverified third-party figure (~38-40%)",
        unit: Unit::Share,
        at_most: false,
    },
    Target {
        name: "proposals per post (median)",
        low: 10.0,
        high: 50.0,
        source: "the marketplace's bands, up to \"50+\"",
        unit: Unit::Count,
        at_most: false,
    },
    Target {
        name: "USD of bundles per freelancer-month (median)",
        low: 0.0,
        high: 5.0,
        source: "Upwork: most freelancers spend about $5 a month or less",
        unit: Unit::Usd,
        at_most: true,
    },
    Target {
        name: "boost lift (slot winners vs placebo would-be winners)",
        low: 0.24,
        high: 0.43,
        source: "Upwork: +37% (three slots) to +43% (top bid), 2022 beta",
        unit: Unit::Change,
        at_most: false,
    },
    Target {
        name: "application cap: proposals per capped post vs uncapped",
        low: -0.14,
        high: -0.08,
        source: "Horton and Vasserman: -11% applicants to treated jobs",
        unit: Unit::Change,
        at_most: false,
    },
    Target {
        name: "application cap: hire share, capped minus uncapped",
        low: -0.02,
        high: 0.02,
        source: "Horton and Vasserman: no detectable change in hiring",
        unit: Unit::Points,
        at_most: false,
    },
];

/// The marketplace's bands of proposals per post: `[low, high)`, the last unbounded.
pub const BANDS: [(u32, Option<u32>); 6] = [
    (0, Some(5)),
    (5, Some(10)),
    (10, Some(15)),
    (15, Some(20)),
    (20, Some(50)),
    (50, None),
];

/// A row of `calibration.csv`: a target (or a figure reported beside the targets, with no
/// range), the simulated value with its interval, and the verdict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    pub target: String,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub source: String,
    pub unit: Unit,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub replications: u32,
    /// `inside`, `outside`, `straddles`, or empty for a figure without a range (or a value
    /// without an interval).
    pub verdict: String,
}

/// The three scenarios `calibrate` runs (see the module's header): market, placebo, capped.
pub fn experiment_files(file: &ScenarioFile) -> [(&'static str, ScenarioFile); 3] {
    let c = &file.calibration;
    let mut market = file.clone();
    market.boost.placebo_share = 0.0;
    market.jobs.max_applicants = Some(c.max_applicants);
    market.jobs.max_open_hours = Some(c.max_open_hours);
    market.jobs.cap_share = c.cap_share;
    market.jobs.enforce_caps = false;
    let mut placebo = market.clone();
    placebo.boost.placebo_share = c.placebo_share;
    let mut capped = market.clone();
    capped.jobs.enforce_caps = true;
    [("market", market), ("placebo", placebo), ("capped", capped)]
}

/// The market rows of one run summed per replication, in replication order.
fn per_replication(rows: &[MarketMonthRow]) -> Vec<MarketMonthRow> {
    let mut out: Vec<MarketMonthRow> = Vec::new();
    for r in rows {
        match out.last_mut() {
            Some(last) if last.replication == r.replication => *last += r,
            _ => {
                let mut first = MarketMonthRow {
                    replication: r.replication,
                    ..MarketMonthRow::default()
                };
                first += r;
                out.push(first);
            }
        }
    }
    out
}

/// The median of each replication's proposals per resolved post, and the share of its
/// resolved posts in each band.
fn post_distribution(post_proposals: &[PostProposalsRow]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut medians = Vec::new();
    let mut bands = vec![Vec::new(); BANDS.len()];
    let mut i = 0;
    while i < post_proposals.len() {
        let rep = post_proposals[i].replication;
        let j = i + post_proposals[i..]
            .iter()
            .take_while(|r| r.replication == rep)
            .count();
        let hist = &post_proposals[i..j];
        let total: u64 = hist.iter().map(|r| r.posts).sum();
        // The lower median: the smallest count with at least half the posts at or below it.
        let mut seen = 0;
        if let Some(median) = hist.iter().find(|r| {
            seen += r.posts;
            2 * seen >= total
        }) {
            medians.push(f64::from(median.proposals));
        }
        for (b, &(low, high)) in BANDS.iter().enumerate() {
            let inside: u64 = hist
                .iter()
                .filter(|r| r.proposals >= low && high.is_none_or(|h| r.proposals < h))
                .map(|r| r.posts)
                .sum();
            if let Some(share) = ratio(inside as f64, total as f64) {
                bands[b].push(share);
            }
        }
        i = j;
    }
    (medians, bands)
}

fn row(
    target: &str,
    range: Option<(f64, f64)>,
    source: &str,
    unit: Unit,
    values: &[f64],
) -> CalibrationRow {
    let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let ci = mean_ci(&values);
    let (ci_low, ci_high) = (ci.and_then(|c| c.low), ci.and_then(|c| c.high));
    let verdict = match (range, ci_low, ci_high) {
        (Some((low, high)), Some(a), Some(b)) if a >= low && b <= high => "inside",
        (Some((low, high)), Some(a), Some(b)) if b < low || a > high => "outside",
        (Some(_), Some(_), Some(_)) => "straddles",
        _ => "",
    };
    CalibrationRow {
        target: target.to_string(),
        low: range.map(|r| r.0),
        high: range.map(|r| r.1),
        source: source.to_string(),
        unit,
        mean: ci.map(|c| c.mean),
        ci_low,
        ci_high,
        replications: values.len() as u32,
        verdict: verdict.to_string(),
    }
}

/// The calibration table from the three runs' rows (each in replication order, with the
/// same replications).
pub fn calibration_rows(market: &Rows, placebo: &Rows, capped: &Rows) -> Vec<CalibrationRow> {
    let m = per_replication(&market.market_monthly);
    let c = per_replication(&capped.market_monthly);
    let paired: Vec<f64> = c
        .iter()
        .zip(&m)
        .filter_map(|(capped, base)| {
            let with = ratio(capped.capped_proposals as f64, capped.capped_posts as f64)?;
            let without = ratio(base.capped_proposals as f64, base.capped_posts as f64)?;
            ratio(with, without).map(|r| r - 1.0)
        })
        .collect();
    let p = per_replication(&placebo.market_monthly);
    let mut out = target_rows((&market.post_proposals, &market.agent_spend), &m, &p, &c);
    // Beside the targets: the paired cap estimate and the proposals-per-post bands.
    out.push(row(
        "application cap: capped posts vs the same posts uncapped (paired)",
        None,
        "common random numbers: the market run's capped arm",
        Unit::Change,
        &paired,
    ));
    out.extend(band_rows(&market.post_proposals));
    out
}

/// The calibration table of one run alone (the report of a run): the market targets from
/// it, and the experiments' targets from its own placebo posts and capped posts, which
/// have values only when its scenario has them (`connectsim calibrate` runs both).
pub fn run_calibration_rows(run: &RunData) -> Vec<CalibrationRow> {
    let m = per_replication(&run.market_monthly);
    let mut out = target_rows((&run.post_proposals, &run.agent_spend), &m, &m, &m);
    out.extend(band_rows(&run.post_proposals));
    out
}

/// The rows of [`TARGETS`]: the market's from the market run's (proposals-per-post and
/// spending rows) and its per-replication sums `m`, the boost lift from the placebo run's
/// sums `p`, the cap's from the capped run's `c`.
fn target_rows(
    (post_proposals, agent_spend): (&[PostProposalsRow], &[AgentSpendRow]),
    m: &[MarketMonthRow],
    p: &[MarketMonthRow],
    c: &[MarketMonthRow],
) -> Vec<CalibrationRow> {
    let (medians, _) = post_distribution(post_proposals);
    let spend: Vec<f64> = agent_spend
        .iter()
        .filter(|r| r.strategy == ALL_AGENTS)
        .filter_map(|r| r.p50)
        .collect();
    let values: [Vec<f64>; 7] = [
        m.iter()
            .filter_map(|s| ratio(s.interviews as f64, s.proposals as f64))
            .collect(),
        m.iter()
            .filter_map(|s| ratio(s.jobs_hired as f64, s.jobs_resolved() as f64))
            .collect(),
        medians,
        spend,
        p.iter().filter_map(boost_lift).collect(),
        c.iter().filter_map(cap_effect_on_proposals).collect(),
        c.iter().filter_map(cap_effect_on_hire_share).collect(),
    ];
    TARGETS
        .iter()
        .zip(&values)
        .map(|(t, v)| row(t.name, Some((t.low, t.high)), t.source, t.unit, v))
        .collect()
}

/// The share of resolved posts in each of the marketplace's bands of proposals per post.
fn band_rows(post_proposals: &[PostProposalsRow]) -> Vec<CalibrationRow> {
    let (_, bands) = post_distribution(post_proposals);
    BANDS
        .iter()
        .zip(&bands)
        .map(|(&(low, high), shares)| {
            let band = match high {
                Some(h) => format!("[{low}, {h})"),
                None => format!("[{low}, ∞)"),
            };
            row(
                &format!("share of resolved posts with {band} proposals"),
                None,
                TARGETS[2].source,
                Unit::Share,
                shares,
            )
        })
        .collect()
}

/// A row's range as it reads (`10.0% to 15.0%`), or `-` without one.
pub fn range_text(row: &CalibrationRow) -> String {
    match (row.low, row.high) {
        (Some(low), Some(high)) => format!(
            "{} to {}",
            format_value(row.unit, low),
            format_value(row.unit, high)
        ),
        _ => "-".to_string(),
    }
}

/// A row's 95% interval as it reads (`[12.4%, 12.8%]`, clipped to what the quantity can
/// be), or `-` without one.
pub fn interval_text(row: &CalibrationRow) -> String {
    format_interval(row.unit, row.ci_low, row.ci_high).unwrap_or_else(|| "-".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_the_bands_come_from_the_histogram() {
        let rows = Rows {
            post_proposals: [(0, 0, 2), (0, 7, 3), (0, 60, 5), (1, 12, 1)]
                .iter()
                .map(|&(replication, proposals, posts)| PostProposalsRow {
                    replication,
                    proposals,
                    posts,
                })
                .collect(),
            ..Rows::default()
        };
        let (medians, bands) = post_distribution(&rows.post_proposals);
        // Replication 0: 10 posts, the 5th at 7 proposals; replication 1: one post at 12.
        assert_eq!(medians, vec![7.0, 12.0]);
        assert_eq!(bands[0], vec![0.2, 0.0]);
        assert_eq!(bands[1], vec![0.3, 0.0]);
        assert_eq!(bands[2], vec![0.0, 1.0]);
        assert_eq!(bands[5], vec![0.5, 0.0]);
    }

    #[test]
    fn verdicts_compare_the_whole_interval_with_the_range() {
        let r = |v: &[f64]| row("t", Some((0.1, 0.2)), "s", Unit::Share, v).verdict;
        assert_eq!(r(&[0.14, 0.15, 0.16]), "inside");
        assert_eq!(r(&[0.30, 0.31, 0.32]), "outside");
        assert_eq!(r(&[0.05, 0.2, 0.35]), "straddles");
        assert_eq!(r(&[0.15]), "", "no interval from one replication");
        assert_eq!(row("t", None, "s", Unit::Share, &[1.0, 2.0]).verdict, "");
    }

    #[test]
    fn the_experiments_share_the_world_and_differ_in_one_rule() {
        let s = crate::scenario::Scenario::load("default").unwrap();
        let [(_, market), (_, placebo), (_, capped)] = experiment_files(&s.file);
        assert_eq!(market.boost.placebo_share, 0.0);
        assert!(!market.jobs.enforce_caps);
        assert_eq!(market.jobs.cap_share, s.file.calibration.cap_share);
        assert_eq!(
            placebo.boost.placebo_share,
            s.file.calibration.placebo_share
        );
        assert!(!placebo.jobs.enforce_caps);
        assert!(capped.jobs.enforce_caps);
        assert_eq!(capped.jobs.max_applicants, Some(50));
    }
}
