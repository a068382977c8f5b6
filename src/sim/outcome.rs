//! The outcome of a post: its resolution ([`Sim::resolve`]), the client's review or the
//! removal, the hire and the contract it starts, the experiments' arms, and what the
//! learners learn from it.

use super::{EventKind, Sim};
use crate::market::Job;
use crate::random::{Stream, chance};
use crate::review::{Shown, display_order, gumbel, hire_score, walk};

impl<'m> Sim<'m> {
    /// The client's decision on a post, or its removal for a terms violation; either way
    /// the post is resolved and counted by its number of proposals.
    pub(super) fn resolve(&mut self, post: u32, t: f64) {
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
    pub(super) fn end_contract(&mut self, agent: u32) {
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
        profile.reputation = reputation(profile.completed, base);
        self.agents[id].active -= 1;
        self.note_capacity(id);
        self.move_up_a_class(id);
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
}

/// The reputation of an agent that completed `completed` contracts: `1 − base^completed`.
pub(super) fn reputation(completed: u32, base: f64) -> f64 {
    1.0 - base.powi(completed as i32)
}
