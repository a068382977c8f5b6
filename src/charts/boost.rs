//! `boost_prices`: what a winning boost bid costs, against how crowded the auctions are.
//!
//! On top, the distribution of the Connects charged per winning bid, pooled over every
//! month and replication, as shares of all wins, with each strategy's bid ceiling marked
//! and named (a `value` policy's `max`, a `fixed` policy's bid: a tall bar there is
//! strategies bidding their cap, not the market's price). Below, by month: bids per
//! auction (boost bids over posts with at least one), the share of the auctions' slots
//! filled (winning bids over posts with bids × the scenario's `boost.slots`; wins per
//! auction when the run's resolved scenario does not say), and the mean price of a
//! winning bid. The slots and the bids come from the resolved scenario in the manifest.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;

use super::layout::{
    Axis, BandLine, SIZE, SeriesStyle, TICK_PX, Unit, Zero, centered_note, panel, reference_line,
    span, text_style, titled,
};
use super::lines::{LinePanel, XAxis, draw_line_panel};
use super::series::{by_month, mean_note, month_count, replication_count};
use super::{Chart, DrawError};
use crate::present::grouped;
use crate::results::{MarketMonthRow, RunData, ratio};
use crate::scenario::file::BoostPolicy;

/// At most this many bins in the histogram; prices are grouped in wider bins beyond it.
const MAX_BINS: u32 = 40;
/// The histogram's range ends at this quantile of the prices (or at the highest cap);
/// the last bin holds the rare bids beyond it, so a long thin tail does not squeeze the
/// bars.
const TAIL_QUANTILE: f64 = 0.99;

/// The winning bids of the run, pooled over months and replications.
#[derive(Debug, Default)]
struct Prices {
    /// Wins by Connects charged.
    wins: BTreeMap<u32, u64>,
    /// All the wins (saturating: a crafted file's counts may not fit).
    total: u64,
}

impl Prices {
    /// The `q` quantile of the prices of the winning bids, interpolated between order
    /// statistics as `stats::quantile_sorted` does, read off the counts (never one value
    /// per win: the counts come from a file).
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

/// A strategy's highest boost bid, from the scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cap {
    pub strategy: String,
    pub connects: u32,
    /// A `fixed` policy: the strategy always bids exactly this.
    pub fixed: bool,
}

impl Cap {
    /// What the chart writes beside the cap's line.
    pub fn label(&self) -> String {
        let what = if self.fixed { "bid" } else { "cap" };
        format!("{}'s {what}: {}", self.strategy, self.connects)
    }
}

/// What the chart reads of the resolved scenario (anything else in it is ignored).
#[derive(Debug, Deserialize)]
struct AuctionSetup {
    boost: Option<SlotsSetup>,
    #[serde(default)]
    strategies: Vec<StrategyBids>,
}

#[derive(Debug, Deserialize)]
struct SlotsSetup {
    slots: u32,
}

#[derive(Debug, Deserialize)]
struct StrategyBids {
    name: String,
    #[serde(default)]
    boost: BoostPolicy,
}

/// The boosted slots per post and the strategies' caps (by strategy name) of a resolved
/// scenario; none and none when the text is not a scenario with them.
fn auction_setup(resolved: &str) -> (Option<u32>, Vec<Cap>) {
    let Ok(setup) = toml::from_str::<AuctionSetup>(resolved) else {
        return (None, Vec::new());
    };
    let mut caps: Vec<Cap> = setup
        .strategies
        .into_iter()
        .filter_map(|s| {
            let (connects, fixed) = match s.boost {
                BoostPolicy::None => return None,
                BoostPolicy::Fixed { connects, .. } => (connects, true),
                BoostPolicy::Value { max, .. } => (max, false),
            };
            Some(Cap {
                strategy: s.name,
                connects,
                fixed,
            })
        })
        .collect();
    caps.sort_by(|a, b| a.strategy.cmp(&b.strategy));
    (setup.boost.map(|b| b.slots).filter(|&s| s > 0), caps)
}

/// The `boost_prices` chart, ready to draw.
pub(crate) struct BoostChart {
    title: String,
    subtitle: String,
    months: u32,
    prices: Prices,
    caps: Vec<Cap>,
    /// Bids per auction, slots filled (or wins per auction), mean price: by month.
    competition: [LinePanel; 3],
}

