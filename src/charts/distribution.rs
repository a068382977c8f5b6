//! `roi_distribution`: the spread of per-agent ROI over the whole run, one box per
//! strategy, so a strategy's mean is never the only number a reader sees.
//!
//! Each box is drawn from `agent_roi_quantiles.csv`: every quantile (5th, 25th, 50th,
//! 75th, 95th percentile) and the mean are averaged across replications. Per-agent ROI is
//! heavy-tailed (most agents near −100%, a few at +1000% or more), so the ROI axis is on
//! an asinh scale: linear near 0, logarithmic in the tails, with ticks at round percents.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{Axis, SIZE, SeriesStyle, panel, reference_line, row_half, titled};
use super::series::replication_count;
use super::{Chart, DrawError};
use crate::present::ROI_BRIEF;
use crate::results::{AgentRoiRow, RunData};
use crate::stats::mean_ci;

/// Half the height of a box, in rows (at most 55 px).
const BOX_HALF: f64 = 0.3;
/// Candidate ticks, as ROI ratios (−1 = −100%).
const TICKS: [f64; 18] = [
    -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4,
    1e5,
];

/// The asinh scale: ROI ratio → axis position.
fn scale(roi: f64) -> f64 {
    roi.asinh()
}

/// Axis position → ROI ratio.
fn unscale(x: f64) -> f64 {
    x.sinh()
}

/// One strategy's box: quantiles and mean averaged across replications.
struct BoxRow {
    label: String,
    style: SeriesStyle,
    /// 5th, 25th, 50th, 75th, 95th percentiles; none if no replication has them.
    quantiles: Option<[f64; 5]>,
    mean: Option<f64>,
}

/// The `roi_distribution` chart, ready to draw.
pub(crate) struct RoiDistributionChart {
    title: String,
    subtitle: String,
    rows: Vec<BoxRow>,
}

impl RoiDistributionChart {
    /// Averages each strategy's per-agent ROI quantiles across replications.
    pub fn new(data: &RunData, strategies: &[String]) -> Self {
        let rows = strategies
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let reps: Vec<&AgentRoiRow> = data
                    .agent_roi
                    .iter()
                    .filter(|r| &r.strategy == name)
                    .collect();
                let average = |f: fn(&AgentRoiRow) -> Option<f64>| {
                    let values: Vec<f64> = reps
                        .iter()
                        .filter_map(|r| f(r))
                        .filter(|v| v.is_finite())
                        .collect();
                    mean_ci(&values).map(|c| c.mean)
                };
                let quantiles = [
                    average(|r| r.p05),
                    average(|r| r.p25),
                    average(|r| r.p50),
                    average(|r| r.p75),
                    average(|r| r.p95),
                ];
                let with_cost = average(|r| Some(f64::from(r.agents_with_cost)));
                let positive = average(|r| r.share_positive);
                let label = match (with_cost, positive) {
                    (Some(n), Some(share)) => {
                        format!("{name} (n = {n:.0}, {:.0}% > 0)", share * 100.0)
                    }
                    (Some(n), None) => format!("{name} (n = {n:.0})"),
                    _ => format!("{name} (no agent with a cost)"),
                };
                BoxRow {
                    label,
                    style: SeriesStyle::nth(i),
                    quantiles: quantiles
                        .iter()
                        .all(Option::is_some)
                        .then(|| quantiles.map(|q| q.unwrap_or_default())),
                    mean: average(|r| r.mean),
                }
            })
            .collect();
        let reps = replication_count(data);
        RoiDistributionChart {
            title: format!("{}: per-agent ROI over the whole run", data.scenario),
            subtitle: format!(
                "agents with a cost; n: agents per replication, > 0: share with a gain; each \
                 statistic averaged over {reps} replications\nbox: 25th–75th percentile; \
                 whiskers: 5th–95th; black line: median; white dot: mean; ROI axis on an asinh \
                 scale (linear near 0, logarithmic beyond ±100%)\n{ROI_BRIEF}"
            ),
            rows,
        }
    }

    /// The ROI axis over every drawn value, on the asinh scale, with round ticks spaced
    /// at least a twelfth of the axis apart, none beyond the values on the right.
    fn roi_axis(&self) -> Axis<'static> {
        let values = self.rows.iter().flat_map(|r| {
            let q = r.quantiles.iter().flatten();
            q.copied().chain(r.mean).chain([0.0])
        });
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(scale(v)), hi.max(scale(v)))
        });
        let (lo, hi) = if hi - lo > 1e-9 {
            (lo, hi)
        } else {
            (scale(-1.0), scale(1.0))
        };
        let pad = (hi - lo) * 0.05;
        let range = lo - pad..hi + pad;
        let mut ticks: Vec<f64> = Vec::new();
        for x in TICKS.map(scale) {
            let far = ticks.last().is_none_or(|&t| x - t >= (hi - lo) / 12.0);
            // Ticks in the padding would have their labels cut at the canvas' edge.
            if (lo - pad / 2.0..=hi).contains(&x) && far {
                ticks.push(x);
            }
        }
        Axis {
            range,
            ticks,
            desc: "per-agent ROI over the run (%, asinh scale)".to_string(),
            label: Box::new(|x: f64| {
                let percent = (unscale(x) * 100.0).round();
                if percent > 0.0 {
                    format!("+{percent:.0}%")
                } else {
                    format!("{:.0}%", percent + 0.0)
                }
            }),
        }
    }
}

impl Chart for RoiDistributionChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        let x = self.roi_axis();
        let y = Axis::rows(self.rows.iter().map(|r| r.label.clone()).collect());
        let mut chart = panel(&area, None, &x, &y)?;
        reference_line(&mut chart, (0.0, y.range.start), (0.0, y.range.end))?;
        let n = self.rows.len();
        let half = row_half(&chart, n, BOX_HALF, 55.0);
        for (i, row) in self.rows.iter().enumerate() {
            let y = Axis::row_y(i, n);
            if let Some(q) = row.quantiles {
                let [p05, p25, p50, p75, p95] = q.map(scale);
                let whisker = BLACK.stroke_width(2);
                let cap = half / 2.0;
                chart.draw_series([
                    PathElement::new(vec![(p05, y), (p25, y)], whisker),
                    PathElement::new(vec![(p75, y), (p95, y)], whisker),
                    PathElement::new(vec![(p05, y - cap), (p05, y + cap)], whisker),
                    PathElement::new(vec![(p95, y - cap), (p95, y + cap)], whisker),
                ])?;
                let corners = [(p25, y - half), (p75, y + half)];
                chart.draw_series([
                    Rectangle::new(corners, row.style.color.mix(0.45).filled()),
                    Rectangle::new(corners, row.style.color.stroke_width(3)),
                ])?;
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p50, y - half), (p50, y + half)],
                    BLACK.stroke_width(5),
                )))?;
            }
            if let Some(mean) = row.mean {
                let at = (scale(mean), y);
                chart.draw_series([
                    Circle::new(at, 10, WHITE.filled()),
                    Circle::new(at, 10, BLACK.stroke_width(3)),
                ])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_symmetric_and_invertible() {
        assert_eq!(scale(0.0), 0.0);
        assert!((scale(-1.0) + scale(1.0)).abs() < 1e-12);
        for roi in [-1.0, -0.2, 0.7, 15.0, 900.0] {
            assert!((unscale(scale(roi)) - roi).abs() < 1e-9 * roi.abs().max(1.0));
        }
    }
}
