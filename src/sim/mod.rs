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
mod attention;
mod calendar;
pub mod queue;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};

use rand::RngExt;
use rand_distr::{Beta, Distribution};

use crate::auction::{Bid, Win, close_auction};
use crate::ledger::{Connects, Ledger, Piece, Totals};
use crate::market::{
    Job, NoticeGroup, geometric_draws, next_arrival, notice_probability, post_job, scaled_cost,
};
use crate::random::{Draws, Stream, StreamRng, Streams, chance};
use crate::results::{
    ALL_AGENTS, AgentRoiRow, AgentRow, AgentSpendRow, BoostBidRow, MarketMonthRow,
    PostProposalsRow, Rows, StrategyMonthRow, ratio,
};
use crate::review::{Shown, display_order, gumbel, hire_score, walk};
use crate::scenario::model::{HOURS_PER_DAY, HOURS_PER_MONTH, Model, month_start};
use crate::stats::quantile_sorted;
use crate::strategy::{
    boost_bid, bundle_to_buy, learner_says_apply, passes_fit_filter, passes_post_filters,
};
use agents::{Agent, Profile, create_agents, notice_groups};
use queue::EventQueue;

type Rng = StreamRng;

/// The share of a group's members drawn late to a post: their delays are the quantiles above
/// `1 − LATE_SHARE` of the strategy's delay, the others' below it. Not a number of the model
/// (every delay still has the scenario's distribution) but of how it is drawn: the others
/// get to the post within `late_after` of its posting, so an agent that comes back to the
/// attention lists need only look at the posts of that window ([`Sim::come_back`]).
const LATE_SHARE: f64 = 1.0 / 64.0;

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

/// A proposal on a post: what it was made with, and what it paid.
#[derive(Debug, Clone, Copy)]
struct Proposal {
    agent: u32,
    submitted: f64,
    fit: f64,
    quality: f64,
    invited: bool,
    /// Boost bid held in escrow (0: none).
    held_bid: Connects,
    /// Ranges into the post's pieces: base cost paid, hold, boost charge.
    paid: (u32, u32),
    held: (u32, u32),
    charged: (u32, u32),
    /// The boosted slot it won, or on a placebo post would have won.
    slot: Option<u32>,
}

/// What an agent's own draws on a post say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Applies {
        fit: f64,
        quality: f64,
    },
    /// The fit or the `apply_prob` draw says no: nothing can change that.
    Refuses,
    /// The learner's rule says no: its posterior may change before the arrival.
    LearnerRefuses,
}

/// The arrival of an agent that could not pay for the post, or whose learner refused it,
/// when it noticed it: kept aside until Connects come back to the agent or its posterior
/// changes.
#[derive(Debug, Clone, Copy)]
struct Deferred {
    at: f64,
    post: u32,
}

/// An open post.
#[derive(Debug, Default)]
struct Post {
    job: Option<Job>,
    /// Its posting number: the index of its streams.
    index: u64,
    /// When it closes to new proposals: the job's close, or earlier at the applicant cap.
    closes_at: f64,
    proposals: Vec<Proposal>,
    pieces: Vec<Piece>,
    auction_open: bool,
    /// An auction-close event is scheduled (at the first bid held before the decision).
    auction_scheduled: bool,
    /// Its invitees, and its late noticers (agents whose delay was drawn late).
    invitees: Vec<u32>,
    late: Vec<u32>,
    /// The groups of its category that skipped their absent members ([`Sim::notice`]).
    skipping_groups: Vec<usize>,
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

    // ---- A post: invitations and noticing -----------------------------------------------

    /// A job is posted at `t`: drawn from its own stream, then published.
    fn post(&mut self, t: f64) {
        let index = self.posted;
        self.posted += 1;
        let job = post_job(self.model, t, &mut self.streams.rng(Stream::Post, index));
        // The arrival's uniform, and about a dozen draws of the post's attributes.
        self.count(|d| {
            d.streams += 1;
            d.uniforms += 1;
            d.samples += 12;
        });
        self.publish(job, index);
    }

    /// Publishes a drawn job: the cap arm's count, the invitations and the noticing agents'
    /// arrivals, and the client's decision (or the removal).
    fn publish(&mut self, job: Job, index: u64) {
        let month = self.month_of(job.posted_at);
        let m = &mut self.market[month];
        m.jobs_posted += 1;
        if self.model.jobs.caps.is_some() {
            if job.capped {
                m.capped_posts += 1;
            } else {
                m.uncapped_posts += 1;
            }
        }
        let post = self.open_post(job, index);
        self.invite(post, &job, index);
        self.notice(post, &job, index);
        if !self.posts[post as usize].skipping_groups.is_empty() {
            let recent = &mut self.recent[job.category];
            while recent
                .front()
                .is_some_and(|&(_, _, at)| at + self.recent_window < job.posted_at)
            {
                recent.pop_front();
            }
            recent.push_back((index, post, job.posted_at));
        }
        let resolve_at = job.removed_at.unwrap_or(job.review_at);
        self.queue.schedule(resolve_at, EventKind::Resolve(post));
    }