impl BoostChart {
    /// Prepares the chart from `boost_bids.csv`, `market_monthly.csv` and the resolved
    /// scenario.
    pub fn new(data: &RunData) -> Self {
        let mut prices = Prices::default();
        for row in data.boost_bids.iter().filter(|r| r.wins > 0) {
            let wins = prices.wins.entry(row.price).or_default();
            *wins = wins.saturating_add(row.wins);
            prices.total = prices.total.saturating_add(row.wins);
        }
        let (slots, caps) = auction_setup(&data.resolved_scenario);
        let rows = &data.market_monthly;
        let line = |value: &dyn Fn(&MarketMonthRow) -> Option<f64>| BandLine {
            style: SeriesStyle::nth(0),
            points: by_month(rows.iter().filter_map(|r| value(r).map(|v| (r.month, v)))),
        };
        let panel = |caption: String, y_desc: &str, unit, line| LinePanel {
            caption: Some(caption),
            y_desc: y_desc.to_string(),
            unit,
            zero_line: None,
            zero: Zero::Include,
            lines: vec![line],
        };
        let auctions = |r: &MarketMonthRow| r.posts_with_boost_bids as f64;
        let filled = match slots {
            Some(slots) => panel(
                format!("slots filled ({slots} a post)"),
                "share of the slots (%)",
                Unit::Percent,
                line(&|r| ratio(r.boost_wins as f64, auctions(r) * f64::from(slots))),
            ),
            None => panel(
                "wins per auction (slots unknown)".to_string(),
                "winning bids per auction",
                Unit::Number,
                line(&|r| ratio(r.boost_wins as f64, auctions(r))),
            ),
        };
        let competition = [
            panel(
                "bids per auction".to_string(),
                "boost bids per auction",
                Unit::Number,
                line(&|r| ratio(r.boost_bids as f64, auctions(r))),
            ),
            filled,
            panel(
                "mean price of a winning bid".to_string(),
                "Connects per winning bid",
                Unit::Number,
                line(&|r| r.mean_boost_price),
            ),
        ];
        let reps = replication_count(data);
        let median = prices
            .quantile(0.5)
            .map_or(String::new(), |m| format!(", median {m:.0} Connects"));
        BoostChart {
            title: format!("{}: boost prices and auction competition", data.scenario),
            subtitle: format!(
                "top: all {} winning bids of {reps} replications and every month pooled{median}; \
                 dashed: the strategies' highest bids.\nBelow, by month: an auction is a post \
                 with at least one boost bid; {}",
                grouped(prices.total as f64, 0),
                mean_note(reps)
            ),
            months: month_count(data),
            prices,
            caps,
            competition,
        }
    }

