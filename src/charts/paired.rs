//! Paired differences as dots with whiskers: one row per strategy, one dot per pair of
//! runs (its mean difference) with its 95% interval, and a line at 0 (no difference).
//! `compare` builds it from its paired rows (`comparison_paired`).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::layout::{
    Axis, LegendEntry, SIZE, SeriesStyle, TICK_PX, Unit, Zero, centered_note, panel,
    reference_label, reference_line, span, text_style, titled, with_legend,
};
use super::{Chart, DrawError};

/// A mean difference and its 95% interval (low, high) if defined.
pub(crate) type Difference = (f64, Option<(f64, f64)>);

/// One pair of runs' differences.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pair {
    /// "run − baseline".
    pub label: String,
    /// Per strategy (the chart's rows, in order): mean, and the 95% interval if defined.
    pub differences: Vec<Option<Difference>>,
}

/// A chart of paired differences, ready to draw.
#[derive(Debug, Clone)]
pub(crate) struct PairedChart {
    pub title: String,
    pub subtitle: String,
    /// The x axis' description.
    pub x_desc: String,
    pub unit: Unit,
    /// The rows, top to bottom.
    pub strategies: Vec<String>,
    pub pairs: Vec<Pair>,
    /// What the chart says when there is no pair.
    pub none: String,
}

/// Half the vertical room of a row the dots of its pairs spread over, in rows.
const SPREAD: f64 = 0.3;

impl PairedChart {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.pairs
            .iter()
            .flat_map(|p| p.differences.iter().flatten())
            .flat_map(|(mean, ci)| [Some(*mean), ci.map(|c| c.0), ci.map(|c| c.1)])
            .flatten()
    }
}

impl Chart for PairedChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        if self.pairs.is_empty() {
            return centered_note(&area, &self.none);
        }
        let entries: Vec<LegendEntry> = (0..self.pairs.len())
            .map(|j| LegendEntry {
                label: self.pairs[j].label.clone(),
                style: SeriesStyle::nth(j),
            })
            .collect();
        let area = with_legend(&area, "run − baseline", &entries)?;
        // Room on the right for the values written after the whiskers.
        let range = span(self.values(), Zero::Include);
        let range = range.start..range.end + (range.end - range.start) * 0.18;
        let x = Axis::linear(range, 8, &self.x_desc, self.unit);
        let y = Axis::rows(self.strategies.clone());
        let mut chart = panel(&area, None, &x, &y)?;
        reference_line(&mut chart, (0.0, y.range.start), (0.0, y.range.end))?;
        reference_label(&mut chart, (0.0, y.range.end), "no difference")?;
        let n = self.strategies.len();
        let m = self.pairs.len();
        for (j, (pair, entry)) in self.pairs.iter().zip(&entries).enumerate() {
            let offset = if m > 1 {
                SPREAD * (1.0 - 2.0 * j as f64 / (m - 1) as f64)
            } else {
                0.0
            };
            let color = entry.style.color;
            let corners = entry.style.marker_corners(9);
            for (i, difference) in pair.differences.iter().enumerate() {
                let Some((mean, ci)) = difference else {
                    continue;
                };
                let row = Axis::row_y(i, n) + offset;
                let mut end = *mean;
                if let Some((low, high)) = ci {
                    let cap = 0.08;
                    let whisker = color.stroke_width(3);
                    chart.draw_series([
                        PathElement::new(vec![(*low, row), (*high, row)], whisker),
                        PathElement::new(vec![(*low, row - cap), (*low, row + cap)], whisker),
                        PathElement::new(vec![(*high, row - cap), (*high, row + cap)], whisker),
                    ])?;
                    end = end.max(*high);
                }
                chart.draw_series(std::iter::once(
                    EmptyElement::at((*mean, row)) + Polygon::new(corners.clone(), color.filled()),
                ))?;
                let text = (x.label)(*mean);
                let style = text_style(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
                chart.draw_series(std::iter::once(
                    EmptyElement::at((end, row)) + Text::new(text, (12, 0), style),
                ))?;
            }
        }
        Ok(())
    }
}
