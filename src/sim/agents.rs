//! The agents: the hot columns ([`Agent`], one cache line: what the hot path reads for every
//! post an agent notices) apart from the cold ones ([`Profile`]: categories, skill,
//! reputation, contracts, places in the notice groups); the population's creation and its
//! notice groups.

use std::collections::BTreeMap;

use rand::RngExt;

use super::Rng;
use crate::ledger::Connects;
use crate::market::{NoticeGroup, base_notice_rate};
use crate::random::chance;
use crate::scenario::model::{HOURS_PER_DAY, Join, Model};

/// What the hot path reads of an agent for every post it notices: one cache line.
#[derive(Debug, Clone)]
#[repr(align(64))]
pub(super) struct Agent {
    pub(super) joined_at: f64,
    pub(super) next_billing: f64,
    /// While it is at capacity: when its first running contract ends (else −∞).
    pub(super) free_at: f64,
    /// Before this time (its next billing day, when it was found unable to pay) it cannot
    /// pay `cannot_pay_from` Connects or more unless Connects come back to it (else −∞).
    pub(super) broke_until: f64,
    pub(super) budget_left_usd: f64,
    pub(super) strategy: u32,
    pub(super) cannot_pay_from: Connects,
    /// Contracts running.
    pub(super) active: u32,
    pub(super) week: u32,
    pub(super) paid_this_week: u32,
    /// Whether the joining grants were made.
    pub(super) joined: bool,
    /// Whether it is out of its groups' attention lists ([`Sim::leave_if_blocked`](super::Sim::leave_if_blocked)).
    pub(super) out: bool,
}

/// The rest of an agent's state, read when it applies, is reviewed or is hired.
#[derive(Debug, Clone)]
pub(super) struct Profile {
    /// Bit set of its categories.
    pub(super) categories: u64,
    pub(super) skill: f64,
    pub(super) takes_readiness_test: bool,
    pub(super) certified: bool,
    pub(super) completed: u32,
    pub(super) reputation: f64,
    pub(super) hires_early: u32,
    pub(super) rising_talent_granted: bool,
    /// Index of its first (category, tier) posterior in the learner arena, if it learns.
    pub(super) learner: Option<usize>,
    /// When its running contracts end.
    pub(super) contract_ends: Vec<f64>,
    /// Its places among the invitable agents, once it has joined: (category, index in its
    /// reputation class).
    pub(super) invite_slots: Vec<(usize, u32)>,
    /// Its places in the notice groups: (category, group, index in the group).
    pub(super) memberships: Vec<(usize, usize, usize)>,
    /// Whether every one of its groups notices every post of ordinary appeal (rate ≥ 1):
    /// only then does leaving the attention lists save anything.
    pub(super) attends_fully: bool,
    /// While out: the first posting it was skipped on, and when it returns.
    pub(super) out_since_post: u64,
    pub(super) return_at: f64,
}

/// Creates the population: for each strategy in order, its agents with categories,
/// skill, join time and the joining draws, all from the same distributions.
pub(super) fn create_agents(model: &Model, rng: &mut Rng) -> (Vec<Agent>, Vec<Profile>) {
    let p = &model.population;
    let c = &model.connects;
    let categories = model.jobs.category_names.len();
    let mut agents = Vec::with_capacity(p.agents as usize);
    let mut profiles = Vec::with_capacity(p.agents as usize);
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
                joined_at,
                next_billing: joined_at,
                free_at: f64::NEG_INFINITY,
                broke_until: f64::NEG_INFINITY,
                budget_left_usd: 0.0,
                strategy: s as u32,
                cannot_pay_from: 0,
                active: 0,
                week: 0,
                paid_this_week: 0,
                joined: false,
                out: false,
            });
            profiles.push(Profile {
                categories: set,
                skill,
                takes_readiness_test: chance(rng, c.readiness_prob),
                certified: chance(rng, c.certification_prob),
                completed: 0,
                reputation: 0.0,
                hires_early: 0,
                rising_talent_granted: false,
                learner: None,
                contract_ends: Vec::new(),
                invite_slots: Vec::new(),
                memberships: Vec::new(),
                attends_fully: false,
                out_since_post: 0,
                return_at: f64::NEG_INFINITY,
            });
        }
    }
    (agents, profiles)
}

/// Groups the agents of each category by (strategy, notice rate), so noticers can
/// be sampled with geometric skips. λ of an agent is the expected posts a day in its
/// categories (seasonality ignored).
pub(super) fn notice_groups(
    model: &Model,
    agents: &[Agent],
    profiles: &[Profile],
) -> Vec<Vec<NoticeGroup>> {
    let jobs = &model.jobs;
    let per_day = jobs.per_hour * HOURS_PER_DAY;
    (0..jobs.category_names.len())
        .map(|c| {
            let mut groups: BTreeMap<(usize, u64), Vec<u32>> = BTreeMap::new();
            for (id, (a, profile)) in agents.iter().zip(profiles).enumerate() {
                if profile.categories & (1 << c) == 0 {
                    continue;
                }
                let share: f64 = (0..jobs.category_shares.len())
                    .filter(|k| profile.categories & (1 << k) != 0)
                    .map(|k| jobs.category_shares[k])
                    .sum();
                let strategy = a.strategy as usize;
                let s = &model.strategies[strategy];
                let p = base_notice_rate(s.posts_per_day, per_day * share);
                groups
                    .entry((strategy, p.to_bits()))
                    .or_default()
                    .push(id as u32);
            }
            groups
                .into_iter()
                .map(|((s, p), list)| NoticeGroup::new(s, f64::from_bits(p), list))
                .collect()
        })
        .collect()
}