    /// Draws the histogram of winning prices, with the caps marked, on `area`.
    fn draw_histogram<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawError> {
        let h = &self.prices;
        let (Some(&lo), Some(&max)) = (h.wins.keys().next(), h.wins.keys().next_back()) else {
            return centered_note(area, "no winning boost bid in this run");
        };
        let top_cap = self.caps.iter().map(|c| c.connects).max().unwrap_or(lo);
        let tail = h.quantile(TAIL_QUANTILE).map_or(max, |q| q.ceil() as u32);
        let hi = tail.max(top_cap.min(max)).max(lo);
        // In u64: prices up to u32::MAX must not overflow the bin arithmetic.
        let (lo, hi, max) = (u64::from(lo), u64::from(hi), u64::from(max));
        let width = (hi - lo + 1).div_ceil(u64::from(MAX_BINS)).max(1);
        let start = lo - lo % width;
        let bins = (hi - start) / width + 1;
        let last_bin = start + (bins - 1) * width;
        // Bars of bin k span the prices start + k·width .. start + (k+1)·width − 1, drawn
        // from half a Connect before to half after, so ticks sit under whole prices.
        let mut counts = vec![0u64; bins as usize];
        for (&price, &wins) in &h.wins {
            let bin = &mut counts[((u64::from(price).min(last_bin) - start) / width) as usize];
            *bin = bin.saturating_add(wins);
        }
        let shares: Vec<(u64, f64)> = counts
            .into_iter()
            .enumerate()
            .filter(|(_, c)| *c > 0)
            .map(|(k, c)| (k as u64, c as f64 / h.total.max(1) as f64))
            .collect();
        let left = start as f64 - 0.5;
        let right = ((start + bins * width) as f64 - 0.5).max(f64::from(top_cap) + 0.5);
        let pad = (right - left) * 0.02;
        let mut x_desc = "Connects charged per winning bid".to_string();
        match (width > 1, max > hi) {
            (true, true) => x_desc += &format!(" (bins of {width}; last bin: {last_bin} or more)"),
            (true, false) => x_desc += &format!(" (bins of {width})"),
            (false, true) => x_desc += &format!(" (last bar: {last_bin} or more)"),
            (false, false) => {}
        }
        let x = Axis::integers(left - pad..right + pad, 16, &x_desc);
        let tallest = shares.iter().map(|&(_, s)| s);
        // Room above the bars for the caps' labels.
        let room = 1.0 + 0.12 * self.caps.len() as f64;
        let y = Axis::linear(
            span(tallest.map(|s| s * room), Zero::Base),
            5,
            "share of all winning bids (%)",
            Unit::Percent,
        );
        let caption = "price of a winning bid, all months pooled";
        let mut chart = panel(area, Some(caption), &x, &y)?;
        let fill = SeriesStyle::nth(0).color.filled();
        chart.draw_series(shares.iter().map(|&(k, share)| {
            let from = (start + k * width) as f64 - 0.5 + width as f64 * 0.1;
            Rectangle::new([(from, 0.0), (from + width as f64 * 0.8, share)], fill)
        }))?;
        let middle = (x.range.start + x.range.end) / 2.0;
        for (k, cap) in self.caps.iter().enumerate() {
            let at = f64::from(cap.connects);
            reference_line(&mut chart, (at, 0.0), (at, y.range.end))?;
            // Right of the line in the left half, left of it in the right half.
            let (anchor, dx) = if at < middle {
                (HPos::Left, 8)
            } else {
                (HPos::Right, -8)
            };
            let style = text_style(TICK_PX + 2).pos(Pos::new(anchor, VPos::Top));
            chart.draw_series(std::iter::once(
                EmptyElement::at((at, y.range.end))
                    + Text::new(cap.label(), (dx, 6 + 28 * k as i32), style),
            ))?;
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
        let (top, bottom) = area.split_vertically(height * 50 / 100);
        self.draw_histogram(&top)?;
        for (cell, panel) in bottom.split_evenly((1, 3)).iter().zip(&self.competition) {
            draw_line_panel(cell, panel, &XAxis::Months(self.months), true)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charts::test_data::{bids, market_month, run};
    use crate::stats::quantile_sorted;

    fn prices(wins: &[(u32, u64)]) -> Prices {
        let wins: BTreeMap<u32, u64> = wins.iter().copied().collect();
        let total = wins.values().fold(0u64, |sum, &w| sum.saturating_add(w));
        Prices { wins, total }
    }

    #[test]
    fn quantiles_from_counts_are_those_of_the_expanded_prices() {
        let m = prices(&[(3, 2), (5, 1), (8, 4)]);
        let expanded = [3.0, 3.0, 5.0, 8.0, 8.0, 8.0, 8.0];
        for q in [0.0, 0.1, 0.25, 0.5, 0.7, 0.99, 1.0] {
            assert_eq!(m.quantile(q), quantile_sorted(&expanded, q), "q = {q}");
        }
        assert_eq!(prices(&[]).quantile(0.5), None);
    }

    #[test]
    fn counts_that_do_not_fit_saturate() {
        let m = prices(&[(3, u64::MAX), (u32::MAX, u64::MAX)]);
        assert_eq!(m.total, u64::MAX);
        assert_eq!(m.quantile(0.0), Some(3.0));
        assert_eq!(m.quantile(1.0), Some(f64::from(u32::MAX)));
    }

    /// The parts of a resolved scenario the chart reads, amid others it ignores.
    const SCENARIO: &str = r#"
name = "hand-made"
[boost]
slots = 4
min_bid = 1
[[strategies]]
name = "spray"
agents = 5
boost = "none"
[[strategies]]
name = "large"
[strategies.boost.value]
share = 0.5
max = 40
[[strategies]]
name = "fixed"
boost = { fixed = { connects = 12 } }
"#;

    #[test]
    fn the_caps_marked_are_the_scenarios_and_slots_fill_from_its_slots() {
        let mut data = run(Vec::new(), SCENARIO);
        data.boost_bids = vec![bids(0, 0, 12, 3), bids(0, 1, 40, 5), bids(1, 1, 12, 2)];
        data.market_monthly = vec![
            market_month(0, 0, |r| {
                r.boost_bids = 9;
                r.boost_wins = 3;
                r.posts_with_boost_bids = 3;
            }),
            market_month(1, 0, |r| {
                r.boost_bids = 10;
                r.boost_wins = 6;
                r.posts_with_boost_bids = 2;
            }),
        ];
        let chart = BoostChart::new(&data);
        let labels: Vec<String> = chart.caps.iter().map(Cap::label).collect();
        assert_eq!(labels, ["fixed's bid: 12", "large's cap: 40"]);
        // Every month pooled: 12 Connects won 3 + 2 times, 40 five times.
        assert_eq!(chart.prices.wins, BTreeMap::from([(12, 5), (40, 5)]));
        assert_eq!(chart.prices.total, 10);
        let month0 = |panel: &LinePanel| panel.lines[0].points[0].1.mean;
        let [per_auction, filled, _] = &chart.competition;
        // Bids per auction: 9/3 and 10/2, averaged.
        assert_eq!(month0(per_auction), 4.0);
        // Slots filled: 3/(3·4) and 6/(2·4), averaged.
        assert_eq!(month0(filled), (0.25 + 0.75) / 2.0);
        assert_eq!(filled.unit, Unit::Percent);
        assert_eq!(filled.caption.as_deref(), Some("slots filled (4 a post)"));
    }

    #[test]
    fn without_a_scenario_there_are_no_caps_and_wins_per_auction() {
        let mut data = run(Vec::new(), "not = [a scenario");
        data.market_monthly = vec![market_month(0, 0, |r| {
            r.boost_wins = 3;
            r.posts_with_boost_bids = 2;
        })];
        let chart = BoostChart::new(&data);
        assert!(chart.caps.is_empty());
        let filled = &chart.competition[1];
        assert_eq!(filled.lines[0].points[0].1.mean, 1.5);
        assert_eq!(filled.unit, Unit::Number);
    }
}
