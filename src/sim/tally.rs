//! The tally of what happened: each agent's activity counters, each month's market
//! counters, each strategy's cumulative totals at a month's end, the random draws made; and
//! the [`Tally`] of numbers a replication returns, which `crate::rows` turns into rows.

use std::collections::BTreeMap;

use super::Sim;
use crate::ledger::Totals;
use crate::random::Draws;
use crate::scenario::model::month_start;

/// What one replication did, in numbers.
#[derive(Debug)]
pub(crate) struct Tally {
    /// Per month: each strategy's cumulative totals at its end, in the model's order.
    pub(crate) strategy_months: Vec<Vec<Cumulative>>,
    /// Per month: the market's counters.
    pub(crate) market: Vec<MarketMonth>,
    /// Winning boost bids by (month, Connects charged).
    pub(crate) boost_prices: BTreeMap<(u32, u32), u64>,
    /// Resolved posts by their number of proposals.
    pub(crate) post_proposals: Vec<u64>,
    /// Each agent at the horizon, by id.
    pub(crate) agents: Vec<AgentTally>,
    /// Proposals made.
    pub(crate) proposals: u64,
    /// The random draws made, by kind (for `bench`'s floor).
    pub(crate) draws: Draws,
}

/// One agent at the horizon.
#[derive(Debug)]
pub(crate) struct AgentTally {
    pub(crate) strategy: u32,
    /// Bit set of its categories.
    pub(crate) categories: u64,
    pub(crate) skill: f64,
    pub(crate) joined_at: f64,
    pub(crate) completed: u32,
    pub(crate) reputation: f64,
    pub(crate) activity: Activity,
    pub(crate) connects: Totals,
    pub(crate) balance: u64,
}

/// The market's counters in one month: the columns of `market_monthly.csv` (see
/// `results::MarketMonthRow` for what each counts, and in which month), with the Connects
/// charged to winning bids in place of their mean.
#[derive(Debug, Clone, Default)]
pub(crate) struct MarketMonth {
    pub(crate) jobs_posted: u64,
    pub(crate) jobs_hired: u64,
    pub(crate) jobs_cancelled: u64,
    pub(crate) jobs_expired: u64,
    pub(crate) jobs_removed: u64,
    pub(crate) proposals: u64,
    pub(crate) interviews: u64,
    pub(crate) boost_bids: u64,
    pub(crate) boost_wins: u64,
    /// Connects charged to the winning bids.
    pub(crate) boost_price_sum: u64,
    pub(crate) platform_usd_connects: f64,
    pub(crate) platform_usd_plans: f64,
    pub(crate) arrivals_after_close: u64,
    pub(crate) capped_posts: u64,
    pub(crate) capped_proposals: u64,
    pub(crate) capped_hires: u64,
    pub(crate) uncapped_posts: u64,
    pub(crate) uncapped_proposals: u64,
    pub(crate) uncapped_hires: u64,
    pub(crate) posts_with_boost_bids: u64,
    pub(crate) invited_arrivals_after_close: u64,
    pub(crate) slot_winners: u64,
    pub(crate) slot_winner_hires: u64,
    pub(crate) placebo_winners: u64,
    pub(crate) placebo_winner_hires: u64,
}

/// Counters of an agent's activity (the ledger keeps the Connects).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Activity {
    pub(crate) proposals: u64,
    pub(crate) boosted: u64,
    pub(crate) boost_wins: u64,
    pub(crate) invites_answered: u64,
    pub(crate) interviews: u64,
    pub(crate) hires: u64,
    pub(crate) usd_connects: f64,
    pub(crate) usd_plan: f64,
    pub(crate) usd_earned: f64,
}

impl std::ops::AddAssign for Activity {
    fn add_assign(&mut self, o: Activity) {
        self.proposals += o.proposals;
        self.boosted += o.boosted;
        self.boost_wins += o.boost_wins;
        self.invites_answered += o.invites_answered;
        self.interviews += o.interviews;
        self.hires += o.hires;
        self.usd_connects += o.usd_connects;
        self.usd_plan += o.usd_plan;
        self.usd_earned += o.usd_earned;
    }
}

/// A strategy's cumulative totals at a month's end.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cumulative {
    pub(crate) activity: Activity,
    pub(crate) connects: Totals,
    pub(crate) balance: u64,
}

impl<'m> Sim<'m> {
    /// Counts random draws (see [`Draws`]).
    #[inline]
    pub(super) fn count(&self, f: impl FnOnce(&mut Draws)) {
        let mut d = self.draws.get();
        f(&mut d);
        self.draws.set(d);
    }

    /// An agent that got to a post after it closed (an invitee, or an agent that noticed it).
    pub(super) fn count_late_arrival(&mut self, at: f64, invited: bool) {
        let month = self.month_of(at);
        let m = &mut self.market[month];
        if invited {
            m.invited_arrivals_after_close += 1;
        } else {
            m.arrivals_after_close += 1;
        }
    }

    /// Ends month `self.month`: brings every agent to the month's end and records each
    /// strategy's cumulative totals.
    pub(super) fn close_month(&mut self) {
        let end = month_start(self.month + 1);
        for id in 0..self.agents.len() {
            self.catch_up(id, end, false);
        }
        let now = self.cumulative();
        self.strategy_months.push(now);
        self.month += 1;
    }

    /// Each strategy's cumulative totals now.
    fn cumulative(&self) -> Vec<Cumulative> {
        let mut out = vec![Cumulative::default(); self.model.strategies.len()];
        for (id, a) in self.agents.iter().enumerate() {
            let c = &mut out[a.strategy as usize];
            c.activity += self.activity[id];
            c.connects += self.ledgers[id].totals();
            c.balance += self.ledgers[id].balance();
        }
        out
    }

    /// What the replication did, at its end.
    pub(super) fn finish(self) -> Tally {
        let agents = (self.agents.iter().zip(&self.profiles).enumerate())
            .map(|(id, (a, profile))| AgentTally {
                strategy: a.strategy,
                categories: profile.categories,
                skill: profile.skill,
                joined_at: a.joined_at,
                completed: profile.completed,
                reputation: profile.reputation,
                activity: self.activity[id],
                connects: self.ledgers[id].totals(),
                balance: self.ledgers[id].balance(),
            })
            .collect();
        Tally {
            strategy_months: self.strategy_months,
            market: self.market,
            boost_prices: self.boost_prices,
            post_proposals: self.post_proposals,
            agents,
            proposals: self.proposals,
            draws: self.draws.get(),
        }
    }
}
