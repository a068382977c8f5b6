//! Charts of lines by month with their 95% bands, in one or more panels: `roi`, `balance`
//! and `market` of a run, and the comparison of runs (built in `compare`).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

use super::layout::{
    Axis, BandLine, LegendEntry, SIZE, SeriesStyle, Unit, Zero, centered_note, draw_band_lines,
    draw_end_labels, end_label_column, panel, reference_label, reference_line, span, titled,
    with_legend,
};
use super::series::{by_month, mean_note, month_count, replication_count, strategy_monthly_series};
use super::{Chart, DrawError};
use crate::present::ROI_BRIEF;
use crate::results::{RunData, ratio};
use crate::stats::MeanCi;

/// The label of the ROI charts' zero line.
pub(crate) const BREAK_EVEN: &str = "break even: earned = Connects and plan spending";

/// One panel of lines by month.
#[derive(Debug, Clone)]
pub(crate) struct LinePanel {
    /// Text above the panel (none for a single-panel chart, whose title says it).
    pub caption: Option<String>,
    /// The y axis' description, with its unit.
    pub y_desc: String,
    pub unit: Unit,
    /// Draw a line at y = 0 where the range holds it (ROI: where gains cover costs),
    /// with this label written on it (none: no line; empty: no label).
    pub zero_line: Option<String>,
    /// Where 0 sits in the y range (inside it for counts and money).
    pub zero: Zero,
    pub lines: Vec<BandLine>,
}

impl LinePanel {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines.iter().flat_map(BandLine::values)
    }
}

/// How a chart of lines names its lines.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    /// Not at all (one line, or panels whose captions say what they show).
    None,
    /// A legend column on the right: its heading and entries.
    Legend(String, Vec<LegendEntry>),
    /// Each line of the first panel named at its end, right of the plot: one entry per
    /// line, in the lines' order.
    Ends(Vec<LegendEntry>),
}

/// What the x axis of a chart of lines counts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum XAxis {
    /// The months of a run, 0 to m − 1.
    Months(u32),
    /// A swept parameter: its description, and either its numeric range (`labels` empty)
    /// or the labels of its values, drawn at x = 0, 1, … in order.
    Parameter {
        desc: String,
        range: std::ops::Range<f64>,
        labels: Vec<String>,
    },
}

impl XAxis {
    /// The axis of a panel `width` pixels wide.
    fn axis(&self, width: u32) -> Axis<'static> {
        match self {
            XAxis::Months(months) => Axis::months(*months, width),
            XAxis::Parameter {
                desc,
                range,
                labels,
            } if labels.is_empty() => {
                let count = (width / 110).clamp(2, 8) as usize;
                Axis::linear_across(range.clone(), count, desc, Unit::Number)
            }
            XAxis::Parameter { desc, labels, .. } => Axis::categories(labels.clone(), desc.clone()),
        }
    }
}

/// A chart of [`LinePanel`]s in a grid, under one title, with one key on the right.
#[derive(Debug, Clone)]
pub(crate) struct LinePanels {
    pub title: String,
    pub subtitle: String,
    pub x: XAxis,
    pub panels: Vec<LinePanel>,
    /// Panels per row.
    pub columns: usize,
    pub key: Key,
    pub size: (u32, u32),
}

impl Chart for LinePanels {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        let (area, labels) = match &self.key {
            Key::None => (area, None),
            Key::Legend(heading, entries) => (with_legend(&area, heading, entries)?, None),
            Key::Ends(entries) => {
                let (plot, column) = end_label_column(&area, entries)?;
                (plot, Some((column, entries)))
            }
        };
        let columns = self.columns.max(1);
        let rows = self.panels.len().div_ceil(columns).max(1);
        let cells = area.split_evenly((rows, columns));
        for (k, (panel, cell)) in self.panels.iter().zip(cells).enumerate() {
            // "month" only under the lowest panel of each column.
            let lowest = k + columns >= self.panels.len();
            let ends = draw_line_panel(&cell, panel, &self.x, lowest)?;
            if let (0, Some((column, entries))) = (k, &labels) {
                draw_end_labels(column, entries, &ends)?;
            }
        }
        Ok(())
    }
}

