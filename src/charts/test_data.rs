//! Hand-made runs for the charts' tests: a few rows, with the numbers a test checks.

use std::path::PathBuf;

use crate::results::{BoostBidRow, MarketMonthRow, RunData, StrategyMonthRow};

/// A run of `strategy_monthly` rows alone, of the resolved scenario `resolved`.
pub(crate) fn run(strategy_monthly: Vec<StrategyMonthRow>, resolved: &str) -> RunData {
    RunData {
        dir: PathBuf::from("hand-made"),
        scenario: "hand-made".to_string(),
        resolved_scenario: resolved.to_string(),
        strategy_monthly,
        ..RunData::default()
    }
}

/// A `strategy_monthly` row of 10 agents, changed by `with`.
pub(crate) fn strategy_month(
    replication: u32,
    month: u32,
    strategy: &str,
    with: impl FnOnce(&mut StrategyMonthRow),
) -> StrategyMonthRow {
    let mut row = StrategyMonthRow {
        replication,
        month,
        strategy: strategy.to_string(),
        agents: 10,
        ..StrategyMonthRow::default()
    };
    with(&mut row);
    row
}

/// A `market_monthly` row, changed by `with`.
pub(crate) fn market_month(
    replication: u32,
    month: u32,
    with: impl FnOnce(&mut MarketMonthRow),
) -> MarketMonthRow {
    let mut row = MarketMonthRow {
        replication,
        month,
        ..MarketMonthRow::default()
    };
    with(&mut row);
    row
}

/// A `boost_bids` row.
pub(crate) fn bids(replication: u32, month: u32, price: u32, wins: u64) -> BoostBidRow {
    BoostBidRow {
        replication,
        month,
        price,
        wins,
    }
}
