//! The engine: one replication of the market, from the first post to the horizon.
//!
//! An event loop (MODEL.md version 2) over job posts (a Poisson process), agents getting to
//! a post (each noticing agent at posting + its response delay, each invitee likewise),
//! auction closes, the client's decision or a removal, and contract ends, in time order
//! (ties in the order they were scheduled; [`EventQueue`]). An agent decides when it gets to
//! a post, with its state of that moment, and a proposal it makes is paid at once. Agents'
//! billing days and their Connects' expiries are applied lazily: before anything touches an
//! agent ([`Sim::catch_up`]) and for every agent at each month's end, so every event lands in
//! the month it happens. Each rule of MODEL.md is a method or a function named after it.
//!
//! What cannot change between posting and an agent's arrival is checked at posting, so that
//! no event is scheduled for an agent that would not apply: whether it has joined by then,
//! whether it was invited, whether the post will have closed (counted then as an arrival
//! after the close), the strategy's filters on the post, its fit, and a weekly cap already
//! reached for the week of its arrival. Only a post that an applicant cap can close early
//! keeps such agents as [`EventKind::Bystander`] events, to count them if they arrive after
//! that close.
//!
//! The engine reads no file and no clock; its randomness comes from the replication's
//! [`Streams`], so a replication's output depends on (scenario, seed, replication) alone.

mod agents;
mod applying;
mod attention;
mod calendar;
mod outcome;
mod posting;
pub mod queue;
mod settlement;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};

use crate::auction::{Bid, Win};
use crate::ledger::{Connects, Ledger, Piece, Totals};
use crate::market::{NoticeGroup, next_arrival, scaled_cost};
use crate::random::{Draws, Stream, StreamRng, Streams};
use crate::results::{
    ALL_AGENTS, AgentRoiRow, AgentRow, AgentSpendRow, BoostBidRow, MarketMonthRow,
    PostProposalsRow, Rows, StrategyMonthRow, ratio,
};
use crate::review::Shown;
use crate::scenario::model::{HOURS_PER_DAY, HOURS_PER_MONTH, Model, month_start};
use crate::stats::quantile_sorted;
use agents::{Agent, Profile, create_agents, notice_groups};
use applying::Deferred;
use posting::{LATE_SHARE, Post};
use queue::EventQueue;

type Rng = StreamRng;

/// Simulates one replication; its rows come in key order.
pub fn simulate(model: &Model, replication: u32, with_agents: bool) -> Rows {
    let mut sim = Sim::new(model, Streams::new(model.seed, replication));
    sim.run();
    sim.finish(replication, with_agents)
}

/// Counters of an agent's activity (the ledger keeps the Connects).
#[derive(Debug, Clone, Copy, Default)]
struct Activity {
    proposals: u64,
    boosted: u64,
    boost_wins: u64,
    invites_answered: u64,
    interviews: u64,
    hires: u64,
    usd_connects: f64,
    usd_plan: f64,
    usd_earned: f64,
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
struct Cumulative {
    activity: Activity,
    connects: Totals,
    balance: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum EventKind {
    /// A noticing agent gets to a post; with its own draws' (fit, quality) when they were
    /// settled at posting and no learner can change them.
    Arrival {
        post: u32,
        agent: u32,
        drawn: Option<(f64, f64)>,
    },
    /// An invitee gets to the post it was invited to.
    Answer {
        post: u32,
        agent: u32,
    },
    /// A noticing agent that would not apply gets to a post an applicant cap can close early:
    /// counted only if it arrives after the close.
    Bystander {
        post: u32,
    },
    AuctionClose(u32),
    /// The client's decision, or the removal of a violating post.
    Resolve(u32),
    ContractEnd(u32),
    /// An agent out of the attention lists comes back, if it is still due then.
    Return(u32),
}

/// A step of the event loop, as the observer sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Post,
    Event(EventKind),
    MonthEnd,
}

struct Sim<'m> {
    model: &'m Model,
    streams: Streams,
    agents: Vec<Agent>,
    profiles: Vec<Profile>,
    /// Each agent's deferred arrivals.
    deferred: Vec<Vec<Deferred>>,
    ledgers: Vec<Ledger>,
    activity: Vec<Activity>,
    /// Beta posteriors (hires, misses) of learning agents, by (category, tier).
    learner_arena: Vec<(f64, f64)>,
    /// Per category: the groups of agents sharing a strategy and a notice rate.
    notice_groups: Vec<Vec<NoticeGroup>>,
    /// Per category and group: a bit set of the members present in the attention list.
    present: Vec<Vec<Vec<u64>>>,
    /// Per strategy: the delay beyond which its agents are late ([`LATE_SHARE`]).
    late_after: Vec<f64>,
    /// Per category: recent posts (posting number, post, posting time), for the agents
    /// that come back to the attention lists.
    recent: Vec<VecDeque<(u64, u32, f64)>>,
    /// The longest `late_after` of the groups that skip absent members.
    recent_window: f64,
    /// The fewest Connects any post can cost.
    cheapest_post: Connects,
    /// Per category: agents sorted by join time, and their join times (for invitations).
    by_join: Vec<Vec<u32>>,
    join_times: Vec<Vec<f64>>,
    posts: Vec<Post>,
    free_posts: Vec<u32>,
    posted: u64,
    /// Whether `plan_arrival` settles at posting what cannot change by the arrival (always,
    /// but in the test that checks the shortcuts against deciding everything at arrival).
    shortcuts: bool,
    queue: EventQueue<EventKind>,
    // Reused buffers of the hot path.
    noticed: Vec<usize>,
    late: Vec<(usize, f64)>,
    words: Vec<u64>,
    invited: Vec<u32>,
    bids: Vec<Bid>,
    wins: Vec<Win>,
    shown: Vec<Shown>,
    interviewed: Vec<(f64, u32)>,
    scratch: Vec<Piece>,
    // Outputs.
    month: usize,
    market: Vec<MarketMonthRow>,
    boost_price_sum: Vec<u64>,
    boost_prices: BTreeMap<(u32, u32), u64>,
    /// Resolved posts by their number of proposals.
    post_proposals: Vec<u64>,
    previous: Vec<Cumulative>,
    strategy_rows: Vec<Vec<StrategyMonthRow>>,
    proposals: u64,
    /// The random draws made, by kind (for `bench`'s floor).
    draws: Cell<Draws>,
}

