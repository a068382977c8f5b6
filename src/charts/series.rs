//! The numbers the charts draw, prepared from a run's rows: the strategies in chart order
//! (by name, which fixes each one's colour), the run's size, and per-month means with
//! their 95% intervals across replications.

use std::collections::{BTreeMap, BTreeSet};

use crate::results::{RunData, StrategyMonthRow};
use crate::stats::{MeanCi, mean_ci};

/// The run's strategies by name: the order, and so the colours, of every chart.
pub(crate) fn strategy_names(data: &RunData) -> Vec<String> {
    let monthly = data.strategy_monthly.iter().map(|r| &r.strategy);
    let agents = data.agent_roi.iter().map(|r| &r.strategy);
    let names: BTreeSet<&String> = monthly.chain(agents).collect();
    names.into_iter().cloned().collect()
}

/// The number of replications in the run's monthly rows.
pub(crate) fn replication_count(data: &RunData) -> usize {
    let strategy = data.strategy_monthly.iter().map(|r| r.replication);
    let market = data.market_monthly.iter().map(|r| r.replication);
    strategy.chain(market).collect::<BTreeSet<u32>>().len()
}

/// The number of months of the run (last month in the rows + 1, saturating; 0 for no rows).
pub(crate) fn month_count(data: &RunData) -> u32 {
    let strategy = data
        .strategy_monthly
        .iter()
        .map(|r| r.month.saturating_add(1));
    let market = data
        .market_monthly
        .iter()
        .map(|r| r.month.saturating_add(1));
    strategy.chain(market).max().unwrap_or(0)
}

/// What the line and the band of a chart are, for its subtitle.
pub(crate) fn mean_note(replications: usize) -> String {
    match replications {
        0 => "no replication in the run's files".to_string(),
        1 => "line: a single replication, so no confidence interval".to_string(),
        n => format!("line: mean of {n} replications; shaded: its 95% confidence interval"),
    }
}

/// Per month (as x), the mean and 95% interval of the `(month, value)` pairs of all
/// replications; non-finite values are dropped, months without values left out.
pub(crate) fn by_month(values: impl IntoIterator<Item = (u32, f64)>) -> Vec<(f64, MeanCi)> {
    let mut months: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    for (month, value) in values {
        if value.is_finite() {
            months.entry(month).or_default().push(value);
        }
    }
    months
        .into_iter()
        .filter_map(|(month, values)| mean_ci(&values).map(|ci| (f64::from(month), ci)))
        .collect()
}

/// Per strategy, [`by_month`] of `value` of each (replication, month) row where it is
/// defined.
pub(crate) fn strategy_monthly_series(
    rows: &[StrategyMonthRow],
    value: impl Fn(&StrategyMonthRow) -> Option<f64>,
) -> BTreeMap<String, Vec<(f64, MeanCi)>> {
    let mut by_strategy: BTreeMap<&str, Vec<(u32, f64)>> = BTreeMap::new();
    for row in rows {
        if let Some(v) = value(row) {
            by_strategy
                .entry(&row.strategy)
                .or_default()
                .push((row.month, v));
        }
    }
    by_strategy
        .into_iter()
        .map(|(name, values)| (name.to_string(), by_month(values)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_month_averages_replications_and_skips_gaps() {
        let points = by_month([(1, 1.0), (0, 2.0), (1, 3.0), (2, f64::NAN)]);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].0, 0.0);
        assert_eq!(points[0].1.mean, 2.0);
        assert_eq!(points[0].1.low, None);
        assert_eq!(points[1].1.mean, 2.0);
        assert_eq!(points[1].1.n, 2);
    }
}
