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
//!
//! One file a job: [`queue`] (the event queue), `agents` (the hot columns apart from the
//! cold ones, the population, the notice groups), `attention` (the attention lists),
//! `calendar` (joining, billing days, expiry, weeks, the month of a time), `posting` (a post,
//! its invitees and noticers, what is settled at posting), `applying` (an agent's decision at
//! its arrival, deferred arrivals, the proposal), `settlement` (every Connect moved for a
//! post: payments, holds, charges, releases, refunds), `outcome` (the review, the hire,
//! contracts, learning) and `tally` (what happened, in numbers: the `Tally` a replication
//! returns). The engine knows nothing of the CSV files: `crate::rows` turns a tally into rows.

mod agents;
mod applying;
mod attention;
mod calendar;
mod invitations;
mod outcome;
mod posting;
pub mod queue;
mod settlement;
mod tally;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::auction::{Bid, Win};
use crate::ledger::{Connects, Ledger, Piece};
use crate::market::{InviteScratch, NoticeGroup, next_arrival, scaled_cost};
use crate::random::{Draws, Stream, StreamRng, Streams};
use crate::review::Shown;
use crate::scenario::model::{Model, month_start};
use agents::{Agent, Profile, create_agents, notice_groups};
use applying::Deferred;
use invitations::Invitable;
use posting::{LATE_SHARE, Post};
use queue::EventQueue;
use tally::{Activity, MarketMonth};
pub(crate) use tally::{Cumulative, Tally};

type Rng = StreamRng;

/// What a replication under way reads and tells: whether it must stop (read at each post)
/// and how many months it has closed (added to as each ends, for a progress bar).
#[derive(Debug, Clone, Copy)]
pub struct Watch<'a> {
    pub stop: &'a AtomicBool,
    pub months_done: &'a AtomicU64,
}

impl Watch<'static> {
    /// A watch that nothing stops and nobody reads.
    pub fn unwatched() -> Watch<'static> {
        static NEVER: AtomicBool = AtomicBool::new(false);
        static UNREAD: AtomicU64 = AtomicU64::new(0);
        Watch {
            stop: &NEVER,
            months_done: &UNREAD,
        }
    }
}

/// Simulates one replication: what happened in it, in numbers; `None` if `watch.stop` was
/// set before it reached the horizon (an interrupted run).
pub(crate) fn run_replication(model: &Model, replication: u32, watch: Watch) -> Option<Tally> {
    let mut sim = Sim::new(model, Streams::new(model.seed, replication));
    sim.run(watch).then(|| sim.finish())
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
    /// Per category: the agents a client can invite.
    invitable: Vec<Invitable>,
    /// The log weight of an invitee with `k` completed contracts, by `k` (as far as needed).
    invite_log_weights: Vec<f64>,
    invite_scratch: InviteScratch,
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
    market: Vec<MarketMonth>,
    boost_prices: BTreeMap<(u32, u32), u64>,
    /// Resolved posts by their number of proposals.
    post_proposals: Vec<u64>,
    /// Per month closed: each strategy's cumulative totals at its end.
    strategy_months: Vec<Vec<Cumulative>>,
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
        let invitable = by_join
            .into_iter()
            .map(|list| {
                let times = list.iter().map(|&a| agents[a as usize].joined_at).collect();
                Invitable::new(list, times)
            })
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
            invitable,
            invite_log_weights: Vec::new(),
            invite_scratch: InviteScratch::default(),
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
            market: vec![MarketMonth::default(); months],
            boost_prices: BTreeMap::new(),
            post_proposals: Vec::new(),
            strategy_months: Vec::with_capacity(months),
            proposals: 0,
            draws: Cell::new(Draws::default()),
        }
    }

    /// Runs to the horizon unless `watch.stop` is set first; returns whether it got there.
    fn run(&mut self, watch: Watch) -> bool {
        self.run_observed(watch, |_, _| {})
    }

    /// The event loop; `observe` sees the state after every step (tests check invariants
    /// with it; the run passes a no-op). `watch.stop` is read at each post: once it is set,
    /// the loop returns `false` within a post's worth of work.
    fn run_observed(&mut self, watch: Watch, mut observe: impl FnMut(Step, &Sim)) -> bool {
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
                watch.months_done.fetch_add(1, Ordering::Relaxed);
                observe(Step::MonthEnd, self);
            }
            if t >= horizon {
                break;
            }
            if next_post == Some(t) && next_event.is_none_or(|e| t <= e) {
                if watch.stop.load(Ordering::Relaxed) {
                    return false;
                }
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
            watch.months_done.fetch_add(1, Ordering::Relaxed);
            observe(Step::MonthEnd, self);
        }
        true
    }
}