impl<'m> Sim<'m> {
    fn new(model: &'m Model, streams: Streams) -> Sim<'m> {
        let (agents, mut profiles) = create_agents(model, &mut streams.rng(Stream::Population, 0));
        let n = agents.len();
        let categories = model.jobs.category_names.len();
        let mut learner_arena = Vec::new();
        for (a, profile) in agents.iter().zip(&mut profiles) {
            if let Some(prior) = model.strategies[a.strategy as usize].learner {
                profile.learner = Some(learner_arena.len());
                learner_arena.extend(std::iter::repeat_n(prior, categories * model.tiers.len()));
            }
        }
        let notice_groups = notice_groups(model, &agents, &profiles);
        let mut present = Vec::new();
        for (c, groups) in notice_groups.iter().enumerate() {
            let mut sets = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                let n = group.agents.len();
                let mut words = vec![u64::MAX; n.div_ceil(64)];
                if n % 64 != 0 {
                    *words.last_mut().expect("a group has members") = (1 << (n % 64)) - 1;
                }
                sets.push(words);
                for (i, &a) in group.agents.iter().enumerate() {
                    profiles[a as usize].memberships.push((c, g, i));
                }
            }
            present.push(sets);
        }
        let late_after: Vec<f64> = model
            .strategies
            .iter()
            .map(|s| s.response_delay_hours.quantile(1.0 - LATE_SHARE))
            .collect();
        let mut recent_window: f64 = 0.0;
        for profile in &mut profiles {
            profile.attends_fully = profile
                .memberships
                .iter()
                .all(|&(c, g, _)| notice_groups[c][g].base_rate >= 1.0);
        }
        for group in notice_groups.iter().flatten() {
            if group.base_rate >= 1.0 {
                recent_window = recent_window.max(late_after[group.strategy]);
            }
        }
        let cheapest_post = model
            .tiers
            .iter()
            .map(|t| scaled_cost(t.connects_min, model.jobs.connects_multiplier))
            .min()
            .unwrap_or(1);
        let mut by_join: Vec<Vec<u32>> = vec![Vec::new(); categories];
        for (id, a) in profiles.iter().enumerate() {
            for (c, list) in by_join.iter_mut().enumerate() {
                if a.categories & (1 << c) != 0 {
                    list.push(id as u32);
                }
            }
        }
        for list in &mut by_join {
            list.sort_by(|&x, &y| {
                agents[x as usize]
                    .joined_at
                    .total_cmp(&agents[y as usize].joined_at)
                    .then(x.cmp(&y))
            });
        }
        let join_times = by_join
            .iter()
            .map(|l| l.iter().map(|&a| agents[a as usize].joined_at).collect())
            .collect();
        let months = model.months as usize;
        // Buckets about one post's arrivals wide.
        let peak_rate = model.jobs.per_hour
            * model
                .jobs
                .seasonality
                .iter()
                .copied()
                .fold(1.0_f64, f64::max);
        let horizon = model.horizon_hours();
        Sim {
            model,
            streams,
            agents,
            profiles,
            deferred: vec![Vec::new(); n],
            ledgers: vec![Ledger::new(); n],
            activity: vec![Activity::default(); n],
            learner_arena,
            notice_groups,
            present,
            late_after,
            recent: vec![VecDeque::new(); categories],
            recent_window,
            cheapest_post,
            by_join,
            join_times,
            posts: Vec::new(),
            free_posts: Vec::new(),
            posted: 0,
            shortcuts: true,
            queue: EventQueue::new(horizon, 1.0 / peak_rate.max(1e-9)),
            noticed: Vec::new(),
            late: Vec::new(),
            words: Vec::new(),
            invited: Vec::new(),
            bids: Vec::new(),
            wins: Vec::new(),
            shown: Vec::new(),
            interviewed: Vec::new(),
            scratch: Vec::new(),
            month: 0,
            market: vec![MarketMonthRow::default(); months],
            boost_price_sum: vec![0; months],
            boost_prices: BTreeMap::new(),
            post_proposals: Vec::new(),
            previous: vec![Cumulative::default(); model.strategies.len()],
            strategy_rows: vec![Vec::new(); months],
            proposals: 0,
            draws: Cell::new(Draws::default()),
        }
    }

