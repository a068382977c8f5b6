//! `funnel`: proposals → interviews → hires per agent over the horizon, per strategy.
//!
//! Proposals outnumber hires by two orders of magnitude, so each stage gets its own panel
//! with its own linear scale (a log scale would make bar lengths meaningless). Strategies
//! are rows of horizontal bars, named once on the left and aligned across the panels.

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

/// The `funnel` chart, ready to draw.
pub(crate) struct FunnelChart {
    title: String,
    subtitle: String,
    months: u32,
    strategies: Vec<(String, SeriesStyle)>,
    stages: Vec<Stage>,
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
            subtitle: format!("per agent over the whole run; {bars}"),
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
    ) -> Result<(), DrawError> {
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
        let x = Axis::linear(range, 5, &x_desc, Unit::Number);
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
        let extra = names.saturating_sub(bare);
        let share = width.saturating_sub(extra) / 3;
        let (first, rest) = area.split_horizontally(share + extra);
        let (second, third) = rest.split_horizontally(share);
        for (i, (stage, cell)) in self.stages.iter().zip([first, second, third]).enumerate() {
            self.draw_stage(&cell, stage, i == 0)?;
        }
        Ok(())
    }
}
