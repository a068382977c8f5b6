//! The tally of what happened: each agent's activity counters, each month's market
//! counters, each strategy's cumulative totals at a month's end, the random draws made.

use super::Sim;
use crate::ledger::Totals;
use crate::random::Draws;
use crate::results::{
    ALL_AGENTS, AgentRoiRow, AgentRow, AgentSpendRow, BoostBidRow, MarketMonthRow,
    PostProposalsRow, Rows, StrategyMonthRow, ratio,
};
use crate::scenario::model::{HOURS_PER_DAY, HOURS_PER_MONTH, month_start};
use crate::stats::quantile_sorted;

/// Counters of an agent's activity (the ledger keeps the Connects).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Activity {
    pub(super) proposals: u64,
    pub(super) boosted: u64,
    pub(super) boost_wins: u64,
    pub(super) invites_answered: u64,
    pub(super) interviews: u64,
    pub(super) hires: u64,
    pub(super) usd_connects: f64,
    pub(super) usd_plan: f64,
    pub(super) usd_earned: f64,
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
pub(super) struct Cumulative {
    activity: Activity,
    connects: Totals,
    balance: u64,
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
    /// strategy's row as the change of its cumulative totals.
    pub(super) fn close_month(&mut self) {
        let model = self.model;
        let end = month_start(self.month + 1);
        for id in 0..self.agents.len() {
            self.catch_up(id, end, false);
        }
        let now = self.cumulative();
        let price = model.connects.price_usd;
        for (s, strategy) in model.strategies.iter().enumerate() {
            let (cur, prev) = (now[s], self.previous[s]);
            let cost = (cur.connects.spent as f64 - cur.connects.refunded as f64) * price
                + cur.activity.usd_plan;
            self.strategy_rows[self.month].push(StrategyMonthRow {
                replication: 0,
                month: self.month as u32,
                strategy: strategy.name.clone(),
                agents: strategy.agents,
                proposals: cur.activity.proposals - prev.activity.proposals,
                boosted: cur.activity.boosted - prev.activity.boosted,
                boost_wins: cur.activity.boost_wins - prev.activity.boost_wins,
                invites_answered: cur.activity.invites_answered - prev.activity.invites_answered,
                interviews: cur.activity.interviews - prev.activity.interviews,
                hires: cur.activity.hires - prev.activity.hires,
                connects_granted: cur.connects.granted - prev.connects.granted,
                connects_bought: cur.connects.bought - prev.connects.bought,
                connects_spent: cur.connects.spent - prev.connects.spent,
                connects_refunded: cur.connects.refunded - prev.connects.refunded,
                connects_expired: cur.connects.expired - prev.connects.expired,
                connects_balance: cur.balance,
                usd_connects: cur.activity.usd_connects - prev.activity.usd_connects,
                usd_plan: cur.activity.usd_plan - prev.activity.usd_plan,
                usd_earned: cur.activity.usd_earned - prev.activity.usd_earned,
                roi_cum: ratio(cur.activity.usd_earned - cost, cost),
            });
        }
        self.previous = now;
        let m = &mut self.market[self.month];
        m.replication = 0;
        m.month = self.month as u32;
        m.mean_boost_price = ratio(self.boost_price_sum[self.month] as f64, m.boost_wins as f64);
        self.month += 1;
    }

    /// Each strategy's cumulative totals now.
    fn cumulative(&self) -> Vec<Cumulative> {
        let mut out = vec![Cumulative::default(); self.model.strategies.len()];
        for (id, a) in self.agents.iter().enumerate() {
            let c = &mut out[a.strategy as usize];
            c.activity += self.activity[id];
            c.connects += self.ledgers[id].totals();
            c.balance += u64::from(self.ledgers[id].balance());
        }
        out
    }