/// Draws one panel on `area`: axes (`x_axis` on x, described if `x_desc`), the zero
/// line if asked, then the bands and lines. Returns where each line ends, in the
/// backend's pixels (none for a line without points).
pub(crate) fn draw_line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    line_panel: &LinePanel,
    x_axis: &XAxis,
    x_desc: bool,
) -> Result<Vec<Option<(i32, i32)>>, DrawError> {
    let range = span(line_panel.values(), line_panel.zero);
    let (width, height) = area.dim_in_pixel();
    let mut x = x_axis.axis(width);
    if !x_desc {
        x.desc.clear();
    }
    let y = Axis::linear(
        range,
        (height / 90).clamp(3, 10) as usize,
        &line_panel.y_desc,
        line_panel.unit,
    );
    let mut chart = panel(area, line_panel.caption.as_deref(), &x, &y)?;
    if let Some(label) = &line_panel.zero_line
        && y.range.contains(&0.0)
    {
        reference_line(&mut chart, (x.range.start, 0.0), (x.range.end, 0.0))?;
        if !label.is_empty() {
            reference_label(&mut chart, (x.range.end, 0.0), label)?;
        }
    }
    draw_band_lines(&mut chart, &line_panel.lines)?;
    if line_panel.lines.iter().all(|l| l.points.is_empty()) {
        centered_note(&chart.plotting_area().strip_coord_spec(), "no data")?;
    }
    Ok(line_panel
        .lines
        .iter()
        .map(|l| {
            l.points
                .last()
                .map(|(x, c)| chart.backend_coord(&(*x, c.mean)))
        })
        .collect())
}

/// One line per strategy (in `strategies` order, which fixes its colour) that has points
/// in `series`, and the legend entries naming them.
fn strategy_lines(
    strategies: &[String],
    series: &BTreeMap<String, Vec<(f64, MeanCi)>>,
) -> Vec<(BandLine, LegendEntry)> {
    strategies
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let points = series.get(name).filter(|p| !p.is_empty())?;
            let style = SeriesStyle::nth(i);
            let line = BandLine {
                style,
                points: points.clone(),
            };
            let entry = LegendEntry {
                label: name.clone(),
                style,
            };
            Some((line, entry))
        })
        .collect()
}

/// The last mean of a line (−∞ for none).
fn end_value(line: &BandLine) -> f64 {
    line.points
        .last()
        .map_or(f64::NEG_INFINITY, |(_, c)| c.mean)
}

/// `roi`: cumulative ROI by month, one line per strategy named at its end (the lines in
/// the order they end, highest first), with the break-even line.
pub(crate) fn roi(data: &RunData, strategies: &[String]) -> LinePanels {
    let series = strategy_monthly_series(&data.strategy_monthly, |r| r.roi_cum);
    let mut lines = strategy_lines(strategies, &series);
    lines.sort_by(|(a, _), (b, _)| end_value(b).total_cmp(&end_value(a)));
    let (lines, entries): (Vec<BandLine>, Vec<LegendEntry>) = lines.into_iter().unzip();
    LinePanels {
        title: format!("{}: cumulative ROI by month", data.scenario),
        subtitle: format!(
            "ROI = (earned − cost) / cost over months 0 to m. {ROI_BRIEF}.\n{}; lines named at \
             their ends, highest first",
            mean_note(replication_count(data))
        ),
        x: XAxis::Months(month_count(data)),
        panels: vec![LinePanel {
            caption: None,
            y_desc: "cumulative ROI (%)".to_string(),
            unit: Unit::Percent,
            zero_line: Some(BREAK_EVEN.to_string()),
            zero: Zero::Include,
            lines,
        }],
        columns: 1,
        key: Key::Ends(entries),
        size: SIZE,
    }
}

/// Panels per row for `n` small multiples on a 16:10 canvas (7 → 4 × 2).
pub(crate) fn grid_columns(n: usize) -> usize {
    ((n as f64 * 1.6).sqrt().ceil() as usize).clamp(1, n.max(1))
}

/// `balance`: the Connects balance per agent at each month's end, one panel per strategy,
/// each on its own y scale (from 0): balances differ by two orders of magnitude between
/// strategies, and on one scale all but the largest lie flat. Small multiples rather than
/// a log axis, because a balance is read as a level, and a log axis hides how much
/// it moves.
pub(crate) fn balance(data: &RunData, strategies: &[String]) -> LinePanels {
    let series = strategy_monthly_series(&data.strategy_monthly, |r| {
        ratio(r.connects_balance as f64, f64::from(r.agents))
    });
    let lines = strategy_lines(strategies, &series);
    let columns = grid_columns(lines.len());
    let peaks: Vec<f64> = lines
        .iter()
        .map(|(l, _)| l.points.iter().map(|(_, c)| c.mean).fold(0.0, f64::max))
        .collect();
    let (low, high) = peaks.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &p| {
        (lo.min(p), hi.max(p))
    });
    let spread = if lines.len() > 1 {
        format!(" (peaks from {low:.0} to {high:.0} Connects per agent)")
    } else {
        String::new()
    };
    let panels = lines
        .into_iter()
        .enumerate()
        .map(|(k, (line, entry))| LinePanel {
            caption: Some(entry.label),
            y_desc: if k % columns == 0 {
                "Connects per agent"
            } else {
                ""
            }
            .to_string(),
            unit: Unit::Number,
            zero_line: None,
            zero: Zero::Include,
            lines: vec![line],
        })
        .collect();
    LinePanels {
        title: format!(
            "{}: Connects balance per agent at each month's end",
            data.scenario
        ),
        subtitle: format!(
            "one panel per strategy, each on its own y scale from 0, so small balances are as \
             readable as large ones{spread}.\nHeld Connects (open boost bids) included; {}",
            mean_note(replication_count(data))
        ),
        x: XAxis::Months(month_count(data)),
        panels,
        columns,
        key: Key::None,
        size: SIZE,
    }
}

