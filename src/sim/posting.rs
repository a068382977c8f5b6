//! Posting: a job is drawn and published, its invitees drawn ([`Sim::invite`]) and its
//! noticing agents ([`Sim::notice`]), each with its response delay; what cannot change by an
//! agent's arrival is settled at posting ([`Sim::plan_arrival`]; see the module's header in
//! `sim/mod.rs`).

use rand::RngExt;

use super::applying::{Deferred, Proposal, Verdict};
use super::{EventKind, Sim};
use crate::ledger::Piece;
use crate::market::{Job, geometric_draws, notice_probability, post_job};
use crate::random::Stream;
use crate::strategy::passes_post_filters;

/// The share of a group's members drawn late to a post: their delays are the quantiles above
/// `1 − LATE_SHARE` of the strategy's delay, the others' below it. Not a number of the model
/// (every delay still has the scenario's distribution) but of how it is drawn: the others
/// get to the post within `late_after` of its posting, so an agent that comes back to the
/// attention lists need only look at the posts of that window ([`Sim::come_back`]).
pub(super) const LATE_SHARE: f64 = 1.0 / 64.0;

/// An open post.
#[derive(Debug, Default)]
pub(super) struct Post {
    pub(super) job: Option<Job>,
    /// Its posting number: the index of its streams.
    pub(super) index: u64,
    /// When it closes to new proposals: the job's close, or earlier at the applicant cap.
    pub(super) closes_at: f64,
    pub(super) proposals: Vec<Proposal>,
    pub(super) pieces: Vec<Piece>,
    pub(super) auction_open: bool,
    /// An auction-close event is scheduled (at the first bid held before the decision).
    pub(super) auction_scheduled: bool,
    /// Its invitees, and its late noticers (agents whose delay was drawn late).
    pub(super) invitees: Vec<u32>,
    pub(super) late: Vec<u32>,
    /// The groups of its category that skipped their absent members ([`Sim::notice`]).
    pub(super) skipping_groups: Vec<usize>,
}

impl<'m> Sim<'m> {
    /// A job is posted at `t`: drawn from its own stream, then published.
    pub(super) fn post(&mut self, t: f64) {
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
    pub(super) fn publish(&mut self, job: Job, index: u64) {
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
    pub(super) fn prompt_delay(&self, agent: u32, index: u64, strategy: usize) -> f64 {
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
    pub(super) fn plan_arrival(&mut self, post: u32, job: &Job, agent: u32, at: f64, now: f64) {
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

    /// Whether a post takes no more proposals at `t` (an arrival at the closing instant is
    /// too late).
    pub(super) fn is_closed(&self, post: u32, t: f64) -> bool {
        t >= self.posts[post as usize].closes_at
    }
}