    fn run(&mut self) {
        self.run_observed(|_, _| {});
    }

    /// The event loop; `observe` sees the state after every step (tests check invariants
    /// with it; the run passes a no-op).
    fn run_observed(&mut self, mut observe: impl FnMut(Step, &Sim)) {
        let horizon = self.model.horizon_hours();
        for id in 0..self.agents.len() {
            self.leave_if_blocked(id, 0.0);
        }
        let mut arrivals = self.streams.rng(Stream::Arrivals, 0);
        let mut next_post = next_arrival(&self.model.jobs, 0.0, horizon, &mut arrivals);
        loop {
            let next_event = self.queue.peek_time();
            let t = match (next_post, next_event) {
                (None, None) => horizon,
                (p, e) => p.unwrap_or(f64::INFINITY).min(e.unwrap_or(f64::INFINITY)),
            };
            while self.month < self.model.months as usize && t >= month_start(self.month + 1) {
                self.close_month();
                observe(Step::MonthEnd, self);
            }
            if t >= horizon {
                break;
            }
            if next_post == Some(t) && next_event.is_none_or(|e| t <= e) {
                self.post(t);
                next_post = next_arrival(&self.model.jobs, t, horizon, &mut arrivals);
                observe(Step::Post, self);
            } else if let Some((t, event)) = self.queue.pop() {
                match event {
                    EventKind::Arrival { post, agent, drawn } => self.arrive(post, agent, t, drawn),
                    EventKind::Answer { post, agent } => self.answer_invitation(post, agent, t),
                    EventKind::Bystander { post } => {
                        if self.is_closed(post, t) {
                            self.count_late_arrival(t, false);
                        }
                    }
                    EventKind::AuctionClose(post) => self.close_post_auction(post, t),
                    EventKind::Resolve(post) => self.resolve(post, t),
                    EventKind::ContractEnd(agent) => self.end_contract(agent),
                    EventKind::Return(agent) => self.return_if_due(agent as usize, t),
                }
                observe(Step::Event(event), self);
            }
        }
        while self.month < self.model.months as usize {
            self.close_month();
            observe(Step::MonthEnd, self);
        }
    }

    /// Counts random draws (see [`Draws`]).
    #[inline]
    fn count(&self, f: impl FnOnce(&mut Draws)) {
        let mut d = self.draws.get();
        f(&mut d);
        self.draws.set(d);
    }

    /// An agent that got to a post after it closed (an invitee, or an agent that noticed it).
    fn count_late_arrival(&mut self, at: f64, invited: bool) {
        let month = self.month_of(at);
        let m = &mut self.market[month];
        if invited {
            m.invited_arrivals_after_close += 1;
        } else {
            m.arrivals_after_close += 1;
        }
    }

    // ---- Outputs --------------------------------------------------------------------

    /// Ends month `self.month`: brings every agent to the month's end and records each
    /// strategy's row as the change of its cumulative totals.
    fn close_month(&mut self) {
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

    fn finish(self, replication: u32, with_agents: bool) -> Rows {
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
