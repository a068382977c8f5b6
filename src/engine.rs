//! The engine: one replication of the market, from the first post to the horizon.
//!
//! An event loop over job posts (a Poisson process), auction closes, reviews or removals,
//! and contract ends, in time order (ties by the order they were scheduled). Agents' monthly
//! billing days and their Connects' expiries are applied lazily: before anything touches an
//! agent ([`Sim::catch_up`]) and for every agent at each month's end, so every event lands
//! in the month it happens. Each rule of MODEL.md is a method or a function named after it.
//!
//! The engine reads no file and no clock; all randomness comes from the replication's own
//! generator ([`replication_rng`]), so a replication's output depends on (scenario, seed,
//! replication index) alone.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand::{Rng, RngExt};
use rand_distr::{Beta, Distribution};

use crate::auction::{Bid, Win, close_auction};
use crate::ledger::{Connects, Ledger, Piece, Totals};
use crate::market::{Job, NoticeGroup, next_arrival, notice_probability, post_job};
use crate::random::{chance, replication_rng};
use crate::results::{
    AgentRoiRow, AgentRow, BoostBidRow, MarketMonthRow, Rows, StrategyMonthRow, ratio,
};
use crate::review::{Shown, display_order, gumbel, hire_score, walk};
use crate::scenario::model::{HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_WEEK, Join, Model};
use crate::stats::quantile_sorted;
use crate::strategy::{
    boost_bid, bundle_to_buy, learner_says_apply, passes_fit_filter, passes_post_filters,
};

/// Simulates one replication; its rows come in key order.
pub fn simulate(model: &Model, replication: u32, with_agents: bool) -> Rows {
    let mut rng = replication_rng(model.seed, replication);
    let mut sim = Sim::new(model, &mut rng);
    sim.run(&mut rng);
    sim.finish(replication, with_agents)
}

/// An agent's state.
#[derive(Debug, Clone)]
struct Agent {
    strategy: usize,
    /// Bit set of its categories.
    categories: u64,
    skill: f64,
    joined_at: f64,
    /// Whether the joining grants were made.
    joined: bool,
    takes_readiness_test: bool,
    certified: bool,
    next_billing: f64,
    completed: u32,
    reputation: f64,
    /// Contracts running.
    active: u32,
    week: u64,
    paid_this_week: u32,
    budget_left_usd: f64,
    hires_early: u32,
    rising_talent_granted: bool,
    /// Index of its first (category, tier) posterior in the learner arena, if it learns.
    learner: Option<usize>,
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

/// A proposal on a post: the decision it was made from, and what it paid.
#[derive(Debug, Clone, Copy)]
struct Proposal {
    made: Candidate,
    /// Boost bid held in escrow (0: none; `made.bid` is the bid the agent meant, which a
    /// placebo post or a late submission leaves unheld).
    held_bid: Connects,
    /// Ranges into the post's pieces: base cost paid, hold, boost charge.
    paid: (u32, u32),
    held: (u32, u32),
    charged: (u32, u32),
    boost_slot: Option<u32>,
}

/// A candidate proposal, decided at posting time and made if submitted before the close.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    agent: u32,
    submitted: f64,
    fit: f64,
    quality: f64,
    invited: bool,
    /// The boost bid the agent means to place (0: none).
    bid: Connects,
}

/// An open post.
#[derive(Debug, Default)]
struct Post {
    job: Option<Job>,
    proposals: Vec<Proposal>,
    pieces: Vec<Piece>,
    auction_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EventKind {
    AuctionClose(u32),
    /// The review, or the removal of a violating post.
    Resolve(u32),
    ContractEnd(u32),
}

/// A step of the event loop, as the observer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Post,
    Event(EventKind),
    MonthEnd,
}

/// A scheduled event: ordered by time, then by scheduling order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Event {
    /// Non-negative time's bits order like the time.
    time_bits: u64,
    seq: u64,
    kind: EventKind,
}

struct Sim<'m> {
    model: &'m Model,
    agents: Vec<Agent>,
    ledgers: Vec<Ledger>,
    activity: Vec<Activity>,
    /// Beta posteriors (hires, misses) of learning agents, by (category, tier).
    learner_arena: Vec<(f64, f64)>,
    /// Per category: the groups of agents sharing a notice probability.
    notice_groups: Vec<Vec<NoticeGroup>>,
    /// Per category: agents sorted by join time, and their join times (for invitations).
    by_join: Vec<Vec<u32>>,
    join_times: Vec<Vec<f64>>,
    posts: Vec<Post>,
    free_posts: Vec<u32>,
    events: BinaryHeap<Reverse<Event>>,
    seq: u64,
    // Reused buffers of the hot path.
    candidates: Vec<Candidate>,
    order: Vec<u32>,
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
    previous: Vec<Cumulative>,
    strategy_rows: Vec<Vec<StrategyMonthRow>>,
    proposals: u64,
}

