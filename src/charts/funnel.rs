//! `funnel`: proposals → interviews → hires per agent over the horizon, per strategy.
//!
//! Proposals outnumber hires by two orders of magnitude, so each stage gets its own panel
//! with its own linear scale (a log scale would make bar lengths meaningless). Strategies
//! are rows of horizontal bars, named once on the left and aligned across the panels. A
//! table on the right gives each strategy's conversion rates (interviews per proposal,
//! hires per interview, hires per proposal), from the counts pooled over replications.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{
    Axis, SIZE, SeriesStyle, TICK_PX, Unit, Zero, centered_note, panel, row_half, short_number,
    span, text_style, titled, y_label_width,
};
use super::series::{month_count, replication_count};
use super::{Chart, DrawError};
use crate::results::{RunData, StrategyTotals, ratio, strategy_totals};
use crate::stats::{MeanCi, mean_ci};

/// Half the height of a bar, in rows (at most 45 px).
const BAR_HALF: f64 = 0.32;

/// One stage of the funnel: its name and each strategy's mean per agent.
struct Stage {
    caption: &'static str,
    /// Per strategy (chart order): mean and interval across replications.
    values: Vec<Option<MeanCi>>,
}

/// A strategy's conversion rates, from its counts summed over all replications (none
/// where the denominator is 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rates {
    pub interviews_per_proposal: Option<f64>,
    pub hires_per_interview: Option<f64>,
    pub hires_per_proposal: Option<f64>,
}

impl Rates {
    /// The rates of `totals` (one per replication) summed.
    fn of<'a>(totals: impl IntoIterator<Item = &'a StrategyTotals>) -> Self {
        let (mut proposals, mut interviews, mut hires) = (0u64, 0u64, 0u64);
        for t in totals {
            proposals = proposals.saturating_add(t.proposals);
            interviews = interviews.saturating_add(t.interviews);
            hires = hires.saturating_add(t.hires);
        }
        let (p, i, h) = (proposals as f64, interviews as f64, hires as f64);
        Rates {
            interviews_per_proposal: ratio(i, p),
            hires_per_interview: ratio(h, i),
            hires_per_proposal: ratio(h, p),
        }
    }

    /// The three rates, in the table's column order.
    fn columns(&self) -> [Option<f64>; 3] {
        [
            self.interviews_per_proposal,
            self.hires_per_interview,
            self.hires_per_proposal,
        ]
    }
}

/// The rates table's column headings, two lines each.
const RATE_HEADINGS: [[&str; 2]; 3] = [
    ["interviews", "per proposal"],
    ["hires per", "interview"],
    ["hires per", "proposal"],
];
/// The width of the rates table, in pixels.
const TABLE_PX: u32 = 420;

/// A rate for the table: a percent with about three significant digits.
fn percent(rate: Option<f64>) -> String {
    match rate {
        None => "–".to_string(),
        Some(r) if r.abs() < 0.01 => format!("{:.2}%", r * 100.0),
        Some(r) => format!("{:.1}%", r * 100.0),
    }
}

/// The `funnel` chart, ready to draw.
pub(crate) struct FunnelChart {
    title: String,
    subtitle: String,
    months: u32,
    strategies: Vec<(String, SeriesStyle)>,
    stages: Vec<Stage>,
    /// Per strategy (chart order).
    rates: Vec<Rates>,
}

