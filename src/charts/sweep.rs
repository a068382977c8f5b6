//! The charts of a sweep, drawn from its points' summaries ([`SweepData`]):
//!
//! - one varying parameter: each strategy's ROI and cost per hire against it, and the
//!   market's proposals per post, hire share and platform revenue (all, and Connects
//!   alone), with 95% bands
//!   (`sweep_roi`, `sweep_cost_per_hire`, `sweep_market`); a text parameter sits at evenly
//!   spaced places, in the design's order;
//! - two varying parameters that make a full grid: a heat map per strategy of its ROI, on
//!   one colour scale, the value written in each cell (`sweep_heatmap`);
//! - any design: each point's paired ROI difference from the baseline point, per strategy,
//!   with its 95% interval (`sweep_paired`).

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{
    Axis, BandLine, LegendEntry, SIZE, SeriesStyle, Unit, Zero, panel, text_style, titled,
};
use super::lines::{BREAK_EVEN, Key, LinePanel, LinePanels, XAxis, grid_columns};
use super::paired::{Pair, PairedChart};
use super::{Chart, ChartError, DrawError, save_chart};
use crate::present::{self, ROI_BRIEF, format_value};
use crate::stats::MeanCi;
use crate::sweep::SweepData;

/// The stems of a sweep's chart files, each drawn where the design allows it.
pub const SWEEP_CHARTS: [&str; 5] = [
    "sweep_roi",
    "sweep_cost_per_hire",
    "sweep_market",
    "sweep_heatmap",
    "sweep_paired",
];

/// The most points the paired chart draws (one dot a point and strategy).
const MAX_PAIRED_POINTS: usize = 16;

/// Draws the charts the sweep's design allows into `out_dir`, and returns the paths.
pub fn draw_sweep(data: &SweepData, out_dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
    let mut written = Vec::new();
    let varying = data.varying();
    if let [k] = varying.as_slice() {
        let x = parameter_axis(data, *k);
        written.extend(save_chart(
            &strategy_lines(data, &x, "roi"),
            out_dir,
            "sweep_roi",
        )?);
        written.extend(save_chart(
            &strategy_lines(data, &x, "cost_per_hire_usd"),
            out_dir,
            "sweep_cost_per_hire",
        )?);
        written.extend(save_chart(
            &market_lines(data, &x),
            out_dir,
            "sweep_market",
        )?);
    }
    if let [a, b] = varying.as_slice()
        && let Some(grid) = Grid::of(data, *a, *b)
    {
        written.extend(save_chart(
            &heat_maps(data, &grid),
            out_dir,
            "sweep_heatmap",
        )?);
    }
    if data.points.len() > 1 && data.points.len() <= MAX_PAIRED_POINTS {
        written.extend(save_chart(&paired(data), out_dir, "sweep_paired")?);
    }
    Ok(written)
}

/// Where each point sits on the x axis of parameter `k`: at its value when every value
/// is a number, else at the place of its value among the distinct values, in design order.
struct ParameterAxis {
    axis: XAxis,
    x: Vec<f64>,
}

fn parameter_axis(data: &SweepData, k: usize) -> ParameterAxis {
    let values: Vec<_> = data.info.points.iter().map(|p| &p.values[k]).collect();
    let desc = data.info.parameters[k].clone();
    let numbers: Option<Vec<f64>> = values.iter().map(|v| v.as_f64()).collect();
    match numbers {
        Some(x) => {
            let (lo, hi) = x
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            let pad = ((hi - lo) * 0.05).max(hi.abs().max(1e-9) * 1e-3);
            ParameterAxis {
                axis: XAxis::Parameter {
                    desc,
                    range: lo - pad..hi + pad,
                    labels: Vec::new(),
                },
                x,
            }
        }
        None => {
            let mut labels: Vec<String> = Vec::new();
            let x = values
                .iter()
                .map(|v| {
                    let text = v.to_string();
                    let i = labels.iter().position(|l| *l == text).unwrap_or_else(|| {
                        labels.push(text);
                        labels.len() - 1
                    });
                    i as f64
                })
                .collect();
            ParameterAxis {
                axis: XAxis::Parameter {
                    desc,
                    range: -0.5..labels.len() as f64 - 0.5,
                    labels,
                },
                x,
            }
        }
    }
}

