//! Invitations (MODEL.md "Jobs", invitations): whom a client invites, and when each invitee
//! gets to the post. The agents a client can invite are kept by category, in classes of
//! equal reputation (reputation depends only on an agent's completed contracts), so that
//! [`draw_invitees`] draws them exactly, whatever the reputation weight.

use super::outcome::reputation;
use super::{EventKind, Sim};
use crate::market::{Job, draw_invitees};
use crate::random::{Stream, chance};

/// The agents of one category a client can invite.
#[derive(Debug, Default)]
pub(super) struct Invitable {
    /// The category's agents in join order (ties by number), and their join times.
    by_join: Vec<u32>,
    join_times: Vec<f64>,
    /// How many of `by_join` have been put in the classes (the joined ones, as of the last
    /// invitation in the category).
    added: usize,
    /// The joined agents by completed contracts: `classes[k]` have completed `k`.
    classes: Vec<Vec<u32>>,
}

impl Invitable {
    /// The category's agents, given in join order with their join times.
    pub(super) fn new(by_join: Vec<u32>, join_times: Vec<f64>) -> Invitable {
        Invitable {
            by_join,
            join_times,
            added: 0,
            classes: Vec::new(),
        }
    }
}

impl Sim<'_> {
    /// Invitations (from the post's invitation stream): with the scenario's probability the
    /// client invites `1 + extra` agents of the post's category who have joined (all of them
    /// if there are fewer), drawn without replacement with probability proportional to
    /// `exp(weight · reputation)` ([`draw_invitees`]); each invitee gets to the post after
    /// its strategy's response delay.
    pub(super) fn invite(&mut self, post: u32, job: &Job, index: u64) {
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
        self.add_joined(c, t);
        let joined = self.invitable[c].added;
        let extra = inv.extra_invitees.sample_count(&mut rng) as usize;
        let wanted = extra.saturating_add(1).min(joined);
        let classes = self.invitable[c].classes.len();
        while self.invite_log_weights.len() < classes {
            let k = self.invite_log_weights.len() as u32;
            let rep = reputation(k, model.population.reputation_base);
            self.invite_log_weights.push(inv.reputation_weight * rep);
        }
        draw_invitees(
            &mut self.invitable[c].classes,
            &self.invite_log_weights[..classes],
            wanted,
            &mut rng,
            &mut self.invite_scratch,
            &mut self.invited,
        );
        self.posts[post as usize]
            .invitees
            .extend_from_slice(&self.invited);
        // The count, two draws per invitee, and each invitee's delay.
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

    /// Puts the agents of category `c` who have joined by `t` in their classes.
    fn add_joined(&mut self, c: usize, t: f64) {
        let pool = &mut self.invitable[c];
        let joined = pool.join_times.partition_point(|&j| j <= t);
        for i in pool.added..joined {
            let agent = pool.by_join[i];
            let profile = &mut self.profiles[agent as usize];
            let class = profile.completed as usize;
            if pool.classes.len() <= class {
                pool.classes.resize_with(class + 1, Vec::new);
            }
            profile
                .invite_slots
                .push((c, pool.classes[class].len() as u32));
            pool.classes[class].push(agent);
        }
        pool.added = joined;
    }

    /// The agent completed a contract: in each category where it can be invited, it moves
    /// from the class of `completed − 1` contracts to the class of `completed`.
    pub(super) fn move_up_a_class(&mut self, id: usize) {
        let class = self.profiles[id].completed as usize;
        for k in 0..self.profiles[id].invite_slots.len() {
            let (c, slot) = self.profiles[id].invite_slots[k];
            let pool = &mut self.invitable[c];
            let from = &mut pool.classes[class - 1];
            from.swap_remove(slot as usize);
            if let Some(&moved) = from.get(slot as usize) {
                let slots = &mut self.profiles[moved as usize].invite_slots;
                let entry = slots
                    .iter_mut()
                    .find(|(mc, _)| *mc == c)
                    .expect("an agent in a class has a slot there");
                entry.1 = slot;
            }
            if pool.classes.len() <= class {
                pool.classes.resize_with(class + 1, Vec::new);
            }
            self.profiles[id].invite_slots[k] = (c, pool.classes[class].len() as u32);
            pool.classes[class].push(id as u32);
        }
    }
}

#[cfg(test)]
impl Sim<'_> {
    /// Whether the invitable agents are where they belong: each class holds agents with
    /// that many completed contracts, each agent's slots point at itself, and every agent
    /// put in a category's classes is in exactly one of them.
    pub(super) fn invitable_well_formed(&self) -> bool {
        self.invitable.iter().enumerate().all(|(c, pool)| {
            let placed: usize = pool.classes.iter().map(Vec::len).sum();
            let in_place = pool.classes.iter().enumerate().all(|(k, class)| {
                class.iter().enumerate().all(|(slot, &a)| {
                    let profile = &self.profiles[a as usize];
                    profile.completed as usize == k
                        && profile.invite_slots.contains(&(c, slot as u32))
                })
            });
            placed == pool.added && in_place
        })
    }
}
