//! Charts of lines by month with their 95% bands, in one or more panels: `roi`, `balance`
//! and `market` of a run, and the comparison of runs (built in `compare`).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

use super::layout::{
    Axis, BandLine, LegendEntry, Mark, SIZE, SeriesStyle, Unit, Zero, centered_note,
    draw_band_lines, panel, reference_line, span, titled, with_legend,
};
use super::series::{by_month, mean_note, month_count, replication_count, strategy_monthly_series};
use super::{Chart, DrawError};
use crate::results::{RunData, ratio};
use crate::stats::MeanCi;

/// One panel of lines by month.
#[derive(Debug, Clone)]
pub(crate) struct LinePanel {
    /// Text above the panel (none for a single-panel chart, whose title says it).
    pub caption: Option<String>,
    /// The y axis' description, with its unit.
    pub y_desc: String,
    pub unit: Unit,
    /// Draw a line at y = 0 where the range holds it (ROI: where gains cover costs).
    pub zero_line: bool,
    /// Where 0 sits in the y range (inside it for counts and money).
    pub zero: Zero,
    pub lines: Vec<BandLine>,
}

impl LinePanel {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.lines.iter().flat_map(BandLine::values)
    }
}

/// A chart of [`LinePanel`]s in a grid, under one title, with one legend on the right.
#[derive(Debug, Clone)]
pub(crate) struct LinePanels {
    pub title: String,
    pub subtitle: String,
    pub months: u32,
    pub panels: Vec<LinePanel>,
    /// Panels per row.
    pub columns: usize,
    /// The legend's heading and entries (no entries: no legend).
    pub legend: (String, Vec<LegendEntry>),
    pub size: (u32, u32),
}

impl Chart for LinePanels {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        let area = with_legend(&area, &self.legend.0, &self.legend.1)?;
        let columns = self.columns.max(1);
        let rows = self.panels.len().div_ceil(columns).max(1);
        let cells = area.split_evenly((rows, columns));
        for (k, (panel, cell)) in self.panels.iter().zip(cells).enumerate() {
            // "month" only under the lowest panel of each column.
            let lowest = k + columns >= self.panels.len();
            draw_line_panel(&cell, panel, self.months, lowest)?;
        }
        Ok(())
    }
}

/// Draws one panel on `area`: axes (months on x, described if `month_desc`), the zero
/// line if asked, then the bands and lines.
pub(crate) fn draw_line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    line_panel: &LinePanel,
    months: u32,
    month_desc: bool,
) -> Result<(), DrawError> {
    let range = span(line_panel.values(), line_panel.zero);
    let (_, height) = area.dim_in_pixel();
    let mut x = Axis::months(months);
    if !month_desc {
        x.desc.clear();
    }
    let y = Axis::linear(
        range,
        (height / 90).clamp(3, 10) as usize,
        &line_panel.y_desc,
        line_panel.unit,
    );
    let mut chart = panel(area, line_panel.caption.as_deref(), &x, &y)?;
    if line_panel.zero_line && y.range.contains(&0.0) {
        reference_line(&mut chart, (x.range.start, 0.0), (x.range.end, 0.0))?;
    }
    draw_band_lines(&mut chart, &line_panel.lines)?;
    if line_panel.lines.iter().all(|l| l.points.is_empty()) {
        centered_note(&chart.plotting_area().strip_coord_spec(), "no data")?;
    }
    Ok(())
}

/// One line per strategy (in `strategies` order, which fixes its colour) that has points
/// in `series`, and the legend naming them.
fn strategy_lines(
    strategies: &[String],
    series: &BTreeMap<String, Vec<(f64, MeanCi)>>,
) -> (Vec<BandLine>, Vec<LegendEntry>) {
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
                mark: Mark::Line,
            };
            Some((line, entry))
        })
        .unzip()
}

/// A one-panel chart of one value by month per strategy.
fn strategy_chart(
    data: &RunData,
    strategies: &[String],
    what: &str,
    explanation: &str,
    panel: LinePanel,
    series: &BTreeMap<String, Vec<(f64, MeanCi)>>,
) -> LinePanels {
    let (lines, entries) = strategy_lines(strategies, series);
    LinePanels {
        title: format!("{}: {what}", data.scenario),
        subtitle: format!("{explanation}; {}", mean_note(replication_count(data))),
        months: month_count(data),
        panels: vec![LinePanel { lines, ..panel }],
        columns: 1,
        legend: ("strategy".to_string(), entries),
        size: SIZE,
    }
}

/// `roi`: cumulative ROI by month, one line per strategy, with a zero line.
pub(crate) fn roi(data: &RunData, strategies: &[String]) -> LinePanels {
    let series = strategy_monthly_series(&data.strategy_monthly, |r| r.roi_cum);
    let panel = LinePanel {
        caption: None,
        y_desc: "cumulative ROI (%)".to_string(),
        unit: Unit::Percent,
        zero_line: true,
        zero: Zero::Include,
        lines: Vec::new(),
    };
    let explanation = "ROI = (earned − cost) / cost, months 0 to m";
    strategy_chart(
        data,
        strategies,
        "cumulative ROI by month",
        explanation,
        panel,
        &series,
    )
}

/// `balance`: the Connects balance per agent at each month's end, one line per strategy.
pub(crate) fn balance(data: &RunData, strategies: &[String]) -> LinePanels {
    let series = strategy_monthly_series(&data.strategy_monthly, |r| {
        ratio(r.connects_balance as f64, f64::from(r.agents))
    });
    let panel = LinePanel {
        caption: None,
        y_desc: "Connects per agent at the month's end".to_string(),
        unit: Unit::Number,
        zero_line: false,
        zero: Zero::Include,
        lines: Vec::new(),
    };
    let explanation = "held Connects (open boost bids) included";
    strategy_chart(
        data,
        strategies,
        "Connects balance per agent",
        explanation,
        panel,
        &series,
    )
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
        zero_line: false,
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
        months: month_count(data),
        panels,
        columns: 3,
        legend: (String::new(), Vec::new()),
        size: SIZE,
    }
}