/// A point's value of a metric: mean, interval (low, high) and replications.
type Estimate = (Option<f64>, Option<f64>, Option<f64>, u32);

/// (x, mean and interval) of each point where the value is defined, by increasing x.
fn points(x: &[f64], values: &[Option<Estimate>]) -> Vec<(f64, MeanCi)> {
    let mut out: Vec<(f64, MeanCi)> = x
        .iter()
        .zip(values)
        .filter_map(|(&x, v)| {
            let (mean, low, high, n) = (*v)?;
            Some((
                x,
                MeanCi {
                    mean: mean?,
                    low,
                    high,
                    n: n as usize,
                },
            ))
        })
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

fn strategy_lines(data: &SweepData, x: &ParameterAxis, metric: &str) -> LinePanels {
    let info = present::strategy_metric(metric);
    let label = info.map_or(metric, |m| m.label);
    let mut lines: Vec<(BandLine, LegendEntry)> = data
        .strategies()
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<_> = data
                .strategy_metric(name, metric)
                .iter()
                .map(|r| r.map(|r| (r.mean, r.ci_low, r.ci_high, r.replications)))
                .collect();
            let style = SeriesStyle::nth(i);
            (
                BandLine {
                    style,
                    points: points(&x.x, &values),
                },
                LegendEntry {
                    label: name.clone(),
                    style,
                },
            )
        })
        .filter(|(l, _)| !l.points.is_empty())
        .collect();
    let end = |l: &BandLine| l.points.last().map_or(f64::NEG_INFINITY, |(_, c)| c.mean);
    lines.sort_by(|(a, _), (b, _)| end(b).total_cmp(&end(a)));
    let (lines, entries): (Vec<BandLine>, Vec<LegendEntry>) = lines.into_iter().unzip();
    let roi = metric == "roi";
    LinePanels {
        title: format!("{}: {} by {}", data.name, label, axis_desc(&x.axis)),
        subtitle: format!(
            "{}Each point: the mean across its {} replications (the same streams at every \
             point); shaded: its 95% interval.\nLines named at their right ends, highest first",
            if roi {
                format!("{ROI_BRIEF}.\n")
            } else {
                String::new()
            },
            data.replications
        ),
        x: x.axis.clone(),
        panels: vec![LinePanel {
            caption: None,
            y_desc: if roi {
                "ROI over the whole run (%)".to_string()
            } else {
                format!("{label} (USD)")
            },
            unit: if roi { Unit::Percent } else { Unit::Number },
            zero_line: roi.then(|| BREAK_EVEN.to_string()),
            zero: Zero::Include,
            lines,
        }],
        columns: 1,
        key: Key::Ends(entries),
        size: SIZE,
    }
}

fn axis_desc(axis: &XAxis) -> &str {
    match axis {
        XAxis::Parameter { desc, .. } => desc,
        XAxis::Months(_) => "month",
    }
}

/// The market's outcomes against the parameter.
const MARKET: [(&str, &str, Unit); 4] = [
    ("proposals_per_post", "proposals per post", Unit::Number),
    (
        "hire_share_of_posts",
        "posts ending in a hire (%)",
        Unit::Percent,
    ),
    (
        "platform_usd_per_month",
        "USD per month (Connects + plans)",
        Unit::Number,
    ),
    (
        "platform_connects_usd_per_month",
        "USD per month (Connects alone)",
        Unit::Number,
    ),
];

fn market_lines(data: &SweepData, x: &ParameterAxis) -> LinePanels {
    let panels = MARKET
        .iter()
        .map(|&(metric, y_desc, unit)| {
            let values: Vec<_> = data
                .market_metric(metric)
                .iter()
                .map(|r| r.map(|r| (r.mean, r.ci_low, r.ci_high, r.replications)))
                .collect();
            LinePanel {
                caption: Some(
                    present::market_metric(metric)
                        .map_or(metric, |m| m.label)
                        .to_string(),
                ),
                y_desc: y_desc.to_string(),
                unit,
                zero_line: None,
                zero: Zero::Include,
                lines: vec![BandLine {
                    style: SeriesStyle::nth(0),
                    points: points(&x.x, &values),
                }],
            }
        })
        .collect();
    LinePanels {
        title: format!("{}: the market by {}", data.name, axis_desc(&x.axis)),
        subtitle: format!(
            "each point: the mean across its {} replications, shaded: the 95% interval",
            data.replications
        ),
        x: x.axis.clone(),
        panels,
        columns: 2,
        key: Key::None,
        size: SIZE,
    }
}

