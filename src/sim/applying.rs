//! Applying: an agent gets to a post (MODEL.md "Applying", step 3) and decides with its
//! state of that moment ([`Sim::arrive`], [`Sim::answer_invitation`]), from its own draws on
//! the post ([`Sim::own_verdict`]); an arrival it cannot make as things stand is kept aside
//! ([`Sim::defer`]) until Connects come back or its posterior changes
//! ([`Sim::reconsider`]); a proposal is made at its submission time
//! ([`Sim::make_proposal`]).

use super::{EventKind, Rng, Sim};
use crate::ledger::Connects;
use crate::market::Job;
use crate::random::{Stream, beta, chance};
use crate::strategy::{
    boost_bid, bundle_to_buy, learner_says_apply, passes_fit_filter, passes_post_filters,
};

/// A proposal on a post: what it was made with, and what it paid.
#[derive(Debug, Clone, Copy)]
pub(super) struct Proposal {
    pub(super) agent: u32,
    pub(super) submitted: f64,
    pub(super) fit: f64,
    pub(super) quality: f64,
    pub(super) invited: bool,
    /// Boost bid held in escrow (0: none).
    pub(super) held_bid: Connects,
    /// Ranges into the post's pieces: base cost paid, hold, boost charge.
    pub(super) paid: (u32, u32),
    pub(super) held: (u32, u32),
    pub(super) charged: (u32, u32),
    /// The boosted slot it won, or on a placebo post would have won.
    pub(super) slot: Option<u32>,
}

/// What an agent's own draws on a post say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Verdict {
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
pub(super) struct Deferred {
    pub(super) at: f64,
    pub(super) post: u32,
}

impl<'m> Sim<'m> {
    /// A noticing agent gets to a post (MODEL.md "Applying", step 3): it applies if the
    /// post is open, it has free capacity, its weekly cap is not reached, it can pay (after
    /// an allowed purchase) and keep its reserve, its fit passes `min_fit`, its learner
    /// agrees, and `apply_prob` says yes. (Joining, invitations and the filters on the post
    /// were settled at posting.) The fit is drawn once the cheaper checks have passed.
    pub(super) fn arrive(&mut self, post: u32, agent: u32, t: f64, drawn: Option<(f64, f64)>) {
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
    pub(super) fn answer_invitation(&mut self, post: u32, agent: u32, t: f64) {
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

    /// The boost bid an agent arriving at `at` places: none once the auction has closed.
    pub(super) fn planned_bid(&self, id: usize, job: &Job, at: f64) -> Connects {
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
    pub(super) fn own_verdict(&self, id: usize, post: u32, job: &Job, bid: Connects) -> Verdict {
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

    /// Thompson sampling: a draw from the agent's (category, tier) posterior of hires per
    /// paid proposal.
    fn sample_posterior(&self, offset: usize, job: &Job, rng: &mut Rng) -> f64 {
        let (hires, misses) = self.learner_arena[self.segment(offset, job)];
        beta(rng, hires, misses)
    }

    pub(super) fn segment(&self, offset: usize, job: &Job) -> usize {
        offset + job.category * self.model.tiers.len() + job.tier
    }

    /// Whether the post's auction still takes bids at `t`.
    fn auction_open(&self, post: u32, t: f64) -> bool {
        let p = &self.posts[post as usize];
        p.auction_open && p.job.is_some_and(|j| t < j.auction_closes_at)
    }

    /// Whether the agent, unable to pay for the post now, stays unable until `at` unless
    /// Connects come back to it in between: no billing day (allowance, bundle budget) falls
    /// before `at`, and spending, purchases and expiries only lower what it can pay.
    pub(super) fn cannot_pay_until(&mut self, id: usize, job: &Job, at: f64, now: f64) -> bool {
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
    pub(super) fn bundle_for(&self, id: usize, needed: Connects) -> Option<Connects> {
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
    pub(super) fn defer(&mut self, id: usize, arrival: Deferred, now: f64) {
        let list = &mut self.deferred[id];
        // Dropped when the list would grow, so that a defer costs no read of the list.
        if list.len() == list.capacity() {
            list.retain(|d| d.at > now);
        }
        list.push(arrival);
    }

    /// Connects came back to an agent at `t` (a refund, a released hold, a bonus, what was
    /// left of a bundle): it may pay for what it could not.
    pub(super) fn connects_came_back(&mut self, id: usize, t: f64) {
        self.agents[id].broke_until = f64::NEG_INFINITY;
        if self.agents[id].out {
            self.profiles[id].return_at = t;
            self.return_if_due(id, t);
        }
        self.reconsider(id, t);
    }

    /// Connects came back to an agent at `t`, or its learner's posterior changed: its
    /// deferred arrivals after `t` are scheduled, since it may now apply.
    pub(super) fn reconsider(&mut self, id: usize, t: f64) {
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

    /// Makes a proposal at its submission time `t` (MODEL.md "Applying", steps 4 and 5): a
    /// paid one buys its bundle, pays its cost and holds its bid while the auction is open
    /// ([`Sim::pay_for_proposal`]); an answer to an invitation is free. The applicant cap closes the post at its last
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
        if invited {
            self.activity[id].invites_answered += 1;
        } else if !self.pay_for_proposal(post, job, &mut proposal, bid, bundle) {
            return;
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
}
