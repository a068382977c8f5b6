//! `boost_prices`: what winning boost bids cost. On top, the distribution of the Connects
//! charged per winning bid in the first month with any win and in the last one, pooled
//! over replications, as shares of that month's wins (so months of different volume
//! compare); below, by month, the share of posts with a boost bid and the mean price of a
//! winning bid.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::layout::{
    Axis, BandLine, LegendEntry, Mark, SIZE, SeriesStyle, Unit, Zero, centered_note, panel, span,
    titled, with_legend,
};
use super::lines::{LinePanel, draw_line_panel};
use super::series::{by_month, mean_note, month_count, replication_count};
use super::{Chart, DrawError};
use crate::results::{RunData, ratio};

/// At most this many bins in the histogram; prices are grouped in wider bins beyond it.
const MAX_BINS: u32 = 40;
/// The histogram's range ends at this quantile of each month's prices; the last bin holds
/// the rare bids beyond it, so a long thin tail does not squeeze the bars.
const TAIL_QUANTILE: f64 = 0.99;

/// The winning bids of one month, pooled over replications.
struct MonthPrices {
    month: u32,
    /// Wins by Connects charged.
    wins: BTreeMap<u32, u64>,
    /// All the month's wins (saturating: a crafted file's counts may not fit).
    total: u64,
}

impl MonthPrices {
    /// The `q` quantile of the prices of the month's winning bids, interpolated between
    /// order statistics as `stats::quantile_sorted` does, read off the counts (never one
    /// value per win: the counts come from a file).
    fn quantile(&self, q: f64) -> Option<f64> {
        let last = self.total.checked_sub(1)?;
        let pos = q.clamp(0.0, 1.0) * last as f64;
        let (lo, hi) = (pos.floor() as u64, pos.ceil() as u64);
        let frac = pos - lo as f64;
        let (a, b) = (self.nth(lo)?, self.nth(hi)?);
        Some(a + (b - a) * frac)
    }

    /// The price of the `k`th cheapest winning bid (from 0; the dearest past the end).
    fn nth(&self, k: u64) -> Option<f64> {
        let mut seen = 0u64;
        for (&price, &wins) in &self.wins {
            seen = seen.saturating_add(wins);
            if k < seen {
                return Some(f64::from(price));
            }
        }
        self.wins.keys().next_back().map(|&p| f64::from(p))
    }
}

/// The `boost_prices` chart, ready to draw.
pub(crate) struct BoostChart {
    title: String,
    subtitle: String,
    months: u32,
    /// The first and the last month with winning bids (one if they are the same month,
    /// none if no bid ever won).
    histograms: Vec<MonthPrices>,
    share: LinePanel,
    price: LinePanel,
}

impl BoostChart {
    /// Prepares the chart from `boost_bids.csv` and `market_monthly.csv`.
    pub fn new(data: &RunData) -> Self {
        let mut by_month_price: BTreeMap<u32, BTreeMap<u32, u64>> = BTreeMap::new();
        for row in data.boost_bids.iter().filter(|r| r.wins > 0) {
            let wins = by_month_price
                .entry(row.month)
                .or_default()
                .entry(row.price)
                .or_default();
            *wins = wins.saturating_add(row.wins);
        }
        let first = by_month_price.first_key_value().map(|(m, _)| *m);
        let last = by_month_price.last_key_value().map(|(m, _)| *m);
        let mut chosen: Vec<u32> = first.into_iter().chain(last).collect();
        chosen.dedup();
        let histograms = chosen
            .into_iter()
            .filter_map(|month| {
                let wins = by_month_price.remove(&month)?;
                let total = wins.values().fold(0u64, |sum, &w| sum.saturating_add(w));
                Some(MonthPrices { month, wins, total })
            })
            .collect();
        let rows = &data.market_monthly;
        let line = |points| BandLine {
            style: SeriesStyle::nth(0),
            points,
        };
        let share = LinePanel {
            caption: Some("posts with at least one boost bid".to_string()),
            y_desc: "share of posts made (%)".to_string(),
            unit: Unit::Percent,
            zero_line: None,
            zero: Zero::Include,
            lines: vec![line(by_month(rows.iter().filter_map(|r| {
                ratio(r.posts_with_boost_bids as f64, r.jobs_posted as f64).map(|v| (r.month, v))
            })))],
        };
        let price = LinePanel {
            caption: Some("mean price of a winning bid".to_string()),
            y_desc: "Connects per winning bid".to_string(),
            unit: Unit::Number,
            zero_line: None,
            zero: Zero::Include,
            lines: vec![line(by_month(
                rows.iter()
                    .filter_map(|r| r.mean_boost_price.map(|v| (r.month, v))),
            ))],
        };
        let reps = replication_count(data);
        BoostChart {
            title: format!("{}: boost bids", data.scenario),
            subtitle: format!(
                "top: winning bids of {reps} replications pooled; below: {}",
                mean_note(reps)
            ),
            months: month_count(data),
            histograms,
            share,
            price,
        }
    }