/// Two parameters whose points make a full grid: the distinct values of each, in design
/// order, and the point at each (column, row).
struct Grid {
    columns: (String, Vec<String>),
    rows: (String, Vec<String>),
    /// `cell[row][column]`: the point there.
    cell: Vec<Vec<usize>>,
}

impl Grid {
    fn of(data: &SweepData, a: usize, b: usize) -> Option<Grid> {
        let distinct = |k: usize| {
            let mut seen: Vec<String> = Vec::new();
            for p in &data.info.points {
                let v = p.values[k].to_string();
                if !seen.contains(&v) {
                    seen.push(v);
                }
            }
            seen
        };
        let (xs, ys) = (distinct(a), distinct(b));
        if xs.len() * ys.len() != data.info.points.len() {
            return None;
        }
        let mut cell = vec![vec![usize::MAX; xs.len()]; ys.len()];
        for (i, p) in data.info.points.iter().enumerate() {
            let x = xs.iter().position(|v| *v == p.values[a].to_string())?;
            let y = ys.iter().position(|v| *v == p.values[b].to_string())?;
            if cell[y][x] != usize::MAX {
                return None;
            }
            cell[y][x] = i;
        }
        Some(Grid {
            columns: (data.info.parameters[a].clone(), xs),
            rows: (data.info.parameters[b].clone(), ys),
            cell,
        })
    }
}

/// Heat maps of ROI, a panel per strategy, on one colour scale.
pub(crate) struct HeatMaps {
    title: String,
    subtitle: String,
    columns: (String, Vec<String>),
    rows: (String, Vec<String>),
    /// (strategy, `value[row][column]`).
    panels: Vec<(String, Vec<Vec<Option<f64>>>)>,
    range: (f64, f64),
}

fn heat_maps(data: &SweepData, grid: &Grid) -> HeatMaps {
    let panels: Vec<(String, Vec<Vec<Option<f64>>>)> = data
        .strategies()
        .into_iter()
        .map(|name| {
            let roi = data.strategy_metric(&name, "roi");
            let values = grid
                .cell
                .iter()
                .map(|row| row.iter().map(|&p| roi[p].and_then(|r| r.mean)).collect())
                .collect();
            (name, values)
        })
        .collect();
    let all = panels
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().flatten().copied());
    let range = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    HeatMaps {
        title: format!(
            "{}: ROI by {} and {}",
            data.name, grid.columns.0, grid.rows.0
        ),
        subtitle: format!(
            "{ROI_BRIEF}.\nEach cell: the mean ROI across {} replications, written in it; one \
             colour scale for every panel, from {} (light) to {} (dark)",
            data.replications,
            format_value(present::Unit::Roi, range.0),
            format_value(present::Unit::Roi, range.1)
        ),
        columns: grid.columns.clone(),
        rows: grid.rows.clone(),
        panels,
        range,
    }
}

