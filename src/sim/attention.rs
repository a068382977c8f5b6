//! The attention lists: an agent that cannot act leaves them, so that the posts every member
//! of its groups notices skip it, and comes back when it may act again.

use super::{EventKind, Sim};

impl<'m> Sim<'m> {
    /// How long the agent surely cannot apply to anything, as things stand at `now`: before
    /// it joins, while it is at capacity (until its first contract ends), at its weekly cap
    /// (until the week ends) or unable to pay for the cheapest post (until its next billing
    /// day, unless Connects come back). −∞ when it can apply now.
    fn blocked_until(&mut self, id: usize, now: f64) -> f64 {
        self.catch_up(id, now, true);
        let model = self.model;
        let a = &self.agents[id];
        let s = &model.strategies[a.strategy as usize];
        let mut until = a.free_at;
        if a.joined_at > now {
            until = until.max(a.joined_at);
        }
        if let Some(lifts) = self.weekly_cap_lifts_at(id, now) {
            until = until.max(lifts);
        }
        let cheapest = self.cheapest_post.saturating_add(s.reserve);
        if a.joined && self.bundle_for(id, cheapest).is_none() {
            until = until.max(a.next_billing);
        }
        until
    }

    /// An agent that cannot apply to any post it would notice before coming back leaves
    /// its groups' attention lists: the posts that every member notices skip it (unless it
    /// is late to them), and it comes back when it may act again.
    pub(super) fn leave_if_blocked(&mut self, id: usize, now: f64) {
        if !self.shortcuts || self.agents[id].out || !self.profiles[id].attends_fully {
            return;
        }
        let return_at = self.blocked_until(id, now) - self.late_after_of(id);
        if return_at > now {
            self.agents[id].out = true;
            let profile = &mut self.profiles[id];
            profile.out_since_post = self.posted;
            profile.return_at = return_at;
            for &(c, g, i) in &profile.memberships {
                self.present[c][g][i / 64] &= !(1 << (i % 64));
            }
            self.queue.schedule(return_at, EventKind::Return(id as u32));
        }
    }

    fn late_after_of(&self, id: usize) -> f64 {
        self.late_after[self.agents[id].strategy as usize]
    }

    /// An agent out of the attention lists whose return is due at `t` (or that got
    /// Connects back): it comes back, or if it is still blocked, its return is put off.
    pub(super) fn return_if_due(&mut self, id: usize, t: f64) {
        if !self.agents[id].out || self.profiles[id].return_at > t {
            return;
        }
        let return_at = self.blocked_until(id, t) - self.late_after_of(id);
        if return_at > t {
            self.profiles[id].return_at = return_at;
            self.queue.schedule(return_at, EventKind::Return(id as u32));
        } else {
            self.come_back(id, t);
        }
    }

    /// The agent comes back to the attention lists at `t`, and plans its arrivals, after
    /// `t`, at the posts that skipped it (those of the last `late_after` hours).
    fn come_back(&mut self, id: usize, t: f64) {
        self.agents[id].out = false;
        let agent = id as u32;
        let strategy = self.agents[id].strategy as usize;
        let since = self.profiles[id].out_since_post;
        let memberships = std::mem::take(&mut self.profiles[id].memberships);
        for &(c, g, i) in &memberships {
            self.present[c][g][i / 64] |= 1 << (i % 64);
            for k in 0..self.recent[c].len() {
                let (index, post, posted) = self.recent[c][k];
                let p = &self.posts[post as usize];
                let skipped = index >= since
                    && p.index == index
                    && p.skipping_groups.contains(&g)
                    && !p.late.contains(&agent)
                    && !p.invitees.contains(&agent);
                let Some(job) = p.job.filter(|_| skipped) else {
                    continue;
                };
                let at = posted + self.prompt_delay(agent, index, strategy);
                if at > t {
                    self.plan_arrival(post, &job, agent, at, t);
                }
            }
        }
        self.profiles[id].memberships = memberships;
    }
}