/// `market`: proposals per post, share of posts hired, and platform revenue, by month.
pub(crate) fn market(data: &RunData) -> LinePanels {
    let rows = &data.market_monthly;
    let line = |value: &dyn Fn(&crate::results::MarketMonthRow) -> Option<f64>| BandLine {
        style: SeriesStyle::nth(0),
        points: by_month(rows.iter().filter_map(|r| value(r).map(|v| (r.month, v)))),
    };
    let panel = |caption: &str, y_desc: &str, unit: Unit, line: BandLine| LinePanel {
        caption: Some(caption.to_string()),
        y_desc: y_desc.to_string(),
        unit,
        zero_line: None,
        zero: Zero::Include,
        lines: vec![line],
    };
    let panels = vec![
        panel(
            "proposals per post",
            "proposals per post (paid and invited)",
            Unit::Number,
            line(&|r| ratio(r.proposals as f64, r.jobs_posted as f64)),
        ),
        panel(
            "posts that hired",
            "posts hired / posts made (%)",
            Unit::Percent,
            line(&|r| ratio(r.jobs_hired as f64, r.jobs_posted as f64)),
        ),
        panel(
            "platform revenue",
            "USD per month (Connects + plans)",
            Unit::Number,
            line(&|r| Some(r.platform_usd_connects + r.platform_usd_plans)),
        ),
    ];
    LinePanels {
        title: format!("{}: the market by month", data.scenario),
        subtitle: mean_note(replication_count(data)),
        x: XAxis::Months(month_count(data)),
        panels,
        columns: 3,
        key: Key::None,
        size: SIZE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::series::strategy_names;
    use crate::charts::test_data::{run, strategy_month};

    /// Three strategies over two months of two replications, each ending at its own ROI
    /// and balance.
    fn three_strategies() -> RunData {
        let ends = [("a", 1.5, 40), ("b", -0.2, 4), ("c", 8.0, 900)];
        let mut rows = Vec::new();
        for replication in 0..2 {
            for (name, roi, balance) in ends {
                for month in 0..2 {
                    rows.push(strategy_month(replication, month, name, |r| {
                        r.roi_cum = Some(roi * f64::from(month + 1) / 2.0);
                        r.connects_balance = balance + u64::from(replication);
                    }));
                }
            }
        }
        run(rows, "")
    }

    #[test]
    fn roi_names_the_lines_at_their_ends_in_the_order_they_end() {
        let data = three_strategies();
        let chart = roi(&data, &strategy_names(&data));
        let Key::Ends(entries) = &chart.key else {
            panic!("the ROI lines are named at their ends")
        };
        let labels: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
        assert_eq!(labels, ["c", "a", "b"]);
        let [panel] = chart.panels.as_slice() else {
            panic!("one panel")
        };
        let ends: Vec<f64> = panel.lines.iter().map(end_value).collect();
        assert_eq!(ends, [8.0, 1.5, -0.2]);
        // Colours stay by name, whatever the order: "a" keeps the first style.
        assert_eq!(entries[1].style, SeriesStyle::nth(0));
        assert_eq!(panel.lines[1].style, SeriesStyle::nth(0));
        assert_eq!(panel.zero_line.as_deref(), Some(BREAK_EVEN));
        assert_eq!(panel.zero, Zero::Include);
        assert!(chart.subtitle.contains(ROI_BRIEF));
    }

    #[test]
    fn balance_has_a_panel_per_strategy_each_on_its_own_scale() {
        let data = three_strategies();
        let chart = balance(&data, &strategy_names(&data));
        let captions: Vec<Option<&str>> =
            chart.panels.iter().map(|p| p.caption.as_deref()).collect();
        assert_eq!(captions, [Some("a"), Some("b"), Some("c")]);
        for (panel, agents_balance) in chart.panels.iter().zip([40.5, 4.5, 900.5]) {
            let [line] = panel.lines.as_slice() else {
                panic!("one line a panel")
            };
            // Per agent (10 agents), averaged over the replications' 40 and 41 Connects.
            assert!((end_value(line) - agents_balance / 10.0).abs() < 1e-12);
        }
        assert_eq!(chart.columns, 3);
        assert!(matches!(chart.key, Key::None));
        assert!(chart.subtitle.contains("own y scale"), "{}", chart.subtitle);
        assert_eq!(grid_columns(7), 4);
    }
}