impl<'m> Sim<'m> {
    fn new<R: Rng + ?Sized>(model: &'m Model, rng: &mut R) -> Sim<'m> {
        let agents = create_agents(model, rng);
        let n = agents.len();
        let categories = model.jobs.category_names.len();
        let mut learner_arena = Vec::new();
        let mut agents = agents;
        for a in &mut agents {
            if let Some(prior) = model.strategies[a.strategy].learner {
                a.learner = Some(learner_arena.len());
                learner_arena.extend(std::iter::repeat_n(prior, categories * model.tiers.len()));
            }
        }
        let notice_groups = notice_groups(model, &agents);
        let mut by_join: Vec<Vec<u32>> = vec![Vec::new(); categories];
        for (id, a) in agents.iter().enumerate() {
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
        Sim {
            model,
            agents,
            ledgers: vec![Ledger::new(); n],
            activity: vec![Activity::default(); n],
            learner_arena,
            notice_groups,
            by_join,
            join_times,
            posts: Vec::new(),
            free_posts: Vec::new(),
            events: BinaryHeap::new(),
            seq: 0,
            candidates: Vec::new(),
            order: Vec::new(),
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
            previous: vec![Cumulative::default(); model.strategies.len()],
            strategy_rows: vec![Vec::new(); months],
            proposals: 0,
        }
    }

    fn run<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        self.run_observed(rng, |_, _| {});
    }

    /// The event loop; `observe` sees the state after every step (tests check invariants
    /// with it; the run passes a no-op).
    fn run_observed<R: Rng + ?Sized>(&mut self, rng: &mut R, mut observe: impl FnMut(Step, &Sim)) {
        let horizon = self.model.horizon_hours();
        let mut next_post = next_arrival(&self.model.jobs, 0.0, horizon, rng);
        loop {
            let next_event = self.events.peek().map(|e| f64::from_bits(e.0.time_bits));
            let t = match (next_post, next_event) {
                (None, None) => horizon,
                (p, e) => p.unwrap_or(f64::INFINITY).min(e.unwrap_or(f64::INFINITY)),
            };
            while self.month < self.model.months as usize
                && t >= (self.month + 1) as f64 * HOURS_PER_MONTH
            {
                self.close_month();
                observe(Step::MonthEnd, self);
            }
            if t >= horizon {
                break;
            }
            if next_post == Some(t) && next_event.is_none_or(|e| t <= e) {
                self.post(t, rng);
                next_post = next_arrival(&self.model.jobs, t, horizon, rng);
                observe(Step::Post, self);
            } else if let Some(Reverse(event)) = self.events.pop() {
                match event.kind {
                    EventKind::AuctionClose(post) => self.close_post_auction(post, t),
                    EventKind::Resolve(post) => self.resolve(post, t, rng),
                    EventKind::ContractEnd(agent) => self.end_contract(agent),
                }
                observe(Step::Event(event.kind), self);
            }
        }
        while self.month < self.model.months as usize {
            self.close_month();
            observe(Step::MonthEnd, self);
        }
    }

    fn schedule(&mut self, time: f64, kind: EventKind) {
        self.seq += 1;
        self.events.push(Reverse(Event {
            time_bits: time.to_bits(),
            seq: self.seq,
            kind,
        }));
    }

    fn month_of(&self, t: f64) -> usize {
        ((t / HOURS_PER_MONTH) as usize).min(self.market.len() - 1)
    }

    // ---- Agents' calendar: joining, billing days, expiry -------------------------------

    /// Brings an agent's ledger up to `t`: its joining grants, every billing day at or
    /// before `t` (`inclusive`) or before `t`, and the expiry of its lots.
    fn catch_up(&mut self, id: usize, t: f64, inclusive: bool) {
        let due = |at: f64| if inclusive { at <= t } else { at < t };
        let a = &self.agents[id];
        if !due(a.joined_at) {
            return;
        }
        while due(self.agents[id].next_billing) {
            let b = self.agents[id].next_billing;
            self.billing_day(id, b);
            self.agents[id].next_billing += HOURS_PER_MONTH;
        }
        if !self.agents[id].joined {
            self.join(id);
        }
        self.ledgers[id].expire_until(t);
    }

    /// Joining: the sign-up grant, the readiness-test grant and the certification bonus
    /// (after the first billing day, which falls at joining).
    fn join(&mut self, id: usize) {
        let c = &self.model.connects;
        let a = &mut self.agents[id];
        a.joined = true;
        let at = a.joined_at;
        let mut amount = c.signup;
        if a.takes_readiness_test {
            amount += c.readiness;
        }
        if a.certified {
            amount += c.certification;
        }
        self.ledgers[id].grant(amount, at, c.lifetime_hours);
    }

    /// A billing day: the rollover cap, the plan's allowance and fee, and the month's
    /// bundle budget.
    fn billing_day(&mut self, id: usize, at: f64) {
        let model = self.model;
        let a = &mut self.agents[id];
        let strategy = &model.strategies[a.strategy];
        let plan = &model.plans[strategy.plan];
        let ledger = &mut self.ledgers[id];
        if let Some(cap) = model.connects.rollover_cap {
            ledger.forfeit_above(cap, at);
        }
        ledger.grant(plan.allowance, at, model.connects.lifetime_hours);
        a.budget_left_usd = strategy.bundle_budget_usd;
        self.activity[id].usd_plan += plan.price_usd;
        let month = self.month_of(at);
        self.market[month].platform_usd_plans += plan.price_usd;
    }

    // ---- A post: invitations, noticing, applying, payment ------------------------------

    fn post<R: Rng + ?Sized>(&mut self, t: f64, rng: &mut R) {
        let job = post_job(self.model, t, rng);
        self.publish(job, rng);
    }

    /// Publishes a drawn job: invitations, noticing and applying, payment, and the
    /// post's events (auction close, review or removal).
    fn publish<R: Rng + ?Sized>(&mut self, job: Job, rng: &mut R) {
        let t = job.posted_at;
        let month = self.month_of(t);
        self.market[month].jobs_posted += 1;
        self.candidates.clear();
        self.invite(&job, t, rng);
        let groups = std::mem::take(&mut self.notice_groups[job.category]);
        for group in &groups {
            group.for_each_noticer(rng, |agent, rng| self.consider(agent, &job, t, rng));
        }
        self.notice_groups[job.category] = groups;
        let post = self.open_post(job);
        self.make_proposals(post, &job, t);
        let has_bids = self.posts[post as usize]
            .proposals
            .iter()
            .any(|p| p.held_bid > 0);
        if has_bids {
            self.market[month].posts_with_boost_bids += 1;
        }
        let resolve_at = job.removed_at.unwrap_or(job.review_at);
        if has_bids && job.auction_closes_at < resolve_at {
            self.schedule(job.auction_closes_at, EventKind::AuctionClose(post));
        }
        self.schedule(resolve_at, EventKind::Resolve(post));
    }

    fn open_post(&mut self, job: Job) -> u32 {
        let id = self.free_posts.pop().unwrap_or_else(|| {
            self.posts.push(Post::default());
            (self.posts.len() - 1) as u32
        });
        let post = &mut self.posts[id as usize];
        post.job = Some(job);
        post.proposals.clear();
        post.pieces.clear();
        post.auction_open = true;
        id
    }

    /// Invitations: with the scenario's probability the client invites `1 + extra`
    /// agents of the post's category who have joined, drawn without replacement with
    /// probability proportional to `exp(weight · reputation)`; an invitee with free capacity
    /// answers (a free proposal, never boosted) with the answer probability.
    fn invite<R: Rng + ?Sized>(&mut self, job: &Job, t: f64, rng: &mut R) {
        self.invited.clear();
        let inv = &self.model.invitations;
        if !chance(rng, inv.prob) {
            return;
        }
        let c = job.category;
        let joined = self.join_times[c].partition_point(|&j| j <= t);
        let wanted = (1 + inv.extra_invitees.sample_count(rng)) as usize;
        let wanted = wanted.min(joined);
        // Rejection sampling: exact, since exp(w·rep) ≤ exp(max(w, 0)) for rep in [0, 1].
        let w = inv.reputation_weight;
        let w_max = w.max(0.0).exp();
        while self.invited.len() < wanted {
            let agent = self.by_join[c][rng.random_range(0..joined)];
            let weight = (w * self.agents[agent as usize].reputation).exp();
            if rng.random::<f64>() * w_max < weight && !self.invited.contains(&agent) {
                self.invited.push(agent);
            }
        }
        for i in 0..self.invited.len() {
            let agent = self.invited[i];
            let id = agent as usize;
            self.catch_up(id, t, true);
            if self.agents[id].active >= self.model.population.capacity
                || !chance(rng, inv.answer_prob)
            {
                continue;
            }
            let fit = self.draw_fit(id, rng);
            self.push_candidate(agent, fit, true, 0, t, rng);
        }
    }

    /// The fit of an agent for a job: `clamp(skill + noise, 0, 1)`.
    fn draw_fit<R: Rng + ?Sized>(&self, id: usize, rng: &mut R) -> f64 {
        (self.agents[id].skill + self.model.population.fit_noise.sample(rng)).clamp(0.0, 1.0)
    }

    /// Draws the response delay and the quality, and records the decision.
    fn push_candidate<R: Rng + ?Sized>(
        &mut self,
        agent: u32,
        fit: f64,
        invited: bool,
        bid: Connects,
        t: f64,
        rng: &mut R,
    ) {
        let s = &self.model.strategies[self.agents[agent as usize].strategy];
        let submitted = t + s.response_delay_hours.sample(rng);
        let quality = s.quality.sample(rng).clamp(0.0, 1.0);
        self.candidates.push(Candidate {
            agent,
            submitted,
            fit,
            quality,
            invited,
            bid,
        });
    }

    /// The apply decision of a noticing agent (MODEL.md "Applying", step 2), at the
    /// posting time with its state of that moment.
    fn consider<R: Rng + ?Sized>(&mut self, agent: u32, job: &Job, t: f64, rng: &mut R) {
        let id = agent as usize;
        if self.agents[id].joined_at > t || self.invited.contains(&agent) {
            return;
        }
        let model = self.model;
        let s = &model.strategies[self.agents[id].strategy];
        if !passes_post_filters(s, job) {
            return;
        }
        self.catch_up(id, t, true);
        if self.agents[id].active >= model.population.capacity || !self.below_weekly_cap(id, t) {
            return;
        }
        let price = model.connects.price_usd;
        // The intended bid, on placebo posts too: the agent cannot tell them apart, so both
        // arms of the experiment get the same decisions.
        let bid = boost_bid(s, job, price, model.boost.min_bid);
        let needed = job
            .connects_cost
            .saturating_add(bid)
            .saturating_add(s.reserve);
        let available = self.ledgers[id].available();
        let budget_left = self.agents[id].budget_left_usd;
        if bundle_to_buy(
            needed,
            available,
            &model.connects.bundles,
            budget_left,
            price,
        )
        .is_none()
        {
            return;
        }
        let fit = self.draw_fit(id, rng);
        if !passes_fit_filter(s, fit) {
            return;
        }
        if let Some(offset) = self.agents[id].learner {
            let theta = self.sample_posterior(offset, job, rng);
            if !learner_says_apply(
                theta,
                job,
                model.fee,
                job.connects_cost.saturating_add(bid),
                price,
            ) {
                return;
            }
        }
        if !chance(rng, s.apply_prob) {
            return;
        }
        self.push_candidate(agent, fit, false, bid, t, rng);
    }

    /// The weekly cap on paid proposals, over 7-day weeks from the agent's joining.
    fn below_weekly_cap(&mut self, id: usize, t: f64) -> bool {
        let a = &mut self.agents[id];
        let Some(cap) = self.model.strategies[a.strategy].weekly_cap else {
            return true;
        };
        let week = ((t - a.joined_at) / HOURS_PER_WEEK) as u64;
        if week != a.week {
            a.week = week;
            a.paid_this_week = 0;
        }
        a.paid_this_week < cap
    }

    /// Thompson sampling: a draw from the (category, tier) posterior of hires per paid proposal.
    fn sample_posterior<R: Rng + ?Sized>(&self, offset: usize, job: &Job, rng: &mut R) -> f64 {
        let (hires, misses) = self.learner_arena[self.segment(offset, job)];
        Beta::new(hires, misses).map_or(0.0, |b| b.sample(rng))
    }

    fn segment(&self, offset: usize, job: &Job) -> usize {
        offset + job.category * self.model.tiers.len() + job.tier
    }

    /// MODEL.md "Applying", steps 4 and 5: proposals submitted after the post closes (or
    /// past the applicant cap, by submission time) are not made; the rest are paid for at
    /// the posting time, in the order the agents decided.
    fn make_proposals(&mut self, post: u32, job: &Job, t: f64) {
        self.order.clear();
        self.order.extend(0..self.candidates.len() as u32);
        let candidates = &self.candidates;
        self.order.sort_by(|&a, &b| {
            candidates[a as usize]
                .submitted
                .total_cmp(&candidates[b as usize].submitted)
                .then(a.cmp(&b))
        });
        let open = self
            .order
            .iter()
            .take_while(|&&i| candidates[i as usize].submitted < job.closes_at)
            .count();
        let made = self
            .model
            .jobs
            .max_applicants
            .map_or(open, |cap| open.min(cap as usize));
        self.order.truncate(made);
        self.order.sort_unstable();
        for k in 0..self.order.len() {
            let c = self.candidates[self.order[k] as usize];
            self.pay_proposal(post, job, c, t);
        }
    }

    /// Pays for a made proposal: a bundle if needed (covering only what is paid and held),
    /// the Connects cost, and a hold on the boost bid when it reaches the auction in time.
    fn pay_proposal(&mut self, post: u32, job: &Job, c: Candidate, t: f64) {
        let model = self.model;
        let id = c.agent as usize;
        let month = self.month_of(t);
        let mut proposal = Proposal {
            made: c,
            held_bid: 0,
            paid: (0, 0),
            held: (0, 0),
            charged: (0, 0),
            boost_slot: None,
        };
        let p = &mut self.posts[post as usize];
        if c.invited {
            self.activity[id].invites_answered += 1;
        } else {
            let s = &model.strategies[self.agents[id].strategy];
            let bid = if !job.placebo && c.submitted < job.auction_closes_at {
                c.bid
            } else {
                0
            };
            let price = model.connects.price_usd;
            let needed = job
                .connects_cost
                .saturating_add(bid)
                .saturating_add(s.reserve);
            let ledger = &mut self.ledgers[id];
            let bundle = bundle_to_buy(
                needed,
                ledger.available(),
                &model.connects.bundles,
                self.agents[id].budget_left_usd,
                price,
            );
            let Some(bundle) = bundle else {
                debug_assert!(false, "a decided proposal became unaffordable");
                return;
            };
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
            proposal.paid = (start, p.pieces.len() as u32);
            if bid > 0 && ledger.hold(bid, t, &mut p.pieces).is_ok() {
                proposal.held_bid = bid;
                proposal.held = (proposal.paid.1, p.pieces.len() as u32);
                self.activity[id].boosted += 1;
                self.market[month].boost_bids += 1;
            }
            self.agents[id].paid_this_week += 1;
        }
        p.proposals.push(proposal);
        self.activity[id].proposals += 1;
        self.market[month].proposals += 1;
        self.proposals += 1;
    }

    // ---- The auction, the review, contracts --------------------------------------------

    /// Closes a post's boost auction at `t`: winners are charged, every other hold released.
    fn close_post_auction(&mut self, post: u32, t: f64) {
        let model = self.model;
        let mut p = std::mem::take(&mut self.posts[post as usize]);
        p.auction_open = false;
        self.bids.clear();
        for (i, pr) in p.proposals.iter().enumerate() {
            if pr.held_bid > 0 {
                self.bids.push(Bid {
                    proposal: i as u32,
                    connects: pr.held_bid,
                    submitted: pr.made.submitted,
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
            p.proposals[w.proposal as usize].boost_slot = Some(w.slot);
        }
        for i in 0..p.proposals.len() {
            let pr = p.proposals[i];
            if pr.held_bid == 0 {
                continue;
            }
            let id = pr.made.agent as usize;
            self.catch_up(id, t, true);
            let hold = &p.pieces[pr.held.0 as usize..pr.held.1 as usize];
            match pr.boost_slot.and_then(|slot| self.wins.get(slot as usize)) {
                Some(win) => {
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
                None => self.ledgers[id].release_hold(hold, t),
            }
        }
        self.posts[post as usize] = p;
    }

    /// Releases every hold of a post whose auction never closed (a removed post).
    fn release_all_holds(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| pr.held_bid > 0) {
            let id = pr.made.agent as usize;
            self.catch_up(id, t, true);
            self.ledgers[id].release_hold(&p.pieces[pr.held.0 as usize..pr.held.1 as usize], t);
        }
        self.posts[post as usize] = p;
    }

    /// Refunds everything paid for a post: base costs and boost charges.
    fn refund_post(&mut self, post: u32, t: f64) {
        let p = std::mem::take(&mut self.posts[post as usize]);
        for pr in p.proposals.iter().filter(|pr| !pr.made.invited) {
            let id = pr.made.agent as usize;
            self.catch_up(id, t, true);
            let ledger = &mut self.ledgers[id];
            ledger.refund(&p.pieces[pr.paid.0 as usize..pr.paid.1 as usize], t);
            ledger.refund(&p.pieces[pr.charged.0 as usize..pr.charged.1 as usize], t);
        }
        self.posts[post as usize] = p;
    }

    /// The review of a post, or its removal for a terms violation.
    fn resolve<R: Rng + ?Sized>(&mut self, post: u32, t: f64, rng: &mut R) {
        let Some(job) = self.posts[post as usize].job else {
            return;
        };
        if job.removed_at.is_some() {
            self.remove_post(post, t);
        } else {
            if self.posts[post as usize].auction_open {
                self.close_post_auction(post, t);
            }
            self.review(post, &job, t, rng);
        }
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

    /// The client's review: display order, examination, interviews (and their bonus),
    /// the hire, or a cancel (refund) or an expiry; the learners observe the outcome.
    fn review<R: Rng + ?Sized>(&mut self, post: u32, job: &Job, t: f64, rng: &mut R) {
        let model = self.model;
        let review = &model.review;
        let month = self.month_of(t);
        let intends_to_hire = chance(rng, job.client.quality);
        self.shown.clear();
        for (i, pr) in self.posts[post as usize].proposals.iter().enumerate() {
            self.shown.push(Shown {
                proposal: i as u32,
                submitted: pr.made.submitted,
                fit: pr.made.fit,
                reputation: self.agents[pr.made.agent as usize].reputation,
                quality: pr.made.quality,
                boost_slot: pr.boost_slot,
                invited: pr.made.invited,
            });
        }
        display_order(&mut self.shown, review);
        self.interviewed.clear();
        let interviewed = &mut self.interviewed;
        walk(&self.shown, review, rng, |s, rng| {
            let noise = gumbel(review.hire_score.noise_scale, rng);
            interviewed.push((hire_score(s, review) + noise, s.proposal));
        });
        let proposals = std::mem::take(&mut self.posts[post as usize].proposals);
        for k in 0..self.interviewed.len() {
            let id = proposals[self.interviewed[k].1 as usize].made.agent as usize;
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
            }
        }
        let mut hired = None;
        if intends_to_hire {
            self.interviewed
                .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            hired = self
                .interviewed
                .iter()
                .map(|&(_, i)| proposals[i as usize].made.agent)
                .find(|&a| self.agents[a as usize].active < model.population.capacity);
        }
        self.posts[post as usize].proposals = proposals;
        match hired {
            Some(agent) => {
                self.market[month].jobs_hired += 1;
                self.hire(agent as usize, job, t);
            }
            None if chance(rng, review.cancel_share) => {
                self.market[month].jobs_cancelled += 1;
                if model.connects.refund_on_cancel {
                    self.refund_post(post, t);
                }
            }
            None => self.market[month].jobs_expired += 1,
        }
        self.count_boost_arms(post, job, hired, month);
        self.learn(post, job, hired);
    }

    /// The hire: the contract's value net of the fee is earned now; the agent is busy for
    /// the contract's length; Rising Talent when hired often enough early.
    fn hire(&mut self, id: usize, job: &Job, t: f64) {
        let model = self.model;
        let c = &model.connects;
        self.activity[id].hires += 1;
        self.activity[id].usd_earned += job.budget_usd * (1.0 - model.fee);
        let a = &mut self.agents[id];
        a.active += 1;
        let early = t - a.joined_at <= c.rising_talent_window_hours;
        if early {
            a.hires_early += 1;
        }
        if early && a.hires_early >= c.rising_talent_hires && !a.rising_talent_granted {
            a.rising_talent_granted = true;
            self.catch_up(id, t, true);
            self.ledgers[id].grant(c.rising_talent, t, c.lifetime_hours);
        }
        self.schedule(t + job.contract_hours, EventKind::ContractEnd(id as u32));
    }

    /// A contract's end frees capacity and raises reputation: `1 − base^completed`.
    fn end_contract(&mut self, agent: u32) {
        let base = self.model.population.reputation_base;
        let a = &mut self.agents[agent as usize];
        a.active -= 1;
        a.completed += 1;
        a.reputation = 1.0 - base.powi(a.completed as i32);
    }

    /// The boost experiment: proposals meant to be boosted, and their hires, on ordinary
    /// posts (the boost arm) and on placebo posts (the placebo arm), counted at the review.
    fn count_boost_arms(&mut self, post: u32, job: &Job, hired: Option<u32>, month: usize) {
        let m = &mut self.market[month];
        for pr in self.posts[post as usize]
            .proposals
            .iter()
            .filter(|p| p.made.bid > 0)
        {
            let hire = u64::from(hired == Some(pr.made.agent));
            if job.placebo {
                m.placebo_arm_proposals += 1;
                m.placebo_arm_hires += hire;
            } else {
                m.boost_arm_proposals += 1;
                m.boost_arm_hires += hire;
            }
        }
    }

    /// The auto-bidder's update: each paid proposal to a reviewed post is a success if its
    /// agent was hired, else a failure, in the agent's (category, tier) posterior.
    fn learn(&mut self, post: u32, job: &Job, hired: Option<u32>) {
        for pr in &self.posts[post as usize].proposals {
            if pr.made.invited {
                continue;
            }
            if let Some(offset) = self.agents[pr.made.agent as usize].learner {
                let k = offset + job.category * self.model.tiers.len() + job.tier;
                let segment = &mut self.learner_arena[k];
                if hired == Some(pr.made.agent) {
                    segment.0 += 1.0;
                } else {
                    segment.1 += 1.0;
                }
            }
        }
    }

    // ---- Outputs --------------------------------------------------------------------

    /// Ends month `self.month`: brings every agent to the month's end and records each
    /// strategy's row as the change of its cumulative totals.
    fn close_month(&mut self) {
        let model = self.model;
        let end = (self.month + 1) as f64 * HOURS_PER_MONTH;
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
            let c = &mut out[a.strategy];
            c.activity += self.activity[id];
            c.connects += self.ledgers[id].totals();
            c.balance += u64::from(self.ledgers[id].balance());
        }
        out
    }

    fn finish(self, replication: u32, with_agents: bool) -> Rows {
        let model = self.model;
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
        for (id, a) in self.agents.iter().enumerate() {
            let t = self.ledgers[id].totals();
            let act = self.activity[id];
            let cost = (t.spent as f64 - t.refunded as f64) * price + act.usd_plan;
            let roi = ratio(act.usd_earned - cost, cost);
            if let Some(r) = roi {
                per_strategy[a.strategy].push(r);
            }
            if with_agents {
                agents.push(AgentRow {
                    replication,
                    agent: id as u32,
                    strategy: model.strategies[a.strategy].name.clone(),
                    categories: (0..model.jobs.category_names.len())
                        .filter(|c| a.categories & (1 << c) != 0)
                        .map(|c| model.jobs.category_names[c].as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    skill: a.skill,
                    joined_day: a.joined_at / HOURS_PER_DAY,
                    proposals: act.proposals,
                    invites_answered: act.invites_answered,
                    interviews: act.interviews,
                    hires: act.hires,
                    completed: a.completed,
                    reputation: a.reputation,
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
        Rows {
            strategy_monthly,
            market_monthly,
            agent_roi,
            boost_bids,
            agents,
            proposals: self.proposals,
        }
    }
}

/// Creates the population: for each strategy in order, its agents with categories,
/// skill, join time and the joining draws, all from the same distributions.
fn create_agents<R: Rng + ?Sized>(model: &Model, rng: &mut R) -> Vec<Agent> {
    let p = &model.population;
    let c = &model.connects;
    let categories = model.jobs.category_names.len();
    let mut agents = Vec::with_capacity(p.agents as usize);
    let mut pool: Vec<usize> = (0..categories).collect();
    for (s, strategy) in model.strategies.iter().enumerate() {
        for _ in 0..strategy.agents {
            let k = rng.random_range(p.categories_min..=p.categories_max) as usize;
            // A partial Fisher-Yates shuffle picks k distinct categories.
            let mut set = 0u64;
            for i in 0..k {
                let j = rng.random_range(i..categories);
                pool.swap(i, j);
                set |= 1 << pool[i];
            }
            let skill = p.skill.sample(rng);
            let joined_at = match p.join {
                Join::Start => 0.0,
                Join::Spread => rng.random::<f64>() * p.join_spread_hours,
            };
            agents.push(Agent {
                strategy: s,
                categories: set,
                skill,
                joined_at,
                joined: false,
                takes_readiness_test: chance(rng, c.readiness_prob),
                certified: chance(rng, c.certification_prob),
                next_billing: joined_at,
                completed: 0,
                reputation: 0.0,
                active: 0,
                week: 0,
                paid_this_week: 0,
                budget_left_usd: 0.0,
                hires_early: 0,
                rising_talent_granted: false,
                learner: None,
            });
        }
    }
    agents
}

/// Groups the agents of each category by (strategy, notice probability), so noticers can
/// be sampled with geometric skips. λ of an agent is the expected posts a day in its
/// categories (seasonality ignored).
fn notice_groups(model: &Model, agents: &[Agent]) -> Vec<Vec<NoticeGroup>> {
    let jobs = &model.jobs;
    let per_day = jobs.per_hour * HOURS_PER_DAY;
    (0..jobs.category_names.len())
        .map(|c| {
            let mut groups: BTreeMap<(usize, u64), Vec<u32>> = BTreeMap::new();
            for (id, a) in agents.iter().enumerate() {
                if a.categories & (1 << c) == 0 {
                    continue;
                }
                let share: f64 = (0..jobs.category_shares.len())
                    .filter(|k| a.categories & (1 << k) != 0)
                    .map(|k| jobs.category_shares[k])
                    .sum();
                let s = &model.strategies[a.strategy];
                let p = notice_probability(s.posts_per_day, per_day * share);
                groups
                    .entry((a.strategy, p.to_bits()))
                    .or_default()
                    .push(id as u32);
            }
            groups
                .into_iter()
                .map(|((_, p), list)| NoticeGroup::new(f64::from_bits(p), list))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Client;
    use crate::scenario::{Scenario, load_text};
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    /// One agent in one category, noticing every post, applying to everything, a fixed
    /// 5-Connect boost; clients always examine and always interview.
    /// (proposals, Connects spent, hires, posts) of smoke replication 0, seed 42.
    const PINNED: (u64, u64, u64, u64) = (15_679, 127_532, 270, 707);

    const ONE_AGENT: &str = r#"
extends = "default"
name = "one-agent"
description = "one agent, hand-made posts"
[run]
months = 3
replications = 1
[jobs]
per_day = 0.0
categories = [{ name = "only", weight = 1.0 }]
[clients]
violation_prob_verified = 0.0
violation_prob_unverified = 0.0
[invitations]
prob = 0.0
[connects]
readiness_prob = 1.0
[review]
position_decay = 0.0
interview_logit = { intercept = 50.0, fit = 0.0, reputation = 0.0, quality = 0.0, quality_center = 0.5 }
cancel_share = 1.0
[population]
agents = 1
categories_per_agent = { min = 1, max = 1 }
join = "start"
[[strategies]]
name = "solo"
agents = 1
plan = "basic"
posts_per_day = 1000.0
apply_prob = 1.0
response_delay_hours = { constant = 1.0 }
quality = { constant = 0.5 }
boost = { fixed = { connects = 5 } }
"#;

    fn model(patch: &str) -> Model {
        let text = format!("{ONE_AGENT}\n{patch}");
        Scenario::new(load_text("one-agent.toml", &text).unwrap())
            .unwrap()
            .model
    }

    /// A medium post at hour 1, reviewed at hour 20, costing 8 Connects.
    fn job(quality: f64, removed_at: Option<f64>) -> Job {
        Job {
            posted_at: 1.0,
            category: 0,
            budget_usd: 600.0,
            tier: 1,
            connects_cost: 8,
            contract_hours: 48.0,
            client: Client {
                quality,
                history_posts: 10,
                history_hired: 10,
                verified: true,
            },
            review_at: 20.0,
            removed_at,
            closes_at: removed_at.unwrap_or(20.0),
            auction_closes_at: 20.0,
            placebo: false,
        }
    }

    /// Publishes `job` and runs the rest of the horizon; returns the agent's totals,
    /// balance, activity and the market rows.
    fn one_post(model: &Model, job: Job) -> (Totals, Connects, Activity, Vec<MarketMonthRow>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut sim = Sim::new(model, &mut rng);
        sim.publish(job, &mut rng);
        sim.run(&mut rng);
        let ledger = &sim.ledgers[0];
        (
            ledger.totals(),
            ledger.balance(),
            sim.activity[0],
            sim.market.clone(),
        )
    }

    // Grants by the horizon (3 months, joining at 0): sign-up 40 + readiness 40 + three
    // allowances of 10 (hours 0, 720, 1440) = 110.

    #[test]
    fn one_agent_hired_on_a_boosted_post_pays_cost_and_bid() {
        let (t, balance, act, market) = one_post(&model(""), job(1.0, None));
        assert_eq!(
            (t.granted, t.spent, t.refunded, t.expired),
            (110, 8 + 5, 0, 0)
        );
        assert_eq!(balance, 110 - 13);
        assert_eq!((act.proposals, act.boosted, act.boost_wins), (1, 1, 1));
        assert_eq!((act.interviews, act.hires), (1, 1));
        assert!((act.usd_earned - 600.0 * 0.9).abs() < 1e-9);
        assert_eq!(market[0].jobs_hired, 1);
        assert_eq!(market[0].mean_boost_price, Some(5.0));
    }

    #[test]
    fn a_cancel_refunds_the_cost_and_the_boost_charge() {
        let (t, balance, act, market) = one_post(&model(""), job(0.0, None));
        assert_eq!((t.spent, t.refunded), (13, 13));
        assert_eq!(balance, 110);
        assert_eq!((act.hires, market[0].jobs_cancelled), (0, 1));
    }

    #[test]
    fn an_expired_post_refunds_nothing() {
        let m = model_review_patch("cancel_share = 0.0");
        let (t, balance, _, market) = one_post(&m, job(0.0, None));
        assert_eq!((t.spent, t.refunded), (13, 0));
        assert_eq!(balance, 97);
        assert_eq!(market[0].jobs_expired, 1);
    }

    #[test]
    fn a_removed_post_refunds_the_cost_and_releases_the_hold() {
        let (t, balance, act, market) = one_post(&model(""), job(1.0, Some(5.0)));
        assert_eq!((t.spent, t.refunded), (8, 8));
        assert_eq!(balance, 110);
        assert_eq!((act.interviews, act.hires, act.boost_wins), (0, 0, 0));
        assert_eq!(market[0].jobs_removed, 1);
    }

    #[test]
    fn second_price_charges_the_minimum_bid_to_a_lone_bidder() {
        let m = model_boost_patch("pricing = \"second\"");
        let (t, ..) = one_post(&m, job(1.0, None));
        assert_eq!(t.spent, 8 + 1);
    }

    #[test]
    fn a_placebo_post_neither_holds_nor_charges_the_bid_but_counts_the_arm() {
        let mut j = job(1.0, None);
        j.placebo = true;
        let (t, balance, act, market) = one_post(&model(""), j);
        assert_eq!((t.spent, t.refunded), (8, 0));
        assert_eq!(balance, 110 - 8);
        assert_eq!((act.boosted, act.boost_wins, act.hires), (0, 0, 1));
        assert_eq!(
            (market[0].placebo_arm_proposals, market[0].placebo_arm_hires),
            (1, 1)
        );
        assert_eq!(market[0].boost_arm_proposals, 0);
        let (.., market) = one_post(&model(""), job(1.0, None));
        assert_eq!(
            (market[0].boost_arm_proposals, market[0].boost_arm_hires),
            (1, 1)
        );
    }

    #[test]
    fn a_proposal_after_the_close_is_not_made() {
        let mut j = job(1.0, None);
        j.closes_at = 1.5; // the agent answers after 1 hour, at 2.0
        let (t, balance, act, _) = one_post(&model(""), j);
        assert_eq!((t.spent, act.proposals), (0, 0));
        assert_eq!(balance, 110);
    }

    fn model_review_patch(line: &str) -> Model {
        let text = ONE_AGENT.replace("cancel_share = 1.0", line);
        Scenario::new(load_text("one-agent.toml", &text).unwrap())
            .unwrap()
            .model
    }

    fn model_boost_patch(line: &str) -> Model {
        model(&format!("[boost]\n{line}"))
    }

    /// Invariants checked after every step of a busy market: Connects conservation per
    /// agent, capacity, and refunds only when a post is cancelled or removed.
    #[test]
    fn invariants_hold_at_every_step() {
        let text = r#"
extends = "smoke"
name = "busy"
description = "busy"
[run]
months = 2
[jobs]
per_day = 40.0
[population]
capacity = 1
"#;
        let model = Scenario::new(load_text("busy.toml", text).unwrap())
            .unwrap()
            .model;
        let mut rng = replication_rng(model.seed, 0);
        let mut sim = Sim::new(&model, &mut rng);
        let mut refunded = 0;
        let mut cancelled_or_removed = 0;
        let mut steps = 0;
        sim.run_observed(&mut rng, |step, sim| {
            steps += 1;
            for (id, ledger) in sim.ledgers.iter().enumerate() {
                assert!(ledger.conserves(), "agent {id} after {step:?}");
                assert!(sim.agents[id].active <= model.population.capacity);
            }
            let now: u64 = sim.ledgers.iter().map(|l| l.totals().refunded).sum();
            let closed: u64 = sim
                .market
                .iter()
                .map(|m| m.jobs_cancelled + m.jobs_removed)
                .sum();
            if now > refunded {
                assert!(
                    matches!(step, Step::Event(EventKind::Resolve(_))),
                    "{step:?}"
                );
                assert!(
                    closed > cancelled_or_removed,
                    "a refund without a cancel or removal"
                );
            }
            refunded = now;
            cancelled_or_removed = closed;
        });
        assert!(
            steps > 1000 && refunded > 0,
            "{steps} steps, {refunded} refunded"
        );
    }

    /// Value stability: replication 0 of `smoke` under seed 42, pinned. A change here means
    /// the model's output changed: intended (a new rule, a new draw) or not.
    #[test]
    fn smoke_replication_zero_is_pinned() {
        let model = Scenario::load("smoke").unwrap().model;
        let rows = simulate(&model, 0, false);
        let spent: u64 = rows.strategy_monthly.iter().map(|r| r.connects_spent).sum();
        let hires: u64 = rows.strategy_monthly.iter().map(|r| r.hires).sum();
        let posted: u64 = rows.market_monthly.iter().map(|r| r.jobs_posted).sum();
        assert_eq!((rows.proposals, spent, hires, posted), PINNED);
    }

    #[test]
    fn a_replication_is_reproducible() {
        let model = Scenario::load("smoke").unwrap().model;
        assert_eq!(simulate(&model, 1, true), simulate(&model, 1, true));
        assert_ne!(
            simulate(&model, 1, false).strategy_monthly,
            simulate(&model, 2, false).strategy_monthly
        );
    }
}