    fn open_post(&mut self, job: Job, index: u64) -> u32 {
        let id = self.free_posts.pop().unwrap_or_else(|| {
            self.posts.push(Post::default());
            (self.posts.len() - 1) as u32
        });
        let post = &mut self.posts[id as usize];
        post.job = Some(job);
        post.index = index;
        post.closes_at = job.closes_at;
        post.proposals.clear();
        post.pieces.clear();
        post.auction_open = true;
        post.auction_scheduled = false;
        post.invitees.clear();
        post.late.clear();
        post.skipping_groups.clear();
        id
    }

    /// Invitations (from the post's invitation stream): with the scenario's probability the
    /// client invites `1 + extra` agents of the post's category who have joined, drawn
    /// without replacement with probability proportional to `exp(weight · reputation)`; each
    /// invitee gets to the post after its strategy's response delay.
    fn invite(&mut self, post: u32, job: &Job, index: u64) {
        self.invited.clear();
        let model = self.model;
        let inv = &model.invitations;
        let mut rng = self.streams.rng(Stream::Invitation, index);
        self.count(|d| {
            d.streams += 1;
            d.uniforms += 1;
        });
        if !chance(&mut rng, inv.prob) {
            return;
        }
        let t = job.posted_at;
        let c = job.category;
        let joined = self.join_times[c].partition_point(|&j| j <= t);
        let wanted = (1 + inv.extra_invitees.sample_count(&mut rng)) as usize;
        let wanted = wanted.min(joined);
        // Rejection sampling: exact, since exp(w·rep) ≤ exp(max(w, 0)) for rep in [0, 1].
        let w = inv.reputation_weight;
        let w_max = w.max(0.0).exp();
        while self.invited.len() < wanted {
            let agent = self.by_join[c][rand::RngExt::random_range(&mut rng, 0..joined)];
            let weight = (w * self.profiles[agent as usize].reputation).exp();
            if rand::RngExt::random::<f64>(&mut rng) * w_max < weight
                && !self.invited.contains(&agent)
            {
                self.invited.push(agent);
            }
        }
        self.posts[post as usize]
            .invitees
            .extend_from_slice(&self.invited);
        // The count, two draws per invitee (at least), and each invitee's delay.
        let invited = self.invited.len() as u64;
        self.count(|d| {
            d.samples += 1;
            d.uniforms += 2 * invited;
            d.quantiles += invited;
        });
        for i in 0..self.invited.len() {
            let agent = self.invited[i];
            let s = &model.strategies[self.agents[agent as usize].strategy as usize];
            let at = t + s.response_delay_hours.sample(&mut rng);
            if at >= model.horizon_hours() {
                continue;
            }
            if at >= job.closes_at {
                self.count_late_arrival(at, true);
            } else {
                self.queue.schedule(at, EventKind::Answer { post, agent });
            }
        }
    }