/// The colour of `value` on the scale `range`: from a pale to a deep blue.
fn shade(value: f64, (lo, hi): (f64, f64)) -> RGBColor {
    let t = if hi > lo {
        ((value - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(222.0, 8.0), mix(235.0, 48.0), mix(247.0, 107.0))
}

impl Chart for HeatMaps {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        let n = self.panels.len().max(1);
        let columns = grid_columns(n);
        let rows = n.div_ceil(columns);
        let cells = area.split_evenly((rows, columns));
        for (k, ((name, values), cell)) in self.panels.iter().zip(cells).enumerate() {
            let lowest = k + columns >= n;
            let first = k % columns == 0;
            let described =
                |yes: bool, desc: &String| if yes { desc.clone() } else { String::new() };
            let x = Axis::categories(self.columns.1.clone(), described(lowest, &self.columns.0));
            let y = Axis::categories(self.rows.1.clone(), described(first, &self.rows.0));
            let mut chart = panel(&cell, Some(name), &x, &y)?;
            for (r, row) in values.iter().enumerate() {
                for (c, value) in row.iter().enumerate() {
                    let (cx, cy) = (c as f64, r as f64);
                    let corners = [(cx - 0.5, cy - 0.5), (cx + 0.5, cy + 0.5)];
                    let Some(v) = value else {
                        chart.draw_series(std::iter::once(Rectangle::new(
                            corners,
                            RGBColor(240, 240, 240).filled(),
                        )))?;
                        continue;
                    };
                    let fill = shade(*v, self.range);
                    chart.draw_series(std::iter::once(Rectangle::new(corners, fill.filled())))?;
                    let dark = (fill.0 as u32 + fill.1 as u32 + fill.2 as u32) < 3 * 128;
                    let ink = if dark { WHITE } else { BLACK };
                    let style = text_style(20)
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series(std::iter::once(Text::new(
                        format_value(present::Unit::Roi, *v),
                        (cx, cy),
                        style,
                    )))?;
                }
            }
        }
        Ok(())
    }
}

/// Each point's paired ROI difference from the baseline point, per strategy.
fn paired(data: &SweepData) -> PairedChart {
    let strategies = data.strategies();
    let baseline = data.info.baseline_point as usize;
    let pairs = data
        .points
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != baseline)
        .map(|(i, point)| Pair {
            label: format!("point {i} ({}) − point {baseline}", data.point_label(i)),
            differences: strategies
                .iter()
                .map(|s| {
                    let row = point
                        .paired
                        .iter()
                        .find(|r| r.strategy == *s && r.metric == "roi")?;
                    Some((row.mean?, row.ci_low.zip(row.ci_high)))
                })
                .collect(),
        })
        .collect();
    PairedChart {
        title: format!(
            "{}: ROI of each point minus the baseline point's ({})",
            data.name,
            data.point_label(baseline)
        ),
        subtitle: format!(
            "{ROI_BRIEF}.\nPaired: replication k of every point sees the same streams; the \
             difference is taken per replication, then averaged over {}.\nDot: the mean \
             difference, whisker: its 95% interval; where a whisker clears 0 the points differ",
            data.replications
        ),
        x_desc: "ROI difference (percentage points)".to_string(),
        unit: Unit::Points,
        strategies,
        pairs,
        none: "one point only: nothing to compare".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SweepValue;
    use crate::sweep::{PointData, PointInfo, SweepInfo, point_dir};

    fn data(values: &[(f64, &str)]) -> SweepData {
        SweepData {
            name: "s".into(),
            info: SweepInfo {
                parameters: vec!["a".into(), "b".into()],
                baseline_point: 0,
                points: values
                    .iter()
                    .enumerate()
                    .map(|(i, (a, b))| PointInfo {
                        point: i as u32,
                        values: vec![SweepValue::Float(*a), SweepValue::Text((*b).into())],
                        dir: point_dir(i as u32),
                    })
                    .collect(),
            },
            replications: 2,
            points: vec![PointData::default(); values.len()],
        }
    }

    #[test]
    fn a_parameter_varies_only_where_its_values_differ() {
        let one = data(&[(0.1, "x"), (0.2, "x"), (0.3, "x")]);
        assert_eq!(one.varying(), [0]);
        let axis = parameter_axis(&one, 0);
        assert_eq!(axis.x, [0.1, 0.2, 0.3]);
        let text = parameter_axis(&data(&[(0.1, "x"), (0.1, "y"), (0.1, "x")]), 1);
        assert_eq!(text.x, [0.0, 1.0, 0.0]);
    }

    #[test]
    fn two_parameters_make_a_grid_only_when_every_combination_is_there_once() {
        let full = data(&[(0.1, "x"), (0.1, "y"), (0.2, "x"), (0.2, "y")]);
        let grid = Grid::of(&full, 0, 1).expect("a grid");
        assert_eq!(grid.cell, [[0, 2], [1, 3]]);
        assert!(Grid::of(&data(&[(0.1, "x"), (0.2, "y"), (0.3, "x")]), 0, 1).is_none());
        assert!(
            Grid::of(
                &data(&[(0.1, "x"), (0.1, "x"), (0.2, "y"), (0.2, "y")]),
                0,
                1
            )
            .is_none()
        );
    }

    #[test]
    fn the_colour_scale_runs_from_pale_to_deep() {
        assert_eq!(shade(0.0, (0.0, 1.0)), RGBColor(222, 235, 247));
        assert_eq!(shade(1.0, (0.0, 1.0)), RGBColor(8, 48, 107));
        assert_eq!(shade(5.0, (0.0, 1.0)), shade(1.0, (0.0, 1.0)));
    }
}
