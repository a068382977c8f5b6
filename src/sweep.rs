//! A sweep's files: its points' rows side by side, and each point against the baseline
//! point.
//!
//! A sweep directory holds every point as a run directory of its own (`points/p0000/`, …,
//! which `plot` and `compare` read like any run) and, at its top, the files that put the
//! points together: each per-replication file and each summary with a `point` column and a
//! column per swept parameter in front ([`with_point_columns`]), and the paired differences
//! of every point from the baseline point, replication by replication
//! ([`paired_differences`]): the points share their replications' streams, so the
//! differences are paired.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::results::{
    METRICS, MarketMonthRow, MarketSummaryRow, StrategyMonthRow, SummaryRow, market_metrics,
    strategy_totals,
};
use crate::scenario::SweepValue;
use crate::stats::mean_ci;

/// The sweep's files at the top of its directory.
pub mod files {
    /// The design: a header of parameter paths and a row a point (a `csv` design reads it
    /// back).
    pub const DESIGN: &str = "design.csv";
    /// Every point's `summary.csv`, side by side.
    pub const SUMMARY: &str = "sweep_summary.csv";
    /// Every point's `market_summary.csv`, side by side.
    pub const MARKET_SUMMARY: &str = "sweep_market_summary.csv";
    /// Each point's strategy metrics minus the baseline point's, paired by replication.
    pub const PAIRED: &str = "sweep_paired.csv";
    /// Each point's market metrics minus the baseline point's, paired by replication.
    pub const MARKET_PAIRED: &str = "sweep_market_paired.csv";
    /// Where each point's run directory is.
    pub const POINTS_DIR: &str = "points";
}

/// The directory of point `point`, relative to the sweep's.
pub fn point_dir(point: u32) -> String {
    format!("{}/p{point:04}", files::POINTS_DIR)
}

/// What `manifest.json` says of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepInfo {
    /// The swept parameters' paths, in the order of the columns.
    pub parameters: Vec<String>,
    /// The point that the paired differences are taken against.
    pub baseline_point: u32,
    pub points: Vec<PointInfo>,
}

/// A point of a sweep, as `manifest.json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointInfo {
    pub point: u32,
    /// The parameters' values, in the order of [`SweepInfo::parameters`].
    pub values: Vec<SweepValue>,
    /// Its run directory, relative to the sweep's.
    pub dir: String,
}