    /// Who notices the post (MODEL.md "Applying", steps 1 and 2) and when each gets to it,
    /// from the (post, group) attention stream: the noticers, each member with
    /// `min(1, appeal · rate)` (every member at 1), then the late ones among them, each with
    /// probability [`LATE_SHARE`], with their uniforms. A late noticer's delay is the
    /// strategy's quantile of a uniform above `1 − LATE_SHARE`, another's of its own uniform
    /// below it ([`Sim::prompt_delay`]): drawn so, every delay has the strategy's
    /// distribution.
    ///
    /// When every member notices and none can arrive after the close, the members out of the
    /// attention list ([`Sim::leave_if_blocked`]) are skipped, but for the late ones: they
    /// could not apply before coming back, and [`Sim::come_back`] plans what they can.
    fn notice(&mut self, post: u32, job: &Job, index: u64) {
        let c = job.category;
        let groups = std::mem::take(&mut self.notice_groups[c]);
        let mut noticed = std::mem::take(&mut self.noticed);
        let mut late = std::mem::take(&mut self.late);
        let mut words = std::mem::take(&mut self.words);
        for (g, group) in groups.iter().enumerate() {
            let mut rng = self.streams.rng2(Stream::Attention, index, g as u64);
            let n = group.agents.len();
            let p = notice_probability(job.appeal, group.base_rate);
            let all = p >= 1.0;
            noticed.clear();
            if !all {
                geometric_draws(n, p, &mut rng, |i, _| noticed.push(i));
            }
            // Late noticers, by their place among the noticers (their member index when
            // every member notices).
            late.clear();
            let count = if all { n } else { noticed.len() };
            geometric_draws(count, LATE_SHARE, &mut rng, |k, rng| {
                late.push((k, 1.0 - LATE_SHARE + LATE_SHARE * rng.random::<f64>()));
            });
            // Whether a noticer that is not late surely gets to the post before it closes,
            // and then, whether it can apply at all.
            let prompt_in_time = self.shortcuts
                && job.applicant_cap.is_none()
                && job.closes_at > job.posted_at + self.late_after[group.strategy];
            let prompt_may_apply =
                !prompt_in_time || passes_post_filters(&self.model.strategies[group.strategy], job);
            let skip_absent = prompt_in_time && all;
            let skips = if all { 0 } else { noticed.len() + 1 } + late.len() + 1;
            self.count(|d| {
                d.streams += 1;
                d.skips += skips as u64;
                d.uniforms += late.len() as u64;
            });
            if skip_absent {
                words.clear();
                words.extend_from_slice(&self.present[c][g]);
                for &(i, _) in &late {
                    words[i / 64] |= 1 << (i % 64);
                }
                let p = &mut self.posts[post as usize];
                p.skipping_groups.push(g);
                p.late.extend(late.iter().map(|&(i, _)| group.agents[i]));
                for (w, &word) in words.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        noticed.push(w * 64 + bits.trailing_zeros() as usize);
                        bits &= bits - 1;
                    }
                }
            } else if all {
                noticed.extend(0..n);
            }
            // Each noticer in member order, with its uniform if it is late.
            let mut next_late = 0;
            for (k, &member) in noticed.iter().enumerate() {
                let place = if all { member } else { k };
                while next_late < late.len() && late[next_late].0 < place {
                    next_late += 1;
                }
                let late_u = late.get(next_late).filter(|l| l.0 == place).map(|l| l.1);
                let agent = group.agents[member];
                if late_u.is_none() && !prompt_may_apply || self.invited.contains(&agent) {
                    continue;
                }
                let delay = match late_u {
                    Some(u) => {
                        self.count(|d| d.quantiles += 1);
                        let s = &self.model.strategies[group.strategy];
                        s.response_delay_hours.quantile(u)
                    }
                    None => self.prompt_delay(agent, index, group.strategy),
                };
                let now = job.posted_at;
                self.plan_arrival(post, job, agent, now + delay, now);
            }
        }
        self.notice_groups[c] = groups;
        self.noticed = noticed;
        self.late = late;
        self.words = words;
    }

    /// The delay of an agent that is not late to a post: the quantile, below
    /// `1 − LATE_SHARE`, of its uniform on the post ([`Stream::Delay`]).
    fn prompt_delay(&self, agent: u32, index: u64, strategy: usize) -> f64 {
        self.count(|d| {
            d.uniforms += 1;
            d.quantiles += 1;
        });
        let u = self.streams.uniform(Stream::Delay, u64::from(agent), index);
        let delay = &self.model.strategies[strategy].response_delay_hours;
        delay.quantile((1.0 - LATE_SHARE) * u)
    }

    /// A noticing agent will get to the post at `at`; it is `now`. What can be known now
    /// is settled now (see the module's header); the rest waits for its arrival.
    fn plan_arrival(&mut self, post: u32, job: &Job, agent: u32, at: f64, now: f64) {
        let id = agent as usize;
        if at >= self.model.horizon_hours() || self.agents[id].joined_at > at {
            return;
        }
        if at >= job.closes_at {
            self.count_late_arrival(at, false);
            return;
        }
        if !self.shortcuts {
            let drawn = None;
            self.queue
                .schedule(at, EventKind::Arrival { post, agent, drawn });
            return;
        }
        let s = &self.model.strategies[self.agents[id].strategy as usize];
        let could_apply = passes_post_filters(s, job)
            && at >= self.agents[id].free_at
            && !self.weekly_cap_reached_until(id, now, at);
        let event = if !could_apply {
            if job.applicant_cap.is_none() {
                return;
            }
            EventKind::Bystander { post }
        } else if job.applicant_cap.is_some() {
            let drawn = None;
            EventKind::Arrival { post, agent, drawn }
        } else if self.cannot_pay_until(id, job, at, now) {
            self.defer(id, Deferred { at, post }, now);
            return;
        } else {
            // The agent's own draws for the post are fixed; only the learner's posterior
            // can change their verdict before the arrival.
            let bid = self.planned_bid(id, job, at);
            match self.own_verdict(id, post, job, bid) {
                Verdict::Applies { fit, quality } => {
                    let learns = self.profiles[id].learner.is_some();
                    let drawn = (!learns).then_some((fit, quality));
                    EventKind::Arrival { post, agent, drawn }
                }
                Verdict::Refuses => return,
                Verdict::LearnerRefuses => {
                    self.defer(id, Deferred { at, post }, now);
                    return;
                }
            }
        };
        self.queue.schedule(at, event);
    }

    /// The boost bid an agent arriving at `at` places: none once the auction has closed.
    fn planned_bid(&self, id: usize, job: &Job, at: f64) -> Connects {
        if at < job.auction_closes_at {
            let model = self.model;
            let s = &model.strategies[self.agents[id].strategy as usize];
            boost_bid(s, job, model.connects.price_usd, model.boost.min_bid)
        } else {
            0
        }
    }

    /// The verdict of the agent's own draws on a post (MODEL.md "Applying", step 3, the
    /// checks that draw): its fit against `min_fit`, the `apply_prob` draw and its learner's
    /// rule, then the proposal's quality. The draws come from the agent's stream for this
    /// post in that order, each only if the checks before it passed (a stream of its own
    /// per post, so nothing else depends on how many it takes).
    fn own_verdict(&self, id: usize, post: u32, job: &Job, bid: Connects) -> Verdict {
        let model = self.model;
        let s = &model.strategies[self.agents[id].strategy as usize];
        let mut rng = self.own_rng(id, post);
        let fit = self.draw_fit(id, &mut rng);
        self.count(|d| {
            d.streams += 1;
            d.samples += 1;
        });
        if !passes_fit_filter(s, fit) {
            return Verdict::Refuses;
        }
        self.count(|d| d.uniforms += 1);
        if !chance(&mut rng, s.apply_prob) {
            return Verdict::Refuses;
        }
        if let Some(offset) = self.profiles[id].learner {
            self.count(|d| d.betas += 1);
            let theta = self.sample_posterior(offset, job, &mut rng);
            let paid = job.connects_cost.saturating_add(bid);
            if !learner_says_apply(theta, job, model.fee, paid, model.connects.price_usd) {
                return Verdict::LearnerRefuses;
            }
        }
        let quality = self.draw_quality(id, &mut rng);
        self.count(|d| d.samples += 1);
        Verdict::Applies { fit, quality }
    }

    /// Whether the agent, unable to pay for the post now, stays unable until `at` unless
    /// Connects come back to it in between: no billing day (allowance, bundle budget) falls
    /// before `at`, and spending, purchases and expiries only lower what it can pay.
    fn cannot_pay_until(&mut self, id: usize, job: &Job, at: f64, now: f64) -> bool {
        let a = &self.agents[id];
        if a.joined_at > now || a.next_billing <= at {
            return false;
        }
        let model = self.model;
        let s = &model.strategies[a.strategy as usize];
        let bid = self.planned_bid(id, job, at);
        let needed = job
            .connects_cost
            .saturating_add(bid)
            .saturating_add(s.reserve);
        if at < a.broke_until && needed >= a.cannot_pay_from {
            return true;
        }
        if !a.joined || a.next_billing <= now || self.ledgers[id].expires_by(now) {
            self.catch_up(id, now, true);
        }
        let broke = self.bundle_for(id, needed).is_none();
        let a = &mut self.agents[id];
        if broke {
            // What it cannot pay now, it cannot pay until its next billing day, nor
            // anything dearer, unless Connects come back ([`Sim::reconsider`]).
            if a.broke_until != a.next_billing {
                a.broke_until = a.next_billing;
                a.cannot_pay_from = needed;
            }
            a.cannot_pay_from = a.cannot_pay_from.min(needed);
            self.leave_if_blocked(id, now);
        }
        broke
    }

    /// The bundle the agent must buy to have `needed` Connects available now (0: none), if
    /// it can ([`bundle_to_buy`]).
    fn bundle_for(&self, id: usize, needed: Connects) -> Option<Connects> {
        let c = &self.model.connects;
        let budget = self.agents[id].budget_left_usd;
        bundle_to_buy(
            needed,
            self.ledgers[id].available(),
            &c.bundles,
            budget,
            c.price_usd,
        )
    }

    /// Keeps the arrival of an agent that cannot apply as things stand aside (see
    /// [`Sim::reconsider`]); arrivals already past were refused and are dropped.
    fn defer(&mut self, id: usize, arrival: Deferred, now: f64) {
        let list = &mut self.deferred[id];
        // Dropped when the list would grow, so that a defer costs no read of the list.
        if list.len() == list.capacity() {
            list.retain(|d| d.at > now);
        }
        list.push(arrival);
    }

    /// Connects came back to an agent at `t` (a refund, a released hold, a bonus, what was
    /// left of a bundle): it may pay for what it could not.
    fn connects_came_back(&mut self, id: usize, t: f64) {
        self.agents[id].broke_until = f64::NEG_INFINITY;
        if self.agents[id].out {
            self.profiles[id].return_at = t;
            self.return_if_due(id, t);
        }
        self.reconsider(id, t);
    }

    /// Connects came back to an agent at `t`, or its learner's posterior changed: its
    /// deferred arrivals after `t` are scheduled, since it may now apply.
    fn reconsider(&mut self, id: usize, t: f64) {
        if self.deferred[id].is_empty() {
            return;
        }
        let agent = id as u32;
        for d in std::mem::take(&mut self.deferred[id]) {
            if d.at > t {
                let post = d.post;
                self.queue.schedule(
                    d.at,
                    EventKind::Arrival {
                        post,
                        agent,
                        drawn: None,
                    },
                );
            }
        }
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

    /// Whether a post takes no more proposals at `t` (an arrival at the closing instant is
    /// too late).
    fn is_closed(&self, post: u32, t: f64) -> bool {
        t >= self.posts[post as usize].closes_at
    }

    /// The agent's own draws for a post: a stream of its own for each post it gets to, so
    /// that a different decision on one post leaves its draws on every other as they were.
    fn own_rng(&self, id: usize, post: u32) -> Rng {
        let index = self.posts[post as usize].index;
        self.streams.rng2(Stream::Agent, id as u64, index)
    }

    /// The fit of an agent for a job: `clamp(skill + noise, 0, 1)`.
    fn draw_fit(&self, id: usize, rng: &mut Rng) -> f64 {
        let noise = self.model.population.fit_noise.sample(rng);
        (self.profiles[id].skill + noise).clamp(0.0, 1.0)
    }

    /// A proposal's quality, clipped to [0, 1].
    fn draw_quality(&self, id: usize, rng: &mut Rng) -> f64 {
        let s = &self.model.strategies[self.agents[id].strategy as usize];
        s.quality.sample(rng).clamp(0.0, 1.0)
    }

    // ---- Deciding and paying, at the submission time ------------------------------------

    /// A noticing agent gets to a post (MODEL.md "Applying", step 3): it applies if the
    /// post is open, it has free capacity, its weekly cap is not reached, it can pay (after
    /// an allowed purchase) and keep its reserve, its fit passes `min_fit`, its learner
    /// agrees, and `apply_prob` says yes. (Joining, invitations and the filters on the post
    /// were settled at posting.) The fit is drawn once the cheaper checks have passed.
    fn arrive(&mut self, post: u32, agent: u32, t: f64, drawn: Option<(f64, f64)>) {
        if self.is_closed(post, t) {
            self.count_late_arrival(t, false);
            return;
        }
        let model = self.model;
        let id = agent as usize;
        let Some(job) = self.posts[post as usize].job else {
            return;
        };
        self.catch_up(id, t, true);
        if self.agents[id].active >= model.population.capacity || !self.below_weekly_cap(id, t) {
            return;
        }
        let s = &model.strategies[self.agents[id].strategy as usize];
        let bid = if self.auction_open(post, t) {
            self.planned_bid(id, &job, t)
        } else {
            0
        };
        let needed = job
            .connects_cost
            .saturating_add(bid)
            .saturating_add(s.reserve);
        let Some(bundle) = self.bundle_for(id, needed) else {
            return;
        };
        if !passes_post_filters(s, &job) {
            return;
        }
        let verdict = match drawn {
            Some((fit, quality)) => Verdict::Applies { fit, quality },
            None => self.own_verdict(id, post, &job, bid),
        };
        if let Verdict::Applies { fit, quality } = verdict {
            self.make_proposal(post, &job, agent, t, fit, quality, false, bid, bundle);
        }
    }

    /// An invitee gets to the post: if it is open and the agent has free capacity, it
    /// answers with the answer probability (a free proposal, never boosted).
    fn answer_invitation(&mut self, post: u32, agent: u32, t: f64) {
        if self.is_closed(post, t) {
            self.count_late_arrival(t, true);
            return;
        }
        let id = agent as usize;
        let Some(job) = self.posts[post as usize].job else {
            return;
        };
        self.catch_up(id, t, true);
        let mut rng = self.own_rng(id, post);
        self.count(|d| {
            d.streams += 1;
            d.uniforms += 1;
            d.samples += 2;
        });
        if self.agents[id].active >= self.model.population.capacity
            || !chance(&mut rng, self.model.invitations.answer_prob)
        {
            return;
        }
        let fit = self.draw_fit(id, &mut rng);
        let quality = self.draw_quality(id, &mut rng);
        self.make_proposal(post, &job, agent, t, fit, quality, true, 0, 0);
    }

    /// Whether the post's auction still takes bids at `t`.
    fn auction_open(&self, post: u32, t: f64) -> bool {
        let p = &self.posts[post as usize];
        p.auction_open && p.job.is_some_and(|j| t < j.auction_closes_at)
    }

    /// Thompson sampling: a draw from the agent's (category, tier) posterior of hires per
    /// paid proposal.
    fn sample_posterior(&self, offset: usize, job: &Job, rng: &mut Rng) -> f64 {
        let (hires, misses) = self.learner_arena[self.segment(offset, job)];
        Beta::new(hires, misses).map_or(0.0, |b| b.sample(rng))
    }

    fn segment(&self, offset: usize, job: &Job) -> usize {
        offset + job.category * self.model.tiers.len() + job.tier
    }

    /// Makes a proposal at its submission time `t` (MODEL.md "Applying", steps 4 and 5): a
    /// paid one buys its bundle, pays its cost and holds its bid while the auction is open;
    /// an answer to an invitation is free. The applicant cap closes the post at its last
    /// proposal.
    #[allow(clippy::too_many_arguments)]
    fn make_proposal(
        &mut self,
        post: u32,
        job: &Job,
        agent: u32,
        t: f64,
        fit: f64,
        quality: f64,
        invited: bool,
        bid: Connects,
        bundle: Connects,
    ) {
        let model = self.model;
        let id = agent as usize;
        let month = self.month_of(t);
        let posting_month = self.month_of(job.posted_at);
        let mut proposal = Proposal {
            agent,
            submitted: t,
            fit,
            quality,
            invited,
            held_bid: 0,
            paid: (0, 0),
            held: (0, 0),
            charged: (0, 0),
            slot: None,
        };
        let p = &mut self.posts[post as usize];
        if invited {
            self.activity[id].invites_answered += 1;
        } else {
            let price = model.connects.price_usd;
            let ledger = &mut self.ledgers[id];
            if bundle > 0 {
                let usd = f64::from(bundle) * price;
                ledger.buy(bundle, t, model.connects.lifetime_hours);
                self.agents[id].budget_left_usd -= usd;
                self.activity[id].usd_connects += usd;
                self.market[month].platform_usd_connects += usd;
            }
            let start = p.pieces.len() as u32;
            if ledger.spend(job.connects_cost, t, &mut p.pieces).is_err() {
                debug_assert!(false, "a decided proposal could not be paid");
                return;
            }
            // What is left of a bundle may pay for a post the agent could not pay for.
            let bought = bundle > 0;
            proposal.paid = (start, p.pieces.len() as u32);
            if bid > 0 && ledger.hold(bid, t, &mut p.pieces).is_ok() {
                proposal.held_bid = bid;
                proposal.held = (proposal.paid.1, p.pieces.len() as u32);
                self.activity[id].boosted += 1;
                self.market[month].boost_bids += 1;
                if !p.auction_scheduled {
                    p.auction_scheduled = true;
                    self.market[posting_month].posts_with_boost_bids += 1;
                    let resolve_at = job.removed_at.unwrap_or(job.review_at);
                    if job.auction_closes_at < resolve_at {
                        self.queue
                            .schedule(job.auction_closes_at, EventKind::AuctionClose(post));
                    }
                }
            }
            self.agents[id].paid_this_week += 1;
            if bought {
                self.connects_came_back(id, t);
            }
            self.leave_if_blocked(id, t);
        }
        let p = &mut self.posts[post as usize];
        p.proposals.push(proposal);
        if job
            .applicant_cap
            .is_some_and(|cap| p.proposals.len() >= cap as usize)
        {
            p.closes_at = t;
        }
        self.activity[id].proposals += 1;
        self.market[month].proposals += 1;
        self.proposals += 1;
        if model.jobs.caps.is_some() {
            let m = &mut self.market[posting_month];
            if job.capped {
                m.capped_proposals += 1;
            } else {
                m.uncapped_proposals += 1;
            }
        }
    }

    // ---- The auction, the client's decision, contracts ----------------------------------

    /// Closes a post's boost auction at `t`. On an ordinary post the winners are charged and
    /// shown in the boosted slots; on a placebo post they are only marked as would-be
    /// winners. Every other hold, and every hold on a placebo post, is released.
    fn close_post_auction(&mut self, post: u32, t: f64) {
        let model = self.model;
        let mut p = std::mem::take(&mut self.posts[post as usize]);
        p.auction_open = false;
        let placebo = p.job.is_some_and(|j| j.placebo);
        self.bids.clear();
        for (i, pr) in p.proposals.iter().enumerate() {
            if pr.held_bid > 0 {
                self.bids.push(Bid {
                    proposal: i as u32,
                    connects: pr.held_bid,
                    submitted: pr.submitted,
                });
            }
        }
        self.wins.clear();
        let b = &model.boost;
        close_auction(
            &mut self.bids,
            b.slots,
            b.pricing,
            b.min_bid,
            &mut self.wins,
        );
        let month = self.month_of(t);
        for w in &self.wins {
            p.proposals[w.proposal as usize].slot = Some(w.slot);
        }
        for i in 0..p.proposals.len() {
            let pr = p.proposals[i];
            if pr.held_bid == 0 {
                continue;
            }
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            let hold = &p.pieces[pr.held.0 as usize..pr.held.1 as usize];
            match pr.slot.and_then(|slot| self.wins.get(slot as usize)) {
                Some(win) if !placebo => {
                    self.scratch.clear();
                    self.ledgers[id].charge_hold(hold, win.charge, t, &mut self.scratch);
                    let start = p.pieces.len() as u32;
                    p.pieces.extend_from_slice(&self.scratch);
                    p.proposals[i].charged = (start, p.pieces.len() as u32);
                    self.activity[id].boost_wins += 1;
                    self.market[month].boost_wins += 1;
                    self.boost_price_sum[month] += u64::from(win.charge);
                    *self
                        .boost_prices
                        .entry((month as u32, win.charge))
                        .or_default() += 1;
                }
                _ => self.ledgers[id].release_hold(hold, t),
            }
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// Releases every hold of a post whose auction never closed (a removed post).
    fn release_all_holds(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| pr.held_bid > 0) {
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            self.ledgers[id].release_hold(&p.pieces[pr.held.0 as usize..pr.held.1 as usize], t);
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// Refunds everything paid for a post: base costs and boost charges.
    fn refund_post(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| !pr.invited) {
            let id = pr.agent as usize;
            self.catch_up(id, t, true);
            let ledger = &mut self.ledgers[id];
            ledger.refund(&p.pieces[pr.paid.0 as usize..pr.paid.1 as usize], t);
            ledger.refund(&p.pieces[pr.charged.0 as usize..pr.charged.1 as usize], t);
            self.connects_came_back(id, t);
        }
        self.posts[post as usize] = p;
    }

    /// The client's decision on a post, or its removal for a terms violation; either way
    /// the post is resolved and counted by its number of proposals.
    fn resolve(&mut self, post: u32, t: f64) {
        let Some(job) = self.posts[post as usize].job else {
            return;
        };
        if job.removed_at.is_some() {
            self.remove_post(post, t);
        } else {
            if self.posts[post as usize].auction_open {
                self.close_post_auction(post, t);
            }
            self.review(post, &job, t);
        }
        let made = self.posts[post as usize].proposals.len();
        if self.post_proposals.len() <= made {
            self.post_proposals.resize(made + 1, 0);
        }
        self.post_proposals[made] += 1;
        self.posts[post as usize].job = None;
        self.free_posts.push(post);
    }

    /// A removed post refunds everything paid for it and releases every hold; it is never
    /// reviewed, and the learners do not count it.
    fn remove_post(&mut self, post: u32, t: f64) {
        let month = self.month_of(t);
        self.market[month].jobs_removed += 1;
        if self.posts[post as usize].auction_open {
            self.release_all_holds(post, t);
        }
        if self.model.connects.refund_on_removal {
            self.refund_post(post, t);
        }
    }

    /// The client's review, from the post's review stream: display order, examination,
    /// interviews (and their bonus), the hire, or a cancel (refund) or an expiry; the
    /// learners observe the outcome.
    fn review(&mut self, post: u32, job: &Job, t: f64) {
        let model = self.model;
        let review = &model.review;
        let month = self.month_of(t);
        let index = self.posts[post as usize].index;
        let mut rng = self.streams.rng(Stream::Review, index);
        let intends_to_hire = chance(&mut rng, job.client.quality);
        self.shown.clear();
        for (i, pr) in self.posts[post as usize].proposals.iter().enumerate() {
            self.shown.push(Shown {
                proposal: i as u32,
                submitted: pr.submitted,
                fit: pr.fit,
                reputation: self.profiles[pr.agent as usize].reputation,
                quality: pr.quality,
                boost_slot: if job.placebo { None } else { pr.slot },
                invited: pr.invited,
            });
        }
        display_order(&mut self.shown, review);
        self.interviewed.clear();
        let proposals = std::mem::take(&mut self.posts[post as usize].proposals);
        let interviewed = &mut self.interviewed;
        // Each proposal's examination, interview and ranking noise from its own stream
        // (post, 1 + agent): a proposal more or less on the post leaves the others' as they
        // were.
        let streams = self.streams;
        let own = |s: &Shown| {
            let agent = u64::from(proposals[s.proposal as usize].agent);
            streams.rng2(Stream::Review, index, 1 + agent)
        };
        let examined = walk(&self.shown, review, own, |s, rng| {
            let noise = gumbel(review.hire_score.noise_scale, rng);
            interviewed.push((hire_score(s, review) + noise, s.proposal));
        });
        // The intent and the cancel, a stream and a draw per position walked, one per
        // examination, a Gumbel (a uniform and two logarithms) per interview.
        let (walked, interviews) = (self.shown.len() as u64, self.interviewed.len() as u64);
        self.count(|d| {
            d.streams += 1 + walked;
            d.uniforms += 2 + walked + examined as u64 + interviews;
            d.skips += 2 * interviews;
        });
        for k in 0..self.interviewed.len() {
            let id = proposals[self.interviewed[k].1 as usize].agent as usize;
            self.activity[id].interviews += 1;
            self.market[month].interviews += 1;
            if let Some(bonus) = model.connects.interview_bonus {
                self.catch_up(id, t, true);
                self.ledgers[id].interview_bonus(
                    bonus.amount,
                    t,
                    bonus.cap,
                    bonus.window_hours,
                    model.connects.lifetime_hours,
                );
                self.connects_came_back(id, t);
            }
        }
        let mut hired = None;
        if intends_to_hire {
            self.interviewed
                .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            hired = self
                .interviewed
                .iter()
                .map(|&(_, i)| proposals[i as usize].agent)
                .find(|&a| self.agents[a as usize].active < model.population.capacity);
        }
        self.posts[post as usize].proposals = proposals;
        match hired {
            Some(agent) => {
                self.market[month].jobs_hired += 1;
                self.hire(agent as usize, job, t);
            }
            None if chance(&mut rng, review.cancel_share) => {
                self.market[month].jobs_cancelled += 1;
                if model.connects.refund_on_cancel {
                    self.refund_post(post, t);
                }
            }
            None => self.market[month].jobs_expired += 1,
        }
        self.count_experiment_arms(post, job, hired, month);
        self.learn(post, job, hired, t);
    }

    /// The hire: the contract's value net of the fee is earned now; the agent is busy for
    /// the contract's length; Rising Talent when hired often enough early.
    fn hire(&mut self, id: usize, job: &Job, t: f64) {
        let model = self.model;
        let c = &model.connects;
        self.activity[id].hires += 1;
        self.activity[id].usd_earned += job.budget_usd * (1.0 - model.fee);
        let end = t + job.contract_hours;
        let early = t - self.agents[id].joined_at <= c.rising_talent_window_hours;
        let profile = &mut self.profiles[id];
        profile.contract_ends.push(end);
        if early {
            profile.hires_early += 1;
        }
        let rising_talent =
            early && profile.hires_early >= c.rising_talent_hires && !profile.rising_talent_granted;
        profile.rising_talent_granted |= rising_talent;
        self.agents[id].active += 1;
        self.note_capacity(id);
        self.leave_if_blocked(id, t);
        if rising_talent {
            self.catch_up(id, t, true);
            self.ledgers[id].grant(c.rising_talent, t, c.lifetime_hours);
            self.connects_came_back(id, t);
        }
        self.queue.schedule(end, EventKind::ContractEnd(id as u32));
    }

    /// A contract's end frees capacity and raises reputation: `1 − base^completed`.
    fn end_contract(&mut self, agent: u32) {
        let id = agent as usize;
        let base = self.model.population.reputation_base;
        let profile = &mut self.profiles[id];
        // Contracts end in time order: the one ending now ends first.
        let ends = &mut profile.contract_ends;
        let first = (0..ends.len())
            .min_by(|&i, &j| ends[i].total_cmp(&ends[j]))
            .expect("a contract ends that was running");
        ends.swap_remove(first);
        profile.completed += 1;
        profile.reputation = 1.0 - base.powi(profile.completed as i32);
        self.agents[id].active -= 1;
        self.note_capacity(id);
    }

    /// Keeps `free_at` up to date: while the agent is at capacity, when its first running
    /// contract ends (nothing before can free it: hires only take capacity).
    fn note_capacity(&mut self, id: usize) {
        let at_capacity = self.agents[id].active >= self.model.population.capacity;
        self.agents[id].free_at = if at_capacity {
            self.profiles[id]
                .contract_ends
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
        } else {
            f64::NEG_INFINITY
        };
    }

    /// The experiments' arms, counted at the decision: the boost experiment's slot winners
    /// (ordinary posts) and would-be winners (placebo posts) and their hires, and the cap
    /// experiment's hires by arm.
    fn count_experiment_arms(&mut self, post: u32, job: &Job, hired: Option<u32>, month: usize) {
        let caps_set = self.model.jobs.caps.is_some();
        let m = &mut self.market[month];
        if caps_set && hired.is_some() {
            if job.capped {
                m.capped_hires += 1;
            } else {
                m.uncapped_hires += 1;
            }
        }
        for pr in self.posts[post as usize]
            .proposals
            .iter()
            .filter(|p| p.slot.is_some())
        {
            let hire = u64::from(hired == Some(pr.agent));
            if job.placebo {
                m.placebo_winners += 1;
                m.placebo_winner_hires += hire;
            } else {
                m.slot_winners += 1;
                m.slot_winner_hires += hire;
            }
        }
    }

    /// The auto-bidder's update: each paid proposal to a reviewed post is a success if its
    /// agent was hired, else a failure, in the agent's (category, tier) posterior.
    fn learn(&mut self, post: u32, job: &Job, hired: Option<u32>, t: f64) {
        for i in 0..self.posts[post as usize].proposals.len() {
            let pr = self.posts[post as usize].proposals[i];
            if pr.invited {
                continue;
            }
            if let Some(offset) = self.profiles[pr.agent as usize].learner {
                let k = self.segment(offset, job);
                let segment = &mut self.learner_arena[k];
                if hired == Some(pr.agent) {
                    segment.0 += 1.0;
                } else {
                    segment.1 += 1.0;
                }
                self.reconsider(pr.agent as usize, t);
            }
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