    /// Draws the histogram of winning prices with its legend on `area`.
    fn draw_histogram<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawError> {
        let prices = self.histograms.iter().flat_map(|h| h.wins.keys().copied());
        let (Some(lo), Some(max)) = (prices.clone().min(), prices.max()) else {
            return centered_note(area, "no boost bids in this run");
        };
        let tail = self
            .histograms
            .iter()
            .filter_map(|h| h.quantile(TAIL_QUANTILE));
        let hi = tail.fold(lo, |hi, q| hi.max(q.ceil() as u32)).min(max);
        // In u64: prices up to u32::MAX must not overflow the bin arithmetic.
        let (lo, hi, max) = (u64::from(lo), u64::from(hi), u64::from(max));
        let width = (hi - lo + 1).div_ceil(u64::from(MAX_BINS)).max(1);
        let start = lo - lo % width;
        let bins = (hi - start) / width + 1;
        let last_bin = start + (bins - 1) * width;
        let entries: Vec<LegendEntry> = self
            .histograms
            .iter()
            .enumerate()
            .map(|(i, h)| LegendEntry {
                label: format!(
                    "month {}: {} wins, median {} Connects",
                    h.month,
                    h.total,
                    h.quantile(0.5)
                        .map_or("–".to_string(), |m| format!("{m:.0}"))
                ),
                style: SeriesStyle::nth(i * 3),
                mark: Mark::Bar,
            })
            .collect();
        let plot = with_legend(area, "winning bids in", &entries)?;
        // Bars of bin k span the prices start + k·width .. start + (k+1)·width − 1, drawn
        // from half a Connect before to half after, so ticks sit under whole prices.
        let bin_shares: Vec<Vec<(u64, f64)>> = self
            .histograms
            .iter()
            .map(|h| {
                let mut counts = vec![0u64; bins as usize];
                for (&price, &wins) in &h.wins {
                    let bin =
                        &mut counts[((u64::from(price).min(last_bin) - start) / width) as usize];
                    *bin = bin.saturating_add(wins);
                }
                counts
                    .into_iter()
                    .enumerate()
                    .filter(|(_, c)| *c > 0)
                    .map(|(k, c)| (k as u64, c as f64 / h.total.max(1) as f64))
                    .collect()
            })
            .collect();
        let left = start as f64 - 0.5;
        let right = (start + bins * width) as f64 - 0.5;
        let pad = (right - left) * 0.02;
        let mut x_desc = "Connects charged per winning bid".to_string();
        match (width > 1, max > hi) {
            (true, true) => x_desc += &format!(" (bins of {width}; last bin: {last_bin} or more)"),
            (true, false) => x_desc += &format!(" (bins of {width})"),
            (false, true) => x_desc += &format!(" (last bar: {last_bin} or more)"),
            (false, false) => {}
        }
        let x = Axis::integers(left - pad..right + pad, 12, &x_desc);
        let top = bin_shares.iter().flatten().map(|&(_, s)| s);
        let y = Axis::linear(
            span(top, Zero::Base),
            5,
            "share of the month's wins (%)",
            Unit::Percent,
        );
        let mut chart = panel(&plot, None, &x, &y)?;
        let groups = self.histograms.len() as f64;
        for (i, (shares, entry)) in bin_shares.iter().zip(&entries).enumerate() {
            let slot = width as f64 * 0.84 / groups;
            chart.draw_series(shares.iter().map(|&(k, share)| {
                let edge = (start + k * width) as f64 - 0.5 + width as f64 * 0.08;
                let from = edge + slot * i as f64;
                Rectangle::new(
                    [(from, 0.0), (from + slot, share)],
                    entry.style.color.filled(),
                )
            }))?;
        }
        Ok(())
    }
}

impl Chart for BoostChart {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let area = titled(root, &self.title, &self.subtitle)?;
        let (_, height) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(height * 52 / 100);
        self.draw_histogram(&top)?;
        let (width, _) = bottom.dim_in_pixel();
        let (left, right) = bottom.split_horizontally(width / 2);
        draw_line_panel(&left, &self.share, self.months, true)?;
        draw_line_panel(&right, &self.price, self.months, true)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::quantile_sorted;

    fn month(wins: &[(u32, u64)]) -> MonthPrices {
        let wins: BTreeMap<u32, u64> = wins.iter().copied().collect();
        let total = wins.values().fold(0u64, |sum, &w| sum.saturating_add(w));
        MonthPrices {
            month: 0,
            wins,
            total,
        }
    }

    #[test]
    fn quantiles_from_counts_are_those_of_the_expanded_prices() {
        let m = month(&[(3, 2), (5, 1), (8, 4)]);
        let expanded = [3.0, 3.0, 5.0, 8.0, 8.0, 8.0, 8.0];
        for q in [0.0, 0.1, 0.25, 0.5, 0.7, 0.99, 1.0] {
            assert_eq!(m.quantile(q), quantile_sorted(&expanded, q), "q = {q}");
        }
        assert_eq!(month(&[]).quantile(0.5), None);
    }

    #[test]
    fn counts_that_do_not_fit_saturate() {
        let m = month(&[(3, u64::MAX), (u32::MAX, u64::MAX)]);
        assert_eq!(m.total, u64::MAX);
        assert_eq!(m.quantile(0.0), Some(3.0));
        assert_eq!(m.quantile(1.0), Some(f64::from(u32::MAX)));
    }
}