/// The CSV `per_point` (each point's file, with its header) as one file: a `point` column
/// and a column per parameter in front, the points in order. The headers must agree.
pub fn with_point_columns(
    parameters: &[String],
    per_point: &[(&PointInfo, &[u8])],
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header_written = false;
    for (point, bytes) in per_point {
        let mut reader = csv::Reader::from_reader(*bytes);
        if !header_written {
            let mut header = vec!["point".to_string()];
            header.extend(parameters.iter().cloned());
            header.extend(reader.headers()?.iter().map(str::to_string));
            w.write_record(&header)?;
            header_written = true;
        }
        let prefix: Vec<String> = std::iter::once(point.point.to_string())
            .chain(point.values.iter().map(ToString::to_string))
            .collect();
        for record in reader.records() {
            let record = record?;
            w.write_record(prefix.iter().map(String::as_str).chain(record.iter()))?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A row of `sweep_paired.csv` (with the point columns in front): a metric of a point
/// minus the baseline point's, across the replications where both are defined.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PairedRow {
    /// The strategy (empty in `sweep_market_paired.csv`).
    pub strategy: String,
    pub metric: String,
    pub baseline_point: u32,
    pub mean: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub replications: u32,
}

/// Each strategy's metrics at a point minus the baseline point's, replication by
/// replication (the same replication of both points sees the same streams), with the mean
/// and 95% interval of the differences; then the market's metrics likewise. Every metric
/// of `summary.csv` and `market_summary.csv` is there.
pub fn paired_differences(
    point: (&[StrategyMonthRow], &[MarketMonthRow]),
    baseline: (&[StrategyMonthRow], &[MarketMonthRow]),
    baseline_point: u32,
    price_usd: (f64, f64),
) -> (Vec<PairedRow>, Vec<PairedRow>) {
    let row = |strategy: &str, metric: &str, differences: &[f64]| {
        let ci = mean_ci(differences);
        PairedRow {
            strategy: strategy.to_string(),
            metric: metric.to_string(),
            baseline_point,
            mean: ci.map(|c| c.mean),
            ci_low: ci.and_then(|c| c.low),
            ci_high: ci.and_then(|c| c.high),
            replications: differences.len() as u32,
        }
    };
    let ours = strategy_totals(point.0);
    let theirs = strategy_totals(baseline.0);
    let mut names: Vec<&str> = ours.keys().map(|(_, n)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut strategies = Vec::new();
    for name in names {
        for (metric, f) in METRICS {
            let differences: Vec<f64> = ours
                .iter()
                .filter(|((_, n), _)| n == name)
                .filter_map(|(key, t)| Some(f(t, price_usd.0)? - f(theirs.get(key)?, price_usd.1)?))
                .filter(|d| d.is_finite())
                .collect();
            strategies.push(row(name, metric, &differences));
        }
    }
    let ours = market_metrics(point.1);
    let theirs = market_metrics(baseline.1);
    let mut by_metric: BTreeMap<usize, (&str, Vec<f64>)> = BTreeMap::new();
    for (replication, metrics) in &ours {
        let Some(base) = theirs.get(replication) else {
            continue;
        };
        for (i, ((name, value), (_, base))) in metrics.iter().zip(base).enumerate() {
            let entry = by_metric.entry(i).or_insert((name, Vec::new()));
            if let (Some(v), Some(b)) = (value, base)
                && (v - b).is_finite()
            {
                entry.1.push(v - b);
            }
        }
    }
    let market = by_metric
        .values()
        .map(|(name, differences)| row("", name, differences))
        .collect();
    (strategies, market)
}

/// A sweep as its charts and report read it: per point, its summaries and its paired
/// differences from the baseline point.
#[derive(Debug, Clone)]
pub struct SweepData {
    /// The scenario's name.
    pub name: String,
    pub info: SweepInfo,
    /// Replications of every point.
    pub replications: u32,
    /// In point order.
    pub points: Vec<PointData>,
}

/// One point's numbers ([`SweepData`]).
#[derive(Debug, Clone, Default)]
pub struct PointData {
    pub summary: Vec<SummaryRow>,
    pub market: Vec<MarketSummaryRow>,
    pub paired: Vec<PairedRow>,
    pub market_paired: Vec<PairedRow>,
}

impl SweepData {
    /// The value of a strategy's `metric` at each point (mean, 95% interval).
    pub fn strategy_metric(&self, strategy: &str, metric: &str) -> Vec<Option<&SummaryRow>> {
        self.points
            .iter()
            .map(|p| {
                p.summary
                    .iter()
                    .find(|r| r.strategy == strategy && r.metric == metric)
            })
            .collect()
    }

    /// The market's `metric` at each point.
    pub fn market_metric(&self, metric: &str) -> Vec<Option<&MarketSummaryRow>> {
        self.points
            .iter()
            .map(|p| p.market.iter().find(|r| r.metric == metric))
            .collect()
    }

    /// The strategies, by name.
    pub fn strategies(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .points
            .iter()
            .flat_map(|p| p.summary.iter().map(|r| r.strategy.clone()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The parameters whose value changes across the points (indices into
    /// `info.parameters`).
    pub fn varying(&self) -> Vec<usize> {
        (0..self.info.parameters.len())
            .filter(|&k| {
                let first = self.info.points.first().map(|p| &p.values[k]);
                self.info.points.iter().any(|p| Some(&p.values[k]) != first)
            })
            .collect()
    }

    /// A point's values as `path = value`, joined.
    pub fn point_label(&self, point: usize) -> String {
        let values = &self.info.points[point].values;
        self.info
            .parameters
            .iter()
            .zip(values)
            .map(|(p, v)| format!("{p} = {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(p: u32, values: Vec<SweepValue>) -> PointInfo {
        PointInfo {
            point: p,
            values,
            dir: point_dir(p),
        }
    }

    #[test]
    fn point_columns_go_in_front_of_every_row() {
        let a = point(
            0,
            vec![SweepValue::Float(0.15), SweepValue::Text("first".into())],
        );
        let b = point(
            1,
            vec![SweepValue::Float(0.3), SweepValue::Text("a,b".into())],
        );
        let parameters = vec![
            "connects.price_usd".to_string(),
            "boost.pricing".to_string(),
        ];
        let bytes = with_point_columns(
            &parameters,
            &[
                (&a, b"replication,x\n0,1\n1,2\n"),
                (&b, b"replication,x\n0,3\n"),
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "point,connects.price_usd,boost.pricing,replication,x\n\
             0,0.15,first,0,1\n0,0.15,first,1,2\n1,0.3,\"a,b\",0,3\n"
        );
    }

    #[test]
    fn a_point_against_itself_differs_by_nothing() {
        let rows: Vec<StrategyMonthRow> = (0..3)
            .map(|r| StrategyMonthRow {
                replication: r,
                strategy: "spray".into(),
                agents: 10,
                proposals: 5,
                hires: 1,
                connects_spent: 20 + u64::from(r),
                usd_earned: 100.0 * f64::from(r + 1),
                ..StrategyMonthRow::default()
            })
            .collect();
        let (strategies, _) = paired_differences((&rows, &[]), (&rows, &[]), 0, (0.15, 0.15));
        let roi = strategies.iter().find(|r| r.metric == "roi").unwrap();
        assert_eq!(roi.mean, Some(0.0));
        assert_eq!(roi.replications, 3);
        assert_eq!((roi.ci_low, roi.ci_high), (Some(0.0), Some(0.0)));
    }
}