impl FunnelChart {
    /// Per-agent totals of each strategy over the horizon, averaged across replications.
    pub fn new(data: &RunData, strategies: &[String]) -> Self {
        let totals = strategy_totals(&data.strategy_monthly);
        let stage = |caption, count: fn(&StrategyTotals) -> u64| Stage {
            caption,
            values: strategies
                .iter()
                .map(|name| {
                    let per_agent: Vec<f64> = totals
                        .iter()
                        .filter(|((_, s), _)| s == name)
                        .filter_map(|(_, t)| ratio(count(t) as f64, f64::from(t.agents)))
                        .collect();
                    mean_ci(&per_agent)
                })
                .collect(),
        };
        let reps = replication_count(data);
        let bars = match reps {
            0 => "no replication in the run's files".to_string(),
            1 => "bars: a single replication, so no interval".to_string(),
            n => format!("bars: mean of {n} replications; whiskers: 95% confidence interval"),
        };
        FunnelChart {
            title: format!("{}: proposals → interviews → hires", data.scenario),
            subtitle: format!(
                "per agent over the whole run; {bars}.\nRight: conversion rates, from the \
                 counts of all replications pooled"
            ),
            months: month_count(data),
            strategies: strategies
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), SeriesStyle::nth(i)))
                .collect(),
            stages: vec![
                stage("proposals per agent", |t| t.proposals),
                stage("interviews per agent", |t| t.interviews),
                stage("hires per agent", |t| t.hires),
            ],
            rates: strategies
                .iter()
                .map(|name| {
                    let of_strategy = totals.iter().filter(|((_, s), _)| s == name);
                    Rates::of(of_strategy.map(|(_, t)| t))
                })
                .collect(),
        }
    }

    /// The y axis: one row per strategy, the first at the top; named only if `named`.
    fn rows_axis(&self, named: bool) -> Axis<'static> {
        let labels = self.strategies.iter().map(
            |(name, _)| {
                if named { name.clone() } else { String::new() }
            },
        );
        Axis::rows(labels.collect())
    }

    /// Draws one stage's bars, whiskers and values on `area`.
    fn draw_stage<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        stage: &Stage,
        named: bool,
    ) -> Result<Vec<i32>, DrawError> {
        let reach = stage
            .values
            .iter()
            .flatten()
            .map(|c| c.high.unwrap_or(c.mean).max(c.mean));
        // Room on the right for the value written after each bar.
        let range = span(reach.map(|v| v * 1.22), Zero::Base);
        let x_desc = match self.months {
            0 => "per agent".to_string(),
            m => format!("per agent, months 0–{}", m - 1),
        };
        let x = Axis::linear_across(range, 4, &x_desc, Unit::Number);
        let y = self.rows_axis(named);
        let mut chart = panel(area, Some(stage.caption), &x, &y)?;
        let n = self.strategies.len();
        let half = row_half(&chart, n, BAR_HALF, 45.0);
        for (i, ((_, style), value)) in self.strategies.iter().zip(&stage.values).enumerate() {
            let Some(ci) = value else { continue };
            let row = Axis::row_y(i, n);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, row - half), (ci.mean, row + half)],
                style.color.filled(),
            )))?;
            let mut end = ci.mean;
            if let (Some(low), Some(high)) = (ci.low, ci.high) {
                // Black on a white underlay: visible on a bar of any colour.
                let cap = half / 2.5;
                for whisker in [WHITE.stroke_width(6), BLACK.stroke_width(2)] {
                    chart.draw_series([
                        PathElement::new(vec![(low, row), (high, row)], whisker),
                        PathElement::new(vec![(low, row - cap), (low, row + cap)], whisker),
                        PathElement::new(vec![(high, row - cap), (high, row + cap)], whisker),
                    ])?;
                }
                end = end.max(high);
            }
            let style = text_style(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
            chart.draw_series(std::iter::once(
                EmptyElement::at((end, row)) + Text::new(short_number(ci.mean), (10, 0), style),
            ))?;
        }
        if stage.values.iter().all(Option::is_none) {
            centered_note(&chart.plotting_area().strip_coord_spec(), "no data")?;
        }
        Ok((0..n)
            .map(|i| chart.backend_coord(&(0.0, Axis::row_y(i, n))).1)
            .collect())
    }

    /// Draws the rates table on `area`, each strategy's rates at its row's height in
    /// `rows` (backend pixels).
    fn draw_rates<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        rows: &[i32],
    ) -> Result<(), DrawError> {
        let (_, top) = area.get_base_pixel();
        let (width, _) = area.dim_in_pixel();
        let column = width as i32 / 3;
        let centre = |k: usize| column * k as i32 + column / 2;
        let heading = text_style(TICK_PX + 2).pos(Pos::new(HPos::Center, VPos::Top));
        for (k, lines) in RATE_HEADINGS.iter().enumerate() {
            for (j, line) in lines.iter().enumerate() {
                area.draw_text(line, &heading, (centre(k), 16 + j as i32 * 26))?;
            }
        }
        let value = text_style(TICK_PX + 2).pos(Pos::new(HPos::Center, VPos::Center));
        for (rates, &row) in self.rates.iter().zip(rows) {
            for (k, rate) in rates.columns().into_iter().enumerate() {
                area.draw_text(&percent(rate), &value, (centre(k), row - top))?;
            }
        }
        Ok(())
    }
}

impl Chart for FunnelChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        // The first panel also holds the strategy names: give it their width on top of an
        // equal share, so the three plots are equally wide and the rows line up.
        let names = y_label_width(&area, &self.rows_axis(true))?;
        let bare = y_label_width(&area, &self.rows_axis(false))?;
        let (width, _) = area.dim_in_pixel();
        let (bars, table) = area.split_horizontally(width.saturating_sub(TABLE_PX));
        let extra = names.saturating_sub(bare);
        let share = width.saturating_sub(TABLE_PX + extra) / 3;
        let (first, rest) = bars.split_horizontally(share + extra);
        let (second, third) = rest.split_horizontally(share);
        let mut rows = Vec::new();
        for (i, (stage, cell)) in self.stages.iter().zip([first, second, third]).enumerate() {
            rows = self.draw_stage(&cell, stage, i == 0)?;
        }
        self.draw_rates(&table, &rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::series::strategy_names;
    use crate::charts::test_data::{run, strategy_month};

    #[test]
    fn the_rates_are_those_of_the_pooled_counts() {
        // Two replications of two months: "a" 100 + 60 proposals, 12 + 4 interviews,
        // 3 + 1 hires; "b" never interviewed.
        let mut rows = Vec::new();
        for (replication, proposals, interviews, hires) in [(0, 100, 12, 3), (1, 60, 4, 1)] {
            for month in 0..2 {
                rows.push(strategy_month(replication, month, "a", |r| {
                    r.proposals = proposals / 2;
                    r.interviews = interviews / 2;
                    r.hires = if month == 0 { hires } else { 0 };
                }));
                rows.push(strategy_month(replication, month, "b", |r| r.proposals = 5));
            }
        }
        let data = run(rows, "");
        let chart = FunnelChart::new(&data, &strategy_names(&data));
        assert_eq!(
            chart.rates[0],
            Rates {
                interviews_per_proposal: Some(16.0 / 160.0),
                hires_per_interview: Some(4.0 / 16.0),
                hires_per_proposal: Some(4.0 / 160.0),
            }
        );
        assert_eq!(chart.rates[1].interviews_per_proposal, Some(0.0));
        assert_eq!(chart.rates[1].hires_per_interview, None);
        let written = chart.rates[0].columns().map(percent);
        assert_eq!(written, ["10.0%", "25.0%", "2.5%"]);
        assert_eq!(percent(Some(0.0052)), "0.52%");
        assert_eq!(percent(None), "–");
        // The bars: per agent (10 agents), averaged over the replications.
        let proposals = chart.stages[0].values[0].unwrap();
        assert!((proposals.mean - 8.0).abs() < 1e-12);
    }
}