    pub(super) fn finish(self, replication: u32, with_agents: bool) -> Rows {
        let model = self.model;
        let agent_spend = agent_spend_rows(&self, replication);
        let price = model.connects.price_usd;
        let mut strategy_monthly = Vec::new();
        for mut rows in self.strategy_rows {
            rows.sort_by(|a, b| a.strategy.cmp(&b.strategy));
            for mut r in rows {
                r.replication = replication;
                strategy_monthly.push(r);
            }
        }
        let market_monthly = self
            .market
            .into_iter()
            .map(|m| MarketMonthRow { replication, ..m })
            .collect();
        let boost_bids = self
            .boost_prices
            .into_iter()
            .map(|((month, price), wins)| BoostBidRow {
                replication,
                month,
                price,
                wins,
            })
            .collect();
        // Per-agent ROI over the horizon.
        let mut per_strategy: Vec<Vec<f64>> = vec![Vec::new(); model.strategies.len()];
        let mut agents = Vec::new();
        for (id, (a, profile)) in self.agents.iter().zip(&self.profiles).enumerate() {
            let t = self.ledgers[id].totals();
            let act = self.activity[id];
            let cost = (t.spent as f64 - t.refunded as f64) * price + act.usd_plan;
            let roi = ratio(act.usd_earned - cost, cost);
            if let Some(r) = roi {
                per_strategy[a.strategy as usize].push(r);
            }
            if with_agents {
                agents.push(AgentRow {
                    replication,
                    agent: id as u32,
                    strategy: model.strategies[a.strategy as usize].name.clone(),
                    categories: (0..model.jobs.category_names.len())
                        .filter(|c| profile.categories & (1 << c) != 0)
                        .map(|c| model.jobs.category_names[c].as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    skill: profile.skill,
                    joined_day: a.joined_at / HOURS_PER_DAY,
                    proposals: act.proposals,
                    invites_answered: act.invites_answered,
                    interviews: act.interviews,
                    hires: act.hires,
                    completed: profile.completed,
                    reputation: profile.reputation,
                    connects_granted: t.granted,
                    connects_bought: t.bought,
                    connects_spent: t.spent,
                    connects_refunded: t.refunded,
                    connects_expired: t.expired,
                    connects_balance: u64::from(self.ledgers[id].balance()),
                    usd_connects: act.usd_connects,
                    usd_plan: act.usd_plan,
                    usd_earned: act.usd_earned,
                    cost_usd: cost,
                    roi,
                });
            }
        }
        let mut agent_roi: Vec<AgentRoiRow> = model
            .strategies
            .iter()
            .zip(per_strategy.iter_mut())
            .map(|(s, rois)| {
                rois.sort_by(f64::total_cmp);
                let n = rois.len();
                let q = |p: f64| quantile_sorted(rois, p);
                AgentRoiRow {
                    replication,
                    strategy: s.name.clone(),
                    agents: s.agents,
                    agents_with_cost: n as u32,
                    share_positive: ratio(
                        rois.iter().filter(|&&r| r > 0.0).count() as f64,
                        n as f64,
                    ),
                    p05: q(0.05),
                    p25: q(0.25),
                    p50: q(0.5),
                    p75: q(0.75),
                    p95: q(0.95),
                    mean: ratio(rois.iter().sum(), n as f64),
                }
            })
            .collect();
        agent_roi.sort_by(|a, b| a.strategy.cmp(&b.strategy));
        let post_proposals = self
            .post_proposals
            .iter()
            .enumerate()
            .filter(|&(_, &posts)| posts > 0)
            .map(|(proposals, &posts)| PostProposalsRow {
                replication,
                proposals: proposals as u32,
                posts,
            })
            .collect();
        Rows {
            strategy_monthly,
            market_monthly,
            agent_roi,
            boost_bids,
            post_proposals,
            agent_spend,
            agents,
            proposals: self.proposals,
            draws: self.draws.get(),
        }
    }
}

/// `agent_spend_quantiles.csv`: per agent, the USD of bundles over its months in the market
/// (from joining to the horizon); the quantiles by strategy and over all agents.
fn agent_spend_rows(sim: &Sim, replication: u32) -> Vec<AgentSpendRow> {
    let model = sim.model;
    let horizon = model.horizon_hours();
    let mut per_strategy: Vec<Vec<f64>> = vec![Vec::new(); model.strategies.len()];
    for (id, a) in sim.agents.iter().enumerate() {
        let months = (horizon - a.joined_at) / HOURS_PER_MONTH;
        if months > 0.0 {
            per_strategy[a.strategy as usize].push(sim.activity[id].usd_connects / months);
        }
    }
    let row = |strategy: &str, mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        AgentSpendRow {
            replication,
            strategy: strategy.to_string(),
            agents: values.len() as u32,
            p50: quantile_sorted(&values, 0.5),
            p90: quantile_sorted(&values, 0.9),
            mean: ratio(values.iter().sum(), values.len() as f64),
        }
    };
    let mut rows: Vec<AgentSpendRow> = model
        .strategies
        .iter()
        .zip(&per_strategy)
        .map(|(s, v)| row(&s.name, v.clone()))
        .collect();
    rows.push(row(ALL_AGENTS, per_strategy.concat()));
    rows.sort_by(|a, b| a.strategy.cmp(&b.strategy));
    rows
}
